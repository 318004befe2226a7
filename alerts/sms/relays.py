"""Community relays: enrolling others only with their own yes, and the weekly digest.

A relay asks Baara to sign someone up; Baara asks that person (in French and Bamanankan) and
does nothing else with the number until they answer yes. The request lapses after 72 hours. A
no or a STOP is final for that relay; a stopped number is never asked; a relay may open at most
RELAY_DAILY_LIMIT requests a day.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rq.exceptions import DuplicateJobError

from alerts.domain.errors import ErrorCode, FieldError
from alerts.domain.phones import local_form, try_normalize
from alerts.domain.places import Places
from alerts.domain.subscribers import Language, Source, Subscriber, Subscription
from alerts.jobs import lifecycle as jobs
from alerts.sending.enqueue import RELAY_DIGEST
from alerts.sms.subscriptions import covering, describe
from alerts.store import Store
from config.reference import District, Reference, Region, default_reference
from messages import relay as texts
from messages import sms as sms_texts

CONSENT_TTL = 72 * 3600
RELAY_DAILY_LIMIT = 20


class RelayStatus(StrEnum):
    """A relay is pending until an admin approves it."""

    PENDING = "pending"
    APPROVED = "approved"


class Enrollment(StrEnum):
    """What became of a relay's request to enroll a number."""

    ASKED = "asked"
    NOT_RELAY = "not_relay"
    BAD_PHONE = "bad_phone"
    QUOTA = "quota"
    CANNOT = "cannot"  # stopped, refused this relay before, or the relay itself
    PENDING = "pending"
    ALREADY = "already"


@dataclass
class Outbound:
    """SMS to queue: (phone, text, force)."""

    messages: list[tuple[str, str, bool]] = field(default_factory=list)

    def add(self, phone: str, text: str, force: bool = False) -> None:
        """Queue one SMS."""
        self.messages.append((phone, text, force))


#: Most places one relay may cover (a region counts as one name).
MAX_RELAY_PLACES = 100


def resolve_places(
    names: object, ref: Reference, places: Places
) -> tuple[list[str], FieldError | None]:
    """District slugs from names, slugs or whole regions (pure); or the error, as data."""
    if not isinstance(names, list) or not names:
        return [], FieldError("districts", ErrorCode.NO_PLACES)
    if len(names) > MAX_RELAY_PLACES:
        return [], FieldError("districts", ErrorCode.TOO_MANY_PLACES, {"max": MAX_RELAY_PLACES})
    slugs: list[str] = []
    for name in names:
        place = places.resolve_place(name) if isinstance(name, str) and len(name) < 100 else None
        if isinstance(place, District):
            slugs.append(place.slug)
        elif isinstance(place, Region):
            slugs.extend(d.slug for d in ref.districts_in(place.slug))
        else:
            return [], FieldError("districts", ErrorCode.UNKNOWN_PLACE, {"names": str(name)[:60]})
    return list(dict.fromkeys(slugs)), None


def _whats(subs: Sequence[Subscription], lang: Language, ref: Reference) -> list[str]:
    return describe(subs, lang, ref) or [""]


def relay_label(record: dict | None, phone: str) -> str:
    """The relay as the people it enrolls know it: 'Awa Traoré (75 22 87 88)' or the number."""
    name = (record or {}).get("name", "").strip()
    number = local_form(phone)
    return f"{name} ({number})" if name else number


def _relay_lang(store: Store, relay: str) -> Language:
    sub = store.get_subscriber(relay)
    return sub.language if sub else Language.FR


def _covered(
    existing: Sequence[Subscription], wanted: Sequence[Subscription], ref: Reference
) -> bool:
    have = set(existing)
    return all(w in have or covering(existing, w, ref) is not None for w in wanted)


def request_relay(store: Store, ref: Reference, phone: str, districts: Sequence[str]) -> Outbound:
    """RELAIS <district>: a number asks to become a relay; an admin approves it later."""
    out = Outbound()
    current = store.get_relay(phone)
    status = current["status"] if current else RelayStatus.PENDING.value
    merged = list(dict.fromkeys([*(current or {}).get("districts", []), *districts]))
    store.put_relay(phone, merged, status=status)
    lang = _relay_lang(store, phone)
    subs = [Subscription(district=d) for d in merged]
    out.add(phone, texts.with_what(texts.RELAY_REQUESTED, lang.value, _whats(subs, lang, ref)))
    return out


