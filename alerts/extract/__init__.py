"""Read a pasted job notice into the fields of a job posting (pure: no Flask, no Redis).

`extract(text, tz=..., now=...)` returns every field POST /api/jobs takes, each filled so that
the result can be saved as a draft as it is, plus a warning for each field that was not found
(a default stands in) or is a guess. Rules and gazetteers only, no remote service: see
notice.py (cleaning), where.py, deadline.py, who.py, what.py and apply.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from alerts.domain.places import Places
from alerts.extract.apply import emails_in, find_apply
from alerts.extract.deadline import find_deadline
from alerts.extract.notice import Notice
from alerts.extract.what import find_category, find_positions, find_title
from alerts.extract.where import Gazetteer, build, default_gazetteer, duty_stations
from alerts.extract.who import Organization, default_organizations, recruiter
from config.reference import Reference, default_reference

#: Largest notice accepted, in characters (the longest real notices are about 15,000).
MAX_TEXT = 60_000
#: When a notice states no deadline, the draft gets one this far ahead (flagged for review).
DEFAULT_DAYS = 30
#: Stands in for a recruiter nobody could name (flagged for review). French: the admin's language.
UNKNOWN_ORGANIZATION = "Organisation à préciser"
FALLBACK_CATEGORY = "other"
FALLBACK_PLACE = "bamako"


_LETTERS = re.compile(r"[^\W\d_]{2}")
_GENDER_ONLY = re.compile(r"^\W*(?:[HFM]\s*/\s*[HFM])\W*$", re.I)


def _usable(text: str) -> bool:
    """A name worth showing: two letters in a row, and not a bare 'H/F'."""
    return bool(_LETTERS.search(text)) and not _GENDER_ONLY.match(text)


def check_lists(ref: Reference) -> None:
    """Load the importer's gazetteer and organisations now: a broken file stops the app."""
    if ref is default_reference():
        default_gazetteer()  # cached: built once per process
    else:
        build(ref, strict=False)
    default_organizations()


def _without_names(text: str, organizations: tuple[Organization, ...]) -> str:
    """text with every known organisation's name taken out."""
    for org in organizations:
        text = org.pattern.sub(" ", text)
    return text


class Doubt(StrEnum):
    """Why a field is flagged."""

    NOT_FOUND = "not_found"  # a default stands in
    UNSURE = "unsure"  # found, but by a guess
    PASSED = "passed"  # the deadline is over


@dataclass(frozen=True)
class Flag:
    """One flagged field: which, why, and what the reader should know (English, for the API)."""

    field: str
    code: Doubt
    detail: str

    def to_json(self) -> dict[str, str]:
        """{"field", "code", "detail"}."""
        return {"field": self.field, "code": self.code.value, "detail": self.detail}


@dataclass(frozen=True)
class Extraction:
    """The fields of a job read from a notice, and what to check."""

    title: str
    organization: str
    category: str
    districts: tuple[str, ...]
    regions: tuple[str, ...]
    positions: int
    deadline: str
    apply: str
    apply_parts: dict[str, str]
    warnings: tuple[Flag, ...] = field(default_factory=tuple)

    def places(self, ref: Reference) -> list[str]:
        """Places as POST /api/jobs takes them: district slugs, 'region:<slug>' for a region."""
        named = list(self.districts)
        for r in self.regions:
            # A region slug that is also a district's ("segou") must say it means the region.
            named.append(r if r not in ref.districts else f"region:{r}")
        return named

    def flagged(self) -> set[str]:
        """Names of the fields to check."""
        return {w.field for w in self.warnings}

    def to_json(self, ref: Reference | None = None) -> dict[str, Any]:
        """The API form: a POST /api/jobs body plus apply_parts and warnings."""
        ref = ref or default_reference()
        return {
            "title": self.title,
            "organization": self.organization,
            "category": self.category,
            "districts": self.places(ref),
            "positions": self.positions,
            "deadline": self.deadline,
            "apply": self.apply,
            "apply_parts": dict(self.apply_parts),
            "warnings": [w.to_json() for w in self.warnings],
        }


