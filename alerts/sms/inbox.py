"""The inbound SMS inbox: the webhook accepts, the worker understands and answers.

Africa's Talking wants a quick 200, and a burst of texts (a radio spot, a relay's meeting)
must not slow the webhook down. So `/sms/incoming` does one Redis round trip
(`Store.accept_sms`: de-duplicate by AT id, flood control, append to the inbox, metrics) and
answers; everything else (parsing, the subscriber's record, the reply) happens in an RQ job,
`tasks.drain_inbox`, that empties the inbox in arrival order.

One drainer at a time holds a lease (`inbox:sms:lease`, its RQ job id). The webhook that finds
no lease takes it and enqueues the drainer; under load the running drainer keeps it and no
enqueue is needed. The drainer gives the lease up atomically with finding the inbox empty, so a
message is never left without a drainer; if a drainer dies, its lease expires and the worker's
sweep (or the next message) starts another, which first puts the dead one's half-done item back.
An item is removed from `inbox:sms:busy` only once handled: an acknowledged message is never lost.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from hashlib import blake2b

from flask import current_app

from alerts.domain.phones import mask
from alerts.jobs.lifecycle import app_places
from alerts.ops import metrics
from alerts.sending import fanout
from alerts.sending.enqueue import DRAIN_INBOX
from alerts.sending.outbox import queue_sms, schedule_consent_expiry, sweep_interval
from alerts.services import Services, StoreError, rq_job_waiting
from alerts.sms import abuse
from alerts.sms.commands import Intent, urgent
from alerts.sms.conversation import respond
from alerts.store import VERDICTS
from messages import sms as texts

log = logging.getLogger(__name__)

#: Seconds a drainer's lease lasts without news from it (renewed at every message).
LEASE_SECONDS = 60
#: A drainer hands over to a fresh RQ job after this many messages or seconds, so the replies
#: and alert batches queued meanwhile get their turn on the same worker.
DRAIN_MESSAGES = 500
DRAIN_SECONDS = 5.0
#: Items a drainer takes from the inbox in one round trip (and marks handled in one more).
TAKE_AT_ONCE = 20
#: Characters of an inbound text kept; AT concatenates at most 3 segments (3 x 153 = 459).
TEXT_KEEP = 480
#: STOPs and STARTs a number may send past flood control per cool-down. A person needs one;
#: the bound keeps "STOP NIONO" floods and STOP/START ping-pong from buying replies.
URGENT_CAPS = {Intent.STOP: 10, Intent.START: 3}


class NotReplicated(StoreError):
    """An accepted SMS is not yet held by a replica (the webhook answers 503)."""


#: The metric field each verdict of `Store.accept_sms` counts under.
METRIC_FIELDS = {v: metrics.field("sms_inbound", verdict=v) for v in VERDICTS}


def accept(services: Services, phone: str, at_id: str, text: str) -> str:
    """The webhook's part: one round trip, plus an enqueue when no drainer is running."""
    settings = services.settings
    store = services.store
    token = f"inbox-{secrets.token_hex(8)}"
    item = json.dumps(
        {"id": at_id, "phone": phone, "text": text[:TEXT_KEEP], "at": store.now()},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # STOP and START are never swallowed by flood control (misspelt ones included).
    asks = urgent(text)
    wait_ms = settings.redis_replica_wait_ms
    verdict, wanted, replicated = store.accept_sms(
        phone,
        at_id,
        item,
        limit=settings.sms_rate_limit,
        window=abuse.WINDOW,
        cooldown=settings.sms_cooldown,
        lease_token=token,
        lease_ttl=LEASE_SECONDS,
        metric_fields=METRIC_FIELDS,
        urgent=asks.value if asks else "",
        urgent_cap=URGENT_CAPS.get(asks, 0) if asks else 0,
        wait_ms=wait_ms if wait_ms and store.has_replica() else 0,
    )
    if wanted:
        start_drainer(services, token)
    if not replicated and store.has_replica(max_age=0):
        # On the primary only: were it to die now, its replica would not know the message.
        # 503 makes AT send it again; the AT id makes the second one a duplicate, not a copy.
        # (A primary that has just lost its replicas, as after a failover, has nothing to wait
        # for: then the write is as safe as it gets.)
        raise NotReplicated(f"inbound SMS not on a replica within {wait_ms} ms")
    return verdict


def start_drainer(services: Services, token: str) -> None:
    """Enqueue the drainer job whose id is the lease token just taken."""

    services.queue("replies").enqueue(
        DRAIN_INBOX,
        token,
        job_id=token,
        result_ttl=0,
        failure_ttl=7 * 24 * 3600,
    )


def drain(services: Services, token: str) -> int:
    """Handle inbox items in order while holding the lease; returns how many were handled."""
    store = services.store
    store.requeue_busy(token)
    handled = 0
    started = time.monotonic()
    while True:
        if handled >= DRAIN_MESSAGES or time.monotonic() - started >= DRAIN_SECONDS:
            successor = f"inbox-{secrets.token_hex(8)}"
            if store.hand_over_lease(token, successor, LEASE_SECONDS):
                start_drainer(services, successor)
            return handled
        state, items = store.take_inbound_items(token, LEASE_SECONDS, TAKE_AT_ONCE)
        if not items:
            if state == "lost":
                log.warning("inbox drainer %s lost its lease", token)
            return handled
        done: list[str] = []
        try:
            for raw in items:
                try:
                    handle(services, raw)
                except StoreError:
                    # Storage trouble: leave the item in busy; the next drainer takes it up again.
                    raise
                except Exception:
                    # A message we cannot handle must not block everyone behind it: aside.
                    log.exception("inbound SMS could not be handled; kept in inbox:sms:dead")
                    metrics.count("sms_inbound", verdict="failed")
                    store.finish_inbound(raw, dead=True)
                else:
                    done.append(raw)
                handled += 1
        finally:
            # Those handled leave busy together (one round trip); if Redis is away, the next
            # drainer handles them again, marked 'again': their replies still go once.
            if done:
                store.finish_inbound_items(done)


def handle(services: Services, raw: str) -> None:
    """Understand one accepted message and queue its answer (and any relay messages)."""
    verdict, _, body = raw.partition("|")
    again = verdict == "again"
    if again:
        verdict, _, body = body.partition("|")
    message = json.loads(body)
    phone, text = message["phone"], message["text"]
    store = services.store
    ctx = store.conversation_context(phone)
    # Reply ids come from the AT id: a message handled again after a crash answers only once.
    stem = f"{message['at']:x}{blake2b(message['id'].encode(), digest_size=6).hexdigest()}"
    if verdict == "warn":
        lang = ctx.subscriber.language.value if ctx.subscriber else "fr"
        queue_sms(services, phone, texts.too_many(lang), out_id=f"{stem}w", only_once=again)
        return
    store.add_history(phone, "in", text, at=message["at"])
    ref = current_app.extensions["baara.reference"]
    reply = respond(store, app_places(ref), ref, phone, text, known=ctx)
    if reply is None:
        return
    if reply.text:
        queue_sms(
            services, phone, reply.text, force=reply.force, out_id=f"{stem}r", only_once=again
        )
    for n, (other, other_text, force) in enumerate(reply.others):
        queue_sms(
            services,
            other,
            other_text,
            kind="relay",
            force=force,
            out_id=f"{stem}o{n}",
            only_once=again,
        )
    if reply.expire_consent:
        _target, request_id = reply.expire_consent
        schedule_consent_expiry(services, request_id)
    log.debug("handled an SMS from %s", mask(phone))


def sweep(services: Services) -> dict[str, int]:
    """Start a drainer when messages wait and no live drainer holds the lease.

    The lease names the drainer's RQ job. When that job is neither waiting nor running (a
    worker took it off the queue and lost Redis, or died) the lease would hold the inbox for
    up to LEASE_SECONDS more; two looks a sweep interval apart hand it to a new drainer at once.
    """
    store = services.store
    token = f"inbox-{secrets.token_hex(8)}"
    if store.claim_idle_inbox(token, LEASE_SECONDS):
        start_drainer(services, token)
        return {"inbox_drainers": 1}
    interval = sweep_interval(services.settings)
    if not store.sweep_due(interval, "inbox"):
        return {}
    holder = store.inbox_lease_holder()
    lease = fanout.lease_seconds(services.settings)
    if (
        holder is None
        or rq_job_waiting(services, "replies", holder, lease, store.now())
        or not store.suspect_drainer(holder, int(interval * 3) + 1)
    ):
        return {}
    if not store.hand_over_lease(holder, token, LEASE_SECONDS):
        return {}
    log.warning("inbox drainer %s was lost; %s takes over", holder, token)
    start_drainer(services, token)
    return {"inbox_drainers": 1}


def release(services: Services, token: str) -> bool:
    """Let go of the drainer lease held by `token` (a drainer job that will not go on)."""
    return services.store.release_inbox_lease(token)
