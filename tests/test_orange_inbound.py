# ruff: noqa: F811  (the gateway fixtures come from tests/support/gateways.py by import)
"""SMS people send to the NGO's Orange number, through Orange's OneAPI notifications.

Orange posts `inboundSMSMessageNotification`s to the inbound subscription's notifyURL; Baara
reads them at POST /orange/inbound (and at /orange/delivery: an Orange account may have one
callback URL for everything), into the inbox AT's and SMSGate's texts share, deduped by
Orange's messageId, and answers through Orange, in the sender's language. Receipts are read at
either URL too. `flask gateways orange-subscribe` registers both subscriptions with the loopback
Orange, which then posts notifications to the app over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alerts.gateways import orange
from alerts.gateways.events import DeliveryReport, FieldProblem
from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.store import Language, Subscription
from app import create_app
from messages import sms as texts
from tests.conftest import free_port
from tests.support.gateways import (  # noqa: F401  (fixtures, found by name)
    LiveApp,
    client,
    gateway_config,
    gw_app,
    orange_server,
    posting,
    smsgate_server,
)
from tests.test_admin import token
from tests.test_sms import assert_one_segment, is_reply, language_of

N = orange.INBOUND
MSG = f"{N}.inboundSMSMessage"
URLS = ["/orange/inbound", "/orange/delivery"]
KEY = "k" * 40


def note(sender: object = "tel:+22366123456", text: object = "AIDE", **fields: object) -> dict:
    """A notification as Orange posts it; `fields` replace or (None) remove message fields."""
    message: dict[str, object] = {
        "dateTime": "2026-11-30T08:15:27.000Z",
        "destinationAddress": "tel:+22370000000",
        "messageId": "8a5c6fe4-7c3b-4bb0-a9f1-2d6d1f0d2c11",
        "message": text,
        "senderAddress": sender,
    }
    for name, value in fields.items():
        if value is None:
            message.pop(name, None)
        else:
            message[name] = value
    return {N: {"callbackData": "baara-inbound", "inboundSMSMessage": message}}


# -- reading: pure, every way Orange writes a number and a text -----------------------------

READ = [
    ("fr-tel-e164", note("tel:+22366123456", "Niono"), "+22366123456", "Niono"),
    ("bm-help", note("tel:+22376123456", "dɛmɛ"), "+22376123456", "dɛmɛ"),
    ("bm-bo", note("tel:+22376123456", "bɔ"), "+22376123456", "bɔ"),
    ("fr-accents-emoji", note("tel:+22366123456", "Ségou 👍"), "+22366123456", "Ségou 👍"),
    ("no-plus", note("tel:22366123456", "STOP"), "+22366123456", "STOP"),
    ("national", note("tel:66123456", "STOP"), "+22366123456", "STOP"),
    ("no-tel-prefix", note("+22350123456", "AIDE"), "+22350123456", "AIDE"),
    ("upper-tel-spaces", note("TEL:+223 76 12 34 56", "aide"), "+22376123456", "aide"),
    ("arabic-indic", note("tel:+٢٢٣٧٦١٢٣٤٥٦", "Kati"), "+22376123456", "Kati"),
    ("nko-digits", note("tel:߇߆߁߂߃߄߅߆", "Kati"), "+22376123456", "Kati"),
    ("double-zero", note("tel:0022366123456", "Niono"), "+22366123456", "Niono"),
    ("empty-text", note("tel:+22366123456", ""), "+22366123456", ""),
    ("numeric-id", note(messageId=4242), "+22366123456", "AIDE"),
]


@pytest.mark.parametrize(("body", "phone", "text"), [r[1:] for r in READ], ids=[r[0] for r in READ])
def test_an_inbound_notification_reads_into_a_provider_neutral_sms(body, phone, text):
    for expected in (orange.INBOUND, orange.RECEIPT):  # either URL reads it the same
        event = orange.read_notification(body, expected)
        assert isinstance(event, tuple) and len(event) == 1, event
        sms = event[0]
        assert (sms.phone, sms.text) == (phone, text)
        assert sms.message_id == f"orange:{body[N]['inboundSMSMessage']['messageId']}"
        assert sms.received_at == datetime(2026, 11, 30, 8, 15, 27, tzinfo=UTC)


def test_without_a_message_id_the_same_sms_keeps_the_same_id():
    body = note("tel:+22366123456", "Niono", messageId=None)
    first, again = orange.inbound_sms(body), orange.inbound_sms(note(messageId=None, text="Kati"))
    assert isinstance(first, tuple) and isinstance(again, tuple)
    assert first[0].message_id == orange.inbound_sms(body)[0].message_id  # type: ignore[index]
    assert first[0].message_id.startswith("orange:h")
    assert first[0].message_id != again[0].message_id


def test_a_list_of_messages_loses_none():
    body = note()
    second = dict(body[N]["inboundSMSMessage"], messageId="m2", message="dɛmɛ")
    body[N]["inboundSMSMessage"] = [body[N]["inboundSMSMessage"], second]
    event = orange.inbound_sms(body)
    assert isinstance(event, tuple) and [s.text for s in event] == ["AIDE", "dɛmɛ"]


def test_a_receipt_reads_the_same_at_either_url():
    body = {
        "deliveryInfoNotification": {
            "callbackData": "ref-1",
            "deliveryInfo": {
                "address": "tel:+22370000001",
                "deliveryStatus": "DeliveredToTerminal",
            },
        }
    }
    for expected in (orange.INBOUND, orange.RECEIPT):
        assert orange.read_notification(body, expected) == DeliveryReport(
            "ref-1", orange.Status.DELIVERED, ""
        )


# -- junk: 400 naming the field, at both URLs, nothing sent ---------------------------------

BAD = [
    ("notification-not-object", {N: "x"}, N),
    ("no-message", {N: {"callbackData": "x"}}, MSG),
    ("message-not-object", {N: {"inboundSMSMessage": "AIDE"}}, MSG),
    ("no-sender", note(senderAddress=None), f"{MSG}.senderAddress"),
    ("sender-words", note("tel:hello"), f"{MSG}.senderAddress"),
    ("sender-too-short", note("tel:+2231"), f"{MSG}.senderAddress"),
    ("sender-number", note(22366123456), f"{MSG}.senderAddress"),
    ("sender-empty", note(""), f"{MSG}.senderAddress"),
    ("no-text", note(message=None), f"{MSG}.message"),
    ("text-number", note(text=12), f"{MSG}.message"),
    ("bad-date", note(dateTime="hier matin"), f"{MSG}.dateTime"),
    ("no-id-no-date", note(messageId=None, dateTime=None), f"{MSG}.messageId"),
    ("blank-id", note(messageId="  "), f"{MSG}.messageId"),
    ("id-object", note(messageId={"a": 1}), f"{MSG}.messageId"),
    (
        "bad-second-of-list",
        {N: {"inboundSMSMessage": [note()[N]["inboundSMSMessage"], {"message": "x"}]}},
        f"{MSG}[1].senderAddress",
    ),
]


@pytest.fixture()
def orange_app(redis, redis_server, at_server, orange_server, smsgate_server):
    """AT first, Orange second, no routes: only the way a person wrote sends a reply to Orange."""
    application = create_app(
        gateway_config(
            redis_server,
            at_server,
            orange_server,
            smsgate_server,
            GATEWAYS="africastalking,orange",
            GATEWAY_ROUTES="",
        )
    )
    with application.app_context():
        yield application


@pytest.mark.parametrize("url", URLS, ids=["inbound-url", "delivery-url"])
@pytest.mark.parametrize(("body", "field"), [r[1:] for r in BAD], ids=[r[0] for r in BAD])
def test_a_malformed_notification_is_a_400_naming_its_field(
    orange_app, at_server, orange_server, url, body, field
):
    assert isinstance(orange.read_notification(body), FieldProblem)
    resp = orange_app.test_client().post(url, json=body)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["field"] == field
    assert not orange_server.messages and not at_server.messages


@pytest.mark.parametrize(
    ("url", "raw", "field"),
    [
        ("/orange/inbound", "{", N),
        ("/orange/inbound", "[]", N),
        ("/orange/inbound", '{"hello": 1}', N),
        ("/orange/delivery", "{", orange.RECEIPT),
        ("/orange/delivery", '"text"', orange.RECEIPT),
    ],
    ids=["inbound-not-json", "inbound-list", "inbound-other", "delivery-not-json", "delivery-str"],
)
def test_a_body_of_neither_kind_names_the_kind_that_url_expects(orange_app, url, raw, field):
    resp = orange_app.test_client().post(
        url, data=raw, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.get_json()["field"] == field


# -- end to end: the reply goes back through Orange, in the sender's language ---------------

#: (id, phone, language already set or None, text, reply msgid (None: any), reply language)
CONVERSATIONS = [
    ("fr-subscribe-moov", "+22366000001", None, "Niono", texts.SUBSCRIBED, "fr"),
    ("bm-subscribe-moov", "+22366000002", None, "baara kura Niono", texts.SUBSCRIBED, "bm"),
    ("bm-help", "+22376000003", None, "dɛmɛ", texts.HELP, "bm"),
    ("fr-help-telecel", "+22350000004", None, "AIDE", texts.HELP, "fr"),
    ("fr-accents-emoji", "+22366000005", None, "Ségou 👍", texts.SUBSCRIBED, "fr"),
    ("fr-unknown", "+22366000006", None, "blabla", texts.UNKNOWN, "fr"),
    # "bɔ" (leave) is not in the parser's vocabulary today: whatever it means, answered in bm.
    ("bm-bo", "+22366000007", Language.BM, "bɔ", None, "bm"),
    ("fr-stop", "+22366000008", Language.FR, "STOP", texts.STOPPED, "fr"),
    ("bm-stop", "+22376000009", Language.BM, "STOP", texts.STOPPED, "bm"),
]


@pytest.mark.parametrize("url", URLS, ids=["inbound-url", "delivery-url"])
@pytest.mark.parametrize(
    ("phone", "lang", "text", "msgid", "reply_lang"),
    [c[1:] for c in CONVERSATIONS],
    ids=[c[0] for c in CONVERSATIONS],
)
def test_an_sms_through_orange_is_answered_through_orange_once(
    orange_app, at_server, orange_server, url, phone, lang, text, msgid, reply_lang
):
    store = current_services().store
    if lang is not None:
        store.subscribe(phone, [Subscription(district="kati")], language=lang)
    body = orange_server.mo(phone, text)
    client = orange_app.test_client()
    resp = client.post(url, json=body)
    assert resp.status_code == 200 and resp.get_json()["status"] == "accepted"
    replies = [m["text"] for m in orange_server.messages if m["to"] == phone]
    assert len(replies) == 1, orange_server.messages
    assert msgid is None or is_reply(replies[0], msgid, reply_lang), replies[0]
    assert language_of(replies[0]) == reply_lang
    assert_one_segment(replies[0])
    assert not at_server.messages  # AT is the default route, yet nothing went through it
    assert store.last_gateway(phone) == orange.NAME
    if msgid is texts.STOPPED:
        assert not store.get_subscriber(phone).active
    # Orange posts again when it got no 200 in time: handled once, at either URL.
    for again_url in URLS:
        again = client.post(again_url, json=body)
        assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len([m for m in orange_server.messages if m["to"] == phone]) == 1


def test_the_same_text_again_with_a_new_message_id_is_a_new_sms(orange_app, orange_server):
    client = orange_app.test_client()
    for _ in range(2):
        resp = client.post("/orange/inbound", json=orange_server.mo("+22366000011", "AIDE"))
        assert resp.get_json()["status"] == "accepted"
    assert [m["to"] for m in orange_server.messages] == ["+22366000011"] * 2


def test_a_receipt_posted_to_the_inbound_url_updates_the_alert(
    gw_app, client, api_headers, orange_server
):
    store = current_services().store
    store.subscribe("+22370000001", [Subscription(district="niono")], language=Language.FR)
    job_id = client.post("/api/jobs", json=posting(), headers=api_headers).get_json()["id"]
    assert orange_server.phones() == ["+22370000001"]
    resp = client.post("/orange/inbound", json=orange_server.receipt("+22370000001"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "recorded"
    assert jobs.job_stats(current_services(), job_id)["delivered"] == 1


# -- `make run`: the phone simulator texts Baara through Orange -------------------------------


def test_the_phone_simulator_texts_through_orange_and_reads_the_reply(redis, redis_server):
    port = free_port()
    application = create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_server.url,
            "RQ_SYNC": True,
            "QUIET_HOURS": "",
            "PORT": port,
            "BAARA_ENV": "development",
            "GATEWAYS": "africastalking,orange",
            "WEBHOOK_TOKEN": KEY,
        }
    )
    with application.app_context(), LiveApp(application, port):
        client = application.test_client()
        page = client.get("/simulator?phone=66000001").get_data(as_text=True)
        assert "data-sms-gateway" in page and '<option value="orange">' in page
        csrf = {"X-CSRFToken": token(client, "/simulator")}
        for local, text, lang in (("66000001", "dɛmɛ", "bm"), ("66000002", "AIDE", "fr")):
            resp = client.post(
                "/simulator/sms",
                json={"phone": local, "text": text, "gateway": "orange"},
                headers=csrf,
            )
            assert resp.status_code == 200, resp.get_data(as_text=True)
            assert resp.get_json()["gateway"] == "orange"
            inbox = client.get(f"/simulator/inbox?phone={local}").get_json()["messages"]
            assert [m["gateway"] for m in inbox] == ["orange"]  # a Moov number, via Orange
            assert language_of(inbox[0]["text"]) == lang
        refused = client.post(
            "/simulator/sms",
            json={"phone": "66000001", "text": "AIDE", "gateway": "smsgate"},
            headers=csrf,
        )
        assert refused.status_code == 400
