"""The AT gateway, through the real africastalking SDK over HTTP to a loopback AT server."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from flask import Flask

from alerts.gateways.africastalking import Gateway, delivery_status, mask_phone
from alerts.gateways.base import (
    GatewayError,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
    Status,
)
from alerts.gateways.simulator import SimulatedAT, segments
from alerts.web.simulated_at import at_blueprint
from config.settings import Settings
from tests.loopback_at import LoopbackAT

A, B, C, D, E = "+22376123456", "+22366123457", "+22390123458", "+22350123459", "+22383123450"
JSON = "application/json"


def gateway(at: LoopbackAT, **kwargs) -> Gateway:
    """A gateway pointed at the loopback server."""
    kwargs.setdefault("sender_id", "BAARA")
    return Gateway("baara", at.api_key or "test-key", api_url=at.url, **kwargs)


def at_body(*recipients: dict, message: str = "Sent to 1/1 Total Cost: XOF 25.0000") -> str:
    """An AT send answer, as AT writes it."""
    return json.dumps({"SMSMessageData": {"Message": message, "Recipients": list(recipients)}})


def recipient(number: str, code: int, status: str) -> dict:
    """One AT recipient entry; refused ones carry messageId "None" and cost "0" like AT's."""
    if code in (100, 101, 102):
        return {
            "cost": "XOF 25.0000",
            "messageId": "ATXid_5f0c2a",
            "messageParts": 1,
            "number": number,
            "status": status,
            "statusCode": code,
        }
    return {
        "cost": "0",
        "messageId": "None",
        "number": number,
        "status": status,
        "statusCode": code,
    }


def unused_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_send_reaches_at_with_username_message_and_sender(at_server: LoopbackAT) -> None:
    at_server.api_key = "secret"
    results = gateway(at_server).send("Nouvelle offre: infirmier à Kayes", [A, B])

    assert [r.status for r in results] == [Status.SENT, Status.SENT]
    assert at_server.requests == 1
    form = at_server.received[0]["form"]
    assert form["username"] == "baara"
    assert form["message"] == "Nouvelle offre: infirmier à Kayes"
    assert form["from"] == "BAARA"
    assert form["to"] == f"{A},{B}"
    assert form["bulkSMSMode"] == "1"
    assert at_server.received[0]["headers"]["Apikey"] == "secret"
    (to_a,) = at_server.messages_to(A)
    assert to_a["from"] == "BAARA"
    assert to_a["message"] == "Nouvelle offre: infirmier à Kayes"
    assert results[0] == SendResult(
        A, Status.SENT, to_a["id"], "XOF 25.0000", "Success", False, 101
    )
    assert to_a["id"].startswith("ATXid_")


def test_send_without_sender_id_omits_from(at_server: LoopbackAT) -> None:
    gateway(at_server, sender_id=None).send_one("Bonjour", A)
    assert "from" not in at_server.received[0]["form"]
    assert at_server.messages_to(A)[0]["from"] is None


def test_send_one_returns_its_result(at_server: LoopbackAT) -> None:
    result = gateway(at_server).send_one("Bonjour", C)
    assert result.phone == C and result.status is Status.SENT and result.at_code == 101
    assert at_server.wait_for(1, timeout=1)


def test_batches_keep_input_order(at_server: LoopbackAT) -> None:
    results = gateway(at_server, batch_size=2).send("Bonjour", [A, B, C, D, E])

    assert at_server.requests == 3
    assert [r["form"]["to"] for r in at_server.received] == [f"{A},{B}", f"{C},{D}", E]
    assert [r.phone for r in results] == [A, B, C, D, E]
    assert all(r.status is Status.SENT for r in results)
    assert len({r.message_id for r in results}) == 5


def test_no_recipients_sends_nothing(at_server: LoopbackAT) -> None:
    assert gateway(at_server).send("Bonjour", []) == []
    assert at_server.requests == 0


#: AT statusCode and status word -> Baara status, retryable, reason.
STATUS_CODE_ROWS = [
    (100, "Processed", Status.SENT, False, "Processed"),
    (101, "Success", Status.SENT, False, "Success"),
    (102, "Queued", Status.SENT, False, "Queued"),
    (401, "RiskHold", Status.FAILED, True, "RiskHold"),
    (402, "InvalidSenderId", Status.FAILED, False, "InvalidSenderId"),
    (403, "InvalidPhoneNumber", Status.FAILED, False, "InvalidPhoneNumber"),
    (404, "UnsupportedNumberType", Status.FAILED, False, "UnsupportedNumberType"),
    (405, "InsufficientBalance", Status.FAILED, True, "InsufficientBalance"),
    (406, "UserInBlacklist", Status.FAILED, False, "UserInBlacklist"),
    (407, "CouldNotRoute", Status.FAILED, False, "CouldNotRoute"),
    (500, "InternalServerError", Status.FAILED, True, "InternalServerError"),
    (501, "GatewayError", Status.FAILED, True, "GatewayError"),
    (502, "RejectedByGateway", Status.FAILED, True, "RejectedByGateway"),
    (999, "SomethingNew", Status.FAILED, False, "Unknown999"),
]


