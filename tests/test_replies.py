"""Replies at gateway speed (issue 16): the pooled reply sender and the shared TPS limit.

Real redis-server, the real africastalking client against a loopback AT server, and, for the
limit across workers and the kill mid-burst, real `python worker.py` processes.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from datetime import datetime

import pytest
from flask import current_app

from alerts.gateways import throttle
from alerts.gateways.africastalking import Gateway
from alerts.gateways.throttle import Kind, Throttle
from alerts.jobs import lifecycle as jobs
from alerts.sending import outbox, sender
from alerts.services import current_services
from alerts.store import Store, Subscriber, Subscription
from config.settings import load_settings
from tests.conftest import app_config, work
from tests.test_fanout_faults import Workers, posting, wait_for, worker_up

TEXTS = {
    "fr": "Baara: vous recevrez les offres de NIONO. STOP pour arreter.",
    "bm": "Baara: i bɛna baara kibaruyaw sɔrɔ NIONO. STOP ka a jɔ.",
}
LANGS = ["fr", "bm"]


@pytest.fixture()
def app(redis, redis_server, at_server):
    """Real queues and the pooled reply sender (the default REPLY_SENDER)."""
    from app import create_app

    application = create_app(
        app_config(redis_server, at_server, RQ_SYNC=False, REPLY_CONCURRENCY=16)
    )
    with application.app_context():
        yield application


def phones(count: int, prefix: str = "+2237610") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def queue(phone_list: list[str], lang: str) -> list[str]:
    services = current_services()
    return [outbox.queue_sms(services, p, TEXTS[lang]) for p in phone_list]


def drain() -> int:
    """One sender, as a worker's sender thread runs it, until nothing is due."""
    return sender.finish(current_app._get_current_object(), current_services())


# -- the shared limit -------------------------------------------------------------------------

R, A = Kind.REPLY, Kind.ALERT
#: (steps, rate 10, replies' share 30 %: 3 of each second for replies, 7 for alerts).
#: A step is (kind, messages, whether it may go now), or a pause in seconds.
LIMIT_CASES = {
    "a batch counts each recipient": [(A, 7, True), (A, 3, True), (R, 1, False)],
    "an idle kind lends its share": [(R, 10, True), (A, 1, False)],
    "alerts idle: replies take the whole second": [(R, 4, True), (R, 6, True), (R, 1, False)],
    "replies yield beyond their share while alerts wait": [
        (R, 2, True),
        (A, 9, False),
        (R, 2, False),
        (R, 1, True),
    ],
    "alerts yield beyond their share while replies wait": [
        (A, 5, True),
        (R, 6, False),
        (A, 3, False),
        (A, 2, True),
        (R, 3, True),
    ],
    "the window slides on": [(R, 10, True), (R, 1, False), 1.1, (R, 1, True), (A, 9, True)],
}


@pytest.mark.parametrize("steps", list(LIMIT_CASES.values()), ids=list(LIMIT_CASES))
def test_the_limit_counts_messages_and_keeps_each_kinds_share(redis, steps):
    limit = Throttle(Store(redis), 10, reply_share=0.3)
    for step in steps:
        if isinstance(step, float):
            time.sleep(step)
            continue
        kind, messages, allowed = step
        assert (limit.take(messages, kind) == 0) is allowed, step


@pytest.mark.parametrize(
    "rate, share, replies, alerts",
    [
        (50, 0.3, 10, 10),
        (1000, 0.3, 200, 200),
        (10, 0.1, 1, 2),
        (1, 0.3, 1, 1),
        (3, 0.1, 1, 1),
    ],
    ids=["50/s", "1000/s", "10/s-small-share", "1/s-both-all", "3/s"],
)
def test_each_request_fits_its_share_and_a_fifth_of_a_second(redis, rate, share, replies, alerts):
    limit = Throttle(Store(redis), rate, reply_share=share)
    assert (limit.chunk(Kind.REPLY), limit.chunk(Kind.ALERT)) == (replies, alerts)


