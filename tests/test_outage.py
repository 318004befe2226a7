"""Redis going away: replies whose RQ job vanished are swept back, exactly once; schedulers take
over a dead scheduler's locks; real workers ride out a SIGKILLed Redis restarted from its AOF.

The first tests use real queues (RQ_SYNC off) and an in-process worker (`work()`); the last ones
run `python worker.py` processes against a private redis-server that they kill.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Worker
from rq.job import Job as RQJob
from rq.job import JobStatus as RQStatus

from alerts import outbox
from alerts.services import current_services
from alerts.store import OUT_PENDING
from tests.conftest import RedisServer, app_config, work
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
    """The app with real queues; a reply overdue by LEASE seconds is the sweep's business."""
    from app import create_app

    application = create_app(app_config(redis_server, at_server, RQ_SYNC=False,
                                        FANOUT_LEASE_SECONDS=LEASE))
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
    store.update_outgoing(out_id, due=store.now(), status="queued", attempts=1,
                          rq=f"reply-{out_id}-never")


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
    current_services().queue("replies").enqueue("alerts.tasks.send_reply", out_id)
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