@pytest.mark.parametrize(
    ("code", "at_status", "status", "retryable", "reason"),
    STATUS_CODE_ROWS,
    ids=[str(row[0]) for row in STATUS_CODE_ROWS],
)
def test_recipient_status_codes(
    at_server: LoopbackAT,
    code: int,
    at_status: str,
    status: Status,
    retryable: bool,
    reason: str,
) -> None:
    at_server.answer(201, JSON, at_body(recipient(A, code, at_status)))
    (result,) = gateway(at_server).send("Bonjour", [A])

    assert (result.status, result.retryable, result.reason, result.at_code) == (
        status,
        retryable,
        reason,
        code,
    )
    assert result.blacklisted is (code == 406)
    if status is Status.SENT:
        assert (result.message_id, result.cost) == ("ATXid_5f0c2a", "XOF 25.0000")
    else:
        # AT's "None" and "0" for refused recipients mean nothing was sent or charged.
        assert (result.message_id, result.cost) == (None, None)


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        pytest.param(
            JSON,
            at_body(recipient(A, 101, "Success"), recipient(B, 406, "UserInBlacklist")),
            [(A, 101), (B, 406)],
            id="mixed-answer",
        ),
        pytest.param(
            "text/html; charset=UTF-8",
            at_body(recipient(A, 101, "Success"), recipient(B, 101, "Success")),
            [(A, 101), (B, 101)],
            id="json-under-other-content-type",
        ),
        pytest.param(
            JSON,
            at_body(recipient(B, 101, "Success"), recipient(A, 403, "InvalidPhoneNumber")),
            [(A, 403), (B, 101)],
            id="answer-in-other-order",
        ),
        pytest.param(
            JSON,
            at_body(recipient(A, 101, "Success")),
            [(A, 101), (B, None)],
            id="recipient-missing",
        ),
        pytest.param(
            JSON,
            at_body(message="InvalidSenderId"),
            [(A, 402), (B, 402)],
            id="whole-request-refused",
        ),
        pytest.param(
            JSON, at_body(message="InsufficientBalance"), [(A, 405), (B, 405)], id="no-credit"
        ),
    ],
)
def test_answers_map_to_recipients(
    at_server: LoopbackAT,
    content_type: str,
    body: str,
    expected: list[tuple[str, int | None]],
) -> None:
    at_server.answer(201, content_type, body)
    results = gateway(at_server).send("Bonjour", [A, B])
    assert [(r.phone, r.at_code) for r in results] == expected
    for r in results:
        if r.at_code is None:
            assert (r.status, r.retryable, r.reason) == (Status.FAILED, True, "MissingFromResponse")


def test_same_number_twice_gets_both_entries(at_server: LoopbackAT) -> None:
    at_server.answer(
        201, JSON, at_body(recipient(A, 101, "Success"), recipient(A, 406, "UserInBlacklist"))
    )
    results = gateway(at_server).send("Bonjour", [A, A])
    assert [r.at_code for r in results] == [101, 406]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(JSON, "<html>Bad gateway</html>", id="html"),
        pytest.param("text/plain", "", id="empty"),
        pytest.param(JSON, '{"SMSMessageData": "oops"}', id="wrong-shape"),
        pytest.param(JSON, '{"SMSMessageData": {"Recipients": 3}', id="truncated"),
    ],
)
def test_unreadable_2xx_is_not_retried(at_server: LoopbackAT, content_type: str, body: str) -> None:
    at_server.answer(201, content_type, body)
    with pytest.raises(PermanentGatewayError) as caught:
        gateway(at_server).send("Bonjour", [A])
    assert caught.value.retryable is False
    assert caught.value.maybe_sent is True
    assert caught.value.status_code == 201


