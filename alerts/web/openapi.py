"""The OpenAPI 3.0 description of the JSON API, served at `GET /api/openapi.json`.

Built in code so that it is checked like code: tests/test_openapi.py compares its paths with
the app's /api routes both ways, and tests/test_fuzz.py drives the API from it with
schemathesis (no 5xx, responses as described here).
"""

from __future__ import annotations

from typing import Any

from alerts.extract import MAX_TEXT
from alerts.jobs.lifecycle import (
    MAX_APPLY_FIELD,
    MAX_ORGANIZATION,
    MAX_ORGANIZATION_SHORT,
    MAX_PLACES,
    MAX_POSITIONS,
    MAX_TITLE,
    MAX_URL,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


_INT = {"type": "integer", "minimum": 0}
_NAMED = {
    "type": "object",
    "required": ["slug", "name"],
    "properties": {"slug": {"type": "string"}, "name": {"type": "string"}},
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "Any refusal: `detail` says why; `fields` names each invalid field.",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "example": "Bad Request"},
            "detail": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Subscriber": {
        "type": "object",
        "required": [
            "phone",
            "language",
            "status",
            "source",
            "created_at",
            "updated_at",
            "subscriptions",
        ],
        "properties": {
            "phone": {"type": "string", "example": "+22376123456"},
            "language": {"type": "string", "enum": ["fr", "bm"]},
            "status": {"type": "string", "enum": ["active", "stopped"]},
            "source": {"type": "string", "enum": ["sms", "ussd", "relay", "admin"]},
            "created_at": {**_INT, "description": "epoch seconds"},
            "updated_at": {**_INT, "description": "epoch seconds"},
            "subscriptions": {
                "type": "array",
                "description": "A district or a whole region; category null means every job.",
                "items": {
                    "type": "object",
                    "required": ["district", "region", "category"],
                    "properties": {
                        "district": _nullable(_NAMED),
                        "region": _nullable(_NAMED),
                        "category": _nullable(_NAMED),
                    },
                },
            },
        },
    },
    "Apply": {
        "description": "How to apply: a text, or an object with at least one of email, "
        "phone, office or text.",
        "oneOf": [
            {"type": "string", "minLength": 1, "maxLength": MAX_APPLY_FIELD},
            {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: {"type": "string", "maxLength": MAX_APPLY_FIELD}
                    for name in ("email", "phone", "office", "subject", "text")
                },
            },
        ],
    },
    "NewJob": {
        "type": "object",
        "required": ["title", "organization", "category", "districts", "deadline", "apply"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
            "organization": {"type": "string", "minLength": 1, "maxLength": MAX_ORGANIZATION},
            "organization_short": {
                "type": "string",
                "maxLength": MAX_ORGANIZATION_SHORT,
                "example": "ALIMA",
                "description": "what SMS and USSD call the organization; empty or absent: "
                "taken from config/organizations.yaml when the name is known "
                "there, else the full name",
            },
            "category": {
                "type": "string",
                "description": "a category slug or name",
                "example": "nurse",
            },
            "districts": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_PLACES,
                "items": {"type": "string", "maxLength": 100},
                "description": "district or region names (typos tolerated)",
                "example": ["Niono", "Macina"],
            },
            "positions": {"type": "integer", "minimum": 1, "maximum": MAX_POSITIONS, "default": 1},
            "deadline": {
                "type": "string",
                "description": "ISO 8601 date or date and time; a naive time is in TIMEZONE, "
                "a bare date means 23:59 that day; within a year",
                "example": "2026-12-16T17:00",
            },
            "apply": _ref("Apply"),
            "source_url": {
                "type": "string",
                "maxLength": MAX_URL,
                "pattern": "^https?://",
                "description": "where the posting is published",
            },
            "publish": {
                "type": "boolean",
                "default": False,
                "description": "publish at once (alerts leave now or after quiet hours)",
            },
        },
    },
    "NoticeText": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TEXT,
                "description": "the notice as published (French or English), pasted",
            },
        },
    },
    "ExtractedJob": {
        "type": "object",
        "description": "A POST /api/jobs body read from the notice (each field filled, so it "
        "can be saved as a draft as it is), plus apply_parts and warnings.",
        "required": [
            "title",
            "organization",
            "category",
            "districts",
            "positions",
            "deadline",
            "apply",
            "apply_parts",
            "warnings",
        ],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "organization": {"type": "string", "minLength": 1},
            "category": {"type": "string", "description": "category slug", "example": "nurse"},
            "districts": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string"},
                "description": "district slugs; a whole region as its slug when no district "
                "has it (bamako), else as region:<slug>",
                "example": ["niono", "macina"],
            },
            "positions": {"type": "integer", "minimum": 1},
            "deadline": {
                "type": "string",
                "example": "2026-12-16T17:00",
                "description": "local time; a bare date when the notice states no "
                "hour (the end of that day)",
            },
            "apply": {
                "type": "string",
                "minLength": 1,
                "description": "how to apply, one short line",
            },
            "apply_parts": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    k: {"type": "string"} for k in ("email", "phone", "link", "office", "subject")
                },
            },
            "warnings": {
                "type": "array",
                "description": "each field not found (a default stands in) or guessed",
                "items": {
                    "type": "object",
                    "required": ["field", "code", "detail"],
                    "properties": {
                        "field": {"type": "string", "example": "deadline"},
                        "code": {"type": "string", "enum": ["not_found", "unsure", "passed"]},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
    "JobCreated": {
        "type": "object",
        "required": ["id", "code", "matched", "status"],
        "properties": {
            "id": {"type": "string", "example": "12"},
            "code": {"type": "string", "example": "J482"},
            "matched": _INT,
            "status": _ref("JobStatus"),
        },
    },
    "JobStatus": {
        "type": "string",
        "enum": ["draft", "scheduled", "published", "closed", "cancelled"],
    },
    "Job": {
        "type": "object",
        "required": [
            "id",
            "code",
            "status",
            "title",
            "organization",
            "organization_short",
            "category",
            "districts",
            "regions",
            "places",
            "positions",
            "deadline",
            "apply",
            "source_url",
            "created_at",
            "published_at",
            "scheduled_for",
        ],
        "properties": {
            "id": {"type": "string"},
            "code": {"type": "string"},
            "status": _ref("JobStatus"),
            "title": {"type": "string"},
            "organization": {"type": "string"},
            "organization_short": _nullable({"type": "string"}),
            "category": {"type": "string", "description": "category slug"},
            "districts": {"type": "array", "items": {"type": "string"}},
            "regions": {"type": "array", "items": {"type": "string"}},
            "places": {
                "type": "array",
                "items": {"type": "string"},
                "description": "names as shown in SMS",
            },
            "positions": {"type": "integer", "minimum": 1},
            "deadline": {"type": "string", "format": "date-time"},
            "apply": {"type": "object", "additionalProperties": {"type": "string"}},
            "source_url": _nullable({"type": "string"}),
            "created_at": _INT,
            "published_at": _nullable(_INT),
            "scheduled_for": _nullable(_INT),
        },
    },
    "JobList": {
        "type": "object",
        "required": ["jobs", "total"],
        "properties": {"jobs": {"type": "array", "items": _ref("Job")}, "total": _INT},
    },
    "JobStats": {
        "type": "object",
        "description": "Where a job's alerts are; cost is in SMS_CURRENCY.",
        "required": [
            "status",
            "code",
            "title",
            "matched",
            "queued",
            "sent",
            "delivered",
            "failed",
            "segments",
            "cost",
            "failures_by_reason",
            "skipped",
        ],
        "properties": {
            "status": _ref("JobStatus"),
            "code": {"type": "string"},
            "title": {"type": "string"},
            "matched": _INT,
            "queued": _INT,
            "sent": _INT,
            "delivered": _INT,
            "failed": _INT,
            "segments": _INT,
            "cost": {"type": "number", "minimum": 0},
            "failures_by_reason": {"type": "object", "additionalProperties": {"type": "integer"}},
            "skipped": _INT,
        },
    },
    "RelayDistricts": {
        "type": "object",
        "required": ["districts"],
        "properties": {
            "districts": {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": {"type": "string", "maxLength": 99},
                "description": "district or region names (a region means all its districts)",
                "example": ["Niono", "Ségou"],
            },
            "name": {
                "type": "string",
                "maxLength": 40,
                "example": "Awa Traoré",
                "description": "how the people it enrolls know the relay; named in the consent "
                "SMS (else the number, as 75 22 87 88). Omitted: unchanged",
            },
        },
    },
    "Relay": {
        "type": "object",
        "required": [
            "phone",
            "status",
            "districts",
            "asked",
            "enrolled",
            "refused",
            "expired",
            "consent_rate",
        ],
        "properties": {
            "phone": {"type": "string"},
            "name": {"type": "string", "description": "empty when the admin gave none"},
            "status": {"type": "string", "example": "active"},
            "districts": {"type": "array", "items": _NAMED},
            "asked": _INT,
            "enrolled": _INT,
            "refused": _INT,
            "expired": _INT,
            "consent_rate": _nullable({"type": "number", "minimum": 0}),
        },
    },
}

_ERROR = _ref("Error")
_401 = {"401": _json(_ERROR, "missing or wrong bearer token")}
_413 = {"413": _json(_ERROR, "request body over MAX_CONTENT_LENGTH (64 KiB by default)")}
_PHONE = {
    "name": "phone",
    "in": "path",
    "required": True,
    "description": "any form of a Malian mobile number: +22376123456, 76 12 34 56...",
    # Flask's <path:> converter matches neither a leading '/' nor a line break.
    "schema": {"type": "string", "pattern": "^[^/\\n][^\\n]*$", "example": "+22376123456"},
}
_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "description": "the job's id or its code (J482)",
    "schema": {"type": "string", "example": "J482"},
}


def _finish(summary: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_JOB_ID],
            "responses": {
                "200": _json(_ref("JobStats"), "the job's figures after the change"),
                "404": _json(_ERROR, "no job with this id or code"),
                "409": _json(_ERROR, "not possible in the job's state; fields say why"),
                **_401,
            },
        }
    }


