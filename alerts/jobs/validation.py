"""Validating a posting from the API, the admin form or the CLI: a JobDraft, or errors by field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from alerts.domain.errors import ErrorCode, FieldError, FieldErrors, refuse
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


def _text(value: Any, name: str, max_len: int, errors: FieldErrors, part: str = "") -> str:
    if not isinstance(value, str):
        refuse(errors, name, ErrorCode.REQUIRED if value is None else ErrorCode.NOT_TEXT, part)
        return ""
    cleaned = SPACES.sub(" ", CONTROL.sub(" ", value)).strip()
    if not _encodable(cleaned):
        refuse(errors, name, ErrorCode.INVALID_TEXT, part)
    elif not cleaned:
        refuse(errors, name, ErrorCode.EMPTY, part)
    elif len(cleaned) > max_len:
        refuse(errors, name, ErrorCode.TOO_LONG, part, max=max_len)
    return cleaned


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON escapes such as "\\ud800"
        return False
    return True


class BadDeadline(ValueError):
    """A deadline refused: `error` says why, as data."""

    def __init__(self, code: ErrorCode, **params: str | int) -> None:
        super().__init__(code.value)
        self.error = FieldError("deadline", code, params)


def parse_deadline(value: Any, tz: ZoneInfo, now: float) -> tuple[int, bool]:
    """ISO 8601 date or date-time -> (epoch seconds, has a time); BadDeadline says what's wrong.

    A naive time is in tz; a bare date means the end of that day (23:59) in tz.
    """
    if not isinstance(value, str) or not value.strip():
        raise BadDeadline(ErrorCode.DEADLINE_REQUIRED)
    text = value.strip()
    if len(text) > 40:
        raise BadDeadline(ErrorCode.NOT_A_DATE, value=text[:40])
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
        raise BadDeadline(ErrorCode.NOT_A_DATE, value=text) from None
    if stamp <= now:
        raise BadDeadline(ErrorCode.DEADLINE_PASSED)
    if stamp > now + MAX_DEADLINE_AHEAD:
        raise BadDeadline(ErrorCode.DEADLINE_TOO_FAR)
    return stamp, has_time


def _apply(value: Any, errors: FieldErrors) -> Apply:
    if isinstance(value, str):
        text = _text(value, "apply", MAX_APPLY_FIELD, errors)
        if "apply" in errors:  # never run the email pattern over a huge text (quadratic)
            return Apply()
        found = EMAIL.search(text)
        return Apply(email=found.group(0) if found else "", text=text)
    if not isinstance(value, dict):
        refuse(errors, "apply", ErrorCode.APPLY_REQUIRED)
        return Apply()
    known = ("email", "phone", "office", "subject", "text")
    unknown = sorted(str(k) for k in value if k not in known)
    if unknown:
        refuse(errors, "apply", ErrorCode.UNKNOWN_FIELDS, names=", ".join(unknown)[:100])
        return Apply()
    given: dict[str, str] = {}
    for name in known:
        raw = value.get(name)
        if raw is None or raw == "":
            continue
        given[name] = _text(raw, "apply", MAX_APPLY_FIELD, errors, part=name)
        if "apply" in errors:
            return Apply()
    if given.get("email") and not EMAIL.fullmatch(given["email"]):
        refuse(errors, "apply", ErrorCode.NOT_AN_EMAIL, "email", value=given["email"][:60])
        return Apply()
    result = Apply(**given)
    if not result.short():
        refuse(errors, "apply", ErrorCode.NO_WAY_TO_APPLY)
    return result


def _places_field(
    value: Any, ref: Reference, places: Places, errors: FieldErrors
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not isinstance(value, list) or not value:
        refuse(errors, "districts", ErrorCode.PLACES_REQUIRED)
        return (), ()
    if len(value) > MAX_PLACES:
        refuse(errors, "districts", ErrorCode.TOO_MANY_PLACES, max=MAX_PLACES)
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
        refuse(errors, "districts", ErrorCode.UNKNOWN_PLACE, names=", ".join(unknown))
        return (), ()
    # A district inside a region already posted adds nobody.
    covered = set(regions)
    districts = [d for d in dict.fromkeys(districts) if ref.districts[d].region not in covered]
    return tuple(districts), tuple(dict.fromkeys(regions))


def _organization_short(value: Any, errors: FieldErrors) -> str:
    """The short name given ('' when none: JobDraft.short_name looks it up)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    short = _text(value, "organization_short", MAX_ORGANIZATION_SHORT, errors)
    if "organization_short" not in errors and not any(ch.isalnum() for ch in short):
        refuse(errors, "organization_short", ErrorCode.NO_LETTER_OR_DIGIT)
    return short


def _positions(value: Any, errors: FieldErrors) -> int:
    if value is None:
        return 1
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        refuse(errors, "positions", ErrorCode.NOT_WHOLE_NUMBER)
        return 1
    if not 1 <= value <= MAX_POSITIONS:
        refuse(errors, "positions", ErrorCode.OUT_OF_RANGE, min=1, max=MAX_POSITIONS)
        return 1
    return value


def validate(
    payload: Any, reference: Reference, places: Places, tz: ZoneInfo, *, now: float | None = None
) -> tuple[JobDraft | None, FieldErrors]:
    """Check a posting as the API and the CLI receive it; errors name each invalid field."""
    if not isinstance(payload, dict):
        return None, {"body": FieldError("body", ErrorCode.NOT_JSON_OBJECT)}
    now = datetime.now(UTC).timestamp() if now is None else now
    errors: FieldErrors = {}
    title = _text(payload.get("title"), "title", MAX_TITLE, errors)
    organization = _text(payload.get("organization"), "organization", MAX_ORGANIZATION, errors)
    organization_short = _organization_short(payload.get("organization_short"), errors)

    category = ""
    raw_category = payload.get("category")
    if not isinstance(raw_category, str) or not raw_category.strip():
        refuse(errors, "category", ErrorCode.CATEGORY_REQUIRED)
    elif len(raw_category) > 100 or (found := places.resolve_category(raw_category)) is None:
        refuse(errors, "category", ErrorCode.UNKNOWN_CATEGORY, name=raw_category.strip()[:60])
    else:
        category = found.slug

    districts, regions = _places_field(payload.get("districts"), reference, places, errors)
    positions = _positions(payload.get("positions"), errors)
    deadline, has_time = 0, True
    try:
        deadline, has_time = parse_deadline(payload.get("deadline"), tz, now)
    except BadDeadline as exc:
        errors["deadline"] = exc.error
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
        refuse(errors, "source_url", ErrorCode.NOT_HTTP_URL)
    if "publish" in payload and not isinstance(payload["publish"], bool):
        refuse(errors, "publish", ErrorCode.NOT_BOOLEAN)

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
