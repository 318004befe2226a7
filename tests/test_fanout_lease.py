"""An alert batch goes at most once per recipient whatever the lease, the limit and the speed.

Under AT_MAX_TPS a batch is several requests, each waiting for room; with replies taking their
share and a slow gateway it can outlast FANOUT_LEASE_SECONDS. The run keeps its lease alive
while busy, records each request as it is answered, and sends nothing more once it has lost the
lease; a worker killed mid-batch makes at most the request it had in flight go twice.

Real redis-server, the real AT client against the loopback AT server; competing runs of the
same batch in threads (each with its own app, as two workers would have). The sweeper and the
SIGKILL with real `python worker.py` processes are in test_fanout_lease_workers.py.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from typing import Any

import pytest

from alerts.domain.subscribers import Language
from alerts.gateways import throttle
from alerts.gateways.throttle import Kind, Throttle
from alerts.jobs import lifecycle as jobs
from alerts.sending import fanout
from alerts.services import current_services
from alerts.store import Store, Subscriber, Subscription, keys
from tests.conftest import app_config
from tests.test_fanout_faults import posting, wait_for

LANGS = [Language.FR, Language.BM]
REPLIES = {
    Language.FR: "Baara: vous recevrez les offres de NIONO. STOP pour arreter.",
    Language.BM: "Baara: i bɛna baara kibaruyaw sɔrɔ NIONO. STOP ka a jɔ.",
}


def seed(count: int, lang: Language, prefix: str = "+2237440") -> list[str]:
    """`count` subscribers to Niono alerts, all in `lang`."""
    phones = [f"{prefix}{i:04d}" for i in range(count)]
    current_services().store.seed_subscribers(
        Subscriber(phone=p, language=lang, subscriptions=(Subscription(district="niono"),))
        for p in phones
    )
    return phones


def make_app(redis_server, at_server, **settings: Any):
    from app import create_app

    return create_app(app_config(redis_server, at_server, RQ_SYNC=False, **settings))


def planned(phones_count: int) -> tuple[str, list[int]]:
    """Publish a job and plan it (its batches are queued, nothing runs them): job id, batches."""
    services = current_services()
    job, errors = jobs.create_job(services, posting())
    assert errors == {}
    result = fanout.plan(services, job.id)
    assert result["matched"] == phones_count, result
    return job.id, sorted(services.store.fanout_todo(job.id))


class Replies:
    """Replies taking their share of the limit all along, as a burst of texts would."""

    def __init__(self, store: Store, rate: int) -> None:
        self.limit = Throttle(store, rate, reply_share=0.3)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            self.limit.acquire(1, Kind.REPLY)

    def __enter__(self) -> Replies:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(10)


def compete(app, job_id: str, n: int, stop: threading.Event, seen: list[str], at_server) -> None:
    """Another worker's run of the same batch, tried again and again (as the sweeper would)
    from the moment the first run's first request reached AT."""
    while at_server.requests < 1 and not stop.is_set():
        time.sleep(0.005)
    with app.app_context():
        services = current_services()
        while not stop.is_set():
            seen.append(fanout.send_batch(services, job_id, n)["result"])
            time.sleep(0.1)


# -- outcomes recorded request by request -------------------------------------------------

#: Calls to record_alerts for one batch of five (a, b, c, d, e), as requests come back and
#: runs repeat: each (rows as (phone, outcome), finish); the stats must count each phone once.
RECORD_CASES = {
    "one request at a time": [(["as", "bs"], False), (["cs", "df"], False), (["ex"], True)],
    "a request recorded twice": [
        (["as", "bs"], False),
        (["as", "bs"], False),
        (["cs", "ds", "es"], True),
    ],
    "a rerun overlapping": [
        (["as", "bf"], False),
        (["as", "bs", "cs"], False),
        (["ds", "es"], True),
    ],
    "nothing new, then finish": [(["as", "bs", "cs", "ds", "es"], False), ([], True)],
}


