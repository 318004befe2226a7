"""End to end: a text posted to /sms/incoming, the reply the loopback AT server receives, the
subscriptions the JSON API shows; delivery reports, opt-outs, webhook keys and odd requests.

The app fixture runs RQ inline, so a reply is in `at_server.messages` when the POST returns.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import NamedTuple
from urllib.parse import quote

import pytest

from alerts.store import Store
from messages import alert as alert_texts
from messages import relay as relay_texts
from messages import sms as texts
from messages.catalog import gettext
from messages.compose import count_segments, is_gsm7, to_gsm7
from tests.support.drivers import sms
from tests.traces import number_traces

PHONE = "+22376123456"
OTHER = "+22366123456"
_ids = itertools.count(1)


# -- helpers ------------------------------------------------------------------------------


def replies(at_server, phone: str = PHONE) -> list[str]:
    return [m["message"] for m in at_server.messages_to(phone)]


def send(client, at_server, text: str, phone: str = PHONE) -> str | None:
    """Send one text; return the one reply it produced, or None when Baara stayed silent."""
    before = len(replies(at_server, phone))
    response = sms(client, phone, text, expect=None)
    assert response.status_code == 200, response.get_data(as_text=True)
    after = replies(at_server, phone)
    assert len(after) - before <= 1, after[before:]
    return after[before] if len(after) > before else None


def subscriptions(client, api_headers, phone: str = PHONE) -> set[str]:
    """The API's subscriptions as 'd:niono:*' / 'r:segou:nurse' codes."""
    response = client.get(f"/api/subscribers/{quote(phone)}", headers=api_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    codes = set()
    for s in response.json["subscriptions"]:
        kind, place = ("d", s["district"]["slug"]) if s["district"] else ("r", s["region"]["slug"])
        codes.add(f"{kind}:{place}:{s['category']['slug'] if s['category'] else '*'}")
    return codes


def subscriber(client, api_headers, phone: str = PHONE) -> dict | None:
    response = client.get(f"/api/subscribers/{quote(phone)}", headers=api_headers)
    return response.json if response.status_code == 200 else None


_PLACEHOLDER = re.compile(r"\{[^}]*\}")
REPLY_IDS = [
    texts.SUBSCRIBED,
    texts.SUBSCRIBED_MORE,
    texts.SUBSCRIBED_HINT,
    texts.CONFIRM_PLACE,
    texts.CONFIRM_DECLINED,
    texts.STOPPED,
    texts.STOPPED_ONE,
    texts.STOPPED_ONE_HINT,
    texts.STOP_NOTHING,
    texts.RESUMED,
    texts.RESUMED_EMPTY,
    texts.HELP,
    texts.HELP_FREE,
    texts.LISTING,
    texts.LISTING_HINT,
    texts.LISTING_EMPTY,
    texts.LISTING_STOPPED,
    texts.LANGUAGE_SET,
    texts.OFFERS,
    texts.OFFERS_HINT,
    texts.OFFERS_NONE,
    texts.INFO_UNKNOWN,
    texts.UNKNOWN,
    texts.UNKNOWN_HINT,
    texts.NEED_PLACE,
    relay_texts.RELAY_REQUESTED,
    texts.WELCOME,
    texts.ALREADY,
    texts.UNKNOWN_STOP,
]


def fragments(msgid: str, lang: str) -> list[str]:
    """The fixed pieces of a catalog message as sent (GSM-7), placeholders left out."""
    return [p.strip() for p in _PLACEHOLDER.split(to_gsm7(gettext(lang, msgid))) if p.strip()]


def head(msgid: str, lang: str) -> str:
    """The opening words of a message in one language, enough to recognise it."""
    return fragments(msgid, lang)[0][:24]


def is_reply(text: str, msgid: str, lang: str) -> bool:
    return head(msgid, lang) in text


def language_of(text: str) -> str | None:
    """'fr' or 'bm': which catalog the reply was rendered from."""
    found = {
        lang
        for lang in ("fr", "bm")
        for msgid in REPLY_IDS
        if any(len(f) >= 8 and f in text for f in fragments(msgid, lang))
    }
    return found.pop() if len(found) == 1 else None


def assert_one_segment(text: str) -> None:
    assert is_gsm7(text), text
    info = count_segments(text)
    assert info.segments == 1, (info, text)


def test_catalog_heads_tell_the_languages_apart() -> None:
    for msgid in REPLY_IDS:
        fr, bm = head(msgid, "fr"), head(msgid, "bm")
        assert fr != bm, msgid
        assert language_of(to_gsm7(gettext("fr", msgid))) in ("fr", None), msgid


# -- conversations --------------------------------------------------------------------------


class Turn(NamedTuple):
    text: str
    reply: str | None  # the msgid the reply is rendered from; None: no reply at all
    lang: str = "fr"


class Conversation(NamedTuple):
    turns: tuple[Turn, ...]
    subscriptions: set[str] | None  # None: the number is unknown to the API (404)
    status: str = "active"
    language: str | None = None


def conv(
    *turns: Turn, subs: set[str] | None = None, status: str = "active", language: str | None = None
) -> Conversation:
    return Conversation(turns, subs, status, language)


T = Turn
SUB, ASK, NEED, STOPPED = texts.SUBSCRIBED, texts.CONFIRM_PLACE, texts.NEED_PLACE, texts.STOPPED

CONVERSATIONS: dict[str, Conversation] = {
    "fr-keyword-place-job": conv(
        T("INSCRIRE NIONO MOBILISATEUR", SUB), subs={"d:niono:community-mobilizer"}
    ),
    "fr-sentence-two-districts": conv(
        T("je veux les offres d'infirmier a Kati et Koulikoro", SUB),
        subs={"d:kati:nurse", "d:koulikoro:nurse"},
    ),
    "fr-sikaso-district-officer": conv(
        T("sikaso district officer", SUB), subs={"d:sikasso:district-officer"}
    ),
    "fr-whole-region": conv(T("tout segou", SUB), subs={"r:segou:*"}),
    "fr-place-only-is-every-category": conv(T("Niono", SUB), subs={"d:niono:*"}),
    "en-subscribe": conv(T("subscribe sikasso nurse", SUB), subs={"d:sikasso:nurse"}),
    "bm-sentence": conv(
        T("n b'a fɛ ka n tɔgɔ sɛbɛn Sikaso baara la", SUB, "bm"),
        subs={"d:sikasso:*"},
        language="bm",
    ),
    "bm-baara-kura-niono": conv(
        T("baara kura Niono", SUB, "bm"), subs={"d:niono:*"}, language="bm"
    ),
    "bm-doctor-kati": conv(
        T("ne ye dɔgɔtɔrɔ ye Kati", SUB, "bm"), subs={"d:kati:doctor"}, language="bm"
    ),
    "bm-old-spelling": conv(
        T("n be baara nyini segou", SUB, "bm"), subs={"d:segou:*"}, language="bm"
    ),
    "bm-then-french-stays-bm": conv(
        T("i ni ce, n bɛ baara ɲini Segu", SUB, "bm"),
        T("je veux aussi Kati", SUB, "bm"),
        T("aide", texts.HELP, "bm"),
        subs={"d:segou:*", "d:kati:*"},
        language="bm",
    ),
    "fr-then-bm-stays-fr": conv(
        T("Niono", SUB),
        T("n bɛ baara ɲini Kati", SUB),
        subs={"d:niono:*", "d:kati:*"},
        language="fr",
    ),
    "typo-asks-then-oui": conv(T("nionon", ASK), T("OUI", SUB), subs={"d:niono:*"}),
    "typo-asks-then-non": conv(T("nionon", ASK), T("non", texts.CONFIRM_DECLINED), subs=None),
    "typo-asks-bm-awo": conv(
        T("n bɛ baara ɲini nionon", ASK, "bm"),
        T("awɔ", SUB, "bm"),
        subs={"d:niono:*"},
        language="bm",
    ),
    "typo-asks-bm-ayi": conv(
        T("n bɛ baara ɲini nionon", ASK, "bm"),
        T("ayi", texts.CONFIRM_DECLINED, "bm"),
        subs=set(),
        language="bm",
    ),
    "typo-with-job-keeps-job": conv(
        T("infirmier a nionon", ASK), T("oui", SUB), subs={"d:niono:nurse"}
    ),
    "question-expires-on-anything-else": conv(
        T("nionon", ASK), T("aide", texts.HELP), T("OUI", texts.WELCOME), subs=None
    ),
    "question-answered-with-another-place": conv(
        T("nionon", ASK), T("non, Kati", SUB), subs={"d:kati:*"}
    ),
    "job-first-then-place": conv(
        T("je suis infirmier", NEED), T("Kati", SUB), subs={"d:kati:nurse"}
    ),
    "job-first-then-typo-place": conv(
        T("n ye sofɛri ye", NEED, "bm"),
        T("nionon", ASK, "bm"),
        T("awɔ", SUB, "bm"),
        subs={"d:niono:driver"},
        language="bm",
    ),
    "job-first-then-something-else-forgets-it": conv(
        T("je suis infirmier", NEED), T("aide", texts.HELP), T("Kati", SUB), subs={"d:kati:*"}
    ),
    "no-place": conv(T("je cherche du travail", NEED), subs=None),
    "help": conv(T("AIDE", texts.HELP), subs=None),
    "help-question-mark": conv(T("?", texts.HELP), subs=None),
    "help-bm": conv(T("dɛmɛ", texts.HELP, "bm"), subs=set(), language="bm"),
    "unknown-fr": conv(T("combien ca coute", texts.UNKNOWN), subs=None),
    "unknown-bm": conv(T("a kɔrɔ ye mun ye", texts.UNKNOWN, "bm"), subs=set(), language="bm"),
    "unknown-empty": conv(T("", texts.UNKNOWN), subs=None),
    "unknown-emoji": conv(T("😀😀", texts.UNKNOWN), subs=None),
    "unknown-digits": conv(T("76123456", texts.UNKNOWN), subs=None),
    "unknown-long": conv(T("x" * 1000, texts.UNKNOWN), subs=None),
    "list-empty": conv(T("LISTE", texts.LISTING_EMPTY), subs=None),
    "list-after-subscribe": conv(
        T("kati infirmier", SUB), T("mes alertes", texts.LISTING), subs={"d:kati:nurse"}
    ),
    "list-bm": conv(T("n ka cikanw", texts.LISTING_EMPTY, "bm"), subs=set(), language="bm"),
    "language-switch-bm": conv(
        T("Niono", SUB),
        T("LANGUE BM", texts.LANGUAGE_SET, "bm"),
        T("LISTE", texts.LISTING, "bm"),
        subs={"d:niono:*"},
        language="bm",
    ),
    "language-switch-back-fr": conv(
        T("bamanankan", texts.LANGUAGE_SET, "bm"),
        T("FRANCAIS", texts.LANGUAGE_SET, "fr"),
        T("aide", texts.HELP, "fr"),
        subs=set(),
        language="fr",
    ),
    "stop-then-silence": conv(
        T("Niono", SUB),
        T("STOP", STOPPED),
        T("AIDE", None),
        T("LISTE", None),
        T("blabla", None),
        T("OFFRES", None),
        T("STOP", None),
        T("LANGUE BM", None),
        T("OUI", None),
        T("INFO J482", None),
        T("i ni ce", None),
        subs={"d:niono:*"},
        status="stopped",
    ),
    "stopped-typo-asks-then-comes-back": conv(
        T("Kati", SUB),
        T("STOP", STOPPED),
        T("nionon", ASK),
        T("oui", SUB),
        subs={"d:niono:*"},  # only what the new message names: Kati stays stopped
    ),
    "stopped-typo-asks-non-stays-stopped": conv(
        T("Kati", SUB),
        T("STOP", STOPPED),
        T("nionon", ASK),
        T("non", None),
        T("aide", None),
        subs={"d:kati:*"},
        status="stopped",
    ),
    "stop-bm": conv(
        T("Niono", SUB),
        T("a jɔ", STOPPED),
        T("dɛmɛ", None),
        subs={"d:niono:*"},
        status="stopped",
    ),
    "stop-sentence": conv(
        T("Niono", SUB),
        T("je ne veux plus recevoir de messages", STOPPED),
        T("?", None),
        subs={"d:niono:*"},
        status="stopped",
    ),
    "stop-then-start": conv(
        T("Kati infirmier", SUB),
        T("STOP", STOPPED),
        T("aide", None),
        T("START", texts.RESUMED),
        T("LISTE", texts.LISTING),
        subs={"d:kati:nurse"},
    ),
    "stop-then-new-subscription": conv(
        T("Kati", SUB),
        T("STOP", STOPPED),
        T("Niono", SUB),
        subs={"d:niono:*"},
    ),
    "stop-then-reprendre": conv(
        T("Kati", SUB),
        T("arret", STOPPED),
        T("REPRENDRE", texts.RESUMED),
        subs={"d:kati:*"},
    ),
    "stop-stranger": conv(T("STOP", STOPPED), T("aide", None), subs=set(), status="stopped"),
    "stop-one-district": conv(
        T("Niono Macina Kati", SUB),
        T("STOP NIONO", texts.STOPPED_ONE),
        subs={"d:macina:*", "d:kati:*"},
    ),
    "stop-one-not-subscribed": conv(
        T("Kati", SUB), T("stop niono", texts.STOP_NOTHING), subs={"d:kati:*"}
    ),
    "start-stranger": conv(T("START", texts.WELCOME), subs=None),
    "offers-without-subscription": conv(T("OFFRES", texts.LISTING_EMPTY), subs=None),
    "offers-none-open": conv(T("Kati", SUB), T("BAARA", texts.OFFERS_NONE), subs={"d:kati:*"}),
    "info-unknown-code": conv(T("INFO J482", texts.INFO_UNKNOWN), subs=None),
    "info-bare-code": conv(T("j 999", texts.INFO_UNKNOWN), subs=None),
    # Asking to be a relay is not a subscription: an admin approves it (see test_relays.py).
    "relay-keyword": conv(T("relais kolokani", relay_texts.RELAY_REQUESTED), subs=None),
    "whole-mali": conv(
        T("je cherche du travail partout au Mali", SUB),
        subs={
            f"r:{r}:*"
            for r in (
                "kayes",
                "koulikoro",
                "sikasso",
                "segou",
                "mopti",
                "tombouctou",
                "gao",
                "menaka",
                "kidal",
                "taoudenit",
                "bamako",
            )
        },
    ),
    "bamako-neighbourhood": conv(T("Faladié infirmier", SUB), subs={"d:commune-6:nurse"}),
    "stop-sentence-one-place": conv(
        T("Niono et Kati", SUB),
        T("Je ne veux plus les offres de Niono", texts.STOPPED_ONE),
        subs={"d:kati:*"},
    ),
    "yes-and-another-place": conv(
        T("nionon", ASK), T("oui et Kati aussi", SUB), subs={"d:niono:*", "d:kati:*"}
    ),
    "thumbs-up-answers-yes": conv(T("nionon", ASK), T("👍", SUB), subs={"d:niono:*"}),
}


@pytest.mark.parametrize("case", list(CONVERSATIONS.values()), ids=list(CONVERSATIONS))
def test_conversation(client, at_server, api_headers, case: Conversation) -> None:
    for turn in case.turns:
        reply = send(client, at_server, turn.text)
        if turn.reply is None:
            assert reply is None, (turn.text, reply)
            continue
        assert reply is not None, turn.text
        assert_one_segment(reply)
        assert language_of(reply) == turn.lang, (turn.text, reply)
        assert is_reply(reply, turn.reply, turn.lang), (turn.text, reply)
    for message in at_server.messages:
        assert_one_segment(message["message"])
    if case.subscriptions is None:
        assert subscriber(client, api_headers) is None
        return
    found = subscriber(client, api_headers)
    assert found is not None
    assert subscriptions(client, api_headers) == case.subscriptions
    assert found["status"] == case.status
    if case.language:
        assert found["language"] == case.language


def test_enough_conversations() -> None:
    assert len(CONVERSATIONS) >= 40


# -- the language rule, for every intent ---------------------------------------------------

BM_FIRST = {
    "subscribe": "n bɛ baara ɲini Kati",
    "help": "dɛmɛ",
    "unknown": "a kɔrɔ ye mun ye",
    "list": "n ka cikanw",
    "offers": "baara kura",
    "stop": "a jɔ",
    "start": "a daminɛ kokura",
    "ask": "n bɛ baara ɲini nionon",
    "no-place": "n bɛ baara ɲini",
}


@pytest.mark.parametrize("text", list(BM_FIRST.values()), ids=list(BM_FIRST))
def test_first_message_in_bamanankan_is_answered_in_bamanankan_from_then_on(
    client, at_server, api_headers, text: str
) -> None:
    first = send(client, at_server, text)
    assert first is not None and language_of(first) == "bm", first
    assert subscriber(client, api_headers)["language"] == "bm"
    if subscriber(client, api_headers)["status"] == "stopped":
        send(client, at_server, "START")
    # Then texts that say nothing about the language, and French ones, stay in Bamanankan.
    for later in ("?", "LISTE", "xyz", "aide", "je cherche du travail"):
        reply = send(client, at_server, later)
        assert reply is not None and language_of(reply) == "bm", (later, reply)


def test_first_message_in_french_or_neutral_is_answered_in_french(
    client, at_server, api_headers
) -> None:
    for text in ("Niono", "?", "je veux les offres"):
        reply = send(client, at_server, text)
        assert language_of(reply) == "fr", reply
    assert subscriber(client, api_headers)["language"] == "fr"


# -- the API shows what the texts did, for any form of the phone ----------------------------


@pytest.mark.parametrize(
    "path_phone",
    [
        "+22376123456",
        "0022376123456",
        "76123456",
        "76 12 34 56",
        "+223 76-12-34-56",
        "76.12.34.56",
        "%2B22376123456",
    ],
)
def test_api_accepts_any_phone_form(client, at_server, api_headers, path_phone: str) -> None:
    send(client, at_server, "Kati infirmier", phone="0022376123456")
    phone = path_phone if "%" in path_phone else quote(path_phone)
    response = client.get(f"/api/subscribers/{phone}", headers=api_headers)
    assert response.status_code == 200
    body = response.json
    assert body["phone"] == PHONE
    assert body["language"] == "fr"
    assert body["status"] == "active"
    assert body["subscriptions"] == [
        {
            "district": {"slug": "kati", "name": "Kati"},
            "region": None,
            "category": {"slug": "nurse", "name": "Infirmier / Infirmière"},
        }
    ]


def test_api_region_and_all_categories(client, at_server, api_headers) -> None:
    send(client, at_server, "toute la région de Ségou")
    body = subscriber(client, api_headers)
    assert body["subscriptions"] == [
        {"district": None, "region": {"slug": "segou", "name": "Ségou"}, "category": None}
    ]


@pytest.mark.parametrize("sender", ["76123456", "0022376123456", "+223 76 12 34 56"])
def test_sender_in_any_form_is_one_subscriber(client, at_server, api_headers, sender) -> None:
    response = sms(client, sender, "Niono", expect=None)
    assert response.status_code == 200
    assert subscriptions(client, api_headers) == {"d:niono:*"}
    assert len(replies(at_server, PHONE)) == 1


def test_api_needs_the_token(client, at_server) -> None:
    send(client, at_server, "Niono")
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "test-token"},
        {"Authorization": "Basic test-token"},
    ):
        assert client.get(f"/api/subscribers/{PHONE}", headers=headers).status_code == 401
        assert client.delete(f"/api/subscribers/{PHONE}", headers=headers).status_code == 401
    assert subscriber(client, {"Authorization": "Bearer test-token"}) is not None


