"""Redis going away: replies whose RQ job vanished are swept back, exactly once; schedulers take
over a dead scheduler's locks; real workers ride out a SIGKILLed Redis restarted from its AOF.

The first tests use real queues (RQ_SYNC off) and an in-process worker (`work()`); the last ones
run `python worker.py` processes against a private redis-server that they kill.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Worker
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus

from alerts.sending import outbox
from alerts.services import current_services
from alerts.sms import inbox
from alerts.store import INBOX, INBOX_LEASE, OUT_PENDING
from tests.conftest import RedisServer, app_config, work
from tests.support.drivers import sms, wait_for
from tests.test_fanout_faults import Workers
from worker import RidingScheduler

LEASE = 3  # FANOUT_LEASE_SECONDS here: a reply overdue by more than this is looked at

#: A reply in each language, as the conversation would queue them.
TEXTS = {
    "fr": "Baara: vous recevrez les offres de NIONO. STOP pour arreter.",
    "bm": "Baara: i bɛna baara kibaruyaw sɔrɔ NIONO. STOP ka a jɔ.",
}
PHONES = {"fr": "+22376123456", "bm": "+22366554433"}


@pytest.fixture()
def app(redis, redis_server, at_server):
    """The app with real queues, one RQ job per reply (REPLY_SENDER=job: the pooled sender is
    tests/test_replies.py's); a reply overdue by LEASE seconds is the sweep's business."""
    from app import create_app

    application = create_app(
        app_config(
            redis_server, at_server, RQ_SYNC=False, FANOUT_LEASE_SECONDS=LEASE, REPLY_SENDER="job"
        )
    )
    with application.app_context():
        yield application


def queued_reply(lang: str) -> str:
    services = current_services()
    return outbox.queue_sms(services, PHONES[lang], TEXTS[lang])


def sweep_twice(later: float = LEASE + 1) -> dict:
    """Two sweeps, as two sweep intervals would run them, `later` seconds from now."""
    services = current_services()
    now = services.store.now() + later
    outbox.sweep(services, now=now, force=True)
    return outbox.sweep(services, now=now + 1, force=True)


def take_off_the_queue(out_id: str, redis) -> None:
    """What a worker does when it dequeues, before Redis dies under it."""
    queue = current_services().queue("replies")
    redis.lrem(queue.key, 1, f"reply-{out_id}")
    redis.rpush(queue.intermediate_queue_key, f"reply-{out_id}")


def delete_the_job(out_id: str, redis) -> None:
    queue = current_services().queue("replies")
    redis.lrem(queue.key, 1, f"reply-{out_id}")
    redis.delete(f"rq:job:reply-{out_id}")


def die_at_the_gateway(out_id: str, redis) -> None:
    """A worker claimed the reply and died before the gateway answered (or was asked)."""
    take_off_the_queue(out_id, redis)
    assert current_services().store.claim_outgoing(out_id)


def retry_never_scheduled(out_id: str, redis) -> None:
    """The gateway failed; the retry's record was written, Redis died before its RQ job."""
    delete_the_job(out_id, redis)
    store = current_services().store
    store.update_outgoing(
        out_id, due=store.now(), status="queued", attempts=1, rq=f"reply-{out_id}-never"
    )


def retry_the_scheduler_forgot(out_id: str, redis) -> None:
    """A retry scheduled for a moment when no scheduler was running."""
    delete_the_job(out_id, redis)
    outbox.enqueue_again(current_services(), out_id, delay=1, attempts=1)


LOST = {
    "taken off the queue when Redis died": take_off_the_queue,
    "RQ job gone": delete_the_job,
    "worker died at the gateway": die_at_the_gateway,
    "retry recorded, never enqueued": retry_never_scheduled,
    "retry the scheduler forgot": retry_the_scheduler_forgot,
}


@pytest.mark.parametrize("lang", ["fr", "bm"])
@pytest.mark.parametrize("lose", list(LOST.values()), ids=list(LOST))
def test_a_reply_whose_job_vanished_is_sent_once(app, redis, at_server, lose, lang):
    out_id = queued_reply(lang)
    lose(out_id, redis)
    work()
    assert at_server.messages_to(PHONES[lang]) == []  # lost indeed: nothing runs it
    assert sweep_twice() == {"replies": 1}
    work()
    assert [m["message"] for m in at_server.messages_to(PHONES[lang])] == [TEXTS[lang]]
    store = current_services().store
    assert store.get_outgoing(out_id)["status"] == "sent"
    assert redis.zscore(OUT_PENDING, out_id) is None
    # Sent: later sweeps leave it alone, and an old copy of its job sends nothing.
    assert sweep_twice(later=3600) == {}
    current_services().queue("replies").enqueue("alerts.sending.tasks.send_reply", out_id)
    work()
    assert len(at_server.messages_to(PHONES[lang])) == 1


def in_the_queue(out_id: str, redis) -> None:
    pass


def being_sent_right_now(out_id: str, redis) -> None:
    take_off_the_queue(out_id, redis)
    store = current_services().store
    store.claim_outgoing(out_id)
    # Claimed a moment ago (as seen from the sweep's clock, LEASE + 1 s from now).
    store.redis.hset(f"out:{out_id}", "claimed", store.now() + LEASE)


def retry_due_later(out_id: str, redis) -> None:
    delete_the_job(out_id, redis)
    outbox.enqueue_again(current_services(), out_id, delay=600, attempts=1)


WAITING = {
    "waiting in the queue": in_the_queue,
    "at the gateway right now": being_sent_right_now,
    "retry scheduled for later": retry_due_later,
}


@pytest.mark.parametrize("lang", ["fr", "bm"])
@pytest.mark.parametrize("keep", list(WAITING.values()), ids=list(WAITING))
def test_a_reply_on_its_way_is_left_alone(app, redis, keep, lang):
    out_id = queued_reply(lang)
    keep(out_id, redis)
    assert sweep_twice() == {}
    assert current_services().store.get_outgoing(out_id)["status"] in ("queued", "sending")
    assert redis.zscore(OUT_PENDING, out_id) is not None


def test_a_look_alone_does_not_act_the_second_one_does(app, redis, at_server):
    out_id = queued_reply("fr")
    delete_the_job(out_id, redis)
    services = current_services()
    now = services.store.now() + LEASE + 1
    assert outbox.sweep(services, now=now, force=True) == {}
    assert outbox.sweep(services, now=now + 1, force=True) == {"replies": 1}


def test_erased_and_finished_replies_leave_the_pending_list(app, redis, at_server):
    services = current_services()
    erased, sent = queued_reply("fr"), queued_reply("bm")
    work()
    assert redis.zscore(OUT_PENDING, sent) is None  # sent: off the list at once
    redis.zadd(OUT_PENDING, {sent: 0})  # as if a write had been lost
    services.store.erase_subscriber(PHONES["fr"])
    redis.zadd(OUT_PENDING, {erased: 0})
    assert sweep_twice() == {}
    assert redis.zcard(OUT_PENDING) == 0


def test_replies_are_only_swept_once_per_interval_across_workers(app, redis):
    services = current_services()
    out_id = queued_reply("fr")
    delete_the_job(out_id, redis)
    first = outbox.sweep(services)
    assert outbox.sweep(services) == {} and first == {}  # the second caller waits its turn


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_a_drainer_taken_off_the_queue_is_replaced_on_the_second_look(app, redis, at_server, lang):
    client = app.test_client()
    text = {"fr": "AIDE", "bm": "dɛmɛ"}[lang]
    assert inbound(client, PHONES[lang], text)
    holder = redis.get(INBOX_LEASE)
    # BLPOP handed it to a worker that lost Redis before it could start it.
    redis.lrem(current_services().queue("replies").key, 1, holder)
    services = current_services()
    assert inbox.sweep(services) == {}  # first look
    redis.delete("inbox:sweep")  # a sweep interval later
    assert inbox.sweep(services) == {"inbox_drainers": 1}
    assert redis.get(INBOX_LEASE) != holder
    work()
    assert len(at_server.messages_to(PHONES[lang])) == 1
    assert redis.llen(INBOX) == 0


def test_a_drainer_waiting_in_the_queue_keeps_its_lease(app, redis):
    assert inbound(app.test_client(), PHONES["fr"], "AIDE")
    holder = redis.get(INBOX_LEASE)
    services = current_services()
    for _ in range(3):
        redis.delete("inbox:sweep")
        assert inbox.sweep(services) == {}
    assert redis.get(INBOX_LEASE) == holder


# -- scheduler locks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ttl", "taken"),
    [(61, False), (50, False), (40, True), (5, True)],
    ids=["just refreshed", "refreshed 11 s ago", "dead 21 s", "dead 56 s"],
)
def test_a_dead_schedulers_lock_is_taken_over(app, redis, ttl, taken):
    services = current_services()
    queues = list(services.queues.values())
    for q in queues:
        redis.set(RidingScheduler.get_locking_key(q.name), "dead", ex=ttl)
    scheduler = RidingScheduler(queues, connection=services.rq_redis)
    held = scheduler.acquire_locks()
    assert bool(held) is taken
    owners = {redis.get(RidingScheduler.get_locking_key(q.name)) for q in queues}
    assert owners == ({scheduler.name} if taken else {"dead"})


