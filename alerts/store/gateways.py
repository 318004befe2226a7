"""Gateways in Redis: circuit breakers, per-gateway figures, the gateway each number wrote to.

Shared by the web app and every worker, so a gateway found down by one worker is skipped by all
until its cool-down ends (issue 17).
"""

from __future__ import annotations

from collections.abc import Sequence

import alerts.store.keys as keys
from alerts.store.base import StoreBase

FIGURES = ("requests", "errors", "sent", "failed", "cost")


class GatewaysStore(StoreBase):
    """Circuit breakers and figures per gateway: part of Store."""

    def gateway_open(self, name: str) -> bool:
        """Whether the gateway's breaker is open (cooling down)."""
        return bool(self.redis.exists(keys.gateway_open(name)))

    def gateway_result(
        self,
        name: str,
        *,
        ok: bool,
        sent: int,
        failed: int,
        cost: float,
        failures: int,
        cooldown: float,
    ) -> None:
        """Record one request's outcome; `failures` failed requests in a row open the breaker.

        The failure count is kept when the breaker closes again after its cool-down, so the
        first request after it is a trial: one more failure opens it again (half-open).
        """
        pipe = self.redis.pipeline(transaction=True)
        stats = keys.gateway_stats(name)
        pipe.hincrby(stats, "requests", 1)
        pipe.hincrby(stats, "sent", sent)
        pipe.hincrby(stats, "failed", failed)
        if cost:
            pipe.hincrbyfloat(stats, "cost", cost)
        if ok:
            pipe.delete(keys.gateway_breaker(name))
            pipe.execute()
            return
        pipe.hincrby(stats, "errors", 1)
        pipe.hincrby(keys.gateway_breaker(name), "fails", 1)
        fails = int(pipe.execute()[-1])
        if fails >= failures and cooldown > 0:
            self.redis.set(keys.gateway_open(name), fails, px=int(cooldown * 1000))

    def gateway_figures(self, names: Sequence[str]) -> dict[str, dict[str, float | str]]:
        """Per gateway: state ('up'/'down'), cool-down left, requests, errors, sent, cost."""
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(keys.gateway_stats(name))
            pipe.pttl(keys.gateway_open(name))
        raw = pipe.execute()
        figures: dict[str, dict[str, float | str]] = {}
        for i, name in enumerate(names):
            stats, ttl = raw[2 * i], raw[2 * i + 1]
            row: dict[str, float | str] = {f: float(stats.get(f, 0)) for f in FIGURES}
            row["state"] = "down" if ttl and ttl > 0 else "up"
            row["cooldown_left"] = round(ttl / 1000, 1) if ttl and ttl > 0 else 0.0
            asked = float(row["requests"])
            row["error_rate"] = round(float(row["errors"]) / asked, 3) if asked else 0.0
            figures[name] = row
        return figures

    def remember_gateway(self, phone: str, name: str) -> None:
        """The gateway a number wrote to us through, for replies (kept RECORD_DAYS)."""
        self.redis.set(keys.last_gateway(phone), name, ex=max(1, int(self.retention.records)))

    def last_gateway(self, phone: str) -> str | None:
        """The gateway the person last wrote to us through."""
        return self.last_gateways([phone])[0]

    def gateway_subscriptions(self, name: str, kind: str) -> tuple[str, ...]:
        """The notification subscription ids we last made at a gateway, for that kind."""
        return tuple(
            str(i) for i in self.redis.lrange(keys.gateway_subscriptions(name, kind), 0, -1)
        )

    def remember_gateway_subscriptions(self, name: str, kind: str, ids: Sequence[str]) -> None:
        """Replace the subscription ids remembered for a gateway and kind."""
        key = keys.gateway_subscriptions(name, kind)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        if ids:
            pipe.rpush(key, *ids)
        pipe.execute()

    def last_gateways(self, phones: Sequence[str]) -> list[str | None]:
        """last_gateway() of several numbers, in one round trip."""
        if not phones:
            return []
        names = self.redis.mget([keys.last_gateway(p) for p in phones])
        return [str(n) if n else None for n in names]