def test_api_unknown_phone_is_404(client, api_headers) -> None:
    assert client.get(f"/api/subscribers/{OTHER}", headers=api_headers).status_code == 404
    assert client.delete(f"/api/subscribers/{OTHER}", headers=api_headers).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "123", "+22312", "7612345678901234", "%00", "++223"])
def test_api_invalid_phone_is_400(client, api_headers, bad: str) -> None:
    for method in (client.get, client.delete):
        response = method(f"/api/subscribers/{bad}", headers=api_headers)
        assert response.status_code == 400, (bad, response.status_code)


def test_delete_erases_everything(client, at_server, api_headers, redis, app) -> None:
    send(client, at_server, "Kati infirmier")
    send(client, at_server, "nionon")  # leaves a pending question
    store: Store = app.extensions["baara"].store
    assert store.get_pending(PHONE) is not None
    assert store.history(PHONE)
    assert any(PHONE in redis.smembers(k) for k in redis.scan_iter("idx:*"))

    response = client.delete(f"/api/subscribers/{quote('76 12 34 56')}", headers=api_headers)
    assert response.status_code == 204
    assert client.get(f"/api/subscribers/{PHONE}", headers=api_headers).status_code == 404
    assert store.get_pending(PHONE) is None
    assert store.history(PHONE) == []
    assert not any(PHONE in redis.smembers(k) for k in redis.scan_iter("idx:*"))
    assert store.get_subscriber(PHONE) is None
    assert number_traces(redis, PHONE) == []  # every key and value, in any form
    # The replies we sent them are erased too, not only the keys named after them.
    assert not [k for k in redis.scan_iter("out:*") if redis.hget(k, "phone") == PHONE]
    # Gone means gone: a later OUI is not an answer to the old question.
    assert send(client, at_server, "OUI") is not None
    assert subscriber(client, api_headers) is None


