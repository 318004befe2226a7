"""Simulated Orange SMS API and SMSGate (development): `make run` with several gateways.

With `orange` or `smsgate` in GATEWAYS and no credentials for it, development settings point the
gateway here (config/settings.py). Each endpoint answers like the real one, records the message
for the phone simulator with the gateway that carried it, and a second later posts the delivery
report back to the app's own callback (`/orange/delivery`, `/smsgate/events`, signed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from alerts.gateways.simulator import ABSENT_SUFFIX
from alerts.services import current_settings, services_of
from alerts.store import current_store

log = logging.getLogger(__name__)

gateways_blueprint = Blueprint("simulator_gateways", __name__, url_prefix="/simulator")

DELIVERY_DELAY = 1.0


def _basic_ok(user: str, password: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:]).decode()
    except ValueError:
        return False
    return hmac.compare_digest(given, f"{user}:{password}")


def _record(gateway: str, to: str, text: str, sender: str, msg_id: str) -> None:
    current_store().record_simulated(
        {
            "id": msg_id,
            "to": to,
            "from": sender,
            "message": text,
            "gateway": gateway,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )


def _later(app: Flask, post: Any) -> None:
    """Run `post(client)` after a network's delay, retrying while the report is not linked."""

    def run() -> None:
        client = app.test_client()
        for _ in range(10):
            try:
                answer = post(client)
            except Exception:  # best effort, as on the real network
                log.exception("simulated delivery report failed")
                return
            if (answer.get_json(silent=True) or {}).get("status") != "ignored":
                return
            time.sleep(DELIVERY_DELAY)

    timer = threading.Timer(DELIVERY_DELAY, run)
    timer.daemon = True
    timer.start()


@gateways_blueprint.post("/orange/oauth/v3/token")
def orange_token():
    """Orange's token endpoint: client credentials with HTTP basic auth."""
    settings = current_settings()
    if not _basic_ok(settings.orange_client_id, settings.orange_client_secret):
        return jsonify({"error": "invalid_client"}), 401
    return jsonify({"token_type": "Bearer", "access_token": uuid.uuid4().hex, "expires_in": 3600})


@gateways_blueprint.post("/orange/smsmessaging/v1/outbound/<path:sender>/requests")
def orange_send(sender: str):
    """Orange's outbound request: one recipient, 201 with the request echoed."""
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return jsonify({"requestError": {"policyException": {"messageId": "POL0001"}}}), 401
    body = (request.get_json(silent=True) or {}).get("outboundSMSMessageRequest") or {}
    address = str(body.get("address", ""))
    text = (body.get("outboundSMSTextMessage") or {}).get("message")
    if not address.startswith("tel:+") or not isinstance(text, str):
        return jsonify({"requestError": {"serviceException": {"messageId": "SVC0002"}}}), 400
    phone, ref = address[4:], (body.get("receiptRequest") or {}).get("callbackData")
    _record("orange", phone, text, body.get("senderName") or sender, uuid.uuid4().hex)
    if ref:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        word = "DeliveryImpossible" if phone.endswith(ABSENT_SUFFIX) else "DeliveredToTerminal"
        receipt = {
            "deliveryInfoNotification": {
                "callbackData": ref,
                "deliveryInfo": {"address": address, "deliveryStatus": word},
            }
        }
        key = services_of(app).settings.webhook_token
        _later(
            app,
            lambda c: c.post(
                "/orange/delivery", json=receipt, query_string={"key": key} if key else None
            ),
        )
    return jsonify({"outboundSMSMessageRequest": body}), 201


@gateways_blueprint.post("/smsgate/messages")
def smsgate_send():
    """SMSGate's POST /messages: basic auth, the message state back, signed events later."""
    settings = current_settings()
    if not _basic_ok(settings.smsgate_login, settings.smsgate_password):
        return jsonify({"message": "Unauthorized"}), 401
    body = request.get_json(silent=True) or {}
    phones = body.get("phoneNumbers") or []
    text = (body.get("textMessage") or {}).get("text")
    if not phones or not isinstance(text, str):
        return jsonify({"message": "phoneNumbers and textMessage required"}), 400
    msg_id = str(body.get("id") or uuid.uuid4().hex)
    for phone in phones:
        _record("smsgate", phone, text, "SMSGate", f"{msg_id}:{phone}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for phone in phones:
        kind = "sms:failed" if phone.endswith(ABSENT_SUFFIX) else "sms:delivered"
        event = {
            "deviceId": "simulated",
            "event": kind,
            "id": uuid.uuid4().hex,
            "webhookId": "simulated",
            "payload": {
                "messageId": msg_id,
                "phoneNumber": phone,
                **({"reason": "NO_SERVICE"} if kind == "sms:failed" else {}),
            },
        }
        _later(app, lambda c, e=event: _post_signed(app, c, e))
    return jsonify(
        {
            "id": msg_id,
            "state": "Pending",
            "isHashed": False,
            "isEncrypted": False,
            "recipients": [{"phoneNumber": p, "state": "Pending"} for p in phones],
        }
    ), 202


def _post_signed(app: Flask, client: Any, event: dict) -> Any:
    raw = json.dumps(event).encode()
    stamp = str(int(time.time()))
    key = services_of(app).settings.smsgate_signing_key
    signature = hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()
    token = services_of(app).settings.webhook_token
    return client.post(
        "/smsgate/events",
        data=raw,
        query_string={"key": token} if token else None,
        headers={
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Signature": signature,
        },
    )
