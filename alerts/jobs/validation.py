"""Validating a posting from the API, the admin form or the CLI: a JobDraft, or errors by field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from alerts.domain.places import Places
from alerts.jobs.model import (
    CONTROL,
    DATE_ONLY,
    EMAIL,
    MAX_APPLY_FIELD,
    MAX_DEADLINE_AHEAD,
    MAX_ORGANIZATION,
    MAX_ORGANIZATION_SHORT,
    MAX_PLACES,
    MAX_POSITIONS,
    MAX_TITLE,
    MAX_URL,
    SPACES,
    Apply,
    JobDraft,
)
from config.reference import District, Reference, Region

# -- validation ---------------------------------------------------------------------------


def _text(value: Any, name: str, max_len: int, errors: dict[str, str]) -> str:
    if not isinstance(value, str):
        errors[name] = "required, a text" if value is None else "must be a text"
        return ""
    cleaned = SPACES.sub(" ", CONTROL.sub(" ", value)).strip()
    if not _encodable(cleaned):
        errors[name] = "contains characters that are not valid text"
    elif not cleaned:
        errors[name] = "must not be empty"
    elif len(cleaned) > max_len:
        errors[name] = f"at most {max_len} characters"
    return cleaned


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON escapes such as "\\ud800"
        return False
    return True


def parse_deadline(value: Any, tz: ZoneInfo, now: float) -> tuple[int, bool]:
    """ISO 8601 date or date-time -> (epoch seconds, has a time); ValueError says what's wrong.

    A naive time is in tz; a bare date means the end of that day (23:59) in tz.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("required, an ISO 8601 date or date and time, e.g. 2025-06-16T17:00")
    text = value.strip()
    if len(text) > 40:
        raise ValueError("not an ISO 8601 date or date and time")
    try:
        if DATE_ONLY.fullmatch(text):
            moment = datetime.combine(date.fromisoformat(text), time(23, 59), tz)
            has_time = False
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
            has_time = True
        stamp = int(moment.timestamp())
    except (ValueError, OverflowError, OSError):
        raise ValueError(
            f"not an ISO 8601 date or date and time: {text!r} (e.g. 2025-06-16T17:00)"
        ) from None
    if stamp <= now:
        raise ValueError("the deadline has passed")
    if stamp > now + MAX_DEADLINE_AHEAD:
        raise ValueError("more than a year away")
    return stamp, has_time


def _apply(value: Any, errors: dict[str, str]) -> Apply:
    if isinstance(value, str):
        text = _text(value, "apply", MAX_APPLY_FIELD, errors)
        if "apply" in errors:  # never run the email pattern over a huge text (quadratic)
            return Apply()
        found = EMAIL.search(text)
        return Apply(email=found.group(0) if found else "", text=text)
    if not isinstance(value, dict):
        errors["apply"] = (
            "required: how to apply, a text or an object with email, phone, office, subject, text"
        )
        return Apply()
    known = ("email", "phone", "office", "subject", "text")
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        errors["apply"] = f"unknown field(s): {', '.join(unknown)[:100]}"
        return Apply()
    given: dict[str, str] = {}
    for name in known:
        raw = value.get(name)
        if raw is None or raw == "":
            continue
        local: dict[str, str] = {}
        given[name] = _text(raw, name, MAX_APPLY_FIELD, local)
        if local:
            errors["apply"] = f"{name}: {local[name]}"
            return Apply()
    if given.get("email") and not EMAIL.fullmatch(given["email"]):
        errors["apply"] = f"email: not an email address: {given['email'][:60]!r}"
        return Apply()
    result = Apply(**given)
    if not result.short():
        errors["apply"] = "give at least one of email, phone, office or text"
    return result


