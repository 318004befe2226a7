"""Queue an SMS to one number: record it, keep it in the number's history, enqueue the send."""

from __future__ import annotations

from datetime import timedelta

from alerts.sending.enqueue import LAPSE_CONSENT, SEND_REPLY
from alerts.services import Services
from alerts.sms.relays import CONSENT_TTL


def queue_sms(
    services: Services, phone: str, text: str, *, kind: str = "reply", force: bool = False,
    out_id: str | None = None, only_once: bool = False,
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
    out_id = store.new_outgoing(phone, text, kind=kind, force=force, pipe=pipe,
                                  out_id=out_id)
    store.add_history(phone, "out", text, pipe=pipe)
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
        timedelta(seconds=CONSENT_TTL), LAPSE_CONSENT, request_id,
        job_id=f"consent-{request_id}",
    )
