"""Job postings: codes, publication, scheduling, closing and the figures of their alerts.

The model is in `model.py`, validation in `validation.py`, what subscribers see in `texts.py`;
their public names are re-exported here, so `jobs.X` reaches every job rule.

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

import secrets
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, time, timedelta
from typing import Any

from alerts.domain.errors import ErrorCode, FieldError, FieldErrors
from alerts.jobs.model import (
    CODE_DIGITS,
    CODE_KEEP_AFTER_DEADLINE,
    CODE_PREFIX,
    CODE_TRIES,
    CONTROL,
    DATE_ONLY,
    EMAIL,
    FINAL,
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
    Job,
    JobDraft,
    JobStatus,
    app_places,
    current_reference,
    get_job,
    normalize_code,
    services_or_current,
    timezone,
)
from alerts.jobs.stats import job_stats, record_delivery
from alerts.jobs.texts import (
    alert_text,
    find_open_job,
    format_deadline,
    info_text,
    offer_item,
    open_jobs_for,
)
from alerts.jobs.validation import (
    parse_deadline,
    validate,
)
from alerts.sending import enqueue
from alerts.services import Services
from config.settings import Settings
from messages import alert as alert_texts
from messages.compose import TooLong

__all__ = [
    "Apply",
    "CODE_DIGITS",
    "CODE_KEEP_AFTER_DEADLINE",
    "CODE_PREFIX",
    "CODE_TRIES",
    "CONTROL",
    "DATE_ONLY",
    "EMAIL",
    "FINAL",
    "Job",
    "JobDraft",
    "JobStatus",
    "MAX_APPLY_FIELD",
    "MAX_DEADLINE_AHEAD",
    "MAX_ORGANIZATION",
    "MAX_ORGANIZATION_SHORT",
    "MAX_PLACES",
    "MAX_POSITIONS",
    "MAX_TITLE",
    "MAX_URL",
    "SPACES",
    "_finish",
    "_publish_problem",
    "alert_text",
    "app_places",
    "cancel",
    "claim_code",
    "close",
    "create_job",
    "current_reference",
    "find_open_job",
    "format_deadline",
    "get_job",
    "info_text",
    "job_stats",
    "list_jobs",
    "match_count",
    "new_code",
    "normalize_code",
    "offer_item",
    "open_jobs_for",
    "parse_deadline",
    "publish",
    "quiet_until",
    "record_delivery",
    "schedule_at",
    "services_or_current",
    "timezone",
    "validate",
]


# -- codes --------------------------------------------------------------------------------


def new_code(length: int) -> str:
    """A random code: 'J' + length digits from 2-9."""
    return CODE_PREFIX + "".join(secrets.choice(CODE_DIGITS) for _ in range(length))


def claim_code(services: Services, job_id: str, expire_at: int) -> str:
    """A code nobody holds, reserved for this job."""
    for length in (3, 4, 5, 6):
        for _ in range(CODE_TRIES):
            code = new_code(length)
            if services.store.claim_job_code(code, job_id, expire_at):
                return code
    raise RuntimeError("no free job code")  # 8**6 codes all taken: something is very wrong


# -- lifecycle ----------------------------------------------------------------------------


def list_jobs(*, services: Services | None = None, offset: int = 0, limit: int = 50) -> list[Job]:
    """Jobs, newest first."""
    services = services_or_current(services)
    ids = services.store.job_ids(offset, limit)
    return [Job.from_record(d) for d in services.store.load_jobs(ids) if d]


def quiet_until(settings: Settings, now: float) -> datetime | None:
    """When the quiet hours in progress end (aware UTC datetime), or None outside them."""
    quiet = settings.quiet_hours_parsed
    if not quiet:
        return None
    (h1, m1), (h2, m2) = quiet
    tz = settings.zone
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


_CHANGED: FieldErrors = {"status": FieldError("status", ErrorCode.CHANGED_MEANWHILE)}
_NO_SUCH_JOB: FieldErrors = {"id": FieldError("id", ErrorCode.NO_SUCH_JOB)}


def _publish_problem(settings: Settings, deadline: int, now: float) -> FieldErrors:
    if deadline <= now:
        return {"deadline": FieldError("deadline", ErrorCode.DEADLINE_PASSED)}
    ends = quiet_until(settings, now)
    if ends is not None and deadline <= ends.timestamp():
        local = ends.astimezone(settings.zone).strftime("%Hh%M")
        return {
            "deadline": FieldError("deadline", ErrorCode.DEADLINE_IN_QUIET_HOURS, {"end": local})
        }
    return {}


def create_job(
    services: Services, payload: Any, created_by: str = "api", *, now: float | None = None
) -> tuple[Job | None, FieldErrors]:
    """Validate, store as a draft, and publish when payload["publish"] is true."""
    store = services.store
    ref = current_reference()
    now = store.now() if now is None else now
    tz = services.settings.zone
    draft, errors = validate(payload, ref, app_places(ref), tz, now=now)
    if draft is None:
        return None, errors
    wants_publish = payload.get("publish") is True
    if wants_publish and (problem := _publish_problem(services.settings, draft.deadline, now)):
        return None, problem
    job_id = store.next_job_id()
    code = claim_code(services, job_id, draft.deadline + CODE_KEEP_AFTER_DEADLINE)
    stamp = int(now)
    job = Job(
        **{f.name: getattr(draft, f.name) for f in fields(JobDraft)},
        id=job_id,
        code=code,
        status=JobStatus.DRAFT,
        created_at=stamp,
        updated_at=stamp,
        created_by=created_by[:254],  # an e-mail address, whole: it decides who sees the job
    )
    try:
        for lang in ("fr", "bm"):
            alert_text(job, lang, reference=ref, tz=tz)
            info_text(job, lang, reference=ref, tz=tz)
    except TooLong:
        return None, {
            "title": FieldError(
                "title", ErrorCode.TOO_LONG_FOR_SMS, {"chars": alert_texts.TITLE_CHARS}
            )
        }
    store.save_job(job_id, job.to_record(), stamp)
    if wants_publish:
        return publish(services, job_id, now=now)
    store.set_alert_stat(job_id, "counted", match_count(services, draft, job_id))
    return job, {}


def schedule_at(
    services: Services, job: Job, at: int, *, now: int, allowed: Sequence[JobStatus]
) -> tuple[Job | None, FieldErrors]:
    """Publish `job` later, at `at` (epoch seconds), through RQ's scheduler."""
    change = {"status": JobStatus.SCHEDULED.value, "scheduled_for": str(at), "updated_at": str(now)}
    if services.store.update_job(job.id, change, from_status=list(allowed)) is None:
        return get_job(job.id, services=services), dict(_CHANGED)
    services.store.set_job_scheduled(job.id, at)
    services.queue("alerts").enqueue_at(
        datetime.fromtimestamp(at, UTC),
        enqueue.PUBLISH_SCHEDULED,
        job.id,
        job_id=f"publish-{job.id}-{at}",
    )
    return get_job(job.id, services=services), {}