def extract(
    text: str,
    *,
    tz: ZoneInfo,
    now: datetime,
    reference: Reference | None = None,
    places: Places | None = None,
    gazetteer: Gazetteer | None = None,
    organizations: tuple[Organization, ...] | None = None,
) -> Extraction:
    """Every field of a job posting read from a notice's text, with warnings."""
    ref = reference or default_reference()
    places = places or (Places.default() if ref is default_reference() else Places(ref))
    if gazetteer is None:
        gazetteer = default_gazetteer() if ref is default_reference() else build(ref, strict=False)
    organizations = organizations if organizations is not None else default_organizations()
    now = now.astimezone(tz)
    notice = Notice(text)
    warnings: list[Flag] = []

    def flag(name: str, code: Doubt, detail: str) -> None:
        warnings.append(Flag(name, code, detail))

    title_pick = find_title(notice, places, lambda text: _without_names(text, organizations))
    category_pick = find_category(
        notice,
        str(title_pick.value) if title_pick else "",
        places,
        title_sure=bool(title_pick and title_pick.sure),
    )
    category = str(category_pick.value) if category_pick else FALLBACK_CATEGORY
    if category_pick is None:
        flag("category", Doubt.NOT_FOUND, f"no job category named; set to {category!r}")
    elif not category_pick.sure and category == FALLBACK_CATEGORY:
        flag("category", Doubt.UNSURE, "the title names none of the categories; set to 'other'")
    elif not category_pick.sure:
        flag("category", Doubt.UNSURE, "the title names no category; taken from the text")

    if title_pick is None or not _usable(str(title_pick.value)):
        title = ref.categories[category].fr
        flag("title", Doubt.NOT_FOUND, "no title found; the category's name stands in")
    else:
        title = str(title_pick.value)
        if not title_pick.sure:
            flag("title", Doubt.UNSURE, "no labelled title; taken from the text")

    emails = emails_in(notice)
    who = recruiter(notice, organizations, emails)
    if who is not None and not _usable(who.name):
        who = None
    organization = (who.name[:1].upper() + who.name[1:120]) if who else UNKNOWN_ORGANIZATION
    if who is None:
        flag("organization", Doubt.NOT_FOUND, "no organisation recognised")
    elif not who.sure:
        flag("organization", Doubt.UNSURE, "not in the list of known organisations")

    found = duty_stations(notice, gazetteer)
    districts, regions = found.districts, found.regions
    if not districts and not regions:
        regions = (FALLBACK_PLACE,)
        flag("districts", Doubt.NOT_FOUND, "no duty station found; set to Bamako")
    elif not found.sure:
        flag("districts", Doubt.UNSURE, "no duty station stated; the place named most is taken")

    positions = find_positions(notice, title, places)
    if not positions.sure:
        flag("positions", Doubt.NOT_FOUND, "the number of posts is not stated; 1 assumed")

    deadline = find_deadline(notice, tz, now)
    if deadline is None:
        day = (now + timedelta(days=DEFAULT_DAYS)).date()
        deadline_text = day.isoformat()
        flag("deadline", Doubt.NOT_FOUND, f"no deadline found; set to {DEFAULT_DAYS} days ahead")
    else:
        deadline_text = deadline.iso()
        end = datetime.combine(deadline.day, deadline.clock or time(23, 59), tz)
        if end <= now:
            flag("deadline", Doubt.PASSED, "the deadline stated in the notice has passed")
        elif not deadline.sure:
            flag("deadline", Doubt.UNSURE, "no date is called the deadline; the latest is taken")

    how = find_apply(notice, organization if who else "")
    if not how.sure:
        flag("apply", Doubt.UNSURE, "no e-mail, phone, link or office to apply found")
    parts = {
        k: v
        for k, v in (
            ("email", how.email),
            ("phone", how.phone),
            ("link", how.link),
            ("office", how.office),
            ("subject", how.subject),
        )
        if v
    }
    return Extraction(
        title=title,
        organization=organization,
        category=category,
        districts=tuple(districts),
        regions=tuple(regions),
        positions=int(positions.value),  # type: ignore[call-overload]
        deadline=deadline_text,
        apply=how.line,
        apply_parts=parts,
        warnings=tuple(warnings),
    )
