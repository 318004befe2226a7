"""`flask backup` then `flask restore` into an empty Redis gives back every record."""

from __future__ import annotations

import itertools
import shutil
from datetime import date, timedelta

import pytest

from alerts import jobs, relays
from alerts.services import build_services
from alerts.store import BackupError, Language, MatchPlace
from app import create_app
from config.reference import default_reference
from tests.conftest import RedisServer

SOON = (date.today() + timedelta(days=20)).isoformat()
PEOPLE = {
    "+22376000011": "NIONO MOBILISATEUR",
    "+22376000012": "tout segou",
    "+22376000013": "n b'a fɛ baara sɔrɔ Kati",
}
RELAY, TARGET = "+22376000021", "+22376000022"
_ids = itertools.count(1)


def sms(client, phone: str, text: str) -> None:
    response = client.post("/sms/incoming", data={
        "from": phone, "to": "38422", "text": text, "date": "2026-11-23 10:00:00",
        "id": f"bk-{next(_ids)}",
    })
    assert response.status_code == 200


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
    response = client.post("/api/jobs", headers=api_headers, json={
        "title": "Mobilisateur communautaire", "organization": "ALIMA",
        "category": "community-mobilizer", "districts": ["Niono"], "positions": 2,
        "deadline": f"{SOON}T17:00", "apply": "rh@alima.ngo", "publish": True,
    })
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

    restored_app = create_app({**app.config, "REDIS_URL": second_redis.url,
                               "QUEUES": app.config["QUEUES"]})
    services = build_services(restored_app.config)
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
    assert store.restore_all(path, force=True) == count
    assert store.get_subscriber("+22376000011") is not None


def test_restore_rejects_a_file_that_is_not_a_backup(app, tmp_path, redis):
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"hello": 1}\n')
    with pytest.raises(BackupError):
        app.extensions["baara"].store.restore_all(bogus)
