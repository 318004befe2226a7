"""Security headers on every response, 413 for big bodies, phone numbers masked in logs."""

from __future__ import annotations

import logging

import pytest

from alerts.ops.logs import JsonFormatter, mask_phones
from alerts.web.security import CONTENT_SECURITY_POLICY
from app import create_app
from tests.conftest import PRODUCTION_SECRETS

PATHS = [
    ("GET", "/healthz"),
    ("GET", "/admin/login"),
    ("GET", "/admin/"),
    ("GET", "/api/jobs"),
    ("POST", "/sms/incoming"),
    ("GET", "/static/admin/admin.css"),
    ("GET", "/nowhere"),
    ("GET", "/simulator"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_every_response_carries_the_headers(client, method, path):
    response = client.open(path, method=method)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # development: plain HTTP


def test_hsts_in_production(redis_server, redis):
    app = create_app(
        {
            "BAARA_ENV": "production",
            "REDIS_URL": redis_server.url,
            **PRODUCTION_SECRETS,
        }
    )
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_pages_have_no_inline_script_or_style(client):
    for path in ("/admin/login", "/simulator"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html and "javascript:" not in html


@pytest.mark.parametrize("path", ["/sms/incoming", "/sms/delivery", "/ussd", "/api/jobs"])
def test_oversized_bodies_are_refused_with_413(client, api_headers, path):
    body = {"from": "+22376123456", "text": "x" * (70 * 1024)}
    response = client.post(path, data=body, headers=api_headers)
    assert response.status_code == 413
    assert response.get_json()["error"] == "Payload Too Large"


def test_a_normal_callback_is_not_refused(client):
    response = client.post(
        "/sms/incoming",
        data={
            "from": "+22376123456",
            "to": "38422",
            "text": "AIDE",
            "id": "sz-1",
            "date": "2026-11-23 10:00:00",
        },
    )
    assert response.status_code == 200


def test_proxy_hops_are_trusted_only_when_set(redis_server, redis):
    base = {"TESTING": True, "REDIS_URL": redis_server.url}
    seen = []
    for hops in (0, 1):
        app = create_app({**base, "BAARA_PROXY_HOPS": hops})

        @app.get("/_addr")
        def _addr():
            from flask import request

            return request.remote_addr or ""

        seen.append(
            app.test_client()
            .get("/_addr", headers={"X-Forwarded-For": "203.0.113.9"})
            .get_data(as_text=True)
        )
    assert seen == ["127.0.0.1", "203.0.113.9"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to +22376123456 now", "to +2237612**** now"),
        ("from 76123456", "from 7612****"),
        ("0022376123456", "002237612****"),
        ("several +22376123456,+22366123457", "several +2237612****,+2236612****"),
        ("job 42 at 1732370000 batch 3", "job 42 at 1732370000 batch 3"),
        ("already +2237612****", "already +2237612****"),
    ],
)
def test_mask_phones(text, masked):
    assert mask_phones(text) == masked


def test_log_records_are_masked_whatever_the_logger(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("alerts.sending.tasks").info("reply to %s sent", "+22376123456")
    logging.getLogger("rq.worker").warning("job for 76123456 failed")
    try:
        raise ValueError("bad number +22366123457")
    except ValueError:
        logging.getLogger("anything").exception("while texting %s", "+22366123457")
    text = caplog.text
    assert "+22376123456" not in text and "76123456" not in text
    assert "+22366123457" not in text
    assert "+2237612****" in text and "7612****" in text and "+2236612****" in text


def test_sms_round_trip_logs_no_full_number(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post(
        "/sms/incoming",
        data={
            "from": "+22376123456",
            "to": "38422",
            "text": "NIONO",
            "id": "log-1",
            "date": "2026-11-23 10:00:00",
        },
    )
    assert caplog.records  # the gateway logs its batch
    assert "22376123456" not in caplog.text


def test_json_formatter_writes_one_line_per_event():
    import json

    record = logging.makeLogRecord(
        {
            "name": "alerts.web.sms",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "hello %s",
            "args": ("a\nb",),
            "job": "12",
        }
    )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["msg"] == "hello a\nb" and data["job"] == "12" and data["level"] == "info"
