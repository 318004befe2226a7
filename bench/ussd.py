"""Benchmark the USSD menu under gunicorn beside a bare Flask baseline: `python bench/ussd.py`.

What it does, all on this machine, bounded in time (about a minute) and cleaned up at the end:

1. starts a private redis-server on a free port, then two gunicorn servers with the same
   settings (`-w 2 --threads 4`): Baara (`app:app`) and the baseline (`bench.baseline_app:app`,
   a bare Flask endpoint that reads the form and makes one Redis round trip);
2. seeds returning callers (language and an alert) and a few open jobs;
3. drives each server in turn (short alternating slices, so that a burst from a neighbour on a
   shared machine hits both) with CONCURRENCY sessions at once, each a caller dialling and walking a
   realistic path of 4 to 6 screens (AT's `text` growing one answer per request, a new
   sessionId per call), in two phases:
   * saturated: no pause between answers. Requests per second is the server's capacity; the
     ratio reported is the median over pairs of back-to-back slices (a neighbour's burst spoils
     one pair, not the figure), with the range and the pooled ratio beside it. Its latency is
     mostly waiting in line: with 50 requests always in flight, mean latency is
     50 / capacity (Little's law) whatever the handler does, the baseline's included;
   * paced: the same sessions, their answers spread evenly over time, at half the capacity of
     the slower server, the same rate for both. Its latency is what a caller waits for a
     screen on a busy server (still ten times the load 50 real callers make, who take seconds
     to answer); the p99 target is checked here;
4. prints requests per second and p50/p99 latency for both, and the ratios.

The load generator runs on the same cores as the servers (two on the reference machine), so
the absolute figures are pessimistic; both servers pay the same.

Targets (issue 5): p99 <= 50 ms, and at least 60% of the baseline's requests per second.
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
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` importable
    sys.path.insert(0, str(ROOT))

from bench.processes import Processes, free_port  # noqa: E402

TOKEN = "bench-token"
GUNICORN = ["-m", "gunicorn", "-w", "2", "--threads", "4", "--log-level", "warning"]

#: Calls as people make them; a request per screen. "R" callers are known (language, alerts),
#: "N" callers dial for the first time and pick their language first.
SCRIPTS: list[tuple[str, list[str]]] = [
    # Subscribe by paging: Ségou, Niono, every job, confirm (ends the call).
    ("R", ["1", "4", "7", "1", "1"]),
    # Open jobs: the list, one job's details, back, another job.
    ("R", ["3", "1", "0", "2"]),
    # My alerts: pick one to remove, then think better of it.
    ("R", ["2", "1", "2"]),
    # First call: French, subscribe, type a district name, pick it, next page of jobs kinds.
    ("N", ["1", "1", "kati", "1", "99"]),
]
#: Known callers: enough that nobody calls twice within a run (a second call within five
#: minutes of one left mid-way is offered to continue, which these scripts do not expect).
RETURNING = 20_000


def wait_http(port: int, path: str, timeout: float = 30) -> None:
    """Wait until GET path answers 200 on the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"nothing answered on port {port} within {timeout:.0f}s")


