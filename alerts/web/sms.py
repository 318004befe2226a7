"""Africa's Talking SMS callbacks: inbound messages, delivery reports, opt-outs. Thin views."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from alerts.domain.subscribers import StoppedBy
from alerts.gateways import at_callbacks
from alerts.gateways.events import FieldProblem
from alerts.sending import reports
from alerts.services import StoreError, current_services
from alerts.sms import inbox
from alerts.web.auth import check_webhook_key
from alerts.web.errors import bad_request

bp = Blueprint("sms", __name__, url_prefix="/sms")


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
    services = current_services()
    # Before the inbox: the reply, sent by a worker, goes back the way the person wrote.
    services.store.remember_gateway(sms.phone, "africastalking")
    verdict = inbox.accept(services, sms.phone, sms.message_id, sms.text)
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
    return jsonify({"status": reports.apply_report(current_services(), report)}), 200


@bp.post("/opt-out")
def opt_out():
    """The person opted out of our sender ID at the operator: stop them, send nothing."""
    check_webhook_key()
    event = at_callbacks.opt_out(request.form)
    if isinstance(event, FieldProblem):
        return bad_request(event.field, event.problem)
    current_services().store.stop(event.phone, by=StoppedBy.OPERATOR)
    return jsonify({"status": "stopped"}), 200
