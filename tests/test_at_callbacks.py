"""Africa's Talking's callbacks read into provider-neutral events: pure, no Flask, no Redis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.gateways import at_callbacks
from alerts.gateways.base import Status
from alerts.gateways.events import (
    DeliveryReport,
    FieldProblem,
    InboundSMS,
    OptOut,
    USSDEnd,
    USSDRequest,
)

SMS = {
    "from": "+22376123456",
    "to": "38422",
    "text": "inscrire niono",
    "id": "at-1",
    "date": "2026-11-23 10:00:00",
}
USSD = {
    "sessionId": "ATUid_1",
    "serviceCode": "*384*22#",
    "phoneNumber": "+22376123456",
    "text": "1*2",
}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (SMS, InboundSMS("+22376123456", "at-1", "inscrire niono", datetime(2026, 11, 23, 10))),
        (
            {**SMS, "date": "2026-11-23T10:00:00Z", "text": "n b'a fɛ baara sɔrɔ Niono"},
            InboundSMS(
                "+22376123456",
                "at-1",
                "n b'a fɛ baara sɔrɔ Niono",
                datetime(2026, 11, 23, 10, tzinfo=UTC),
            ),
        ),
        (
            {**SMS, "from": "76 12 34 56"},
            InboundSMS("+22376123456", "at-1", "inscrire niono", datetime(2026, 11, 23, 10)),
        ),
        ({k: v for k, v in SMS.items() if k != "text"}, FieldProblem("text", "missing")),
        ({k: v for k, v in SMS.items() if k != "to"}, FieldProblem("to", "missing")),
        ({**SMS, "from": "Orange"}, FieldProblem("from", "not a valid phone number")),
        ({**SMS, "id": "  "}, FieldProblem("id", "empty")),
        (
            {**SMS, "date": "hier"},
            FieldProblem("date", "expected 2017-05-03T06:04:45Z or 2017-05-03 06:04:45"),
        ),
    ],
    ids=[
        "fr",
        "bm-iso-date",
        "local-number",
        "no-text",
        "no-to",
        "not-a-phone",
        "empty-id",
        "bad-date",
    ],
)
def test_inbound_sms(form: dict, expected: object) -> None:
    assert at_callbacks.inbound_sms(form) == expected


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"id": "m1", "status": "Success"}, DeliveryReport("m1", Status.DELIVERED, "")),
        (
            {"id": "m1", "status": "Failed", "failureReason": "AbsentSubscriber"},
            DeliveryReport("m1", Status.FAILED, "AbsentSubscriber"),
        ),
        ({"id": "m1", "status": "Buffered"}, DeliveryReport("m1", Status.SENT, "")),
        ({"id": "m1", "status": "Queued"}, DeliveryReport("m1", None, "")),
        ({"status": "Success"}, FieldProblem("id", "missing")),
        ({"id": "m1"}, FieldProblem("status", "missing")),
    ],
    ids=[
        "delivered",
        "failed-with-reason",
        "buffered-is-sent",
        "untracked-status",
        "no-id",
        "no-status",
    ],
)
def test_delivery_report(form: dict, expected: object) -> None:
    assert at_callbacks.delivery_report(form) == expected


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"senderId": "BAARA", "phoneNumber": "+22376123456"}, OptOut("+22376123456")),
        (
            {"senderId": "BAARA", "phoneNumber": "abc"},
            FieldProblem("phoneNumber", "not a valid phone number"),
        ),
        ({"phoneNumber": "+22376123456"}, FieldProblem("senderId", "missing")),
    ],
    ids=["opt-out", "not-a-phone", "no-sender"],
)
def test_opt_out(form: dict, expected: object) -> None:
    assert at_callbacks.opt_out(form) == expected


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (USSD, USSDRequest("+22376123456", "ATUid_1", "1*2")),
        ({**USSD, "text": ""}, USSDRequest("+22376123456", "ATUid_1", "")),
        ({**USSD, "text": "Niono"}, USSDRequest("+22376123456", "ATUid_1", "Niono")),
        (
            {**USSD, "sessionId": " "},
            FieldProblem("sessionId", "expected 1 to 200 printable characters"),
        ),
        (
            {**USSD, "sessionId": "x" * 201},
            FieldProblem("sessionId", "expected 1 to 200 printable characters"),
        ),
        ({**USSD, "text": "1*" * 1001}, FieldProblem("text", "longer than 2000 characters")),
        (
            {**USSD, "phoneNumber": "+2237612345678901234567890123456789"},
            FieldProblem("phoneNumber", "not a valid phone number"),
        ),
        (
            {k: v for k, v in USSD.items() if k != "serviceCode"},
            FieldProblem("serviceCode", "missing"),
        ),
    ],
    ids=[
        "answers",
        "first-step",
        "typed-district",
        "blank-session",
        "long-session",
        "long-text",
        "long-number",
        "no-service-code",
    ],
)
def test_ussd_request(form: dict, expected: object) -> None:
    assert at_callbacks.ussd_request(form) == expected


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (
            {"sessionId": "s1 ", "phoneNumber": "+22376123456", "status": "Success"},
            USSDEnd("+22376123456", "s1", True),
        ),
        (
            {"sessionId": "s1", "phoneNumber": "+22376123456", "status": "Incomplete"},
            USSDEnd("+22376123456", "s1", False),
        ),
        ({"sessionId": "s1", "status": "Success"}, FieldProblem("phoneNumber", "missing")),
    ],
    ids=["ended-well", "cut-off", "no-number"],
)
def test_ussd_end(form: dict, expected: object) -> None:
    assert at_callbacks.ussd_end(form) == expected
