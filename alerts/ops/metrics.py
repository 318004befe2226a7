"""GET /metrics in Prometheus format: traffic, replies, alerts, queue depths, gateway latency.

Web processes and RQ workers are separate processes (often on separate machines), so every
count lives in Redis (`Store.count_metric`, hashes `metrics:count` and `metrics:hist`) and is
read back at scrape time by a custom collector: any web process answers for the whole system,
and nothing is lost when a worker restarts. Queue depths and job figures are read from Redis at
scrape time too. Samples are aggregates only: no phone number, no job text, ever.

The endpoint wants the API bearer token (Prometheus: `authorization: {credentials: ...}`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping

from flask import Blueprint, Flask, Response, current_app, has_app_context
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from alerts.gateways import africastalking as gateway
from alerts.services import Services, StoreError, current_services
from alerts.web.auth import token_required

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

#: Upper bounds (seconds) of the gateway latency buckets: AT answers in 0.2–3 s, times out ~12 s.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: Counter name -> (help text, label names), the only counters `count()` accepts.
COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sms_inbound": ("Inbound SMS by what flood control decided", ("verdict",)),
    "ussd_requests": ("USSD webhook requests", ()),
    "replies": ("Replies handled by the send_reply job, by result", ("status",)),
    "alerts": ("Job alerts by outcome and failure or skip reason", ("outcome", "reason")),
}
HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gateway_latency_seconds": ("Africa's Talking request duration per batch", ("result",)),
}
_SEP = "|"


def _field(name: str, labels: Mapping[str, str]) -> str:
    known = COUNTERS.get(name) or HISTOGRAMS.get(name)
    if known is None or set(labels) != set(known[1]):
        raise ValueError(f"unknown metric or labels: {name} {sorted(labels)}")
    values = [str(labels[k]).replace(_SEP, "_")[:60] for k in known[1]]
    return _SEP.join([name, *values])


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


class RedisCollector(Collector):
    """Reads every figure from Redis at scrape time (see the module docstring for why)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator:
        """The samples of one scrape."""
        up = GaugeMetricFamily("baara_redis_up", "1 when Redis answered this scrape")
        try:
            families = list(self._from_redis())
        except StoreError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _from_redis(self) -> Iterator:
        store = self.services.store
        counters, histograms = store.metrics()
        for name, (text, labels) in COUNTERS.items():
            family = CounterMetricFamily(f"baara_{name}", text, labels=list(labels))
            for fieldname, value in sorted(counters.items()):
                parts = fieldname.split(_SEP)
                if parts[0] == name and len(parts) == len(labels) + 1:
                    family.add_metric(parts[1:], float(value))
            yield family
        for name, (text, labels) in HISTOGRAMS.items():
            family = HistogramMetricFamily(f"baara_{name}", text, labels=list(labels))
            series: dict[tuple[str, ...], dict[str, float]] = {}
            for fieldname, value in histograms.items():
                parts = fieldname.split(_SEP)
                if parts[0] != name or len(parts) != len(labels) + 2:
                    continue
                series.setdefault(tuple(parts[1:-1]), {})[parts[-1]] = float(value)
            for label_values, points in sorted(series.items()):
                buckets = [(repr(b), points.get(repr(b), 0.0)) for b in LATENCY_BUCKETS]
                buckets.append(("+Inf", points.get("+Inf", 0.0)))
                family.add_metric(list(label_values), buckets, points.get("sum", 0.0))
            yield family

        depth = GaugeMetricFamily(
            "baara_queue_jobs", "RQ jobs per queue and state", labels=["queue", "state"]
        )
        for queue in self.services.queues.values():
            depth.add_metric([queue.name, "queued"], queue.count)
            depth.add_metric([queue.name, "started"], queue.started_job_registry.count)
            depth.add_metric([queue.name, "scheduled"], queue.scheduled_job_registry.count)
            depth.add_metric([queue.name, "failed"], queue.failed_job_registry.count)
        yield depth
        inbox = GaugeMetricFamily(
            "baara_sms_inbox", "Inbound SMS accepted and not yet handled, by state",
            labels=["state"],
        )
        for state, count in store.inbox_depths().items():
            inbox.add_metric([state], count)
        yield inbox
        jobs_open = GaugeMetricFamily("baara_jobs_open", "Published job postings still open")
        jobs_open.add_metric([], len(store.open_job_ids()))
        yield jobs_open
        fanouts = GaugeMetricFamily("baara_fanouts_active", "Alert fan-outs planned or sending")
        fanouts.add_metric([], len(store.active_fanouts()))
        yield fanouts


@bp.get("/metrics")
@token_required
def metrics() -> Response:
    """Prometheus text exposition of every Baara figure."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(current_services()))
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")


def init_app(app: Flask) -> None:
    """Serve /metrics and let the gateway report its latency."""

    app.register_blueprint(bp)
    if observe_gateway not in gateway.BATCH_OBSERVERS:
        gateway.BATCH_OBSERVERS.append(observe_gateway)
