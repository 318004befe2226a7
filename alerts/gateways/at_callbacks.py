"""Africa's Talking's callbacks read into provider-neutral events (`alerts/gateways/events.py`).

With `africastalking.py` (sending), the only code that knows AT's field names. Each reader takes
the posted form and returns the event, or a `FieldProblem` naming AT's field, never raising.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime

from alerts.domain.phones import try_normalize
from alerts.gateways.africastalking import delivery_status
from alerts.gateways.events import (
    DeliveryReport,
    FieldProblem,
    InboundSMS,
    OptOut,
    USSDEnd,
    USSDRequest,
)

INCOMING_FIELDS = ("from", "to", "text", "date", "id")
DELIVERY_FIELDS = ("id", "status")
OPT_OUT_FIELDS = ("senderId", "phoneNumber")
USSD_FIELDS = ("sessionId", "serviceCode", "phoneNumber", "text")
USSD_EVENT_FIELDS = ("sessionId", "phoneNumber", "status")
NOT_A_PHONE = "not a valid phone number"
#: Bounds on a USSD request: a real session cannot come near them in ~180 s.
MAX_TEXT = 2000
MAX_SESSION_ID = 200


def _missing(form: Mapping[str, str], fields: tuple[str, ...]) -> FieldProblem | None:
    for name in fields:
        if name not in form:
            return FieldProblem(name, "missing")
    return None


def parse_at_date(value: str) -> datetime | None:
    """AT sends '2017-05-03T06:04:45Z' or '2017-05-03 06:04:45' (and sometimes fractions)."""
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def inbound_sms(form: Mapping[str, str]) -> InboundSMS | FieldProblem:
    """POST /sms/incoming: from, to, text, date, id (linkId and networkCode are not used)."""
    if problem := _missing(form, INCOMING_FIELDS):
        return problem
    phone = try_normalize(form["from"])
    if phone is None:
        return FieldProblem("from", NOT_A_PHONE)
    if not form["id"].strip():
        return FieldProblem("id", "empty")
    when = parse_at_date(form["date"])
    if when is None:
        return FieldProblem("date", "expected 2017-05-03T06:04:45Z or 2017-05-03 06:04:45")
    return InboundSMS(phone, form["id"], form["text"], when)


def delivery_report(form: Mapping[str, str]) -> DeliveryReport | FieldProblem:
    """POST /sms/delivery: id, status, failureReason (phoneNumber is never trusted)."""
    if problem := _missing(form, DELIVERY_FIELDS):
        return problem
    return DeliveryReport(
        form["id"], delivery_status(form["status"]), form.get("failureReason", "")
    )


def opt_out(form: Mapping[str, str]) -> OptOut | FieldProblem:
    """POST /sms/opt-out: senderId, phoneNumber."""
    if problem := _missing(form, OPT_OUT_FIELDS):
        return problem
    phone = try_normalize(form["phoneNumber"])
    if phone is None:
        return FieldProblem("phoneNumber", NOT_A_PHONE)
    return OptOut(phone)


@functools.lru_cache(maxsize=4096)
def _caller(raw: str) -> str | None:
    # Every answer of a call repeats the number: parse it once per call, not once per screen.
    return try_normalize(raw) if len(raw) <= 32 else None


def ussd_request(form: Mapping[str, str]) -> USSDRequest | FieldProblem:
    """POST /ussd: sessionId, serviceCode, phoneNumber, text (the answers joined by '*')."""
    if problem := _missing(form, USSD_FIELDS):
        return problem
    phone = _caller(form["phoneNumber"])
    if phone is None:
        return FieldProblem("phoneNumber", NOT_A_PHONE)
    session_id = form["sessionId"].strip()
    if not 0 < len(session_id) <= MAX_SESSION_ID or not session_id.isprintable():
        return FieldProblem("sessionId", f"expected 1 to {MAX_SESSION_ID} printable characters")
    text = form["text"]
    if len(text) > MAX_TEXT:
        return FieldProblem("text", f"longer than {MAX_TEXT} characters")
    return USSDRequest(phone, session_id, text)


def ussd_end(form: Mapping[str, str]) -> USSDEnd | FieldProblem:
    """POST /ussd/events: sessionId, phoneNumber, status ('Success' when the call ended well)."""
    if problem := _missing(form, USSD_EVENT_FIELDS):
        return problem
    phone = try_normalize(form["phoneNumber"])
    if phone is None:
        return FieldProblem("phoneNumber", NOT_A_PHONE)
    return USSDEnd(phone, form["sessionId"].strip(), form["status"] == "Success")
