# ruff: noqa: F811  (the gateway fixtures come from tests/support/gateways.py by import)
"""Inbound SMS and delivery reports from Orange and SMSGate, handled as AT's are.

SMSGate's signed webhooks (POST /smsgate/events) land in the same inbox (deduped by the event's
id) and the reply goes back through the phone; Orange's deliveryInfoNotification
(POST /orange/delivery) and SMSGate's sms:sent/delivered/failed update the same alert records and
job counts. Bad bodies get a 400 naming the field, bad signatures a 401, a missing ?key= a 403.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from alerts.gateways import orange, smsgate
from alerts.gateways.events import DeliveryReport, FieldProblem, InboundSMS
from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.store import Language, Subscription
from app import create_app
from tests.conftest import free_port
from tests.loopback_gateways import signed
from tests.support.gateways import (  # noqa: F401  (fixtures, found by name)
    client,
    gateway_config,
    gw_app,
    orange_server,
    posting,
    smsgate_server,
)

KEY = "signing-key"
MOOV = "+22366123456"


def post_event(client, body: dict, key: str = KEY, **headers: str):
    raw, signed_headers = signed(body, key)
    signed_headers.update(headers)
    return client.post("/smsgate/events", data=raw, headers=signed_headers)


# -- inbound through the phone, French and Bamanankan ---------------------------------------

INBOUND = [
    ("fr-subscribe", "Niono", "fr"),
    ("fr-help", "AIDE", "fr"),
    ("bm-help", "dɛmɛ", "bm"),
    ("bm-subscribe", "Niono", "bm"),
    ("fr-unknown", "blabla", "fr"),
]


@pytest.mark.parametrize(
    ("text", "lang"), [(t, lang) for _, t, lang in INBOUND], ids=[i for i, _, _ in INBOUND]
)
def test_an_sms_received_by_the_phone_is_answered_through_the_phone(
    gw_app, client, at_server, smsgate_server, text, lang
):
    store = current_services().store
    phone = "+22370111222"  # an Orange number: routed to Orange, but it wrote via the phone
    if lang == "bm":
        store.subscribe(phone, [Subscription(district="kati")], language=Language.BM)
    event = smsgate_server.event(
        "sms:received",
        messageId="abc",
        message=text,
        phoneNumber=phone,
        simNumber=1,
        receivedAt="2026-05-03T06:04:45.000+00:00",
    )
    resp = post_event(client, event)
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    replies = [m for m in smsgate_server.messages if m["to"] == phone]
    assert len(replies) == 1, smsgate_server.messages
    assert not at_server.messages  # nothing through AT
    # The same event again (the app retries until it gets a 200): a duplicate, no new reply.
    again = post_event(client, event)
    assert again.get_json()["status"] == "duplicate"
    assert len([m for m in smsgate_server.messages if m["to"] == phone]) == 1


SIGNATURES = [
    ("no-signature", {"X-Signature": ""}, 401),
    ("wrong-key", {"key": "other"}, 401),
    ("old", {"X-Timestamp": str(int(time.time()) - 3600)}, 401),
    ("not-a-time", {"X-Timestamp": "yesterday"}, 401),
]


@pytest.mark.parametrize(
    ("change", "status"), [(c, s) for _, c, s in SIGNATURES], ids=[i for i, _, _ in SIGNATURES]
)
def test_an_unsigned_or_forged_event_is_refused(gw_app, client, smsgate_server, change, status):
    event = smsgate_server.event(
        "sms:received",
        messageId="x",
        message="AIDE",
        phoneNumber=MOOV,
        receivedAt="2026-05-03T06:04:45Z",
    )
    change = dict(change)
    key = change.pop("key", KEY)
    resp = post_event(client, event, key, **change)
    assert resp.status_code == status
    assert not smsgate_server.messages


def test_callbacks_take_the_webhook_token(
    redis, redis_server, at_server, orange_server, smsgate_server
):
    config = gateway_config(
        redis_server, at_server, orange_server, smsgate_server, WEBHOOK_TOKEN="w" * 40
    )
    application = create_app(config)
    with application.app_context():
        c = application.test_client()
        body = {
            "deliveryInfoNotification": {
                "callbackData": "nope",
                "deliveryInfo": {
                    "address": "tel:+22370000001",
                    "deliveryStatus": "DeliveredToTerminal",
                },
            }
        }
        assert c.post("/orange/delivery", json=body).status_code == 403
        assert c.post(f"/orange/delivery?key={'w' * 40}", json=body).status_code == 200
        event = smsgate_server.event("sms:delivered", messageId="nope", phoneNumber=MOOV)
        raw, headers = signed(event, KEY)
        assert c.post("/smsgate/events", data=raw, headers=headers).status_code == 403
        ok = c.post(f"/smsgate/events?key={'w' * 40}", data=raw, headers=headers)
        assert ok.status_code == 200 and ok.get_json()["status"] == "ignored"


# -- delivery reports from both gateways update the same records ----------------------------


def test_delivery_reports_from_every_gateway_update_the_job(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    store = current_services().store
    people = {
        "+22370000001": Language.FR,
        "+22376000002": Language.BM,
        "+22360000005": Language.FR,
        "+22395000008": Language.BM,
    }
    for phone, lang in people.items():
        store.subscribe(phone, [Subscription(district="niono")], language=lang)
    resp = client.post("/api/jobs", json=posting(), headers=api_headers)
    job_id = resp.get_json()["id"]
    assert sorted(orange_server.phones()) == ["+22370000001", "+22376000002"]
    assert sorted(smsgate_server.phones()) == ["+22360000005", "+22395000008"]

    def report(path: str, body: dict) -> None:
        answer = client.post(
            path,
            data=json.dumps(body),
            headers={"Content-Type": "application/json"} if path.startswith("/orange") else None,
        )
        assert answer.status_code == 200 and answer.get_json()["status"] == "recorded"

    report("/orange/delivery", orange_server.receipt("+22370000001"))
    report("/orange/delivery", orange_server.receipt("+22370000001"))  # repeated: once
    report("/orange/delivery", orange_server.receipt("+22376000002", "DeliveryImpossible"))
    for kind, phone in (("sms:sent", "+22360000005"), ("sms:delivered", "+22360000005")):
        assert post_event(client, smsgate_server.status_event(phone, kind)).status_code == 200
    failed = smsgate_server.status_event("+22395000008", "sms:failed", reason="RESULT_ERROR")
    assert post_event(client, failed).get_json()["status"] == "recorded"
    figures = jobs.job_stats(current_services(), job_id)
    assert {k: figures[k] for k in ("matched", "sent", "delivered", "failed")} == {
        "matched": 4,
        "sent": 4,
        "delivered": 2,
        "failed": 2,
    }
    assert figures["failures_by_reason"] == {"DeliveryImpossible": 1, "RESULT_ERROR": 1}


# -- malformed bodies: 400 naming the field (the readers are pure) --------------------------

ORANGE_BAD = [
    ("not-json", None, "deliveryInfoNotification"),
    ("no-notification", {}, "deliveryInfoNotification"),
    (
        "no-callback",
        {"deliveryInfoNotification": {"deliveryInfo": {}}},
        "deliveryInfoNotification.callbackData",
    ),
    (
        "no-info",
        {"deliveryInfoNotification": {"callbackData": "a"}},
        "deliveryInfoNotification.deliveryInfo",
    ),
    (
        "no-status",
        {
            "deliveryInfoNotification": {
                "callbackData": "a",
                "deliveryInfo": {"address": "tel:+22370000001"},
            }
        },
        "deliveryInfoNotification.deliveryInfo.deliveryStatus",
    ),
    (
        "bad-address",
        {
            "deliveryInfoNotification": {
                "callbackData": "a",
                "deliveryInfo": {"address": "tel:abc", "deliveryStatus": "DeliveredToTerminal"},
            }
        },
        "deliveryInfoNotification.deliveryInfo.address",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in ORANGE_BAD], ids=[i for i, _, _ in ORANGE_BAD]
)
def test_a_malformed_orange_receipt_names_its_field(gw_app, client, body, field):
    assert isinstance(orange.delivery_report(body), FieldProblem)
    resp = client.post(
        "/orange/delivery",
        data=json.dumps(body) if body is not None else "{",
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == field


SMSGATE_BAD = [
    ("no-event", {"payload": {}}, "event"),
    ("no-payload", {"event": "sms:received"}, "payload"),
    ("no-message-id", {"event": "sms:received", "payload": {"message": "x"}}, "payload.messageId"),
    (
        "bad-phone",
        {
            "event": "sms:received",
            "payload": {"messageId": "m", "message": "x", "phoneNumber": "hello"},
        },
        "payload.phoneNumber",
    ),
    (
        "no-text",
        {"event": "sms:received", "payload": {"messageId": "m", "phoneNumber": MOOV}},
        "payload.message",
    ),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in SMSGATE_BAD], ids=[i for i, _, _ in SMSGATE_BAD]
)
def test_a_malformed_smsgate_event_names_its_field(gw_app, client, body, field):
    resp = post_event(client, body)
    assert resp.status_code == 400 and resp.get_json()["field"] == field


READ = [
    (
        "received-fr",
        {
            "event": "sms:received",
            "id": "e1",
            "payload": {
                "messageId": "m1",
                "message": "AIDE",
                "phoneNumber": "+22366123456",
                "receivedAt": "2026-05-03T06:04:45.000+00:00",
            },
        },
        InboundSMS("+22366123456", "smsgate:e1", "AIDE", None),
    ),  # type: ignore[arg-type]
    (
        "received-bm",
        {
            "event": "sms:received",
            "payload": {
                "messageId": "m2",
                "message": "dɛmɛ",
                "phoneNumber": "+22366123456",
                "receivedAt": "2026-05-03T06:04:45Z",
            },
        },
        InboundSMS("+22366123456", "smsgate:m2", "dɛmɛ", None),
    ),  # type: ignore[arg-type]
    (
        "sent",
        {"event": "sms:sent", "payload": {"messageId": "m3", "phoneNumber": MOOV}},
        DeliveryReport("m3", smsgate.Status.SENT, ""),
    ),
    (
        "failed",
        {"event": "sms:failed", "payload": {"messageId": "m4", "reason": "NO_SERVICE"}},
        DeliveryReport("m4", smsgate.Status.FAILED, "NO_SERVICE"),
    ),
    ("ping", {"event": "system:ping", "payload": {"messageId": "p"}}, None),
]


@pytest.mark.parametrize(
    ("body", "expected"), [(b, e) for _, b, e in READ], ids=[i for i, _, _ in READ]
)
def test_smsgate_events_read_into_provider_neutral_events(body, expected):
    event = smsgate.read_event(body)
    if isinstance(expected, InboundSMS):
        assert isinstance(event, InboundSMS)
        assert (event.phone, event.message_id, event.text) == (
            expected.phone,
            expected.message_id,
            expected.text,
        )
    else:
        assert event == expected


# -- `make run`: several simulated gateways at once -------------------------------------------


def test_development_simulates_every_gateway_and_the_phone_shows_which_carried(redis, redis_server):
    port = free_port()
    application = create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_server.url,
            "RQ_SYNC": True,
            "QUIET_HOURS": "",
            "API_TOKEN": "test-token",
            "PORT": port,
            "BAARA_ENV": "development",
            "GATEWAYS": "africastalking,orange,smsgate",
            "GATEWAY_ROUTES": "orange=orange,moov=smsgate",
        }
    )
    server = make_server("127.0.0.1", port, application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with application.app_context():
            store = current_services().store
            people = {
                "+22370000001": "orange",
                "+22366000002": "smsgate",
                "+22350000003": "africastalking",
            }
            for phone in people:
                store.subscribe(phone, [Subscription(district="niono")], language=Language.BM)
            resp = requests.post(
                f"http://127.0.0.1:{port}/api/jobs",
                json=posting(),
                headers={"Authorization": "Bearer test-token"},
                timeout=30,
            )
            assert resp.status_code == 201, resp.text
            job_id = resp.json()["id"]
            for phone, gateway in people.items():
                got = [
                    m["gateway"]
                    for m in requests.get(
                        f"http://127.0.0.1:{port}/simulator/inbox",
                        params={"phone": phone},
                        timeout=10,
                    ).json()["messages"]
                ]
                assert got == [gateway], (phone, got)
            deadline = time.time() + 15
            while time.time() < deadline:
                if jobs.job_stats(current_services(), job_id)["delivered"] == 3:
                    break
                time.sleep(0.3)
            assert jobs.job_stats(current_services(), job_id)["delivered"] == 3
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("text", ["AIDE", "dɛmɛ"], ids=["fr", "bm"])
def test_a_reply_fails_over_when_the_phone_it_came_through_is_down(
    gw_app, client, at_server, smsgate_server, text
):
    smsgate_server.fail = "5xx"
    event = smsgate_server.event(
        "sms:received",
        messageId="m",
        message=text,
        phoneNumber=MOOV,
        receivedAt="2026-05-03T06:04:45Z",
    )
    assert post_event(client, event).get_json()["status"] == "accepted"
    assert not smsgate_server.messages
    assert [m["to"] for m in at_server.messages] == [MOOV]  # once, through the next gateway
