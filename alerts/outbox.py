"""Queue an SMS to one number: record it, keep it in the number's history, enqueue the send."""

from __future__ import annotations

from alerts.services import Services


def queue_sms(
    services: Services, phone: str, text: str, *, kind: str = "reply", force: bool = False
) -> str:
    """Record an outgoing SMS and enqueue its sending; returns its id."""
    from alerts import tasks

    out_id = services.store.new_outgoing(phone, text, kind=kind, force=force)
    services.store.add_history(phone, "out", text)
    services.queue("replies").enqueue(tasks.send_reply, out_id, job_id=f"reply-{out_id}")
    return out_id


def schedule_consent_expiry(services: Services, phone: str, request_id: str) -> None:
    """Lapse a relay's consent request after 72 hours, telling the relay."""
    from datetime import timedelta

    from alerts import tasks
    from alerts.relays import CONSENT_TTL

    services.queue("default").enqueue_in(
        timedelta(seconds=CONSENT_TTL), tasks.expire_consent, phone, request_id,
        job_id=f"consent-{request_id}",
    )
