"""What a number's subscriptions cover and how a reply names them.

Shared by the SMS conversation, the relays' consent flow and the USSD menu (none of which should
import another for it).
"""

from __future__ import annotations

from collections.abc import Sequence

from alerts.domain.subscribers import Language, Subscription
from config.reference import Reference
from messages import sms as texts


def describe(subs: Sequence[Subscription], lang: Language, ref: Reference) -> list[str]:
    """Ways to name subscriptions in a reply, longest first: 'Kati, Koulikoro (Infirmier)'."""
    groups: dict[tuple[str, ...], list[Subscription]] = {}
    for s in subs:
        if not (
            (s.district and s.district in ref.districts) or (s.region and s.region in ref.regions)
        ):
            continue
        cats = tuple(
            c.slug
            for s2 in subs
            if (s2.district, s2.region) == (s.district, s.region)
            and s2.category
            and (c := ref.categories.get(s2.category))
        )
        places = groups.setdefault(cats, [])
        if all((p.district, p.region) != (s.district, s.region) for p in places):
            places.append(s)
    if not groups:
        return []
    named = {cats: _place_names(places, lang, ref) for cats, places in groups.items()}
    if len(named) == 1:
        ((cats, names),) = named.items()
        return texts.what_variants(names, [_category_name(c, lang, ref) for c in cats], lang.value)
    # Several groups: name each with its categories, then fall back to places only.
    full = "; ".join(
        texts.what_variants(names, [_category_name(c, lang, ref) for c in cats], lang.value)[0]
        for cats, names in named.items()
    )
    all_places = [p for names in named.values() for p in names]
    return [full, *texts.what_variants(list(dict.fromkeys(all_places)), [], lang.value)]


def _place_names(places: Sequence[Subscription], lang: Language, ref: Reference) -> list[str]:
    """Names of the places of one group; every region at once is 'tout le Mali'."""
    regions = {p.region for p in places if p.region}
    whole = regions >= set(ref.regions)
    names = [texts.whole_mali(lang.value)] if whole else []
    for p in places:
        if p.district:
            names.append(ref.districts[p.district].name)
        elif not whole and p.region:
            names.append(texts.region_name(lang.value, ref.regions[p.region].name))
    return names


def _category_name(slug: str, lang: Language, ref: Reference) -> str:
    cat = ref.categories[slug]
    return cat.bm if lang is Language.BM else cat.fr


def covering(
    existing: Sequence[Subscription], wanted: Subscription, ref: Reference
) -> Subscription | None:
    """The subscription they already have that includes `wanted` (same place or its region)."""
    region = ref.districts[wanted.district].region if wanted.district in ref.districts else None
    for have in existing:
        if have.category not in (None, wanted.category):
            continue
        if have == wanted and wanted.category is not None:
            continue  # the very same narrow one: stored again, said again
        same_place = (have.district, have.region) == (wanted.district, wanted.region)
        if (same_place and have.category is None and wanted.category is not None) or (
            have.region is not None and have.region == region
        ):
            return have
    return None
