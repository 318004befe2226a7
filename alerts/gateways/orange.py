"""Orange's SMS API ("SMS Africa & Middle East"): the only module that knows its fields.

OAuth2 client credentials (POST /oauth/v3/token, HTTP basic auth) give a bearer token valid
about an hour: cached and fetched again a minute before it lapses, and once more on a 401.
Sending is one request per recipient (POST /smsmessaging/v1/outbound/{senderAddress}/requests);
delivery receipts come back as `deliveryInfoNotification` callbacks and the SMS people send to
the NGO's Orange number as `inboundSMSMessageNotification` callbacks (GSMA OneAPI). Orange lets an
account set one callback URL for everything, so /orange/delivery and /orange/inbound both take
either kind, told apart by the body's shape (`read_notification`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from alerts.domain.phones import mask as mask_phone
from alerts.domain.phones import try_normalize
from alerts.gateways.base import (
    OneByOne,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
    Status,
)
from alerts.gateways.events import DeliveryReport, FieldProblem, InboundSMS
from alerts.ops.logs import mask_phones
from config.settings import Settings

log = logging.getLogger(__name__)

NAME = "orange"
#: The two notification kinds, by the key their body is wrapped in.
INBOUND = "inboundSMSMessageNotification"
RECEIPT = "deliveryInfoNotification"
#: Seconds before expiry at which a cached token is replaced.
TOKEN_MARGIN = 60.0
TIMEOUT = (5.0, 15.0)

#: Orange `deliveryStatus` -> Baara status (OneAPI words).
DELIVERY_STATUSES: dict[str, Status] = {
    "DeliveredToNetwork": Status.SENT,
    "MessageWaiting": Status.SENT,
    "DeliveryUncertain": Status.SENT,
    "DeliveredToTerminal": Status.DELIVERED,
    "DeliveryImpossible": Status.FAILED,
    "DeliveryNotificationNotSupported": Status.SENT,
}

#: HTTP status of a send -> (retryable, reason). Anything else 4xx: permanent for that number.
SEND_ERRORS: dict[int, tuple[bool, str]] = {
    400: (False, "InvalidRequest"),  # POL/SVC exceptions: bad number, text too long
    401: (True, "Unauthorized"),  # token refused even after a fresh one: the account
    403: (True, "Forbidden"),  # no bundle left / not subscribed: the operator can top up
    404: (False, "UnknownSender"),
    408: (True, "Timeout"),
    429: (True, "TooManyRequests"),
    500: (True, "InternalServerError"),
    502: (True, "BadGateway"),
    503: (True, "ServiceUnavailable"),
    504: (True, "GatewayTimeout"),
}


def _seconds(settings: Settings) -> float:
    return settings.gateway_timeout or TIMEOUT[1]


def delivery_status(word: str) -> Status | None:
    """Baara status for an Orange deliveryStatus, or None for a word we do not know."""
    return DELIVERY_STATUSES.get(word)


class OrangeGateway(OneByOne):
    """Sends SMS through Orange's SMS API, one request per recipient."""

    name = NAME

    def __init__(
        self,
        api_url: str,
        client_id: str,
        client_secret: str,
        sender_address: str,
        *,
        sender_name: str = "",
        notify_url: str = "",
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        if not client_id or not client_secret or not sender_address.startswith("tel:+"):
            raise PermanentGatewayError(
                "Orange needs ORANGE_CLIENT_ID, ORANGE_CLIENT_SECRET and "
                "ORANGE_SENDER_ADDRESS (tel:+223...)"
            )
        self.api_url = api_url.rstrip("/")
        self.sender_address = sender_address
        self.sender_name = sender_name
        self.notify_url = notify_url
        self.timeout = timeout
        self._auth = (client_id, client_secret)
        self._session = requests.Session()
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> OrangeGateway:
        """OrangeGateway from the ORANGE_* settings."""
        return cls(
            settings.orange_api_url,
            settings.orange_client_id,
            settings.orange_client_secret,
            settings.orange_sender_address,
            sender_name=settings.orange_sender_name,
            notify_url=settings.orange_notify_url,
            timeout=(min(5.0, _seconds(settings)), _seconds(settings)),
        )

    def _fetch_token(self) -> str:
        try:
            response = self._session.post(
                f"{self.api_url}/oauth/v3/token",
                auth=self._auth,
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise RetryableGatewayError(f"cannot reach Orange: {type(exc).__name__}") from exc
        if response.status_code != 200:
            # A refused client id is the operator's to fix, but the next gateway can still
            # carry the alert: retryable, so the router fails over.
            raise RetryableGatewayError(
                f"Orange refused the token request: HTTP {response.status_code}",
                status_code=response.status_code,
            )
        try:
            body = response.json()
            token, lifetime = str(body["access_token"]), float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise RetryableGatewayError("Orange token answer unreadable") from exc
        self._token = (token, time.monotonic() + lifetime - TOKEN_MARGIN)
        return token

    def token(self, *, fresh: bool = False) -> str:
        """The cached bearer token, fetched again when it is about to lapse."""
        with self._lock:
            if not fresh and self._token and self._token[1] > time.monotonic():
                return self._token[0]
            return self._fetch_token()

    def _send_to(self, message: str, phone: str) -> SendResult:
        ref = uuid.uuid4().hex
        body: dict[str, Any] = {
            "outboundSMSMessageRequest": {
                "address": f"tel:{phone}",
                "senderAddress": self.sender_address,
                "outboundSMSTextMessage": {"message": message},
            }
        }
        request = body["outboundSMSMessageRequest"]
        if self.sender_name:
            request["senderName"] = self.sender_name
        # callbackData is ours: the receipt carries it back, so it is the message id.
        request["receiptRequest"] = {"callbackData": ref}
        if self.notify_url:
            request["receiptRequest"]["notifyURL"] = self.notify_url
        sender = quote(self.sender_address, safe="")
        url = f"{self.api_url}/smsmessaging/v1/outbound/{sender}/requests"
        response = self._post(url, body, fresh=False)
        if response.status_code == 401:
            response = self._post(url, body, fresh=True)
        code = response.status_code
        if code in (200, 201):
            return SendResult(phone, Status.SENT, ref, None, "Created", False, None)
        retryable, reason = SEND_ERRORS.get(code, (code >= 500, f"HTTP{code}"))
        text = f"Orange answered HTTP {code}: {mask_phones(response.text.strip()[:200])}"
        if code >= 500 or code in (401, 403, 408, 429):
            # The gateway itself is unwell or refuses us: the whole batch goes elsewhere.
            raise RetryableGatewayError(text, status_code=code)
        log.info("Orange refused %s: %s", mask_phone(phone), reason)
        return SendResult(phone, Status.FAILED, None, None, reason, retryable, None)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        """One authorised request to `path` under ORANGE_API_URL, once more on a 401."""
        url = f"{self.api_url}{path}"
        response = self._request(method, url, body, fresh=False)
        if response.status_code == 401:
            response = self._request(method, url, body, fresh=True)
        return response

    def _post(self, url: str, body: dict[str, Any], *, fresh: bool) -> requests.Response:
        return self._request("POST", url, body, fresh=fresh)

    def _request(
        self, method: str, url: str, body: dict[str, Any] | None, *, fresh: bool
    ) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self.token(fresh=fresh)}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        try:
            return self._session.request(
                method, url, json=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise RetryableGatewayError(
                f"Orange timed out: {type(exc).__name__}",
                maybe_sent=not isinstance(exc, requests.ConnectTimeout),
            ) from exc
        except requests.RequestException as exc:
            raise RetryableGatewayError(f"cannot reach Orange: {type(exc).__name__}") from exc


def delivery_report(data: Any) -> DeliveryReport | FieldProblem:
    """A receipt: {"deliveryInfoNotification": {callbackData, deliveryInfo}}."""
    note = data.get("deliveryInfoNotification") if isinstance(data, dict) else None
    if not isinstance(note, dict):
        return FieldProblem("deliveryInfoNotification", "missing")
    ref = note.get("callbackData")
    if not isinstance(ref, str) or not ref.strip():
        return FieldProblem("deliveryInfoNotification.callbackData", "missing")
    info = note.get("deliveryInfo")
    if isinstance(info, list):  # OneAPI allows a list; Orange sends one
        info = info[0] if info else None
    if not isinstance(info, dict):
        return FieldProblem("deliveryInfoNotification.deliveryInfo", "missing")
    word = info.get("deliveryStatus")
    if not isinstance(word, str):
        return FieldProblem("deliveryInfoNotification.deliveryInfo.deliveryStatus", "missing")
    address = info.get("address")
    if isinstance(address, str) and phone_of(address) is None:
        return FieldProblem("deliveryInfoNotification.deliveryInfo.address", "not a phone")
    status = delivery_status(word)
    reason = "" if status is not Status.FAILED else word
    return DeliveryReport(ref.strip(), status, reason)


def notification(phone: str, text: str, message_id: str, destination: str) -> dict[str, Any]:
    """The inboundSMSMessageNotification Orange posts when `phone` texts `destination`."""
    return {
        INBOUND: {
            "callbackData": "baara-inbound",
            "inboundSMSMessage": {
                "dateTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "destinationAddress": destination,
                "messageId": message_id,
                "message": text,
                "senderAddress": f"tel:{phone}",
            },
        }
    }


def read_notification(
    data: Any, expected: str = RECEIPT
) -> DeliveryReport | tuple[InboundSMS, ...] | FieldProblem:
    """Either callback URL: a receipt or inbound SMS by the body's shape; else name `expected`."""
    if isinstance(data, dict) and INBOUND in data:
        return inbound_sms(data)
    if isinstance(data, dict) and RECEIPT in data:
        return delivery_report(data)
    return FieldProblem(expected, "missing")


def phone_of(address: Any) -> str | None:
    """'tel:+22376123456', '+223 76 12 34 56', '76123456' (any script's digits) -> E.164."""
    if not isinstance(address, str):
        return None
    text = address.strip()
    if text[:4].lower() == "tel:":
        text = text[4:]
    return try_normalize(text)


def _when(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def inbound_sms(data: Any) -> tuple[InboundSMS, ...] | FieldProblem:
    """An SMS sent to our number: {"inboundSMSMessageNotification": {inboundSMSMessage}}."""
    note = data.get(INBOUND) if isinstance(data, dict) else None
    if not isinstance(note, dict):
        return FieldProblem(INBOUND, "missing")
    found = note.get("inboundSMSMessage")
    # OneAPI sends one message per notification; a list (some gateways batch) loses none.
    messages = found if isinstance(found, list) and found else [found]
    read: list[InboundSMS] = []
    for i, message in enumerate(messages):
        where = f"{INBOUND}.inboundSMSMessage" + (f"[{i}]" if isinstance(found, list) else "")
        sms = _one_inbound(message, where)
        if isinstance(sms, FieldProblem):
            return sms
        read.append(sms)
    return tuple(read)


def _one_inbound(message: Any, where: str) -> InboundSMS | FieldProblem:
    if not isinstance(message, dict):
        return FieldProblem(where, "missing")
    if "senderAddress" not in message:
        return FieldProblem(f"{where}.senderAddress", "missing")
    phone = phone_of(message.get("senderAddress"))
    if phone is None:
        return FieldProblem(f"{where}.senderAddress", "not a valid phone number")
    text = message.get("message")
    if not isinstance(text, str):
        return FieldProblem(f"{where}.message", "missing")
    sent_at = message.get("dateTime")
    when = _when(sent_at) if sent_at is not None else None
    if sent_at is not None and when is None:
        return FieldProblem(f"{where}.dateTime", "not an ISO 8601 time")
    ref = message.get("messageId")
    if isinstance(ref, str | int) and not isinstance(ref, bool) and str(ref).strip():
        ref = str(ref).strip()
    elif ref is None and when is not None:
        # Some Orange platforms leave messageId out: the same person, time and text is the
        # same message (Orange retries a notification that got no 200 unchanged).
        raw = "\x1f".join((phone, str(message.get("destinationAddress", "")), str(sent_at), text))
        ref = "h" + hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()
    else:
        return FieldProblem(f"{where}.messageId", "missing")
    return InboundSMS(phone, f"{NAME}:{ref}", text, when or datetime.now(UTC))
