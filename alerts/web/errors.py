"""Error bodies the HTTP views share."""

from __future__ import annotations

from flask import jsonify


def bad_request(field: str, problem: str):
    """A 400 that names the field."""
    return jsonify({"error": "Bad Request", "field": field, "detail": f"{field}: {problem}"}), 400