def publish(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, FieldErrors]:
    """Publish a job: alerts leave now, or when the quiet hours end; twice is harmless.

    Refused (with the field at fault) when the job is closed, cancelled or past its deadline.
    """

    store = services.store
    now = store.now() if now is None else now
    job = get_job(job_id, services=services)
    if job is None:
        return None, dict(_NO_SUCH_JOB)
    if job.status in FINAL:
        return job, {
            "status": FieldError("status", ErrorCode.CANNOT_PUBLISH, {"status": job.status.value})
        }
    if problem := _publish_problem(services.settings, job.deadline, now):
        return job, problem
    stamp = int(now)
    ends = quiet_until(services.settings, now)
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
        return get_job(job.id, services=services), dict(_CHANGED)
    store.set_job_scheduled(job.id, None)
    published = get_job(job.id, services=services)
    assert published is not None
    store.set_job_open(job.id, published.published_at)
    store.set_alert_stat(job.id, "counted", match_count(services, published, job.id))
    enqueue.start_fanout(services, published.id)
    return get_job(job.id, services=services), {}


def _finish(
    services: Services, job_id: str, status: JobStatus, now: float | None
) -> tuple[Job | None, FieldErrors]:
    store = services.store
    stamp = int(store.now() if now is None else now)
    job = get_job(job_id, services=services)
    if job is None:
        return None, dict(_NO_SUCH_JOB)
    if job.status in FINAL:
        if job.status is status:
            return job, {}
        return job, {
            "status": FieldError("status", ErrorCode.ALREADY_FINAL, {"status": job.status.value})
        }
    allowed = [s for s in JobStatus if s not in FINAL]
    change = {"status": status.value, "closed_at": str(stamp), "updated_at": str(stamp)}
    if store.update_job(job.id, change, from_status=allowed) is None:
        return get_job(job.id, services=services), dict(_CHANGED)
    store.set_job_open(job.id, None)
    store.set_job_scheduled(job.id, None)
    # Batches still queued see the status and stop; the sweeper drops the rest.
    return get_job(job.id, services=services), {}


def close(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, FieldErrors]:
    """Stop taking applications and stop any sending still under way."""
    return _finish(services, job_id, JobStatus.CLOSED, now)


def cancel(
    services: Services, job_id: str, *, now: float | None = None
) -> tuple[Job | None, FieldErrors]:
    """Withdraw a posting: nothing more is sent for it."""
    return _finish(services, job_id, JobStatus.CANCELLED, now)


# -- figures ------------------------------------------------------------------------------


def match_count(services: Services, job: JobDraft, job_id: str) -> int:
    """How many active subscribers the job reaches right now."""
    places = job.match_places(current_reference())
    return services.store.count_matches(job_id, places, job.category)
