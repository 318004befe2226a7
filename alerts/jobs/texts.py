"""What subscribers see of a job: finding an open job by code, OFFRES lines, the alert and INFO."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from alerts.domain.subscribers import Subscriber, Subscription
from alerts.jobs.model import (
    CODE_DIGITS,
    CODE_PREFIX,
    Job,
    JobDraft,
    JobStatus,
    current_reference,
    get_job,
    normalize_code,
    services_or_current,
    timezone,
)
from alerts.services import Services
from config.reference import Reference
from messages import alert as alert_texts

# -- what subscribers see -----------------------------------------------------------------


def find_open_job(code: str, *, services: Services | None = None) -> Job | None:
    """The open job with this code (any case, spaces ignored), or None."""
    services = services_or_current(services)
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
    services = services_or_current(services)
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
    job: Job,
    lang: str,
    *,
    reference: Reference | None = None,
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
