"""Run an RQ worker, with its scheduler, on Baara's queues: `python worker.py [--burst]`."""

from __future__ import annotations

import argparse
import logging

from rq import Worker

from app import create_app
from alerts.services import current_services


def main(argv: list[str] | None = None) -> int:
    """Build the app once, push its context, and work the queues."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit once the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    args = parser.parse_args(argv)

    app = create_app()
    with app.app_context():
        services = current_services()
        queues = [services.queues[role] for role in ("replies", "alerts", "default")]
        worker = Worker(queues, connection=services.rq_redis, name=args.name)
        logging.basicConfig(level=logging.INFO)
        worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
