"""Delivery reports from any gateway, applied to the same records and job counts."""

from __future__ import annotations

import re

from alerts.domain.subscribers import StoppedBy
from alerts.gateways.base import Status
from alerts.gateways.events import DeliveryReport
from alerts.jobs import lifecycle as jobs
from alerts.ops import metrics
from alerts.services import Services

#: A delivery report may only move a message forward.
_RANK = {
    "queued": 0,
    "sending": 1,
    Status.SENT.value: 2,
    Status.DELIVERED.value: 3,
    Status.FAILED.value: 3,
}


def apply_report(services: Services, report: DeliveryReport) -> str:
    """Update the reply or alert a report is for: 'recorded', or 'ignored' when unknown."""
    status, reason = report.status, report.reason
    store = services.store
    ref = store.ref_for_gateway_id(report.message_id) if report.message_id else None
    if status is None or ref is None:
        return "ignored"
    # The report acts on the number its message id was sent to, which we recorded; its own
    # phone field is never trusted (a forged report would otherwise stop anyone).
    current: dict = {}
    if ref.startswith("out:"):
        current = store.get_outgoing(ref[4:]) or {}
        recipient = current.get("phone")
    else:
        recipient = ref.rpartition(":")[2] if ref.startswith("alert:") else None
    if reason.lower() == "userinblacklist" and recipient:
        store.stop(recipient, by=StoppedBy.OPERATOR)
    if ref.startswith("out:"):
        out_id = ref[4:]
        if _RANK.get(status.value, 0) > _RANK.get(current.get("status", ""), 0):
            store.update_outgoing(out_id, status=status.value, reason=reason)
    elif ref.startswith("alert:") and jobs.record_delivery(services, ref, status, reason):
        if status is Status.DELIVERED:
            metrics.count_alerts(services, {("delivered", ""): 1})
        else:
            why = re.sub(r"[^A-Za-z0-9_]", "", reason)[:40] or "DeliveryFailed"
            metrics.count_alerts(services, {("failed", why): 1})
    return "recorded"
