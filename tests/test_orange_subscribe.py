# ruff: noqa: F811  (the gateway fixtures come from tests/support/gateways.py by import)
"""`flask gateways orange-subscribe`, then the whole loop over real HTTP.

The command registers the inbound-SMS and delivery-receipt subscriptions with the loopback
Orange (through the real client code, bearer token and all); the stand-in then posts a person's
SMS to the notifyURL it was given, the app (served on loopback) answers through Orange, and the
stand-in posts that reply's receipt to the receipt subscription. Running the command again keeps
what is right, replaces what is stale, leaves other applications' subscriptions alone.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from alerts.gateways import orange
from alerts.gateways.orange_subscriptions import Existing, callback_urls, is_ours
from alerts.services import current_services
from app import create_app
from messages import sms as texts
from tests.support.gateways import (  # noqa: F401  (fixtures, found by name)
    LiveApp,
    gateway_config,
    orange_server,
    smsgate_server,
)
from tests.test_sms import is_reply, language_of

KEY = "w" * 38 + "+/"  # URL-quoted in the notifyURL: masked in both spellings
QUOTED = quote(KEY, safe="")


@pytest.fixture()
def live(redis, redis_server, at_server, orange_server, smsgate_server):
    """The app with WEBHOOK_TOKEN set, served over HTTP on loopback, in an app context."""
    application = create_app(
        gateway_config(
            redis_server,
            at_server,
            orange_server,
            smsgate_server,
            GATEWAYS="africastalking,orange",
            GATEWAY_ROUTES="",
            WEBHOOK_TOKEN=KEY,
        )
    )
    with application.app_context(), LiveApp(application) as served:
        yield served


def subscribe(live, *args: str):
    return live.app.test_cli_runner().invoke(args=["gateways", "orange-subscribe", *args])


def test_callback_urls_carry_the_webhook_key():
    assert callback_urls("https://baara.ml/", "a b") == {
        "inbound": "https://baara.ml/orange/inbound?key=a%20b",
        "delivery": "https://baara.ml/orange/delivery?key=a%20b",
    }
    assert callback_urls("https://baara.ml", "")["inbound"] == "https://baara.ml/orange/inbound"


OURS = [
    ("our-callback-data", Existing("1", "https://x.org/hook", "baara-inbound", ""), True),
    ("our-path-old-host", Existing("2", "https://old.ml/orange/inbound?key=a", "", ""), True),
    ("our-delivery-path", Existing("3", "https://old.ml/orange/delivery", "", ""), True),
    ("another-app", Existing("4", "https://shop.ml/sms/mo", "shop", ""), False),
]


@pytest.mark.parametrize(("sub", "ours"), [o[1:] for o in OURS], ids=[o[0] for o in OURS])
def test_only_baaras_subscriptions_are_ours(sub, ours):
    assert is_ours(sub, "inbound") is ours


@pytest.mark.parametrize(
    ("text", "msgid", "lang"),
    [
        ("Niono", texts.SUBSCRIBED, "fr"),
        ("dɛmɛ", texts.HELP, "bm"),
        ("blabla", texts.UNKNOWN, "fr"),
    ],
    ids=["fr-subscribe", "bm-help", "fr-unknown"],
)
def test_subscribe_then_an_sms_to_the_orange_number_is_answered_through_orange(
    live, at_server, orange_server, text, msgid, lang
):
    result = subscribe(live, "--base-url", live.url)
    assert result.exit_code == 0, result.output
    # The key is a secret: masked in what the operator sees, raw or URL-quoted.
    assert KEY not in result.output and quote(KEY, safe="") not in result.output
    [inbound] = orange_server.subscribed("inbound")
    [receipts] = orange_server.subscribed("delivery")
    assert inbound["notify_url"] == f"{live.url}/orange/inbound?key={QUOTED}"
    assert inbound["destination"] == "tel:+22370000000"
    assert receipts["notify_url"] == f"{live.url}/orange/delivery?key={QUOTED}"

    phone = "+22366000001"  # Moov: AT's by route, but it wrote through Orange
    answer = orange_server.deliver_mo(phone, text)
    assert answer.status_code == 200 and answer.json()["status"] == "accepted"
    [reply] = [m for m in orange_server.messages if m["to"] == phone]
    assert is_reply(reply["text"], msgid, lang) and language_of(reply["text"]) == lang
    assert not at_server.messages
    receipt = orange_server.deliver_receipt(phone)
    assert receipt.status_code == 200 and receipt.json()["status"] == "recorded"


def test_a_notification_without_the_key_is_refused(live, orange_server):
    assert subscribe(live, "--base-url", live.url).exit_code == 0
    sub = orange_server.subscribed("inbound")[0]
    url = sub["notify_url"].split("?")[0]
    body = orange_server.mo("+22366000001", "AIDE")
    for key in ("", "?key=wrong"):
        resp = live.app.test_client().post(url.replace(live.url, "") + key, json=body)
        assert resp.status_code == 403
    assert not orange_server.messages


@pytest.mark.parametrize("listing", [True, False], ids=["lists", "does-not-list"])
@pytest.mark.parametrize("overlap", [False, True], ids=["overlap-ok", "refuses-overlap"])
def test_running_it_again_keeps_or_replaces_and_never_duplicates(
    live, orange_server, listing, overlap
):
    orange_server.listing = listing
    orange_server.refuse_overlap = overlap
    # Another application on the same Orange account: never touched.
    orange_server.subscriptions["other"] = {
        "kind": "inbound",
        "notify_url": "https://shop.ml/sms/mo",
        "callback_data": "shop",
        "criteria": "SHOP",
        "destination": "tel:+22370000099",
        "body": {
            "callbackReference": {"notifyURL": "https://shop.ml/sms/mo", "callbackData": "shop"},
            "criteria": "SHOP",
            "destinationAddress": "tel:+22370000099",
            "resourceURL": "http://orange/smsmessaging/v1/inbound/subscriptions/other",
        },
    }
    first = subscribe(live, "--base-url", live.url)
    assert first.exit_code == 0, first.output
    ids = {s["notify_url"]: i for i, s in orange_server.subscriptions.items()}
    again = subscribe(live, "--base-url", live.url)
    assert again.exit_code == 0, again.output
    if listing:  # a platform that lists: what is right is kept as it is
        assert "inbound: kept" in again.output and "delivery: kept" in again.output
        assert {s["notify_url"]: i for i, s in orange_server.subscriptions.items()} == ids
    moved = subscribe(live, "--base-url", "https://baara.example.org/")
    assert moved.exit_code == 0, moved.output
    assert "deleted" in moved.output
    ours = {
        s["kind"]: s["notify_url"] for i, s in orange_server.subscriptions.items() if i != "other"
    }
    assert ours == {
        "inbound": f"https://baara.example.org/orange/inbound?key={QUOTED}",
        "delivery": f"https://baara.example.org/orange/delivery?key={QUOTED}",
    }
    assert len(orange_server.subscriptions) == 3 and "other" in orange_server.subscriptions
    store = current_services().store
    for kind in ("inbound", "delivery"):
        [remembered] = store.gateway_subscriptions(orange.NAME, kind)
        assert orange_server.subscriptions[remembered]["kind"] == kind


def test_the_keyword_and_short_code_reach_the_subscription(live, orange_server):
    result = subscribe(
        live, "--base-url", live.url, "--criteria", "BAARA", "--destination", "70 00 00 01"
    )
    assert result.exit_code == 0, result.output
    [inbound] = orange_server.subscribed("inbound")
    assert (inbound["criteria"], inbound["destination"]) == ("BAARA", "tel:+22370000001")
    assert orange_server.deliver_mo("+22376000002", "baara Niono").status_code == 200
    with pytest.raises(LookupError):  # Orange does not forward what the keyword filters out
        orange_server.deliver_mo("+22376000002", "Niono")


FAILURES = [
    ("no-base-url", [], None, 2, "--base-url"),
    ("not-a-url", ["--base-url", "baara.ml"], None, 2, "--base-url"),
    ("orange-refuses-auth", ["--base-url", "https://b.ml"], "auth", 1, "refused the token request"),
    ("orange-down", ["--base-url", "https://b.ml"], "5xx", 1, "HTTP 503"),
]


@pytest.mark.parametrize(
    ("args", "fail", "code", "said"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
def test_what_goes_wrong_is_said_plainly(live, orange_server, args, fail, code, said):
    orange_server.fail = fail or ""
    result = subscribe(live, *args)
    assert result.exit_code == code, result.output
    assert said in result.output
    assert not orange_server.subscriptions
