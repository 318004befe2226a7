"""Redis Sentinel: web and workers follow a failover. A real primary, replica and three
sentinels; the primary is SIGKILLed under SMS traffic and the service resumes on the new one.

What an acknowledged SMS can lose in that window is measured here and printed (README,
"Production and scaling"): the webhook's inbox write waits for the replica (`WAIT 1 100`), so
no acknowledged SMS and no confirmed subscription may be lost.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections import Counter

import pytest
import redis as redis_lib

from alerts.services import current_services, redis_clients, sentinel_addresses
from alerts.store import Language
from config.settings import ConfigError, load_settings
from tests.sentinel_stack import MASTER, SentinelStack
from tests.support.drivers import wait_for
from tests.test_fanout_faults import Workers
from tests.test_outage import logs, probe_ran, schedule_probe, workers_up

_ids = itertools.count()

#: A subscription in each language ("I want work in Niono").
SUBSCRIBE = {"fr": "inscrire niono", "bm": "n b'a fɛ baara sɔrɔ Niono"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:26379", [("127.0.0.1", 26379)]),
        ("a:1, b:2,c:3", [("a", 1), ("b", 2), ("c", 3)]),
        ("[::1]:26379", [("::1", 26379)]),
        ("", []),
    ],
    ids=["one", "three with spaces", "ipv6", "none"],
)
def test_sentinel_addresses(value, expected):
    assert sentinel_addresses(value) == expected


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        ({"REDIS_SENTINELS": "sentinel-1"}, "REDIS_SENTINELS"),
        ({"REDIS_SENTINELS": "s1:26379,s2"}, "REDIS_SENTINELS"),
        ({"REDIS_SENTINELS": "s1:26379"}, "REDIS_SENTINEL_MASTER"),
        (
            {
                "REDIS_SENTINELS": "s1:26379",
                "REDIS_SENTINEL_MASTER": "baara",
                "REDIS_REPLICA_WAIT_MS": "-1",
            },
            "REDIS_REPLICA_WAIT_MS",
        ),
    ],
    ids=["no port", "one without port", "no master name", "negative wait"],
)
def test_malformed_sentinel_settings_are_refused_by_name(settings, names):
    with pytest.raises(ConfigError, match=names):
        load_settings(settings, environ={})


@pytest.fixture()
def stack(tmp_path):
    """A primary, a replica and three sentinels, stopped after the test."""
    folder = tmp_path / "sentinel"
    folder.mkdir()
    sentinels = SentinelStack(folder).start()
    try:
        yield sentinels
    finally:
        sentinels.stop()


def sentinel_config(stack: SentinelStack, at_server) -> dict:
    return {
        "REDIS_URL": "redis://sentinel-managed/0",
        "REDIS_SENTINELS": stack.sentinels,
        "REDIS_SENTINEL_MASTER": MASTER,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "k",
        "AT_API_URL": at_server.url,
        "QUIET_HOURS": "",
        "SMS_RATE_LIMIT": "0",
    }


def test_clients_follow_the_primary_the_sentinels_name(stack, at_server):
    config = load_settings(sentinel_config(stack, at_server), environ={})
    text, binary = redis_clients(config)
    text.set("k", "v")
    assert redis_lib.Redis(port=stack.primary_port(), decode_responses=True).get("k") == "v"
    assert binary.get("k") == b"v"
    old = stack.kill_primary()
    deadline = time.monotonic() + 30
    while True:
        try:
            text.set("k2", "v2")
            break
        except redis_lib.RedisError:
            assert time.monotonic() < deadline, "no new primary within 30 s"
            time.sleep(0.2)
    assert stack.primary_port() != old
    assert text.get("k") == "v"  # replicated before the crash


def test_the_primary_killed_under_sms_traffic_loses_no_acknowledged_sms(stack, at_server, tmp_path):
    from app import create_app

    config = sentinel_config(stack, at_server)
    env = {**os.environ, **config, "BAARA_ENV": "development", "PYTHONUNBUFFERED": "1"}
    app = create_app({**config, "TESTING": True, "RQ_SYNC": False})
    workers = Workers(env, tmp_path)
    names = ["ha-a", "ha-b"]
    with app.app_context():
        client = app.test_client()
        try:
            for name in names:
                workers.start(name)
            wait_for(lambda: workers_up(names), 60, "two workers")
            accepted: dict[str, str] = {}
            refused = 0
            killed_at = resumed_at = None
            for i in itertools.count():
                lang = ("fr", "bm")[i % 2]
                phone = f"+2237656{i:04d}"
                response = client.post(
                    "/sms/incoming",
                    data={
                        "from": phone,
                        "to": "36030",
                        "text": SUBSCRIBE[lang],
                        "date": "2026-11-23 10:00:00",
                        "id": f"ATXid_ha_{next(_ids)}",
                    },
                )
                if response.status_code == 200 and response.json["status"] == "accepted":
                    accepted[phone] = lang
                    if killed_at is not None and resumed_at is None:
                        resumed_at = time.monotonic()
                else:
                    assert response.status_code == 503, response.get_data(as_text=True)
                    refused += 1  # AT sends it again later
                    time.sleep(0.05)
                if len(accepted) == 30 and killed_at is None:
                    stack.kill_primary()
                    killed_at = time.monotonic()
                if resumed_at is not None and len(accepted) >= 60:
                    break
                assert killed_at is None or time.monotonic() - killed_at < 60, "no resumption"
            resumed = resumed_at - killed_at

            def answered() -> bool:
                got = Counter(m["to"] for m in at_server.messages)
                return all(got[p] >= 1 for p in accepted)

            try:
                wait_for(answered, 60, "every acknowledged SMS to be answered", step=0.2)
            except AssertionError:
                got = Counter(m["to"] for m in at_server.messages)
                missing = [p for p in accepted if not got[p]]
                raise AssertionError(f"lost {missing}\n{logs(workers)}") from None
            answered_at = time.monotonic()
            # Scheduled work (retries, consent expiries) runs on the new primary too.
            probe = schedule_probe(1)
            try:
                wait_for(
                    lambda: probe_ran(probe), 20, "scheduled work on the new primary", step=0.2
                )
            except AssertionError:
                raise AssertionError(logs(workers)) from None
            time.sleep(2)
            got = Counter(m["to"] for m in at_server.messages)
            twice = [p for p in accepted if got[p] > 1]
            store = current_services().store
            lost_subscriptions = [
                p
                for p, lang in accepted.items()
                if (sub := store.get_subscriber(p)) is None
                or sub.language is not Language(lang)
                or not sub.subscriptions
            ]
            print(
                f"\nfailover: webhook accepting again {resumed:.1f} s after the SIGKILL, "
                f"{refused} SMS answered 503 meanwhile (AT retries them), every "
                f"acknowledged one answered {answered_at - killed_at:.1f} s after it; "
                f"{len(accepted)} acknowledged, 0 lost, {len(twice)} answered twice"
            )
            assert resumed < 30
            assert lost_subscriptions == []
            assert len(twice) <= 2, f"answered twice: {twice}"
            for name, proc in workers.procs.items():
                assert proc.poll() is None, f"worker {name} exited\n{logs(workers)}"
        finally:
            workers.stop_all()


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_an_sms_no_replica_holds_is_refused_and_its_retry_is_a_duplicate(stack, at_server, lang):
    from app import create_app

    app = create_app({**sentinel_config(stack, at_server), "TESTING": True, "RQ_SYNC": False})
    replica = next(
        p
        for port, p in stack.procs.items()
        if port in stack.data_ports and port != stack.primary_port()
    )

    def post(at_id: str):
        return app.test_client().post(
            "/sms/incoming",
            data={
                "from": "+22376570001",
                "to": "36030",
                "text": SUBSCRIBE[lang],
                "date": "2026-11-23 10:00:00",
                "id": at_id,
            },
        )

    with app.app_context():
        assert post("ATXid_wait_1").json == {"status": "accepted"}
        replica.send_signal(signal.SIGSTOP)  # a replica that stops acknowledging
        try:
            response = post("ATXid_wait_2")
        finally:
            replica.send_signal(signal.SIGCONT)
        assert response.status_code == 503  # not acknowledged: AT sends it again
        wait_for(lambda: post("ATXid_wait_2").status_code == 200, 10, "the replica")
        assert post("ATXid_wait_2").json == {"status": "duplicate"}
        assert current_services().store.inbox_depths()["waiting"] == 2  # each message once
