"""What became of the alerts sent to a number."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertOutcome(StrEnum):
    """What became of one alert to one number (the letters of fan:{job}:st)."""

    SENT = "s"
    DELIVERED = "d"
    FAILED = "f"
    SKIPPED = "x"


@dataclass(frozen=True)
class AlertRecord:
    """One alert in a number's history: the job, its outcome, why, and when."""

    job_id: str
    outcome: AlertOutcome
    reason: str = ""
    at: float | None = None
    report_at: float | None = None
