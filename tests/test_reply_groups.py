"""Replies with the same text share a gateway request (issue 16), each keeping its own record.

A radio spot's burst mostly gets the same few answers; AT takes many recipients a request, so
the reply sender puts the due replies of one text together (alerts/sending/sender.py) and
alerts/sending/replies.py sends them: STOP checked, claimed, recorded, retried per reply.
Real redis-server, the real africastalking client against a loopback AT, the real clients
against the loopback Orange.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from flask import current_app

from alerts.gateways.africastalking import Gateway
from alerts.gateways.routing import Policy, Router
from alerts.gateways.throttle import Kind, Throttle
from alerts.sending import outbox, sender
from alerts.sending.sender import _groups
from alerts.services import current_services
from alerts.store import Store, Subscriber, Subscription, keys
from tests.conftest import app_config
from tests.loopback_gateways import LoopbackOrange
from tests.test_replies import RETRY_CASES, TEXTS, arrivals, sliding_max

LANGS = ["fr", "bm"]
#: A second text in each language, as a burst mixes subscriptions with requests for help.
HELP = {
    "fr": "Baara: envoyez le nom de votre cercle, ex. NIONO. STOP pour arreter.",
    "bm": "Baara: i ka sigida tɔgɔ ci, i n'a fɔ NIONO. STOP ka a jɔ.",
}


@pytest.fixture()
def app(redis, redis_server, at_server):
    from app import create_app

    application = create_app(
        app_config(redis_server, at_server, RQ_SYNC=False, REPLY_CONCURRENCY=4)
    )
    with application.app_context():
        yield application


def phones(count: int, prefix: str = "+2237620") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def drain() -> int:
    return sender.finish(current_app._get_current_object(), current_services())


def texts_by_request(at_server) -> list[tuple[str, list[str]]]:
    """(text, recipients) of each request AT received."""
    return [(r["form"]["message"], r["form"]["to"].split(",")) for r in at_server.received]


GROUP_CASES = {
    # due replies (phone, text), free requests -> the phones of each group
    "one text, room for all": ([("a", "x"), ("b", "x"), ("c", "x")], 4, [["a"], ["b"], ["c"]]),
    "one text, two requests free": (
        [("a", "x"), ("b", "x"), ("c", "x"), ("d", "x")],
        2,
        [["a", "b"], ["c", "d"]],
    ),
    "texts never mixed": (
        [("a", "x"), ("b", "y"), ("c", "x"), ("d", "y")],
        2,
        [["a", "c"], ["b", "d"]],
    ),
    "no room: later texts wait": ([("a", "x"), ("b", "y"), ("c", "z")], 2, [["a"], ["b"]]),
}


@pytest.mark.parametrize("due, free, expected", list(GROUP_CASES.values()), ids=list(GROUP_CASES))
def test_due_replies_are_grouped_by_text_into_the_free_requests(due, free, expected):
    groups = _groups([(f"id-{p}", p, t) for p, t in due], free)
    assert [[phone for _, phone, _ in g] for g in groups] == expected
    assert all(len({text for _, _, text in g}) == 1 for g in groups)


@pytest.mark.parametrize("lang", LANGS)
def test_a_burst_of_one_text_goes_in_a_few_requests_each_reply_once(app, at_server, lang):
    services = current_services()
    store = services.store
    burst = phones(200)
    out_ids = [outbox.queue_sms(services, p, TEXTS[lang]) for p in burst]
    assert drain() == 200
    assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(burst, 1))
    assert at_server.requests <= 20, "the replies did not share requests"
    gateway_ids = set()
    for out_id in out_ids:
        out = store.get_outgoing(out_id)
        assert (out["status"], out["attempts"]) == ("sent", "1")
        assert store.ref_for_gateway_id(out["gateway_id"]) == f"out:{out_id}"
        gateway_ids.add(out["gateway_id"])
    assert len(gateway_ids) == 200  # each reply keeps its own message id
    assert store.overdue_outgoing(store.clock() + 3600) == []


@pytest.mark.parametrize("lang", LANGS)
def test_mixed_texts_each_reach_their_own_people(app, at_server, lang):
    services = current_services()
    people = phones(90)
    own = {p: (TEXTS[lang], HELP[lang], f"{TEXTS[lang]} J{n}")[n % 3] for n, p in enumerate(people)}
    for phone, text in own.items():
        outbox.queue_sms(services, phone, text)
    drain()
    assert {m["to"]: m["message"] for m in at_server.messages} == own
    assert len(at_server.messages) == 90
    for text, recipients in texts_by_request(at_server):
        assert all(own[p] == text for p in recipients)
    assert at_server.requests < 90


#: One number among ten sharing a text: (what is special about it) -> (sent to it, its status).
ONE_AMONG_MANY = {
    "blacklisted at the operator": ("blacklisted", False, "failed"),
    "stopped after its reply was queued": ("stopped", False, "suppressed"),
    "the STOP confirmation itself": ("confirmation", True, "sent"),
    "already sent by an earlier run": ("sent", False, "sent"),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "case, reaches, status", list(ONE_AMONG_MANY.values()), ids=list(ONE_AMONG_MANY)
)
def test_one_reply_among_many_keeps_its_own_outcome(app, at_server, lang, case, reaches, status):
    services = current_services()
    store = services.store
    others = phones(9)
    special = "+22376990001"
    store.seed_subscribers(
        Subscriber(phone=p, subscriptions=(Subscription(district="niono"),))
        for p in [*others, special]
    )
    if case == "blacklisted":
        at_server.blacklist = {special}
    out_id = outbox.queue_sms(services, special, TEXTS[lang], force=case == "confirmation")
    ids = [outbox.queue_sms(services, p, TEXTS[lang]) for p in others]
    if case in ("stopped", "confirmation"):
        store.stop(special)
    if case == "sent":
        store.update_outgoing(out_id, status="sent")
    drain()
    got = Counter(m["to"] for m in at_server.messages)
    assert got == Counter(dict.fromkeys(others + ([special] if reaches else []), 1))
    assert store.get_outgoing(out_id)["status"] == status
    assert {store.get_outgoing(i)["status"] for i in ids} == {"sent"}
    if case == "blacklisted":
        assert store.get_outgoing(out_id)["reason"] == "UserInBlacklist"
        assert not store.get_subscriber(special).active


WHOLE_REQUEST = {k: v for k, v in RETRY_CASES.items() if k.startswith("HTTP")}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "answer, status, retried", list(WHOLE_REQUEST.values()), ids=list(WHOLE_REQUEST)
)
def test_a_shared_request_refused_as_a_whole_is_retried_or_failed_per_reply(
    app, at_server, lang, answer, status, retried
):
    services = current_services()
    store = services.store
    for _ in range(4):  # one canned answer per request: four requests are free
        at_server.answer(*answer)
    ids = [outbox.queue_sms(services, p, TEXTS[lang]) for p in phones(12)]
    drain()
    assert at_server.requests == 4  # 12 replies of one text, 4 requests free
    for out_id in ids:
        out = store.get_outgoing(out_id)
        assert (out["status"], out["attempts"]) == (status, "1")
    scheduled = services.queue("replies").scheduled_job_registry.get_job_ids()
    assert len(scheduled) == (12 if retried else 0)


# -- several gateways, and a limit on AT ---------------------------------------------------


@pytest.fixture()
def orange_server():
    with LoopbackOrange() as server:
        yield server


@pytest.fixture()
def two_gateways(redis, redis_server, at_server, orange_server):
    from app import create_app

    config = app_config(
        redis_server,
        at_server,
        RQ_SYNC=False,
        REPLY_CONCURRENCY=4,
        GATEWAYS="africastalking,orange",
        ORANGE_API_URL=orange_server.url,
        ORANGE_CLIENT_ID="orange-id",
        ORANGE_CLIENT_SECRET="orange-secret",
        ORANGE_SENDER_ADDRESS="tel:+22370000000",
        ORANGE_SENDER_NAME="Baara",
        AT_MAX_TPS=10,
    )
    application = create_app(config)
    with application.app_context():
        yield application


@pytest.mark.parametrize("lang", LANGS)
def test_replies_go_back_through_the_gateway_each_wrote_to_within_the_limit(
    two_gateways, at_server, orange_server, lang
):
    services = current_services()
    store = services.store
    via_orange = phones(6, "+2237640")
    via_at = phones(24, "+2237650")
    for phone in via_orange:
        store.remember_gateway(phone, "orange")
    for phone in via_at:
        store.remember_gateway(phone, "africastalking")
    for phone in [*via_orange, *via_at]:
        outbox.queue_sms(services, phone, TEXTS[lang])
    drain()
    assert Counter(orange_server.phones()) == Counter(dict.fromkeys(via_orange, 1))
    assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(via_at, 1))
    # AT_MAX_TPS=10: each reply counted once, under AT's limit only, before it was claimed.
    assert sliding_max(arrivals(at_server)) <= 10
    assert max(len(to) for _, to in texts_by_request(at_server)) <= 2  # a fifth of 10


#: How long before its request a reply took its place under the limit -> entries in the window.
FRESH_CASES = {
    "just now: counted once": (0.0, 1),
    "a second ago (a slow claim): counted again at the gateway": (1.0, 2),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("age, entries", list(FRESH_CASES.values()), ids=list(FRESH_CASES))
def test_a_stale_place_under_the_limit_is_taken_again_before_the_request(
    redis, at_server, lang, age, entries
):
    gateway = Gateway("baara", "k", api_url=at_server.url)
    gateway.throttle = Throttle(Store(redis), 10)
    router = Router(
        {"africastalking": gateway}, Policy(order=("africastalking",), routes={}, operators={})
    )
    gateway.throttle.acquire(1, Kind.REPLY)
    results = router.send_replies(
        TEXTS[lang],
        {"+22376000001": "africastalking"},
        counted_on="africastalking",
        counted_at=time.monotonic() - age,
    )
    assert [r.status for r in results] == ["sent"]
    assert redis.zcard(keys.tps("at")) == entries
