"""Benchmark the notice importer on a 15 kB notice beside a plain regex pass over the same text.

`python bench/extract.py [--runs 30]` (a few seconds; in-process, nothing to start or stop).
The notice is the five seed notices joined and cut to 15,000 characters (the size of the
longest real ones). The baseline is one pass of the obvious regular expressions an importer
could not do with less: e-mails, dd/mm/yyyy dates and "N postes" counts. Printed: the first
call (dateparser loads its languages once per process), then the median and worst of `runs`
calls, and the ratio to the baseline.

Target (issue 18): well under a second for a 15 kB notice.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` importable
    sys.path.insert(0, str(ROOT))

from alerts.extract import extract  # noqa: E402
from config.reference import default_reference  # noqa: E402

NOTICES = ROOT / "tests" / "fixtures" / "notices"
SIZE = 15_000
BASELINE = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b"),
    re.compile(r"\b\d+\s+postes?\b", re.I),
]


def notice() -> str:
    """The five seed notices joined, cut to SIZE characters."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(NOTICES.glob("*.txt")))
    return text[:SIZE]


def baseline(text: str) -> int:
    """One pass of the three regular expressions; returns the matches (so nothing is skipped)."""
    return sum(len(p.findall(text)) for p in BASELINE)


def timed(call, runs: int) -> list[float]:
    """Seconds of each of `runs` calls."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 if the median is not under half a second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    text = notice()
    tz = ZoneInfo("Africa/Bamako")
    now = datetime.now(UTC)
    start = time.perf_counter()
    first = extract(text, tz=tz, now=now)
    cold = time.perf_counter() - start
    ours = timed(lambda: extract(text, tz=tz, now=now), args.runs)
    base = timed(lambda: baseline(text), args.runs)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    median, base_median = statistics.median(ours), statistics.median(base)
    print(f"notice: {len(text)} characters; load average {load}")
    print(f"importer, first call:   {cold * 1000:8.1f} ms (loads dateparser's languages)")
    print(
        f"importer, median/worst: {median * 1000:8.1f} / {max(ours) * 1000:.1f} ms "
        f"over {args.runs} calls"
    )
    print(f"baseline regex pass:    {base_median * 1000:8.2f} ms median")
    print(f"ratio importer/baseline: {median / base_median:.0f}x")
    places = first.places(default_reference())
    print(f"fields: {first.organization} | {first.category} | {places} | {first.deadline}")
    return 0 if median < 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
