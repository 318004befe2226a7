"""ORANGE_MAX_TPS (issue 16 item 2 for Orange): Orange's per-application limit, kept like AT's.

Orange answers 429 beyond the messages a second it allows the application, so Baara keeps under
it through the same sliding window AT_MAX_TPS uses, shared by replies and alert batches. Orange
takes one recipient a request, so each takes its place right before its own request. Real
redis-server, the real Orange client (requests) against the loopback Orange, which notes when
each request arrived.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from flask import current_app

from alerts.domain.subscribers import Language
from alerts.gateways import throttle
from alerts.gateways.orange import OrangeGateway
from alerts.gateways.routing import Policy, Router
from alerts.gateways.throttle import Kind, Throttle
from alerts.jobs import lifecycle as jobs
from alerts.sending import fanout, outbox, sender
from alerts.services import current_services
from alerts.store import Store, Subscriber, Subscription, keys
from config.settings import load_settings
from tests.support.gateways import gateway_config, orange_server, smsgate_server
from tests.test_fanout_faults import posting
from tests.test_replies import TEXTS, sliding_max

LANGS = [Language.FR, Language.BM]
FIXTURES = (orange_server, smsgate_server)  # pytest finds them here by name


def orange_arrivals(server) -> list[float]:
    """When each message reached the loopback Orange (one request per recipient)."""
    return [m["arrived"] for m in list(server.messages)]


def orange_gateway(server) -> OrangeGateway:
    return OrangeGateway(
        server.url, "orange-id", "orange-secret", "tel:+22370000000", sender_name="Baara"
    )


# -- settings --------------------------------------------------------------------------------

#: (settings, AT_BATCH_SIZE, recipients a fan-out batch): a second of the slowest limited
#: gateway of GATEWAYS; a limit on a gateway that is not enabled changes nothing.
BATCH_CASES = {
    "no limit": ({}, 1000, 1000),
    "AT only": ({"AT_MAX_TPS": 50}, 1000, 50),
    "Orange only": ({"GATEWAYS": "africastalking,orange", "ORANGE_MAX_TPS": 8}, 1000, 8),
    "both: the slower": (
        {"GATEWAYS": "africastalking,orange", "AT_MAX_TPS": 50, "ORANGE_MAX_TPS": 8},
        1000,
        8,
    ),
    "Orange's limit, Orange not enabled": ({"AT_MAX_TPS": 50, "ORANGE_MAX_TPS": 8}, 1000, 50),
    "smaller batches kept": ({"GATEWAYS": "orange,smsgate", "ORANGE_MAX_TPS": 40}, 30, 30),
}


@pytest.mark.parametrize(
    "settings, size, expected", list(BATCH_CASES.values()), ids=list(BATCH_CASES)
)
def test_a_fan_out_batch_is_a_second_of_the_slowest_limited_gateway(settings, size, expected):
    loaded = load_settings({**settings, "AT_BATCH_SIZE": size}, environ={})
    assert throttle.batch_size(loaded, size) == expected


#: (ORANGE_MAX_TPS, AT_REPLY_SHARE) -> (replies' share, alerts' share) of Orange's second.
SHARE_CASES = {"10/s": (10, 0.3, 3, 7), "4/s, a fifth": (4, 0.2, 1, 3), "1/s": (1, 0.3, 1, 1)}


@pytest.mark.parametrize(
    "rate, share, replies, alerts", list(SHARE_CASES.values()), ids=list(SHARE_CASES)
)
def test_orange_gets_its_own_window_with_the_reply_share(redis, rate, share, replies, alerts):
    settings = load_settings(
        {"GATEWAYS": "orange", "ORANGE_MAX_TPS": rate, "AT_REPLY_SHARE": share}, environ={}
    )
    limit = throttle.from_settings(Store(redis), settings, "orange")
    assert limit is not None
    assert (limit.gateway, limit.rate) == ("orange", rate)
    assert (limit.shares[Kind.REPLY], limit.shares[Kind.ALERT]) == (replies, alerts)
    assert throttle.from_settings(Store(redis), settings) is None  # AT_MAX_TPS stays 0


# -- the gateway under its limit -------------------------------------------------------------


@pytest.mark.parametrize("rate", [3, 6], ids=["3/s", "6/s"])
@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
def test_orange_never_sees_more_than_its_limit_in_any_second(redis, orange_server, rate, lang):
    gateway = orange_gateway(orange_server)
    gateway.throttle = Throttle(Store(redis), rate, gateway="orange")
    phones = [f"+2237450{i:04d}" for i in range(2 * rate + 1)]
    results = gateway.send(TEXTS[lang], phones)
    assert [r.status for r in results] == ["sent"] * len(phones)
    assert orange_server.phones() == phones
    times = orange_arrivals(orange_server)
    assert sliding_max(times) <= rate
    assert max(times) - min(times) >= 1.5  # 2 * rate + 1 messages: over two seconds
    assert redis.zcard(keys.tps("at")) == 0  # AT's window is not Orange's


#: How long before the request a reply took its place under Orange's limit, and the replies
#: of the group -> entries in Orange's window: the place serves the first request if still
#: fresh; every later request of a one-by-one gateway takes its own.
FRESH_CASES = {
    "just now, one reply": (0.0, 1, 1),
    "a second ago, one reply": (1.0, 1, 2),
    "just now, three replies": (0.0, 3, 3),
}


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
@pytest.mark.parametrize("age, replies, entries", list(FRESH_CASES.values()), ids=list(FRESH_CASES))
def test_each_orange_request_goes_with_a_fresh_place(
    redis, orange_server, lang, age, replies, entries
):
    gateway = orange_gateway(orange_server)
    gateway.throttle = Throttle(Store(redis), 10, gateway="orange")
    router = Router({"orange": gateway}, Policy(order=("orange",), routes={}, operators={}))
    gateway.token()  # the token's own request is not a message
    gateway.throttle.acquire(1, Kind.REPLY)
    phones = [f"+2237460{i:04d}" for i in range(replies)]
    results = router.send_replies(
        TEXTS[lang],
        dict.fromkeys(phones, "orange"),
        counted_on="orange",
        counted_at=time.monotonic() - age,
    )
    assert [r.status for r in results] == ["sent"] * replies
    assert redis.zcard(keys.tps("orange")) == entries


# -- replies and a fan-out together ----------------------------------------------------------


def make_app(redis_server, at_server, orange, smsgate, **settings: Any):
    from app import create_app

    config = gateway_config(
        redis_server,
        at_server,
        orange,
        smsgate,
        RQ_SYNC=False,
        REPLY_CONCURRENCY=4,
        AT_BATCH_SIZE=1000,
        FANOUT_LEASE_SECONDS=30,
        **settings,
    )
    return create_app(config)


@pytest.mark.parametrize("rate", [5, 8], ids=["5/s", "8/s"])
@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
def test_replies_and_a_fan_out_share_orange_within_its_limit(
    redis, redis_server, at_server, orange_server, smsgate_server, rate, lang
):
    app = make_app(redis_server, at_server, orange_server, smsgate_server, ORANGE_MAX_TPS=rate)
    with app.app_context():
        services = current_services()
        store = services.store
        # Orange numbers: GATEWAY_ROUTES sends their alerts through Orange.
        subscribers = [f"+2237470{i:04d}" for i in range(2 * rate)]
        store.seed_subscribers(
            Subscriber(phone=p, language=lang, subscriptions=(Subscription(district="niono"),))
            for p in subscribers
        )
        job, errors = jobs.create_job(services, posting())
        assert errors == {}
        assert fanout.plan(services, job.id)["matched"] == len(subscribers)
        assert len(services.store.fanout_todo(job.id)) == 2  # batches of a second of Orange

        def worker() -> None:
            with app.app_context():
                for batch in sorted(current_services().store.fanout_todo(job.id)):
                    fanout.send_batch(current_services(), job.id, batch)

        fan = threading.Thread(target=worker)
        fan.start()
        # Moov numbers that wrote to the NGO's Orange number: their replies go back there.
        repliers = [f"+2236670{i:04d}" for i in range(rate)]
        for phone in repliers:
            store.remember_gateway(phone, "orange")
        deadline = time.monotonic() + 20
        while not orange_server.messages and time.monotonic() < deadline:
            time.sleep(0.02)
        for phone in repliers:
            outbox.queue_sms(services, phone, TEXTS[lang])
        sender.finish(current_app._get_current_object(), services)
        fan.join(60)
        assert not fan.is_alive()

    got = Counter(orange_server.phones())
    assert got == Counter(dict.fromkeys([*subscribers, *repliers], 1))  # each exactly once
    assert smsgate_server.messages == [] and at_server.messages == []
    assert sliding_max(orange_arrivals(orange_server)) <= rate
    arrived = {m["to"]: m["arrived"] for m in orange_server.messages}
    replies = sorted(arrived[p] for p in repliers)
    alerts = sorted(arrived[p] for p in subscribers)
    # Replies go while the fan-out does (they keep their share), and the fan-out keeps going
    # while replies wait (it keeps the rest).
    assert replies[0] < alerts[-1]
    assert any(replies[0] < t < replies[-1] for t in alerts)


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
def test_a_run_withdrawn_at_orange_after_a_failover_records_what_went(
    redis, redis_server, at_server, orange_server, smsgate_server, monkeypatch, lang
):
    # AT fails the batch's one request; its recipients go on to Orange one by one, each waiting
    # for room under ORANGE_MAX_TPS; the run loses its lease after Orange took three: those three
    # are recorded, so the run that takes the batch over sends only the other three.
    app = make_app(
        redis_server,
        at_server,
        orange_server,
        smsgate_server,
        GATEWAYS="africastalking,orange",
        GATEWAY_ROUTES="",
        ORANGE_MAX_TPS=10,
    )
    with app.app_context():
        services = current_services()
        phones = [f"+2235080{i:04d}" for i in range(6)]
        services.store.seed_subscribers(
            Subscriber(phone=p, language=lang, subscriptions=(Subscription(district="niono"),))
            for p in phones
        )
        job, errors = jobs.create_job(services, posting())
        assert errors == {}
        assert fanout.plan(services, job.id)["matched"] == 6
        (batch,) = services.store.fanout_todo(job.id)
        at_server.canned.append((500, "text/plain", "Internal Server Error"))
        real_send_to = OrangeGateway._send_to

        def lose_the_lease_at_the_third(self, message: str, phone: str):
            result = real_send_to(self, message, phone)
            if len(orange_server.messages) == 3:
                redis.delete(keys.fan(job.id, f"lease:{batch}"))
            return result

        monkeypatch.setattr(OrangeGateway, "_send_to", lose_the_lease_at_the_third)
        first = fanout.send_batch(services, job.id, batch)
        assert first["result"] == "lease lost"
        assert len(orange_server.messages) == 3
        second = fanout.send_batch(services, job.id, batch)  # the run that takes it over
        assert second["result"] == "sent"
        everyone = [*orange_server.phones(), *(m["to"] for m in at_server.messages)]
        assert Counter(everyone) == Counter(dict.fromkeys(phones, 1))
        figures = jobs.job_stats(services, job.id)
        assert (figures["sent"], figures["queued"]) == (6, 0)
