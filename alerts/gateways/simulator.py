"""A simulated Africa's Talking SMS API, for development and tests.

`SimulatedAT` answers like AT's `POST /version1/messaging` (same form fields, same JSON, same
quirks) and hands every accepted message to a `record` callable instead of a phone. The app
mounts it at `/simulator/at/...` (`alerts/web/simulated_at.py`), which also posts AT-style
delivery reports back to `/sms/delivery`; `/simulator` (`alerts/web/admin/phone.py`) is a basic
phone in the browser that texts and dials Baara through the real webhooks.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from flask import (
    Response,
)

log = logging.getLogger(__name__)

PRICE_PER_SEGMENT = 25
CURRENCY = "XOF"
#: A number ending in 00 plays a phone that is switched off: its report says Failed.
ABSENT_SUFFIX = "00"
AUTH_ERROR = "The supplied authentication is invalid"

# E.164: a country code never starts with 0, at most 15 digits in all.
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def segments(message: str) -> int:
    """Number of SMS parts AT bills for this message (GSM-7 160/153, else UCS-2 70/67)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in message):
        septets = [2 if c in _GSM7_EXTENSION else 1 for c in message]
        single, part = 160, 153
    else:
        # UCS-2 counts UTF-16 code units: characters outside the BMP take two.
        septets = [2 if ord(c) > 0xFFFF else 1 for c in message]
        single, part = 70, 67
    if sum(septets) <= single:
        return 1
    count, used = 1, 0
    for width in septets:
        # A part never splits an escape pair or a surrogate pair.
        if used + width > part:
            count, used = count + 1, 0
        used += width
    return count


def _money(amount: float) -> str:
    return f"{CURRENCY} {amount:.4f}"


class SimulatedAT:
    """AT's SMS sending endpoint as pure logic: form and headers in, (status, body) out."""

    def __init__(
        self,
        record: Callable[[dict], None],
        *,
        api_key: str | None = None,
        username: str | None = None,
        blacklist: Iterable[str] = frozenset(),
        fail_every: int = 0,
        delay: float = 0.0,
    ) -> None:
        self.record = record
        self.api_key = api_key
        self.username = username
        self.blacklist = set(blacklist)
        self.fail_every = fail_every
        self.delay = delay
        self._lock = threading.Lock()
        self._requests = 0
        self._accepted = 0

    @property
    def requests(self) -> int:
        """Requests handled so far, failures included."""
        with self._lock:
            return self._requests

    @property
    def accepted(self) -> int:
        """Recipients accepted (and recorded) so far."""
        with self._lock:
            return self._accepted

    def handle(self, form: Mapping[str, str], headers: Mapping[str, str]) -> tuple[int, dict | str]:
        """Answer one `POST /version1/messaging` as AT would."""
        if self.delay > 0:
            time.sleep(self.delay)
        with self._lock:
            self._requests += 1
            nth = self._requests
        if self.fail_every and nth % self.fail_every == 0:
            return 500, "Internal Server Error"
        if self.api_key is not None and not _same(_header(headers, "apiKey"), self.api_key):
            return 401, AUTH_ERROR
        if (
            self.username is not None
            and form.get("username")
            and not _same(form.get("username"), self.username)
        ):
            return 401, AUTH_ERROR
        for field in ("username", "to", "message"):
            if not form.get(field):
                return 400, f"Request is missing required form field '{field}'"

        message = form["message"]
        parts = segments(message)
        numbers = [n.strip() for n in form["to"].split(",") if n.strip()]
        # Per request, not per recipient: a bulk send is hundreds of numbers for one text.
        cost = _money(parts * PRICE_PER_SEGMENT)
        at = datetime.now(UTC).isoformat()
        sender = form.get("from")
        prefix = f"ATXid_{uuid.uuid4().hex[:20]}"
        recipients = []
        for i, number in enumerate(numbers):
            if not _E164.fullmatch(number):
                recipients.append(_refused(number, 403, "InvalidPhoneNumber"))
            elif number in self.blacklist:
                recipients.append(_refused(number, 406, "UserInBlacklist"))
            else:
                message_id = f"{prefix}{i:04x}"
                recipients.append(
                    {
                        "cost": cost,
                        "messageId": message_id,
                        "messageParts": parts,
                        "number": number,
                        "status": "Success",
                        "statusCode": 101,
                    }
                )
                self.record(
                    {"id": message_id, "to": number, "from": sender, "message": message, "at": at}
                )
        sent = sum(r["statusCode"] == 101 for r in recipients)
        with self._lock:
            self._accepted += sent
        # AT writes a bare "0" when nothing was charged.
        total = _money(sent * parts * PRICE_PER_SEGMENT) if sent else "0"
        return 201, {
            "SMSMessageData": {
                "Message": f"Sent to {sent}/{len(numbers)} Total Cost: {total}",
                "Recipients": recipients,
            }
        }


def _refused(number: str, code: int, status: str) -> dict:
    # As AT answers it: messageId is the string "None" and cost "0".
    return {
        "cost": "0",
        "messageId": "None",
        "number": number,
        "status": status,
        "statusCode": code,
    }


def _same(given: str | None, expected: str) -> bool:
    # Constant time, as the real key check must be: this endpoint may be reachable (SIMULATOR=1).
    return hmac.compare_digest((given or "").encode(), expected.encode())


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def to_response(status: int, body: dict | str) -> Response:
    """Flask response for a SimulatedAT answer, typed exactly as AT types it."""
    if isinstance(body, dict):
        # The SDK parses JSON only when Content-Type is exactly "application/json": passing
        # content_type (not mimetype) keeps Werkzeug from appending "; charset=utf-8".
        return Response(json.dumps(body), status=status, content_type="application/json")
    return Response(body, status=status, content_type="text/plain")
