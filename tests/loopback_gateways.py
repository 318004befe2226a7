"""Loopback stand-ins for Orange's SMS API and SMSGate (Android), on 127.0.0.1 over real HTTP.

Written from their public documentation: Orange's OAuth2 client-credentials token
(POST /oauth/v3/token, basic auth, {"access_token", "expires_in"}) and outbound requests
(POST /smsmessaging/v1/outbound/{senderAddress}/requests, 201 with the request echoed and a
resourceURL), its GSMA OneAPI notification subscriptions (inbound SMS:
/smsmessaging/v1/inbound/subscriptions; delivery receipts:
/smsmessaging/v1/outbound/{senderAddress}/subscriptions; list, create, delete) and the
notifications it posts to them (`inboundSMSMessageNotification`, `deliveryInfoNotification`);
SMSGate's POST /messages (basic auth; answers the message state with an id) and
its signed webhooks (X-Signature = hex HMAC-SHA256 over body + X-Timestamp).

`fail` makes a stand-in fail like a real gateway does: "5xx", "timeout" (answers after the
client gave up, having taken nothing), "auth" (refuses our credentials). `fail_after` lets that
many messages through first (a failure mid fan-out).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Self

import requests
from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _Loopback:
    """A Flask app served in a daemon thread; `messages` holds what it accepted."""

    def __init__(self, *, fail: str = "", fail_after: int = 0, hang: float = 3.0) -> None:
        self.fail = fail
        self.fail_after = fail_after
        self.hang = hang
        self.messages: list[dict[str, Any]] = []
        self.requests = 0
        self._lock = threading.Lock()
        self.app = Flask(type(self).__name__)
        self._routes()
        self._server: BaseWSGIServer | None = None

    def _routes(self) -> None:
        raise NotImplementedError

    def failing(self) -> str:
        """The failure to answer with now, '' once fail_after messages went through... first."""
        if not self.fail or len(self.messages) < self.fail_after:
            return ""
        return self.fail

    def phones(self) -> list[str]:
        """Recipients of the messages accepted, in order."""
        return [m["to"] for m in self.messages]

    def __enter__(self) -> Self:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        """Base URL of the stand-in."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"