@pytest.mark.parametrize(
    "rate, size, expected",
    [
        (0, 1000, 1000),
        (50, 1000, 50),
        (50, 30, 30),
        (1, 1000, 1),
    ],
    ids=["unlimited", "50/s", "small-batches-kept", "1/s"],
)
def test_a_limited_fan_out_is_cut_into_batches_of_a_second_at_most(rate, size, expected):
    settings = load_settings({"AT_MAX_TPS": rate}, environ={})
    assert throttle.batch_size(settings, size) == expected


def sliding_max(times: list[float], width: float = 1.0) -> int:
    """The most of `times` that fall within any `width` seconds."""
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def arrivals(at_server) -> list[float]:
    """When each message reached AT (its request's arrival, once per recipient)."""
    return [r["arrived"] for r in list(at_server.received) for _ in r["form"]["to"].split(",")]


def test_a_limited_gateway_cuts_batches_to_fit_and_spreads_them(redis, at_server):
    gateway = Gateway("baara", "k", api_url=at_server.url, batch_size=1000)
    gateway.throttle = Throttle(Store(redis), 20, reply_share=0.3)
    results = gateway.send("Baara: offre", phones(45))
    assert all(r.status == "sent" for r in results)
    sizes = [len(r["form"]["to"].split(",")) for r in at_server.received]
    assert sizes == [4] * 11 + [1]  # a fifth of 20 a second per request
    times = arrivals(at_server)
    assert sliding_max(times) <= 20
    assert max(times) - min(times) >= 1.5  # 45 messages at 20 a second


# -- the pooled sender ------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_each_reply_leaves_once_even_with_two_senders_racing(app, at_server, lang):
    at_server.delay = 0.05
    out_ids = queue(phones(60), lang)

    def race() -> None:
        with app.app_context():
            drain()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    drain()  # a third look finds nothing more to send
    assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(phones(60), 1))
    assert {m["message"] for m in at_server.messages} == {TEXTS[lang]}
    store = current_services().store
    for out_id in out_ids:
        out = store.get_outgoing(out_id)
        assert (out["status"], out["attempts"]) == ("sent", "1")
        assert store.ref_for_gateway_id(out["gateway_id"]) == f"out:{out_id}"
    assert store.overdue_outgoing(store.clock() + 3600) == []


@pytest.mark.parametrize("lang", LANGS)
def test_many_requests_are_in_flight_at_once(app, at_server, lang):
    at_server.delay = 0.3
    queue(phones(48), lang)
    started = time.monotonic()
    assert drain() == 48
    took = time.monotonic() - started
    # One at a time: 48 x 0.3 = 14.4 s. Sixteen in flight: three rounds, about 1 s.
    assert took < 6, f"{took:.1f} s: the requests did not overlap"


@pytest.mark.parametrize("lang", LANGS)
def test_one_numbers_replies_go_in_the_order_written(app, at_server, lang):
    at_server.delay = 0.02
    services = current_services()
    texts = [f"{TEXTS[lang]} {n}" for n in range(6)]
    for text in texts:
        outbox.queue_sms(services, "+22376000001", text)
    queue(phones(20), lang)
    drain()
    assert [m["message"] for m in at_server.messages_to("+22376000001")] == texts


