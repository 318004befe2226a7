"""Run an RQ worker, with its scheduler, on Baara's queues: `python worker.py [--burst]`.

The worker also sweeps for alert batches lost with a dead worker (alerts/sending/fanout.py
explains why RQ alone would take minutes), for inbound SMS left without a drainer
(alerts/sms/inbox.py) and for replies whose RQ job vanished (alerts/sending/outbox.py): between
jobs and, when idle, every few seconds.

Redis outages. RQ 3.0's worker quits on the first Redis error outside its dequeue loop (and its
dequeue backoff grows to a minute); its scheduler process dies with the connection and is only
restarted at the next ten-minute maintenance, and a dead scheduler's lock (61 s) survives a
restart from the AOF. So here the worker rides out an outage — it waits for Redis with a short
capped backoff and carries on, leaving whatever job it was running to the sweeps — and the
scheduler does the same, re-tries its locks every few seconds, and takes over a lock whose holder
has stopped refreshing it. Scheduled work (reply and alert retries, consent expiries) therefore
resumes within seconds of Redis returning.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import redis as redis_lib
from rq import SimpleWorker, Worker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

from alerts.sending import outbox, sender, sweeper
from alerts.services import current_services
from alerts.sms import inbox, relays
from app import create_app

log = logging.getLogger("worker")

#: What a lost Redis looks like to redis-py (LOADING after a restart is a ConnectionError too).
REDIS_DOWN: tuple[type[Exception], ...] = (redis_lib.ConnectionError, redis_lib.TimeoutError)
#: Seconds between attempts to reach a lost Redis: doubling, capped low so that work resumes
#: within seconds of Redis returning (RQ's own dequeue backoff grows to 60 s).
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0


def wait_for_redis(
    connection: redis_lib.Redis, what: str, stopping: Callable[[], bool] = lambda: False
) -> bool:
    """Block until Redis answers PING (True), or until `stopping()` says to give up (False)."""
    delay, failed = BACKOFF_FIRST, False
    while not stopping():
        try:
            if connection.ping():
                if failed:
                    log.warning("%s: Redis is back", what)
                return True
        except REDIS_DOWN as exc:
            failed = True
            log.warning("%s: Redis unreachable (%s); next try in %.1f s", what, exc, delay)
        time.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX)
    return False


#: A lock its holder has not refreshed for this many seconds belongs to a dead scheduler
#: (a live one refreshes it every second).
STALE_LOCK_SECONDS = 15

_TAKE_STALE_LOCK = """
-- KEYS[1] = lock; ARGV: me, ttl (s), fresher than this (ms) means its holder is alive
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


class RidingScheduler(RQScheduler):
    """RQ's scheduler, riding out Redis outages and taking over a dead scheduler's locks."""

    #: Seconds between attempts at the locks it does not hold (RQ: 10 minutes).
    reacquire_every = 5.0

    @property
    def should_reacquire_locks(self) -> bool:
        """Whether to try again for the locks of queues this scheduler does not hold."""
        if self._queue_names == self.acquired_locks:
            return False
        if not self.lock_acquisition_time:
            return True
        age = (datetime.now() - self.lock_acquisition_time).total_seconds()
        return age > self.reacquire_every

    def take_stale_locks(self) -> list[str]:
        """Take the locks whose holder stopped refreshing them; the queue names taken."""
        ttl = self.interval + 60
        fresh_ms = (ttl - STALE_LOCK_SECONDS) * 1000
        script = self.connection.register_script(_TAKE_STALE_LOCK)
        taken = [
            name
            for name in sorted(self._queue_names)
            if script(keys=[self.get_locking_key(name)], args=[self.name, ttl, fresh_ms])
        ]
        if taken:
            log.warning("scheduler %s: took over stale locks for %s", self.name, ", ".join(taken))
        return taken

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        """RQ's acquisition, after taking over the locks of schedulers that died."""
        self.take_stale_locks()
        return super().acquire_locks(auto_start)

    def work(self) -> None:
        """RQ's scheduler loop, waiting for Redis instead of dying with it."""
        self._install_signal_handlers()
        stopping = lambda: self._stop_requested  # noqa: E731
        while not self._stop_requested:
            try:
                self.register_birth()
                break
            except REDIS_DOWN:
                wait_for_redis(self.connection, "scheduler", stopping)
        while True:
            if self._stop_requested:
                try:
                    self.stop()
                except REDIS_DOWN:
                    log.warning(
                        "scheduler %s: stopped without Redis to release its locks", self.name
                    )
                break
            try:
                if self.should_reacquire_locks:
                    self.acquire_locks()
                # Heartbeat first: a scheduler whose lock was taken over meanwhile learns it
                # here and schedules nothing more.
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except REDIS_DOWN:
                wait_for_redis(self.connection, "scheduler", stopping)
                continue
            time.sleep(self.interval)