def _basic(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def _oneapi_error(kind: str, code: str, status: int) -> tuple[Any, int]:
    return jsonify({"requestError": {kind: {"messageId": code, "text": "refused"}}}), status


class LoopbackOrange(_Loopback):
    """Orange's SMS API: token endpoint, outbound SMS requests, notification subscriptions.

    `listing` False answers 404 to a subscription list (platforms that do not list them);
    `refuse_overlap` refuses a second inbound subscription for one destination (SVC0008).
    """

    def __init__(
        self, client_id: str = "orange-id", client_secret: str = "orange-secret", **kwargs: Any
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.tokens: list[str] = []
        self.expires_in = 3600
        #: id -> {"kind": inbound|delivery, "notify_url", "callback_data", "criteria", ...}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.listing = True
        self.refuse_overlap = False
        super().__init__(**kwargs)

    def _authorised(self) -> bool:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") in self.tokens

    def _subscription_routes(self) -> None:
        app = self.app

        def listed(kind: str, wrapper: str, single: str):
            if self.failing() == "5xx":
                return _oneapi_error("serviceException", "SVC0001", 503)
            if not self._authorised():
                return _oneapi_error("policyException", "POL0001", 401)
            if not self.listing:
                return jsonify({"code": 404, "message": "Resource not found"}), 404
            items = [s["body"] for s in self.subscriptions.values() if s["kind"] == kind]
            return jsonify({wrapper: {single: items, "resourceURL": request.base_url}})

        def deleted(kind: str, sub_id: str):
            if self.failing() == "5xx":
                return _oneapi_error("serviceException", "SVC0001", 503)
            if not self._authorised():
                return _oneapi_error("policyException", "POL0001", 401)
            found = self.subscriptions.get(sub_id)
            if found is None or found["kind"] != kind:
                return _oneapi_error("serviceException", "SVC0002", 404)
            del self.subscriptions[sub_id]
            return "", 204

        def created(kind: str, wrapper: str, sub: Any, sender: str = ""):
            if self.failing() == "5xx":
                return _oneapi_error("serviceException", "SVC0001", 503)
            if not self._authorised():
                return _oneapi_error("policyException", "POL0001", 401)
            ref = sub.get("callbackReference") if isinstance(sub, dict) else None
            ref = ref if isinstance(ref, dict) else {}
            url = ref.get("notifyURL")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                return _oneapi_error("serviceException", "SVC0002", 400)
            destination = sub.get("destinationAddress", sender)
            if kind == "inbound" and not destination:
                return _oneapi_error("serviceException", "SVC0002", 400)
            if self.refuse_overlap and any(
                s["kind"] == kind and s["destination"] == destination
                for s in self.subscriptions.values()
            ):
                return _oneapi_error("serviceException", "SVC0008", 400)
            sub_id = uuid.uuid4().hex[:20]
            path = "inbound/subscriptions" if kind == "inbound" else "outbound/subscriptions"
            body = dict(sub, resourceURL=f"{request.host_url}smsmessaging/v1/{path}/{sub_id}")
            self.subscriptions[sub_id] = {
                "kind": kind,
                "notify_url": url,
                "callback_data": ref.get("callbackData", ""),
                "criteria": sub.get("criteria", ""),
                "destination": destination,
                "body": body,
            }
            return jsonify({wrapper: body}), 201

        @app.get("/smsmessaging/v1/inbound/subscriptions")
        def inbound_list():
            return listed("inbound", "subscriptionList", "subscription")

        @app.post("/smsmessaging/v1/inbound/subscriptions")
        def inbound_create():
            sub = (request.get_json(silent=True) or {}).get("subscription")
            return created("inbound", "subscription", sub)

        @app.delete("/smsmessaging/v1/inbound/subscriptions/<sub_id>")
        def inbound_delete(sub_id: str):
            return deleted("inbound", sub_id)

        @app.get("/smsmessaging/v1/outbound/<path:sender>/subscriptions")
        def receipts_list(sender: str):
            return listed(
                "delivery", "deliveryReceiptSubscriptionList", "deliveryReceiptSubscription"
            )

        @app.post("/smsmessaging/v1/outbound/<path:sender>/subscriptions")
        def receipts_create(sender: str):
            sub = (request.get_json(silent=True) or {}).get("deliveryReceiptSubscription")
            return created("delivery", "deliveryReceiptSubscription", sub, sender)

        @app.delete("/smsmessaging/v1/outbound/subscriptions/<sub_id>")
        def receipts_delete(sub_id: str):
            return deleted("delivery", sub_id)

    def subscribed(self, kind: str) -> list[dict[str, Any]]:
        """The subscriptions of one kind Orange holds now."""
        return [s for s in self.subscriptions.values() if s["kind"] == kind]

    def mo(
        self,
        sender: str,
        text: str,
        *,
        message_id: str | None = None,
        destination: str = "tel:+22370000000",
        callback_data: str = "",
    ) -> dict[str, Any]:
        """The inboundSMSMessageNotification Orange posts when `sender` texts `destination`."""
        return {
            "inboundSMSMessageNotification": {
                "callbackData": callback_data,
                "inboundSMSMessage": {
                    "dateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "destinationAddress": destination,
                    "messageId": message_id or uuid.uuid4().hex,
                    "message": text,
                    "senderAddress": sender if sender.startswith("tel:") else f"tel:{sender}",
                },
            }
        }

    def deliver_mo(self, sender: str, text: str, **kwargs: Any) -> requests.Response:
        """Post an SMS `sender` sent us to the inbound subscription, over HTTP, as Orange does."""
        sub = self.subscribed("inbound")[-1]
        criteria = str(sub["criteria"] or "")
        # OneAPI criteria: only SMS whose first word is the keyword reach the subscription.
        words = text.split()
        if criteria and (not words or words[0].casefold() != criteria.casefold()):
            raise LookupError(f"no subscription takes {text!r}")
        body = self.mo(
            sender,
            text,
            callback_data=sub["callback_data"],
            destination=sub["destination"],
            **kwargs,
        )
        return requests.post(sub["notify_url"], json=body, timeout=10)

    def deliver_receipt(self, to: str, status: str = "DeliveredToTerminal") -> requests.Response:
        """Post the receipt of the message taken for `to` to the receipt subscription."""
        sub = self.subscribed("delivery")[-1]
        return requests.post(sub["notify_url"], json=self.receipt(to, status), timeout=10)

    def _routes(self) -> None:
        app = self.app
        self._subscription_routes()

        @app.post("/oauth/v3/token")
        def token():
            if self.failing() == "auth" or _basic(request.headers.get("Authorization", "")) != (
                self.client_id,
                self.client_secret,
            ):
                return jsonify({"error": "invalid_client"}), 401
            if request.form.get("grant_type") != "client_credentials":
                return jsonify({"error": "unsupported_grant_type"}), 400
            token = uuid.uuid4().hex
            self.tokens.append(token)
            return jsonify(
                {"token_type": "Bearer", "access_token": token, "expires_in": self.expires_in}
            )

        @app.post("/smsmessaging/v1/outbound/<path:sender>/requests")
        def outbound(sender: str):
            arrived = time.time()  # when Orange would count it against the application's limit
            with self._lock:
                self.requests += 1
            failing = self.failing()
            if failing == "timeout":
                time.sleep(self.hang)
                return _oneapi_error("serviceException", "SVC0001", 504)
            if failing == "5xx":
                return _oneapi_error("serviceException", "SVC0001", 503)
            auth = request.headers.get("Authorization", "")
            if failing == "auth" or auth.removeprefix("Bearer ") not in self.tokens:
                return _oneapi_error("policyException", "POL0001", 401)
            body = (request.get_json(silent=True) or {}).get("outboundSMSMessageRequest") or {}
            address = str(body.get("address", ""))
            if body.get("senderAddress") != sender or not address.startswith("tel:+"):
                return _oneapi_error("serviceException", "SVC0002", 400)
            message = (body.get("outboundSMSTextMessage") or {}).get("message")
            request_id = uuid.uuid4().hex
            with self._lock:
                self.messages.append(
                    {
                        "to": address[4:],
                        "text": message,
                        "sender": sender,
                        "sender_name": body.get("senderName"),
                        "callback_data": (body.get("receiptRequest") or {}).get("callbackData"),
                        "id": request_id,
                        "arrived": arrived,
                    }
                )
            body["resourceURL"] = (
                f"{request.host_url}smsmessaging/v1/outbound/{sender}/requests/{request_id}"
            )
            return jsonify({"outboundSMSMessageRequest": body}), 201

    def receipt(self, to: str, status: str = "DeliveredToTerminal") -> dict[str, Any]:
        """The deliveryInfoNotification Orange posts for the message it took for `to`."""
        sent = next(m for m in reversed(self.messages) if m["to"] == to)
        return {
            "deliveryInfoNotification": {
                "callbackData": sent["callback_data"],
                "deliveryInfo": {"address": f"tel:{to}", "deliveryStatus": status},
            }
        }


class LoopbackSMSGate(_Loopback):
    """SMSGate's API (local server or cloud: same paths) and its signed webhooks."""

    def __init__(self, login: str = "sms", password: str = "gate-pass", **kwargs: Any) -> None:
        self.login, self.password = login, password
        super().__init__(**kwargs)

    def _routes(self) -> None:
        app = self.app

        @app.post("/messages")
        def send():
            with self._lock:
                self.requests += 1
            failing = self.failing()
            if failing == "timeout":
                time.sleep(self.hang)
                return jsonify({"message": "timeout"}), 504
            if failing == "5xx":
                return jsonify({"message": "no device online"}), 503
            if failing == "auth" or _basic(request.headers.get("Authorization", "")) != (
                self.login,
                self.password,
            ):
                return jsonify({"message": "Unauthorized"}), 401
            body = request.get_json(silent=True) or {}
            phones = body.get("phoneNumbers") or []
            text = (body.get("textMessage") or {}).get("text")
            if not phones or not isinstance(text, str):
                return jsonify({"message": "phoneNumbers and textMessage required"}), 400
            msg_id = body.get("id") or uuid.uuid4().hex
            with self._lock:
                for phone in phones:
                    self.messages.append({"to": phone, "text": text, "id": msg_id})
            return jsonify(
                {
                    "id": msg_id,
                    "state": "Pending",
                    "isHashed": False,
                    "isEncrypted": False,
                    "recipients": [{"phoneNumber": p, "state": "Pending"} for p in phones],
                }
            ), 202

    def event(self, kind: str, **payload: Any) -> dict[str, Any]:
        """A webhook body the app would post for `kind` (sms:received, sms:delivered...)."""
        return {
            "deviceId": "dev-1",
            "event": kind,
            "id": uuid.uuid4().hex,
            "webhookId": "wh-1",
            "payload": payload,
        }

    def status_event(self, to: str, kind: str = "sms:delivered", **extra: Any) -> dict[str, Any]:
        """The status event for the message taken for `to`."""
        sent = next(m for m in reversed(self.messages) if m["to"] == to)
        return self.event(kind, messageId=sent["id"], phoneNumber=to, **extra)


def signed(body: dict[str, Any], key: str, when: float | None = None) -> tuple[bytes, dict]:
    """A webhook body and the headers SMSGate signs it with."""
    raw = json.dumps(body).encode()
    stamp = str(int(time.time() if when is None else when))
    return raw, {
        "Content-Type": "application/json",
        "X-Timestamp": stamp,
        # As the app signs: hex HMAC-SHA256 of the raw body followed by the timestamp.
        "X-Signature": hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest(),
    }