@pytest.mark.parametrize(
    ("http_status", "body", "error"),
    [
        (500, "Internal Server Error", RetryableGatewayError),
        (502, "<html>Bad Gateway</html>", RetryableGatewayError),
        (503, "Service Unavailable", RetryableGatewayError),
        (429, "Too Many Requests", RetryableGatewayError),
        (400, "Request is missing required form field 'to'", PermanentGatewayError),
        (401, "The supplied authentication is invalid", PermanentGatewayError),
        (403, "Forbidden", PermanentGatewayError),
        (404, "Not Found", PermanentGatewayError),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else None,
)
def test_http_errors(
    at_server: LoopbackAT, http_status: int, body: str, error: type[GatewayError]
) -> None:
    at_server.answer(http_status, "text/plain", body)
    with pytest.raises(error) as caught:
        gateway(at_server).send("Bonjour", [A])
    assert caught.value.status_code == http_status
    assert caught.value.retryable is (error is RetryableGatewayError)
    assert caught.value.results == []
    assert str(http_status) in str(caught.value)


def test_wrong_api_key_is_permanent(at_server: LoopbackAT) -> None:
    at_server.api_key = "the-real-key"
    with pytest.raises(PermanentGatewayError, match="authentication is invalid") as caught:
        Gateway("baara", "a-wrong-key", api_url=at_server.url).send("Bonjour", [A])
    assert caught.value.status_code == 401
    assert at_server.messages == []


def test_server_error_from_simulator_is_retryable(at_server: LoopbackAT) -> None:
    at_server.fail_every = 1
    with pytest.raises(RetryableGatewayError) as caught:
        gateway(at_server).send("Bonjour", [A])
    assert caught.value.status_code == 500
    assert at_server.messages == []


def test_connection_refused_is_retryable() -> None:
    gw = Gateway("baara", "key", api_url=f"http://127.0.0.1:{unused_port()}/version1")
    with pytest.raises(RetryableGatewayError) as caught:
        gw.send("Bonjour", [A])
    assert caught.value.maybe_sent is False


def test_timeout_is_retryable_and_may_have_been_sent(at_server: LoopbackAT) -> None:
    at_server.delay = 1.0
    with pytest.raises(RetryableGatewayError, match="timed out") as caught:
        gateway(at_server, timeout=(1.0, 0.1)).send("Bonjour", [A])
    assert caught.value.maybe_sent is True


def test_failed_batch_keeps_results_of_earlier_batches(at_server: LoopbackAT) -> None:
    at_server.fail_every = 2  # the second request answers HTTP 500
    with pytest.raises(GatewayError) as caught:
        gateway(at_server, batch_size=2).send("Bonjour", [A, B, C, D, E])

    error = caught.value
    assert isinstance(error, RetryableGatewayError) and error.retryable
    assert [r.phone for r in error.results] == [A, B]
    assert all(r.status is Status.SENT and r.message_id for r in error.results)
    assert at_server.requests == 2  # the third batch was not tried
    assert [m["to"] for m in at_server.messages] == [A, B]


@pytest.mark.parametrize(
    "phone",
    ["76123456", "+223 76 12 34 56", "+22376123456\n", "", "0022376123456", "+223"],
    ids=["no-plus", "spaces", "trailing-newline", "empty", "00-prefix", "too-short"],
)
def test_invalid_phone_is_permanent_and_sends_nothing(at_server: LoopbackAT, phone: str) -> None:
    with pytest.raises(PermanentGatewayError, match="invalid phone"):
        gateway(at_server, batch_size=1).send("Bonjour", [A, phone])
    assert at_server.requests == 0


def test_a_string_is_not_a_list_of_recipients(at_server: LoopbackAT) -> None:
    with pytest.raises(TypeError):
        gateway(at_server).send("Bonjour", A)


def test_number_at_refuses_is_a_failed_result(at_server: LoopbackAT) -> None:
    # Passes the SDK's check, fails E.164 (country codes never start with 0).
    results = gateway(at_server).send("Bonjour", [A, "+0223761234"])
    assert [(r.status, r.reason) for r in results] == [
        (Status.SENT, "Success"),
        (Status.FAILED, "InvalidPhoneNumber"),
    ]


def test_blacklisted_number(at_server: LoopbackAT) -> None:
    at_server.blacklist = {B}
    a, b = gateway(at_server).send("Bonjour", [A, B])
    assert not a.blacklisted
    assert b.blacklisted and b.status is Status.FAILED and not b.retryable
    assert at_server.messages_to(B) == []


@pytest.mark.parametrize(
    ("message", "cost"),
    [
        pytest.param("a" * 160, "XOF 25.0000", id="gsm7-one-segment"),
        pytest.param("a" * 161, "XOF 50.0000", id="gsm7-two-segments"),
        pytest.param("ɛ" * 70, "XOF 25.0000", id="ucs2-one-segment"),
        pytest.param("ɛ" * 71, "XOF 50.0000", id="ucs2-two-segments"),
        pytest.param("€" * 80, "XOF 25.0000", id="gsm7-escapes"),
    ],
)
def test_simulated_cost_is_per_segment(at_server: LoopbackAT, message: str, cost: str) -> None:
    (result,) = gateway(at_server).send(message, [A])
    assert result.cost == cost


def test_segments_never_split_an_escape_pair() -> None:
    assert segments("a" * 152 + "€" + "a" * 151) == 2  # the pair opens part two
    assert segments("a" * 152 + "€" + "a" * 152) == 3


@pytest.mark.parametrize(
    ("at_status", "status"),
    [
        ("Sent", Status.SENT),
        ("Submitted", Status.SENT),
        ("Buffered", Status.SENT),
        ("Success", Status.DELIVERED),
        ("Rejected", Status.FAILED),
        ("Failed", Status.FAILED),
        ("Expired", Status.FAILED),
        ("Delivered", None),
        ("", None),
    ],
    ids=lambda v: v if isinstance(v, str) and not isinstance(v, Status) else None,
)
def test_delivery_status(at_status: str, status: Status | None) -> None:
    assert delivery_status(at_status) is status


def test_logs_mask_phone_numbers(at_server: LoopbackAT, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    at_server.blacklist = {B}
    gw = gateway(at_server, batch_size=1)
    gw.send("Bonjour", [A, B])
    at_server.answer(503, "text/plain", f"Unavailable for {C}")
    with pytest.raises(RetryableGatewayError) as caught:
        gw.send("Bonjour", [C])
    with pytest.raises(PermanentGatewayError) as invalid:
        gw.send("Bonjour", ["22376123450"])

    assert "AT batch 1/2: 1 recipients" in caplog.text
    assert mask_phone(B) == "+2236612****"
    assert mask_phone(B) in caplog.text
    for phone in (A, B, C, "22376123450"):
        assert phone not in caplog.text
    assert C not in str(caught.value)
    assert "22376123450" not in str(invalid.value)


def test_from_settings() -> None:
    gw = Gateway.from_settings(
        Settings(
            at_username="baara",
            at_api_key="k",
            at_sender_id="",
            at_batch_size=500,
            at_api_url="http://127.0.0.1:8001/version1/",
        )
    )
    assert (gw.username, gw.sender_id, gw.batch_size) == ("baara", None, 500)
    assert gw.api_url == "http://127.0.0.1:8001/version1"
    assert Gateway.from_settings(Settings(at_username="u", at_api_key="k")).api_url == (
        "https://api.africastalking.com/version1"
    )
    assert Gateway.from_settings(Settings(at_username="sandbox", at_api_key="k")).api_url == (
        "https://api.sandbox.africastalking.com/version1"
    )


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),
        Settings(at_username="baara"),
        Settings(at_username="baara", at_api_key="k", at_batch_size=0),
    ],
    ids=["empty", "no-key", "zero-batch"],
)
def test_from_settings_refuses_missing_settings(settings: Settings) -> None:
    with pytest.raises(PermanentGatewayError):
        Gateway.from_settings(settings)


