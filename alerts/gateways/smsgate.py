"""SMS Gateway for Android ("SMSGate"): the only module that knows its fields.

Sending goes through the maintained `android-sms-gateway` client (POST {SMSGATE_URL}/messages,
basic auth), one message per recipient so each carries our own id and its `sms:sent`,
`sms:delivered` and `sms:failed` events name one person. The same base URL serves the phone's
local server (http://<phone>:8080) and the cloud relay (https://api.sms-gate.app/3rdparty/v1).
Webhooks are signed: X-Signature = hex HMAC-SHA256(signing key, raw body + X-Timestamp).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from android_sms_gateway import client as sg_client
from android_sms_gateway import domain as sg_domain
from android_sms_gateway import errors as sg_errors
from android_sms_gateway.http import RequestsHttpClient

from alerts.domain.phones import try_normalize
from alerts.gateways.base import (
    OneByOne,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
    Status,
)
from alerts.gateways.events import DeliveryReport, FieldProblem, InboundSMS
from config.settings import Settings

log = logging.getLogger(__name__)

NAME = "smsgate"
TIMEOUT = (5.0, 20.0)
#: Seconds a signed webhook stays acceptable (replays older than this are refused).
SIGNATURE_WINDOW = 300

#: The app's message states (`ProcessState`) and webhook events -> Baara status.
STATES: dict[str, Status] = {
    "Pending": Status.SENT,
    "Processed": Status.SENT,
    "Sent": Status.SENT,
    "Delivered": Status.DELIVERED,
    "Failed": Status.FAILED,
    "Cancelled": Status.FAILED,
    "sms:sent": Status.SENT,
    "sms:delivered": Status.DELIVERED,
    "sms:failed": Status.FAILED,
}

#: HTTP errors of a send -> (retryable, reason).
SEND_ERRORS: dict[int, tuple[bool, str]] = {
    400: (False, "InvalidRequest"),
    401: (True, "Unauthorized"),  # wrong login/password: fail over, the operator fixes it
    403: (True, "Forbidden"),
    404: (True, "NotFound"),  # wrong SMSGATE_URL
    500: (True, "InternalServerError"),
    502: (True, "BadGateway"),
    503: (True, "ServiceUnavailable"),  # no device online (cloud mode)
    504: (True, "GatewayTimeout"),
}


class _TimeoutSession(requests.Session):
    """requests.Session with a default timeout: the client passes none, a phone can hang."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        """Same as Session.request, with our timeout unless one is given."""
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


class SMSGateGateway(OneByOne):
    """Sends SMS through an Android phone running SMSGate, with its Python client."""

    name = NAME

    def __init__(
        self, url: str, login: str, password: str, *, timeout: tuple[float, float] = TIMEOUT
    ) -> None:
        if not url or not password:
            raise PermanentGatewayError(
                "SMSGate needs SMSGATE_URL, SMSGATE_LOGIN and SMSGATE_PASSWORD"
            )
        self.url = url.rstrip("/")
        self._http = RequestsHttpClient(_TimeoutSession(timeout))
        self._client = sg_client.APIClient(
            login or None, password, base_url=self.url, http=self._http
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SMSGateGateway:
        """SMSGateGateway from the SMSGATE_* settings."""
        seconds = settings.gateway_timeout or TIMEOUT[1]
        return cls(
            settings.smsgate_url,
            settings.smsgate_login,
            settings.smsgate_password,
            timeout=(min(5.0, seconds), seconds),
        )

    def _send_to(self, message: str, phone: str) -> SendResult:
        ref = uuid.uuid4().hex
        msg = sg_domain.Message(
            phone_numbers=[phone],
            text_message=sg_domain.TextMessage(text=message),
            with_delivery_report=True,
            id=ref,
        )
        try:
            state = self._client.send(msg)
        except sg_errors.APIError as exc:
            code = exc.status_code or 0
            retryable, reason = SEND_ERRORS.get(code, (code >= 500, f"HTTP{code}"))
            if retryable:
                raise RetryableGatewayError(
                    f"SMSGate answered HTTP {code}", status_code=code
                ) from exc
            return SendResult(phone, Status.FAILED, None, None, reason, False, None)
        except requests.Timeout as exc:
            raise RetryableGatewayError(
                f"SMSGate timed out: {type(exc).__name__}",
                maybe_sent=not isinstance(exc, requests.ConnectTimeout),
            ) from exc
        except requests.RequestException as exc:
            raise RetryableGatewayError(f"cannot reach SMSGate: {type(exc).__name__}") from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise PermanentGatewayError("SMSGate answer unreadable", maybe_sent=True) from exc
        status = STATES.get(state.state.value, Status.SENT)
        if status is Status.FAILED:
            reason = next((r.error for r in state.recipients if r.error), None) or "Failed"
            return SendResult(phone, Status.FAILED, None, None, reason, False, None)
        return SendResult(phone, Status.SENT, state.id or ref, None, state.state.value, False, None)


def sign(key: str, body: bytes, timestamp: str) -> str:
    """The X-Signature SMSGate puts on a webhook: hex HMAC-SHA256 over body + timestamp."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def signature_problem(
    key: str, body: bytes, headers: Mapping[str, str] | Any, now: float | None = None
) -> FieldProblem | None:
    """Why a webhook's signature is not SMSGate's with our key, or None when it is."""
    if not key:
        return None
    signature, stamp = headers.get("X-Signature", ""), headers.get("X-Timestamp", "")
    if not signature:
        return FieldProblem("X-Signature", "missing")
    try:
        age = abs((time.time() if now is None else now) - int(stamp))
    except ValueError:
        return FieldProblem("X-Timestamp", "not a unix time")
    if age > SIGNATURE_WINDOW:
        return FieldProblem("X-Timestamp", "too old")
    if not hmac.compare_digest(sign(key, body, stamp), signature.strip().lower()):
        return FieldProblem("X-Signature", "does not match")
    return None


def _when(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def read_event(data: Any) -> InboundSMS | DeliveryReport | FieldProblem | None:
    """POST /smsgate/events: {event, id, payload{...}}; None for an event we do not use."""
    if not isinstance(data, dict):
        return FieldProblem("body", "not a JSON object")
    event = data.get("event")
    if not isinstance(event, str):
        return FieldProblem("event", "missing")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        return FieldProblem("payload", "missing")
    message_id = payload.get("messageId")
    if not isinstance(message_id, str) or not message_id.strip():
        return FieldProblem("payload.messageId", "missing")
    if event == "sms:received":
        phone = try_normalize(str(payload.get("phoneNumber") or payload.get("sender") or ""))
        if phone is None:
            return FieldProblem("payload.phoneNumber", "not a valid phone number")
        text = payload.get("message")
        if not isinstance(text, str):
            return FieldProblem("payload.message", "missing")
        # messageId is content-based on the phone (two equal texts share it); the event's own
        # id is unique and kept across the app's retries, so it is what we dedupe on.
        event_id = data.get("id")
        dedupe = event_id if isinstance(event_id, str) and event_id.strip() else message_id
        return InboundSMS(phone, f"{NAME}:{dedupe.strip()}", text, _when(payload.get("receivedAt")))
    if event in ("sms:sent", "sms:delivered", "sms:failed"):
        status = STATES[event]
        reason = str(payload.get("reason") or "Failed") if status is Status.FAILED else ""
        return DeliveryReport(message_id.strip(), status, reason)
    return None
