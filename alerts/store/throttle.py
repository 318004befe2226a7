"""Gateways' messages-per-second windows (alerts/gateways/throttle.py keeps the rules)."""

from __future__ import annotations

import secrets

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class ThrottleStore(StoreBase):
    """The per-gateway sliding windows of messages sent: part of Store."""

    def take_throughput(
        self,
        gateway: str,
        kind: str,
        other: str,
        messages: int,
        *,
        limit: int,
        share: int,
        window_ms: int,
    ) -> int:
        """Count `messages` of `kind` in the gateway's window if they fit (0), else the
        milliseconds until the oldest entry leaves it (lua/tps_take.lua)."""
        return int(
            self.script("tps_take")(
                keys=[
                    keys.tps(gateway),
                    keys.tps_waiting(gateway, kind),
                    keys.tps_waiting(gateway, other),
                ],
                args=[messages, kind, limit, share, secrets.token_hex(4), window_ms],
            )
        )