# -- real workers, real redis-server killed --------------------------------------------------


@pytest.fixture()
def own_redis(tmp_path: Path):
    """A private redis-server with AOF that a test may SIGKILL and restart."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def outage_stack(own_redis, at_server, tmp_path):
    """The webhook in-process (real queues) and `python worker.py` processes, on own_redis."""
    from app import create_app

    config = {
        "REDIS_URL": own_redis.url,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "k",
        "AT_API_URL": at_server.url,
        "QUIET_HOURS": "",
        "SMS_RATE_LIMIT": "0",
    }
    env = {**os.environ, **config, "BAARA_ENV": "development", "PYTHONUNBUFFERED": "1"}
    application = create_app({**config, "TESTING": True, "RQ_SYNC": False})
    workers = Workers(env, tmp_path)
    with application.app_context():
        try:
            yield application.test_client(), workers
        finally:
            workers.stop_all()


_sms_ids = itertools.count()


def inbound(client, phone: str, text: str) -> bool:
    """One SMS through the webhook; True when acknowledged (AT will not send it again)."""
    response = sms(client, phone, text, expect=None)
    return response.status_code == 200 and response.json["status"] == "accepted"


def logs(workers: Workers) -> str:
    """The workers' logs without the repeated connection errors of the outage."""
    return "\n".join(
        f"--- {p.name}\n"
        + "\n".join(
            line for line in p.read_text().splitlines() if "Connection refused" not in line
        )[-6000:]
        for p in sorted(workers.folder.glob("*.log"))
    )