def enroll(
    store: Store,
    ref: Reference,
    relay: str,
    target_raw: str,
    wanted: Sequence[Subscription],
    *,
    today: str,
) -> tuple[Enrollment, Outbound]:
    """A relay's INSCRIRE <phone> <district> [category]: ask that person for consent."""
    out = Outbound()
    lang = _relay_lang(store, relay)
    record = store.get_relay(relay)
    if not record or record["status"] != RelayStatus.APPROVED:
        out.add(relay, texts.simple(texts.RELAY_NOT_RELAY, lang.value))
        return Enrollment.NOT_RELAY, out
    target = try_normalize(target_raw)
    if target is None:
        out.add(relay, texts.simple(texts.RELAY_BAD_PHONE, lang.value))
        return Enrollment.BAD_PHONE, out
    shown = local_form(target)
    existing = store.get_subscriber(target)
    if (
        target == relay
        or store.has_refused(relay, target)
        or (existing is not None and not existing.active)
    ):
        out.add(relay, texts.simple(texts.RELAY_CANNOT, lang.value, phone=shown))
        return Enrollment.CANNOT, out
    if (
        existing is not None
        and existing.subscriptions
        and _covered(existing.subscriptions, wanted, ref)
    ):
        out.add(relay, texts.simple(texts.RELAY_ALREADY, lang.value, phone=shown))
        return Enrollment.ALREADY, out
    if store.get_consent(target):
        out.add(relay, texts.simple(texts.RELAY_PENDING, lang.value, phone=shown))
        return Enrollment.PENDING, out
    if not store.take_relay_quota(relay, today, RELAY_DAILY_LIMIT):
        out.add(relay, texts.simple(texts.RELAY_QUOTA, lang.value, limit=RELAY_DAILY_LIMIT))
        return Enrollment.QUOTA, out
    request = {
        "id": uuid.uuid4().hex[:12],
        "relay": relay,
        "subs": ",".join(s.code for s in wanted),
        "created": store.now(),
        "status": "pending",
    }
    if not store.open_consent(target, request, CONSENT_TTL + 24 * 3600):
        out.add(relay, texts.simple(texts.RELAY_PENDING, lang.value, phone=shown))
        return Enrollment.PENDING, out
    store.count_relay(relay, "asked")
    question = texts.consent_request(
        list(dict.fromkeys((relay_label(record, relay), local_form(relay)))),
        _whats(wanted, Language.FR, ref),
        _whats(wanted, Language.BM, ref),
    )
    out.add(target, question, True)
    out.add(relay, texts.simple(texts.RELAY_ASKED, lang.value, phone=shown))
    return Enrollment.ASKED, out


def pending_request(store: Store, phone: str) -> dict | None:
    """The consent request waiting for this number's answer, if still open."""
    request = store.get_consent(phone)
    if not request:
        return None
    return request


def is_open(request: dict, now: int) -> bool:
    """Whether a consent request can still be answered."""
    return request.get("status") == "pending" and now - int(request["created"]) < CONSENT_TTL


def answer(
    store: Store, ref: Reference, phone: str, request: dict, *, yes: bool, language: Language
) -> Outbound:
    """The person answered a relay's request: subscribe on yes; tell the relay either way."""
    out = Outbound()
    closed = store.close_consent(phone, request["id"])
    if closed is None:
        return out
    relay = closed["relay"]
    relay_lang = _relay_lang(store, relay)
    wanted = [Subscription.from_code(c) for c in closed["subs"].split(",") if c]
    if yes:
        store.subscribe(phone, wanted, language=language, source=Source.RELAY)
        store.count_relay(relay, "enrolled")
        out.add(phone, sms_texts.subscribed(language.value, _whats(wanted, language, ref)))
        msg = texts.with_what(
            texts.RELAY_ACCEPTED,
            relay_lang.value,
            _whats(wanted, relay_lang, ref),
            phone=local_form(phone),
        )
        out.add(relay, msg)
    else:
        store.mark_refused(relay, phone)
        store.count_relay(relay, "refused")
        # One short acknowledgement, then nothing more on this relay's behalf.
        out.add(phone, texts.simple(texts.CONSENT_DECLINED, language.value))
        out.add(relay, texts.simple(texts.RELAY_REFUSED, relay_lang.value, phone=local_form(phone)))
    return out


