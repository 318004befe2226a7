"""RQ jobs. Jobs take ids, not objects; retry only what is retryable; fail the rest loudly."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from rq import get_current_job

from alerts.domain.phones import mask
from alerts.domain.subscribers import StoppedBy
from alerts.gateways.base import GatewayError, PermanentGatewayError, Status
from alerts.gateways.throttle import Kind
from alerts.jobs import lifecycle as jobs
from alerts.ops import metrics
from alerts.sending import fanout, sweeper
from alerts.sending.outbox import enqueue_again, queue_sms
from alerts.services import STORE_AWAY, Services, current_services
from alerts.sms import inbox, relays

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds before each retry of a reply the gateway could not take.
REPLY_BACKOFF = (5, 30, 120, 600, 1800, 3600)
#: Seconds a worker keeps trying to record a reply the gateway has taken while Redis is away;
#: under RQ's default job timeout (180 s). Past it the sweep may send that reply again.
RECORD_PATIENCE = 150.0


def send_reply(out_id: str) -> str:
    """Send one recorded reply, exactly once; a stopped number gets only its STOP confirmation."""

    status = "error"
    try:
        status = _send_reply(out_id)
        return status
    finally:
        metrics.count("replies", status=status)


def _send_reply(out_id: str) -> str:
    services = current_services()
    store = services.store
    out = store.get_outgoing(out_id)
    if out is None:
        return "missing"
    if out["status"] not in ("queued",):
        return out["status"]  # already handled by an earlier run of this job
    phone = out["phone"]
    limit = services.gateway.throttle
    if limit is not None:
        # Before STOP is checked and the reply claimed: a reply waiting for its place under
        # AT_MAX_TPS is not at the gateway yet (the sweep must not take a long wait for a dead
        # sender), and a STOP sent meanwhile still holds it back.
        limit.acquire(1, Kind.REPLY)
    if out.get("force") != "1":
        sub = store.get_subscriber(phone)
        if sub is not None and not sub.active:
            store.update_outgoing(out_id, status="suppressed", reason="stopped")
            return "suppressed"
    if not store.claim_outgoing(out_id):
        return "claimed"
    attempts = int(out.get("attempts", 0)) + 1
    # From here on the reply may have left: what the gateway said is recorded even if Redis
    # goes away meanwhile, else the sweep would take the reply for lost and send it again.
    try:
        result = services.gateway.send_one(out["text"], phone, counted=limit is not None)
    except GatewayError as exc:
        why = str(exc)
        if exc.retryable and attempts <= len(REPLY_BACKOFF):
            delay = REPLY_BACKOFF[attempts - 1]
            despite_outage(
                lambda: enqueue_again(services, out_id, delay=delay, attempts=attempts, reason=why)
            )
            log.warning("reply to %s deferred %ss: %s", mask(phone), delay, why)
            return "retrying"
        despite_outage(
            lambda: store.update_outgoing(out_id, status="failed", attempts=attempts, reason=why)
        )
        raise
    if result.status is Status.FAILED and result.retryable and attempts <= len(REPLY_BACKOFF):
        delay = REPLY_BACKOFF[attempts - 1]
        despite_outage(
            lambda: enqueue_again(
                services, out_id, delay=delay, attempts=attempts, reason=result.reason
            )
        )
        return "retrying"
    despite_outage(lambda: _record_reply(services, out_id, phone, attempts, result))
    if result.status is Status.FAILED:
        job = get_current_job()
        if job is not None:
            job.meta["failure"] = result.reason
            job.save_meta()
        if not result.retryable:
            raise PermanentGatewayError(f"reply refused by the gateway: {result.reason}")
    return result.status.value


def _record_reply(services: Services, out_id: str, phone: str, attempts: int, result) -> None:
    """Record what the gateway said about a reply (idempotent, so it may be run again)."""
    store = services.store
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
        store.stop(phone, by=StoppedBy.OPERATOR)


def despite_outage(write: Callable[[], T]) -> T:
    """Run a Redis write, waiting through an outage of up to RECORD_PATIENCE seconds."""
    deadline = time.monotonic() + RECORD_PATIENCE
    delay = 0.2
    while True:
        try:
            return write()
        except STORE_AWAY as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("Redis unreachable (%s); the record is written when it is back", exc)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def drain_inbox(token: str) -> int:
    """Handle the inbound SMS waiting in the inbox (alerts/sms/inbox.py), holding its lease."""

    return inbox.drain(current_services(), token)


# -- community relays ------------------------------------------------------------------------


def lapse_consent(request_id: str) -> int:
    """72 hours after a relay's request: lapse it if unanswered and tell the relay.

    Takes the request's id, never the number: a queued job's arguments must hold nothing that
    an erasure would have to find (the id leads to the number while the request is kept).
    """

    services = current_services()
    phone = services.store.consent_target(request_id)
    if phone is None:  # answered, erased, or expired meanwhile
        return 0
    out = relays.expire(services.store, phone, request_id)
    for target, text, force in out.messages:
        queue_sms(services, target, text, kind="relay", force=force)
    return len(out.messages)


def expire_consent(phone: str, request_id: str) -> int:
    """The same as lapse_consent, for jobs queued with the number by an earlier release."""
    del phone  # the request id is enough; kept only so those jobs still run
    return lapse_consent(request_id)


def relay_digest() -> int:
    """The weekly digest to every approved relay with open jobs in its districts; reschedules."""

    services = current_services()
    sent = 0
    for phone, text in relays.digests(services):
        queue_sms(services, phone, text, kind="digest")
        sent += 1
    relays.schedule_digest(services, after_run=True)
    return sent


# -- alert fan-out --------------------------------------------------------------------------
# Thin entry points; the logic and its exactly-once guarantee are in alerts/sending/fanout.py.


def plan_fanout(job_id: str) -> dict:
    """Match a published job's subscribers, store the batches, enqueue one job per batch."""

    return fanout.plan(current_services(), job_id)


def send_batch(job_id: str, batch_no: int) -> dict:
    """Send one batch of a job's alerts (each recipient at most once)."""

    return fanout.send_batch(current_services(), job_id, batch_no)


def publish_scheduled(job_id: str) -> str:
    """Publish a job held back by quiet hours (unless it was cancelled or closed meanwhile)."""

    services = current_services()
    job = jobs.get_job(job_id, services=services)
    if job is None or job.status is not jobs.JobStatus.SCHEDULED:
        return "skipped"
    job, errors = jobs.publish(services, job_id)
    if errors:
        log.warning("job %s not published at the end of quiet hours: %s", job_id, errors)
        return "refused"
    return job.status.value if job else "missing"


def sweep_fanouts() -> dict:
    """Re-enqueue lost fan-out batches and planners now (workers also do it on their own)."""

    return sweeper.sweep(current_services(), force=True)