def workers_up(names: list[str]) -> bool:
    try:
        alive = {w.name for w in Worker.all(connection=current_services().rq_redis)}
    except redis_lib.RedisError:
        return False
    return set(names) <= alive


def probe_ran(rq_id: str) -> bool:
    """Whether a scheduled probe job has run (scheduled work is flowing again)."""
    try:
        job = RQJob.fetch(rq_id, connection=current_services().rq_redis)
    except Exception:
        return False
    return job.get_status() == RQStatus.FINISHED


def schedule_probe(delay: float) -> str:
    rq_id = f"probe-{next(_sms_ids)}"
    current_services().queue("default").enqueue_in(
        timedelta(seconds=delay), "alerts.sending.tasks.sweep_fanouts", job_id=rq_id, result_ttl=600
    )
    return rq_id


def test_workers_ride_out_a_redis_crash_and_every_accepted_sms_is_answered_once(
    outage_stack, own_redis, at_server
):
    client, workers = outage_stack
    names = ["outage-a", "outage-b"]
    for name in names:
        workers.start(name)
    wait_for(lambda: workers_up(names), 60, "two workers")
    texts = ["AIDE", "dɛmɛ"]  # French and Bamanankan: each gets the help text in its language
    accepted: list[str] = []
    for i in range(30):
        phone = f"+2237655{i:04d}"
        if inbound(client, phone, texts[i % 2]):
            accepted.append(phone)
        if i == 27:
            # SIGKILL under traffic, replies in flight. The two webhook calls that follow
            # answer 503 once redis-py has given up (~5 s each): AT would send them again.
            own_redis.kill()
    assert len(accepted) == 28
    # The gateway fails the first requests after the restart: those replies are deferred
    # (first retry after 5 s) and must leave through the scheduler, soon.
    for _ in range(6):
        at_server.answer(500, "text/plain", "Internal Server Error")
    own_redis.start()  # from its append-only file
    back = time.monotonic()
    for i in range(30, 60):
        phone = f"+2237655{i:04d}"
        assert inbound(client, phone, texts[i % 2]), "Redis is back: the webhook accepts"
        accepted.append(phone)
    probe = schedule_probe(1)

    def answered() -> bool:
        got = Counter(m["to"] for m in at_server.messages)
        return all(got[p] >= 1 for p in accepted)

    try:
        wait_for(answered, 60, "every accepted SMS to be answered", step=0.2)
        wait_for(lambda: probe_ran(probe), 15, "scheduled work to run again", step=0.2)
    except AssertionError:
        got = Counter(m["to"] for m in at_server.messages)
        missing = [p for p in accepted if not got[p]]
        raise AssertionError(f"unanswered {missing}\n{logs(workers)}") from None
    took = time.monotonic() - back
    print(
        f"\nredis crash: {len(accepted)} SMS acknowledged, all answered once "
        f"{took:.1f} s after Redis returned; scheduled work ran again; workers alive"
    )
    time.sleep(2)  # a duplicate would show up now
    got = Counter(m["to"] for m in at_server.messages)
    assert [p for p in accepted if got[p] != 1] == [], "an accepted SMS answered twice"
    assert at_server.requests >= len(accepted) + 6  # the six refused were sent again
    for name, proc in workers.procs.items():
        assert proc.poll() is None, f"worker {name} exited\n{logs(workers)}"
    assert workers_up(names)
    assert took < 60