def who_asks(store: Store, request: dict, language: Language) -> str:
    """The answer to "c'est qui ?" from a person a relay wants to sign up."""
    relay = request.get("relay", "")
    labels = dict.fromkeys((relay_label(store.get_relay(relay), relay), local_form(relay)))
    return texts.consent_who(list(labels), language.value)


def expire(store: Store, phone: str, request_id: str) -> Outbound:
    """72 hours passed without an answer: close the request, tell the relay only."""
    out = Outbound()
    request = store.get_consent(phone)
    if not request or request.get("id") != request_id or request.get("status") != "pending":
        return out
    relay = request["relay"]
    # Keep a closed marker for a day so a late OUI gets an explanation, not a subscription.
    store.set_consent_status(phone, "expired")
    store.count_relay(relay, "expired")
    lang = _relay_lang(store, relay)
    out.add(relay, texts.simple(texts.RELAY_EXPIRED, lang.value, phone=local_form(phone)))
    return out


def late_answer(language: Language) -> str:
    """The reply to an answer that came after the request lapsed."""
    return texts.simple(texts.CONSENT_LATE, language.value)


def approve(
    store: Store, ref: Reference, phone: str, districts: Sequence[str], name: str | None = None
) -> Outbound:
    """Make a number a relay for these districts (admin page and API); name it if given."""
    out = Outbound()
    was = store.get_relay(phone)
    store.put_relay(phone, list(districts), status=RelayStatus.APPROVED.value, name=name)
    if not was or was["status"] != RelayStatus.APPROVED:
        lang = _relay_lang(store, phone)
        subs = [Subscription(district=d) for d in districts]
        out.add(phone, texts.with_what(texts.RELAY_APPROVED, lang.value, _whats(subs, lang, ref)))
    return out


def next_digest_time(now: datetime, weekday: int, hour: int, minute: int, tz: str) -> datetime:
    """The next weekly digest moment after now (aware, in UTC)."""
    local = now.astimezone(ZoneInfo(tz))
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    candidate += timedelta(days=(weekday - local.weekday()) % 7)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate.astimezone(ZoneInfo("UTC"))


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def digest_text(store: Store, ref: Reference, relay: dict, lang: Language, jobs_open) -> str | None:
    """The weekly digest for one relay, or None when its districts have no open job."""
    if not jobs_open:
        return None
    # The alert's own title, so the relay can pass on the same words people will receive.
    items = [f"{job.code} {job.display_title}" for job in jobs_open]
    whats = _whats([Subscription(district=d) for d in relay["districts"]], lang, ref)
    return texts.digest(lang.value, whats, items)


def digests(services) -> list[tuple[str, str]]:
    """(phone, text) for every approved relay with open jobs in its districts."""

    store = services.store
    ref = default_reference()
    out = []
    for relay in store.relays():
        if relay["status"] != RelayStatus.APPROVED or not relay["districts"]:
            continue
        lang = _relay_lang(store, relay["phone"])
        probe = Subscriber(
            phone=relay["phone"],
            subscriptions=tuple(Subscription(district=d) for d in relay["districts"]),
        )
        found = jobs.open_jobs_for(probe, limit=10, services=services)
        text = digest_text(store, ref, relay, lang, found)
        if text:
            out.append((relay["phone"], text))
    return out


def parse_schedule(value: str) -> tuple[int, int, int]:
    """'mon 09:00' -> (0, 9, 0)."""
    day, _, clock = value.strip().lower().partition(" ")
    hour, _, minute = clock.partition(":")
    return DAYS.index(day[:3]), int(hour), int(minute or 0)


def schedule_digest(services, *, after_run: bool = False) -> datetime:
    """Make sure the next weekly digest is scheduled (idempotent: one job id per week)."""

    settings = services.settings
    weekday, hour, minute = parse_schedule(settings.relay_digest)
    now = datetime.fromtimestamp(services.store.now(), ZoneInfo("UTC"))
    if after_run:
        now += timedelta(minutes=1)
    when = next_digest_time(now, weekday, hour, minute, settings.timezone)
    job_id = f"relay-digest-{when:%Y%m%d%H%M}"
    queue = services.queue("default")

    # RQ's unique scheduling checks and schedules in one script: two workers finishing the
    # same digest at once cannot both schedule the next (a check, then a schedule, could).
    with contextlib.suppress(DuplicateJobError):
        queue.enqueue_at(when, RELAY_DIGEST, job_id=job_id, unique=True)
    return when
