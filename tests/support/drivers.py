"""One driver for the gateway callbacks, as Africa's Talking sends them (form-encoded).

Every function takes the Flask test client first, then who, then what: `sms(client, phone,
text)`, `ussd(client, session, phone, text)`, `delivery(client, at_id, status, phone)`. The
`*_form` builders give the bare form for tests that take a field away or spoil one.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

SHORTCODE = "38422"
USSD_CODE = "*384*22#"
NETWORK = "61001"  # Orange Mali
RECEIVED = "2026-11-23 10:00:00"

# One counter for every test: AT's message ids are unique, and the inbox drops a repeated one.
_ids = itertools.count(1)


def next_id(prefix: str = "ATXid") -> str:
    """A fresh AT-style id, unique in this test run."""
    return f"{prefix}_{next(_ids)}"


def sms_form(phone: str, text: str, *, at_id: str | None = None, **fields: str) -> dict[str, str]:
    """The form of one inbound SMS; `fields` add or replace AT's fields (linkId, to, date...)."""
    return {
        "from": phone,
        "to": SHORTCODE,
        "text": text,
        "date": RECEIVED,
        "id": at_id or next_id(),
        "networkCode": NETWORK,
        **fields,
    }


def ussd_form(session: str, phone: str, text: str, **fields: str) -> dict[str, str]:
    """The form of one USSD request: `text` is every answer so far, joined by '*'."""
    return {
        "sessionId": session,
        "serviceCode": USSD_CODE,
        "phoneNumber": phone,
        "networkCode": NETWORK,
        "text": text,
        **fields,
    }


def delivery_form(
    at_id: str, status: str, phone: str, *, reason: str = "", **fields: str
) -> dict[str, str]:
    """The form of one delivery report; `reason` is AT's failureReason when there is one."""
    form = {"id": at_id, "status": status, "phoneNumber": phone, "networkCode": NETWORK, **fields}
    if reason:
        form["failureReason"] = reason
    return form


def _checked(response: TestResponse, expect: int | None) -> TestResponse:
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)
    return response


def sms(
    client: FlaskClient,
    phone: str,
    text: str,
    *,
    at_id: str | None = None,
    expect: int | None = 200,
    query: str = "",
    **fields: str,
) -> TestResponse:
    """POST one inbound SMS to the webhook; checks the status unless `expect` is None."""
    form = sms_form(phone, text, at_id=at_id, **fields)
    return _checked(client.post(f"/sms/incoming{query}", data=form), expect)


def ussd(
    client: FlaskClient,
    session: str,
    phone: str,
    text: str,
    *,
    expect: int | None = 200,
    query: str = "",
) -> str:
    """POST one USSD request; the screen's body (CON/END and the text)."""
    response = client.post(f"/ussd{query}", data=ussd_form(session, phone, text))
    return _checked(response, expect).get_data(as_text=True)


def call(client: FlaskClient, session: str, phone: str, *answers: str) -> list[str]:
    """A whole USSD call as AT makes it: the growing path, one answer at a time; every body."""
    return [ussd(client, session, phone, "*".join(answers[:n])) for n in range(len(answers) + 1)]


def delivery(
    client: FlaskClient,
    at_id: str,
    status: str,
    phone: str,
    *,
    reason: str = "",
    expect: int | None = 200,
) -> TestResponse:
    """POST one delivery report for the message AT knows as `at_id`."""
    form = delivery_form(at_id, status, phone, reason=reason)
    return _checked(client.post("/sms/delivery", data=form), expect)


def deliver(
    client: FlaskClient, message: Mapping[str, Any], status: str = "Success", reason: str = ""
) -> TestResponse:
    """A delivery report for a message the loopback AT server accepted (its id and number)."""
    return delivery(client, message["id"], status, message["to"], reason=reason)


def wait_for(check: Callable[[], object], timeout: float, what: str, step: float = 0.05) -> None:
    """Poll `check` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
