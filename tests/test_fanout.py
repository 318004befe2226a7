"""The alert fan-out end to end: POST /api/jobs -> planner -> batches -> loopback AT server.

Most tests use the `app` fixture (RQ inline: every alert is at the AT server when the POST
returns). Those that need to stop between planning and sending use `async_app`, whose queues
are real, and run an in-process SimpleWorker when they want the queued jobs done.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from rq.job import Job as RQJob
from rq.registry import ScheduledJobRegistry

from alerts.jobs import lifecycle as jobs
from alerts.sending import fanout, sweeper
from alerts.services import current_services
from alerts.store import Language, StoppedBy, Subscription
from config.reference import default_reference
from messages.compose import count_segments, is_gsm7
from tests.conftest import app_config, change_settings, work
from tests.fixtures.seed_jobs import REACHES, SEEDS, seed_job
from tests.support.drivers import deliver

REF = default_reference()
SOON = (date.today() + timedelta(days=20)).isoformat()
FR, BM = Language.FR, Language.BM


def d(district: str, category: str | None = None) -> Subscription:
    return Subscription(district=district, category=category)


def r(region: str, category: str | None = None) -> Subscription:
    return Subscription(region=region, category=category)


def posting(**changes) -> dict:
    base = {
        "title": "Mobilisateur Communautaire",
        "organization": "AMCP-SP/ALIMA",
        "category": "community-mobilizer",
        "districts": ["Niono", "Macina"],
        "positions": 2,
        "deadline": f"{SOON}T17:00",
        "apply": {"email": "recrutement@mali.alima.ngo"},
        "publish": True,
    }
    base.update(changes)
    return base


def received(at_server) -> Counter:
    return Counter(m["to"] for m in at_server.messages)


def publish(client, api_headers, **changes) -> dict:
    resp = client.post("/api/jobs", json=posting(**changes), headers=api_headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def stats(client, api_headers, job_id: str) -> dict:
    return client.get(f"/api/jobs/{job_id}", headers=api_headers).get_json()


@pytest.fixture()
def store(app):
    return current_services().store


# -- who gets what --------------------------------------------------------------------------

# (subscriptions, language, stopped, matched) for a community-mobilizer job in Niono + Macina.
AUDIENCE = [
    ((d("niono"),), FR, False, True),
    ((d("macina", "community-mobilizer"),), BM, False, True),
    ((r("segou"),), FR, False, True),  # a region subscription gets its districts' jobs
    ((r("segou", "community-mobilizer"),), BM, False, True),
    ((d("niono"), r("segou"), d("macina")), FR, False, True),  # three matches, one alert
    ((d("niono", "nurse"), d("macina", "community-mobilizer")), BM, False, True),
    ((d("niono", "nurse"),), FR, False, False),  # another category
    ((d("segou"),), FR, False, False),  # the district of Ségou, not the region
    ((r("sikasso"),), BM, False, False),
    ((d("kati"),), FR, False, False),
    ((d("niono"),), FR, True, False),  # stopped
    ((r("segou"),), BM, True, False),  # stopped
]


def test_each_matching_subscriber_gets_exactly_one_alert_in_their_language(
    client, api_headers, store, at_server
):
    expected = {}
    for i, (subs, lang, stopped, matched) in enumerate(AUDIENCE):
        phone = f"+2237600{i:04d}"
        store.subscribe(phone, subs, language=lang)
        if stopped:
            store.stop(phone)
        if matched:
            expected[phone] = lang
    posted = publish(client, api_headers)
    assert posted["matched"] == len(expected)
    got = received(at_server)
    assert set(got) == set(expected)
    assert set(got.values()) == {1}
    job = jobs.get_job(posted["id"])
    for message in at_server.messages:
        text = message["message"]
        assert text == jobs.alert_text(job, expected[message["to"]].value)
        assert is_gsm7(text) and count_segments(text).segments == 1
    assert {m["message"] for m in at_server.messages} == {
        jobs.alert_text(job, "fr"),
        jobs.alert_text(job, "bm"),
    }
    figures = stats(client, api_headers, posted["id"])
    assert (figures["matched"], figures["queued"], figures["sent"]) == (
        len(expected),
        0,
        len(expected),
    )
    assert figures["segments"] == len(expected)
    assert figures["cost"] == 25.0 * len(expected)  # as the loopback AT server bills


def test_a_region_posting_reaches_every_district_in_it(client, api_headers, store, at_server):
    sikasso = [x.slug for x in REF.districts_in("sikasso")]
    for i, slug in enumerate(sikasso):
        store.subscribe(f"+2237610{i:04d}", [d(slug)])
    store.subscribe("+22376200001", [r("sikasso")])
    store.subscribe("+22376200002", [d("niono")])
    store.subscribe("+22376200003", [r("segou")])
    publish(client, api_headers, districts=["Région de Sikasso"])
    assert set(received(at_server)) == {f"+2237610{i:04d}" for i in range(len(sikasso))} | {
        "+22376200001"
    }
    assert len(at_server.messages) == len(sikasso) + 1


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_each_seed_posting_reaches_its_districts(client, api_headers, store, at_server, name):
    inside = {}
    for i, slug in enumerate(sorted(REACHES[name])):
        inside[f"+2237630{i:04d}"] = slug
        store.subscribe(f"+2237630{i:04d}", [d(slug)], language=BM if i % 2 else FR)
    store.subscribe("+22376400001", [d("kayes")])
    store.subscribe("+22376400002", [d("mopti")])
    resp = client.post("/api/jobs", json=seed_job(name), headers=api_headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["matched"] == len(inside)
    assert received(at_server) == Counter(dict.fromkeys(inside, 1))
    for m in at_server.messages:
        assert count_segments(m["message"]).segments == 1 and is_gsm7(m["message"])


# -- figures and delivery reports -----------------------------------------------------------


def test_figures_match_the_gateway_and_delivery_reports(client, api_headers, store, at_server):
    phones = [f"+2237650{i:04d}" for i in range(6)]
    for phone in phones:
        store.subscribe(phone, [d("niono")])
    at_server.blacklist = {phones[5]}  # 406 UserInBlacklist
    posted = publish(client, api_headers)
    assert set(received(at_server)) == set(phones[:5])
    by_phone = {m["to"]: m for m in at_server.messages}
    deliver(client, by_phone[phones[0]], "Success")
    deliver(client, by_phone[phones[0]], "Success")  # AT retries its callbacks
    deliver(client, by_phone[phones[1]], "Buffered")
    deliver(client, by_phone[phones[1]], "Success")
    deliver(client, by_phone[phones[2]], "Failed", "AbsentSubscriber")
    deliver(client, by_phone[phones[2]], "Success")  # late and contradictory: ignored
    deliver(client, by_phone[phones[3]], "Sent")
    figures = stats(client, api_headers, posted["id"])
    assert {k: figures[k] for k in ("matched", "queued", "sent", "delivered", "failed")} == {
        "matched": 6,
        "queued": 0,
        "sent": 5,
        "delivered": 2,
        "failed": 2,
    }
    assert figures["failures_by_reason"] == {"UserInBlacklist": 1, "AbsentSubscriber": 1}
    # The operator's blacklist stops the number for good.
    stopped = store.get_subscriber(phones[5])
    assert not stopped.active and stopped.stopped_by is StoppedBy.OPERATOR


# -- exactly once ---------------------------------------------------------------------------


def test_publishing_twice_sends_nobody_twice(client, api_headers, store, at_server):
    for i in range(4):
        store.subscribe(f"+2237660{i:04d}", [d("niono")])
    posted = publish(client, api_headers)
    store.subscribe("+22376609999", [r("segou")])  # arrives after the first publication
    for _ in range(2):
        resp = client.post(f"/api/jobs/{posted['id']}/publish", headers=api_headers)
        assert resp.status_code == 200
    got = received(at_server)
    assert len(got) == 5 and set(got.values()) == {1}
    assert stats(client, api_headers, posted["id"])["matched"] == 5


def test_a_batch_run_again_sends_nothing_more(app, store, at_server):
    services = current_services()
    store.subscribe("+22376700001", [d("niono")])
    job, _ = jobs.create_job(services, posting())
    assert len(at_server.messages) == 1
    assert fanout.send_batch(services, job.id, 0) == {"result": "done"}
    token = "someone-else"
    assert store.acquire_fanout_lease(job.id, 0, token, 30)
    assert fanout.send_batch(services, job.id, 0) == {"result": "busy"}
    assert len(at_server.messages) == 1


def test_http_errors_are_retried_and_everyone_gets_one_alert(app, store, at_server):
    services = current_services()
    change_settings(current_app, AT_BATCH_SIZE=3)  # before the gateway is built: it reads it once
    phones = [f"+2237670{i:04d}" for i in range(20)]
    for phone in phones:
        store.subscribe(phone, [d("niono")])
    at_server.fail_every = 3  # HTTP 500 to every third request
    job, _ = jobs.create_job(services, posting())
    assert received(at_server) == Counter(dict.fromkeys(phones, 1))
    assert at_server.requests > 7  # 7 batches, some of them twice
    figures = jobs.job_stats(services, job.id)
    assert (figures["sent"], figures["failed"], figures["queued"]) == (20, 0, 0)


def _answer(at_server, entries: list[tuple[str, int, str]]) -> None:
    recipients = [
        {
            "number": phone,
            "statusCode": code,
            "status": status,
            "messageId": f"ATXid_canned_{i}" if code < 200 else "None",
            "cost": "XOF 25.0000" if code < 200 else "0",
        }
        for i, (phone, code, status) in enumerate(entries)
    ]
    at_server.answer(
        201,
        "application/json",
        json.dumps({"SMSMessageData": {"Message": "Sent", "Recipients": recipients}}),
    )


def test_only_the_recipients_that_failed_retryably_are_sent_again(app, store, at_server):
    services = current_services()
    a, b, c, e, f = (f"+2237680000{i}" for i in range(5))
    for phone in (a, b, c, e, f):
        store.subscribe(phone, [d("niono")])
    _answer(
        at_server,
        [
            (a, 101, "Success"),
            (b, 500, "InternalServerError"),
            (c, 403, "InvalidPhoneNumber"),
            (f, 101, "Success"),
        ],
    )  # e is missing
    job, _ = jobs.create_job(services, posting())
    assert at_server.requests == 2
    assert sorted(at_server.received[1]["form"]["to"].split(",")) == [b, e]
    assert {m["to"] for m in at_server.messages} == {b, e}  # the canned answer records none
    figures = jobs.job_stats(services, job.id)
    assert (figures["sent"], figures["failed"], figures["queued"]) == (4, 1, 0)
    assert figures["failures_by_reason"] == {"InvalidPhoneNumber": 1}
    assert store.get_subscriber(c).active  # 403 is the number's problem, not a STOP


def test_a_refused_request_keeps_its_recipients_for_a_later_publication(
    client, api_headers, store, at_server
):
    for i in range(3):
        store.subscribe(f"+2237690{i:04d}", [d("niono")])
    at_server.api_key = "another-key"  # 401: our configuration, not AT's mood
    posted = publish(client, api_headers)
    assert at_server.messages == []
    figures = stats(client, api_headers, posted["id"])
    assert (figures["matched"], figures["queued"], figures["sent"]) == (3, 3, 0)
    at_server.api_key = None  # fixed
    client.post(f"/api/jobs/{posted['id']}/publish", headers=api_headers)
    assert len(received(at_server)) == 3
    figures = stats(client, api_headers, posted["id"])
    assert (figures["matched"], figures["queued"], figures["sent"]) == (3, 0, 3)


# -- between planning and sending -----------------------------------------------------------


@pytest.fixture()
def async_app(redis, redis_server, at_server):
    """The app with real queues: jobs wait in Redis until `work()` runs them."""
    from app import create_app

    application = create_app(app_config(redis_server, at_server, RQ_SYNC=False, AT_BATCH_SIZE=2))
    with application.app_context():
        yield application


def planned_job(n: int, **changes) -> jobs.Job:
    """A published job for n Niono subscribers, planned (batches of 2 queued), nothing sent."""
    services = current_services()
    for i in range(n):
        services.store.subscribe(f"+2237710{i:04d}", [d("niono")])
    job, errors = jobs.create_job(services, posting(**changes))
    assert errors == {}
    assert fanout.plan(services, job.id)["result"] == "planned"
    return job


def test_a_number_stopped_after_planning_gets_nothing(async_app, at_server):
    services = current_services()
    job = planned_job(5)
    services.store.stop("+22377100003")
    work()
    assert set(received(at_server)) == {f"+2237710{i:04d}" for i in (0, 1, 2, 4)}
    figures = jobs.job_stats(services, job.id)
    assert (figures["sent"], figures["skipped"], figures["queued"]) == (4, 1, 0)


def test_closing_a_job_stops_its_sending(async_app, at_server):
    services = current_services()
    job = planned_job(6)
    fanout.send_batch(services, job.id, 0)
    jobs.close(services, job.id)
    work()
    assert len(at_server.messages) == 2
    figures = jobs.job_stats(services, job.id)
    assert (figures["status"], figures["sent"], figures["skipped"], figures["queued"]) == (
        "closed",
        2,
        4,
        0,
    )
    assert services.store.active_fanouts() == []


def test_no_alert_after_the_deadline(async_app, at_server):
    services = current_services()
    job = planned_job(4)
    fanout.send_batch(services, job.id, 0)
    services.store.clock = lambda: job.deadline + 1
    work()
    assert len(at_server.messages) == 2
    assert jobs.job_stats(services, job.id)["skipped"] == 2


def test_batches_wait_for_the_end_of_quiet_hours(async_app, at_server):
    services = current_services()
    job = planned_job(4)
    # Quiet nearly all day (the relays' digest moves to the one minute left).
    change_settings(current_app, QUIET_HOURS="00:00-23:59", RELAY_DIGEST="mon 23:59")
    noon = datetime.combine(date.today() + timedelta(days=1), time(12), ZoneInfo("Africa/Bamako"))
    services.store.clock = noon.timestamp
    work()
    assert at_server.messages == []
    scheduled = ScheduledJobRegistry(queue=services.queue("alerts"))
    assert len(scheduled.get_job_ids()) == 2
    assert jobs.job_stats(services, job.id)["queued"] == 4


def test_progress_is_in_the_rq_job_meta(async_app):
    services = current_services()
    job = planned_job(3)
    rq_ids = services.store.fanout_rq_ids(job.id, [0, 1])
    work()
    metas = [RQJob.fetch(i, connection=services.rq_redis).meta for i in rq_ids]
    assert [m["sent"] for m in metas] == [2, 1]
    assert metas[-1]["batches_left"] == 0


def test_the_sweeper_sends_a_lost_batch_again(async_app, at_server):
    services = current_services()
    store = services.store
    job = planned_job(6)
    lost, held, _ = store.fanout_rq_ids(job.id, [0, 1, 2])
    for rq_id in (lost, held):  # as if a worker took them and died
        rq_job = RQJob.fetch(rq_id, connection=services.rq_redis)
        services.queue("alerts").remove(rq_job)
        rq_job.delete()
    assert store.acquire_fanout_lease(job.id, 1, "a-live-worker", 30)
    # The first look only notes what seems lost: a worker may be just starting it.
    assert sweeper.sweep(services, force=True)["batches"] == 0
    assert sweeper.sweep(services, force=True)["batches"] == 1  # batch 1 is still leased
    work()
    assert len(at_server.messages) == 4
    store.release_fanout_lease(job.id, 1, "a-live-worker")
    assert sweeper.sweep(services, force=True)["batches"] == 0
    assert sweeper.sweep(services, force=True)["batches"] == 1
    work()
    assert received(at_server) == Counter({f"+2237710{i:04d}": 1 for i in range(6)})
    assert store.active_fanouts() == []
    assert sweeper.sweep(services, force=True) == {
        "published": 0,
        "planners": 0,
        "batches": 0,
        "finished": 0,
        "dropped": 0,
    }


def test_the_sweeper_replaces_a_lost_planner(async_app, at_server):
    services = current_services()
    services.store.subscribe("+22377200001", [d("niono")])
    job, _ = jobs.create_job(services, posting())
    plan_rq = services.store.fanout_plan(job.id)["rq"]
    rq_job = RQJob.fetch(plan_rq, connection=services.rq_redis)
    services.queue("alerts").remove(rq_job)
    rq_job.delete()
    assert sweeper.sweep(services, force=True)["planners"] == 0
    assert sweeper.sweep(services, force=True)["planners"] == 1
    work()
    assert received(at_server) == Counter({"+22377200001": 1})


def test_a_batch_taken_by_a_worker_that_died_before_starting_it_is_sent(async_app, at_server):
    services = current_services()
    job = planned_job(2)
    [rq_id] = services.store.fanout_rq_ids(job.id, [0])
    # What a worker's dequeue does (into RQ's intermediate queue), then it dies: RQ itself
    # would only requeue it a minute later at its next maintenance.
    queue = services.queue("alerts")
    services.rq_redis.lrem(queue.key, 1, rq_id)
    services.rq_redis.rpush(f"{queue.key}:intermediate", rq_id)
    sweeper.sweep(services, force=True)
    assert sweeper.sweep(services, force=True)["batches"] == 1
    work()
    assert received(at_server) == Counter({"+22377100000": 1, "+22377100001": 1})


def test_a_scheduled_retry_the_scheduler_forgot_is_taken_over(async_app, at_server):
    services = current_services()
    job = planned_job(2)
    [rq_id] = services.store.fanout_rq_ids(job.id, [0])
    queue = services.queue("alerts")
    rq_job = RQJob.fetch(rq_id, connection=services.rq_redis)
    queue.remove(rq_job)
    queue.schedule_job(rq_job, datetime.now(UTC) - timedelta(minutes=5))  # long overdue
    sweeper.sweep(services, force=True)
    assert sweeper.sweep(services, force=True)["batches"] == 1
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == []
    work()
    assert len(at_server.messages) == 2


def test_a_sweep_runs_once_per_interval_across_workers(async_app):
    services = current_services()
    assert sweeper.sweep(services) == {
        "published": 0,
        "planners": 0,
        "batches": 0,
        "finished": 0,
        "dropped": 0,
    }
    assert sweeper.sweep(services) == {}  # another worker just swept


def test_batch_targets_agrees_with_active_flags(async_app):
    store = current_services().store
    phones = [f"+2237730{i:04d}" for i in range(8)]
    for i, phone in enumerate(phones):
        store.subscribe(phone, [d("niono")], language=BM if i % 2 else FR)
    store.stop(phones[1])
    store.stop(phones[2], by=StoppedBy.OPERATOR)
    store.unsubscribe(phones[3], [d("niono")])  # active, with no subscription left
    job, _ = jobs.create_job(current_services(), posting(publish=False))
    store.redis.set(f"fan:{job.id}:b:0", "fr|" + ",".join([*phones, "+22377399999"]))
    _, got, codes = store.batch_targets(job.id, 0)
    flags = store.active_flags(got)
    assert codes == "".join("a" if f else "i" for f in flags)
