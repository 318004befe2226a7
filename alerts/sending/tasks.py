"""RQ jobs. Jobs take ids, not objects; retry only what is retryable; fail the rest loudly."""

from __future__ import annotations

import logging

from rq import get_current_job

from alerts.jobs import lifecycle as jobs
from alerts.sending import fanout, replies, sweeper
from alerts.sending.outbox import queue_sms
from alerts.services import current_services
from alerts.sms import inbox, relays

log = logging.getLogger(__name__)


def send_reply(out_id: str) -> str:
    """Send one recorded reply, exactly once; a stopped number gets only its STOP confirmation."""
    outcome = replies.send(current_services(), [out_id])[out_id]
    if outcome.error is not None:
        job = get_current_job()
        if job is not None:
            job.meta["failure"] = outcome.reason
            job.save_meta()
        raise outcome.error
    return outcome.status


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
