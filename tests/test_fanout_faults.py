"""Fault tests with real `python worker.py` processes: a worker SIGKILLed half-way through a
fan-out, an AT server failing one request in five, and Redis SIGKILLed after subscriptions were
acknowledged. Every process started here is killed, with bounded waits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import current_app
from rq import Worker

from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.store import Subscriber, Subscription
from tests.conftest import ROOT, change_settings
from tests.support.drivers import wait_for

SOON = (date.today() + timedelta(days=20)).isoformat()
LEASE = 2  # seconds: how soon a dead worker's batch is given to another one


def posting() -> dict:
    return {
        "title": "Infirmier d'Etat",
        "organization": "ALIMA",
        "category": "nurse",
        "districts": ["Niono"],
        "positions": 3,
        "deadline": f"{SOON}T17:00",
        "apply": "recrutement@mali.alima.ngo",
        "publish": True,
    }


class Workers:
    """`python worker.py` processes, each in its own process group (its scheduler too)."""

    def __init__(self, env: dict, folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *, burst: bool = False) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - the child owns it
        args = [sys.executable, "worker.py", "--name", name] + (["--burst"] if burst else [])
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the worker and everything it forked, as a crash would."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.folder.glob("*.log"))
        )


@pytest.fixture()
def fault_app(redis, redis_server, at_server, tmp_path):
    """An app with real queues, and the means to run workers against the same Redis and AT."""
    from app import create_app

    config = {
        "REDIS_URL": redis_server.url,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "k",
        "AT_API_URL": at_server.url,
        "QUIET_HOURS": "",
        "AT_BATCH_SIZE": "50",
    }
    env = {
        **os.environ,
        **config,
        "BAARA_ENV": "development",
        "FANOUT_LEASE_SECONDS": str(LEASE),
        "PYTHONUNBUFFERED": "1",
    }
    application = create_app(
        {**config, "TESTING": True, "RQ_SYNC": False, "FANOUT_LEASE_SECONDS": LEASE}
    )
    workers = Workers(env, tmp_path)
    with application.app_context():
        try:
            yield workers
        finally:
            workers.stop_all()


def subscribers(count: int) -> list[str]:
    store = current_services().store
    phones = [f"+2237800{i:04d}" for i in range(count)]
    store.seed_subscribers(
        Subscriber(phone=p, subscriptions=(Subscription(district="niono"),)) for p in phones
    )
    return phones


def worker_up(name: str) -> bool:
    return any(w.name == name for w in Worker.all(connection=current_services().rq_redis))


def state(job_id: str) -> str:
    """What the fan-out looks like, for a failure message."""
    services = current_services()
    store = services.store
    todo = sorted(store.fanout_todo(job_id))
    return (
        f"stats={jobs.job_stats(services, job_id)} plan={store.fanout_plan(job_id)} "
        f"todo={todo} leases={store.fanout_leases(job_id, todo)} "
        f"rq={store.fanout_rq_ids(job_id, todo)} active={store.active_fanouts()}"
    )


def finished(job_id: str) -> bool:
    services = current_services()
    return (
        jobs.job_stats(services, job_id)["queued"] == 0
        and job_id not in services.store.active_fanouts()
    )


def test_a_worker_killed_half_way_misses_nobody(fault_app, at_server):
    workers = fault_app
    phones = subscribers(1000)  # 20 batches of 50
    at_server.delay = 0.1
    workers.start("fault-a")
    wait_for(lambda: worker_up("fault-a"), 60, "worker a")
    job, errors = jobs.create_job(current_services(), posting())
    assert errors == {}
    wait_for(lambda: len(at_server.messages) >= 300, 60, "the fan-out to be under way")
    # Kill it while AT holds its next request (answered 0.1 s after it arrives): AT takes
    # that batch, the worker never learns it, so that batch is the one sent twice.
    done = at_server.requests
    wait_for(lambda: at_server.requests > done, 10, "the next request", step=0.005)
    workers.kill("fault-a")
    at_kill = len(at_server.messages)
    assert at_kill < len(phones), "killed too late to test anything"

    workers.start("fault-b")
    try:
        wait_for(lambda: finished(job.id), 60, "worker b to finish the fan-out")
    except AssertionError:
        raise AssertionError(f"{state(job.id)}\n{workers.logs()}") from None
    got = Counter(m["to"] for m in at_server.messages)
    assert set(got) == set(phones), "a matched subscriber was missed"
    twice = [p for p, c in got.items() if c > 1]
    assert max(got.values()) <= 2
    # Typically exactly the 50 of the batch AT took from the killed worker; never more.
    assert len(twice) in (0, 50), "more than the one batch in flight was sent twice"
    figures = jobs.job_stats(current_services(), job.id)
    assert (figures["matched"], figures["sent"], figures["queued"]) == (1000, 1000, 0)


def test_an_at_server_failing_one_request_in_five_still_alerts_everyone_once(fault_app, at_server):
    workers = fault_app
    change_settings(current_app, AT_BATCH_SIZE=100)
    workers.env["AT_BATCH_SIZE"] = "100"
    phones = subscribers(1200)  # 12 requests: the 5th and 10th answer HTTP 500
    at_server.fail_every = 5
    for name in ("fault-c", "fault-d"):
        workers.start(name)
    wait_for(lambda: worker_up("fault-c") and worker_up("fault-d"), 60, "workers")
    job, _ = jobs.create_job(current_services(), posting())
    try:
        wait_for(lambda: finished(job.id), 60, "the fan-out and its retries")
    except AssertionError:
        raise AssertionError(f"{state(job.id)}\n{workers.logs()}") from None
    assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(phones, 1))
    assert at_server.requests == 14  # 12, and the two that failed once more
    figures = jobs.job_stats(current_services(), job.id)
    assert (figures["sent"], figures["failed"], figures["queued"]) == (1200, 0, 0)


def test_subscriptions_acknowledged_over_sms_survive_a_redis_crash(redis, redis_server, at_server):
    from app import create_app

    config = {
        "TESTING": True,
        "REDIS_URL": redis_server.url,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "k",
        "AT_API_URL": at_server.url,
        "API_TOKEN": "t",
        "WEBHOOK_TOKEN": "",
        "QUIET_HOURS": "",
        "RQ_SYNC": True,
    }
    phones = [f"+2237900{i:04d}" for i in range(40)]
    client = create_app(config).test_client()
    for i, phone in enumerate(phones):
        resp = client.post(
            "/sms/incoming",
            data={
                "from": phone,
                "to": "36030",
                "text": "NIONO",
                "date": "2026-05-03T06:04:45Z",
                "id": f"ATXid_crash_{i}",
                "linkId": "",
                "networkCode": "61001",
            },
        )
        assert resp.status_code == 200  # acknowledged: AT will not send it again
    assert len(at_server.messages) == len(phones)  # one confirmation each
    at_server.clear()

    redis_server.kill()  # SIGKILL: only the append-only file can bring them back
    redis_server.start()

    app = create_app(config)
    with app.app_context():
        resp = app.test_client().post(
            "/api/jobs", json=posting(), headers={"Authorization": "Bearer t"}
        )
        assert resp.status_code == 201
        assert resp.get_json()["matched"] == len(phones)
    assert Counter(m["to"] for m in at_server.messages) == Counter(dict.fromkeys(phones, 1))
