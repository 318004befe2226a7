"""The reply sender: many replies in flight at once, one sender for the whole deployment.

With REPLY_SENDER=pool (the default) a reply is not an RQ job of its own. `queue_sms` records
it (listed in `out:pending` by when it is due, as before, marked `rq=pool`). Every worker
process runs a sender thread (`serve`) beside its RQ loop; the one holding the lease
`out:sender` drains the due replies through a pool of REPLY_CONCURRENCY threads, each with its
own keep-alive session to the gateway, while the others wait for the lease. Due replies with the
same text go together, up to REPLY_GROUP in one request where the gateway takes many recipients
(alerts/sending/replies.py: STOP checked at send time, each reply claimed so that only one run
sends it, retries with backoff as RQ jobs, delivery ids recorded per reply), so throughput is set
by the gateway's latency, its limits and the concurrency, not by the number of worker processes,
and no RQ job slot is held: alert batches and the inbox go on beside it.

A sender killed with its worker leaves its lease to expire (SENDER_LEASE seconds), then another
worker's thread takes over; the reply sweep (alerts/sending/outbox.py) puts back the replies the
dead one had at the gateway once the fan-out lease has passed, so at most those go twice.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from flask import Flask

from alerts.sending import replies
from alerts.services import Services, current_services

log = logging.getLogger(__name__)

#: Seconds a sender's lease outlives its last renewal (it renews several times a second).
SENDER_LEASE = 10
#: Seconds without a due reply before a sender stops.
IDLE_SECONDS = 1.0
#: Seconds between two looks for due replies by a sender thread without the lease.
POLL_SECONDS = 0.1
#: Most replies of one text in one gateway request: enough to answer a radio spot's burst in a
#: few requests, few enough that the first of them is not held back by reading the last.
REPLY_GROUP = 100
#: Most due replies read at one look.
DUE_LOOK = 1000


def holder(services: Services) -> str | None:
    """The token of the sender holding the lease, if any."""
    return services.store.sender_holder()


def serve(app: Flask, services: Services, stop: threading.Event) -> None:
    """A worker's sender thread: whenever replies are due and no sender runs, be it."""
    # The pid tells an operator (and the kill test) which worker is sending.
    token = f"sender-{os.getpid()}-{secrets.token_hex(4)}"
    while not stop.wait(POLL_SECONDS):
        try:
            store = services.store
            # While another worker sends, one cheap look; the list only when nobody does.
            if (
                store.sender_holder() is None
                and _due(services, set(), 1)
                and store.take_sender_lease(token, SENDER_LEASE)
            ):
                drain(app, services, token, stop)
        except Exception as exc:  # Redis away, most likely: the worker rides it out, so do we
            log.warning("reply sender %s: %s: %s", token, type(exc).__name__, exc)
            stop.wait(1.0)


def drain(app: Flask, services: Services, token: str, stop: threading.Event | None = None) -> int:
    """Send due replies with REPLY_CONCURRENCY requests in flight while holding the lease;
    how many replies were handled."""
    concurrency = services.settings.reply_concurrency
    store = services.store
    # Each request in flight and the (id, phone) of the replies it carries.
    in_flight: dict[Future, list[tuple[str, str]]] = {}
    sent = 0
    idle_since = time.monotonic()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="reply") as pool:
        while store.renew_sender_lease(token, SENDER_LEASE):
            if stop is not None and stop.is_set():
                store.release_sender_lease(token)
                break
            started = 0
            free = concurrency - len(in_flight)
            # Refilled by the quarter, not at every answer: each look reads the list's head.
            if free >= max(1, concurrency // 4) or not in_flight:
                carried = [r for group in in_flight.values() for r in group]
                due = _due(
                    services,
                    {phone for _, phone in carried},
                    min(DUE_LOOK, free * REPLY_GROUP),
                    {out_id for out_id, _ in carried},
                )
                for group in _groups(due, free):
                    ids = [out_id for out_id, _, _ in group]
                    future = pool.submit(_send, app, ids)
                    in_flight[future] = [(out_id, phone) for out_id, phone, _ in group]
                    started += 1
            if in_flight:
                done, _ = wait(list(in_flight), timeout=0.05, return_when=FIRST_COMPLETED)
                for future in done:
                    sent += len(in_flight.pop(future))
            if started or in_flight:
                idle_since = time.monotonic()
                continue
            if time.monotonic() - idle_since < IDLE_SECONDS:
                time.sleep(0.02)
                continue
            store.release_sender_lease(token)
            # Recorded before the release and not seen yet: take the lease back for it.
            if _due(services, set(), 1) and store.take_sender_lease(token, SENDER_LEASE):
                idle_since = time.monotonic()
                continue
            break
        else:
            log.warning(
                "reply sender %s lost its lease; finishing its %d requests", token, len(in_flight)
            )
    return sent


Due = tuple[str, str, str]  # (id, phone, text)


def _groups(due: list[Due], requests: int) -> list[list[Due]]:
    """Due replies, oldest first, in at most `requests` groups of one text each: one gateway
    request a group (a gateway that takes one recipient a request splits it again). Groups are
    as small as the free requests allow, up to REPLY_GROUP: the fewer replies a request carries,
    the fewer a worker killed during it makes go twice."""
    size = min(REPLY_GROUP, max(1, math.ceil(len(due) / max(1, requests))))
    groups: list[list[Due]] = []
    filling: dict[str, list[Due]] = {}
    for reply in due:
        group = filling.get(reply[2])
        if group is None or len(group) >= size:
            if len(groups) >= requests:
                continue  # no request free for it: a later look takes it
            group = filling[reply[2]] = []
            groups.append(group)
        group.append(reply)
    return groups


def _due(
    services: Services, busy: set[str], limit: int, sending: frozenset[str] | set[str] = frozenset()
) -> list[Due]:
    """Queued replies due now, oldest first, at most `limit`. One per number, and none to a
    number in `busy` (a reply to it is at the gateway): a number's replies go in the order
    they were written. `sending`: ids this sender has at the gateway."""
    store = services.store
    # The head of the list also holds replies being sent (ours and retries run as RQ jobs).
    ids = [
        i
        for i in store.overdue_outgoing(store.clock(), limit + len(sending) + 100)
        if i not in sending
    ]
    if not ids:
        return []
    due: list[Due] = []
    seen = set(busy)
    for out_id, (status, phone, text) in zip(ids, store.outgoing_states(ids), strict=True):
        if phone is not None and status in ("queued", "sending") and phone not in seen:
            seen.add(phone)
            if status == "queued":
                due.append((out_id, phone, text or ""))
                if len(due) >= limit:
                    break
    return due


def _send(app: Flask, out_ids: list[str]) -> int:
    """Replies of one text, in one request where the gateway allows; never raises."""
    with app.app_context():
        try:
            replies.send(current_services(), out_ids)
        except Exception as exc:  # each reply's record says what became of it; the pool goes on
            log.warning("replies %s not sent: %s: %s", out_ids[:3], type(exc).__name__, exc)
        return len(out_ids)


def finish(app: Flask, services: Services, patience: float = 30.0) -> int:
    """Send what is due now, then return (a --burst worker before it exits); how many."""
    token = f"sender-{secrets.token_hex(6)}"
    sent, deadline = 0, time.monotonic() + patience
    while _due(services, set(), 1) and time.monotonic() < deadline:
        if services.store.take_sender_lease(token, SENDER_LEASE):
            sent += drain(app, services, token)
        else:
            time.sleep(POLL_SECONDS)  # another worker's sender has them
    return sent