def test_delete_then_the_number_starts_afresh(client, at_server, api_headers) -> None:
    send(client, at_server, "n bɛ baara ɲini Kati")
    assert client.delete(f"/api/subscribers/{PHONE}", headers=api_headers).status_code == 204
    reply = send(client, at_server, "Niono")
    assert language_of(reply) == "fr"
    assert subscriptions(client, api_headers) == {"d:niono:*"}


# -- the webhook contract ------------------------------------------------------------------


def test_same_id_three_times_gives_one_reply(client, at_server, api_headers) -> None:
    for _ in range(3):
        response = sms(client, PHONE, "Niono", expect=None, at_id="ATXid_same")
        assert response.status_code == 200
    assert len(replies(at_server)) == 1
    assert subscriptions(client, api_headers) == {"d:niono:*"}


def test_same_id_for_stop_gives_one_confirmation(client, at_server) -> None:
    send(client, at_server, "Niono")
    for _ in range(3):
        assert sms(client, PHONE, "STOP", expect=None, at_id="ATXid_stop").status_code == 200
    assert len(replies(at_server)) == 2


def test_acknowledges_then_the_inbox_answers(client, at_server) -> None:
    response = sms(client, PHONE, "Niono", expect=None)
    assert response.status_code == 200
    assert response.is_json
    assert response.json == {"status": "accepted"}
    assert len(replies(at_server)) == 1  # tests run RQ inline: the drainer has answered
    assert sms(client, PHONE, "Niono", expect=None).json == {"status": "accepted"}  # a new id
    again = sms(client, PHONE, "Niono", expect=None, at_id="ATXid_twice")
    assert (again.json, sms(client, PHONE, "x", expect=None, at_id="ATXid_twice").json) == (
        {"status": "accepted"},
        {"status": "duplicate"},
    )


