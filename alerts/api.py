"""The JSON API (bearer API_TOKEN): subscribers and jobs. Views stay thin."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify
from werkzeug.exceptions import HTTPException

from alerts.auth import token_required
from alerts.phones import InvalidPhone, normalize
from alerts.store import Subscriber, current_store

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(HTTPException)
def _json_error(exc: HTTPException):
    return jsonify({"error": exc.name, "detail": exc.description}), exc.code


def _phone_or_400(raw: str) -> str:
    try:
        return normalize(raw)
    except InvalidPhone as exc:
        abort(400, description=f"phone: {exc}")


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


@bp.get("/subscribers/<path:phone>")
@token_required
def get_subscriber(phone: str):
    """A subscriber, their language, status and subscriptions."""
    sub = current_store().get_subscriber(_phone_or_400(phone))
    if sub is None:
        return jsonify({"error": "Not Found", "detail": "no subscriber with this phone"}), 404
    return jsonify(subscriber_json(sub))


@bp.delete("/subscribers/<path:phone>")
@token_required
def delete_subscriber(phone: str):
    """Erase everything Baara holds about a number."""
    existed = current_store().erase_subscriber(_phone_or_400(phone))
    if not existed:
        return jsonify({"error": "Not Found", "detail": "no subscriber with this phone"}), 404
    return "", 204
