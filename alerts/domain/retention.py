"""How long the records each message leaves are kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DAY = 24 * 3600
#: AT message ids are remembered this long by default (SEEN_DAYS).
SEEN_TTL = 7 * DAY


@dataclass(frozen=True)
class Retention:
    """How long, in seconds, the records each message leaves are kept."""

    history: int = 90 * DAY
    records: int = 30 * DAY
    delivery_refs: int = 14 * DAY
    seen: int = SEEN_TTL

    @classmethod
    def from_config(cls, config: Mapping[str, float]) -> Retention:
        """From the HISTORY_DAYS, RECORD_DAYS, DELIVERY_REF_DAYS and SEEN_DAYS settings
        (config/settings.py gives their defaults and refuses less than a second)."""
        return cls(
            history=int(config["HISTORY_DAYS"] * DAY),
            records=int(config["RECORD_DAYS"] * DAY),
            delivery_refs=int(config["DELIVERY_REF_DAYS"] * DAY),
            seen=int(config["SEEN_DAYS"] * DAY),
        )