@pytest.mark.parametrize("missing", ["from", "to", "text", "date", "id"])
def test_missing_field_is_400_naming_it(client, at_server, missing: str) -> None:
    data = {
        "from": PHONE,
        "to": "36030",
        "text": "Niono",
        "date": "2026-05-03 06:04:45",
        "id": f"ATXid_m_{missing}",
    }
    del data[missing]
    response = client.post("/sms/incoming", data=data)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)
    assert response.json["field"] == missing
    assert at_server.messages == []


@pytest.mark.parametrize(
    "date",
    [
        "2026-05-03T06:04:45Z",
        "2026-05-03 06:04:45",
        "2026-05-03T06:04:45.123Z",
        "2026-05-03 06:04:45.123456",
        "2026-05-03T06:04:45+00:00",
        " 2026-05-03 06:04:45 ",
    ],
)
def test_both_at_date_formats(client, at_server, date: str) -> None:
    assert sms(client, PHONE, "Niono", expect=None, date=date).status_code == 200
    assert len(replies(at_server)) == 1


@pytest.mark.parametrize("date", ["", "yesterday", "03/05/2026", "2026-13-45 99:99:99", "0"])
def test_bad_date_is_400(client, at_server, date: str) -> None:
    response = sms(client, PHONE, "Niono", expect=None, date=date)
    assert response.status_code == 400
    assert response.json["field"] == "date"
    assert at_server.messages == []


