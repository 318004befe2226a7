"""Sending replies: each exactly once, and those sharing a text in one gateway request.

A reply is a record (alerts/sending/outbox.py), sent by the reply sender's threads
(alerts/sending/sender.py) or by its own RQ job (retries, REPLY_SENDER=job). Either way it goes:

1. its place under the first gateway's messages-per-second limit (AT_MAX_TPS, ORANGE_MAX_TPS) is
   taken before anything else: a reply waiting for room is not at the gateway yet, so the sweep
   cannot take a long wait for a dead sender, and a STOP sent meanwhile still holds it back;
2. a stopped number's reply is held back (STOP checked at send time), unless it is the STOP
   confirmation itself (`force`);
3. it is claimed (queued -> sending, once), so no other run sends it;
4. it is sent, and what the gateway said is recorded even through a Redis outage (else the
   sweep would take it for lost and send it again). Retryable refusals come back later as RQ
   jobs with backoff; the rest fail loudly.

Replies with the same text to several people go in one request where the gateway takes many
recipients (AT: a radio spot's burst mostly gets the same few answers); each keeps its own
record, message id, outcome and retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from alerts.domain.phones import mask
from alerts.domain.subscribers import StoppedBy
from alerts.gateways.base import GatewayError, PermanentGatewayError, SendResult, Status
from alerts.gateways.throttle import Kind, Throttle
from alerts.ops import metrics
from alerts.sending.outbox import enqueue_again
from alerts.services import STORE_AWAY, Services

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds before each retry of a reply the gateway could not take.
REPLY_BACKOFF = (5, 30, 120, 600, 1800, 3600)
#: Seconds a worker keeps trying to record a reply the gateway has taken while Redis is away;
#: under RQ's default job timeout (180 s). Past it the sweep may send that reply again.
RECORD_PATIENCE = 150.0

Reply = tuple[str, dict]  # (id, record)


@dataclass(frozen=True)
class Outcome:
    """What became of one reply; `error` is a refusal its RQ job must fail loudly with."""

    status: str
    error: GatewayError | None = None
    reason: str = ""


def send(services: Services, out_ids: Sequence[str]) -> dict[str, Outcome]:
    """Send these replies, each at most once, sharing requests by text; each one's outcome."""
    outcomes: dict[str, Outcome] = {}
    try:
        by_text: dict[str, list[Reply]] = {}
        for out_id, out in zip(out_ids, services.store.outgoing_records(out_ids), strict=True):
            if out is None or out.get("status") != "queued":
                # Already handled by an earlier run, erased, or expired.
                outcomes[out_id] = Outcome((out or {}).get("status") or "missing")
                continue
            by_text.setdefault(out["text"], []).append((out_id, out))
        for text, replies in by_text.items():
            for name, group in _by_gateway(services, replies).items():
                limit = services.gateway.throttle_of(name)
                # Under a limit, a group is one request: places taken for later requests of a
                # one-by-one gateway would be stale when they go (alerts/gateways/base.py).
                size = len(group)
                if limit is not None:
                    size = services.gateway.request_size(name, Kind.REPLY) or size
                for chunk in _distinct_phones(group, size):
                    outcomes.update(_send_group(services, text, name, limit, chunk))
        return outcomes
    finally:
        counts: dict[str, int] = {}
        for out_id in out_ids:
            status = outcomes[out_id].status if out_id in outcomes else "error"
            counts[status] = counts.get(status, 0) + 1
        for status, n in counts.items():
            metrics.count_with(services, "replies", n, status=status)


def _by_gateway(services: Services, replies: list[Reply]) -> dict[str, list[Reply]]:
    """The replies grouped by the gateway each tries first."""
    routes = services.gateway.reply_routes([out["phone"] for _, out in replies])
    groups: dict[str, list[Reply]] = {}
    for out_id, out in replies:
        groups.setdefault(routes[out["phone"]], []).append((out_id, out))
    return groups


def _distinct_phones(replies: list[Reply], size: int) -> list[list[Reply]]:
    """Requests of at most `size` replies, none with one number twice, in the order given."""
    chunks: list[list[Reply]] = []
    phones: list[set[str]] = []
    for reply in replies:
        phone = reply[1]["phone"]
        for chunk, seen in zip(chunks, phones, strict=True):
            if len(chunk) < size and phone not in seen:
                chunk.append(reply)
                seen.add(phone)
                break
        else:
            chunks.append([reply])
            phones.append({phone})
    return chunks


