"""Benchmark replies to a burst of inbound SMS: `python bench/replies.py`.

All on this machine, cleaned up at the end: a private redis-server, the web app under gunicorn,
a loopback AT server in this process answering every request after --latency seconds, and
`python worker.py` processes (--workers). Phases, each from a clean Redis:

1. pool: a burst of --burst texts from as many numbers, posted to /sms/incoming by 32
   clients at once, with REPLY_SENDER=pool (the reply sender, alerts/sending/sender.py);
2. job: the same at --baseline texts with REPLY_SENDER=job, one RQ job per reply (the design
   before issue 16; a smaller burst, since it goes at one reply per request per worker);
3. limit (--tps > 0): AT_MAX_TPS=--tps, a fan-out to --fanout subscribers (100,000), and
   --during texts posted over --spread seconds while it runs; the phase stops when they are
   answered (the fan-out itself would take --fanout / --tps seconds: --complete waits for it).

For each it prints replies per second (burst size / first webhook accepted -> last reply AT
accepted), the wait of each reply (its webhook accepted -> AT accepted it) at p50, p99 and
worst, and the most messages AT received in any one second (by when each request arrived, in
calendar seconds and in any sliding one-second window).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` importable
    sys.path.insert(0, str(ROOT))

from alerts.ops.devstack import start_redis  # noqa: E402
from bench.processes import Processes, free_port  # noqa: E402
from bench.ussd import start_gunicorn  # noqa: E402
from tests.loopback_at import LoopbackAT  # noqa: E402

TOKEN = "bench-token"
TEXTS = ("Niono", "dɛmɛ")  # a subscription in French, the help in Bamanankan


def post_burst(port: int, phones: list[str], spread: float = 0.0) -> dict[str, float]:
    """Post one text from each number (over `spread` seconds); when each was accepted."""
    accepted: dict[str, float] = {}
    local = threading.local()
    start = time.monotonic()

    def post(i: int, phone: str) -> None:
        if spread:
            time.sleep(max(0.0, start + spread * i / len(phones) - time.monotonic()))
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        response = session.post(
            f"http://127.0.0.1:{port}/sms/incoming",
            data={
                "from": phone,
                "to": "36030",
                "text": TEXTS[i % 2],
                "date": "2026-12-01 10:00:00",
                "id": f"ATXid_bench_{phone}",
            },
            timeout=30,
        )
        if response.status_code == 200 and response.json().get("status") == "accepted":
            accepted[phone] = time.time()

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda a: post(*a), enumerate(phones)))
    return accepted


def arrival(message: dict) -> float:
    return datetime.fromisoformat(message["at"]).timestamp()


def busiest_second(times: list[float]) -> tuple[int, int]:
    """The most of `times` in one calendar second, and in any sliding second."""
    if not times:
        return 0, 0
    times = sorted(times)
    calendar = max(Counter(int(t) for t in times).values())
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return calendar, best


def report(label: str, accepted: dict[str, float], at: LoopbackAT) -> str:
    """One line of figures for the replies to `accepted` numbers."""
    first: dict[str, float] = {}
    for m in at.messages:
        if m["to"] in accepted and m["to"] not in first:
            first[m["to"]] = arrival(m)
    waits = sorted(first[p] - accepted[p] for p in first)
    if not waits:
        return f"{label}: no reply reached AT"
    span = max(first.values()) - min(accepted.values())
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    twice = sum(c > 1 for p, c in Counter(m["to"] for m in at.messages).items() if p in accepted)
    return (
        f"{label}: {len(first)}/{len(accepted)} answered, {len(first) / span:.0f} replies/s; "
        f"wait p50 {statistics.median(waits):.2f} s, p99 {p99:.2f} s, "
        f"worst {waits[-1]:.2f} s; answered twice: {twice} (webhooks accepted over "
        f"{max(accepted.values()) - min(accepted.values()):.1f} s)"
    )


class Stack:
    """Redis, gunicorn and workers for one phase, on top of the shared loopback AT."""

    def __init__(self, folder: Path, at: LoopbackAT, workers: int, **settings: str) -> None:
        self.procs = Processes()
        redis_port, self.port = free_port(), free_port()
        self.procs.procs.append(start_redis(folder / "redis", redis_port))
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "QUIET_HOURS": "",
            "BAARA_ENV": "development",
            "API_TOKEN": TOKEN,
            "WEBHOOK_TOKEN": "",
            "SIMULATOR": "0",
            "PYTHONPATH": str(ROOT),
            "AT_USERNAME": "baara",
            "AT_API_KEY": "bench",
            "AT_API_URL": at.url,
            "SMS_RATE_LIMIT": "0",
            **settings,
        }
        start_gunicorn(self.procs, "app:app", self.port, env, folder / "app.log")
        with (folder / "workers.log").open("ab") as out:
            for n in range(workers):
                self.procs.start(
                    [sys.executable, "worker.py", "--name", f"bench-{n}"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=out,
                )
        self.wait_for_workers(workers)

    def wait_for_workers(self, count: int) -> None:
        import redis
        from rq import Worker

        client = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=client)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError("workers did not start")
            time.sleep(0.2)
        time.sleep(1)  # their sender threads are polling too

    def close(self) -> None:
        self.procs.stop_all()


def wait_answered(at: LoopbackAT, phones: list[str], timeout: float) -> None:
    wanted = set(phones)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted <= {m["to"] for m in at.messages}:
            return
        time.sleep(0.2)


def burst_phase(folder: Path, at: LoopbackAT, args, label: str, count: int, **settings: str) -> str:
    at.clear()
    stack = Stack(folder, at, args.workers, **settings)
    try:
        phones = [f"+22370{i:06d}" for i in range(count)]
        accepted = post_burst(stack.port, phones)
        wait_answered(at, phones, timeout=args.timeout)
        return report(label, accepted, at)
    finally:
        stack.close()


def limit_phase(folder: Path, at: LoopbackAT, args) -> list[str]:
    from alerts.store import Store, Subscriber, Subscription

    at.clear()
    stack = Stack(folder, at, args.workers, AT_MAX_TPS=str(args.tps))
    try:
        store = Store.from_url(stack.redis_url)
        subscribers = [f"+22365{i:06d}" for i in range(args.fanout)]
        store.seed_subscribers(
            Subscriber(phone=p, subscriptions=(Subscription(district="kati"),)) for p in subscribers
        )
        deadline = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
        published = time.time()
        response = requests.post(
            f"http://127.0.0.1:{stack.port}/api/jobs",
            json={
                "title": "Infirmier(ère) d'État",
                "organization": "ALIMA",
                "category": "nurse",
                "districts": ["Kati"],
                "deadline": deadline,
                "apply": "recrutement@example.org",
                "publish": True,
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        response.raise_for_status()
        alerted = set(subscribers)
        wait_until(lambda: sum(m["to"] in alerted for m in at.messages) >= args.tps * 3, 120)
        phones = [f"+22371{i:06d}" for i in range(args.during)]
        # A few texts a second for --spread seconds while the fan-out goes on.
        accepted = post_burst(stack.port, phones, spread=args.spread)
        wait_answered(at, phones, timeout=args.timeout)
        if args.complete:
            wait_answered(at, subscribers, timeout=args.fanout / args.tps * 1.5 + 30)
        ended = time.time()
        calendar, sliding = busiest_second(
            [r["arrived"] for r in list(at.received) for _ in r["form"]["to"].split(",")]
        )
        _, sliding_alerts = busiest_second(
            [
                r["arrived"]
                for r in list(at.received)
                for p in r["form"]["to"].split(",")
                if p in alerted
            ]
        )
        alerts = [arrival(m) for m in list(at.messages) if m["to"] in alerted]
        during = [t for t in alerts if min(accepted.values()) <= t <= max(accepted.values())]
        burst_span = max(accepted.values()) - min(accepted.values())
        left = args.fanout - len(alerts)
        return [
            report(
                f"limit {args.tps}/s, replies during a {args.fanout}-recipient fan-out",
                accepted,
                at,
            ),
            f"limit {args.tps}/s: {len(alerts)}/{args.fanout} alerts in {ended - published:.1f} s"
            + (
                f" (stopped there: the other {left} would take {left / args.tps / 60:.0f} min more)"
                if left
                else ""
            )
            + f"; alerts while the replies came: {len(during) / max(burst_span, 1e-9):.0f}/s; "
            f"most AT saw in one second: {calendar} (calendar), {sliding} (any sliding second; "
            f"alerts alone {sliding_alerts})",
        ]
    finally:
        stack.close()


def wait_until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    """Run the phases and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=2000, help="texts in the pooled burst")
    parser.add_argument("--baseline", type=int, default=300, help="texts, one job per reply")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds AT takes to answer")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--tps", type=int, default=50, help="AT_MAX_TPS of the last phase (0: skip it)"
    )
    parser.add_argument("--fanout", type=int, default=100_000, help="recipients of that fan-out")
    parser.add_argument("--during", type=int, default=200, help="texts during the fan-out")
    parser.add_argument(
        "--spread", type=float, default=40.0, help="seconds those texts are posted over"
    )
    parser.add_argument(
        "--complete",
        action="store_true",
        help="wait for the whole fan-out (100,000 at 50/s: 33 min) instead of stopping when "
        "the replies are answered",
    )
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="baara-bench-replies-"))
    at = LoopbackAT(delay=args.latency).start()
    print(
        f"replies bench: {os.cpu_count() or 1} CPU(s), {args.workers} workers, AT answers "
        f"in {args.latency * 1000:.0f} ms",
        flush=True,
    )
    try:
        print(
            burst_phase(
                folder / "pool",
                at,
                args,
                f"pool, burst of {args.burst}",
                args.burst,
                REPLY_SENDER="pool",
            ),
            flush=True,
        )
        if args.baseline:
            print(
                burst_phase(
                    folder / "job",
                    at,
                    args,
                    f"job (one RQ job per reply), burst of {args.baseline}",
                    args.baseline,
                    REPLY_SENDER="job",
                ),
                flush=True,
            )
        if args.tps:
            for line in limit_phase(folder / "limit", at, args):
                print(line, flush=True)
    finally:
        at.stop()
        if args.keep:
            print(f"logs in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
