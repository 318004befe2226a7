"""Benchmark the alert fan-out against a loopback AT server: `python bench/fanout.py`.

What it does, all on this machine and cleaned up at the end (bounded in time):

1. starts a private redis-server on a free port and `tests/loopback_at.py --delay 0.05`
   (every AT request answered after 50 ms);
2. creates the subscribers of every run (plus some that must *not* match) and prints Redis
   bytes per subscription (INFO memory used_memory delta / subscriptions created);
3. for N matched subscribers (10,000 and 100,000 by default) posts a job with POST /api/jobs
   and lets two `python worker.py --burst` processes send it; prints the seconds from publish
   to the last request AT accepted (polled from GET /_loopback/stats) and recipients per
   second, and checks that AT received exactly N alerts;
4. the baseline: the same, at a smaller N, enqueueing one RQ job per recipient.

Workers are started before the clock starts and held by a "barrier" RQ job each, so the
figures measure the fan-out, not Python start-up (printed separately).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `alerts` importable
    sys.path.insert(0, str(ROOT))

from bench.processes import Processes, free_port  # noqa: E402

BARRIER_KEY = "bench:barrier"
TOKEN = "bench-token"

# -- RQ jobs the workers run (imported by them as bench.fanout) ---------------------------


def barrier(key: str, timeout: float = 120.0) -> str:
    """Hold this worker until the bench has published (so start-up is not timed).

    The bench releases one worker with "go" and the other with "after:{job id}": that one
    waits until the job's first batches are queued, as a long-running worker blocked on the
    queue would. A burst worker released at once would find the queue empty while the first
    one plans, and quit.
    """
    from alerts.services import current_services

    services = current_services()
    store = services.store
    store.redis.rpush(f"{key}:ready", os.getpid())
    popped = store.redis.blpop([f"{key}:go"], timeout=timeout)
    message = cast(str, popped[1]) if popped else "go"  # the store's client decodes replies
    if message.startswith("after:"):
        job_id = message.split(":", 1)[1]
        alerts = services.queue("alerts")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # The first batches are cut and queued (the planner cuts the rest meanwhile).
            if store.fanout_plan(job_id).get("state") == "done" or (
                store.fanout_todo(job_id) and alerts.count > 0
            ):
                break
            time.sleep(0.002)
    return "released"


def baseline_send(job_id: str, phone: str) -> str:
    """The naive fan-out: one RQ job per recipient, checking, rendering and sending one SMS."""
    from alerts.jobs import lifecycle as jobs
    from alerts.services import current_services

    services = current_services()
    store = services.store
    job = jobs.get_job(job_id, services=services)
    if job is None or not store.active_flags([phone])[0]:
        return "skipped"
    lang = store.languages([phone])[0]
    text = jobs.alert_text(job, lang.value if lang else "fr")
    result = services.gateway.send_one(text, phone)
    if result.message_id:
        store.link_gateway_id(result.message_id, f"alert:{job_id}:{phone}")
    return result.status.value


# -- processes ------------------------------------------------------------------------------


def http_json(url: str, data: bytes | None = None) -> dict:
    """GET (or POST with data) a small JSON answer."""
    with urllib.request.urlopen(url, data=data, timeout=5) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def wait_until(check, timeout: float, step: float = 0.05, what: str = "condition") -> float:
    """Poll check() until true; returns the monotonic time it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return time.monotonic()
        time.sleep(step)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


# -- data -----------------------------------------------------------------------------------


def make_subscribers(ref, start: int, count: int, kind: str):
    """Subscribers for one scenario; each kind mixes district, region and category ones."""
    from alerts.store import Language, Subscriber, Subscription

    now = int(time.time())
    sikasso = [d.slug for d in ref.districts_in("sikasso")]
    for i in range(count):
        phone = f"+2236{start + i:07d}"
        lang = Language.BM if i % 4 == 0 else Language.FR
        k = i % 10
        subs: tuple[Subscription, ...]
        if kind == "sikasso":  # the 100k run: posted to the whole Sikasso region, nurses
            d = sikasso[i % len(sikasso)]
            if k < 5:
                subs = (Subscription(district=d),)
            elif k < 7:
                subs = (Subscription(district=d, category="nurse"),)
            elif k < 8:
                subs = (Subscription(region="sikasso"),)
            else:  # two subscriptions that both match: still one alert
                subs = (Subscription(district=d), Subscription(region="sikasso", category="nurse"))
        elif kind == "niono":  # the 10k run: posted to Niono, community mobilizers
            if k < 6:
                subs = (Subscription(district="niono"),)
            elif k < 8:
                subs = (Subscription(district="niono", category="community-mobilizer"),)
            else:
                subs = (Subscription(region="segou"),)
        elif kind == "kati":  # the baseline: posted to Kati
            subs = (Subscription(district="kati"),)
        else:  # must never be matched: other places, or the right place for another job
            d = sikasso[i % len(sikasso)]
            subs = (
                (Subscription(district=d, category="doctor"),)
                if k < 5
                else (Subscription(district="kayes"),)
            )
        yield Subscriber(
            phone=phone, language=lang, created_at=now, updated_at=now, subscriptions=subs
        )


