"""The fan-out's lease and per-request records with real `python worker.py` processes.

Two workers, replies competing and a lease shorter than a batch under AT_MAX_TPS: the idle
worker's sweeps must never hand the busy batch to itself. A worker SIGKILLed mid-batch: only the
request it had in flight goes twice. Real redis-server, loopback AT; every process is killed.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from typing import Any

import pytest

from alerts.domain.subscribers import Language
from alerts.gateways import throttle
from alerts.jobs import lifecycle as jobs
from alerts.sending import outbox
from alerts.services import current_services
from tests.test_fanout_faults import Workers, posting, state, wait_for, worker_up
from tests.test_fanout_lease import REPLIES, make_app, seed


@pytest.fixture()
def stack(redis, redis_server, at_server, tmp_path):
    """An app with real queues and `python worker.py` processes on the same Redis and AT."""
    workers = Workers({}, tmp_path)

    def configure(**settings: Any):
        config = {
            "REDIS_URL": redis_server.url,
            "AT_USERNAME": "baara",
            "AT_API_KEY": "k",
            "AT_API_URL": at_server.url,
            "QUIET_HOURS": "",
            **{k: str(v) for k, v in settings.items()},
        }
        workers.env = {
            **os.environ,
            **config,
            "BAARA_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        return make_app(redis_server, at_server, **settings)

    try:
        yield workers, configure
    finally:
        workers.stop_all()


def finished(job_id: str) -> bool:
    services = current_services()
    return (
        jobs.job_stats(services, job_id)["queued"] == 0
        and job_id not in services.store.active_fanouts()
    )


def run_workers(workers: Workers, names: list[str]) -> None:
    for name in names:
        workers.start(name)
    wait_for(lambda: all(worker_up(n) for n in names), 60, "the workers")


#: (AT_MAX_TPS, FANOUT_LEASE_SECONDS): the one batch (five requests, AT answering each in 0.8 s,
#: replies taking their share) lasts four leases and more, while the other worker, idle, sweeps.
WORKER_CASES = {"5/s-lease-1s-fr": (5, 1, Language.FR), "10/s-lease-1s-bm": (10, 1, Language.BM)}


@pytest.mark.parametrize(("rate", "lease", "lang"), WORKER_CASES.values(), ids=WORKER_CASES.keys())
def test_two_workers_with_replies_send_each_alert_once_under_a_short_lease(
    stack, at_server, rate, lease, lang
):
    workers, configure = stack
    at_server.delay = 0.8
    app = configure(AT_MAX_TPS=rate, FANOUT_LEASE_SECONDS=lease, REPLY_CONCURRENCY=4)
    with app.app_context():
        run_workers(workers, ["lease-a", "lease-b"])
        services = current_services()
        subscribers = seed(rate, lang)
        job, errors = jobs.create_job(services, posting())
        assert errors == {}
        repliers = [f"+2236630{i:04d}" for i in range(10)]
        for phone in repliers:
            outbox.queue_sms(services, phone, REPLIES[lang])
        everyone = set(subscribers) | set(repliers)
        try:
            wait_for(lambda: finished(job.id), 90, "the fan-out")
            wait_for(lambda: {m["to"] for m in at_server.messages} >= everyone, 30, "replies")
        except AssertionError:
            raise AssertionError(f"{state(job.id)}\n{workers.logs()}") from None
        time.sleep(1)  # a late duplicate would show now
        got = Counter(m["to"] for m in at_server.messages)
        assert got == Counter(dict.fromkeys(everyone, 1)), workers.logs()
        figures = jobs.job_stats(services, job.id)
        assert (figures["sent"], figures["queued"]) == (rate, 0)


#: (AT_MAX_TPS, language): batches of AT_MAX_TPS recipients, in requests of a fifth of it.
KILL_CASES = {"10/s-fr": (10, Language.FR), "20/s-bm": (20, Language.BM)}


@pytest.mark.parametrize(("rate", "lang"), KILL_CASES.values(), ids=KILL_CASES.keys())
def test_a_worker_killed_mid_batch_sends_at_most_its_request_in_flight_twice(
    stack, at_server, rate, lang
):
    workers, configure = stack
    at_server.delay = 0.2
    app = configure(AT_MAX_TPS=rate, FANOUT_LEASE_SECONDS=2)
    per_batch = throttle.REQUESTS_PER_SECOND
    chunk = math.ceil(rate / per_batch)
    with app.app_context():
        phones = seed(5 * rate, lang)  # five batches of five requests
        run_workers(workers, ["kill-a"])
        job, errors = jobs.create_job(current_services(), posting())
        assert errors == {}
        # Kill it while AT holds the third request of the second batch: two requests of that
        # batch are answered and recorded, the third is the one in flight.
        target = per_batch + 3
        wait_for(lambda: at_server.requests >= target, 60, "the second batch", step=0.002)
        workers.kill("kill-a")
        assert at_server.requests == target, "killed too late to test anything"
        workers.start("kill-b")
        try:
            wait_for(lambda: finished(job.id), 90, "worker b to finish the fan-out")
        except AssertionError:
            raise AssertionError(f"{state(job.id)}\n{workers.logs()}") from None
        got = Counter(m["to"] for m in at_server.messages)
        assert set(got) == set(phones), "a matched subscriber was missed"
        twice = [p for p, c in got.items() if c > 1]
        assert max(got.values()) <= 2
        assert len(twice) <= chunk, f"{len(twice)} twice: more than the request in flight"
        figures = jobs.job_stats(current_services(), job.id)
        assert (figures["sent"], figures["queued"]) == (5 * rate, 0)