STOP_CASES = {
    # (stopped before the sender gets to it, forced (the STOP confirmation), sent)
    "subscribed: sent": (False, False, True),
    "stopped after it was queued: not sent": (True, False, False),
    "the STOP confirmation itself: sent": (True, True, True),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("stopped, force, sent", list(STOP_CASES.values()), ids=list(STOP_CASES))
def test_stop_is_checked_when_the_reply_leaves(app, at_server, lang, stopped, force, sent):
    services = current_services()
    phone = "+22376000002"
    services.store.seed_subscribers(
        [Subscriber(phone=phone, subscriptions=(Subscription(district="niono"),))]
    )
    out_id = outbox.queue_sms(services, phone, TEXTS[lang], force=force)
    if stopped:
        services.store.stop(phone)
    drain()
    assert bool(at_server.messages_to(phone)) is sent
    status = services.store.get_outgoing(out_id)["status"]
    assert status == ("sent" if sent else "suppressed")


def at_body(code: int, status: str) -> str:
    return json.dumps(
        {
            "SMSMessageData": {
                "Message": "Sent to 0/1",
                "Recipients": [
                    {
                        "number": "+22376000003",
                        "status": status,
                        "statusCode": code,
                        "cost": "0",
                        "messageId": "None",
                    }
                ],
            }
        }
    )


RETRY_CASES = {
    # canned answer -> (status afterwards, retried later)
    "HTTP 500": ((500, "text/plain", "Internal Server Error"), "queued", True),
    "HTTP 429": ((429, "text/plain", "Too Many Requests"), "queued", True),
    "HTTP 401 bad key": (
        (401, "text/plain", "The supplied authentication is invalid"),
        "failed",
        False,
    ),
    "405 InsufficientBalance": (
        (201, "application/json", at_body(405, "InsufficientBalance")),
        "queued",
        True,
    ),
    "403 InvalidPhoneNumber": (
        (201, "application/json", at_body(403, "InvalidPhoneNumber")),
        "failed",
        False,
    ),
    "406 UserInBlacklist": (
        (201, "application/json", at_body(406, "UserInBlacklist")),
        "failed",
        False,
    ),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "answer, status, retried", list(RETRY_CASES.values()), ids=list(RETRY_CASES)
)
def test_only_retryable_failures_are_tried_again_with_backoff(
    app, at_server, lang, answer, status, retried
):
    services = current_services()
    store = services.store
    phone = "+22376000003"
    at_server.answer(*answer)
    out_id = outbox.queue_sms(services, phone, TEXTS[lang])
    before = store.now()  # the sender idles a second before it returns: measure from here
    drain()
    out = store.get_outgoing(out_id)
    assert (out["status"], out["attempts"]) == (status, "1")
    assert at_server.requests == 1  # nothing sent again at once
    scheduled = services.queue("replies").scheduled_job_registry.get_job_ids()
    assert bool(scheduled) is retried
    due = store.redis.zscore("out:pending", out_id)
    if retried:
        assert due >= before + 5  # the first backoff is 5 s
    else:
        assert due is None
    if answer[2].find("UserInBlacklist") >= 0:
        assert store.get_subscriber(phone) is None or not store.get_subscriber(phone).active


def test_the_one_job_per_reply_design_stays_reachable(redis, redis_server, at_server):
    from app import create_app

    application = create_app(app_config(redis_server, at_server, RQ_SYNC=False, REPLY_SENDER="job"))
    with application.app_context():
        out_ids = queue(phones(3), "bm")
        assert len(current_services().queue("replies").get_job_ids()) == 3
        work()
        assert len(at_server.messages) == 3
        assert {current_services().store.get_outgoing(i).get("rq") for i in out_ids} == {None}


# -- real worker processes --------------------------------------------------------------------


@pytest.fixture()
def worker_stack(redis, redis_server, at_server, tmp_path):
    """An app with real queues and the means to start `python worker.py` processes."""
    from app import create_app

    config = {
        "REDIS_URL": redis_server.url,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "k",
        "AT_API_URL": at_server.url,
        "QUIET_HOURS": "",
        "AT_BATCH_SIZE": "50",
        "FANOUT_LEASE_SECONDS": "3",
        "REPLY_CONCURRENCY": "8",
    }
    env = {**os.environ, **config, "BAARA_ENV": "development", "PYTHONUNBUFFERED": "1"}
    application = create_app(
        {
            **config,
            "TESTING": True,
            "RQ_SYNC": False,
            "FANOUT_LEASE_SECONDS": 3,
            "AT_BATCH_SIZE": 50,
            "REPLY_CONCURRENCY": 8,
        }
    )
    workers = Workers(env, tmp_path)
    with application.app_context():
        try:
            yield workers
        finally:
            workers.stop_all()


def start(workers: Workers, names: list[str]) -> None:
    for name in names:
        workers.start(name)
    wait_for(lambda: all(worker_up(n) for n in names), 60, "the workers")


def test_two_workers_keep_to_the_limit_with_replies_and_a_fan_out(worker_stack, at_server):
    workers = worker_stack
    workers.env["AT_MAX_TPS"] = "20"
    start(workers, ["tps-a", "tps-b"])
    store = current_services().store
    subscribers = phones(60, "+2237820")
    store.seed_subscribers(
        Subscriber(phone=p, subscriptions=(Subscription(district="niono"),)) for p in subscribers
    )
    job, errors = jobs.create_job(current_services(), posting())
    assert errors == {}
    wait_for(lambda: len(at_server.messages) >= 5, 30, "the fan-out to start")
    asked = time.time()
    repliers = phones(20, "+2236620")
    for i, phone in enumerate(repliers):
        outbox.queue_sms(current_services(), phone, TEXTS[LANGS[i % 2]])
    everyone = set(subscribers) | set(repliers)
    try:
        wait_for(lambda: {m["to"] for m in at_server.messages} >= everyone, 60, "all sent")
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    got = Counter(m["to"] for m in at_server.messages)
    assert max(got.values()) == 1
    # 80 messages at 20 a second: about four seconds, never more than 20 in any second.
    assert sliding_max(arrivals(at_server)) <= 20
    # Replies keep their share while the fan-out goes on: none waits for the fan-out's end.
    reply_times = [
        datetime.fromisoformat(m["at"]).timestamp()
        for m in at_server.messages
        if m["to"] in repliers
    ]
    alert_times = [
        datetime.fromisoformat(m["at"]).timestamp()
        for m in at_server.messages
        if m["to"] in subscribers
    ]
    assert min(reply_times) - asked < 2.5
    assert min(reply_times) < max(alert_times)


KILL_CASES = {
    # One text for everyone (replies share requests) or one text each (one reply a request).
    "same text: shared requests": False,
    "a text each: one reply a request": True,
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("distinct", list(KILL_CASES.values()), ids=list(KILL_CASES))
def test_a_worker_killed_mid_burst_loses_no_reply(worker_stack, at_server, lang, distinct):
    workers = worker_stack
    at_server.delay = 0.3
    start(workers, ["burst-a", "burst-b"])
    services = current_services()
    burst = phones(240, "+2237930")
    out_ids: list[str] = []

    def text(n: int) -> str:
        return f"{TEXTS[lang]} {n}" if distinct else TEXTS[lang]

    # Texts keep coming, as after a radio spot: 20 every 0.1 s.
    for n in range(0, 60, 20):
        out_ids += [
            outbox.queue_sms(services, p, text(n + i)) for i, p in enumerate(burst[n : n + 20])
        ]
        time.sleep(0.1)
    wait_for(lambda: len(at_server.messages) >= 30, 60, "the burst to be under way")
    holder = sender.holder(services)
    pid = int(holder.split("-")[1])
    victim = next(n for n, p in workers.procs.items() if p.pid == pid)
    workers.kill(victim)
    # What the dead sender had at the gateway: claimed, never recorded.
    in_flight = {
        services.store.get_outgoing(i)["phone"]
        for i in out_ids
        if services.store.get_outgoing(i)["status"] == "sending"
    }
    at_kill = len(at_server.messages)
    out_ids += [outbox.queue_sms(services, p, text(60 + i)) for i, p in enumerate(burst[60:])]
    assert at_kill < len(burst), "killed too late to test anything"
    try:
        wait_for(
            lambda: {m["to"] for m in at_server.messages} >= set(burst),
            90,
            "the other worker to send the rest",
        )
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    time.sleep(1)  # a duplicate would show now
    got = Counter(m["to"] for m in at_server.messages)
    twice = {p for p, c in got.items() if c > 1}
    assert max(got.values()) <= 2
    assert twice <= in_flight, "a reply not at the gateway when the worker died went twice"
    if distinct:
        assert len(twice) <= 8, "more than the requests in flight went twice"  # REPLY_CONCURRENCY
    wait_for(
        lambda: all(services.store.get_outgoing(i)["status"] == "sent" for i in out_ids),
        30,
        "every reply recorded as sent",
    )
