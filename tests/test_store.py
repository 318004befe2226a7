"""The store against a real redis-server: records, indexes, matching, durability."""

import pytest

from alerts.store import (
    Language,
    MatchPlace,
    Source,
    StoppedBy,
    Store,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from alerts.store.subscribers import pack, unpack

A, B, C = "+22376000001", "+22376000002", "+22366000003"
NIONO = MatchPlace("niono", "segou")
MACINA = MatchPlace("macina", "segou")
SIKASSO = MatchPlace("sikasso", "sikasso")


@pytest.fixture()
def store(redis):
    return Store(redis)


def test_pack_roundtrip():
    sub = Subscriber(
        phone=A,
        language=Language.BM,
        status=SubscriberStatus.STOPPED,
        stopped_by=StoppedBy.OPERATOR,
        source=Source.USSD,
        created_at=1,
        updated_at=2,
        subscriptions=(
            Subscription(district="niono"),
            Subscription(region="segou", category="nurse"),
        ),
    )
    assert unpack(A, pack(sub)) == sub


def test_subscription_needs_one_place():
    with pytest.raises(ValueError):
        Subscription()
    with pytest.raises(ValueError):
        Subscription(district="niono", region="segou")


def test_subscribe_and_read_back(store):
    s = store.subscribe(A, [Subscription(district="niono", category="community-mobilizer")])
    assert s.active and s.created_at > 0
    got = store.get_subscriber(A)
    assert got == s
    assert store.get_subscriber(B) is None


def test_all_categories_absorbs_specific_ones(store):
    store.subscribe(A, [Subscription(district="niono", category="nurse")])
    s = store.subscribe(A, [Subscription(district="niono")])
    assert s.subscriptions == (Subscription(district="niono"),)


@pytest.mark.parametrize(
    "subs,place,category,matched",
    [
        ([Subscription(district="niono", category="nurse")], NIONO, "nurse", True),
        ([Subscription(district="niono", category="nurse")], NIONO, "driver", False),
        ([Subscription(district="niono")], NIONO, "driver", True),
        ([Subscription(region="segou")], MACINA, "doctor", True),
        ([Subscription(region="segou", category="doctor")], MACINA, "doctor", True),
        ([Subscription(region="segou", category="doctor")], MACINA, "nurse", False),
        ([Subscription(district="niono")], SIKASSO, "nurse", False),
    ],
    ids=[
        "district-cat",
        "district-other-cat",
        "district-all",
        "region-all",
        "region-cat",
        "region-other-cat",
        "other-district",
    ],
)
def test_matching(store, subs, place, category, matched):
    store.subscribe(A, subs)
    result = store.match([place], category)
    assert (A in result[Language.FR]) is matched


def test_one_entry_per_person_and_by_language(store):
    store.subscribe(A, [Subscription(district="niono"), Subscription(region="segou")])
    store.subscribe(B, [Subscription(district="macina")], language=Language.BM)
    result = store.match([NIONO, MACINA], "nurse")
    assert result[Language.FR] == {A}
    assert result[Language.BM] == {B}


def test_stopped_are_not_matched_and_come_back(store):
    store.subscribe(A, [Subscription(district="niono")])
    store.stop(A)
    assert store.match([NIONO], "nurse")[Language.FR] == set()
    assert store.get_subscriber(A).status is SubscriberStatus.STOPPED
    store.resume(A)
    assert store.match([NIONO], "nurse")[Language.FR] == {A}


def test_language_switch_moves_indexes(store):
    store.subscribe(A, [Subscription(district="niono")])
    store.set_language(A, Language.BM)
    result = store.match([NIONO], "nurse")
    assert result == {Language.FR: set(), Language.BM: {A}}


def test_unsubscribe_one_place(store):
    store.subscribe(
        A, [Subscription(district="niono", category="nurse"), Subscription(district="macina")]
    )
    store.unsubscribe(A, [Subscription(district="niono")])
    assert store.get_subscriber(A).subscriptions == (Subscription(district="macina"),)
    assert store.match([NIONO], "nurse")[Language.FR] == set()


def test_erase_removes_everything(store, redis):
    store.subscribe(A, [Subscription(district="niono")])
    assert store.erase_subscriber(A)
    assert store.get_subscriber(A) is None
    assert not [k for k in redis.keys("idx:*") if redis.scard(k)]


def test_operator_stop_remembers_a_stranger(store):
    s = store.stop(C, by=StoppedBy.OPERATOR)
    assert s.status is SubscriberStatus.STOPPED and s.stopped_by is StoppedBy.OPERATOR
    # A stranger's own STOP is remembered too: nothing may ever be sent to them.
    assert store.stop(B).status is SubscriberStatus.STOPPED
    assert store.active_flags([B]) == [False]


def test_active_flags_and_languages(store):
    store.subscribe(A, [Subscription(district="niono")])
    store.subscribe(B, [Subscription(district="niono")], language=Language.BM)
    store.stop(B)
    assert store.active_flags([A, B, C]) == [True, False, False]
    assert store.languages([A, B, C]) == [Language.FR, Language.BM, None]


def test_iter_subscribers(store):
    for phone in (A, B, C):
        store.subscribe(phone, [Subscription(district="kati")])
    assert {s.phone for s in store.iter_subscribers()} == {A, B, C}


def test_acknowledged_subscriptions_survive_a_redis_crash(redis_server):
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    store = Store(client)
    phones = [f"+2237600{i:04d}" for i in range(300)]
    for phone in phones:
        store.subscribe(phone, [Subscription(district="niono")])
    redis_server.kill()  # SIGKILL, no shutdown save: only the AOF can bring them back
    redis_server.start()
    client = redis_lib.Redis.from_url(redis_server.url, decode_responses=True)
    store = Store(client)
    assert all(store.get_subscriber(p) for p in phones)
    assert store.match([NIONO], "nurse")[Language.FR] == set(phones)


def test_retention_comes_from_the_settings(redis, redis_server, at_server):
    from app import create_app
    from config.settings import ConfigError, load_settings
    from tests.conftest import app_config

    app = create_app(
        app_config(
            redis_server,
            at_server,
            HISTORY_DAYS="0.5",
            RECORD_DAYS=2,
            DELIVERY_REF_DAYS=1,
            SEEN_DAYS="0.01",
        )
    )
    store = app.extensions["baara"].store
    assert (
        store.retention.history,
        store.retention.records,
        store.retention.delivery_refs,
        store.retention.seen,
    ) == (43200, 172800, 86400, 864)
    out_id = store.new_outgoing("+22376123456", "Baara: test", kind="reply")
    store.add_history("+22376123456", "out", "Baara: test")
    store.link_gateway_id("ATXid_r", f"out:{out_id}")
    assert 172790 <= redis.ttl(f"out:{out_id}") <= 172800
    assert 43190 <= redis.ttl("hist:+22376123456") <= 43200
    assert 86390 <= redis.ttl("gw:ATXid_r") <= 86400
    with pytest.raises(ConfigError, match="SEEN_DAYS"):
        load_settings({"SEEN_DAYS": 0})
