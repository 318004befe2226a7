"""Benchmark the SMS and USSD webhooks under gunicorn beside a bare Flask baseline.

`python bench/webhooks.py` (about 1.5 minutes, bounded, cleaned up at the end). It reuses
bench/ussd.py's harness: the same private redis-server, the same gunicorn settings
(`-w 2 --threads 4`) for Baara and for the baseline (bench/baseline_app.py: a bare Flask
endpoint reading the form and making one Redis round trip), the same seeded callers and jobs,
and the same two phases in alternating slices (see bench/ussd.py's docstring):

* saturated, 50 clients with no pause: requests per second, and the ratio to the baseline
  (median over back-to-back slice pairs);
* paced at half the slowest server's capacity, the same rate for all: p50/p99 latency, where
  the p99 target is checked.

Three targets are driven in turn: `/sms/incoming` (a mix of the texts people send, each with a
new AT id, half from known subscribers), `/ussd` (bench/ussd.py's callers walking the menu) and
the baseline. No RQ worker runs while they do: `/sms/incoming` de-duplicates, counts and appends
the message to the inbox in one round trip (alerts/sms/inbox.py), and understanding and answering
it is the worker's cost, not the webhook's. That cost is measured last, so it is not hidden: one
drainer (as `worker.py` runs it) handles the inbox the webhook filled for a few seconds, and its
messages per second are printed (the replies it queues are left unsent, then discarded).

Targets (issue 8): each webhook >= 60% of the baseline's requests/s, p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` and `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.processes import Processes, free_port  # noqa: E402
from bench.ussd import (  # noqa: E402
    GUNICORN,
    RETURNING,
    TOKEN,
    Driver,
    Sample,
    returning_phone,
    seed,
    spread_phone,
    start_gunicorn,
)

#: What people text, as often as they text it: subscriptions, questions, stops, noise.
SMS_TEXTS = [
    "inscrire niono mobilisateur",
    "NIONO",
    "sikaso district officer",
    "tout segou",
    "je veux les offres d'infirmier a Kati et Koulikoro",
    "n b'a fɛ baara sɔrɔ Kati",
    "LISTE",
    "AIDE",
    "OFFRES",
    "STOP NIONO",
    "LANGUE BM",
    "bonjour",
    "J482",
    "?",
    "koutiala sage femme",
]


class SmsDriver(Driver):
    """CONCURRENCY clients posting inbound SMS as Africa's Talking does."""

    ids = itertools.count()

    def _caller(
        self,
        me: int,
        stop: float,
        latencies: list[float],
        errors: list[int],
        interval: float,
        first: float,
    ) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        due = first
        for n in itertools.count(me):
            if interval:
                time.sleep(max(0.0, due - time.monotonic()))
                due += interval
            if time.monotonic() >= stop:
                break
            with self.lock:
                number = next(self.numbers)
                msg_id = next(self.ids)
            phone = (
                returning_phone(number % RETURNING) if number % 2 else spread_phone("90", number)
            )
            body = urllib.parse.urlencode(
                {
                    "from": phone,
                    "to": "38422",
                    "text": SMS_TEXTS[n % len(SMS_TEXTS)],
                    "date": "2026-11-23 10:00:00",
                    "id": f"ATXid_bench_{msg_id}",
                    "networkCode": "61001",
                    "linkId": "",
                }
            )
            t = time.perf_counter()
            try:
                conn.request("POST", "/sms/incoming", body, headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[me] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            latencies.append(time.perf_counter() - t)
            if response.status != 200:
                errors[me] += 1
        conn.close()


def drain_rate(redis_url: str, env: dict, seconds: float) -> str:
    """Time one inbox drainer (the worker's part of an inbound SMS) on what the bench left."""
    import secrets

    from alerts.services import current_services
    from alerts.sms import inbox
    from alerts.store import INBOX, INBOX_LEASE
    from app import create_app

    app = create_app(
        {
            key: env[key]
            for key in ("REDIS_URL", "QUIET_HOURS", "API_TOKEN", "BAARA_ENV", "SIMULATOR")
        }
    )
    with app.app_context():
        services = current_services()
        redis = services.store.redis
        waiting = redis.llen(INBOX)
        redis.delete(INBOX_LEASE)
        token = f"bench-{secrets.token_hex(4)}"
        redis.set(INBOX_LEASE, token)
        handled, started = 0, time.perf_counter()
        old = inbox.DRAIN_SECONDS, inbox.DRAIN_MESSAGES
        inbox.DRAIN_SECONDS, inbox.DRAIN_MESSAGES = seconds, 10**9
        try:
            handled = inbox.drain(services, token)
        finally:
            inbox.DRAIN_SECONDS, inbox.DRAIN_MESSAGES = old
        elapsed = time.perf_counter() - started
    return (
        f"worker side: one inbox drainer handled {handled:,} of the {waiting:,} waiting SMS "
        f"in {elapsed:.1f}s: {handled / elapsed:.0f} SMS/s (understand it, update the "
        f"subscriber, queue the reply; one drainer at a time)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50, help="clients at once")
    parser.add_argument("--seconds", type=float, default=12, help="saturated time per target")
    parser.add_argument("--paced", type=float, default=8, help="paced time per target")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured time per target")
    parser.add_argument("--rounds", type=int, default=6, help="alternating slices per phase")
    parser.add_argument("--drain", type=float, default=5, help="seconds the drainer is timed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    from alerts.ops.devstack import start_redis

    folder = Path(tempfile.mkdtemp(prefix="baara-bench-webhooks-"))
    procs = Processes()
    ok = True
    try:
        redis_port = free_port()
        procs.procs.append(start_redis(folder / "redis", redis_port))
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "QUIET_HOURS": "",
            "BAARA_ENV": "development",
            "API_TOKEN": TOKEN,
            "WEBHOOK_TOKEN": "",
            "SIMULATOR": "0",
            "PYTHONPATH": str(ROOT),
        }
        ports = {"baseline": free_port(), "app": free_port()}
        start_gunicorn(
            procs, "bench.baseline_app:app", ports["baseline"], env, folder / "baseline.log"
        )
        start_gunicorn(procs, "app:app", ports["app"], env, folder / "app.log")
        seed(redis_url, ports["app"])

        names = ("baseline", "sms", "ussd")
        drivers: dict[str, Driver] = {
            "baseline": Driver(ports["baseline"], args.concurrency),
            "sms": SmsDriver(ports["app"], args.concurrency),
            "ussd": Driver(ports["app"], args.concurrency),
        }
        labels = {
            "baseline": "baseline (bare Flask + 1 Redis GET)",
            "sms": "/sms/incoming (accept into inbox)",
            "ussd": "/ussd (the menu)",
        }
        print(
            f"webhooks bench: {os.cpu_count() or 1} CPU(s), gunicorn "
            f"{' '.join(GUNICORN[2:6])}, {args.concurrency} concurrent clients; no RQ worker "
            f"while they run (the SMS inbox grows); per target {args.warmup:.0f}s warm-up, "
            f"{args.seconds:.0f}s saturated, {args.paced:.0f}s paced, "
            f"{args.rounds} alternating slices"
        )
        for name in names:
            drivers[name].run(args.warmup)

        ratios: dict[str, list[float]] = {"sms": [], "ussd": []}

        def alternate(seconds: float, rate: float | None = None) -> dict[str, dict]:
            # Slices taken in turn, so a neighbour's burst on a shared machine hits all three.
            pooled = {name: Sample() for name in names}
            for _ in range(args.rounds):
                rps = {}
                for name in names:
                    sample = drivers[name].run(seconds / args.rounds, rate)
                    pooled[name].add(sample)
                    rps[name] = len(sample.times) / sample.elapsed
                if rate is None:
                    for name in ratios:
                        ratios[name].append(rps[name] / rps["baseline"])
            return {name: pooled[name].summary() for name in names}

        saturated = alternate(args.seconds)
        rate = min(res["rps"] for res in saturated.values()) / 2
        paced = alternate(args.paced, rate)
        for title, results in (
            ("saturated (no pause)", saturated),
            (f"paced at {rate:.0f} req/s (half the slowest's capacity)", paced),
        ):
            print(f"{title}:")
            for name in names:
                res = results[name]
                print(
                    f"  {labels[name]:<40} {res['rps']:6.0f} req/s  p50 {res['p50']:6.1f} ms"
                    f"  p99 {res['p99']:6.1f} ms  ({res['requests']:,} requests, "
                    f"{res['errors']} errors)"
                )
                ok &= res["errors"] == 0
        for name in ("sms", "ussd"):
            ratio = statistics.median(ratios[name])
            p99 = paced[name]["p99"]
            met = ratio >= 0.6 and p99 <= 50
            ok &= met
            print(
                f"{labels[name]}: {ratio:.0%} of the baseline's requests/s (median of "
                f"{len(ratios[name])} slice pairs, range {min(ratios[name]):.0%}-"
                f"{max(ratios[name]):.0%}; target >= 60%), paced p99 {p99:.1f} ms "
                f"(target <= 50 ms): {'met' if met else 'MISSED'}"
            )
        print(drain_rate(redis_url, env, args.drain))
    finally:
        procs.stop_all()
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
