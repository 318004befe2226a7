"""Africa's Talking SMS callbacks: inbound messages, delivery reports, opt-outs. Thin views."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request

from alerts.domain.subscribers import StoppedBy
from alerts.gateways import at_callbacks
from alerts.gateways.africastalking import Status
from alerts.gateways.events import FieldProblem
from alerts.jobs import lifecycle as jobs
from alerts.ops import metrics
from alerts.services import StoreError, current_services
from alerts.sms import inbox
from alerts.web.auth import check_webhook_key
from alerts.web.errors import bad_request

bp = Blueprint("sms", __name__, url_prefix="/sms")

#: A delivery report may only move a message forward.
_RANK = {"queued": 0, "sending": 1, Status.SENT.value: 2, Status.DELIVERED.value: 3,
         Status.FAILED.value: 3}


@bp.errorhandler(StoreError)
def _redis_down(exc: Exception):
    # Not our caller's fault: 503 makes AT retry the callback later.
    return jsonify({"error": "Service Unavailable", "detail": "storage unavailable"}), 503


@bp.post("/incoming")
def incoming():
    """One inbound SMS: accepted once per AT id into the inbox; the worker answers it."""
    check_webhook_key()
    sms = at_callbacks.inbound_sms(request.form)
    if isinstance(sms, FieldProblem):
        return bad_request(sms.field, sms.problem)
    # One round trip; understanding and answering happen in the worker (alerts/sms/inbox.py).
    verdict = inbox.accept(current_services(), sms.phone, sms.message_id, sms.text)
    status = {"duplicate": "duplicate", "ok": "accepted"}.get(verdict, "ignored")
    # Always 200: AT must retry neither a duplicate nor a flood.
    return jsonify({"status": status}), 200


@bp.post("/delivery")
def delivery():
    """A delivery report: update that message; unknown or repeated reports still get 200."""
    check_webhook_key()
    report = at_callbacks.delivery_report(request.form)
    if isinstance(report, FieldProblem):
        return bad_request(report.field, report.problem)
    status, reason = report.status, report.reason
    services = current_services()
    store = services.store
    ref = store.ref_for_gateway_id(report.message_id) if report.message_id else None
    if status is None or ref is None:
        return jsonify({"status": "ignored"}), 200
    # The report acts on the number its message id was sent to, which we recorded; its own
    # phoneNumber field is never trusted (a forged report would otherwise stop anyone).
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
    return jsonify({"status": "recorded"}), 200


@bp.post("/opt-out")
def opt_out():
    """The person opted out of our sender ID at the operator: stop them, send nothing."""
    check_webhook_key()
    event = at_callbacks.opt_out(request.form)
    if isinstance(event, FieldProblem):
        return bad_request(event.field, event.problem)
    current_services().store.stop(event.phone, by=StoppedBy.OPERATOR)
    return jsonify({"status": "stopped"}), 200
