"""GET /healthz: Redis, queue and SMS inbox depths, the last worker heartbeat."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, jsonify
from rq import Worker

from alerts.gateways.routing import parse_gateways
from alerts.services import StoreError, current_services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with details when Redis answers, 503 otherwise."""
    services = current_services()
    try:
        services.rq_redis.ping()
        depths = {q.name: q.count for q in services.queues.values()}
        inbox = services.store.inbox_depths()
        workers = Worker.all(connection=services.rq_redis)
        gateways = services.store.gateway_figures(parse_gateways(services.settings.gateways))
    except StoreError as exc:
        body = {"status": "error", "redis": f"down: {type(exc).__name__}"}
        return jsonify(body), 503
    beats = [w.last_heartbeat for w in workers if w.last_heartbeat]
    last = max(beats) if beats else None
    age = (datetime.now(UTC) - last.replace(tzinfo=UTC)).total_seconds() if last else None
    return jsonify(
        {
            "status": "ok",
            "redis": "ok",
            "queues": depths,
            "sms_inbox": inbox,
            # Each gateway of GATEWAYS: "down" while its circuit breaker cools down.
            "gateways": {name: row["state"] for name, row in gateways.items()},
            "workers": len(workers),
            "last_worker_heartbeat": last.replace(tzinfo=UTC).isoformat() if last else None,
            "worker_heartbeat_age_seconds": round(age, 1) if age is not None else None,
        }
    )
