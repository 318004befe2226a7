"""Conversations people can trust (issue 12): STOP always wins, stops are not undone behind
people's backs, words are read not guessed, replies agree with what was stored, thanks need no
answer, relays' numbers and names. Rows: texts in, replies and stored state out, in French and
Bamanankan, through the real webhook, worker and loopback AT server.

Replies are recognised by the catalog message they are rendered from (texts.X, in the
sender's language), so rewording the copy does not break these tests; a few rows also check a
key word the reply must carry (a place name, "STOP").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote

import pytest

from alerts.domain.places import COMMON_WORDS, Places
from alerts.sms import relays
from alerts.sms.commands import Intent, parse, urgent
from alerts.sms.commands import State as ParseState
from alerts.store import Store
from config.reference import default_reference
from messages import relay as relay_texts
from messages import sms as texts
from messages import ussd as ussd_texts
from messages.catalog import gettext
from messages.compose import count_segments, is_gsm7, to_gsm7
from tests.conftest import change_settings
from tests.support.drivers import sms
from tests.test_sms import fragments, is_reply
from tests.test_ussd import call

PHONE = "+22376123456"
RELAY, TARGET = "+22376000001", "+22376000002"
ALL_REGIONS = {f"r:{r}:*" for r in default_reference().regions}


def replies(at_server, phone: str = PHONE) -> list[str]:
    return [m["message"] for m in at_server.messages_to(phone)]


def send(client, at_server, text: str, phone: str = PHONE) -> str | None:
    """Send one text; the one reply it produced (one GSM-7 segment), or None for silence."""
    before = len(replies(at_server, phone))
    sms(client, phone, text)
    after = replies(at_server, phone)
    assert len(after) - before <= 1, after[before:]
    if len(after) == before:
        return None
    reply = after[before]
    assert is_gsm7(reply) and count_segments(reply).segments == 1, reply
    return reply


def state(client, api_headers, phone: str = PHONE) -> tuple[str | None, set[str]]:
    """(status, subscription codes) as the JSON API shows them; (None, set()) when unknown."""
    response = client.get(f"/api/subscribers/{quote(phone)}", headers=api_headers)
    if response.status_code == 404:
        return None, set()
    body = response.get_json()
    codes = set()
    for s in body["subscriptions"]:
        kind, place = ("d", s["district"]["slug"]) if s["district"] else ("r", s["region"]["slug"])
        codes.add(f"{kind}:{place}:{s['category']['slug'] if s['category'] else '*'}")
    return body["status"], codes


def replied(reply: str | None, msgid: str, lang: str) -> bool:
    return reply is not None and is_reply(reply, msgid, lang)


# -- 1. STOP always wins ----------------------------------------------------------------------

#: (text, language it is written in: the reply's language for a stranger; None = either).
#: The language of a number that has one is its own, whatever the stop word.
STOP_TEXTS = {
    "stop": ("STOP", None),
    "stop-bang": ("Stop!", None),
    "sotp": ("sotp", None),
    "stpo": ("stpo", None),
    "stp-alone": ("stp", None),
    "arret": ("arret", None),
    "arret-accent": ("Arrêt", None),
    "arreter": ("arreter", "fr"),
    "arrete": ("arrête", None),
    "arretez": ("ARRETEZ svp", "fr"),
    "arrt": ("arrt", None),
    "desabonner": ("desabonner", "fr"),
    "desabone": ("désabone", None),
    "desinscrire": ("désinscrire", None),
    "desinscrir": ("desinscrir", None),
    "annuler": ("annuler", None),
    "unsubscribe": ("unsubscribe", None),
    "unsubscibe": ("unsubscibe", None),
    "sentence-fr": ("je ne veux plus recevoir de sms", "fr"),
    "sentence-desabonez": ("je veux me desabonez", "fr"),
    "bm-ban": ("ban", None),
    "bm-a-bila": ("a bila", None),
    "bm-jo": ("jo", "bm"),
    "bm-a-jo": ("a jɔ", "bm"),
    "bm-dabila": ("dabila", "bm"),
    "bm-lajo": ("a lajɔ", None),
    "bm-tugun": ("n t'a fɛ tugun", "bm"),
    "bm-kana-ci": ("kana ci n ma tugun", "bm"),
    "st0p": ("st0p", None),
    "spelled-out": ("S.T.O.P", None),
    "ca-suffit": ("ça suffit", "fr"),
    "arete": ("arete", None),
    "stoper": ("stoper", None),
    "desinscrire-sentence": ("je veux me désinscrire", "fr"),
    "retirez-mon-numero": ("retirez mon numéro svp", "fr"),
}

NOT_URGENT = {
    "place": "Niono",
    "subscribe-en": "subscribe sikasso nurse",
    "stp-please": "stp aide moi",
    "reviens-demain": "je reviens demain",
    "assez-bien": "assez bien merci",
    "step": "step",
    "top": "top",
    "thanks": "merci",
    "offers": "OFFRES",
    "star": "star",
}


@pytest.mark.parametrize("text", [t for t, _ in STOP_TEXTS.values()], ids=list(STOP_TEXTS))
def test_the_webhook_recognises_every_stop(text) -> None:
    assert urgent(text) is Intent.STOP
    assert parse(text, ParseState(), Places.default()).intent is Intent.STOP


@pytest.mark.parametrize(
    "text",
    [
        "START",
        "strat",
        "statr",
        "REPRENDRE",
        "reprende",
        "daminɛ",
        "je reviens",
        "s t a r t",
        "Start svp",
    ],
)
def test_the_webhook_recognises_every_start(text) -> None:
    assert urgent(text) is Intent.START
    assert parse(text, ParseState(), Places.default()).intent is Intent.START


@pytest.mark.parametrize("text", list(NOT_URGENT.values()), ids=list(NOT_URGENT))
def test_ordinary_texts_are_not_urgent(text) -> None:
    assert urgent(text) is None


#: How to put a number in each state before its stop word, per language of the conversation.
SETUP = {
    "fr": {"active": ["Niono"], "question": ["Niono", "siksso"]},
    "bm": {"active": ["n bɛ baara ɲini Niono"], "question": ["n bɛ baara ɲini Niono", "siksso"]},
}


@pytest.mark.parametrize("where", ["active", "question"])
@pytest.mark.parametrize("lang", ["fr", "bm"])
@pytest.mark.parametrize("text", [t for t, _ in STOP_TEXTS.values()], ids=list(STOP_TEXTS))
def test_stop_wins_in_any_state(client, at_server, api_headers, text, lang, where) -> None:
    for setup in SETUP[lang][where]:
        assert send(client, at_server, setup) is not None
    reply = send(client, at_server, text)
    assert replied(reply, texts.STOPPED, lang), (text, reply)
    status, subs = state(client, api_headers)
    assert status == "stopped" and subs == {"d:niono:*"}
    assert send(client, at_server, "AIDE") is None  # then silence


@pytest.mark.parametrize("text", [t for t, _ in STOP_TEXTS.values()], ids=list(STOP_TEXTS))
def test_stop_wins_while_muted_by_flood_control(app, client, at_server, api_headers, text) -> None:
    change_settings(app, SMS_RATE_LIMIT=2)
    send(client, at_server, "Niono")
    send(client, at_server, "AIDE")
    assert replied(send(client, at_server, "AIDE"), texts.TOO_MANY, "fr")
    assert sms(client, PHONE, "LISTE").json == {"status": "ignored"}  # muted
    assert sms(client, PHONE, text).json == {"status": "accepted"}
    assert replied(replies(at_server)[-1], texts.STOPPED, "fr")
    assert state(client, api_headers)[0] == "stopped"


@pytest.mark.parametrize("text", ["START", "strat", "REPRENDRE", "daminɛ"])
def test_start_gets_through_flood_control_a_few_times(
    app, client, at_server, api_headers, text
) -> None:
    change_settings(app, SMS_RATE_LIMIT=1)
    send(client, at_server, "Niono")
    assert replied(send(client, at_server, "AIDE"), texts.TOO_MANY, "fr")
    assert sms(client, PHONE, "STOP").json == {"status": "accepted"}
    assert sms(client, PHONE, text).json == {"status": "accepted"}
    assert state(client, api_headers) == ("active", {"d:niono:*"})
    # STOP/START ping-pong cannot buy replies without end: START is let through 3 times.
    verdicts = []
    for _ in range(3):
        sms(client, PHONE, "STOP")
        verdicts.append(sms(client, PHONE, "START").json["status"])
    assert verdicts == ["accepted", "accepted", "ignored"]


def test_a_flood_of_partial_stops_buys_a_bounded_number_of_replies(
    app, client, at_server, api_headers
) -> None:
    change_settings(app, SMS_RATE_LIMIT=1)
    send(client, at_server, "Niono Kati")
    assert replied(send(client, at_server, "AIDE"), texts.TOO_MANY, "fr")
    verdicts = [sms(client, PHONE, "STOP MACINA").json["status"] for _ in range(12)]
    assert verdicts == ["accepted"] * 10 + ["ignored"] * 2
    assert len(replies(at_server)) == 2 + 10
    assert state(client, api_headers) == ("active", {"d:niono:*", "d:kati:*"})


@pytest.mark.parametrize("text, lang", list(STOP_TEXTS.values()), ids=list(STOP_TEXTS))
def test_stop_wins_in_a_relay_consent(app, client, at_server, api_headers, text, lang) -> None:
    store: Store = app.extensions["baara"].store
    relays.approve(store, default_reference(), RELAY, ["niono"])
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO")
    assert len(replies(at_server, TARGET)) == 1  # the question
    reply = send(client, at_server, text, phone=TARGET)
    # A stranger is answered in the language the words are in (French when they don't say).
    assert any(replied(reply, texts.STOPPED, lg) for lg in ([lang] if lang else ["fr", "bm"]))
    assert state(client, api_headers, TARGET) == ("stopped", set())
    assert store.has_refused(RELAY, TARGET)


# -- 2. Stops are not undone behind people's backs --------------------------------------------


class Row(NamedTuple):
    turns: tuple[tuple[str, str | None], ...]  # (text, msgid of the reply or None = silence)
    subs: set[str]
    status: str | None = "active"
    lang: str = "fr"
    says: tuple[str, ...] = ()  # words the last reply carries (as sent, GSM-7)


R = Row
SUB, STOPPED, RESUMED = texts.SUBSCRIBED, texts.STOPPED, texts.RESUMED

CONVERSATIONS = {
    # -- restart -------------------------------------------------------------------------------
    "new-subscription-brings-back-only-itself": R(
        (("Sikasso Bougouni", SUB), ("STOP", STOPPED), ("Kati", SUB)), {"d:kati:*"}
    ),
    "new-subscription-then-list": R(
        (("Sikasso Bougouni", SUB), ("STOP", STOPPED), ("Kati", SUB), ("LISTE", texts.LISTING)),
        {"d:kati:*"},
        says=("Kati",),
    ),
    "start-brings-back-the-earlier-set": R(
        (("Sikasso Bougouni", SUB), ("STOP", STOPPED), ("START", RESUMED)),
        {"d:sikasso:*", "d:bougouni:*"},
        says=("Sikasso", "Bougouni"),
    ),
    "reprendre-brings-back-the-earlier-set": R(
        (("Kati infirmier", SUB), ("sotp", STOPPED), ("REPRENDRE", RESUMED)),
        {"d:kati:nurse"},
        says=("Kati",),
    ),
    "bm-new-subscription-only-itself": R(
        (("n bɛ baara ɲini Sikaso", SUB), ("a jɔ", STOPPED), ("n bɛ baara ɲini Kati", SUB)),
        {"d:kati:*"},
        lang="bm",
    ),
    "bm-daminɛ-brings-back": R(
        (("n bɛ baara ɲini Sikaso ani Kati", SUB), ("jo", STOPPED), ("daminɛ", RESUMED)),
        {"d:sikasso:*", "d:kati:*"},
        lang="bm",
        says=("Sikasso", "Kati"),
    ),
    "doubtful-place-after-stop-only-itself": R(
        (("Kati", SUB), ("STOP", STOPPED), ("nionon", texts.CONFIRM_PLACE), ("oui", SUB)),
        {"d:niono:*"},
    ),
    "start-from-a-stranger-is-a-welcome": R((("START", texts.WELCOME),), set()),
    "bm-start-from-a-stranger-is-a-welcome": R((("daminɛ", texts.WELCOME),), set(), lang="bm"),
    "reprendre-from-a-stranger-is-a-welcome": R((("reprendre", texts.WELCOME),), set()),
    # -- 3. reading, not guessing --------------------------------------------------------------
    "informer-is-not-infirmier": R(
        (("merci de m'informer des offres a Niono", SUB),), {"d:niono:*"}
    ),
    "region-in-brackets-locates": R((("je suis a Niono (region de Segou)", SUB),), {"d:niono:*"}),
    "region-after-comma-locates": R((("Niono, région de Ségou", SUB),), {"d:niono:*"}),
    "bare-region-in-brackets": R((("Kati (Koulikoro)", SUB),), {"d:kati:*"}),
    "locator-with-job": R((("Kati, région de Koulikoro, infirmier", SUB),), {"d:kati:nurse"}),
    "whole-region-still-whole": R(
        (("Niono et toute la région de Ségou", SUB),), {"d:niono:*", "r:segou:*"}
    ),
    "bm-region-in-brackets": R(
        (("n bɛ baara ɲini Niono (Segu mara)", SUB),), {"d:niono:*"}, lang="bm"
    ),
    "maladie-is-not-faladie": R((("la maladie a Kati", SUB),), {"d:kati:*"}),
    "job-typo-mobilisatr": R((("niono mobilisatr", SUB),), {"d:niono:community-mobilizer"}),
    "job-typo-oficer": R((("SIKASSO DISTRICT OFICER", SUB),), {"d:sikasso:district-officer"}),
    "bm-job-typo": R(
        (("n bɛ baara ɲini Niono mobilisatr", SUB),), {"d:niono:community-mobilizer"}, lang="bm"
    ),
    # -- 4. replies agree with what was stored -------------------------------------------------
    "narrower-inside-broader": R(
        (("Niono", SUB), ("Niono infirmier", texts.ALREADY), ("LISTE", texts.LISTING)),
        {"d:niono:*"},
        says=("Niono",),
    ),
    "district-inside-region": R(
        (("tout segou", SUB), ("Niono infirmier", texts.ALREADY)), {"r:segou:*"}, says=("Ségou",)
    ),
    "bm-narrower-inside-broader": R(
        (("n bɛ baara ɲini Niono", SUB), ("Niono infirmier", texts.ALREADY)),
        {"d:niono:*"},
        lang="bm",
        says=("Niono",),
    ),
    "broader-after-narrower-says-the-broader": R(
        (("Niono infirmier", SUB), ("Niono", SUB), ("LISTE", texts.LISTING)), {"d:niono:*"}
    ),
    "tout-le-mali": R((("tout le mali", SUB),), ALL_REGIONS, says=("tout le Mali",)),
    "tout": R((("tout", SUB),), ALL_REGIONS, says=("tout le Mali",)),
    "need-place-then-tout": R(
        (("je cherche du travail", texts.NEED_PLACE), ("tout", SUB)),
        ALL_REGIONS,
        says=("tout le Mali",),
    ),
    "bm-mali-fan-bee": R(
        (("n bɛ baara ɲini Mali fan bɛɛ", SUB),),
        ALL_REGIONS,
        lang="bm",
        says=(to_gsm7(texts.whole_mali("bm")),),
    ),
    "tout-le-mali-listed": R(
        (("tout le mali infirmier", SUB), ("LISTE", texts.LISTING)),
        {c.replace(":*", ":nurse") for c in ALL_REGIONS},
        says=("tout le Mali",),
    ),
    # -- 5. acknowledgements --------------------------------------------------------------------
    **{
        f"thanks-{name}": R((("Niono", SUB), (text, None)), {"d:niono:*"})
        for name, text in {
            "ok": "ok",
            "merci": "merci",
            "merci-beaucoup": "Merci beaucoup !",
            "daccord": "d'accord",
            "ok-merci": "ok merci",
            "thumbs": "👍",
            "pray": "🙏",
            "oui": "oui",
            "remercie": "je vous remercie",
            "super": "super",
            "c-bon": "c bon",
            "mr6": "mr6",
            "ok-point": "Ok.",
            "ok-thumbs": "ok 👍",
            "merci-offres": "merci pour les offres",
            "dieu": "Merci, Dieu vous bénisse",
            "ca-marche": "ça marche",
        }.items()
    },
    **{
        f"bm-thanks-{name}": R(
            (("n bɛ baara ɲini Niono", SUB), (text, None)), {"d:niono:*"}, lang="bm"
        )
        for name, text in {
            "barika": "barika",
            "i-ni-ce": "i ni ce",
            "awo": "awɔ",
            "ayiwa": "ayiwa",
            "barika-kosebe": "barika kosɔbɛ",
            "thumbs": "👍",
            "barka": "barka",
            "ala-ka-baraka-don": "Ala ka baraka don",
        }.items()
    },
    "thanks-to-which-district-keeps-the-job": R(
        (("je suis infirmier", texts.NEED_PLACE), ("ok", texts.NEED_PLACE), ("Kati", SUB)),
        {"d:kati:nurse"},
    ),
    "thanks-to-did-you-mean-keeps-the-question": R(
        (("nionon", texts.CONFIRM_PLACE), ("merci", texts.CONFIRM_PLACE), ("oui", SUB)),
        {"d:niono:*"},
    ),
    "relay-number-without-place-from-a-stranger": R(
        (("INSCRIRE 76 12 34 56", texts.NEED_PLACE),), set(), None
    ),
    "thanks-after-stop-is-silence": R(
        (("Niono", SUB), ("STOP", STOPPED), ("merci", None)), {"d:niono:*"}, "stopped"
    ),
    "thanks-from-a-stranger-is-a-short-welcome": R((("merci", texts.WELCOME),), set(), None),
    "bm-thanks-from-a-stranger": R((("barika", texts.WELCOME),), set(), lang="bm"),
    "unknown-says-how-to-stop": R(
        (("Niono", SUB), ("combien ca coute", texts.UNKNOWN)), {"d:niono:*"}, says=("STOP",)
    ),
    "bm-unknown-says-how-to-stop": R(
        (("n bɛ baara ɲini Niono", SUB), ("a kɔrɔ ye mun ye", texts.UNKNOWN)),
        {"d:niono:*"},
        lang="bm",
        says=("STOP",),
    ),
}


@pytest.mark.parametrize("row", list(CONVERSATIONS.values()), ids=list(CONVERSATIONS))
def test_conversation(client, at_server, api_headers, row: Row) -> None:
    reply = None
    for text, msgid in row.turns:
        reply = send(client, at_server, text)
        if msgid is None:
            assert reply is None, (text, reply)
        else:
            assert replied(reply, msgid, row.lang), (text, reply)
    for word in row.says:
        assert reply is not None and word in reply, (word, reply)
    if "tout le Mali" in row.says:
        assert "autres" not in reply  # not "Kayes, Koulikoro, Sikasso et 8 autres"
    status, subs = state(client, api_headers)
    assert subs == row.subs
    if row.status is not None:
        assert status == row.status or (status is None and not row.subs)


def test_ussd_subscription_after_stop_brings_back_only_itself(
    client, at_server, api_headers
) -> None:
    send(client, at_server, "Kati Sikasso")
    send(client, at_server, "STOP")
    bodies = call(client, "1", "4", "7", "1", "1")  # subscribe, Ségou, Niono, all, yes
    assert bodies[-1].startswith("END"), bodies[-1]
    assert state(client, api_headers) == ("active", {"d:niono:*"})


# -- job codes without their J ----------------------------------------------------------------


@pytest.fixture()
def job_code(client, api_headers) -> str:
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Infirmier",
            "organization": "ALIMA",
            "category": "nurse",
            "districts": ["Kati"],
            "deadline": deadline,
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


@pytest.mark.parametrize(
    "template", ["INFO {digits}", "{digits}", "info {digits}", "Info J{digits}", "j {digits}"]
)
def test_code_without_its_j(client, at_server, job_code, template) -> None:
    digits = job_code[1:]
    before = len(replies(at_server))
    sms(client, PHONE, template.format(digits=digits))
    got = replies(at_server)[before:]
    assert len(got) == 1 and job_code in got[0] and "Infirmier" in got[0], got
    assert count_segments(got[0]).segments <= 2


def test_a_bare_number_that_is_no_job_is_not_understood(client, at_server) -> None:
    assert replied(send(client, at_server, "486"), texts.UNKNOWN, "fr")
    assert replied(send(client, at_server, "INFO 486"), texts.INFO_UNKNOWN, "fr")


# -- 6. relays ----------------------------------------------------------------------------------


@pytest.fixture()
def store(app) -> Store:
    return app.extensions["baara"].store


@pytest.fixture()
def relay(store) -> str:
    relays.approve(store, default_reference(), RELAY, ["niono", "macina"])
    return RELAY


BAD_NUMBERS = {
    "too-few-spaced": "INSCRIRE 76 12 34 5 NIONO",
    "too-few": "INSCRIRE 7612345 NIONO",
    "too-many": "INSCRIRE 76 12 34 56 78 NIONO",
    "too-many-joined": "INSCRIRE 761234567 NIONO MOBILISATEUR",
    "letter-o-for-zero": "INSCRIRE 7612345O NIONO",
    "letters": "inscrire 76 12 34 5six niono",
    "dashes": "inscrire 76-12-34-5 niono",
    "plus-short": "INSCRIRE +223 7612345 NIONO",
    "no-keyword": "76 12 34 5 NIONO",
}


@pytest.mark.parametrize("lang", ["fr", "bm"])
@pytest.mark.parametrize("text", list(BAD_NUMBERS.values()), ids=list(BAD_NUMBERS))
def test_a_mistyped_number_is_invalid_and_never_subscribes_the_relay(
    client, at_server, api_headers, store, relay, text, lang
) -> None:
    if lang == "bm":
        send(client, at_server, "LANGUE BM", phone=RELAY)
    reply = send(client, at_server, text, phone=RELAY)
    assert replied(reply, relay_texts.RELAY_BAD_PHONE, lang), reply
    assert state(client, api_headers, RELAY)[1] == set()
    assert len(at_server.messages) == (2 if lang == "bm" else 1)  # nobody else was texted


def test_a_mistyped_number_from_a_non_relay_is_not_their_subscription(
    client, at_server, api_headers
) -> None:
    reply = send(client, at_server, "INSCRIRE 76 12 34 5 NIONO")
    assert replied(reply, relay_texts.RELAY_NOT_RELAY, "fr"), reply
    assert state(client, api_headers) == (None, set())


@pytest.mark.parametrize(
    "name, shown",
    [
        ("", "76 00 00 01"),
        ("Awa Traoré", "Awa Traoré (76 00 00 01)"),
        # A name too long for two segments with the places gives way to the number.
        ("Moussa Diarra, ASC du CSCom de Siribala", "76 00 00 01"),
    ],
)
def test_the_consent_sms_names_the_relay_as_people_know_it(
    client, at_server, store, name, shown
) -> None:
    relays.approve(store, default_reference(), RELAY, ["niono"], name=name or None)
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO MOBILISATEUR")
    (question,) = replies(at_server, TARGET)
    assert shown in question and "+223" not in question
    assert is_gsm7(question) and count_segments(question).segments <= 2
    assert "76 00 00 02" in replies(at_server, RELAY)[-1]  # the relay reads local numbers too


def test_a_number_that_gets_the_whole_region_is_not_asked_for_a_district(
    client, at_server, store, relay
) -> None:
    send(client, at_server, "tout segou", phone=TARGET)
    reply = send(client, at_server, "INSCRIRE 76 00 00 02 NIONO", phone=RELAY)
    assert replied(reply, relay_texts.RELAY_ALREADY, "fr"), reply
    assert len(replies(at_server, TARGET)) == 1  # only their own confirmation


WHO = {
    "fr-cest-qui": ("c'est qui ?", "fr"),
    "fr-qui-est-ce": ("qui est-ce", "fr"),
    "fr-c-ki": ("C ki", "fr"),
    "fr-vous-etes-qui": ("vous êtes qui ?", "fr"),
    "bm-jon-don": ("jon don?", "bm"),
    "bm-jɔn-don": ("jɔn don", "bm"),
    "bm-i-ye-jɔn-ye": ("i ye jɔn ye?", "bm"),
    # Thanks are no answer: the same reminder of who asks and how to answer.
    "fr-merci": ("merci", "fr"),
    "bm-barika": ("barika", "bm"),
}


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_a_relay_name_too_long_for_the_answer_gives_way_to_the_number(
    client, at_server, store, lang
) -> None:
    relays.approve(
        store, default_reference(), RELAY, ["niono"], name="Moussa Diarra, ASC du CSCom de Siribala"
    )
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO")
    reply = send(client, at_server, "c'est qui ?" if lang == "fr" else "jɔn don?", phone=TARGET)
    assert replied(reply, relay_texts.CONSENT_WHO, lang) and "76 00 00 01" in reply, reply


@pytest.mark.parametrize("text, lang", list(WHO.values()), ids=list(WHO))
def test_a_target_asking_who_it_is_is_told(
    client, at_server, api_headers, store, text, lang
) -> None:
    relays.approve(store, default_reference(), RELAY, ["niono"], name="Awa Traoré")
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO")
    reply = send(client, at_server, text, phone=TARGET)
    assert replied(reply, relay_texts.CONSENT_WHO, lang), reply
    assert "Awa Traoré" in reply and "76 00 00 01" in reply
    assert state(client, api_headers, TARGET) == (None, set())  # still only asked
    assert replied(send(client, at_server, "OUI", phone=TARGET), texts.SUBSCRIBED, "fr")
    assert state(client, api_headers, TARGET) == ("active", {"d:niono:*"})


@pytest.mark.parametrize(
    "text, lang",
    [("NON", "fr"), ("non merci", "fr"), ("Non.", "fr"), ("ayi", "bm"), ("ayi dɛ", "bm")],
)
def test_a_refusal_gets_one_short_acknowledgement(
    client, at_server, api_headers, store, relay, text, lang
) -> None:
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO")
    reply = send(client, at_server, text, phone=TARGET)
    assert replied(reply, relay_texts.CONSENT_DECLINED, lang), reply
    assert len(reply) <= 60
    assert state(client, api_headers, TARGET) == (None, set())
    assert store.has_refused(RELAY, TARGET)
    assert any(
        f in replies(at_server, RELAY)[-1] for f in fragments(relay_texts.RELAY_REFUSED, "fr")
    )


@pytest.mark.parametrize(
    "lang, first", [("fr", "tout segou"), ("bm", "n bɛ baara ɲini Segu mara bɛɛ")]
)
def test_ussd_subscription_inside_a_broader_one_says_so(
    client, at_server, api_headers, lang, first
) -> None:
    send(client, at_server, first)
    bodies = call(client, "1", "4", "7", "1", "1")  # subscribe, Ségou, Niono, all, yes
    head = to_gsm7(gettext(lang, ussd_texts.ALREADY_END)).split("{")[0].strip()
    assert bodies[-1].startswith("END") and head in bodies[-1], bodies[-1]
    assert state(client, api_headers) == ("active", {"r:segou:*"})


# -- 3. reading, not guessing: the class, not the examples ------------------------------------

ORDINARY = {
    "fr-informer": "merci de m'informer",
    "fr-maladie": "la maladie de mon enfant",
    "fr-malade": "je suis malade",
    "fr-commercant": "mon frère est commerçant",
    "fr-formation": "je suis en formation",
    "fr-famille": "ma famille va bien",
    "fr-journee": "bonne journée à vous",
    "fr-chomeur": "je suis chômeur",
    "fr-compatible": "c'est compatible",
    "fr-disponible": "je suis disponible",
    "fr-maison": "je suis à la maison",
    "fr-postuler": "je voudrais postuler",
    "fr-pauvre": "aidez moi svp je suis pauvre",
    "fr-reviens": "je reviens demain",
    "fr-conditions": "c'est quoi les conditions",
    "fr-diplome": "je suis diplômé",
    "bm-bana": "bana bɛ n na",
    "bm-dugu": "n bɛ dugu la",
    "bm-kalanso": "n ka kalanso",
    "bm-muso": "muso ni cɛ",
    "bm-kalanden": "n ye kalanden ye",
    "bm-songo": "a sɔngɔ ye joli ye",
    "bm-dogotoroso": "n bɛ dɔgɔtɔrɔso la",
}


@pytest.mark.parametrize("text", list(ORDINARY.values()), ids=list(ORDINARY))
def test_ordinary_words_are_never_a_place_or_a_job(text) -> None:
    cmd = parse(text, ParseState(), Places.default())
    assert not cmd.has_place and not cmd.categories, cmd
    assert cmd.intent not in (Intent.SUBSCRIBE, Intent.STOP, Intent.START), cmd


def test_no_dictionary_word_is_read_as_a_misspelt_place_or_job() -> None:
    places = Places.default()
    for word in sorted(COMMON_WORDS):
        found = places.find(f"je suis a Kati {word}")
        assert [h.slug for h in found.districts] == ["kati"], (word, found)
        assert not found.regions and not found.categories, (word, found)


@pytest.mark.parametrize(
    "body, status",
    [
        ({"districts": ["Niono"], "name": "Awa Traoré"}, 201),
        ({"districts": ["Niono"]}, 201),
        ({"districts": ["Niono"], "name": "x" * 41}, 400),
        ({"districts": ["Niono"], "name": 42}, 400),
    ],
)
def test_the_api_names_a_relay(client, api_headers, body, status) -> None:
    response = client.put(f"/api/relays/{quote(RELAY)}", headers=api_headers, json=body)
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert "name" in response.get_data(as_text=True)
        return
    assert response.get_json()["name"] == body.get("name", "")
    # Updating the districts alone keeps the name.
    again = client.put(
        f"/api/relays/{quote(RELAY)}", headers=api_headers, json={"districts": ["Niono", "Macina"]}
    )
    assert again.status_code == 200 and again.get_json()["name"] == body.get("name", "")


def _publish(client, api_headers, district: str) -> str:
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Mobilisateur communautaire",
            "organization": "ALIMA",
            "category": "community-mobilizer",
            "districts": [district],
            "deadline": deadline,
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def test_after_stop_and_a_new_place_only_that_place_alerts(client, at_server, api_headers) -> None:
    for text in ("Sikasso Bougouni", "STOP", "Kati"):
        send(client, at_server, text)
    sikasso = _publish(client, api_headers, "Sikasso")
    kati = _publish(client, api_headers, "Kati")
    assert at_server.wait_for(4, timeout=10)  # three replies, one alert
    got = replies(at_server)
    assert not any(sikasso in t for t in got), got
    assert sum(kati in t for t in got) == 1, got
