"""Shared fixtures for tests that run the app with Orange and SMSGate beside Africa's Talking.

The stand-ins themselves live in tests/loopback_gateways.py; these fixtures start them on
loopback and configure the app as an NGO with an Orange account and a Moov SIM phone would.
Import the fixtures a test module uses by name (pytest finds them in the module's namespace).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import app_config, free_port
from tests.loopback_gateways import LoopbackOrange, LoopbackSMSGate

SOON = (date.today() + timedelta(days=20)).isoformat()


@pytest.fixture()
def orange_server() -> Iterator[LoopbackOrange]:
    """Orange's SMS API on loopback."""
    with LoopbackOrange() as server:
        yield server


@pytest.fixture()
def smsgate_server() -> Iterator[LoopbackSMSGate]:
    """SMSGate's API on loopback."""
    with LoopbackSMSGate() as server:
        yield server


def gateway_config(redis_server, at_server, orange_server, smsgate_server, **overrides) -> dict:
    """The settings an NGO with an Orange account and a Moov SIM phone would use."""
    settings: dict[str, Any] = {
        "GATEWAYS": "africastalking,orange,smsgate",
        "GATEWAY_ROUTES": "orange=orange,moov=smsgate",
        "ORANGE_API_URL": orange_server.url,
        "ORANGE_CLIENT_ID": "orange-id",
        "ORANGE_CLIENT_SECRET": "orange-secret",
        "ORANGE_SENDER_ADDRESS": "tel:+22370000000",
        "ORANGE_SENDER_NAME": "Baara",
        "SMSGATE_URL": smsgate_server.url,
        "SMSGATE_LOGIN": "sms",
        "SMSGATE_PASSWORD": "gate-pass",
        "SMSGATE_SIGNING_KEY": "signing-key",
        "GATEWAY_TIMEOUT": 0.5,
        "AT_BATCH_SIZE": 4,
    }
    settings.update(overrides)
    return app_config(redis_server, at_server, **settings)


@pytest.fixture()
def gw_app(redis, redis_server, at_server, orange_server, smsgate_server) -> Iterator[Flask]:
    """The app configured with all three gateways, in an app context."""
    application = create_app(gateway_config(redis_server, at_server, orange_server, smsgate_server))
    with application.app_context():
        yield application


@pytest.fixture()
def client(gw_app) -> FlaskClient:
    """A test client of the gateway-configured app (not conftest's AT-only one)."""
    return gw_app.test_client()


class LiveApp:
    """An app served over real HTTP on loopback, for callbacks a stand-in posts itself."""

    def __init__(self, app: Flask, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)

    @property
    def url(self) -> str:
        """The app's public base URL."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveApp:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def posting() -> dict:
    """A published job for Niono, as POST /api/jobs takes it."""
    return {
        "title": "Infirmier",
        "organization": "AMCP-SP/ALIMA",
        "category": "nurse",
        "districts": ["Niono"],
        "positions": 1,
        "deadline": f"{SOON}T17:00",
        "apply": {"email": "recrutement@mali.alima.ngo"},
        "publish": True,
    }
