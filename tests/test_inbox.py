"""The inbound SMS inbox: the webhook acknowledges, a drainer job answers; nothing is lost.

These tests use real queues (RQ_SYNC off): jobs wait in Redis until an in-process
SimpleWorker runs them, so what the webhook alone did can be seen before the worker runs.
"""

from __future__ import annotations

import json

import pytest

from alerts.services import current_services
from alerts.sms import inbox
from alerts.store import INBOX, INBOX_BUSY, INBOX_DEAD, INBOX_LEASE, SEEN_KEEP
from messages import sms as texts
from tests.conftest import change_settings, work
from tests.support.drivers import sms

PHONE = "+22376123456"
OTHER = "+22366554433"


@pytest.fixture()
def app(redis, redis_server, at_server):
    """The app with real queues: the drainer waits in Redis until `work()` runs it."""
    from app import create_app
    from tests.conftest import app_config

    application = create_app(app_config(redis_server, at_server, RQ_SYNC=False))
    with application.app_context():
        yield application


def replies(at_server, phone: str = PHONE) -> list[str]:
    return [m["message"] for m in at_server.messages_to(phone)]


def drainers() -> list:
    return [
        job
        for job in current_services().queue("replies").get_jobs()
        if job.func_name.endswith("drain_inbox")
    ]


def test_the_webhook_only_acknowledges_and_one_drainer_answers_all(app, client, at_server, redis):
    assert sms(client, PHONE, "Niono").json == {"status": "accepted"}
    assert sms(client, OTHER, "Kati").json == {"status": "accepted"}
    assert redis.llen(INBOX) == 2
    assert replies(at_server) == []  # nothing understood or sent by the webhook
    assert current_services().store.get_subscriber(PHONE) is None
    # The second message found the first one's drainer holding the lease: no second job.
    assert len(drainers()) == 1
    assert redis.get(INBOX_LEASE) == drainers()[0].id
    work()
    assert len(replies(at_server)) == 1 and len(replies(at_server, OTHER)) == 1
    assert current_services().store.get_subscriber(PHONE).subscriptions
    assert (redis.llen(INBOX), redis.llen(INBOX_BUSY), redis.exists(INBOX_LEASE)) == (0, 0, 0)
    # Once the drainer has let go, the next message starts a new one.
    sms(client, PHONE, "AIDE")
    assert len(drainers()) == 1
    work()
    assert len(replies(at_server)) == 2


def test_messages_from_one_number_are_handled_in_order(app, client, at_server, api_headers):
    for text in ("Niono", "Kati", "STOP"):
        sms(client, PHONE, text)
    work()
    got = client.get(f"/api/subscribers/{PHONE}", headers=api_headers).json
    assert got["status"] == "stopped"
    assert [s["district"]["slug"] for s in got["subscriptions"]] == ["kati", "niono"]
    # The two confirmations were still waiting when STOP came: only STOP's own answer goes.
    assert len(replies(at_server)) == 1 and "START" in replies(at_server)[0]


def test_a_long_backlog_is_handed_over_to_fresh_jobs(app, client, at_server, redis, monkeypatch):
    monkeypatch.setattr(inbox, "DRAIN_MESSAGES", 3)
    phones = [f"+2237600{n:04d}" for n in range(8)]
    for phone in phones:
        sms(client, phone, "Niono")
    assert len(drainers()) == 1
    work()  # 3 + 3 + 2: each job enqueues its successor with the lease
    assert all(len(replies(at_server, p)) == 1 for p in phones)
    assert redis.llen(INBOX) == 0 and not redis.exists(INBOX_LEASE)


