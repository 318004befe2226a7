"""The JSON shapes of records, shared by the API and the admin (its CSV export, its relay page)."""

from __future__ import annotations

from flask import current_app

from alerts.domain.subscribers import Subscriber


def subscriber_json(sub: Subscriber) -> dict:
    """The API form of a subscriber, with names for every place and category."""
    ref = current_app.extensions["baara.reference"]
    items = []
    for s in sub.subscriptions:
        district = ref.districts.get(s.district) if s.district else None
        region = ref.regions.get(s.region) if s.region else None
        category = ref.categories.get(s.category) if s.category else None
        items.append(
            {
                "district": {"slug": district.slug, "name": district.name} if district else None,
                "region": {"slug": region.slug, "name": region.name} if region else None,
                "category": {"slug": category.slug, "name": category.fr} if category else None,
            }
        )
    return {
        "phone": sub.phone,
        "language": sub.language.value,
        "status": sub.status.value,
        "source": sub.source.value,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
        "subscriptions": items,
    }


def relay_json(relay: dict) -> dict:
    """A relay with its districts named and its figures, consent rate included."""
    ref = current_app.extensions["baara.reference"]
    asked = relay["asked"]
    return {
        "phone": relay["phone"],
        "name": relay.get("name", ""),
        "status": relay["status"],
        "districts": [
            {"slug": d, "name": ref.districts[d].name}
            for d in relay["districts"]
            if d in ref.districts
        ],
        "asked": asked,
        "enrolled": relay["enrolled"],
        "refused": relay["refused"],
        "expired": relay["expired"],
        "consent_rate": round(relay["enrolled"] / asked, 3) if asked else None,
    }