def test_simulator_blueprint_answers_exact_json_content_type() -> None:
    app = Flask(__name__)
    app.register_blueprint(at_blueprint)
    recorded: list[dict] = []
    app.extensions["baara.simulated_at"] = SimulatedAT(recorded.append)

    response = app.test_client().post(
        "/simulator/at/version1/messaging",
        data={"username": "sandbox", "to": f"{A},{B}", "message": "Bonjour", "from": "BAARA"},
        headers={"apiKey": "simulated"},
    )

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    data = response.get_json()["SMSMessageData"]
    assert data["Message"] == "Sent to 2/2 Total Cost: XOF 50.0000"
    assert [m["to"] for m in recorded] == [A, B]
    assert recorded[0]["from"] == "BAARA"


@pytest.mark.parametrize(
    ("form", "headers", "status"),
    [
        ({"username": "u", "to": A, "message": "m"}, {}, 401),
        ({"username": "u", "to": A, "message": "m"}, {"apiKey": "wrong"}, 401),
        ({"username": "u", "to": A, "message": "m"}, {"apikey": "k"}, 201),
        ({"to": A, "message": "m"}, {"apiKey": "k"}, 400),
        ({"username": "u", "message": "m"}, {"apiKey": "k"}, 400),
        ({"username": "u", "to": A}, {"apiKey": "k"}, 400),
    ],
    ids=["no-key", "wrong-key", "key-any-case", "no-username", "no-to", "no-message"],
)
def test_simulator_validates_like_at(form: dict, headers: dict, status: int) -> None:
    recorded: list[dict] = []
    code, body = SimulatedAT(recorded.append, api_key="k").handle(form, headers)
    assert code == status
    assert bool(recorded) is (status == 201)
    assert isinstance(body, dict) is (status == 201)