def start_gunicorn(procs: Processes, target: str, port: int, env: dict, log: Path) -> None:
    """Serve target (module:app) with the bench's gunicorn settings, wait until it answers."""
    with log.open("ab") as out:
        procs.start(
            [sys.executable, *GUNICORN, "-b", f"127.0.0.1:{port}", target],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    wait_http(port, "/healthz")


def seed(redis_url: str, port: int) -> None:
    """Returning callers with a language and an alert, and a few open jobs."""
    import json

    from alerts.store import Language, Source, Store, Subscriber, Subscription

    store = Store.from_url(redis_url)
    store.seed_subscribers(
        Subscriber(
            phone=returning_phone(n),
            language=Language.FR if n % 3 else Language.BM,
            source=Source.USSD,
            subscriptions=(Subscription(district="kati"),),
        )
        for n in range(RETURNING)
    )
    deadline = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    places = (["Kati"], ["Niono", "Macina"], ["Sikasso", "Bougouni", "Koutiala"], ["Bamako"])
    for n in range(8):
        body = json.dumps(
            {
                "title": f"Infirmier(ère) d'État, poste {n}",
                "organization": "ALIMA",
                "category": "nurse",
                "districts": places[n % len(places)],
                "deadline": deadline,
                "apply": "recrutement@example.org",
                "publish": True,
            }
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            "/api/jobs",
            body,
            {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        response = conn.getresponse()
        if response.status != 201:
            raise RuntimeError(f"POST /api/jobs: {response.status} {response.read()[:200]!r}")


def returning_phone(n: int) -> str:
    """A known caller's number, one per store bucket as real numbers mostly are."""
    return spread_phone("76", n)


def spread_phone(prefix: str, n: int) -> str:
    """The n-th number of a mobile prefix, consecutive n in different store buckets."""
    # The store keeps a hundred numbers per hash (all but the last two digits): consecutive
    # numbers would all write to one hash and retry each other's transactions, which real
    # callers, spread over the whole numbering plan, do not.
    return f"+223{prefix}{n % 10000:04d}{n // 10000 % 100:02d}"


@dataclass
class Sample:
    """Latencies (seconds) of the requests a run completed, its errors and its duration."""

    times: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def add(self, other: Sample) -> None:
        """Pool another run's figures into this one."""
        self.times += other.times
        self.errors += other.errors
        self.elapsed += other.elapsed

    def summary(self) -> dict:
        """Requests, errors, requests per second, p50 and p99 in milliseconds."""
        times = sorted(self.times)
        if not times:
            raise RuntimeError("no request completed")
        return {
            "requests": len(times),
            "errors": self.errors,
            "rps": len(times) / self.elapsed,
            "p50": statistics.median(times) * 1000,
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
        }


class Driver:
    """CONCURRENCY threads, each one caller after another, until the time is up."""

    def __init__(self, port: int, concurrency: int) -> None:
        self.port = port
        self.concurrency = concurrency
        self.numbers = itertools.count()
        self.lock = threading.Lock()

    def run(self, seconds: float, rate: float | None = None) -> Sample:
        """Drive for `seconds`, flat out or at `rate` requests/s in all."""
        stop = time.monotonic() + seconds
        latencies: list[list[float]] = [[] for _ in range(self.concurrency)]
        errors = [0] * self.concurrency
        # Paced: each session sends every `interval` seconds, the sessions evenly staggered.
        interval = self.concurrency / rate if rate else 0.0
        start = time.monotonic() + 0.05
        threads = [
            threading.Thread(
                target=self._caller,
                args=(
                    i,
                    stop,
                    latencies[i],
                    errors,
                    interval,
                    start + i * interval / self.concurrency,
                ),
            )
            for i in range(self.concurrency)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return Sample(
            [x for per in latencies for x in per], sum(errors), time.monotonic() - started
        )

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
        for call in itertools.count(me):
            if time.monotonic() >= stop:
                break
            kind, answers = SCRIPTS[call % len(SCRIPTS)]
            with self.lock:
                n = next(self.numbers)
            phone = returning_phone(n % RETURNING) if kind == "R" else spread_phone("66", n)
            session = f"ATUid_bench_{me}_{call}"
            for depth in range(len(answers) + 1):
                if interval:
                    time.sleep(max(0.0, due - time.monotonic()))
                    due += interval
                if time.monotonic() >= stop:
                    break
                body = urllib.parse.urlencode(
                    {
                        "sessionId": session,
                        "serviceCode": "*384*22#",
                        "phoneNumber": phone,
                        "networkCode": "61001",
                        "text": "*".join(answers[:depth]),
                    }
                )
                t = time.perf_counter()
                try:
                    conn.request("POST", "/ussd", body, headers)
                    response = conn.getresponse()
                    reply = response.read()
                except (OSError, http.client.HTTPException):
                    errors[me] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    break
                latencies.append(time.perf_counter() - t)
                if response.status != 200 or not reply.startswith((b"CON ", b"END ")):
                    errors[me] += 1
                if reply.startswith(b"END "):
                    break
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its figures; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50, help="sessions at once")
    parser.add_argument("--seconds", type=float, default=10, help="saturated time per server")
    parser.add_argument("--paced", type=float, default=8, help="paced time per server")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured time per server")
    parser.add_argument("--rounds", type=int, default=8, help="alternating slices per phase")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    from alerts.ops.devstack import start_redis

    folder = Path(tempfile.mkdtemp(prefix="baara-bench-ussd-"))
    procs = Processes()
    ok = True
    try:
        redis_port = free_port()
        redis_proc = start_redis(folder / "redis", redis_port)
        procs.procs.append(redis_proc)
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
        ports = {"baseline": free_port(), "ussd": free_port()}
        start_gunicorn(
            procs, "bench.baseline_app:app", ports["baseline"], env, folder / "baseline.log"
        )
        start_gunicorn(procs, "app:app", ports["ussd"], env, folder / "app.log")
        seed(redis_url, ports["ussd"])

        cpus = os.cpu_count() or 1
        print(
            f"ussd bench: {cpus} CPU(s), gunicorn {' '.join(GUNICORN[2:6])}, "
            f"{args.concurrency} concurrent sessions of 4-6 screens; per server "
            f"{args.warmup:.0f}s warm-up, {args.seconds:.0f}s saturated, "
            f"{args.paced:.0f}s paced, in {args.rounds} alternating slices"
        )
        labels = {"baseline": "baseline (bare Flask + 1 Redis GET)", "ussd": "/ussd (Baara's menu)"}
        names = ("baseline", "ussd")
        drivers = {name: Driver(ports[name], args.concurrency) for name in names}
        for name in names:
            drivers[name].run(args.warmup)

        ratios: list[float] = []

        def alternate(seconds: float, rate: float | None = None) -> dict[str, dict]:
            # Slices taken in turn, so a neighbour's burst on a shared machine hits both.
            pooled = {name: Sample() for name in names}
            for _ in range(args.rounds):
                rps = {}
                for name in names:
                    sample = drivers[name].run(seconds / args.rounds, rate)
                    pooled[name].add(sample)
                    rps[name] = len(sample.times) / sample.elapsed
                ratios.append(rps["ussd"] / rps["baseline"])
            return {name: pooled[name].summary() for name in names}

        results: dict[tuple[str, str], dict] = {}
        for name, res in alternate(args.seconds).items():
            results[name, "saturated"] = res
        saturated_ratios = sorted(ratios)
        rate = min(results[name, "saturated"]["rps"] for name in names) / 2
        for name, res in alternate(args.paced, rate).items():
            results[name, "paced"] = res
        titles = {
            "saturated": "saturated (no pause between answers)",
            "paced": f"paced at {rate:.0f} req/s (half the slower one's capacity)",
        }
        for phase, title in titles.items():
            print(f"{title}:")
            for name in ("baseline", "ussd"):
                res = results[name, phase]
                print(
                    f"  {labels[name]:<36} {res['rps']:6.0f} req/s  p50 {res['p50']:6.1f} ms"
                    f"  p99 {res['p99']:6.1f} ms  ({res['requests']:,} requests, "
                    f"{res['errors']} errors)"
                )
                ok &= res["errors"] == 0
        pooled = results["ussd", "saturated"]["rps"] / results["baseline", "saturated"]["rps"]
        ratio = statistics.median(saturated_ratios)
        p99 = results["ussd", "paced"]["p99"]
        print(
            f"throughput: /ussd does {ratio:.0%} of the baseline's requests/s, median of "
            f"{len(saturated_ratios)} back-to-back slice pairs (range {saturated_ratios[0]:.0%}"
            f"-{saturated_ratios[-1]:.0%}, pooled {pooled:.0%}; target >= 60%): "
            f"{'met' if ratio >= 0.6 else 'MISSED'}"
        )
        print(
            f"latency: /ussd p99 {p99:.1f} ms at {rate:.0f} req/s (target <= 50 ms): "
            f"{'met' if p99 <= 50 else 'MISSED'}"
        )
        ok &= ratio >= 0.6 and p99 <= 50
    finally:
        procs.stop_all()
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
