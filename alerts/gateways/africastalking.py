"""The SMS gateway: the only module that knows Africa's Talking (AT).

Everything AT-specific (its status codes, its delivery-report words, the quirks of its
Python SDK) stays here, so another provider can be added behind the same small interface.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from africastalking.Service import DEFAULT_TIMEOUT_S

from alerts.domain.phones import mask as mask_phone
from alerts.gateways.at_http import RawResponseSMSService
from alerts.gateways.base import (
    GatewayError,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
    Status,
)
from alerts.gateways.throttle import Kind, Throttle
from alerts.ops.logs import mask_phones
from config.settings import Settings

log = logging.getLogger(__name__)

#: Called with (seconds, "ok"|"error") after every AT request; alerts/web/metrics.py registers one.
BATCH_OBSERVERS: list[Callable[[float, str], None]] = []


#: AT per-recipient statusCode -> (status, retryable, reason).
SEND_CODES: dict[int, tuple[Status, bool, str]] = {
    100: (Status.SENT, False, "Processed"),
    101: (Status.SENT, False, "Success"),
    102: (Status.SENT, False, "Queued"),
    # Account-level problems the operator can fix (top up, talk to AT): keep the alert.
    401: (Status.FAILED, True, "RiskHold"),
    405: (Status.FAILED, True, "InsufficientBalance"),
    402: (Status.FAILED, False, "InvalidSenderId"),
    403: (Status.FAILED, False, "InvalidPhoneNumber"),
    404: (Status.FAILED, False, "UnsupportedNumberType"),
    406: (Status.FAILED, False, "UserInBlacklist"),
    407: (Status.FAILED, False, "CouldNotRoute"),
    500: (Status.FAILED, True, "InternalServerError"),
    501: (Status.FAILED, True, "GatewayError"),
    502: (Status.FAILED, True, "RejectedByGateway"),
}

_CODE_BY_REASON = {reason: code for code, (_, _, reason) in SEND_CODES.items()}

#: AT delivery-report `status` -> Baara status.
DELIVERY_STATUSES: dict[str, Status] = {
    "Sent": Status.SENT,
    "Submitted": Status.SENT,
    "Buffered": Status.SENT,
    "Success": Status.DELIVERED,
    "Rejected": Status.FAILED,
    "Failed": Status.FAILED,
    "Expired": Status.FAILED,
}

# Stricter than the SDK's `^\+\d{1,3}\d{3,}$` with re.match, whose `$` lets a trailing
# newline through (it would then be sent inside the comma-separated `to` field).
# `[0-9]`, not `\d`: in Python `\d` also takes fullwidth and Arabic-Indic digits, which
# would reach AT as another number than the one we store.
_PHONE = re.compile(r"\+[0-9]{4,}")


def delivery_status(at_status: str) -> Status | None:
    """Baara status for an AT delivery-report status, or None if AT sent an unknown word."""
    return DELIVERY_STATUSES.get(at_status)


def _mask_text(text: str) -> str:
    """Error text from AT may quote numbers: it travels in exceptions, so mask it here too."""
    return mask_phones(text)


class Gateway:
    """Sends SMS through Africa's Talking with the official SDK."""

    def __init__(
        self,
        username: str,
        api_key: str,
        *,
        sender_id: str | None = None,
        api_url: str | None = None,
        batch_size: int = 100,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT_S,
    ) -> None:
        if not username or not api_key:
            raise PermanentGatewayError("AT username and API key are required")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        try:
            self._sms = RawResponseSMSService(username, api_key)
        except RuntimeError as exc:  # the SDK's way of refusing non-str credentials
            raise PermanentGatewayError(str(exc)) from exc
        if api_url:
            self._sms._baseUrl = api_url.rstrip("/")
        self.username = username
        self.sender_id = sender_id or None
        self.batch_size = batch_size
        self.timeout = timeout
        #: The operator's messages-per-second limit, shared through Redis (None: unlimited).
        self.throttle: Throttle | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Gateway:
        """Gateway from AT_USERNAME, AT_API_KEY, AT_SENDER_ID, AT_API_URL and AT_BATCH_SIZE."""
        missing = [
            name
            for name, value in (
                ("AT_USERNAME", settings.at_username),
                ("AT_API_KEY", settings.at_api_key),
            )
            if not value
        ]
        if missing:
            raise PermanentGatewayError("missing configuration: " + ", ".join(missing))
        if settings.at_batch_size < 1:
            raise PermanentGatewayError("AT_BATCH_SIZE must be at least 1")
        return cls(
            settings.at_username,
            settings.at_api_key,
            sender_id=settings.at_sender_id or None,
            api_url=settings.at_api_url or None,
            batch_size=settings.at_batch_size,
        )

    @property
    def api_url(self) -> str:
        """Base URL the SDK posts to (`<api_url>/messaging`)."""
        return self._sms._baseUrl

    def request_size(self, kind: Kind = Kind.ALERT) -> int:
        """The most recipients one request of `kind` carries: AT_BATCH_SIZE, or less under
        AT_MAX_TPS."""
        if self.throttle is None:
            return self.batch_size
        return min(self.batch_size, self.throttle.chunk(kind))

    def send_one(self, message: str, phone: str, *, counted: bool = False) -> SendResult:
        """Send one SMS to one phone number (`counted`: its place under the limit is taken)."""
        return self.send(message, [phone], kind=Kind.REPLY, counted=counted)[0]

    def send(
        self,
        message: str,
        recipients: Sequence[str],
        *,
        kind: Kind = Kind.ALERT,
        counted: bool = False,
    ) -> list[SendResult]:
        """Send one message to many numbers; one result per recipient, in input order."""
        if isinstance(recipients, str):
            raise TypeError("recipients must be a sequence of phone numbers, not a str")
        phones = list(recipients)
        # Check every number before sending anything: the SDK would otherwise refuse a later
        # batch after earlier ones went out.
        invalid = [p for p in phones if not (isinstance(p, str) and _PHONE.fullmatch(p))]
        if invalid:
            shown = ", ".join(mask_phone(str(p)) for p in invalid[:5])
            raise PermanentGatewayError(f"invalid phone number(s): {shown}")
        results: list[SendResult] = []
        size = self.request_size(kind)
        batches = range(0, len(phones), size)
        for number, start in enumerate(batches, 1):
            batch = phones[start : start + size]
            if self.throttle is not None and not counted:
                self.throttle.acquire(len(batch), kind)
            started, outcome = time.perf_counter(), "error"
            try:
                results.extend(self._send_batch(message, batch, number, len(batches)))
                outcome = "ok"
            except GatewayError as exc:
                exc.results = results
                raise
            finally:
                _observe(time.perf_counter() - started, outcome)
        return results

    def _send_batch(
        self, message: str, batch: list[str], number: int, total: int
    ) -> list[SendResult]:
        started = time.perf_counter()

        def elapsed_ms() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            response = self._sms.send(
                message, batch, sender_id=self.sender_id, timeout=self.timeout
            )
        except requests.RequestException as exc:
            error = _network_error(exc)
            log.warning(
                "AT batch %d/%d: %d recipients failed after %.0f ms: %s",
                number,
                total,
                len(batch),
                elapsed_ms(),
                error,
            )
            raise error from exc
        except ValueError as exc:  # the SDK's own phone check
            raise PermanentGatewayError(_mask_text(str(exc))) from exc

        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = _http_error(status_code, response.text)
            log.warning(
                "AT batch %d/%d: %d recipients, HTTP %d after %.0f ms: %s",
                number,
                total,
                len(batch),
                status_code,
                elapsed_ms(),
                error,
            )
            raise error

        try:
            data = _decode(response)
        except ValueError as exc:
            # AT answered 2xx, so it may well have accepted and billed the batch: sending it
            # again could text everyone twice. Not retryable; an operator checks AT's logs.
            log.error(
                "AT batch %d/%d: %d recipients, HTTP %d, unreadable body after %.0f ms",
                number,
                total,
                len(batch),
                status_code,
                elapsed_ms(),
            )
            raise PermanentGatewayError(
                f"AT answered HTTP {status_code} with a body we cannot read "
                f"({_mask_text(response.text[:120])!r}); not retried to avoid double sending",
                status_code=status_code,
                maybe_sent=True,
            ) from exc

        results = _results(batch, data)
        accepted = sum(r.status is Status.SENT for r in results)
        log.info(
            "AT batch %d/%d: %d recipients, %d accepted, HTTP %d in %.0f ms",
            number,
            total,
            len(batch),
            accepted,
            status_code,
            elapsed_ms(),
        )
        for r in results:
            if r.status is Status.FAILED:
                log.info("AT refused %s: %s (code %s)", mask_phone(r.phone), r.reason, r.at_code)
        return results


