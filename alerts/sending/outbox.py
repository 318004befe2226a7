"""Queue an SMS to one number: record it, keep it in the number's history, enqueue the send.

Why a reply sweep
-----------------
A reply's RQ job can vanish while its record says it is still to send: a worker took it off
the queue and then lost Redis (RQ would mark it failed a minute later, at its ten-minute
maintenance, and never run it again), a worker died between claiming a reply and recording what
the gateway said, or the scheduler was down when a retry fell due. So every reply not sent yet is
listed in `out:pending` by when it is due, and `sweep()` (run from every worker's loop, at most
once per interval across workers) looks at those overdue by more than an interval: a queued reply
whose RQ job is neither waiting nor running, or one stuck in 'sending' since before the lease,
is enqueued again under a fresh RQ id once two looks an interval apart agree. `claim_outgoing`
still lets exactly one run send it; only a worker killed during its gateway request (AT may have
taken it) makes a reply go twice, as with alert batches.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from alerts.sending import fanout
from alerts.sending.enqueue import LAPSE_CONSENT, SEND_REPLY
from alerts.services import Services, rq_job_waiting, unschedule
from alerts.sms.relays import CONSENT_TTL
from config.settings import Settings

log = logging.getLogger(__name__)

#: How many overdue replies one sweep looks at.
SWEEP_BATCH = 500
#: A reply's `rq` field when the reply sender (alerts/sending/sender.py) sends it, not an RQ job.
POOL = "pool"


def pooled(services: Services) -> bool:
    """Whether replies go through the reply sender (REPLY_SENDER=pool, with a real queue)."""
    return services.settings.reply_sender == POOL and services.queue("replies").is_async


def queue_sms(
    services: Services,
    phone: str,
    text: str,
    *,
    kind: str = "reply",
    force: bool = False,
    out_id: str | None = None,
    only_once: bool = False,
) -> str:
    """Record an outgoing SMS and enqueue its sending; returns its id.

    With `only_once`, an SMS already recorded under `out_id` is left alone (an inbound message
    handled again after a crash must not answer twice).
    """

    store = services.store
    if only_once and out_id and store.get_outgoing(out_id) is not None:
        return out_id
    queue = services.queue("replies")
    if not queue.is_async:
        # Inline RQ runs the job during enqueue, so the record must already be in Redis.
        out_id = store.new_outgoing(phone, text, kind=kind, force=force, out_id=out_id)
        store.add_history(phone, "out", text)
        queue.enqueue(SEND_REPLY, out_id, job_id=f"reply-{out_id}", result_ttl=0)
        return out_id
    # One round trip: record, history and job in a MULTI on RQ's (non-decoding) connection.
    pipe = services.rq_redis.pipeline()
    pipe.multi()
    by_sender = pooled(services)
    out_id = store.new_outgoing(
        phone,
        text,
        kind=kind,
        force=force,
        pipe=pipe,
        out_id=out_id,
        rq=POOL if by_sender else None,
    )
    store.add_history(phone, "out", text, pipe=pipe)
    if by_sender:
        # The reply sender's threads take it from the pending list (alerts/sending/sender.py),
        # in the order written: two replies to one number leave in that order.
        pipe.execute()
        return out_id
    # Nobody reads a reply's result: result_ttl=0 drops the finished job at once (failures
    # are still kept for failure_ttl).
    queue.enqueue_call(
        SEND_REPLY, args=(out_id,), job_id=f"reply-{out_id}", result_ttl=0, pipeline=pipe
    )
    pipe.execute()
    return out_id


def schedule_consent_expiry(services: Services, request_id: str) -> None:
    """Lapse a relay's consent request after 72 hours, telling the relay (the job holds the
    request id only, never the number)."""

    services.queue("default").enqueue_in(
        timedelta(seconds=CONSENT_TTL),
        LAPSE_CONSENT,
        request_id,
        job_id=f"consent-{request_id}",
    )


def enqueue_again(
    services: Services,
    out_id: str,
    *,
    delay: float = 0,
    attempts: int | None = None,
    **fields: object,
) -> str:
    """Enqueue a reply's sending again under a fresh RQ id (after `delay` seconds); the id."""
    rq_id = f"reply-{out_id}-{secrets.token_hex(4)}"
    store = services.store
    if attempts is not None:
        fields["attempts"] = attempts
    # Recorded first: if Redis goes before the enqueue, the sweep finds a queued reply whose
    # RQ job never existed, and enqueues it once more.
    store.update_outgoing(out_id, due=store.now() + delay, status="queued", rq=rq_id, **fields)
    queue = services.queue("replies")
    if delay > 0:
        queue.enqueue_in(timedelta(seconds=delay), SEND_REPLY, out_id, job_id=rq_id, result_ttl=0)
    else:
        queue.enqueue(SEND_REPLY, out_id, job_id=rq_id, result_ttl=0)
    return rq_id


def sweep_interval(settings: Settings) -> float:
    """How often some worker looks for lost replies (and a lost inbox drainer): at most 3 s,
    so that the answers to SMS accepted before an outage or failover follow within seconds."""
    return min(fanout.sweep_interval(settings), 3.0)


def sweep(services: Services, *, now: float | None = None, force: bool = False) -> dict[str, int]:
    """Enqueue again the replies whose RQ job vanished (module docstring); what it did."""
    store = services.store
    interval = sweep_interval(services.settings)
    if not force and not store.sweep_due(interval, "out"):
        return {}
    now = store.now() if now is None else now
    lease = fanout.lease_seconds(services.settings)
    swept = 0
    # Overdue by a sweep interval: a healthy reply leaves within a second of falling due.
    for out_id in store.overdue_outgoing(now - interval, SWEEP_BATCH):
        out = store.get_outgoing(out_id)
        status = (out or {}).get("status")
        if out is None or status not in ("queued", "sending"):
            store.forget_pending_outgoing(out_id)  # erased, expired, or sent meanwhile
            continue
        rq_id = out.get("rq") or f"reply-{out_id}"
        if status == "queued" and rq_id == POOL and pooled(services):
            continue  # every worker's sender thread looks for it (alerts/sending/sender.py)
        if status == "queued" and rq_job_waiting(services, "replies", rq_id, lease, now):
            continue
        if status == "sending" and int(out.get("claimed") or 0) > now - lease:
            continue  # a worker is at the gateway right now
        if not store.suspect_outgoing(out_id, f"{status}|{rq_id}", int(interval * 3) + 1):
            continue  # look again next time: it may be starting right now
        if status == "sending" and not store.reclaim_outgoing(out_id, int(now - lease)):
            continue
        unschedule(services, "replies", rq_id)
        enqueue_again(services, out_id)
        log.warning("reply %s: its RQ job was lost (%s), enqueued again", out_id, status)
        swept += 1
    return {"replies": swept} if swept else {}
