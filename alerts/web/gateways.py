"""Callbacks of the gateways beside AT: Orange's notifications, SMSGate's webhook events.

Thin views: each provider's module reads the body into provider-neutral events, handled as AT's
are (the same inbox, the same delivery records and job counts).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from alerts.gateways import orange, smsgate
from alerts.gateways.events import DeliveryReport, FieldProblem, InboundSMS
from alerts.sending import reports
from alerts.services import Services, StoreError, current_services
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


def _inbound(services: Services, gateway: str, sms: InboundSMS) -> str:
    """Into the inbox, remembering the gateway so the reply goes back through it."""
    services.store.remember_gateway(sms.phone, gateway)
    verdict = inbox.accept(services, sms.phone, sms.message_id, sms.text)
    return {"duplicate": "duplicate", "ok": "accepted"}.get(verdict, "ignored")


def _orange(expected: str):
    check_webhook_key()
    services = current_services()
    event = orange.read_notification(_json(), expected)
    if isinstance(event, FieldProblem):
        return bad_request(event.field, event.problem)
    if isinstance(event, DeliveryReport):
        return jsonify({"status": reports.apply_report(services, event)}), 200
    verdicts = [_inbound(services, orange.NAME, sms) for sms in event]
    status = "accepted" if "accepted" in verdicts else verdicts[0]
    return jsonify({"status": status}), 200


@bp.post("/orange/delivery")
def orange_delivery():
    """Orange's deliveryInfoNotification (or an inbound SMS: one URL may serve both)."""
    return _orange(orange.RECEIPT)


@bp.post("/orange/inbound")
def orange_inbound():
    """Orange's inboundSMSMessageNotification into the inbox (or a receipt, by its shape)."""
    return _orange(orange.INBOUND)


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
    return jsonify({"status": _inbound(services, smsgate.NAME, event)}), 200