def _observe(seconds: float, outcome: str) -> None:
    for observer in BATCH_OBSERVERS:
        try:
            observer(seconds, outcome)
        except Exception:  # a metrics hiccup must never fail a send
            log.debug("gateway observer failed", exc_info=True)


def _network_error(exc: requests.RequestException) -> GatewayError:
    if isinstance(exc, requests.Timeout):
        # A read timeout can come after AT accepted the batch: retrying may send twice,
        # dropping the alert is worse; the flag lets the caller tell.
        return RetryableGatewayError(
            f"AT timed out: {type(exc).__name__}",
            maybe_sent=not isinstance(exc, requests.ConnectTimeout),
        )
    if isinstance(exc, requests.ConnectionError):
        return RetryableGatewayError(f"cannot reach AT: {type(exc).__name__}")
    # InvalidURL, MissingSchema, InvalidHeader...: configuration. ChunkedEncodingError and
    # the like happen while reading an answer, after AT may have accepted: not retried.
    return PermanentGatewayError(
        f"AT request failed: {type(exc).__name__}: {_mask_text(str(exc))}",
        maybe_sent=not isinstance(exc, ValueError),
    )


def _http_error(status_code: int, body: str) -> GatewayError:
    text = f"AT answered HTTP {status_code}: {_mask_text(body.strip()[:200])}"
    # 408 and 429 say "later", like a 5xx.
    if status_code >= 500 or status_code in (408, 429):
        return RetryableGatewayError(text, status_code=status_code)
    return PermanentGatewayError(text, status_code=status_code)