def with_sweeper(base: type[Worker] | type[SimpleWorker]) -> type:
    """An RQ worker class that calls `sweep()` every `sweep_every` seconds and rides out
    Redis outages instead of exiting."""

    class SweepingWorker(base):  # type: ignore[misc, valid-type]
        sweep: Callable[[], dict[str, int]] | None = None
        #: Called with the id of a job given up because Redis went away, once it is back.
        on_abandon: Callable[[str], object] | None = None
        sweep_every: float = 10.0
        _last_sweep: float = 0.0
        max_connection_wait_time = BACKOFF_MAX

        @property
        def dequeue_timeout(self) -> int:
            # Wake up while idle so the sweep runs even when no job arrives.
            return max(1, min(super().dequeue_timeout, int(self.sweep_every)))

        def _sweep_due(self) -> bool:
            return self.sweep is not None and (
                time.monotonic() - self._last_sweep >= self.sweep_every
            )

        @property
        def should_run_maintenance_tasks(self) -> bool:
            return self._sweep_due() or super().should_run_maintenance_tasks

        def run_maintenance_tasks(self) -> None:
            if self._sweep_due():
                self._last_sweep = time.monotonic()
                self._keep_scheduler()
                try:
                    assert self.sweep is not None
                    report = self.sweep()
                    if report and any(report.values()):
                        log.warning("sweep: %s", report)
                except Exception:  # a failed sweep must not stop the worker
                    log.exception("sweep failed")
            if super().should_run_maintenance_tasks:
                try:
                    super().run_maintenance_tasks()
                except REDIS_DOWN as exc:
                    log.warning("maintenance skipped, Redis unreachable: %s", exc)

        def _keep_scheduler(self) -> None:
            """Start a scheduler if none runs here and a lock is free or stale (RQ waits for its
            ten-minute maintenance)."""
            scheduler = getattr(self, "scheduler", None)
            if scheduler is None or (scheduler._process and scheduler._process.is_alive()):
                return
            try:
                scheduler.acquire_locks(auto_start=True)
            except REDIS_DOWN as exc:
                log.warning("scheduler not started, Redis unreachable: %s", exc)

        def _start_scheduler(
            self,
            burst: bool = False,
            logging_level: str | None = "INFO",
            date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
            log_format: str = DEFAULT_LOGGING_FORMAT,
        ) -> None:
            # RQ's, with the scheduler that rides out outages.
            self.scheduler = RidingScheduler(
                self.queues,
                connection=self.connection,
                logging_level=logging_level if logging_level is not None else self.log.level,
                date_format=date_format,
                log_format=log_format,
                serializer=self.serializer,
            )
            try:
                self.scheduler.acquire_locks()
            except REDIS_DOWN as exc:
                log.warning("scheduler not started yet, Redis unreachable: %s", exc)
                return  # the sweep's _keep_scheduler starts it once Redis is back
            if not self.scheduler.acquired_locks:
                return
            if not burst:
                self.scheduler.start()
                return
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()
            finally:
                self.scheduler.release_locks()
                self.scheduler.register_death()

        def _ride_out(self, exc: BaseException) -> None:
            """Wait for Redis, then make sure this worker is registered again."""
            log.error("worker %s: Redis unreachable (%s); waiting for it", self.name, exc)
            if not wait_for_redis(
                self.connection, f"worker {self.name}", lambda: self._stop_requested
            ):
                return
            try:
                # A long outage lets the worker's key expire: register again to be seen.
                if not self.connection.hexists(self.key, "birth"):
                    self.register_birth()
            except REDIS_DOWN + (ValueError,) as again:
                log.warning("worker %s: not registered again: %s", self.name, again)

        def bootstrap(self, *args: Any, **kwargs: Any) -> None:
            while True:
                try:
                    return super().bootstrap(*args, **kwargs)
                except REDIS_DOWN as exc:
                    log.error("worker %s: Redis lost while starting (%s)", self.name, exc)
                    wait_for_redis(self.connection, f"worker {self.name}")
                    with contextlib.suppress(*REDIS_DOWN):
                        # Half registered by this very process: start again from scratch.
                        if self.connection.hget(self.key, "pid") == str(os.getpid()).encode():
                            self.connection.delete(self.key)

        def check_for_suspension(self, burst: bool) -> None:
            while True:
                try:
                    return super().check_for_suspension(burst)
                except REDIS_DOWN as exc:
                    self._ride_out(exc)
                    if self._stop_requested:
                        return None

        def execute_job(self, job: Any, queue: Any) -> Any:
            try:
                return super().execute_job(job, queue)
            except REDIS_DOWN as exc:
                # What the job recorded stays as it was; the sweeps (fan-out batches, inbox,
                # replies) find its work again once Redis is back.
                log.error("worker %s: Redis lost while running %s", self.name, job.id)
                self._ride_out(exc)
                if getattr(self, "_horse_pid", 0):
                    # --fork: the work horse may still be at it; one job at a time.
                    self.wait_for_horse()
                if self.on_abandon is not None and not self._stop_requested:
                    try:
                        self.on_abandon(job.id)
                    except Exception:  # the sweeps still find that work, only later
                        log.exception("worker %s: could not release %s", self.name, job.id)
                return None

        def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
            if pipeline is not None:
                return super().heartbeat(timeout, pipeline)
            try:
                return super().heartbeat(timeout)
            except REDIS_DOWN as exc:
                # The next one restores it; the dequeue that follows waits for Redis.
                log.warning("worker %s: heartbeat missed: %s", self.name, exc)
                return None

        def set_state(self, state: str, pipeline: Any = None) -> None:
            if pipeline is not None:
                return super().set_state(state, pipeline)
            try:
                return super().set_state(state)
            except REDIS_DOWN as exc:
                # Only informational: the dequeue that follows waits for Redis.
                log.warning("worker %s: state %s not recorded: %s", self.name, state, exc)
                return None

    SweepingWorker.__name__ = f"Sweeping{base.__name__}"
    return SweepingWorker


