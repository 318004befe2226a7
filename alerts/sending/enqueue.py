"""Asking for work without importing the workers.

Every RQ task is enqueued by its dotted path, named here once: the layers that ask for work
(jobs, the inbox, relays, the outbox) need not import `alerts.sending.tasks`, which imports them
to do the work, so there is no import cycle. RQ stores the same dotted path either way, and
`tests/test_layers.py` checks that each name is a function of `alerts.sending.tasks`.
"""

from __future__ import annotations

import secrets

from alerts.services import Services

SEND_REPLY = "alerts.sending.tasks.send_reply"
DRAIN_INBOX = "alerts.sending.tasks.drain_inbox"
LAPSE_CONSENT = "alerts.sending.tasks.lapse_consent"
RELAY_DIGEST = "alerts.sending.tasks.relay_digest"
PLAN_FANOUT = "alerts.sending.tasks.plan_fanout"
SEND_BATCH = "alerts.sending.tasks.send_batch"
PUBLISH_SCHEDULED = "alerts.sending.tasks.publish_scheduled"
SWEEP_FANOUTS = "alerts.sending.tasks.sweep_fanouts"
TASKS = (
    SEND_REPLY,
    DRAIN_INBOX,
    LAPSE_CONSENT,
    RELAY_DIGEST,
    PLAN_FANOUT,
    SEND_BATCH,
    PUBLISH_SCHEDULED,
    SWEEP_FANOUTS,
)

# A fan-out's RQ jobs keep their result an hour (its progress is read from `meta`).
RESULT_TTL = 3600


def rq_id(kind: str, job_id: str, n: int | str = "") -> str:
    """A fresh RQ job id for one step of a job's fan-out."""
    return (
        f"{kind}-{job_id}-{n}-{secrets.token_hex(4)}"
        if n != ""
        else (f"{kind}-{job_id}-{secrets.token_hex(4)}")
    )


def start_fanout(services: Services, job_id: str) -> bool:
    """Ask for a plan of this job's alerts; False when one is already pending or sending."""
    plan_id = rq_id("plan", job_id)
    if not services.store.fanout_request(job_id, plan_id):
        return False
    services.queue("alerts").enqueue(PLAN_FANOUT, job_id, job_id=plan_id, result_ttl=RESULT_TTL)
    return True
