"""Cross-process counters and histograms behind /metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class MetricsStore(StoreBase):
    """Cross-process counters and histograms behind /metrics: part of Store."""

    def count_metric(self, name: str, amount: int | float = 1, *, pipe=None) -> None:
        """Add to a cross-process counter (web and workers share it); queued on pipe if given."""
        if amount:
            (self.redis if pipe is None else pipe).hincrbyfloat(keys.METRICS_COUNT, name, amount)

    def count_metrics(self, amounts: Mapping[str, int | float]) -> None:
        """Add to several cross-process counters in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for name, amount in amounts.items():
            if amount:
                pipe.hincrbyfloat(keys.METRICS_COUNT, name, amount)
        pipe.execute()

    def observe_latency(self, name: str, seconds: float, buckets: Sequence[float]) -> None:
        """Record one duration into a cross-process histogram (cumulative buckets)."""
        pipe = self.redis.pipeline(transaction=False)
        for bound in buckets:
            if seconds <= bound:
                pipe.hincrby(keys.METRICS_HIST, f"{name}|{bound!r}", 1)
        pipe.hincrby(keys.METRICS_HIST, f"{name}|+Inf", 1)
        pipe.hincrbyfloat(keys.METRICS_HIST, f"{name}|sum", seconds)
        pipe.execute()

    def metrics(self) -> tuple[dict[str, str], dict[str, str]]:
        """The cross-process counters and histograms, as stored."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(keys.METRICS_COUNT)
        pipe.hgetall(keys.METRICS_HIST)
        counters, histograms = pipe.execute()
        return counters, histograms
