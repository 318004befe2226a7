"""One number, one identity (issue 13, item 2): digits of any script, at every entry point.

A number written with fullwidth, Arabic-Indic, Eastern Arabic-Indic, Devanagari, Bengali or
mixed digits is the same person as its ASCII spelling wherever it comes in (SMS, USSD, opt-out
and delivery webhooks, relay texts, the JSON API, the admin web, the phone simulator); text that
is not a number (letters, invisible format characters) is refused; the gateway refuses to send
to anything but `+` and ASCII digits. Every test ends with a scan: no Redis key names a
non-ASCII number.
"""

from __future__ import annotations

import itertools
from urllib.parse import quote

import pytest

from alerts.domain.phones import InvalidPhone, normalize, try_normalize
from alerts.gateways.base import PermanentGatewayError
from alerts.services import current_services
from alerts.sms import relays
from alerts.store import Language, StoppedBy, Subscription, current_store
from config.reference import default_reference
from tests.support.drivers import sms
from tests.test_admin import ADMIN, login, make_account, token

A = "+22376123456"
RELAY = "+22366000001"
_ids = itertools.count(1)

#: The same number as A, spelled in other scripts (E.164 and local forms).
SAME_AS_A = [
    pytest.param("+223７6123456", id="one-fullwidth-digit"),
    pytest.param("＋２２３７６１２３４５６", id="all-fullwidth-with-fullwidth-plus"),
    pytest.param("+٢٢٣٧٦١٢٣٤٥٦", id="arabic-indic"),
    pytest.param("+۲۲۳۷۶۱۲۳۴۵۶", id="eastern-arabic-indic"),
    pytest.param("+२२३७६१२३४५६", id="devanagari"),
    pytest.param("+২২৩৭৬১২৩৪৫৬", id="bengali"),
    pytest.param("+223٧6١23४5６", id="mixed-scripts"),
    pytest.param("٧٦١٢٣٤٥٦", id="local-arabic-indic"),
    pytest.param("７６\u00a0１２\u00a0３４\u00a0５６", id="local-fullwidth-nbsp-spaced"),
    pytest.param("00٢٢٣٧٦١٢٣٤٥٦", id="international-prefix-arabic-indic"),
    pytest.param("+223\u200976\u201112\u201134\u201156", id="thin-space-and-unicode-hyphens"),
]

#: Not a number at all, however close it looks: refused, never a new identity.
NOT_A_NUMBER = [
    pytest.param("+22376123456\u200b", id="zero-width-space"),
    pytest.param("+22376\u202e123456", id="right-to-left-override"),
    pytest.param("+2237612345O", id="letter-O-for-zero"),
    pytest.param("+223 76 12 ABCD", id="keypad-letters"),
    pytest.param("+223①6123456", id="circled-digit"),
    pytest.param("+223⁷6123456", id="superscript-digit"),
    pytest.param("+22376123456;", id="trailing-symbol"),
]


def everything_ascii(redis) -> None:
    """No key, and no set or hash member, names a number outside ASCII."""
    for key in redis.scan_iter(count=1000):
        assert key.isascii(), key
        kind = redis.type(key)
        if kind == "set":
            assert all(m.isascii() for m in redis.smembers(key)), key
        elif kind == "zset":
            assert all(m.isascii() for m in redis.zrange(key, 0, -1)), key


# -- the parser itself -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", SAME_AS_A)
def test_other_scripts_are_the_same_number(raw: str) -> None:
    assert normalize(raw) == A


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_lookalikes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize(raw)


# -- every entry point -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscribe", "stop", "help_"),
    [
        pytest.param("NIONO", "STOP", "AIDE", id="fr"),
        pytest.param("n b'a fɛ baara sɔrɔ Niono", "a jɔ", "dɛmɛ", id="bm"),
    ],
)
@pytest.mark.parametrize("raw", SAME_AS_A)
def test_sms_webhook_a_stopped_number_stays_one_person(
    app, client, redis, at_server, raw, subscribe, stop, help_
):
    assert sms(client, A, subscribe).status_code == 200
    assert current_store().get_subscriber(A).active
    assert sms(client, A, stop).status_code == 200
    assert sms(client, raw, help_).status_code == 200
    store = current_store()
    assert not store.get_subscriber(A).active
    assert {m["to"] for m in at_server.messages} == {A}
    everything_ascii(redis)


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_sms_webhook_refuses_a_lookalike_sender(app, client, redis, at_server, raw):
    answer = sms(client, raw, "NIONO", expect=400)
    assert answer.json["field"] == "from"
    assert at_server.messages == []
    everything_ascii(redis)


@pytest.mark.parametrize("lang", [Language.FR, Language.BM])
@pytest.mark.parametrize("raw", SAME_AS_A)
def test_ussd_webhook_knows_the_subscriber(app, client, redis, raw, lang):
    current_store().subscribe(A, [Subscription(district="niono")], language=lang)
    answer = client.post(
        "/ussd",
        data={
            "sessionId": f"s{next(_ids)}",
            "serviceCode": "*384*22#",
            "phoneNumber": raw,
            "text": "",
        },
    )
    assert answer.status_code == 200 and answer.text.startswith("CON ")
    first_screen = client.post(
        "/ussd",
        data={
            "sessionId": f"s{next(_ids)}",
            "serviceCode": "*384*22#",
            "phoneNumber": A,
            "text": "",
        },
    )
    assert answer.text == first_screen.text  # the subscriber's own home, in their language
    everything_ascii(redis)


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_ussd_webhook_refuses_a_lookalike(app, client, redis, raw):
    answer = client.post(
        "/ussd",
        data={"sessionId": "s-bad", "serviceCode": "*384*22#", "phoneNumber": raw, "text": ""},
    )
    assert answer.status_code == 400
    everything_ascii(redis)