@pytest.mark.parametrize("calls", RECORD_CASES.values(), ids=RECORD_CASES.keys())
def test_partial_and_repeated_records_count_each_recipient_once(
    redis, redis_server, at_server, calls
):
    app = make_app(redis_server, at_server, AT_MAX_TPS=5, AT_BATCH_SIZE=1000)
    with app.app_context():
        services = current_services()
        phones = seed(5, Language.FR)
        job_id, _ = planned(5)
        letter = dict(zip("abcde", sorted(phones), strict=True))
        final: dict[str, str] = {}
        for rows, finish in calls:
            fresh = [(letter[r[0]], r[1]) for r in rows if letter[r[0]] not in final]
            counts = services.store.record_alerts(
                job_id,
                0,
                [(letter[r[0]], r[1], "" if r[1] == "s" else "Why", "", "") for r in rows],
                segments=1,
                price=25.0,
                finish=finish,
                ttl=3600,
            )
            for phone, outcome in fresh:
                final.setdefault(phone, outcome)
            expect = Counter(o for _, o in dict(fresh).items())
            assert (counts["sent"], counts["failed"], counts["skipped"]) == (
                expect["s"],
                expect["f"],
                expect["x"],
            )
            assert counts["todo"] == (0 if finish else 1)
        stats = services.store.alert_stats(job_id)
        totals = Counter(final.values())
        assert int(stats.get("sent", 0)) == totals["s"]
        assert int(stats.get("failed", 0)) == totals["f"]
        assert int(stats.get("skipped", 0)) == totals["x"]
        assert int(stats["queued"]) == 0
        assert float(stats.get("cost", 0)) == 25.0 * totals["s"]


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
def test_a_request_failing_mid_batch_leaves_the_rest_for_the_retry(
    redis, redis_server, at_server, lang
):
    at_server.fail_every = 3  # the third request of the batch answers HTTP 500
    app = make_app(redis_server, at_server, AT_MAX_TPS=10, AT_BATCH_SIZE=1000)
    with app.app_context():
        services = current_services()
        phones = seed(10, lang)
        job_id, _ = planned(10)
        first = fanout.send_batch(services, job_id, 0)
        assert (first["result"], first["sent"], first["retrying"]) == ("retrying", 4, 6)
        assert at_server.requests == 3  # the batch stopped at the failure
        figures = jobs.job_stats(services, job_id)
        assert (figures["sent"], figures["queued"]) == (4, 6)  # recorded as they came back
        at_server.fail_every = 0
        second = fanout.send_batch(services, job_id, 0)  # the retry, after its backoff
        assert (second["result"], second["sent"]) == ("sent", 6)
        assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(phones, 1))
        assert at_server.requests == 6
        assert services.store.fanout_todo(job_id) == set()


# -- a batch legitimately busy for longer than its lease ------------------------------------

#: (AT_MAX_TPS, FANOUT_LEASE_SECONDS, AT's answer delay s): each batch of AT_MAX_TPS recipients
#: goes in five requests and takes several leases' time with replies taking their share.
BUSY_CASES = {
    "5/s-lease-1s-slow-at": (5, 1, 0.4),
    "10/s-lease-1s": (10, 1, 0.3),
    "20/s-lease-2s-slow-at": (20, 2, 0.6),
}


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
@pytest.mark.parametrize(("rate", "lease", "delay"), BUSY_CASES.values(), ids=BUSY_CASES.keys())
def test_a_batch_busier_than_its_lease_is_never_taken_over(
    redis, redis_server, at_server, rate, lease, delay, lang
):
    at_server.delay = delay
    settings = {"AT_MAX_TPS": rate, "FANOUT_LEASE_SECONDS": lease, "AT_BATCH_SIZE": 1000}
    app, other = (make_app(redis_server, at_server, **settings) for _ in range(2))
    with app.app_context():
        services = current_services()
        phones = seed(rate, lang)
        job_id, batches = planned(rate)
        assert batches == [0]  # a batch is about a second of the limit
        stop, seen = threading.Event(), []
        rival = threading.Thread(target=compete, args=(other, job_id, 0, stop, seen, at_server))
        started = time.monotonic()
        with Replies(services.store, rate):
            rival.start()
            try:
                summary = fanout.send_batch(services, job_id, 0)
            finally:
                stop.set()
                rival.join(30)
        took = time.monotonic() - started
        assert took > lease, f"{took:.1f} s: the batch did not outlast its lease, test nothing"
        got = Counter(m["to"] for m in at_server.messages)
        assert got == Counter(dict.fromkeys(phones, 1)), f"rival runs: {seen}"
        assert {m["message"] for m in at_server.messages} == {
            services.store.fanout_plan(job_id)[f"text:{lang.value}"]
        }
        assert summary["result"] == "sent" and summary["sent"] == rate
        assert "busy" in seen and "sent" not in seen  # the rival never took it over
        chunk = math.ceil(rate / throttle.REQUESTS_PER_SECOND)
        assert at_server.requests == math.ceil(rate / chunk)
        figures = jobs.job_stats(services, job_id)
        assert (figures["sent"], figures["queued"]) == (rate, 0)
        assert services.store.fanout_todo(job_id) == set()


