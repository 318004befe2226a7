"""The JSON API (bearer API_TOKEN): subscribers and jobs. Views stay thin."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from alerts.domain.errors import ErrorCode, FieldError, FieldErrors
from alerts.domain.phones import InvalidPhone, normalize
from alerts.extract import MAX_TEXT, extract
from alerts.extract.files import notice_text
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import app_places
from alerts.ops import erasure
from alerts.sending.outbox import queue_sms
from alerts.services import current_services
from alerts.sms import relays
from alerts.sms.relays import resolve_places
from alerts.store import current_store
from alerts.web import accounts
from alerts.web.auth import token_required
from alerts.web.openapi import document
from alerts.web.shapes import relay_json, subscriber_json
from messages.errors import english, english_all

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.errorhandler(HTTPException)
def _json_error(exc: HTTPException):
    return jsonify({"error": exc.name, "detail": exc.description}), exc.code


def _phone_or_400(raw: str) -> str:
    try:
        return normalize(raw)
    except InvalidPhone as exc:
        abort(400, description=f"phone: {english(exc.error)}")


@bp.get("/subscribers/<path:phone>")
@token_required
def get_subscriber(phone: str):
    """A subscriber, their language, status and subscriptions."""
    sub = current_store().get_subscriber(_phone_or_400(phone))
    if sub is None:
        return jsonify({"error": "Not Found", "detail": "no subscriber with this phone"}), 404
    return jsonify(subscriber_json(sub))


@bp.delete("/subscribers/<path:phone>")
@token_required
def delete_subscriber(phone: str):
    """Erase everything Baara holds about a number, wherever it is written (ops/erasure.py)."""
    services = current_services()
    erased = erasure.erase(services, _phone_or_400(phone))
    if not erased.existed:
        return jsonify({"error": "Not Found", "detail": "no subscriber with this phone"}), 404
    accounts.audit(
        services.store, "api", "subscriber_erased", request.remote_addr or "", phone=erased.token
    )
    return "", 204


# -- jobs -----------------------------------------------------------------------------------


def _job_body():
    """The JSON object of the request, or a 400 naming "body"."""

    try:
        payload = json.loads(request.get_data(cache=True) or b"")
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        return None, _fields_400({"body": FieldError("body", ErrorCode.NOT_JSON_OBJECT)})
    return payload, None


def _fields_400(errors: FieldErrors):
    """400 naming each refused field, worded in English."""
    return jsonify({"error": "Bad Request", "fields": english_all(errors)}), 400


def _job_or_404(job_id: str):
    job = jobs.get_job(job_id[:40], services=current_services())
    if job is None:
        abort(404, description="no job with this id or code")
    return job


@bp.post("/jobs")
@token_required
def post_job():
    """Create a job (and publish it with "publish": true): 201 {id, code, matched, status}."""

    payload, problem = _job_body()
    if problem is not None:
        return problem
    services = current_services()
    job, errors = jobs.create_job(services, payload, created_by="api")
    if job is None or errors:
        return _fields_400(errors)
    stats = jobs.job_stats(services, job.id)
    return (
        jsonify(
            {"id": job.id, "code": job.code, "matched": stats["matched"], "status": stats["status"]}
        ),
        201,
    )


@bp.post("/jobs/extract")
@token_required
def extract_job():
    """Read a pasted notice into job fields (nothing saved): 200 {fields..., warnings}."""
    payload, problem = _job_body()
    if problem is not None:
        return problem
    text, error = notice_text(payload.get("text"), MAX_TEXT)
    if error:
        return _fields_400({"text": error})
    tz = current_services().settings.zone
    ref = current_app.extensions["baara.reference"]
    found = extract(text, tz=tz, now=datetime.now(UTC), reference=ref)
    return jsonify(found.to_json(ref))


@bp.get("/jobs")
@token_required
def list_jobs():
    """Jobs, newest first (?offset=, ?limit= up to 200)."""

    offset = request.args.get("offset", "0")
    limit = request.args.get("limit", "50")
    if not offset.isdigit() or not limit.isdigit() or len(offset) > 9 or len(limit) > 9:
        return _fields_400({"offset": FieldError("offset", ErrorCode.PAGING_NOT_NUMBERS)})
    services = current_services()
    ref = current_app.extensions["baara.reference"]
    tz = services.settings.zone
    found = jobs.list_jobs(services=services, offset=int(offset), limit=min(int(limit), 200))
    return jsonify(
        {"jobs": [j.to_json(ref, tz) for j in found], "total": services.store.count_jobs()}
    )


@bp.get("/jobs/<job_id>")
@token_required
def get_job(job_id: str):
    """Where a job's alerts are: status, matched, queued, sent, delivered, failed, cost."""

    job = _job_or_404(job_id)
    return jsonify(jobs.job_stats(current_services(), job.id))