def _places_field(
    value: Any, ref: Reference, places: Places, errors: dict[str, str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(value, list) or not value:
        errors["districts"] = "required: a list of district or region names, e.g. [\"Niono\"]"
        return (), ()
    if len(value) > MAX_PLACES:
        errors["districts"] = f"at most {MAX_PLACES} places"
        return (), ()
    districts: list[str] = []
    regions: list[str] = []
    unknown: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item) > 100:
            unknown.append(str(item)[:40])
            continue
        found: District | Region | None = places.resolve_place(item)
        if isinstance(found, District):
            districts.append(found.slug)
        elif isinstance(found, Region):
            regions.append(found.slug)
        else:
            unknown.append(item.strip())
    if unknown:
        errors["districts"] = "unknown district or region: " + ", ".join(unknown)
        return (), ()
    # A district inside a region already posted adds nobody.
    covered = set(regions)
    districts = [d for d in dict.fromkeys(districts) if ref.districts[d].region not in covered]
    return tuple(districts), tuple(dict.fromkeys(regions))


def _organization_short(value: Any, errors: dict[str, str]) -> str:
    """The short name given ('' when none: JobDraft.short_name looks it up)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    local: dict[str, str] = {}
    short = _text(value, "organization_short", MAX_ORGANIZATION_SHORT, local)
    if local:
        errors.update(local)
    elif not any(ch.isalnum() for ch in short):
        errors["organization_short"] = "must contain a letter or a digit"
    return short


def _positions(value: Any, errors: dict[str, str]) -> int:
    if value is None:
        return 1
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        errors["positions"] = "must be a whole number"
        return 1
    if not 1 <= value <= MAX_POSITIONS:
        errors["positions"] = f"must be between 1 and {MAX_POSITIONS}"
        return 1
    return value


def validate(
    payload: Any, reference: Reference, places: Places, tz: ZoneInfo, *, now: float | None = None
) -> tuple[JobDraft | None, dict[str, str]]:
    """Check a posting as the API and the CLI receive it; errors name each invalid field."""
    if not isinstance(payload, dict):
        return None, {"body": "must be a JSON object"}
    now = datetime.now(UTC).timestamp() if now is None else now
    errors: dict[str, str] = {}
    title = _text(payload.get("title"), "title", MAX_TITLE, errors)
    organization = _text(payload.get("organization"), "organization", MAX_ORGANIZATION, errors)
    organization_short = _organization_short(payload.get("organization_short"), errors)

    category = ""
    raw_category = payload.get("category")
    if not isinstance(raw_category, str) or not raw_category.strip():
        errors["category"] = "required: a category slug or name, e.g. \"nurse\" or \"Infirmier\""
    elif len(raw_category) > 100 or (found := places.resolve_category(raw_category)) is None:
        errors["category"] = f"unknown category: {raw_category.strip()[:60]}"
    else:
        category = found.slug

    districts, regions = _places_field(payload.get("districts"), reference, places, errors)
    positions = _positions(payload.get("positions"), errors)
    deadline, has_time = 0, True
    try:
        deadline, has_time = parse_deadline(payload.get("deadline"), tz, now)
    except ValueError as exc:
        errors["deadline"] = str(exc)
    apply = _apply(payload.get("apply"), errors)

    source_url = payload.get("source_url")
    if source_url in (None, ""):
        source_url = ""
    elif (
        not isinstance(source_url, str)
        or len(source_url) > MAX_URL
        or not _encodable(source_url)
        or not re.fullmatch(r"https?://\S+", source_url.strip())
    ):
        errors["source_url"] = "must be an http:// or https:// address"
    if "publish" in payload and not isinstance(payload["publish"], bool):
        errors["publish"] = "must be true or false"

    if errors:
        return None, errors
    return (
        JobDraft(
            title=title,
            organization=organization,
            organization_short=organization_short,
            category=category,
            districts=districts,
            regions=regions,
            positions=positions,
            deadline=deadline,
            deadline_has_time=has_time,
            apply=apply,
            source_url=source_url.strip(),
        ),
        {},
    )