@pytest.mark.parametrize("sender", ["", "abc", "123", "+1", "Orange"])
def test_bad_sender_is_400(client, at_server, sender: str) -> None:
    response = sms(client, sender, "Niono", expect=None)
    assert response.status_code == 400
    assert response.json["field"] == "from"


def test_optional_fields_may_be_missing(client, at_server) -> None:
    data = {
        "from": PHONE,
        "to": "36030",
        "text": "Niono",
        "date": "2026-05-03 06:04:45",
        "id": "ATXid_minimal",
    }
    assert client.post("/sms/incoming", data=data).status_code == 200
    assert len(replies(at_server)) == 1


# -- webhook key ---------------------------------------------------------------------------


@pytest.fixture()
def keyed_client(redis, redis_server, at_server):
    from app import create_app
    from tests.conftest import app_config

    application = create_app(app_config(redis_server, at_server, WEBHOOK_TOKEN="k"))
    with application.app_context():
        yield application.test_client()


WEBHOOKS = {
    "/sms/incoming": {
        "from": PHONE,
        "to": "36030",
        "text": "Niono",
        "date": "2026-05-03 06:04:45",
        "id": "ATXid_keyed",
    },
    "/sms/delivery": {"id": "ATXid_unknown", "status": "Success", "phoneNumber": PHONE},
    "/sms/opt-out": {"senderId": "BAARA", "phoneNumber": OTHER},
}


@pytest.mark.parametrize("path", list(WEBHOOKS))
@pytest.mark.parametrize("query", ["", "?key=", "?key=K", "?key=kk", "?token=k", "?key=k%00"])
def test_webhook_key_refused(keyed_client, at_server, path: str, query: str) -> None:
    response = keyed_client.post(path + query, data=WEBHOOKS[path])
    assert response.status_code == 403
    assert at_server.messages == []


@pytest.mark.parametrize("path", list(WEBHOOKS))
def test_webhook_key_accepted(keyed_client, at_server, path: str) -> None:
    assert keyed_client.post(path + "?key=k", data=WEBHOOKS[path]).status_code == 200


def test_keyed_incoming_replies(keyed_client, at_server) -> None:
    keyed_client.post("/sms/incoming?key=k", data=WEBHOOKS["/sms/incoming"])
    assert len(replies(at_server)) == 1


# -- opt-out and delivery reports ----------------------------------------------------------


