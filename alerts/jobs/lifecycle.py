"""Job postings: the model, validation, codes, publication, and the texts that describe them.

A job is stored as a flat hash (see Store: `job:{id}`); this module turns it into a `Job` and
back, and keeps the rules in one place:

* codes are "J" + digits 2-9 (`J482`): digits are what a keypad types first, and leaving out
  0 and 1 means nobody confuses them with O and I. Three digits give 512 codes; when random
  draws keep colliding the code widens to four digits (4,096), then five. A code is held in
  Redis with SET NX until 90 days after the job's deadline, then it may be reused;
* deadlines are instants (epoch seconds); a date without a time means the end of that day in
  TIMEZONE; they are shown as "16/06/2025 17h00" (no Babel, so no no-break spaces in SMS);
* a job is *open* while it is published and its deadline has not passed.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from alerts.domain.places import Places
from alerts.gateways.africastalking import Status, delivery_status
from alerts.sending import enqueue
from alerts.services import Services, current_services
from alerts.store import MatchPlace, Subscriber, Subscription
from config.organizations import MAX_SHORT, default_organizations
from config.reference import District, Reference, Region, default_reference
from messages import alert as alert_texts
from messages.compose import TooLong

CODE_PREFIX = "J"
CODE_DIGITS = "23456789"
#: Random draws at each code length before trying a longer one.
CODE_TRIES = 6
CODE_KEEP_AFTER_DEADLINE = 90 * 24 * 3600
MAX_DEADLINE_AHEAD = 366 * 24 * 3600

MAX_TITLE = 160
MAX_ORGANIZATION = 120
MAX_ORGANIZATION_SHORT = MAX_SHORT
MAX_APPLY_FIELD = 300
MAX_PLACES = 100
MAX_POSITIONS = 10_000
MAX_URL = 500

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r"\s+")


class JobStatus(StrEnum):
    """Where a job is in its life (a str: "published" == JobStatus.PUBLISHED)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published during quiet hours: alerts leave when they end
    PUBLISHED = "published"
    CLOSED = "closed"
    CANCELLED = "cancelled"