def test_a_new_worker_takes_over_a_killed_workers_scheduler_lock_at_once(outage_stack, own_redis):
    _, workers = outage_stack
    workers.start("sched-a")
    queues = list(current_services().queues.values())

    def locked_by_a() -> bool:
        return all(
            current_services().rq_redis.exists(RidingScheduler.get_locking_key(q.name))
            for q in queues
        )

    wait_for(lambda: workers_up(["sched-a"]) and locked_by_a(), 60, "worker a's scheduler")
    workers.kill("sched-a")  # its scheduler too: the locks stay for a minute
    workers.start("sched-b")
    wait_for(lambda: workers_up(["sched-b"]), 60, "worker b")
    probe = schedule_probe(1)
    started = time.monotonic()
    try:
        # RQ alone: the dead scheduler's lock holds for 61 s, then the ten-minute maintenance.
        wait_for(lambda: probe_ran(probe), 40, "worker b to run scheduled work", step=0.2)
    except AssertionError:
        raise AssertionError(workers.logs()) from None
    assert time.monotonic() - started < 40


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_a_reply_the_gateway_took_while_redis_died_is_recorded_once_redis_is_back(
    own_redis, at_server, lang
):
    """The worker keeps what AT said until Redis is back: the reply is not taken for lost."""
    from app import create_app

    application = create_app(
        app_config(
            own_redis, at_server, RQ_SYNC=False, FANOUT_LEASE_SECONDS=LEASE, REPLY_SENDER="job"
        )
    )
    at_server.delay = 0.5  # AT holds the request while Redis dies

    def crash_during_the_request() -> None:
        wait_for(lambda: at_server.requests >= 1, 20, "the gateway request", step=0.01)
        own_redis.kill()
        time.sleep(2)
        own_redis.start()

    with application.app_context():
        out_id = queued_reply(lang)
        crash = threading.Thread(target=crash_during_the_request)
        crash.start()
        work()
        crash.join(timeout=30)
        services = current_services()
        out = services.store.get_outgoing(out_id)
        assert (out["status"], out["attempts"]) == ("sent", "1")
        assert services.store.ref_for_gateway_id(out["gateway_id"]) == f"out:{out_id}"
        assert sweep_twice(later=3600) == {}
        work()
    assert [m["message"] for m in at_server.messages_to(PHONES[lang])] == [TEXTS[lang]]
