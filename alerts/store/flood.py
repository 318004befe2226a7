"""Flood control's silence: a number muted after sending too much."""

from __future__ import annotations

import alerts.store.keys as keys
from alerts.store.base import StoreBase


class FloodStore(StoreBase):
    """Flood control's silence: part of Store."""

    def mute(self, kind: str, phone: str, seconds: int) -> bool:
        """Ignore a number for a while; True only for the call that started the silence."""
        return bool(self.redis.set(keys.muted(kind, phone), self.now(), nx=True, ex=seconds))