def test_a_dead_drainers_message_is_answered_once_by_the_next(app, client, at_server, redis):
    services = current_services()
    sms(client, PHONE, "Niono")
    token = redis.get(INBOX_LEASE)
    # A drainer takes the message, handles it (its reply is queued), then dies before
    # marking it done: the item stays in busy and the lease expires.
    state, raw = services.store.take_inbound(token, 60)
    assert state == "item"
    inbox.handle(services, raw)
    redis.delete(INBOX_LEASE)
    assert redis.llen(INBOX_BUSY) == 1
    for job in drainers():
        job.cancel()
    assert inbox.sweep(services) == {"inbox_drainers": 1}
    assert inbox.sweep(services) == {}  # the lease is held again: one drainer at a time
    work()
    assert len(replies(at_server)) == 1  # the reply queued before the crash, sent once
    assert (redis.llen(INBOX), redis.llen(INBOX_BUSY)) == (0, 0)
    assert services.store.get_subscriber(PHONE).subscriptions


def test_a_drainer_that_lost_its_lease_stops(app, client, at_server, redis):
    sms(client, PHONE, "Niono")
    redis.set(INBOX_LEASE, "someone-else")
    assert inbox.drain(current_services(), drainers()[0].id) == 0
    assert redis.llen(INBOX) == 1  # left for the lease holder


def test_a_message_that_breaks_the_handler_is_set_aside(
    app, client, at_server, redis, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ValueError("bug")

    sms(client, PHONE, "Niono")
    sms(client, OTHER, "Kati")
    monkeypatch.setattr(inbox, "respond", broken)
    real_handle = inbox.handle

    def handle_other_normally(services, raw):
        if OTHER in raw:
            monkeypatch.undo()
        return real_handle(services, raw)

    monkeypatch.setattr(inbox, "handle", handle_other_normally)
    work()
    dead = redis.lrange(INBOX_DEAD, 0, -1)
    assert len(dead) == 1 and json.loads(dead[0].partition("|")[2])["text"] == "Niono"
    assert "could not be handled" in caplog.text
    assert len(replies(at_server, OTHER)) == 1  # the one behind it was answered
    assert redis.llen(INBOX_BUSY) == 0


def test_storage_trouble_leaves_the_message_for_the_next_drainer(
    app, client, at_server, redis, monkeypatch
):
    import redis as redis_lib

    sms(client, PHONE, "Niono")

    def down(*args, **kwargs):
        raise redis_lib.ConnectionError("gone")

    monkeypatch.setattr(inbox, "respond", down)
    work()  # the job fails loudly
    assert redis.llen(INBOX_BUSY) == 1 and replies(at_server) == []
    monkeypatch.undo()
    redis.delete(INBOX_LEASE)  # as when it expires
    inbox.sweep(current_services())
    work()
    assert len(replies(at_server)) == 1 and redis.llen(INBOX_BUSY) == 0


def test_a_flood_gets_one_answer_in_the_numbers_language(app, client, at_server):
    change_settings(app, SMS_RATE_LIMIT=2)
    sms(client, PHONE, "LANGUE BM")
    verdicts = [sms(client, PHONE, "AIDE").json["status"] for _ in range(4)]
    assert verdicts == ["accepted", "ignored", "ignored", "ignored"]
    work()
    assert replies(at_server)[-1] == texts.too_many("bm")
    assert len(replies(at_server)) == 3


def test_retries_of_an_id_are_acknowledged_and_dropped(app, client, at_server, redis):
    for _ in range(3):
        sms(client, PHONE, "Niono", at_id="ATXid_retried")
    assert redis.llen(INBOX) == 1
    work()
    assert len(replies(at_server)) == 1
    # The same id from another number is another message (ids are remembered per number).
    assert sms(client, OTHER, "Niono", at_id="ATXid_retried").json == {"status": "accepted"}


def test_remembered_ids_are_capped_per_number(app, client, at_server, redis):
    change_settings(app, SMS_RATE_LIMIT=0)
    for n in range(SEEN_KEEP + 10):
        sms(client, PHONE, "?", at_id=f"ATXid_cap_{n}")
    assert redis.zcard(f"seen:sms:{PHONE}") == SEEN_KEEP
    assert 0 < redis.ttl(f"seen:sms:{PHONE}") <= 7 * 24 * 3600
    again = sms(client, PHONE, "?", at_id=f"ATXid_cap_{SEEN_KEEP + 9}")
    assert again.json == {"status": "duplicate"}