def payload(title: str, category: str, places: list[str]) -> dict:
    """A job posting, deadline in two weeks."""
    deadline = (datetime.now() + timedelta(days=14)).replace(hour=17, minute=0, second=0)
    return {
        "title": title,
        "organization": "AMCP-SP/ALIMA",
        "category": category,
        "districts": places,
        "positions": 3,
        "deadline": deadline.strftime("%Y-%m-%dT%H:%M"),
        "apply": {"email": "recrutement@mali.alima.ngo", "subject": f"Candidature {title}"},
    }


# -- the bench ------------------------------------------------------------------------------


class Bench:
    """The private Redis, the loopback AT server and the in-process app that posts jobs."""

    def __init__(self, folder: Path, procs: Processes, delay: float, batch_size: int) -> None:
        from alerts.ops.devstack import start_redis

        self.folder = folder
        self.procs = procs
        port = free_port()
        redis_proc = start_redis(folder / "redis", port)
        procs.procs.append(redis_proc)
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        at_port = free_port()
        self.at_log = open(folder / "loopback.log", "w")  # noqa: SIM115 - closed in close()
        procs.start(
            [
                sys.executable,
                str(ROOT / "tests" / "loopback_at.py"),
                "--port",
                str(at_port),
                "--delay",
                str(delay),
            ],
            cwd=ROOT,
            stdout=self.at_log,
            stderr=subprocess.STDOUT,
        )
        self.at_url = f"http://127.0.0.1:{at_port}"
        wait_until(self._at_up, 30, what="the loopback AT server")
        self.env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "AT_USERNAME": "baara",
            "AT_API_KEY": "bench",
            "AT_API_URL": f"{self.at_url}/version1",
            "AT_BATCH_SIZE": str(batch_size),
            "QUIET_HOURS": "",
            "API_TOKEN": TOKEN,
            "BAARA_ENV": "development",
            "PYTHONUNBUFFERED": "1",
        }
        from app import create_app

        self.app = create_app(
            {
                "REDIS_URL": self.redis_url,
                "AT_USERNAME": "baara",
                "AT_API_KEY": "bench",
                "AT_API_URL": self.env["AT_API_URL"],
                "AT_BATCH_SIZE": batch_size,
                "QUIET_HOURS": "",
                "API_TOKEN": TOKEN,
            }
        )
        self.ctx = self.app.app_context()
        self.ctx.push()
        from alerts.services import current_services

        self.services = current_services()
        self.client = self.app.test_client()
        self.worker_logs: list = []

    def _at_up(self) -> bool:
        try:
            http_json(f"{self.at_url}/_loopback/stats")
            return True
        except OSError:
            return False

    def close(self) -> None:
        self.ctx.pop()
        self.at_log.close()
        for log in self.worker_logs:
            log.close()

    def at_stats(self) -> dict:
        return http_json(f"{self.at_url}/_loopback/stats")

    def used_memory(self) -> int:
        return int(self.services.store.redis.info("memory")["used_memory"])

    def start_workers(self, count: int = 2) -> tuple[list[subprocess.Popen], float]:
        """Workers in burst mode, each held by a barrier job; returns them and boot seconds."""
        redis = self.services.store.redis
        redis.delete(f"{BARRIER_KEY}:ready", f"{BARRIER_KEY}:go")
        queue = self.services.queue("replies")  # first queue a worker listens on
        for _ in range(count):
            queue.enqueue("bench.fanout.barrier", BARRIER_KEY, result_ttl=60)
        started = time.monotonic()
        workers = []
        for i in range(count):
            log = open(self.folder / f"worker-{len(self.worker_logs)}.log", "w")  # noqa: SIM115
            self.worker_logs.append(log)
            workers.append(
                self.procs.start(
                    [
                        sys.executable,
                        str(ROOT / "worker.py"),
                        "--burst",
                        "--name",
                        f"bench-{len(self.worker_logs)}-{i}",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_until(lambda: redis.llen(f"{BARRIER_KEY}:ready") >= count, 60, what="workers")
        return workers, time.monotonic() - started

    def release(self, job_id: str | None) -> None:
        """Let the workers go: the second one once job_id is planned (if given)."""
        second = f"after:{job_id}" if job_id else "go"
        self.services.store.redis.rpush(f"{BARRIER_KEY}:go", "go", second)

    def finish(self, workers: list[subprocess.Popen], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for w in workers:
            try:
                w.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.procs.stop(w)
                raise TimeoutError("a worker did not finish in time") from None

    def timed(self, expected: int, publish, timeout: float = 180) -> dict:
        """Start workers, publish, and time until AT has accepted `expected` alerts.

        The end is when AT's answer to the last request arrived: the fan-out records it
        (stats last_sent_at); for the baseline, the loopback server is polled (every 50 ms,
        lightly, so the poll itself does not slow AT down).
        """
        http_json(f"{self.at_url}/_loopback/clear", data=b"")
        workers, boot = self.start_workers()
        t0 = time.time()
        info = publish()
        self.release(info.get("plan"))
        t_seen = wait_until(
            lambda: self.at_stats()["messages"] >= expected,
            timeout,
            step=0.05,
            what=f"{expected} alerts at AT",
        )
        seen_wall = time.time() - (time.monotonic() - t_seen)
        self.finish(workers)
        received = self.at_stats()
        last_sent_at = info.pop("last_sent_at", None)
        last = last_sent_at() if last_sent_at else None
        seconds = (last if last else seen_wall) - t0
        return {
            "n": expected,
            "seconds": seconds,
            "per_second": expected / seconds,
            "requests": received["requests"],
            "received": received["messages"],
            "worker_boot": boot,
            **info,
        }

    def post_job(self, body: dict) -> dict:
        resp = self.client.post(
            "/api/jobs", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        if resp.status_code != 201:
            raise RuntimeError(f"POST /api/jobs: {resp.status_code} {resp.get_data(as_text=True)}")
        return resp.get_json()

    def fanout_run(self, expected: int, body: dict) -> dict:
        from alerts.jobs import lifecycle as jobs

        posted: dict = {}

        def publish() -> dict:
            posted.update(self.post_job({**body, "publish": True}))
            stats = self.services.store.alert_stats
            return {
                "job": posted["id"],
                "matched": posted["matched"],
                "plan": posted["id"],
                "last_sent_at": lambda: float(stats(posted["id"]).get("last_sent_at", 0)),
            }

        result = self.timed(expected, publish)
        stats = jobs.job_stats(self.services, posted["id"])
        result["stats"] = stats
        result["exactly_once"] = (
            result["received"] == expected == stats["sent"] and stats["queued"] == 0
        )
        return result

    def floor_run(self, requests: int, size: int) -> float:
        """Seconds for the same AT requests sent straight from two processes (no Redis, no RQ).

        What the loopback server and the SDK alone cost on this machine, right now: the
        fan-out's figure can only be compared with this.
        """
        http_json(f"{self.at_url}/_loopback/clear", data=b"")
        code = (
            "import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from alerts.gateways.africastalking import Gateway\n"
            f"g = Gateway('baara', 'bench', api_url={self.env['AT_API_URL']!r}, "
            f"batch_size={size})\n"
            "start = int(sys.argv[1])\n"
            f"for b in range({requests // 2}):\n"
            f"    g.send('Baara J234 : floor', [f'+2239{{start + b * {size} + i:07d}}' "
            f"for i in range({size})])\n"
        )
        t0 = time.monotonic()
        procs = [
            self.procs.start([sys.executable, "-c", code, str(k * requests * size)], cwd=ROOT)
            for k in range(2)
        ]
        for proc in procs:
            proc.wait(timeout=300)
        return time.monotonic() - t0

    def baseline_run(self, expected: int, body: dict) -> dict:
        from rq import Queue

        from alerts.jobs import lifecycle as jobs

        posted = self.post_job({**body, "publish": False})
        job = jobs.get_job(posted["id"], services=self.services)
        assert job is not None

        def publish() -> dict:
            places = job.match_places(jobs.current_reference())
            found = self.services.store.match(places, job.category)
            phones = sorted(p for ps in found.values() for p in ps)
            queue = self.services.queue("alerts")
            datas = [
                Queue.prepare_data("bench.fanout.baseline_send", (job.id, p), result_ttl=60)
                for p in phones
            ]
            for i in range(0, len(datas), 500):
                queue.enqueue_many(datas[i : i + 500])
            return {"job": job.id, "matched": len(phones)}

        result = self.timed(expected, publish)
        result["exactly_once"] = result["received"] == expected
        return result


def main(argv: list[str] | None = None) -> int:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="matched subscribers per run")
    parser.add_argument("--baseline", type=int, default=400, help="N for the baseline run")
    parser.add_argument("--delay", type=float, default=0.05, help="AT answer delay, seconds")
    parser.add_argument("--batch-size", type=int, default=1000, help="AT_BATCH_SIZE")
    parser.add_argument(
        "--noise", type=int, default=20000, help="subscribers that must not be matched"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip timing the bare AT requests (SDK + loopback only)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    os.environ.setdefault("BAARA_ENV", "development")

    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (other work slows every figure)")
    folder = Path(tempfile.mkdtemp(prefix="baara-bench-"))
    procs = Processes()
    bench: Bench | None = None
    ok = True
    try:
        bench = Bench(folder, procs, args.delay, args.batch_size)
        ref = bench.app.extensions["baara.reference"]
        scenarios = {
            "niono": ("Mobilisateur communautaire", "community-mobilizer", ["Niono"]),
            "sikasso": ("Infirmier d'Etat", "nurse", ["Région de Sikasso"]),
        }
        if not 1 <= len(sizes) <= 2:
            parser.error("--sizes takes one or two sizes (two audiences that never overlap)")
        # The largest run goes to the whole Sikasso region, the other one to Niono.
        kinds = ["sikasso"] if len(sizes) == 1 else ["niono", "sikasso"]
        plan = {}
        start = 0
        for size, kind in zip(sorted(sizes), kinds, strict=True):
            plan[size] = (kind, start)
            start += size
        base_start, noise_start = start, start + args.baseline

        store = bench.services.store
        before = bench.used_memory()
        t = time.monotonic()
        subscriptions = 0

        def counted(subs: Iterator) -> Iterator:
            nonlocal subscriptions
            for s in subs:
                subscriptions += len(s.subscriptions)
                yield s

        people = 0
        for size, (kind, first) in plan.items():
            people += store.seed_subscribers(counted(make_subscribers(ref, first, size, kind)))
        people += store.seed_subscribers(
            counted(make_subscribers(ref, base_start, args.baseline, "kati"))
        )
        people += store.seed_subscribers(
            counted(make_subscribers(ref, noise_start, args.noise, "noise"))
        )
        used = bench.used_memory() - before
        print(
            f"subscribers: {people:,} people, {subscriptions:,} subscriptions "
            f"created in {time.monotonic() - t:.1f}s"
        )
        print(
            f"redis memory: {used / subscriptions:.0f} bytes per subscription "
            f"({used / people:.0f} per subscriber; target <= 200)"
        )
        ok &= used / subscriptions <= 200

        results = {}
        for size, (kind, _) in plan.items():
            title, category, places = scenarios[kind]
            res = bench.fanout_run(size, payload(title, category, places))
            results[size] = res
            s = res["stats"]
            print(
                f"fan-out N={size:,}: {res['seconds']:.2f}s publish -> last accepted request, "
                f"{res['per_second']:,.0f} recipients/s, {res['requests']} AT requests, "
                f"AT received {res['received']:,} (sent={s['sent']:,} queued={s['queued']} "
                f"failed={s['failed']}) exactly once: {'yes' if res['exactly_once'] else 'NO'}"
                f" [workers booted in {res['worker_boot']:.1f}s, not timed]"
            )
            ok &= res["exactly_once"]

        base = bench.baseline_run(args.baseline, payload("Infirmier", "nurse", ["Kati"]))
        print(
            f"baseline N={args.baseline:,} (one RQ job per recipient): {base['seconds']:.2f}s, "
            f"{base['per_second']:,.1f} recipients/s, AT received {base['received']:,}"
        )
        ok &= base["exactly_once"]

        if results and not args.no_floor:
            big = max(results)
            requests = results[big]["requests"]
            floor = bench.floor_run(requests, args.batch_size)
            print(
                f"floor: the same {requests} AT requests of {args.batch_size} sent straight "
                f"from two processes (no Redis, no RQ) take {floor:.2f}s on this machine now"
            )

        if results:
            big = max(results)
            r = results[big]
            ratio = r["per_second"] / base["per_second"]
            print(
                f"speed-up at N={big:,}: {ratio:,.0f}x the baseline's recipients/s (target >= 100x)"
            )
            if big >= 100_000:
                print(
                    f"target 100,000 in <= 10 s: {'met' if r['seconds'] <= 10 else 'MISSED'} "
                    f"({r['seconds']:.2f}s)"
                )
                ok &= r["seconds"] <= 10
            ok &= ratio >= 100
    finally:
        if bench is not None:
            bench.close()
        procs.stop_all()
        if args.keep:
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print("load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
