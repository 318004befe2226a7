"""Job postings: the model (statuses, how to apply, draft and stored job), its limits, reading a
job back, and the app context jobs are read in (reference data, time zone)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from alerts.domain.places import Places
from alerts.domain.subscribers import MatchPlace, Subscription
from alerts.services import Services, current_services, current_settings
from config.organizations import MAX_SHORT, default_organizations
from config.reference import Reference, default_reference
from config.settings import Settings
from messages import alert as alert_texts

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

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
SPACES = re.compile(r"\s+")


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
        own = {
            ref.districts[d].name
            for d in self.districts
            if d in ref.districts and (d in own_districts or ref.districts[d].region in own_regions)
        }
        # A whole-region posting is "own" for someone subscribed to one of its districts too.
        around = own_regions | {
            ref.districts[d].region for d in own_districts if d in ref.districts
        }
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


def services_or_current(services: Services | None) -> Services:
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


def timezone(settings: Settings | None = None) -> ZoneInfo:
    """TIMEZONE of these settings (default: the running app's, else the defaults'), a ZoneInfo."""
    if settings is None:
        settings = current_settings() if has_app_context() else Settings()
    return settings.zone


def normalize_code(code: str) -> str:
    """'j 482' -> 'J482'."""
    return re.sub(r"[\s\-.]", "", code or "").upper()


def get_job(job_id: str, *, services: Services | None = None) -> Job | None:
    """The job with this id (or code), or None."""
    services = services_or_current(services)
    job_id = str(job_id)
    if job_id[:1].upper() == CODE_PREFIX:
        found = services.store.job_id_for_code(normalize_code(job_id))
        if found is None:
            return None
        job_id = found
    data = services.store.load_jobs([job_id])[0]
    return Job.from_record(data) if data else None