def test_opt_out_stops_and_nothing_is_sent_afterwards(client, at_server, api_headers) -> None:
    send(client, at_server, "Niono")
    response = client.post("/sms/opt-out", data={"senderId": "BAARA", "phoneNumber": PHONE})
    assert response.status_code == 200
    assert subscriber(client, api_headers)["status"] == "stopped"
    assert len(replies(at_server)) == 1  # no goodbye: they opted out at the operator
    for text in ("AIDE", "LISTE", "OFFRES", "STOP", "blabla"):
        assert send(client, at_server, text) is None, text


def test_opt_out_of_a_stranger_and_repeated(client, at_server, api_headers) -> None:
    for _ in range(2):
        response = client.post(
            "/sms/opt-out", data={"senderId": "BAARA", "phoneNumber": "76 12 34 56"}
        )
        assert response.status_code == 200
    assert subscriber(client, api_headers)["status"] == "stopped"
    assert send(client, at_server, "aide") is None


@pytest.mark.parametrize("missing", ["senderId", "phoneNumber"])
def test_opt_out_missing_field(client, missing: str) -> None:
    data = {"senderId": "BAARA", "phoneNumber": PHONE}
    del data[missing]
    response = client.post("/sms/opt-out", data=data)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)


def _out_record(app, gateway_id: str) -> dict:
    store: Store = app.extensions["baara"].store
    ref = store.ref_for_gateway_id(gateway_id)
    assert ref and ref.startswith("out:")
    return store.get_outgoing(ref[4:])


def test_delivery_report_updates_the_reply(client, at_server, app) -> None:
    send(client, at_server, "Niono")
    gateway_id = at_server.messages[-1]["id"]
    assert _out_record(app, gateway_id)["status"] == "sent"
    report = {
        "id": gateway_id,
        "status": "Success",
        "phoneNumber": PHONE,
        "networkCode": "61001",
        "retryCount": "0",
    }
    for _ in range(3):  # AT repeats reports
        assert client.post("/sms/delivery", data=report).status_code == 200
    assert _out_record(app, gateway_id)["status"] == "delivered"
    # A late, older report never moves it back.
    client.post("/sms/delivery", data={**report, "status": "Sent"})
    assert _out_record(app, gateway_id)["status"] == "delivered"


def test_delivery_failure_is_recorded_with_its_reason(client, at_server, app) -> None:
    send(client, at_server, "aide")
    gateway_id = at_server.messages[-1]["id"]
    report = {
        "id": gateway_id,
        "status": "Failed",
        "phoneNumber": PHONE,
        "failureReason": "AbsentSubscriber",
    }
    assert client.post("/sms/delivery", data=report).status_code == 200
    record = _out_record(app, gateway_id)
    assert record["status"] == "failed"
    assert record["reason"] == "AbsentSubscriber"


def test_delivery_blacklisted_stops_the_number(client, at_server, app, api_headers) -> None:
    send(client, at_server, "Niono")
    gateway_id = at_server.messages[-1]["id"]
    report = {
        "id": gateway_id,
        "status": "Failed",
        "phoneNumber": PHONE,
        "failureReason": "UserInBlacklist",
    }
    assert client.post("/sms/delivery", data=report).status_code == 200
    assert subscriber(client, api_headers)["status"] == "stopped"
    assert send(client, at_server, "aide") is None


@pytest.mark.parametrize(
    "report",
    [
        {"id": "ATXid_nobody", "status": "Success"},
        {"id": "", "status": "Success"},
        {"id": "ATXid_nobody", "status": "Exploded"},
        {"id": "ATXid_nobody", "status": ""},
        {"id": "x" * 5000, "status": "Failed", "failureReason": "y" * 5000},
        {
            "id": "ATXid_nobody",
            "status": "Failed",
            "phoneNumber": "garbage",
            "failureReason": "UserInBlacklist",
        },
        {"id": "\u00e9\u0000", "status": "Success", "extra": "field"},
    ],
)
def test_unknown_or_garbage_delivery_reports_get_200(client, report: dict) -> None:
    assert client.post("/sms/delivery", data=report).status_code == 200


@pytest.mark.parametrize("missing", ["id", "status"])
def test_delivery_missing_field_is_400(client, missing: str) -> None:
    data = {"id": "ATXid_1", "status": "Success"}
    del data[missing]
    response = client.post("/sms/delivery", data=data)
    assert response.status_code == 400
    assert missing in response.get_data(as_text=True)


