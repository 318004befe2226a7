"""Run an RQ worker, with its scheduler, on Baara's queues: `python worker.py [--burst]`.

The worker also sweeps for alert batches lost with a dead worker (alerts/sending/fanout.py explains
why RQ alone would take minutes) and for inbound SMS left without a drainer (alerts/sms/inbox.py):
between jobs and, when idle, every few seconds.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable

from rq import SimpleWorker, Worker

from alerts.sending import fanout, sweeper
from alerts.services import current_services
from alerts.sms import inbox, relays
from app import create_app

log = logging.getLogger("worker")


def with_sweeper(base: type[Worker] | type[SimpleWorker]) -> type:
    """An RQ worker class that also calls `sweep()` every `sweep_every` seconds."""

    class SweepingWorker(base):  # type: ignore[misc, valid-type]
        sweep: Callable[[], object] | None = None
        sweep_every: float = 10.0
        _last_sweep: float = 0.0

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
                try:
                    assert self.sweep is not None
                    report = self.sweep()
                    if report and any(report.values()):
                        log.warning("sweep: %s", report)
                except Exception:  # a failed sweep must not stop the worker
                    log.exception("sweep failed")
            if super().should_run_maintenance_tasks:
                super().run_maintenance_tasks()

    SweepingWorker.__name__ = f"Sweeping{base.__name__}"
    return SweepingWorker


def main(argv: list[str] | None = None) -> int:
    """Build the app once, push its context, and work the queues."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    parser.add_argument(
        "--fork", action="store_true",
        help="fork a work horse per job (RQ's default Worker) instead of running jobs in-process",
    )
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        services = current_services()
        queues = [services.queues[role] for role in ("replies", "alerts", "default")]
        # In-process by default: a fork per job costs more than an alert batch's own work, and
        # a killed worker then takes its job with it (no orphaned work horse keeps sending).
        worker_class = with_sweeper(Worker if args.fork else SimpleWorker)
        worker = worker_class(queues, connection=services.rq_redis, name=args.name)
        worker.sweep = lambda: {**sweeper.sweep(services), **inbox.sweep(services)}
        worker.sweep_every = fanout.sweep_interval(services.config)
        logging.basicConfig(level=logging.INFO)
        if not args.burst:
            log.info("next relay digest: %s", relays.schedule_digest(services))
        worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
