"""Where a job's alerts are: its figures, and the delivery reports that move them."""

from __future__ import annotations

import re
from typing import Any

from alerts.gateways.africastalking import delivery_status
from alerts.gateways.base import Status
from alerts.jobs.model import JobStatus, get_job
from alerts.services import Services


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
