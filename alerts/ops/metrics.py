"""Baara's counters and histograms, kept in Redis for GET /metrics (`alerts/web/metrics.py`).

Web processes and RQ workers are separate processes (often on separate machines), so every
count lives in Redis (`Store.count_metric`, hashes `metrics:count` and `metrics:hist`) and is
read back at scrape time by a custom collector: any web process answers for the whole system,
and nothing is lost when a worker restarts. Queue depths and job figures are read from Redis at
scrape time too. Samples are aggregates only: no phone number, no job text, ever.

The endpoint wants the API bearer token (Prometheus: `authorization: {credentials: ...}`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app, has_app_context

from alerts.services import Services, StoreError, current_services

log = logging.getLogger(__name__)

#: Upper bounds (seconds) of the gateway latency buckets: AT answers in 0.2–3 s, times out ~12 s.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: Counter name -> (help text, label names), the only counters `count()` accepts.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sms_inbound": ("Inbound SMS by what flood control decided", ("verdict",)),
    "ussd_requests": ("USSD webhook requests", ()),
    "replies": ("Replies handled by the reply sender or their RQ jobs, by result", ("status",)),
    "alerts": ("Job alerts by outcome and failure or skip reason", ("outcome", "reason")),
}
HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gateway_latency_seconds": ("Africa's Talking request duration per batch", ("result",)),
}
SEP = "|"


def _field(name: str, labels: Mapping[str, str]) -> str:
    known = COUNTERS.get(name) or HISTOGRAMS.get(name)
    if known is None or set(labels) != set(known[1]):
        raise ValueError(f"unknown metric or labels: {name} {sorted(labels)}")
    values = [str(labels[k]).replace(SEP, "_")[:60] for k in known[1]]
    return SEP.join([name, *values])


def field(name: str, **labels: str) -> str:
    """The Redis hash field a counter sample is kept under (for callers batching their writes)."""
    return _field(name, labels)


def count_with(
    services: Services, name: str, amount: float = 1, *, pipe=None, **labels: str
) -> None:
    """Add to a cross-process counter; never lets a metrics failure break the caller.

    With pipe, the increment is only queued there: it goes with the caller's other writes.
    """
    try:
        services.store.count_metric(_field(name, labels), amount, pipe=pipe)
    except StoreError:
        log.debug("metric %s not counted: Redis unavailable", name)


def count(name: str, amount: float = 1, **labels: str) -> None:
    """count_with() on the running app's services (no-op outside an app context)."""
    if has_app_context() and "baara" in current_app.extensions:
        count_with(current_services(), name, amount, **labels)


def count_alerts(services: Services, outcomes: Mapping[tuple[str, str], int]) -> None:
    """Add alert outcomes {(outcome, reason): n} in one round trip."""
    amounts = {
        _field("alerts", {"outcome": o, "reason": r}): n for (o, r), n in outcomes.items() if n
    }
    try:
        services.store.count_metrics(amounts)
    except StoreError:
        log.debug("alert metrics not counted: Redis unavailable")


def observe_gateway(seconds: float, result: str) -> None:
    """Record one AT request's duration (called by the gateway, in web or worker)."""
    if not (has_app_context() and "baara" in current_app.extensions):
        return
    try:
        current_services().store.observe_latency(
            _field("gateway_latency_seconds", {"result": result}), seconds, LATENCY_BUCKETS
        )
    except StoreError:
        log.debug("gateway latency not recorded: Redis unavailable")