PATHS: dict[str, Any] = {
    "/api/openapi.json": {
        "get": {
            "summary": "This description (no token needed)",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
        }
    },
    "/api/subscribers/{phone}": {
        "get": {
            "summary": "A subscriber, their language, status and subscriptions",
            "parameters": [_PHONE],
            "responses": {
                "200": _json(_ref("Subscriber"), "the subscriber"),
                "400": _json(_ERROR, "not a valid phone number"),
                "404": _json(_ERROR, "no subscriber with this phone"),
                **_401,
            },
        },
        "delete": {
            "summary": "Erase everything Baara holds about a number",
            "parameters": [_PHONE],
            "responses": {
                "204": {"description": "erased"},
                "400": _json(_ERROR, "not a valid phone number"),
                "404": _json(_ERROR, "no subscriber with this phone"),
                **_401,
            },
        },
    },
    "/api/jobs": {
        "post": {
            "summary": "Create a job (and publish it with publish: true)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NewJob")}},
            },
            "responses": {
                "201": _json(_ref("JobCreated"), "created"),
                "400": _json(_ERROR, "invalid; fields names each invalid field"),
                **_401,
                **_413,
            },
        },
        "get": {
            "summary": "Jobs, newest first",
            "parameters": [
                {"name": "offset", "in": "query", "schema": {**_INT, "default": 0}},
                {
                    "name": "limit",
                    "in": "query",
                    "description": "at most 200 are returned whatever is asked",
                    "schema": {**_INT, "default": 50},
                },
            ],
            "responses": {
                "200": _json(_ref("JobList"), "a page of jobs and the total"),
                "400": _json(_ERROR, "offset or limit not a whole number"),
                **_401,
            },
        },
    },
    "/api/jobs/extract": {
        "post": {
            "summary": "Read a pasted notice into job fields, with warnings; nothing is saved",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("NoticeText")}},
            },
            "responses": {
                "200": _json(_ref("ExtractedJob"), "the fields read, and what to check"),
                "400": _json(_ERROR, "no text, empty, too long or not a string: fields.text"),
                **_401,
                **_413,
            },
        }
    },
    "/api/jobs/{job_id}": {
        "get": {
            "summary": "Where a job's alerts are: matched, queued, sent, delivered, failed, cost",
            "parameters": [_JOB_ID],
            "responses": {
                "200": _json(_ref("JobStats"), "the job's figures"),
                "404": _json(_ERROR, "no job with this id or code"),
                **_401,
            },
        }
    },
    "/api/jobs/{job_id}/close": _finish("Close a job: it leaves OFFRES and INFO, sending stops"),
    "/api/jobs/{job_id}/cancel": _finish("Cancel a job: nothing more is sent for it"),
    "/api/jobs/{job_id}/publish": _finish("Publish a draft (now, or when quiet hours end)"),
    "/api/relays": {
        "get": {
            "summary": "Every relay with its districts and figures",
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["relays"],
                        "properties": {"relays": {"type": "array", "items": _ref("Relay")}},
                    },
                    "the relays",
                ),
                **_401,
            },
        }
    },
    "/api/relays/{phone}": {
        "put": {
            "summary": "Make a number a relay for these districts, or update them",
            "parameters": [_PHONE],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RelayDistricts")}},
            },
            "responses": {
                "200": _json(_ref("Relay"), "updated (a pending relay is approved)"),
                "201": _json(_ref("Relay"), "created"),
                "400": _json(_ERROR, "invalid phone or districts"),
                **_401,
                **_413,
            },
        },
        "delete": {
            "summary": "Stop a number being a relay (the people it enrolled keep their alerts)",
            "parameters": [_PHONE],
            "responses": {
                "204": {"description": "removed"},
                "400": _json(_ERROR, "not a valid phone number"),
                "404": _json(_ERROR, "no relay with this phone"),
                **_401,
            },
        },
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document of the JSON API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Baara JSON API",
            "version": "1",
            "description": "Subscribers, jobs and community relays of Baara, the SMS and USSD "
            "job-alert service. Every operation but this description needs "
            "`Authorization: Bearer <API_TOKEN>`.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": PATHS,
    }
