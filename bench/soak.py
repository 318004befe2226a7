"""Soak test: mixed traffic for a while, memory at start and end, errors: `python bench/soak.py`.

Starts a private redis-server, a loopback Africa's Talking server (tests/loopback_at.py),
Baara under gunicorn (bench/ussd.py's settings) and one RQ worker (`worker.py`), so replies
are really sent and delivery reports find them. Then, for --minutes (default 10), --clients
threads send a paced mix: inbound SMS, USSD calls, delivery reports and opt-outs, JSON API
reads. It prints the resident memory of the gunicorn master and workers and of the RQ worker,
and Redis' used_memory, after warm-up, every minute and at the end, then the error count
(any transport error or 5xx, and any webhook answer other than 200).

Redis is the store of record, and each message leaves records kept for days on purpose: its line in
the number's history, the reply's record and its delivery ref, its AT id (alerts/store/keys.py
lists them, with HISTORY_DAYS, RECORD_DAYS, DELIVERY_REF_DAYS and SEEN_DAYS). Ten minutes can never
see those reach their steady state, and their growth would hide a leak. So the soak runs Baara with
those four retentions scaled down to --retention seconds (30 by default) and a warm-up longer than
that and than a USSD call record's 5 minutes; past the warm-up, every key family must be in its
steady state, and Redis must stay flat like the processes. (A number's history expires that long
after its last message; the soak's traffic comes back to the same number every 50 seconds, so a
longer retention would make each history fill up to its cap of 30 lines, and its AT ids to their
50, first: bounded, but not within ten minutes.) Each report also shows what the records kept by
design hold (`MEMORY USAGE` over their keys), and the end prints what they cost per inbound SMS, so
their growth under the real retention can be planned.

Targets (issue 8): flat memory, zero errors. "Flat" is checked as: each process and Redis grow
by at most PROCESS_SLACK_MIB and REDIS_SLACK_MIB after warm-up.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` and `bench` importable
    sys.path.insert(0, str(ROOT))

from bench.processes import Processes, free_port  # noqa: E402
from bench.ussd import (  # noqa: E402
    SCRIPTS,
    TOKEN,
    seed,
    spread_phone,
    start_gunicorn,
    wait_http,
)
from bench.webhooks import SMS_TEXTS  # noqa: E402

#: Growth allowed after warm-up before memory counts as not flat (allocator noise).
PROCESS_SLACK_MIB = 5.0
REDIS_SLACK_MIB = 2.0
#: USSD call records (resumable calls) live this long: the warm-up must outlast it.
USSD_CALL_SECONDS = 300
#: Key families that grow with the messages handled, by design (alerts/store/keys.py lists them).
KEPT_BY_DESIGN = {
    "hist:*": "history",
    "out:*": "reply records",
    "outs:*": "reply ids",
    "gw:*": "delivery refs",
    "seen:*": "AT ids",
}


def kept_by_design(client) -> tuple[int, int]:
    """(bytes, keys) of the per-message records Redis keeps on purpose (MEMORY USAGE)."""
    total = keys = 0
    for pattern in KEPT_BY_DESIGN:
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=2000):
            batch.append(key)
            if len(batch) == 1000:
                total, keys = _usage(client, batch, total, keys)
                batch = []
        total, keys = _usage(client, batch, total, keys)
    return total, keys


def _usage(client, batch: list[bytes], total: int, keys: int) -> tuple[int, int]:
    pipe = client.pipeline(transaction=False)
    for key in batch:
        pipe.memory_usage(key)
        # The seeded jobs' alerts have delivery refs too: those are not per-message records.
        if key.startswith(b"gw:"):
            pipe.get(key)
    found = iter(pipe.execute())
    sizes = []
    for key in batch:
        size = next(found) or 0
        if key.startswith(b"gw:") and (next(found) or b"").startswith(b"alert:"):
            continue
        sizes.append(size)
    return total + sum(sizes), keys + len(sizes)


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


class Traffic:
    """Client threads sending a paced mix of requests; counts requests and errors."""

    def __init__(self, port: int, clients: int, rate: float, seed_: int = 8) -> None:
        self.port = port
        self.clients = clients
        self.interval = clients / rate
        self.rng = random.Random(seed_)
        self.lock = threading.Lock()
        self.ids = itertools.count()
        self.requests = 0
        self.sms = 0
        self.errors: dict[str, int] = {}
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)
        ]

    def start(self) -> None:
        """Start every client thread."""
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        """Stop the clients and wait for them."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)

    def _error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def _next(self) -> int:
        with self.lock:
            self.requests += 1
            return next(self.ids)

    def _client(self, me: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        api = {"Authorization": f"Bearer {TOKEN}"}
        due = time.monotonic() + me * self.interval / self.clients
        session: list[str] = []
        script: list[str] = []
        while not self.stop.is_set():
            time.sleep(max(0.0, due - time.monotonic()))
            due += self.interval
            n = self._next()
            # A phone from a bounded pool: the same people come back, as in real life.
            phone = spread_phone("76" if n % 2 else "66", n % 5000)
            kind = n % 10
            if kind < 4:
                with self.lock:
                    self.sms += 1
                path, headers, method = "/sms/incoming", form, "POST"
                body = urllib.parse.urlencode(
                    {
                        "from": phone,
                        "to": "38422",
                        "text": SMS_TEXTS[n % len(SMS_TEXTS)],
                        "date": "2026-11-23 10:00:00",
                        "id": f"ATXid_soak_{n}",
                    }
                )
            elif kind < 8:
                if not script:
                    script = list(SCRIPTS[n % len(SCRIPTS)][1])
                    session = [f"ATUid_soak_{n}", phone, ""]
                    answer = None
                else:
                    answer = script.pop(0)
                if answer is not None:
                    session[2] = f"{session[2]}*{answer}" if session[2] else answer
                path, headers, method = "/ussd", form, "POST"
                body = urllib.parse.urlencode(
                    {
                        "sessionId": session[0],
                        "serviceCode": "*384*22#",
                        "phoneNumber": session[1],
                        "networkCode": "61001",
                        "text": session[2],
                    }
                )
            elif kind == 8:
                path, headers, method = "/sms/delivery", form, "POST"
                body = urllib.parse.urlencode(
                    {
                        "id": f"ATXid_{self.rng.randint(0, 10**6)}",
                        "status": "Success",
                        "phoneNumber": phone,
                        "networkCode": "61001",
                    }
                )
            else:
                path, headers, method = self.rng.choice(
                    [
                        (f"/api/subscribers/{urllib.parse.quote(phone)}", api, "GET"),
                        ("/api/jobs?limit=20", api, "GET"),
                        ("/api/relays", api, "GET"),
                        ("/healthz", {}, "GET"),
                    ]
                )
                body = None
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                reply = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._error(f"{path.split('?')[0][:20]} {type(exc).__name__}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                continue
            bad = response.status >= 500 or (
                not path.startswith(("/api/", "/healthz")) and response.status != 200
            )
            if path == "/ussd" and reply.startswith(b"END "):
                script = []
            if bad:
                self._error(f"{path.split('?')[0][:20]} {response.status}")
        conn.close()


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print memory and errors; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="how long to run")
    parser.add_argument("--clients", type=int, default=20, help="client threads")
    parser.add_argument("--rate", type=float, default=100, help="requests per second in all")
    parser.add_argument(
        "--retention",
        type=float,
        default=30,
        help="seconds the per-message records are kept during the soak",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before the start figures (default: past every retention)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = parser.parse_args(argv)

    import redis

    from alerts.ops.devstack import start_redis

    folder = Path(tempfile.mkdtemp(prefix="baara-soak-"))
    procs = Processes()
    errors: dict[str, int] = {}
    flat = False
    try:
        redis_port, at_port, port = free_port(), free_port(), free_port()
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
            "AT_USERNAME": "baara",
            "AT_API_KEY": "soak",
            "AT_API_URL": f"http://127.0.0.1:{at_port}/version1",
            **dict.fromkeys(
                ("HISTORY_DAYS", "RECORD_DAYS", "DELIVERY_REF_DAYS", "SEEN_DAYS"),
                repr(args.retention / 86400),
            ),
        }
        warmup = (
            args.warmup if args.warmup is not None else max(args.retention, USSD_CALL_SECONDS) + 60
        )
        with (folder / "at.log").open("ab") as out:
            procs.start(
                [sys.executable, "tests/loopback_at.py", "--port", str(at_port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
            )
        wait_http(at_port, "/_loopback/stats")
        start_gunicorn(procs, "app:app", port, env, folder / "app.log")
        with (folder / "worker.log").open("ab") as out:
            worker = procs.start(
                [sys.executable, "worker.py"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        master = procs.procs[-2].pid
        seed(redis_url, port)
        client = redis.Redis.from_url(redis_url)

        def memory(label: str) -> dict[str, int]:
            workers = children(master)
            figures = {
                "gunicorn master": rss_kib(master),
                **{f"gunicorn worker {i + 1}": rss_kib(pid) for i, pid in enumerate(workers)},
                "rq worker": rss_kib(worker.pid),
            }
            used = int(client.info("memory")["used_memory"]) // 1024
            kept, keys = kept_by_design(client)
            kept //= 1024
            print(
                f"[{label}] "
                + ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in figures.items())
                + f", redis used_memory {used / 1024:.1f} MiB (records kept by design "
                f"{kept / 1024:.1f} MiB in {keys:,} keys; the rest {(used - kept) / 1024:.1f}"
                f" MiB)",
                flush=True,
            )
            return {**figures, "redis": used, "redis kept by design": kept}

        traffic = Traffic(port, args.clients, args.rate)
        print(
            f"soak: {args.minutes:g} min of mixed traffic (40% SMS in, 40% USSD, 10% "
            f"delivery reports, 10% API/health) at {args.rate:g} req/s from {args.clients} "
            f"clients; one RQ worker sending through a loopback AT; per-message records "
            f"kept {args.retention:g}s instead of days; {warmup:g}s warm-up",
            flush=True,
        )
        traffic.start()
        # Warm-up: caches and pools fill, every record family reaches its steady state.
        time.sleep(warmup)
        start = memory("start")
        sms_start, requests_start = traffic.sms, traffic.requests
        ends = time.monotonic() + args.minutes * 60
        next_report = time.monotonic() + 60
        while time.monotonic() < ends:
            time.sleep(max(0.0, min(ends, next_report) - time.monotonic()))
            if time.monotonic() >= next_report and time.monotonic() < ends:
                memory(f"{(time.monotonic() - ends) / 60 + args.minutes:.0f} min")
                next_report += 60
        traffic.finish()
        sms_in = traffic.sms - sms_start
        measured = traffic.requests - requests_start

        def backlog_now() -> int:
            queued = sum(
                client.llen(k) for k in client.scan_iter("rq:queue:*") if client.type(k) == b"list"
            )
            return queued + client.llen("inbox:sms") + client.llen("inbox:sms:busy")

        drained = time.monotonic() + 30  # let the worker finish what is queued, then measure
        while backlog_now() and time.monotonic() < drained:
            time.sleep(0.5)
        end = memory("end")
        errors = traffic.errors
        backlog = sum(
            client.llen(k) for k in client.scan_iter("rq:queue:*") if client.type(k) == b"list"
        )
        inbox = client.llen("inbox:sms") + client.llen("inbox:sms:busy")
        change = {k: (end.get(k, 0) - v) / 1024 for k, v in start.items()}
        change.pop("redis kept by design")
        print("memory change: " + ", ".join(f"{k} {v:+.1f} MiB" for k, v in change.items()))
        processes = {k: v for k, v in change.items() if not k.startswith("redis")}
        flat = max(processes.values()) <= PROCESS_SLACK_MIB and change["redis"] <= REDIS_SLACK_MIB
        # At the steady state the records kept by design hold `retention` seconds of messages.
        in_window = sms_in * min(1.0, args.retention / max(1.0, args.minutes * 60))
        per_sms = end["redis kept by design"] * 1024 / max(1.0, in_window)
        print(
            f"flat memory (each process <= +{PROCESS_SLACK_MIB:g} MiB, Redis <= "
            f"+{REDIS_SLACK_MIB:g} MiB after warm-up): {'met' if flat else 'MISSED'}. The "
            f"records kept by design hold about {per_sms:,.0f} bytes per inbound SMS: with "
            f"the shipped retention (history 90 days, capped at 30 lines a number; reply "
            f"records 30, delivery refs 14, AT ids 7) Redis grows by that much per SMS "
            f"until those horizons, then stays level"
        )
        print(
            f"requests after warm-up: {measured:,} ({sms_in:,} inbound SMS; "
            f"{traffic.requests:,} with the warm-up); RQ backlog at the "
            f"end: {backlog}; SMS inbox at the end: {inbox}; errors: "
            f"{sum(errors.values())}" + (f" {json.dumps(errors)}" if errors else "")
        )
    finally:
        procs.stop_all()
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 1 if errors or not flat else 0


if __name__ == "__main__":
    raise SystemExit(main())
