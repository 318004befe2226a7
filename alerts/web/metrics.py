"""GET /metrics in Prometheus format: traffic, replies, alerts, queue depths, gateway latency.

Every figure is read from Redis at scrape time (`alerts/ops/metrics.py` explains why), so any
web process answers for the whole system. Aggregates only: no phone number, no job text, ever.
The endpoint wants the API bearer token (Prometheus: `authorization: {credentials: ...}`).
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Flask, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

from alerts.gateways import africastalking as gateway
from alerts.gateways.routing import parse_gateways
from alerts.ops import metrics as counting
from alerts.services import Services, StoreError, current_services
from alerts.web.auth import token_required

bp = Blueprint("metrics", __name__)


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
        for name, (text, labels) in counting.COUNTERS.items():
            counter = CounterMetricFamily(f"baara_{name}", text, labels=list(labels))
            for fieldname, value in sorted(counters.items()):
                parts = fieldname.split(counting.SEP)
                if parts[0] == name and len(parts) == len(labels) + 1:
                    counter.add_metric(parts[1:], float(value))
            yield counter
        for name, (text, labels) in counting.HISTOGRAMS.items():
            family = HistogramMetricFamily(f"baara_{name}", text, labels=list(labels))
            series: dict[tuple[str, ...], dict[str, float]] = {}
            for fieldname, value in histograms.items():
                parts = fieldname.split(counting.SEP)
                if parts[0] != name or len(parts) != len(labels) + 2:
                    continue
                series.setdefault(tuple(parts[1:-1]), {})[parts[-1]] = float(value)
            for label_values, points in sorted(series.items()):
                buckets = [(repr(b), points.get(repr(b), 0.0)) for b in counting.LATENCY_BUCKETS]
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
            "baara_sms_inbox",
            "Inbound SMS accepted and not yet handled, by state",
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
        yield from self._gateways()

    def _gateways(self) -> Iterator:
        """Per gateway of GATEWAYS: breaker state, requests, errors, messages and cost."""
        names = parse_gateways(self.services.settings.gateways)
        figures = self.services.store.gateway_figures(names)
        up = GaugeMetricFamily(
            "baara_gateway_up",
            "1 unless the gateway's circuit breaker is open (cooling down)",
            labels=["gateway"],
        )
        requests = CounterMetricFamily(
            "baara_gateway_requests",
            "Requests made to the gateway, by outcome",
            labels=["gateway", "outcome"],
        )
        messages = CounterMetricFamily(
            "baara_gateway_messages",
            "Recipients handed to the gateway, by result",
            labels=["gateway", "result"],
        )
        cost = CounterMetricFamily(
            "baara_gateway_cost",
            "What the gateway's sent messages cost, in SMS_CURRENCY",
            labels=["gateway"],
        )
        for name, row in figures.items():
            up.add_metric([name], 0 if row["state"] == "down" else 1)
            errors = float(row["errors"])
            requests.add_metric([name, "ok"], float(row["requests"]) - errors)
            requests.add_metric([name, "error"], errors)
            messages.add_metric([name, "sent"], float(row["sent"]))
            messages.add_metric([name, "failed"], float(row["failed"]))
            cost.add_metric([name], float(row["cost"]))
        yield from (up, requests, messages, cost)


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
    if counting.observe_gateway not in gateway.BATCH_OBSERVERS:
        gateway.BATCH_OBSERVERS.append(counting.observe_gateway)