@pytest.mark.parametrize("raw", SAME_AS_A)
def test_operator_opt_out_stops_the_subscriber(app, client, redis, raw):
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    answer = client.post("/sms/opt-out", data={"senderId": "BAARA", "phoneNumber": raw})
    assert answer.status_code == 200
    assert not current_store().get_subscriber(A).active
    everything_ascii(redis)


RELAY_TEXTS = [pytest.param("INSCRIRE {} NIONO", id="fr"), pytest.param("sɛbɛn {} NIONO", id="bm")]


@pytest.mark.parametrize("lang", RELAY_TEXTS)
@pytest.mark.parametrize("raw", SAME_AS_A)
def test_a_relay_cannot_ask_a_stopped_number_in_another_script(
    app, client, redis, at_server, raw, lang
):
    store = current_store()
    relays.approve(store, default_reference(), RELAY, ["niono"])
    store.stop(A, by=StoppedBy.USER)
    sms(client, RELAY, lang.format(raw))
    assert at_server.messages_to(A) == []
    assert [m for m in at_server.messages if m["to"] != RELAY] == []
    assert relays.pending_request(store, A) is None
    everything_ascii(redis)


@pytest.mark.parametrize("lang", RELAY_TEXTS)
@pytest.mark.parametrize("raw", SAME_AS_A)
def test_a_relay_asks_the_ascii_number(app, client, redis, at_server, raw, lang):
    store = current_store()
    relays.approve(store, default_reference(), RELAY, ["niono"])
    sms(client, RELAY, lang.format(raw))
    assert len(at_server.messages_to(A)) == 1
    assert relays.pending_request(store, A) is not None
    assert {m["to"] for m in at_server.messages} == {A, RELAY}
    everything_ascii(redis)


@pytest.mark.parametrize("raw", SAME_AS_A)
def test_api_finds_erases_and_makes_relays_by_any_spelling(app, client, redis, api_headers, raw):
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    found = client.get(f"/api/subscribers/{quote(raw)}", headers=api_headers)
    assert found.status_code == 200 and found.json["phone"] == A
    made = client.put(
        f"/api/relays/{quote(raw)}", json={"districts": ["niono"]}, headers=api_headers
    )
    assert made.status_code in (200, 201)
    assert current_store().get_relay(A) is not None
    assert client.delete(f"/api/subscribers/{quote(raw)}", headers=api_headers).status_code == 204
    assert current_store().get_subscriber(A) is None
    everything_ascii(redis)


@pytest.mark.parametrize("raw", NOT_A_NUMBER)
def test_api_refuses_a_lookalike(app, client, redis, api_headers, raw):
    answer = client.get(f"/api/subscribers/{quote(raw)}", headers=api_headers)
    assert answer.status_code in (400, 404)
    made = client.put(
        f"/api/relays/{quote(raw)}", json={"districts": ["niono"]}, headers=api_headers
    )
    assert made.status_code in (400, 404)
    everything_ascii(redis)


@pytest.mark.parametrize("raw", SAME_AS_A)
def test_admin_pages_find_the_subscriber_by_any_spelling(app, client, redis, raw):
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    page = client.get(f"/admin/subscribers/{quote(raw)}")
    assert page.status_code == 200 and "+2237612" in page.text
    search = client.get("/admin/subscribers", query_string={"q": raw})
    assert search.status_code in (200, 302)
    if search.status_code == 302:
        assert quote(A) in search.headers["Location"] or A in search.headers["Location"]
    else:
        assert "+2237612" in search.text
    client.post(
        "/admin/relays",
        data={"phone": raw, "districts": ["niono"], "csrf_token": token(client, "/admin/relays")},
    )
    assert current_store().get_relay(A) is not None
    everything_ascii(redis)


@pytest.mark.parametrize("part", ["٧٦١٢٣", "７６１２３", "७६१२३", "76١23"])
def test_admin_search_by_part_of_a_number_in_any_script(app, client, part):
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    current_store().subscribe("+22366000009", [Subscription(district="kati")])
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    page = client.get("/admin/subscribers", query_string={"q": part})
    assert page.status_code in (200, 302)
    shown = page.text if page.status_code == 200 else page.headers["Location"]
    assert "2237612" in shown and "2236600" not in shown


@pytest.mark.parametrize("raw", SAME_AS_A)
def test_phone_simulator_texts_as_the_ascii_number(app, client, redis, at_server, raw):
    csrf = token(client, "/simulator")
    sent = client.post(
        "/simulator/sms", json={"phone": raw, "text": "NIONO"}, headers={"X-CSRFToken": csrf}
    )
    assert sent.status_code == 200
    assert current_store().get_subscriber(A) is not None
    assert {m["to"] for m in at_server.messages} == {A}
    everything_ascii(redis)


@pytest.mark.parametrize(
    "phone",
    [
        *SAME_AS_A,
        *NOT_A_NUMBER,
        pytest.param("22376123456", id="no-plus"),
        pytest.param("+223 76123456", id="space"),
        pytest.param("+22376123456\n", id="newline"),
    ],
)
def test_gateway_sends_only_to_plus_and_ascii_digits(app, at_server, phone):
    gateway = current_services().gateway
    with pytest.raises(PermanentGatewayError):
        gateway.send("Baara test", [A, phone])
    assert at_server.messages == []


def test_try_normalize_never_raises_on_odd_text() -> None:
    for text in ["", " ", "\x00", "+", "٫", "\u0660" * 40, "+" + "９" * 20, "☎76123456"]:
        assert try_normalize(text) is None or try_normalize(text).isascii()
