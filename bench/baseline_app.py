"""The USSD bench's baseline: a bare Flask endpoint doing one Redis round trip.

Served by the same gunicorn settings as Baara (`gunicorn bench.baseline_app:app`), it shows
what the machine, gunicorn, Flask and one Redis GET cost, so bench/ussd.py can report the menu
as a share of it.
"""

from __future__ import annotations

import os
from typing import cast

import redis
from flask import Flask, Response, request

app = Flask(__name__)
_redis = redis.Redis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), decode_responses=True
)


@app.post("/ussd")
def ussd() -> Response:
    """Read the form as the menu does, make one Redis round trip, answer a CON screen."""
    seen = cast(str | None, _redis.get(f"bench:{request.form.get('sessionId', '')}"))
    return Response(f"CON ok {seen or ''}", mimetype="text/plain")


@app.get("/healthz")
def healthz() -> Response:
    """Up when Redis answers."""
    return Response("ok" if _redis.ping() else "down", mimetype="text/plain")
