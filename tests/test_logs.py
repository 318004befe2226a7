"""Logs (issue 13, item 4): numbers masked in every encoding, secrets never written, and the
production access log as JSON lines, checked on a real gunicorn serving the app.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from alerts.ops.logs import mask_phones, redact_secrets, scrub
from tests.conftest import PRODUCTION_SECRETS, ROOT, free_port

#: (text, what must not survive, what must survive)
ENCODINGS = [
    pytest.param("from +22376123456", "76123456", "+2237612", id="e164"),
    pytest.param("from=%2B22376123456&to=1", "76123456", "%2B2237612", id="url-encoded-plus"),
    pytest.param("from=%2b22376123456", "76123456", "%2b2237612", id="url-encoded-lowercase"),
    pytest.param("number 22376123456", "76123456", "2237612", id="without-plus"),
    pytest.param("number 0022376123456", "76123456", "002237612", id="double-zero"),
    pytest.param("local 76123456", "76123456", "7612", id="local-8-digits"),
    pytest.param("spaced 76 12 34 56", "34 56", "76 12", id="local-spaced"),
    pytest.param("dashed 76-12-34-56", "34-56", "76-12", id="local-dashed"),
    pytest.param("dotted 76.12.34.56", "34.56", "76.12", id="local-dotted"),
    pytest.param("+223 76 12 34 56", "34 56", "+223 76 12", id="e164-spaced"),
    pytest.param("223 76 12 34 56", "34 56", "223 76 12", id="national-spaced"),
    pytest.param("phone=76+12+34+56", "34+56", "76+12", id="form-encoded-spaces"),
    pytest.param("q=76%2012%2034%2056", "34%2056", "76%2012", id="url-encoded-spaces"),
    pytest.param("q=%2B223%2076%2012%2034%2056", "34%2056", "%2B223", id="url-encoded-spaced"),
    pytest.param("nbsp 76\u00a012\u00a034\u00a056", "34\u00a056", "76\u00a012", id="nbsp"),
    pytest.param("from +٢٢٣٧٦١٢٣٤٥٦", "٣٤٥٦", "+٢٢٣٧٦١٢", id="arabic-indic"),
    pytest.param("from ７６１２３４５６", "３４５６", "７６１２", id="fullwidth-local"),
    pytest.param("/admin/subscribers/%2B22376123456/erase", "76123456", "/erase", id="admin-path"),
    pytest.param("to +447911123456", "1123456", "+447911", id="foreign-e164"),
]


@pytest.mark.parametrize(("text", "gone", "kept"), ENCODINGS)
def test_numbers_are_masked_in_every_encoding(text, gone, kept):
    masked = mask_phones(text)
    assert gone not in masked and kept in masked and "*" in masked


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("job 42 at 1732370000 batch 3", id="epoch-and-small-numbers"),
        pytest.param("date 2026-11-23 10:00:00", id="date-and-time"),
        pytest.param("from 10.0.2.1 port 51234", id="ip-address"),
        pytest.param("ATXid_1234567890abcdef", id="gateway-id"),
        pytest.param("already +2237612****", id="already-masked"),
        pytest.param("took 12345 ms, 1234567 bytes", id="figures"),
    ],
)
def test_other_numbers_stay_readable(text):
    assert mask_phones(text) == text


SECRETS = [
    pytest.param("POST /sms/incoming?key=s3cret-t0ken HTTP/1.1", "s3cret-t0ken", id="query-key"),
    pytest.param("/ussd?serviceCode=1&key=s3cret-t0ken", "s3cret-t0ken", id="key-not-first"),
    pytest.param("/ussd?KEY=s3cret-t0ken", "s3cret-t0ken", id="key-uppercase"),
    pytest.param("/x?key%3Ds3cret-t0ken", "s3cret-t0ken", id="key-url-encoded-equals"),
    pytest.param("Authorization: Bearer s3cret-t0ken", "s3cret-t0ken", id="bearer"),
    pytest.param("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz", id="basic"),
    pytest.param('{"apiKey": "s3cret-t0ken"}', "s3cret-t0ken", id="json-api-key"),
    pytest.param("apiKey: s3cret-t0ken", "s3cret-t0ken", id="header-api-key"),
    pytest.param("password=hunter2-hunter2&email=a", "hunter2", id="form-password"),
    pytest.param("csrf_token=IjQ5ZmM.abc", "IjQ5ZmM", id="csrf-token"),
    pytest.param("?access_token=s3cret-t0ken", "s3cret-t0ken", id="access-token"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_secrets_are_redacted(text, secret):
    assert secret not in redact_secrets(text) and "[redacted]" in redact_secrets(text)
    assert secret not in scrub(text)


def test_every_log_record_is_scrubbed(app, caplog):
    caplog.set_level(logging.INFO)
    logging.getLogger("werkzeug").info(
        '"POST /sms/incoming?key=s3cret-t0ken&from=%2B22376123456 HTTP/1.1" 200'
    )
    logging.getLogger("alerts.x").warning("number %s", "76 12 34 56")
    assert "s3cret-t0ken" not in caplog.text and "22376123456" not in caplog.text
    assert "34 56" not in caplog.text


# -- a real gunicorn ---------------------------------------------------------------------------


def _serve(env: dict, log: Path):
    port = free_port()
    out = log.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=out,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc, port
        except OSError:  # refused, reset or timed out while the worker loads the app
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(log.read_text())


def _requests(port: int, token: str) -> None:
    base = f"http://127.0.0.1:{port}"
    calls = [
        urllib.request.Request(
            f"{base}/sms/incoming?key={token}&from=%2B22376123456",
            data=b"from=%2B22376123456&to=1&text=x&date=x&id=x",
        ),
        urllib.request.Request(
            f"{base}/api/subscribers/%2B22366123457", headers={"Authorization": f"Bearer {token}"}
        ),
        urllib.request.Request(
            f"{base}/admin/subscribers/76%2012%2034%2058",
            headers={"Referer": f"{base}/admin/subscribers?q=76+12+34+59"},
        ),
    ]
    for request in calls:
        with contextlib.suppress(urllib.error.HTTPError):  # 4xx are logged all the same
            urllib.request.urlopen(request, timeout=10)


@pytest.mark.parametrize("env_name", ["production", "development"])
def test_gunicorn_access_log_is_scrubbed_and_json_in_production(
    redis, redis_server, tmp_path, env_name
):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AT_", "BAARA_"))}
    env.update(
        {
            "BAARA_ENV": env_name,
            "REDIS_URL": redis_server.url,
            **PRODUCTION_SECRETS,
            "AT_API_URL": "http://127.0.0.1:9/version1",
            "QUIET_HOURS": "",
        }
    )
    token = PRODUCTION_SECRETS["WEBHOOK_TOKEN"]
    log = tmp_path / "access.log"
    proc, port = _serve(env, log)
    try:
        _requests(port, token)
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = log.read_text()
    lines = [
        line
        for line in text.splitlines()
        if "/sms/incoming" in line or "/api/" in line or "/admin/subscribers" in line
    ]
    assert len(lines) >= 3, text
    for secret in (
        token,
        PRODUCTION_SECRETS["API_TOKEN"],
        "22376123456",
        "22366123457",
        "34 58",
        "34%2058",
        "34+59",
    ):
        assert secret not in text, secret
    if env_name == "production":
        for line in text.splitlines():
            if line.strip():
                json.loads(line)  # every line, access and error alike, is one JSON object
        entries = [json.loads(line) for line in lines]
        incoming = next(e for e in entries if e.get("path", "").startswith("/sms/incoming"))
        assert incoming["method"] == "POST" and incoming["status"] in (200, 400, 403)
        assert "key=[redacted]" in incoming["path"]
        assert {"ts", "level", "remote", "duration_ms", "bytes"} <= set(incoming)
    else:
        assert not lines[0].startswith("{")
