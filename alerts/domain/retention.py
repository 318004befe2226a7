"""How long the records each message leaves are kept."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import DEFAULTS, Settings

DAY = 24 * 3600
#: AT message ids are remembered this long by default (SEEN_DAYS).
SEEN_TTL = int(DEFAULTS["SEEN_DAYS"] * DAY)


@dataclass(frozen=True)
class Retention:
    """How long, in seconds, the records each message leaves are kept."""

    # The settings' defaults (one place: config/settings.py), for a Store built without an app.
    history: int = int(DEFAULTS["HISTORY_DAYS"] * DAY)
    records: int = int(DEFAULTS["RECORD_DAYS"] * DAY)
    delivery_refs: int = int(DEFAULTS["DELIVERY_REF_DAYS"] * DAY)
    seen: int = SEEN_TTL

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        """From the HISTORY_DAYS, RECORD_DAYS, DELIVERY_REF_DAYS and SEEN_DAYS settings
        (config/settings.py gives their defaults and refuses less than a second)."""
        return cls(
            history=int(settings.history_days * DAY),
            records=int(settings.record_days * DAY),
            delivery_refs=int(settings.delivery_ref_days * DAY),
            seen=int(settings.seen_days * DAY),
        )