def _send_group(
    services: Services, text: str, gateway: str, limit: Throttle | None, group: list[Reply]
) -> dict[str, Outcome]:
    """One request's worth of replies of one text, first through `gateway` (module docstring)."""
    store = services.store
    counted_at = 0.0
    if limit is not None:
        limit.acquire(len(group), Kind.REPLY)
        counted_at = time.monotonic()
    outcomes: dict[str, Outcome] = {}
    live: list[Reply] = []
    held: list[tuple[str, dict[str, object]]] = []
    stopped = store.stopped_flags([out["phone"] for _, out in group])
    for (out_id, out), is_stopped in zip(group, stopped, strict=True):
        if is_stopped and out.get("force") != "1":
            held.append((out_id, {"status": "suppressed", "reason": "stopped"}))
            outcomes[out_id] = Outcome("suppressed")
        else:
            live.append((out_id, out))
    if held:
        store.record_sent_outgoings(held)
    claimed = store.claim_outgoings([out_id for out_id, _ in live])
    mine: list[Reply] = []
    for reply, ok in zip(live, claimed, strict=True):
        if ok:
            mine.append(reply)
        else:
            outcomes[reply[0]] = Outcome("claimed")
    if not mine:
        return outcomes
    # From here on the replies may have left: what the gateway said is recorded even if Redis
    # goes away meanwhile, else the sweep would take them for lost and send them again.
    error: GatewayError | None = None
    results: Sequence[SendResult]
    try:
        results = services.gateway.send_replies(
            text,
            {out["phone"]: gateway for _, out in mine},
            counted_on=gateway if limit is not None else None,
            counted_at=counted_at,
        )
    except GatewayError as exc:
        results, error = exc.results, exc
    outcomes.update(_record(services, mine, {r.phone: r for r in results}, error))
    return outcomes


def _record(
    services: Services,
    replies: list[Reply],
    results: dict[str, SendResult],
    error: GatewayError | None,
) -> dict[str, Outcome]:
    """Record what the gateway said about each claimed reply; retry the retryable."""
    store = services.store
    outcomes: dict[str, Outcome] = {}
    rows: list[tuple[str, dict[str, object]]] = []
    retries: list[tuple[str, int, int, str]] = []
    blacklisted: list[str] = []
    for out_id, out in replies:
        phone = out["phone"]
        attempts = int(out.get("attempts") or 0) + 1
        result = results.get(phone)
        retryable = result.retryable if result is not None else bool(error and error.retryable)
        failed = result is None or result.status is Status.FAILED
        reason = (result.reason or "") if result is not None else str(error)
        if failed and retryable and attempts <= len(REPLY_BACKOFF):
            retries.append((out_id, REPLY_BACKOFF[attempts - 1], attempts, reason))
            outcomes[out_id] = Outcome("retrying", reason=reason)
            continue
        fields: dict[str, object] = {"status": "failed", "attempts": attempts, "reason": reason}
        if result is None:
            # The request failed as a whole (configuration, or AT may have taken it): loudly.
            outcomes[out_id] = Outcome("failed", error=error, reason=reason)
        else:
            fields["status"] = result.status.value
            fields["gateway_id"] = result.message_id or ""
            refused = None
            if failed and not retryable:
                refused = PermanentGatewayError(f"reply refused by the gateway: {reason}")
            outcomes[out_id] = Outcome(result.status.value, error=refused, reason=reason)
            if result.blacklisted:
                blacklisted.append(phone)
        rows.append((out_id, fields))
    if rows:
        despite_outage(lambda: store.record_sent_outgoings(rows))
    for out_id, delay, attempts, reason in retries:
        despite_outage(
            partial(enqueue_again, services, out_id, delay=delay, attempts=attempts, reason=reason)
        )
        log.warning("reply %s deferred %ss: %s", out_id, delay, reason)
    for phone in blacklisted:
        despite_outage(partial(store.stop, phone, by=StoppedBy.OPERATOR))
        log.info("%s is blacklisted at the operator, stopped", mask(phone))
    return outcomes


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
