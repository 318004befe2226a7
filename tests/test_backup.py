"""`flask backup` then `flask restore` into an empty Redis gives back every record."""

from __future__ import annotations

import itertools
import random
import shutil
import threading
import time
from datetime import date, timedelta

import pytest
import redis as redis_lib

from alerts.jobs import lifecycle as jobs
from alerts.ops import backup as backups
from alerts.services import build_services, services_of
from alerts.sms import relays
from alerts.store import BackupError, Language, MatchPlace, Store
from app import create_app
from config.reference import default_reference
from tests.conftest import RedisServer
from tests.support.drivers import sms

SOON = (date.today() + timedelta(days=20)).isoformat()
PEOPLE = {
    "+22376000011": "NIONO MOBILISATEUR",
    "+22376000012": "tout segou",
    "+22376000013": "n b'a fɛ baara sɔrɔ Kati",
}
RELAY, TARGET = "+22376000021", "+22376000022"


@pytest.fixture()
def second_redis(tmp_path):
    server = RedisServer(tmp_path / "redis2")
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture()
def filled(app, client, api_headers):
    """Subscribers by SMS, an approved relay who enrolled someone, and a published job."""
    for phone, text in PEOPLE.items():
        sms(client, phone, text)
    store = app.extensions["baara"].store
    relays.approve(store, default_reference(), RELAY, ["niono"])
    sms(client, RELAY, "INSCRIRE 76000022 NIONO")
    sms(client, TARGET, "OUI")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Mobilisateur communautaire",
            "organization": "ALIMA",
            "category": "community-mobilizer",
            "districts": ["Niono"],
            "positions": 2,
            "deadline": f"{SOON}T17:00",
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def view(client, headers, phone):
    response = client.get(f"/api/subscribers/{phone}", headers=headers)
    assert response.status_code == 200, phone
    return response.get_json()


def test_backup_restores_everything_into_an_empty_redis(
    app, client, api_headers, filled, second_redis, tmp_path
):
    before = {p: view(client, api_headers, p) for p in [*PEOPLE, TARGET]}
    store = app.extensions["baara"].store
    niono = [MatchPlace(district="niono", region="segou")]
    matched_before = store.match(niono, "community-mobilizer")
    assert TARGET in matched_before[Language.FR] | matched_before[Language.BM]

    path = tmp_path / "baara.jsonl.gz"
    runner = app.test_cli_runner()
    saved = runner.invoke(args=["backup", str(path)])
    assert saved.exit_code == 0, saved.output
    assert "keys saved" in saved.output

    restored_app = create_app({**services_of(app).settings, "REDIS_URL": second_redis.url})
    services = build_services(services_of(restored_app).settings)
    assert services.store.redis.dbsize() == 0
    # The CLI runs in the current app context if there is one: give it the restored app's.
    with restored_app.app_context():
        result = restored_app.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert "keys restored" in result.output

    client2 = restored_app.test_client()
    with restored_app.app_context():
        for phone, body in before.items():
            assert view(client2, api_headers, phone) == body
        assert services.store.match(niono, "community-mobilizer") == matched_before
        job = jobs.get_job(filled["id"], services=services)
        assert job is not None and job.code == filled["code"]
        assert services.store.job_id_for_code(filled["code"]) == filled["id"]
        assert jobs.get_job(filled["code"], services=services).id == filled["id"]
        assert services.store.get_relay(RELAY)["status"] == "approved"
        assert services.store.get_relay(RELAY) == store.get_relay(RELAY)
    # Expiring keys keep their deadline rather than living forever.
    ttl_keys = [k for k in store.redis.scan_iter("hist:*") if store.redis.ttl(k) > 0]
    assert ttl_keys and 0 < services.store.redis.ttl(ttl_keys[0]) <= store.redis.ttl(ttl_keys[0])
    # RQ's transient keys stay out unless asked for.
    assert not list(services.store.redis.scan_iter("rq:*"))


def test_restore_refuses_a_non_empty_redis_without_force(app, client, filled, tmp_path):
    path = tmp_path / "b.jsonl"
    store = app.extensions["baara"].store
    count = store.dump_all(path)
    assert count > 10
    with pytest.raises(BackupError):
        store.restore_all(path)
    refused = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert refused.exit_code != 0 and "refuses" in refused.output
    store.erase_subscriber("+22376000011")
    report = store.restore_all(path, force=True)
    assert report.restored == count and report.verified == count and report.ok
    assert store.get_subscriber("+22376000011") is not None


def test_restore_rejects_a_file_that_is_not_a_backup(app, tmp_path, redis):
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"hello": 1}\n')
    with pytest.raises(BackupError):
        app.extensions["baara"].store.restore_all(bogus)


# -- a snapshot, not a SCAN of a moving database ----------------------------------------------


def restored_store(second_redis) -> Store:
    return Store.from_url(second_redis.url)