#: Statuses from which nothing more is ever sent.
FINAL = frozenset({JobStatus.CLOSED, JobStatus.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class Apply:
    """How to apply: any of an email, a phone, an office address, a subject line, free text."""

    email: str = ""
    phone: str = ""
    office: str = ""
    subject: str = ""
    text: str = ""

    def short(self) -> str:
        """The one thing to write in an alert: the email, else the phone, office or text."""
        return self.email or self.phone or self.office or self.text

    def full(self) -> str:
        """Everything, for INFO: 'text / email / office / "subject"'."""
        parts = [self.text] if self.text else []
        parts += [p for p in (self.email, self.phone, self.office) if p and p not in self.text]
        if self.subject:
            parts.append(f'"{self.subject}"')
        return " / ".join(parts)

    def to_json(self) -> dict[str, str]:
        """The fields that are set."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass(frozen=True, kw_only=True)
class JobDraft:
    """A validated posting, before it has an id, a code and a status."""

    title: str
    organization: str
    #: What SMS and USSD call the organisation, as the recruiter gave it ('' when not given).
    organization_short: str = ""
    category: str
    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    positions: int = 1
    deadline: int  # epoch seconds
    deadline_has_time: bool = True
    apply: Apply
    source_url: str = ""

    def match_places(self, ref: Reference) -> list[MatchPlace]:
        """Every district the posting covers, with its region: what the store matches on."""
        places = {d: ref.districts[d].region for d in self.districts if d in ref.districts}
        for r in self.regions:
            if r in ref.regions:
                places.update({d.slug: r for d in ref.districts_in(r)})
        return [MatchPlace(district=d, region=r) for d, r in places.items()]

    def covers(self, sub: Subscription, ref: Reference) -> bool:
        """Whether one subscription asks for this posting."""
        if sub.category is not None and sub.category != self.category:
            return False
        places = self.match_places(ref)
        if sub.district is not None:
            return any(p.district == sub.district for p in places)
        return any(p.region == sub.region for p in places)

    def place_names(self, ref: Reference) -> list[str]:
        """District names, and region names for whole-region postings, as shown in SMS."""
        names = [ref.districts[d].name for d in self.districts if d in ref.districts]
        names += [ref.regions[r].name for r in self.regions if r in ref.regions]
        return names

    def place_names_for(self, subs: Sequence[Subscription], ref: Reference) -> list[str]:
        """place_names() with the ones these subscriptions cover first (OFFRES, USSD list)."""
        own_districts = {s.district for s in subs if s.district}
        own_regions = {s.region for s in subs if s.region}
        own = {ref.districts[d].name for d in self.districts if d in ref.districts
               and (d in own_districts or ref.districts[d].region in own_regions)}
        # A whole-region posting is "own" for someone subscribed to one of its districts too.
        around = own_regions | {ref.districts[d].region for d in own_districts
                                if d in ref.districts}
        own |= {ref.regions[r].name for r in self.regions if r in around}
        return alert_texts.own_first(self.place_names(ref), own)

    @property
    def short_name(self) -> str:
        """The short name given, else config/organizations.yaml's, else '' (the full name)."""
        if self.organization_short:
            return self.organization_short
        # Looked up when used, not stored: a job copied into the form and renamed must not
        # carry the old organisation's short name along.
        found = default_organizations().short_name(self.organization)
        return found if found != self.organization else ""

    @property
    def sms_organization(self) -> str:
        """The organisation as alerts, OFFRES and the USSD menu name it."""
        return self.short_name or self.organization

    @property
    def display_title(self) -> str:
        """The one title every SMS and USSD screen shows."""
        return alert_texts.display_title(self.title)


@dataclass(frozen=True, kw_only=True)
class Job(JobDraft):
    """A posting Baara knows: draft, scheduled, published, closed or cancelled."""

    id: str
    code: str
    status: JobStatus = JobStatus.DRAFT
    created_at: int = 0
    updated_at: int = 0
    published_at: int = 0
    scheduled_for: int = 0
    closed_at: int = 0
    created_by: str = "api"

    def is_open(self, now: float) -> bool:
        """Published and still taking applications."""
        return self.status is JobStatus.PUBLISHED and self.deadline > now

    def to_record(self) -> dict[str, str]:
        """Flat strings for the store."""
        return {
            "id": self.id,
            "code": self.code,
            "status": self.status.value,
            "title": self.title,
            "organization": self.organization,
            "organization_short": self.organization_short,
            "category": self.category,
            "districts": ",".join(self.districts),
            "regions": ",".join(self.regions),
            "positions": str(self.positions),
            "deadline": str(self.deadline),
            "deadline_has_time": "1" if self.deadline_has_time else "0",
            "apply": json.dumps(self.apply.to_json(), ensure_ascii=False),
            "source_url": self.source_url,
            "created_at": str(self.created_at),
            "updated_at": str(self.updated_at),
            "published_at": str(self.published_at),
            "scheduled_for": str(self.scheduled_for),
            "closed_at": str(self.closed_at),
            "created_by": self.created_by,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, str]) -> Job:
        """Inverse of to_record()."""

        def num(name: str) -> int:
            return int(data.get(name) or 0)

        def slugs(name: str) -> tuple[str, ...]:
            return tuple(s for s in (data.get(name) or "").split(",") if s)

        return cls(
            id=data["id"],
            code=data["code"],
            status=JobStatus(data["status"]),
            title=data.get("title", ""),
            organization=data.get("organization", ""),
            organization_short=data.get("organization_short", ""),
            category=data.get("category", ""),
            districts=slugs("districts"),
            regions=slugs("regions"),
            positions=num("positions") or 1,
            deadline=num("deadline"),
            deadline_has_time=data.get("deadline_has_time", "1") == "1",
            apply=Apply(**json.loads(data.get("apply") or "{}")),
            source_url=data.get("source_url", ""),
            created_at=num("created_at"),
            updated_at=num("updated_at"),
            published_at=num("published_at"),
            scheduled_for=num("scheduled_for"),
            closed_at=num("closed_at"),
            created_by=data.get("created_by", ""),
        )

    def to_json(self, ref: Reference, tz: ZoneInfo) -> dict[str, Any]:
        """The API form of a job."""
        return {
            "id": self.id,
            "code": self.code,
            "status": self.status.value,
            "title": self.title,
            "organization": self.organization,
            "organization_short": self.short_name or None,
            "category": self.category,
            "districts": list(self.districts),
            "regions": list(self.regions),
            "places": self.place_names(ref),
            "positions": self.positions,
            "deadline": datetime.fromtimestamp(self.deadline, tz).isoformat(),
            "apply": self.apply.to_json(),
            "source_url": self.source_url or None,
            "created_at": self.created_at,
            "published_at": self.published_at or None,
            "scheduled_for": self.scheduled_for or None,
        }


# -- context ------------------------------------------------------------------------------


def _services(services: Services | None) -> Services:
    return services if services is not None else current_services()


def current_reference() -> Reference:
    """The running app's reference data (the shipped one outside an app)."""
    if has_app_context():
        return current_app.extensions.get("baara.reference") or default_reference()
    return default_reference()


def app_places(ref: Reference) -> Places:
    """The fuzzy matcher for ref, built once per app (the shipped one outside an app)."""
    if has_app_context():
        ext = current_app.extensions
        if "baara.places" not in ext or ext["baara.places"].ref is not ref:
            ext["baara.places"] = Places(ref)
        return ext["baara.places"]
    return Places.default() if ref is default_reference() else Places(ref)


def timezone(config: Mapping[str, Any] | None = None) -> ZoneInfo:
    """TIMEZONE of this config (default: the running app's), as a ZoneInfo."""
    if config is None and has_app_context():
        config = current_app.config
    return ZoneInfo((config or {}).get("TIMEZONE") or "Africa/Bamako")


# -- validation ---------------------------------------------------------------------------


def _text(value: Any, name: str, max_len: int, errors: dict[str, str]) -> str:
    if not isinstance(value, str):
        errors[name] = "required, a text" if value is None else "must be a text"
        return ""
    cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()
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
        if _DATE_ONLY.fullmatch(text):
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
        found = _EMAIL.search(text)
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
    if given.get("email") and not _EMAIL.fullmatch(given["email"]):
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


# -- codes --------------------------------------------------------------------------------


def new_code(length: int) -> str:
    """A random code: 'J' + length digits from 2-9."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_DIGITS) for _ in range(length))


def normalize_code(code: str) -> str:
    """'j 482' -> 'J482'."""
    return re.sub(r"[\s\-.]", "", code or "").upper()


def claim_code(services: Services, job_id: str, expire_at: int) -> str:
    """A code nobody holds, reserved for this job."""
    for length in (3, 4, 5, 6):
        for _ in range(CODE_TRIES):
            code = new_code(length)
            if services.store.claim_job_code(code, job_id, expire_at):
                return code
    raise RuntimeError("no free job code")  # 8**6 codes all taken: something is very wrong


# -- lifecycle ----------------------------------------------------------------------------


def get_job(job_id: str, *, services: Services | None = None) -> Job | None:
    """The job with this id (or code), or None."""
    services = _services(services)
    job_id = str(job_id)
    if job_id[:1].upper() == CODE_PREFIX:
        found = services.store.job_id_for_code(normalize_code(job_id))
        if found is None:
            return None
        job_id = found
    data = services.store.load_jobs([job_id])[0]
    return Job.from_record(data) if data else None


def list_jobs(
    *, services: Services | None = None, offset: int = 0, limit: int = 50
) -> list[Job]:
    """Jobs, newest first."""
    services = _services(services)
    ids = services.store.job_ids(offset, limit)
    return [Job.from_record(d) for d in services.store.load_jobs(ids) if d]


def quiet_until(config: Mapping[str, Any], now: float) -> datetime | None:
    """When the quiet hours in progress end (aware UTC datetime), or None outside them."""
    quiet = config.get("QUIET_HOURS_PARSED")
    if not quiet:
        return None
    (h1, m1), (h2, m2) = quiet
    tz = timezone(config)
    local = datetime.fromtimestamp(now, tz)
    minutes = local.hour * 60 + local.minute
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        return None
    inside = start <= minutes < end if start < end else (minutes >= start or minutes < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), time(h2, m2), tz)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), time(h2, m2), tz)
    return ends.astimezone(UTC)


def _publish_problem(config: Mapping[str, Any], deadline: int, now: float) -> dict[str, str]:
    if deadline <= now:
        return {"deadline": "the deadline has passed: a job is never alerted after it"}
    ends = quiet_until(config, now)
    if ends is not None and deadline <= ends.timestamp():
        local = ends.astimezone(timezone(config)).strftime("%Hh%M")
        return {"deadline": f"passes before quiet hours end at {local}: nobody could be alerted"}
    return {}


def create_job(
    services: Services, payload: Any, created_by: str = "api", *, now: float | None = None
) -> tuple[Job | None, dict[str, str]]:
    """Validate, store as a draft, and publish when payload["publish"] is true."""
    store = services.store
    ref = current_reference()
    now = store.now() if now is None else now
    tz = timezone(services.config)
    draft, errors = validate(payload, ref, app_places(ref), tz, now=now)
    if draft is None:
        return None, errors
    wants_publish = payload.get("publish") is True
    if wants_publish and (problem := _publish_problem(services.config, draft.deadline, now)):
        return None, problem
    job_id = store.next_job_id()
    code = claim_code(services, job_id, draft.deadline + CODE_KEEP_AFTER_DEADLINE)
    stamp = int(now)
    job = Job(
        **{f.name: getattr(draft, f.name) for f in fields(JobDraft)},
        id=job_id, code=code, status=JobStatus.DRAFT, created_at=stamp, updated_at=stamp,
        created_by=created_by[:254],  # an e-mail address, whole: it decides who sees the job
    )
    try:
        for lang in ("fr", "bm"):
            alert_text(job, lang, reference=ref, tz=tz)
            info_text(job, lang, reference=ref, tz=tz)
    except TooLong:
        return None, {"title": f"too long to fit an SMS with the organization, places and "
                               f"deadline: shorten the title (the SMS shows at most "
                               f"{alert_texts.TITLE_CHARS} characters of it) or give a shorter "
                               f"organization_short"}
    store.save_job(job_id, job.to_record(), stamp)
    if wants_publish:
        return publish(services, job_id, now=now)
    store.set_alert_stat(job_id, "counted", match_count(services, draft, job_id))
    return job, {}


def schedule_at(
    services: Services, job: Job, at: int, *, now: int, allowed: Sequence[JobStatus]
) -> tuple[Job | None, dict[str, str]]:
    """Publish `job` later, at `at` (epoch seconds), through RQ's scheduler."""
    change = {"status": JobStatus.SCHEDULED.value, "scheduled_for": str(at),
              "updated_at": str(now)}
    if services.store.update_job(job.id, change, from_status=list(allowed)) is None:
        return get_job(job.id, services=services), {"status": "changed meanwhile, try again"}
    services.store.set_job_scheduled(job.id, at)
    services.queue("alerts").enqueue_at(
        datetime.fromtimestamp(at, UTC), enqueue.PUBLISH_SCHEDULED, job.id,
        job_id=f"publish-{job.id}-{at}",
    )
    return get_job(job.id, services=services), {}


def publish(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, dict[str, str]]:
    """Publish a job: alerts leave now, or when the quiet hours end; twice is harmless.

    Refused (with the field at fault) when the job is closed, cancelled or past its deadline.
    """

    store = services.store
    now = store.now() if now is None else now
    job = get_job(job_id, services=services)
    if job is None:
        return None, {"id": "no such job"}
    if job.status in FINAL:
        return job, {"status": f"a {job.status.value} job cannot be published"}
    if problem := _publish_problem(services.config, job.deadline, now):
        return job, problem
    stamp = int(now)
    ends = quiet_until(services.config, now)
    allowed = [JobStatus.DRAFT, JobStatus.SCHEDULED, JobStatus.PUBLISHED]
    if ends is not None:
        if job.status is JobStatus.PUBLISHED:
            # Already out: a second publish at night must not pull it back.
            enqueue.start_fanout(services, job.id)
            return job, {}
        return schedule_at(services, job, int(ends.timestamp()), now=stamp, allowed=allowed)
    change = {"status": JobStatus.PUBLISHED.value, "updated_at": str(stamp)}
    if not job.published_at:
        change["published_at"] = str(stamp)
    if store.update_job(job.id, change, from_status=allowed) is None:
        return get_job(job.id, services=services), {"status": "changed meanwhile, try again"}
    store.set_job_scheduled(job.id, None)
    published = get_job(job.id, services=services)
    assert published is not None
    store.set_job_open(job.id, published.published_at)
    store.set_alert_stat(job.id, "counted", match_count(services, published, job.id))
    enqueue.start_fanout(services, published.id)
    return get_job(job.id, services=services), {}


def _finish(
    services: Services, job_id: str, status: JobStatus, now: float | None
) -> tuple[Job | None, dict[str, str]]:
    store = services.store
    stamp = int(store.now() if now is None else now)
    job = get_job(job_id, services=services)
    if job is None:
        return None, {"id": "no such job"}
    if job.status in FINAL:
        if job.status is status:
            return job, {}
        return job, {"status": f"the job is already {job.status.value}"}
    allowed = [s for s in JobStatus if s not in FINAL]
    change = {"status": status.value, "closed_at": str(stamp), "updated_at": str(stamp)}
    if store.update_job(job.id, change, from_status=allowed) is None:
        return get_job(job.id, services=services), {"status": "changed meanwhile, try again"}
    store.set_job_open(job.id, None)
    store.set_job_scheduled(job.id, None)
    # Batches still queued see the status and stop; the sweeper drops the rest.
    return get_job(job.id, services=services), {}


def close(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, dict[str, str]]:
    """Stop taking applications and stop any sending still under way."""
    return _finish(services, job_id, JobStatus.CLOSED, now)


def cancel(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, dict[str, str]]:
    """Withdraw a posting: nothing more is sent for it."""
    return _finish(services, job_id, JobStatus.CANCELLED, now)


# -- what subscribers see -----------------------------------------------------------------


def find_open_job(code: str, *, services: Services | None = None) -> Job | None:
    """The open job with this code (any case, spaces ignored), or None."""
    services = _services(services)
    code = normalize_code(code)
    if not re.fullmatch(rf"{CODE_PREFIX}[{CODE_DIGITS}]{{3,6}}", code):
        return None
    job_id = services.store.job_id_for_code(code)
    if job_id is None:
        return None
    job = get_job(job_id, services=services)
    if job is None or job.code != code or not job.is_open(services.store.now()):
        return None
    return job


def open_jobs_for(
    subscriber: Subscriber, limit: int = 5, *, services: Services | None = None
) -> list[Job]:
    """Open jobs matching any of the subscriber's subscriptions, newest first."""
    services = _services(services)
    store = services.store
    ref = current_reference()
    now = store.now()
    found: list[Job] = []
    ids = store.open_job_ids()
    for job_id, data in zip(ids, store.load_jobs(ids), strict=True):
        job = Job.from_record(data) if data else None
        if job is None or not job.is_open(now):
            if job is None or job.status is not JobStatus.PUBLISHED or job.deadline <= now:
                store.set_job_open(job_id, None)  # tidy as we go: the list stays short
            continue
        if any(job.covers(s, ref) for s in subscriber.subscriptions):
            found.append(job)
            if len(found) >= limit:
                break
    return found


def offer_item(
    job: Job, lang: str, *, reference: Reference | None = None,
    subscriptions: Sequence[Subscription] = (),
) -> str:
    """'J482 Mobilisateur communautaire, Niono, Macina': one line of an OFFRES reply.

    The title is the alert's; the person's own district comes first among the job's places.
    """
    ref = reference or current_reference()
    places = job.place_names_for(subscriptions, ref)
    return alert_texts.offer_item(job.code, job.title, places, lang)


def format_deadline(job: JobDraft, tz: ZoneInfo, *, year: bool = True) -> str:
    """'16/06/2025 17h00', or '16/06/2025' for a whole day (plain ASCII, for SMS).

    Without the year ('16/06 17h00') when an alert needs the room: deadlines are at most a year
    ahead, so day and month say which day it is.
    """
    local = datetime.fromtimestamp(job.deadline, tz)
    day = local.strftime("%d/%m/%Y" if year else "%d/%m")
    return day if not job.deadline_has_time else f"{day} {local.strftime('%Hh%M')}"


def alert_text(
    job: Job, lang: str, *, reference: Reference | None = None, tz: ZoneInfo | None = None
) -> str:
    """The alert: one GSM-7 segment in the subscriber's language."""
    ref = reference or current_reference()
    tz = tz or timezone()
    return alert_texts.job_alert(
        lang,
        code=job.code,
        title=job.title,
        organization=job.sms_organization,
        places=job.place_names(ref),
        deadline=format_deadline(job, tz),
        deadline_short=format_deadline(job, tz, year=False),
        apply=job.apply.short(),
    )


def info_text(
    job: Job, lang: str, *, reference: Reference | None = None, tz: ZoneInfo | None = None
) -> str:
    """INFO <code>: the details, in at most two segments."""
    ref = reference or current_reference()
    return alert_texts.job_info(
        lang,
        code=job.code,
        title=job.title,
        organization=job.organization,
        short_name=job.short_name,
        places=job.place_names(ref),
        positions=job.positions,
        deadline=format_deadline(job, tz or timezone()),
        apply=job.apply.full(),
    )


# -- figures ------------------------------------------------------------------------------


def job_stats(services: Services, job_id: str) -> dict[str, Any]:
    """Where every alert of a job is: matched, queued, sent, delivered, failed, cost...

    matched: people planned (before planning: those matching at publication); queued: planned
    with no outcome yet (before planning: all those matching, once published); sent: accepted
    by the gateway (delivered ones included); delivered: confirmed by a delivery report;
    failed: refused by the gateway or reported failed; skipped: stopped before their turn, or
    the job closed, cancelled or expired meanwhile. cost is in SMS_CURRENCY.
    """
    job = get_job(job_id, services=services)
    if job is None:
        raise KeyError(job_id)
    raw = services.store.alert_stats(job.id)

    def num(name: str) -> int:
        return int(float(raw.get(name) or 0))

    people = num("people")
    if people:
        matched, queued = people, num("queued")
    else:
        matched = num("counted")
        waiting = job.status in (JobStatus.SCHEDULED, JobStatus.PUBLISHED)
        queued = matched if waiting else 0
    reasons = {k[2:]: int(v) for k, v in raw.items() if k.startswith("r:")}
    skipped = {k[2:]: int(v) for k, v in raw.items() if k.startswith("x:")}
    return {
        "status": job.status.value,
        "code": job.code,
        "title": job.title,
        "matched": matched,
        "queued": max(0, queued),
        "sent": num("sent"),
        "delivered": num("delivered"),
        "failed": num("failed"),
        "segments": num("segments"),
        "cost": round(float(raw.get("cost") or 0), 2),
        "failures_by_reason": reasons,
        "skipped": sum(skipped.values()),
    }


def record_delivery(services: Services, ref: str, status: Any, reason: str = "") -> bool:
    """Apply a delivery report to the alert `ref` ('alert:{job_id}:{phone}'); True if it changed.

    `status` is a gateway Status or AT's word ('Success', 'Failed'...). Only the first final
    report counts: repeats and late, out-of-order reports change nothing.
    """

    kind, _, rest = ref.partition(":")
    job_id, _, phone = rest.partition(":")
    if kind != "alert" or not job_id or not phone:
        return False
    if not isinstance(status, Status):
        status = delivery_status(str(status))
    if status is Status.DELIVERED:
        outcome = "d"
    elif status is Status.FAILED:
        outcome = "f"
    else:
        return False  # Sent, Submitted, Buffered: nothing new
    reason = re.sub(r"[^A-Za-z0-9_]", "", reason or "")[:40] or "DeliveryFailed"
    return services.store.record_alert_delivery(job_id, phone, outcome, reason)


def match_count(services: Services, job: JobDraft, job_id: str) -> int:
    """How many active subscribers the job reaches right now."""
    places = job.match_places(current_reference())
    return services.store.count_matches(job_id, places, job.category)
