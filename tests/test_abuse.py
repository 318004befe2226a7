"""Flood control for inbound SMS, and no outsider can make Baara text a third number."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from alerts.services import services_of
from alerts.sms import abuse
from alerts.store import VERDICTS, Store
from messages import sms as texts
from tests.conftest import change_settings
from tests.support.drivers import sms

PHONE = "+22376123456"
SOON = (date.today() + timedelta(days=20)).isoformat()
_ids = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def check(store: Store, kind: str, phone: str, limit: int, cooldown: int = 600) -> str:
    """One inbound message through the round trip that counts it: the SMS webhook's
    accept_sms, or USSD's ussd_request and abuse.judge."""
    if kind == "sms":
        verdict, _, _ = store.accept_sms(
            phone,
            f"abuse-{next(_ids)}",
            "item",
            limit=limit,
            window=abuse.WINDOW,
            cooldown=cooldown,
            lease_token="t",
            lease_ttl=60,
            metric_fields={v: f"test|{v}" for v in VERDICTS},
        )
        return verdict
    counted = store.ussd_request(
        phone,
        f"s{next(_ids)}",
        None,
        "K",
        "N",
        300,
        limit=limit,
        window=abuse.WINDOW,
        metric="test",
    )[0]
    return abuse.judge(store, kind, phone, counted, limit, cooldown)


@pytest.mark.parametrize("kind", ["sms", "ussd"])
def test_counts_per_minute_then_mutes_for_the_cooldown(redis, kind):
    clock = Clock()
    store = Store(redis, clock=clock)
    verdicts = [check(store, kind, PHONE, 3, cooldown=600) for _ in range(6)]
    assert verdicts == ["ok", "ok", "ok", "warn", "silent", "silent"]
    assert 590 <= redis.ttl(f"muted:{kind}:{PHONE}") <= 600
    assert check(store, kind, "+22366123456", 3) == "ok"  # other numbers unaffected
    other = "ussd" if kind == "sms" else "sms"
    assert check(store, other, PHONE, 3) == "ok"  # each kind has its own count


@pytest.mark.parametrize("kind", ["sms", "ussd"])
def test_a_new_minute_starts_a_new_count(redis, kind):
    clock = Clock()
    store = Store(redis, clock=clock)
    for _ in range(3):
        assert check(store, kind, PHONE, 3) == "ok"
    clock.now += 60
    assert check(store, kind, PHONE, 3) == "ok"


@pytest.mark.parametrize("kind", ["sms", "ussd"])
def test_limit_zero_turns_it_off(redis, kind):
    store = Store(redis)
    assert {check(store, kind, PHONE, 0) for _ in range(50)} == {"ok"}


def test_mute_expires_after_the_cooldown(redis):
    store = Store(redis)
    assert store.mute("sms", PHONE, 600)
    assert not store.mute("sms", PHONE, 600)  # only one caller starts the silence
    assert 590 <= redis.ttl(f"muted:sms:{PHONE}") <= 600
    redis.delete(f"muted:sms:{PHONE}")
    assert not redis.exists(f"muted:sms:{PHONE}")


def test_flooding_number_is_answered_once_then_ignored(app, client, at_server):
    limit = services_of(app).settings.sms_rate_limit
    assert limit == 10
    for _ in range(limit):
        assert sms(client, PHONE, "AIDE").json["status"] == "accepted"
    assert len(at_server.messages_to(PHONE)) == limit
    assert sms(client, PHONE, "AIDE").json == {"status": "ignored"}
    for _ in range(5):
        assert sms(client, PHONE, "NIONO").json == {"status": "ignored"}
    got = [m["message"] for m in at_server.messages_to(PHONE)]
    assert len(got) == limit + 1
    assert got[-1] == texts.too_many("fr")
    store = app.extensions["baara"].store
    assert store.get_subscriber(PHONE) is None  # NIONO during the silence did nothing
    # After the cool-down the number is heard again.
    store.redis.delete(f"muted:sms:{PHONE}")
    for key in store.redis.scan_iter(f"rate:sms:{PHONE}:*"):
        store.redis.delete(key)
    assert sms(client, PHONE, "NIONO").json["status"] == "accepted"
    assert store.get_subscriber(PHONE) is not None


def test_too_many_answer_in_bamanankan_and_fits_one_sms(app, client, at_server):
    from messages.compose import count_segments, is_gsm7

    for lang in ("fr", "bm"):
        text = texts.too_many(lang)
        assert is_gsm7(text) and count_segments(text).segments == 1
    assert texts.too_many("bm") != texts.too_many("fr")
    sms(client, PHONE, "LANGUE BM")
    change_settings(app, SMS_RATE_LIMIT=1)
    sms(client, PHONE, "AIDE")
    assert at_server.messages_to(PHONE)[-1]["message"] == texts.too_many("bm")


def test_a_stopped_number_gets_no_flood_answer(app, client, at_server):
    sms(client, PHONE, "STOP")
    before = len(at_server.messages_to(PHONE))
    change_settings(app, SMS_RATE_LIMIT=1)
    sms(client, PHONE, "AIDE")
    assert len(at_server.messages_to(PHONE)) == before


OUTSIDER = "+22376111111"
THIRD = "+22366222222"
TRICKY = [
    "INSCRIRE 66222222 NIONO",
    "INSCRIRE +22366222222 NIONO MOBILISATEUR",
    "inscrire 66 22 22 22 kati",
    "66222222",
    "+22366222222",
    "NIONO 66222222",
    "STOP 66222222",
    "STOP +22366222222",
    "START 66222222",
    "INFO J1 66222222",
    "OFFRES 66222222",
    "RELAIS NIONO",
    "RELAIS NIONO 66222222",
    "INSCRIRE 66222222 NIONO",  # after asking to become a relay: still pending, not approved
    "OUI",
    "AIDE 66222222",
    "LANGUE BM 66222222",
    "envoyer a 66222222: baara",
    "0022366222222 SEGOU",
    "LISTE +22366222222",
]


def test_an_outsider_can_only_ever_get_answers_itself(app, client, at_server, api_headers):
    # An open job, so OFFRES and INFO have something to say.
    job = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Infirmier",
            "organization": "ALIMA",
            "category": "nurse",
            "districts": ["Niono"],
            "positions": 1,
            "deadline": f"{SOON}T17:00",
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert job.status_code == 201, job.get_json()
    at_server.clear()
    change_settings(app, SMS_RATE_LIMIT=0)  # this test is about content, not volume
    for text in TRICKY:
        sms(client, OUTSIDER, text)
    recipients = {m["to"] for m in at_server.messages}
    assert recipients == {OUTSIDER}
    assert len(at_server.messages_to(OUTSIDER)) >= len(TRICKY) - 2
    assert app.extensions["baara"].store.get_subscriber(THIRD) is None
