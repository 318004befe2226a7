"""A job's page in the admin: who may see it, scheduling, the progress bar and the timeline."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort
from flask_babel import gettext as _

from alerts.domain.errors import ErrorCode, FieldError, FieldErrors
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import FINAL, Job, JobStatus
from alerts.services import Services, current_services, current_settings
from alerts.web.admin.core import current_account, local_time, number, store
from alerts.web.admin.job_preview import (
    STATUS_LABELS,
    reason_label,
)
from messages.catalog import N_

# -- permissions ---------------------------------------------------------------------------


def owner_tag(email: str) -> str:
    """What a job's created_by holds for a web account: its whole e-mail address."""
    return email


def can_see(job: Job) -> bool:
    """Admins see every job, posters their own."""
    account = current_account()
    return account is not None and (account.is_admin or job.created_by == owner_tag(account.email))


def _job_or_404(job_id: str) -> Job:
    job = jobs.get_job(job_id, services=current_services())
    if job is None or not can_see(job):
        abort(404)
    return job


# -- scheduling ----------------------------------------------------------------------------


#: A time in the current minute (the earliest the picker offers) is still "now or later".
SCHEDULE_GRACE = 60


def schedule_problem(at: int | None, now: float, deadline: int | None) -> FieldError | None:
    """Why `schedule_at` cannot be `at` (epoch seconds), or None when it can be done."""
    if at is None:
        return FieldError("schedule_at", ErrorCode.SCHEDULE_MISSING)
    if at < now - SCHEDULE_GRACE:
        return FieldError("schedule_at", ErrorCode.SCHEDULE_PAST)
    if deadline is not None and at >= deadline:
        return FieldError("schedule_at", ErrorCode.SCHEDULE_AFTER_DEADLINE)
    return None


def schedule(
    services: Services, job_id: str, at: int | None, now: float | None = None
) -> tuple[Job | None, FieldErrors]:
    """Publish a draft later, at `at` (epoch seconds): the same path quiet hours take."""
    store_ = services.store
    now = store_.now() if now is None else now
    job = jobs.get_job(job_id, services=services)
    if job is None:
        return None, {"id": FieldError("id", ErrorCode.NO_SUCH_JOB)}
    if job.status not in (JobStatus.DRAFT, JobStatus.SCHEDULED):
        return job, {"schedule_at": FieldError("schedule_at", ErrorCode.SCHEDULE_NOT_DRAFT)}
    if problem := schedule_problem(at, now, job.deadline):
        return job, {"schedule_at": problem}
    assert at is not None
    return jobs.schedule_at(
        services,
        job,
        max(at, int(now)),
        now=int(now),
        allowed=[JobStatus.DRAFT, JobStatus.SCHEDULED],
    )


def schedule_min(tz: ZoneInfo, now: float) -> str:
    """The earliest moment the picker offers: this minute, local time."""
    return datetime.fromtimestamp(now, tz).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str, tz: ZoneInfo) -> int | None:
    """'2025-06-16T09:00' in the configured time zone -> epoch seconds (None if unreadable)."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


# -- progress ------------------------------------------------------------------------------


def progress(job: Job, stats: dict[str, Any]) -> dict[str, Any]:
    """The fan-out as the progress bar draws it: queued, sent, delivered, failed, skipped."""
    matched = int(stats.get("matched", 0))
    queued = int(stats.get("queued", 0))
    sent = int(stats.get("sent", 0))
    delivered = int(stats.get("delivered", 0))
    failed = int(stats.get("failed", 0))
    skipped = int(stats.get("skipped", 0))
    started = bool(queued or sent or failed or skipped)
    handled = max(matched - queued, 0) if started else 0
    send_failed = max(handled - sent - skipped, 0)
    report_failed = max(failed - send_failed, 0)
    awaiting = max(sent - delivered - report_failed, 0)
    waiting = max(matched - handled, 0)
    status = JobStatus(stats.get("status", job.status))
    done = status in FINAL or (
        status is JobStatus.PUBLISHED and (matched == 0 or (started and queued == 0))
    )
    # Nobody to reach: the bar is full once the job is out, empty before.
    percent = math.floor(100 * handled / matched) if matched else (100 if done else 0)

    def share(n: int) -> float:
        return round(100 * n / matched, 2) if matched else 0.0

    reasons = sorted(stats.get("failures_by_reason", {}).items(), key=lambda kv: -kv[1])
    currency = current_settings().sms_currency
    return {
        "status": status.value,
        "status_label": _(STATUS_LABELS.get(status, status.value)),
        "matched": matched,
        "handled": handled,
        "queued": waiting,
        "sent": sent,
        "awaiting": awaiting,
        "delivered": delivered,
        "failed": failed,
        "skipped": skipped,
        "percent": percent,
        "done": done,
        "parts": [
            {"key": "delivered", "width": share(delivered)},
            {"key": "sent", "width": share(awaiting)},
            {"key": "failed", "width": share(failed)},
            {"key": "skipped", "width": share(skipped)},
        ],
        "reasons": [{"reason": r, "label": reason_label(r), "count": n} for r, n in reasons],
        "segments": int(stats.get("segments", 0)),
        "cost": float(stats.get("cost", 0) or 0),
        "cost_text": f"{number(float(stats.get('cost', 0) or 0))} {currency}",
        "delivery_rate": round(100 * delivered / sent) if sent else None,
    }


#: The steps of a job's sending, in order: the stats field (or job attribute) holding its time.
TIMELINE = (
    ("created", N_("Créée")),
    ("published", N_("Publiée : alertes en file")),
    ("first_sent_at", N_("Premier SMS accepté par la passerelle")),
    ("last_sent_at", N_("Dernier SMS accepté par la passerelle")),
    ("first_report_at", N_("Premier rapport de remise")),
    ("last_report_at", N_("Dernier rapport de remise")),
)


def timeline(job: Job) -> list[dict[str, str]]:
    """The sending history with times (steps not reached yet are left out)."""
    raw = store().alert_stats(job.id)
    times = {
        "created": job.created_at,
        "published": job.published_at or None,
        **{k: raw.get(k) for k, _label in TIMELINE[2:]},
    }
    steps = []
    for key, label in TIMELINE:
        at = times.get(key)
        if at in (None, "", 0, "0"):
            continue
        if key == "last_sent_at" and at == times.get("first_sent_at"):
            continue
        if key == "last_report_at" and at == times.get("first_report_at"):
            continue
        steps.append(
            {"key": key, "label": _(label), "at": local_time(float(at), "%d/%m/%Y %H:%M:%S")}
        )
    return steps