def test_backup_is_one_instant_while_writers_keep_writing(app, redis, second_redis, tmp_path):
    """Pairs of keys always change together (MULTI); a snapshot never splits a pair."""
    pipe = redis.pipeline(transaction=False)
    for i in range(30000):  # enough keys that a SCAN of them takes a while
        pipe.set(f"filler:{i}", "x" * 40)
    pipe.execute()
    pairs = [f"pair:{i}" for i in range(500)]
    stop = threading.Event()
    writes = itertools.count()

    def writer() -> None:
        client = redis_lib.Redis.from_url(services_of(app).settings.redis_url)
        rng = random.Random(7)
        while not stop.is_set():
            name = rng.choice(pairs)
            with client.pipeline(transaction=True) as tx:
                tx.incr(f"{name}:a")
                tx.incr(f"{name}:b")
                tx.execute()
            next(writes)
        client.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        path = tmp_path / "moving.jsonl.gz"
        saved = app.test_cli_runner().invoke(args=["backup", str(path)])
        assert saved.exit_code == 0, saved.output
        assert "(snapshot)" in saved.output
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert next(writes) > 100  # the writers really were busy
    target = restored_store(second_redis)
    report = target.restore_all(path)
    assert report.ok and report.verified == report.expected
    got = target.redis
    split = [p for p in pairs if got.get(f"{p}:a") != got.get(f"{p}:b")]
    assert split == []
    assert Store.backup_header(path)["snapshot"] is True


def test_restore_rebuilds_the_indexes_from_the_records(app, client, filled, second_redis, tmp_path):
    store = app.extensions["baara"].store
    niono = store.match_keys(
        [MatchPlace(district="niono", region="segou")], "community-mobilizer", Language.FR
    )
    # Damage the source's indexes: a stranger in one, a real subscriber missing from another.
    store.redis.sadd(niono[0], "+22399999999")
    for key in niono:
        store.redis.srem(key, "+22376000011")
    path = tmp_path / "b.jsonl"
    store.dump_all(path)
    target = restored_store(second_redis)
    report = target.restore_all(path)
    assert report.ok and report.index_entries > 0
    found = target.match([MatchPlace(district="niono", region="segou")], "community-mobilizer")
    assert "+22399999999" not in found[Language.FR] | found[Language.BM]
    assert "+22376000011" in found[Language.FR]


def test_restore_is_idempotent_and_resumes_after_stopping_halfway(
    app, client, filled, second_redis, tmp_path, monkeypatch
):
    store = app.extensions["baara"].store
    path = tmp_path / "b.jsonl"
    count = store.dump_all(path)
    # A key repeated in the file (a live SCAN may return a key twice) is no reason to stop.
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[3], lines[5]]) + "\n")
    target = restored_store(second_redis)

    calls = itertools.count()
    real = Store._restore_batch

    def dies_on_the_second_batch(pipe, keys, report):
        if next(calls) == 1:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a crash
        real(pipe, keys, report)

    monkeypatch.setattr(Store, "_restore_batch", staticmethod(dies_on_the_second_batch))
    monkeypatch.setattr("alerts.store.backup.RESTORE_BATCH", 20)
    with pytest.raises(KeyboardInterrupt):
        target.restore_all(path)
    monkeypatch.undo()
    assert 0 < target.redis.dbsize() < count
    people = store.figures()["subscribers"]
    # The second run is not refused: it finishes the job, keeping what is there.
    second_app = create_app({**services_of(app).settings, "REDIS_URL": second_redis.url})
    with second_app.app_context():
        resumed = second_app.test_cli_runner().invoke(args=["restore", str(path)])
        assert resumed.exit_code == 0, resumed.output
        assert "already there" in resumed.output
        assert f"verified: {count} of {count} keys present" in resumed.output
        assert f"verified: subscribers {people} (backup: {people})" in resumed.output
        # And a third run changes nothing, and says so.
        again = second_app.test_cli_runner().invoke(args=["restore", str(path)])
        assert again.exit_code == 0, again.output
        assert "already restored" in again.output
    assert target.redis.dbsize() == count + 1  # the backup's keys, and restore:state
    assert target.get_relay(RELAY) == store.get_relay(RELAY)


def test_live_backup_is_labelled_and_a_refused_snapshot_says_what_to_do(
    app, filled, at_server, tmp_path
):
    path = tmp_path / "live.jsonl"
    saved = app.test_cli_runner().invoke(args=["backup", "--live", str(path)])
    assert saved.exit_code == 0 and "not point-in-time" in saved.output
    assert Store.backup_header(path)["snapshot"] is False
    nowhere = create_app({**services_of(app).settings, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with nowhere.app_context():
        failed = nowhere.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.jsonl")])
    assert failed.exit_code != 0 and "Redis does not answer" in failed.output
    # Something that answers but will not replicate (here: an HTTP server, not Redis).
    with pytest.raises(BackupError, match="--live"):
        backups.take_snapshot(f"redis://127.0.0.1:{at_server.port}/0", tmp_path / "s.rdb")


def test_snapshot_of_a_redis_with_a_password_keeps_it_off_command_lines(
    app, second_redis, tmp_path, monkeypatch
):
    password = "s3cret-backup-pass"
    locked = redis_lib.Redis(port=second_redis.port)
    locked.config_set("requirepass", password)
    url = f"redis://:{password}@127.0.0.1:{second_redis.port}/0"
    store = Store.from_url(url)
    store.subscribe("+22376000011", [])
    store.redis.set("pair:a", 1)
    commands = []
    real_popen = backups.subprocess.Popen

    def popen(args, **kwargs):  # subprocess.run starts its process through Popen too
        commands.append(list(args))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(backups.subprocess, "Popen", popen)
    path = tmp_path / "locked.jsonl"
    report = backups.backup(store, url, path)
    assert report.snapshot and report.figures["subscribers"] == 1
    assert len(commands) == 2 and not any(password in " ".join(c) for c in commands)
    # The file holds personal data: only its owner may read it.
    assert path.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob("baara-backup-*"))  # the snapshot's folder is gone
    locked.config_set("requirepass", "")
    locked.close()