def _finish_job(job_id: str, action: str):
    job = _job_or_404(job_id)
    services = current_services()
    job, errors = getattr(jobs, action)(services, job.id)
    if errors:
        return jsonify({"error": "Conflict", "fields": english_all(errors)}), 409
    return jsonify(jobs.job_stats(services, job.id))


@bp.post("/jobs/<job_id>/close")
@token_required
def close_job(job_id: str):
    """Close a job: it leaves OFFRES and INFO, and any sending still under way stops."""
    return _finish_job(job_id, "close")


@bp.post("/jobs/<job_id>/cancel")
@token_required
def cancel_job(job_id: str):
    """Cancel a job: nothing more is sent for it."""
    return _finish_job(job_id, "cancel")


@bp.post("/jobs/<job_id>/publish")
@token_required
def publish_job(job_id: str):
    """Publish a draft (alerts leave now, or when quiet hours end)."""

    job = _job_or_404(job_id)
    services = current_services()
    _, errors = jobs.publish(services, job.id)
    if errors:
        return jsonify({"error": "Conflict", "fields": english_all(errors)}), 409
    return jsonify(jobs.job_stats(services, job.id))


# -- community relays -------------------------------------------------------------------------


#: A relay's name goes into the consent SMS: short enough to keep it within two segments.
RELAY_NAME_MAX = 40


def resolve_districts(names: object) -> tuple[list[str], FieldError | None]:
    """District slugs from names, slugs or whole regions; or an error naming the bad one."""
    ref = current_app.extensions["baara.reference"]
    return resolve_places(names, ref, app_places(ref))


@bp.get("/relays")
@token_required
def list_relays():
    """Every relay with its districts and figures."""
    return jsonify({"relays": [relay_json(r) for r in current_store().relays()]})


@bp.put("/relays/<path:phone>")
@token_required
def put_relay(phone: str):
    """Make a number a relay for these districts, or update them (approves a pending one)."""

    number = _phone_or_400(phone)
    payload, problem = _job_body()
    if problem:
        return problem
    districts, error = resolve_districts(payload.get("districts"))
    if error:
        return _fields_400({"districts": error})
    name = payload.get("name")
    if name is not None and not isinstance(name, str):
        return _fields_400({"name": FieldError("name", ErrorCode.NOT_TEXT)})
    if isinstance(name, str) and len(name.strip()) > RELAY_NAME_MAX:
        return _fields_400(
            {"name": FieldError("name", ErrorCode.TOO_LONG, {"max": RELAY_NAME_MAX})}
        )
    services = current_services()
    existed = services.store.get_relay(number) is not None
    out = relays.approve(
        services.store,
        current_app.extensions["baara.reference"],
        number,
        districts,
        name=name.strip() if isinstance(name, str) else None,
    )
    for target, text, force in out.messages:
        queue_sms(services, target, text, kind="relay", force=force)
    relay = services.store.get_relay(number)
    assert relay is not None  # approve() has just written it
    return jsonify(relay_json(relay)), 200 if existed else 201


@bp.delete("/relays/<path:phone>")
@token_required
def delete_relay(phone: str):
    """Stop a number being a relay (the people it enrolled keep their alerts)."""
    if not current_store().delete_relay(_phone_or_400(phone)):
        abort(404, description="no relay with this phone")
    return "", 204


# -- description ------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI description of this API (public: it holds no data)."""

    return jsonify(document())