# -- no request gets a 5xx ------------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
ODD_BODIES = {
    "empty": (FORM, b""),
    "json": ("application/json", b'{"from": "+22376123456", "text": "Niono"}'),
    "json-as-form": (FORM, b'{"from": "+22376123456"}'),
    "no-content-type": (None, b"from=%2B22376123456&text=Niono"),
    "text-plain": ("text/plain", b"from=%2B22376123456&to=1&text=Niono&date=x&id=1"),
    "multipart-garbage": ("multipart/form-data; boundary=zz", b"--zz\r\ngarbage"),
    "multipart-no-boundary": ("multipart/form-data", b"abc"),
    "invalid-utf8": (
        FORM,
        b"from=%2B22376123456&to=36030&text=%FF%FE%C3%28niono&date=2026-05-03+06%3A04%3A45"
        b"&id=ATXid_utf8",
    ),
    "raw-invalid-utf8": (
        FORM,
        b"from=%2B22376123456&to=36030&text=\xff\xfe\xc3(&date=2026-05-03+06%3A04%3A45"
        b"&id=ATXid_raw",
    ),
    "latin1-charset": (
        "application/x-www-form-urlencoded; charset=latin-1",
        b"from=%2B22376123456&to=36030&text=S%E9gou&date=2026-05-03+06%3A04%3A45&id=ATXid_l1",
    ),
    "duplicate-fields": (
        FORM,
        b"from=%2B22376123456&from=abc&to=1&text=Niono&text=Kati&date=2026-05-03+06%3A04%3A45"
        b"&id=ATXid_dup&id=ATXid_dup2",
    ),
    "extra-fields": (
        FORM,
        b"from=%2B22376123456&to=1&text=Niono&date=2026-05-03+06%3A04%3A45&id=ATXid_extra"
        b"&foo=bar&senderId=x&status=Success&phoneNumber=1",
    ),
    "huge-text": (
        FORM,
        b"from=%2B22376123456&to=1&date=2026-05-03+06%3A04%3A45&id=ATXid_huge&text="
        + b"niono+" * 50_000,
    ),
    "nul-bytes": (
        FORM,
        b"from=%2B223761234%0056&to=%00&text=%00%00&date=2026-05-03+06%3A04%3A45&id=%00",
    ),
    "weird-phone-forms": (
        FORM,
        b"from=%2B%2B223+76+12&to=1&text=x&date=2026-05-03+06%3A04%3A45&id=ATXid_w",
    ),
    "phone-with-letters": (
        FORM,
        b"from=tel%3A%2B22376123456&to=1&text=x&date=2026-05-03+06%3A04%3A45&id=ATXid_t",
    ),
    "only-ampersands": (FORM, b"&&&&=&=="),
    "binary": ("application/octet-stream", bytes(range(256))),
    "long-field-names": (FORM, b"a" * 100_000 + b"=1"),
}


@pytest.mark.parametrize("path", ["/sms/incoming", "/sms/delivery", "/sms/opt-out"])
@pytest.mark.parametrize("name", list(ODD_BODIES))
def test_no_5xx_for_odd_bodies(client, at_server, path: str, name: str) -> None:
    content_type, body = ODD_BODIES[name]
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, data=body, headers=headers)
    assert response.status_code < 500, (name, response.status_code, response.get_data()[:200])
    for message in at_server.messages:
        assert_one_segment(message["message"])


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
@pytest.mark.parametrize("path", ["/sms/incoming", "/sms/delivery", "/sms/opt-out"])
def test_other_methods_are_not_5xx(client, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 405


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "🇲🇱" * 200,
        "ɛ" * 5000,
        "'" * 300,
        "%s%s%n",
        "{what}",
        "{0}",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u202e",
        "niono\u0000kati",
        "\r\n" * 100,
    ],
)
def test_no_5xx_for_odd_texts(client, at_server, text: str) -> None:
    assert sms(client, PHONE, text, expect=None).status_code == 200
    for message in at_server.messages:
        assert_one_segment(message["message"])


def test_odd_phones_in_the_api_are_not_5xx(client, api_headers) -> None:
    for phone in ["%00", "%FF", "a/b/c", "..", "+" * 50, "9" * 500, "%E2%80%AE", "%2F"]:
        response = client.get(f"/api/subscribers/{phone}", headers=api_headers)
        assert response.status_code < 500, (phone, response.status_code)


# -- many doubtful places still make one question in one segment ----------------------------


def test_many_doubtful_places_make_one_short_question(client, at_server, api_headers) -> None:
    reply = send(client, at_server, "nionon bougoumi sikkasso kouliloro kidall koutaila segouu")
    assert reply is not None
    assert_one_segment(reply)
    assert is_reply(reply, ASK, "fr")
    reply = send(client, at_server, "oui")
    assert is_reply(reply, SUB, "fr")
    assert_one_segment(reply)
    assert {"d:niono:*", "d:sikasso:*", "d:koulikoro:*"} <= subscriptions(client, api_headers)


def test_many_places_and_jobs_make_one_segment(client, at_server, api_headers) -> None:
    text = (
        "Ouéléssébougou Andéramboukane Oussoubidiagna Gourma-Rharous Kalaban Coro Bandiagara "
        "Tin-Essako Almoustarat Niafunké Kolondiéba coordinateur medical agent de sante "
        "communautaire conseiller technique chef de mission mobilisateur"
    )
    for lang_text in (text, "n bɛ baara ɲini " + text):
        reply = send(client, at_server, lang_text, phone=OTHER if lang_text != text else PHONE)
        assert_one_segment(reply)
    assert len(subscriptions(client, api_headers)) == 50
    reply = send(client, at_server, "LISTE")
    assert_one_segment(reply)
    reply = send(client, at_server, "STOP")
    assert_one_segment(reply)
    reply = send(client, at_server, "START")
    assert_one_segment(reply)


# -- every reply function, both languages, extreme inputs ----------------------------------

LONG_PLACES = [
    "Ouéléssébougou",
    "Andéramboukane",
    "Oussoubidiagna",
    "Gourma-Rharous",
    "Kalaban Coro",
    "Bandiagara",
    "Tin-Essako",
    "Almoustarat",
    "Niafunké",
    "Kolondiéba",
]
LONG_CATEGORIES = {
    "fr": [
        "Agent de santé communautaire",
        "Administration et finances",
        "Coordinateur médical",
        "Mobilisateur communautaire",
        "Conseiller technique",
    ],
    "bm": [
        "Sigida kɛnɛya baarakɛla",
        "Mara ni wari baara",
        "Dɔgɔtɔrɔw ɲɛmɔgɔ",
        "Sigida lasɔmibaga",
        "Fɛɛrɛ ladilikɛla",
    ],
}


def _whats(lang: str) -> Iterator[list[str]]:
    yield texts.what_variants(LONG_PLACES, LONG_CATEGORIES[lang], lang)
    yield texts.what_variants([texts.region_name(lang, p) for p in LONG_PLACES], [], lang)
    yield texts.what_variants(LONG_PLACES[:1], [], lang)


