"""Callbacks of the gateways beside AT: Orange's delivery receipts, SMSGate's webhook events.

Thin views: each provider's module reads the body into provider-neutral events, handled as AT's
are (the same inbox, the same delivery records and job counts).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from alerts.gateways import orange, smsgate
from alerts.gateways.events import DeliveryReport, FieldProblem
from alerts.sending import reports
from alerts.services import StoreError, current_services
from alerts.sms import inbox
from alerts.web.auth import check_webhook_key
from alerts.web.errors import bad_request

bp = Blueprint("gateways", __name__)


@bp.errorhandler(StoreError)
def _redis_down(exc: Exception):
    # Not the gateway's fault: 503 makes it retry the callback later.
    return jsonify({"error": "Service Unavailable", "detail": "storage unavailable"}), 503


def _json() -> object:
    return request.get_json(silent=True, force=True)


@bp.post("/orange/delivery")
def orange_delivery():
    """Orange's deliveryInfoNotification: update that message; unknown ones still get 200."""
    check_webhook_key()
    report = orange.delivery_report(_json())
    if isinstance(report, FieldProblem):
        return bad_request(report.field, report.problem)
    return jsonify({"status": reports.apply_report(current_services(), report)}), 200


@bp.post("/smsgate/events")
def smsgate_events():
    """SMSGate's webhook: sms:received into the inbox, sms:sent/delivered/failed as reports."""
    check_webhook_key()
    services = current_services()
    key = services.settings.smsgate_signing_key
    if problem := smsgate.signature_problem(key, request.get_data(), request.headers):
        return jsonify(
            {"error": "Unauthorized", "field": problem.field, "detail": problem.problem}
        ), 401
    event = smsgate.read_event(_json())
    if isinstance(event, FieldProblem):
        return bad_request(event.field, event.problem)
    if event is None:
        return jsonify({"status": "ignored"}), 200
    if isinstance(event, DeliveryReport):
        return jsonify({"status": reports.apply_report(services, event)}), 200
    services.store.remember_gateway(event.phone, smsgate.NAME)
    verdict = inbox.accept(services, event.phone, event.message_id, event.text)
    status = {"duplicate": "duplicate", "ok": "accepted"}.get(verdict, "ignored")
    return jsonify({"status": status}), 200
