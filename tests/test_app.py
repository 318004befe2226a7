"""The app as operators run it: health, start-up checks, gunicorn and the worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from rq import Queue

from app import create_app
from config.reference import ReferenceDataError
from config.settings import ConfigError
from tests.conftest import ROOT, free_port


def test_healthz_reports_redis_queues_and_workers(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["redis"] == "ok"
    assert set(body["queues"]) == {"baara-replies", "baara-alerts", "baara-default"}
    assert body["sms_inbox"] == {"waiting": 0, "busy": 0, "dead": 0}
    assert "last_worker_heartbeat" in body


def test_healthz_is_503_when_redis_is_down():
    app = create_app({"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_duplicate_alias_stops_start_up_naming_it(tmp_path):
    for name in ("districts.yaml", "categories.yaml"):
        shutil.copy(ROOT / "config" / name, tmp_path / name)
    text = (tmp_path / "districts.yaml").read_text()
    # Give Macina an alias Niono already owns, as a careless edit would.
    assert "aliases: [Ké-Macina," in text
    text = text.replace("aliases: [Ké-Macina,", "aliases: [Nyono, Ké-Macina,", 1)
    (tmp_path / "districts.yaml").write_text(text)
    with pytest.raises(ReferenceDataError, match="'nyono'"):
        create_app({"TESTING": True, "REFERENCE_DIR": str(tmp_path)})


def test_production_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AT_", "API_", "SECRET"))}
    env["BAARA_ENV"] = "production"
    proc = subprocess.run(
        [sys.executable, "-c", "import app; app.app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr and "WEBHOOK_TOKEN" in proc.stderr
    with pytest.raises(ConfigError):
        create_app({"BAARA_ENV": "production"})


def _env(redis_server, at_server) -> dict:
    env = dict(os.environ)
    env.update(
        REDIS_URL=redis_server.url,
        AT_USERNAME="baara",
        AT_API_KEY="k",
        AT_API_URL=at_server.url,
        QUIET_HOURS="",
        BAARA_ENV="development",
    )
    return env


def test_gunicorn_serves_app_against_given_redis(redis, redis_server, at_server):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1", "app:app"],
        cwd=ROOT,
        env=_env(redis_server, at_server),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["redis"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_worker_burst_sends_queued_reply_and_exits(redis, redis_server, at_server):
    import redis as redis_lib

    from alerts.sending import tasks
    from alerts.store import Store

    store = Store(redis)
    out_id = store.new_outgoing("+22376123456", "Baara: test", kind="reply")
    queue = Queue("baara-replies", connection=redis_lib.Redis.from_url(redis_server.url))
    queue.enqueue(tasks.send_reply, out_id)
    proc = subprocess.run(
        [sys.executable, "worker.py", "--burst"],
        cwd=ROOT,
        env=_env(redis_server, at_server),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [m["message"] for m in at_server.messages_to("+22376123456")] == ["Baara: test"]
    assert store.get_outgoing(out_id)["status"] == "sent"


def test_app_module_is_lazy():
    # Importing app must not build an app (nothing binds at import time).
    proc = subprocess.run(
        [sys.executable, "-c", "import app, sys; sys.exit(0 if app._app is None else 1)"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0


def test_catalog_header_has_one_plural_form_for_bambara():
    po = Path(ROOT / "messages/translations/bm/LC_MESSAGES/messages.po").read_text()
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in po


def test_devstack_stops_everything_on_sigterm():
    # `make run` under a service manager or `timeout` gets SIGTERM, not Ctrl-C: nothing may stay.
    import signal
    import socket

    import requests

    def free() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    web, redis_port = free(), free()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "AT_API_KEY", "AT_USERNAME", "BAARA_ENV")
    }
    env.update(PORT=str(web), REDIS_PORT=str(redis_port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "alerts.ops.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{web}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            assert time.monotonic() < deadline, "make run did not come up"
            time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=45)
        for port in (web, redis_port):
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
    finally:
        if proc.poll() is None:  # the test failed before SIGTERM: stop it the gentle way first
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