def _renders(lang: str) -> Iterator[tuple[str, str]]:
    for i, whats in enumerate(_whats(lang)):
        yield f"subscribed-{i}", texts.subscribed(lang, whats)
        yield f"stopped_one-{i}", texts.stopped_one(lang, whats)
        yield f"stop_nothing-{i}", texts.stop_nothing(lang, whats)
        yield f"resumed-{i}", texts.resumed(lang, whats)
        yield f"listing-{i}", texts.listing(lang, whats)
    yield "subscribed-nothing", texts.subscribed(lang, [])
    yield "stopped_one-nothing", texts.stopped_one(lang, [])
    yield "confirm_place-one", texts.confirm_place(lang, "Ouéléssébougou")
    yield "confirm_place-many", texts.confirm_place(lang, LONG_PLACES)
    yield "confirm_place-joined", texts.confirm_place(lang, ", ".join(LONG_PLACES[:3]))
    yield "stopped", texts.stopped(lang)
    yield "resumed-empty", texts.resumed(lang, [])
    yield "help", texts.help_text(lang)
    yield "listing-empty", texts.listing(lang, [])
    yield "listing-stopped", texts.listing(lang, [], stopped=True)
    yield "language_set", texts.language_set(lang)
    items = [f"J{482 + i} {LONG_CATEGORIES[lang][i % 5]}, {LONG_PLACES[i]}" for i in range(10)]
    yield "offers-many", texts.offers(lang, items)
    yield "offers-one", texts.offers(lang, items[:1])
    yield "offers-none", texts.offers(lang, [])
    yield "info_unknown", texts.info_unknown(lang, "J99999")
    yield "unknown", texts.unknown(lang)
    yield "need_place", texts.need_place(lang)
    yield "confirm_declined", texts.confirm_declined(lang)
    yield (
        "alert",
        alert_texts.job_alert(
            lang,
            code="J99999",
            title="Coordinateur·trice médical·e " * 6,
            organization="Organisation Non Gouvernementale Internationale " * 3,
            places=LONG_PLACES,
            deadline="31/12/2026 17h00",
            deadline_short="31/12 17h00",
            apply="Envoyer CV et lettre de motivation à recrutement@exemple.org " * 5,
        ),
    )


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_every_reply_is_one_gsm7_segment_in_its_language(lang: str) -> None:
    for name, text in _renders(lang):
        assert is_gsm7(text), (name, text)
        assert count_segments(text).segments == 1, (name, text)
        if not name.startswith("alert"):
            assert language_of(text) == lang, (name, text)


@pytest.mark.parametrize("lang", ["fr", "bm"])
@pytest.mark.parametrize("size", ["short", "long", "api-limits"])
def test_job_info_fits_two_segments(lang: str, size: str) -> None:
    # The jobs API accepts titles of 160, organizations of 120, apply fields of 300 characters.
    title, org, apply, places = {
        "short": ("Infirmier", "ONG", "Kati", ["Kati"]),
        "long": (
            "Coordinateur·trice médical·e " * 3,
            "Organisation Non Gouvernementale Internationale",
            "Envoyer CV et lettre à recrutement@exemple.org " * 3,
            LONG_PLACES * 3,
        ),
        "api-limits": (
            "Coordinateur·trice " * 9,
            "Organisation Internationale " * 5,
            "Envoyer un CV et une lettre de motivation " * 8,
            LONG_PLACES * 10,
        ),
    }[size]
    text = alert_texts.job_info(
        lang,
        code="J99999",
        title=title[:160],
        organization=org[:120],
        short_name="",
        places=places,
        positions=10_000,
        deadline="31/12/2026 17h00",
        apply=apply[:300],
    )
    assert is_gsm7(text)
    assert count_segments(text).segments <= 2
    assert "31/12/2026 17h00" in text


# -- offers and job details, when jobs exist ------------------------------------------------


def _post_job(client, api_headers, **fields) -> dict:
    from datetime import UTC, datetime, timedelta

    payload = {
        "title": "Infirmier(ère) de santé communautaire",
        "organization": "ONG Santé Mali",
        "category": "nurse",
        "districts": ["kati"],
        "positions": 2,
        "deadline": (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d"),
        "apply": {"email": "recrutement@example.org"},
        "publish": True,
    }
    payload.update(fields)
    response = client.post("/api/jobs", json=payload, headers=api_headers)
    if response.status_code != 201:
        pytest.skip(f"jobs API not ready: {response.status_code} {response.get_data()[:200]}")
    return response.json


def test_offers_and_info_end_to_end(client, at_server, api_headers) -> None:
    send(client, at_server, "Kati infirmier")
    job = _post_job(client, api_headers)
    code = job["code"]
    reply = send(client, at_server, "OFFRES")
    assert reply is not None and code in reply, reply
    assert_one_segment(reply)
    for text in (f"INFO {code}", code.lower(), f"info j {code[1:]}"):
        reply = send(client, at_server, text)
        assert reply is not None and "ONG Sant" in reply, (text, reply)
        assert is_gsm7(reply) and count_segments(reply).segments <= 2


def test_offers_in_bamanankan(client, at_server, api_headers) -> None:
    send(client, at_server, "n ye anfirimiye ye Kati")
    job = _post_job(client, api_headers)
    reply = send(client, at_server, "baara kura")
    assert reply is not None and job["code"] in reply
    assert_one_segment(reply)
    assert language_of(reply) == "bm"