def _decode(response: requests.Response) -> Mapping[str, Any]:
    # The SDK parses only when Content-Type is exactly application/json and otherwise hands
    # back the text; AT has answered JSON under other content types, so read both the same way.
    data = json.loads(response.content)
    message_data = data.get("SMSMessageData") if isinstance(data, dict) else None
    if not isinstance(message_data, dict):
        raise ValueError("no SMSMessageData")
    recipients = message_data.get("Recipients") or []
    if not isinstance(recipients, list):
        raise ValueError("Recipients is not a list")
    return message_data


def _results(batch: list[str], data: Mapping[str, Any]) -> list[SendResult]:
    entries: dict[str, deque[Mapping[str, Any]]] = defaultdict(deque)
    for entry in data.get("Recipients") or []:
        if isinstance(entry, dict):
            entries[str(entry.get("number", ""))].append(entry)
    # AT answers e.g. {"Message": "InvalidSenderId", "Recipients": []} with HTTP 2xx when it
    # refuses the whole request: give every recipient that row.
    batch_code = _CODE_BY_REASON.get(str(data.get("Message", "")).strip())
    results = []
    for phone in batch:
        if entries[phone]:
            results.append(_recipient_result(phone, entries[phone].popleft()))
        elif batch_code is not None and not data.get("Recipients"):
            status, retryable, reason = SEND_CODES[batch_code]
            results.append(SendResult(phone, status, None, None, reason, retryable, batch_code))
        else:
            results.append(
                SendResult(phone, Status.FAILED, None, None, "MissingFromResponse", True, None)
            )
    return results


def _recipient_result(phone: str, entry: Mapping[str, Any]) -> SendResult:
    try:
        code: int | None = int(entry.get("statusCode"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        code = None
    status, retryable, reason = SEND_CODES.get(
        code,  # type: ignore[arg-type]
        (Status.FAILED, False, f"Unknown{code if code is not None else ''}"),
    )
    # AT writes messageId "None" (a string) and cost "0" for recipients it refused.
    message_id = entry.get("messageId")
    message_id = None if message_id in (None, "", "None") else str(message_id)
    cost = entry.get("cost")
    cost = None if cost in (None, "", "0", 0) else str(cost)
    return SendResult(phone, status, message_id, cost, reason, retryable, code)
