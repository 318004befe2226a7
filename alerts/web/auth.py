"""Shared-secret checks: bearer token for the JSON API, ?key= for AT callbacks."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps

from flask import abort, request

from alerts.services import current_settings


def _same(given: str, expected: str) -> bool:
    # Constant time, so the token can't be guessed byte by byte from response times.
    return hmac.compare_digest(given.encode(), expected.encode())


def token_required(view: Callable) -> Callable:
    """Refuse a JSON API request without `Authorization: Bearer <API_TOKEN>` (401)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        expected = current_settings().api_token
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        if not expected or scheme.lower() != "bearer" or not _same(given.strip(), expected):
            abort(401)
        return view(*args, **kwargs)

    return wrapped


def check_webhook_key() -> None:
    """With WEBHOOK_TOKEN set, refuse an AT callback without the right ?key= (403)."""
    expected = current_settings().webhook_token
    if expected and not _same(request.args.get("key", ""), expected):
        abort(403)