def main(argv: list[str] | None = None) -> int:
    """Build the app once, push its context, and work the queues."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    parser.add_argument(
        "--fork",
        action="store_true",
        help="fork a work horse per job (RQ's default Worker) instead of running jobs in-process",
    )
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        services = current_services()
        logging.basicConfig(level=logging.INFO)
        # Started while Redis is down (a reboot, a failover): wait for it rather than exit.
        wait_for_redis(services.rq_redis, "worker")
        queues = [services.queues[role] for role in ("replies", "alerts", "default")]
        # In-process by default: a fork per job costs more than an alert batch's own work, and
        # a killed worker then takes its job with it (no orphaned work horse keeps sending).
        worker_class = with_sweeper(Worker if args.fork else SimpleWorker)
        worker = worker_class(queues, connection=services.rq_redis, name=args.name)
        worker.sweep = lambda: {
            **sweeper.sweep(services),
            **inbox.sweep(services),
            **outbox.sweep(services),
        }
        # Each sweep keeps its own pace across workers; this is how often they are asked.
        worker.sweep_every = outbox.sweep_interval(services.settings)
        # A drainer given up during an outage holds the inbox lease for a minute more: let go
        # of it so the next message or sweep starts another drainer at once.
        worker.on_abandon = lambda rq_id: inbox.release(services, rq_id)
        if not args.burst:
            log.info("next relay digest: %s", relays.schedule_digest(services))
        # Replies go beside the RQ loop, many at once, by whichever worker holds the lease.
        stop = threading.Event()
        if outbox.pooled(services) and not args.burst:
            threading.Thread(
                target=sender.serve, args=(app, services, stop), name="reply-sender", daemon=True
            ).start()
        try:
            worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
        finally:
            stop.set()
        if outbox.pooled(services) and args.burst:
            sender.finish(app, services)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
