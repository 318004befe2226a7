"""A fan-out batch's outcomes: rows from the gateway's answers, recorded request by request.

Under AT_MAX_TPS a batch goes as several requests, each recorded as soon as it is answered
(`Tally.record`, finish=False), then once more with finish=True when the batch is done. The store's
record_alerts counts a phone only the first time it gets an outcome, so repeated and partial calls,
and a re-run of the batch, keep the job's figures right; `Tally` adds up what it counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alerts.gateways.base import SendResult, Status
from alerts.ops import metrics
from alerts.services import Services

#: (phone, 's'|'f'|'x', reason, gateway message id, cost): one recipient's outcome for the store.
Row = tuple[str, str, str, str, str]
_REASON = re.compile(r"[^A-Za-z0-9_]")


def reason(text: str | None) -> str:
    """A reason fit for a stats key: letters, digits and _ only, at most 40."""
    return _REASON.sub("", text or "")[:40] or "Unknown"


def cost(text: str | None) -> str:
    """One message's cost as a plain number (AT writes 'XOF 25.0000'); '' if untrustworthy."""
    if not text:
        return ""
    try:
        value = float(str(text).split()[-1])
    except (ValueError, IndexError):
        return ""
    return repr(value) if value >= 0 else ""


class Tally:
    """Records a batch's outcomes request by request and adds up what the store counted."""

    def __init__(self, services: Services, job_id: str, n: int, segments: int, ttl: int) -> None:
        self.services, self.job_id, self.n = services, job_id, n
        self.segments, self.ttl = segments, ttl
        self.counts = {"sent": 0, "failed": 0, "skipped": 0, "todo": 0}

    def record(self, rows: list[Row], *, finish: bool = False) -> None:
        """Record rows (finish: and take the batch off the to-do set), counting each phone once."""
        if not rows and not finish:
            return
        counts = self.services.store.record_alerts(
            self.job_id,
            self.n,
            rows,
            segments=self.segments,
            price=self.services.settings.sms_price,
            finish=finish,
            ttl=self.ttl,
        )
        metrics.count_alerts(self.services, outcome_metrics(rows, counts))
        for name in ("sent", "failed", "skipped"):
            self.counts[name] += counts[name]
        self.counts["todo"] = counts["todo"]


def rows_from(results: Sequence[SendResult]) -> tuple[list[Row], dict[str, str], list[str]]:
    """One request's answers: rows to record, phones to retry (with why), the blacklisted."""
    rows: list[Row] = []
    retry: dict[str, str] = {}
    blacklisted: list[str] = []
    costs: dict[str | None, str] = {}
    for r in results:
        if r.status in (Status.SENT, Status.DELIVERED):
            if r.cost not in costs:
                costs[r.cost] = cost(r.cost)
            rows.append((r.phone, "s", "", r.message_id or "", costs[r.cost]))
        elif r.retryable:
            retry[r.phone] = reason(r.reason)
        else:
            rows.append((r.phone, "f", reason(r.reason), "", ""))
            if r.blacklisted:
                blacklisted.append(r.phone)
    return rows, retry, blacklisted


def outcome_metrics(rows: Sequence[Row], counts: dict[str, int]) -> dict[tuple[str, str], int]:
    """Alert outcomes by reason for /metrics, trusting the store's counts over our rows.

    A re-run of a batch writes nothing for recipients already recorded: then the rows
    overstate, and only the totals (counted once by the store) are kept, reason 'rerun'.
    """
    by: dict[tuple[str, str], int] = {("sent", ""): counts["sent"]}
    for outcome, code in (("failed", "f"), ("skipped", "x")):
        mine = [r[2] for r in rows if r[1] == code]
        if len(mine) == counts[outcome]:
            for why in mine:
                by[(outcome, why)] = by.get((outcome, why), 0) + 1
        else:
            by[(outcome, "rerun")] = counts[outcome]
    return by