# -- a run that lost its lease ---------------------------------------------------------------

#: (AT_MAX_TPS, recipients): the batch's requests are `ceil(rate / 5)` recipients each.
LOST_CASES = {"10/s": (10, 10), "20/s": (20, 20), "20/s-short-batch": (20, 7)}


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
@pytest.mark.parametrize(("rate", "count"), LOST_CASES.values(), ids=LOST_CASES.keys())
def test_a_run_that_lost_its_lease_sends_nothing_more(
    redis, redis_server, at_server, rate, count, lang
):
    """The lease lapses (a stalled worker) while a request is in flight: another run takes the
    batch; the first records what AT answered, then stops. Only that request goes twice."""
    at_server.delay = 0.8
    settings = {"AT_MAX_TPS": rate, "FANOUT_LEASE_SECONDS": 5, "AT_BATCH_SIZE": 1000}
    app, other = (make_app(redis_server, at_server, **settings) for _ in range(2))
    with app.app_context():
        services = current_services()
        phones = seed(count, lang)
        job_id, _ = planned(count)
        out: dict[str, Any] = {}

        def first() -> None:
            with app.app_context():
                out["first"] = fanout.send_batch(current_services(), job_id, 0)

        runner = threading.Thread(target=first)
        runner.start()
        wait_for(lambda: at_server.requests >= 1, 20, "the first request", step=0.005)
        # As if the worker had stalled past its lease: the sweeper's rerun may take it now.
        redis.delete(keys.fan(job_id, "lease:0"))
        with other.app_context():
            second = fanout.send_batch(current_services(), job_id, 0)
        runner.join(60)
        assert out["first"]["result"] == "lease lost"
        assert second["result"] == "sent"
        got = Counter(m["to"] for m in at_server.messages)
        assert set(got) == set(phones), "a recipient was missed"
        twice = [p for p, c in got.items() if c > 1]
        assert max(got.values()) <= 2
        assert len(twice) <= math.ceil(rate / throttle.REQUESTS_PER_SECOND), "more than 1 request"
        figures = jobs.job_stats(services, job_id)
        assert (figures["sent"], figures["queued"]) == (count, 0)  # each counted once
        assert services.store.fanout_todo(job_id) == set()


@pytest.mark.parametrize("lang", LANGS, ids=["fr", "bm"])
def test_a_run_that_lost_its_lease_while_waiting_for_room_withdraws(
    redis, redis_server, at_server, lang
):
    """Lost while waiting in the throttle: the request it waited for never goes."""
    rate = 5
    settings = {"AT_MAX_TPS": rate, "FANOUT_LEASE_SECONDS": 5, "AT_BATCH_SIZE": 1000}
    app = make_app(redis_server, at_server, **settings)
    with app.app_context():
        services = current_services()
        phones = seed(rate, lang)
        job_id, _ = planned(rate)
        # The window kept full from outside (counted against a far higher limit), so the batch
        # waits for room as long as we like, whatever the timing.
        flood = Throttle(services.store, 10**6)
        hold = threading.Event()

        def fill() -> None:
            while not hold.is_set():
                assert flood.take(rate * 10, Kind.REPLY) == 0
                time.sleep(0.2)

        filler = threading.Thread(target=fill, daemon=True)
        filler.start()
        time.sleep(0.2)
        out: dict[str, Any] = {}

        def first() -> None:
            with app.app_context():
                out["first"] = fanout.send_batch(current_services(), job_id, 0)

        runner = threading.Thread(target=first)
        runner.start()
        time.sleep(1.0)  # waiting for room
        redis.set(keys.fan(job_id, "lease:0"), "someone-else", ex=30)
        runner.join(20)
        hold.set()
        filler.join(5)
        assert out["first"]["result"] == "lease lost"
        assert at_server.requests == 0
        redis.delete(keys.fan(job_id, "lease:0"))
        assert fanout.send_batch(services, job_id, 0)["result"] == "sent"
        assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(phones, 1))
