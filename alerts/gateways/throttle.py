"""The operator's messages-per-second limit on a gateway, shared by every worker via Redis.

A sliding window (a little over a second) of what was sent, one sorted set per gateway: an entry per
request, `<kind>:<messages>:<nonce>` scored by Redis' own clock (TIME, so workers on several
hosts agree). A request of n recipients counts n. It may go when the window plus n stays within
the limit; replies are guaranteed their share of each second (AT_REPLY_SHARE) and alerts the
rest, and whichever kind is not waiting lends its share to the other. So a fan-out of 100,000
cannot hold a "vous êtes inscrit(e)" back for more than a second, and a burst of replies cannot
stop a fan-out either: it keeps its share.

A fan-out batch waits here while holding a lease on it (alerts/sending/lease.py). Inside
`guarded(keep)`, every look for room first asks `keep()` (which renews the lease): when
it says no, the request is `Withdrawn` before it goes, so a run that lost its batch to another
sends nothing more.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from alerts.store import Store
from config.settings import Settings

#: Longest pause between two tries (ms): a refused sender looks again at least this often.
MAX_POLL_MS = 100
#: The window is a little longer than a second: a request reaches AT some time after it was
#: counted (up to a tenth of a second on a busy machine), and AT must never see more than the
#: limit in any second.
WINDOW_MS = 1100
#: Seconds a place taken under the limit stays good for a request not yet made: within the
#: window's margin over a second, with room left for the request to reach AT.
FRESH_SECONDS = 0.05
#: Requests a second a limited kind is cut into (with one request a second, a 50/s limit
#: and a 35-message share, the rest of each second would stay unused).
REQUESTS_PER_SECOND = 5


class Kind(StrEnum):
    """Who a request is for: the two share the gateway's limit."""

    REPLY = "reply"
    ALERT = "alert"


class Withdrawn(Exception):
    """The request must not go: the guard of the thread waiting for room said so.

    `results`: what went before it within the same send (the earlier requests of a one-by-one
    gateway), for the caller to record: they must not go again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.results: list[Any] = []


_guards = threading.local()


@contextmanager
def guarded(keep: Callable[[], bool]) -> Iterator[None]:
    """Within: this thread's waits for room ask `keep()` before each look; False -> Withdrawn."""
    before = getattr(_guards, "keep", None)
    _guards.keep = keep
    try:
        yield
    finally:
        _guards.keep = before


class Throttle:
    """A per-gateway limit of `rate` messages a second (see the module docstring)."""

    def __init__(
        self, store: Store, rate: int, *, reply_share: float = 0.3, gateway: str = "at"
    ) -> None:
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.store = store
        self.rate = rate
        replies = min(rate, max(1, math.ceil(rate * reply_share)))
        alerts = rate - replies
        # A limit of 1 a second still has to serve both: each may then use all of it.
        self.shares = {Kind.REPLY: replies, Kind.ALERT: alerts if alerts >= 1 else rate}
        self.gateway = gateway

    def chunk(self, kind: Kind) -> int:
        """The most recipients one request of `kind` may carry: within its share, and a fifth
        of the limit, so that a second holds several requests and is filled to the limit."""
        return min(self.shares[kind], math.ceil(self.rate / REQUESTS_PER_SECOND))

    def take(self, messages: int, kind: Kind) -> float:
        """Count `messages` against this second if they fit (0.0), else seconds to wait first."""
        if messages > self.rate:
            raise ValueError(f"{messages} messages can never fit a limit of {self.rate}/s")
        other = Kind.ALERT if kind is Kind.REPLY else Kind.REPLY
        wait_ms = self.store.take_throughput(
            self.gateway,
            str(kind),
            str(other),
            messages,
            limit=self.rate,
            share=self.shares[kind],
            window_ms=WINDOW_MS,
        )
        return min(int(wait_ms), MAX_POLL_MS) / 1000

    def acquire(self, messages: int, kind: Kind) -> float:
        """Wait until `messages` may go and count them; the seconds waited (see `guarded`)."""
        started = time.monotonic()
        keep = getattr(_guards, "keep", None)
        while True:
            if keep is not None and not keep():
                raise Withdrawn(f"{messages} {kind} message(s) withdrawn while waiting for room")
            if (wait := self.take(messages, kind)) <= 0:
                return time.monotonic() - started
            time.sleep(wait)


#: Gateways an operator's contract limits -> (their window's name in Redis, their setting).
#: SMSGate has none: the phone queues what it is given and paces the radio itself (README).
LIMITED: dict[str, tuple[str, str]] = {
    "africastalking": ("at", "at_max_tps"),
    "orange": ("orange", "orange_max_tps"),
}


def limits(settings: Settings) -> dict[str, int]:
    """The messages-per-second limit of each gateway of GATEWAYS that has one set."""
    enabled = [n.strip().lower() for n in settings.gateways.split(",") if n.strip()]
    rates = {n: int(getattr(settings, LIMITED[n][1])) for n in enabled if n in LIMITED}
    return {n: rate for n, rate in rates.items() if rate > 0}


def from_settings(
    store: Store, settings: Settings, gateway: str = "africastalking"
) -> Throttle | None:
    """The limit on `gateway` (AT_MAX_TPS, ORANGE_MAX_TPS; None when 0: unlimited), with
    AT_REPLY_SHARE for replies."""
    key, field = LIMITED[gateway]
    rate = int(getattr(settings, field))
    if rate <= 0:
        return None
    return Throttle(store, rate, reply_share=settings.at_reply_share, gateway=key)


def batch_size(settings: Settings, size: int) -> int:
    """Recipients per fan-out batch under messages-per-second limits: about a second of the
    slowest limited gateway of GATEWAYS (any recipient may fail over to it), so a worker is
    free again between batches within a second or two (the inbox drainer and retries wait for
    a free worker) and a batch never outlasts its lease."""
    rates = limits(settings).values()
    return size if not rates else max(1, min(size, *rates))
