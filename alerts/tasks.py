"""RQ jobs. Jobs take ids, not objects; retry only what is retryable; fail the rest loudly."""

from __future__ import annotations

import logging
from datetime import timedelta

from rq import get_current_job

from alerts.gateway import GatewayError, PermanentGatewayError, Status
from alerts.phones import mask
from alerts.services import current_services

log = logging.getLogger(__name__)

#: Seconds before each retry of a reply the gateway could not take.
REPLY_BACKOFF = (5, 30, 120, 600, 1800, 3600)


def send_reply(out_id: str) -> str:
    """Send one recorded reply, exactly once; a stopped number gets only its STOP confirmation."""
    services = current_services()
    store = services.store
    out = store.get_outgoing(out_id)
    if out is None:
        return "missing"
    if out["status"] not in ("queued",):
        return out["status"]  # already handled by an earlier run of this job
    phone = out["phone"]
    if out.get("force") != "1":
        sub = store.get_subscriber(phone)
        if sub is not None and not sub.active:
            store.update_outgoing(out_id, status="suppressed", reason="stopped")
            return "suppressed"
    if not store.claim_outgoing(out_id):
        return "claimed"
    attempts = int(out.get("attempts", 0)) + 1
    try:
        result = services.gateway.send_one(out["text"], phone)
    except GatewayError as exc:
        if exc.retryable and attempts <= len(REPLY_BACKOFF):
            store.update_outgoing(out_id, status="queued", attempts=attempts, reason=str(exc))
            delay = REPLY_BACKOFF[attempts - 1]
            services.queue("replies").enqueue_in(timedelta(seconds=delay), send_reply, out_id)
            log.warning("reply to %s deferred %ss: %s", mask(phone), delay, exc)
            return "retrying"
        store.update_outgoing(out_id, status="failed", attempts=attempts, reason=str(exc))
        raise
    if result.status is Status.FAILED and result.retryable and attempts <= len(REPLY_BACKOFF):
        store.update_outgoing(out_id, status="queued", attempts=attempts, reason=result.reason)
        delay = REPLY_BACKOFF[attempts - 1]
        services.queue("replies").enqueue_in(timedelta(seconds=delay), send_reply, out_id)
        return "retrying"
    store.update_outgoing(
        out_id,
        status=result.status.value,
        attempts=attempts,
        reason=result.reason or "",
        gateway_id=result.message_id or "",
    )
    if result.message_id:
        store.link_gateway_id(result.message_id, f"out:{out_id}")
    if result.blacklisted:
        from alerts.store import StoppedBy

        store.stop(phone, by=StoppedBy.OPERATOR)
    if result.status is Status.FAILED:
        job = get_current_job()
        if job is not None:
            job.meta["failure"] = result.reason
            job.save_meta()
        if not result.retryable:
            raise PermanentGatewayError(f"reply refused by the gateway: {result.reason}")
    return result.status.value
