"""Recovering alert fan-outs lost with a dead worker (see "Why a sweeper" in `fanout.py`).

`sweep()` runs from every worker's loop (worker.py), at most once per interval across workers,
and re-enqueues planners and batches whose lease has lapsed and whose RQ job is neither waiting
nor running, plus scheduled ones the RQ scheduler is late with.
"""

from __future__ import annotations

import logging

from alerts.jobs import lifecycle as jobs
from alerts.sending.enqueue import PLAN_FANOUT, RESULT_TTL
from alerts.sending.enqueue import rq_id as _rq_id
from alerts.sending.fanout import MAX_SWEEPS, lease_seconds, now_again, sweep_interval
from alerts.services import Services, rq_job_waiting, unschedule

log = logging.getLogger(__name__)


def _waiting(services: Services, rq_id: str | None, lease: int, now: float) -> bool:
    """Whether RQ will surely still run (or is running) this alert job (see rq_job_waiting)."""
    return rq_job_waiting(services, "alerts", rq_id, lease, now)


def _lost(services: Services, job_id: str, n: int | str, rq_id: str | None) -> bool:
    """True when batch n (or 'plan') looked lost at the previous sweep too, same RQ job."""
    interval = sweep_interval(services.settings)
    return services.store.suspect_fanout(job_id, n, rq_id or "-", int(interval * 3) + 1)


def _take_over(services: Services, rq_id: str | None) -> None:
    """Make sure a late scheduled job does not also run later."""
    unschedule(services, "alerts", rq_id)


def sweep(services: Services, *, now: float | None = None, force: bool = False) -> dict[str, int]:
    """Re-enqueue lost planners and batches, and late quiet-hours publications."""
    store = services.store
    settings = services.settings
    if not force and not store.sweep_due(sweep_interval(settings)):
        return {}
    now = store.now() if now is None else now
    lease = lease_seconds(settings)
    report = {"published": 0, "planners": 0, "batches": 0, "finished": 0, "dropped": 0}
    for job_id in store.scheduled_job_ids(int(now - lease)):
        job = jobs.get_job(job_id, services=services)
        if job is not None and job.status is jobs.JobStatus.SCHEDULED:
            jobs.publish(services, job_id, now=now)
            report["published"] += 1
        else:
            store.set_job_scheduled(job_id, None)
    for job_id in store.active_fanouts():
        plan_rec = store.fanout_plan(job_id)
        state = plan_rec.get("state")
        if state == "pending":
            planner = plan_rec.get("rq")
            if (
                not store.fanout_leases(job_id, ["plan"])[0]
                and not _waiting(services, planner, lease, now)
                and _lost(services, job_id, "plan", planner)
            ):
                _take_over(services, planner)
                plan_rq_id = _rq_id("plan", job_id)
                store.set_fanout_rq_id(job_id, "plan", plan_rq_id)
                services.queue("alerts").enqueue(
                    PLAN_FANOUT, job_id, job_id=plan_rq_id, result_ttl=RESULT_TTL
                )
                report["planners"] += 1
        elif state != "planned":
            store.forget_fanout(job_id)
            continue
        todo = sorted(store.fanout_todo(job_id))
        if not todo:
            report["finished"] += int(store.finish_fanout(job_id))
            continue
        held = store.fanout_leases(job_id, todo)
        rq_ids = store.fanout_rq_ids(job_id, todo)
        for n, is_held, rq_id in zip(todo, held, rq_ids, strict=True):
            if is_held or _waiting(services, rq_id, lease, now):
                continue
            if not _lost(services, job_id, n, rq_id):
                continue  # look again next time: it may be starting right now
            _take_over(services, rq_id)
            if store.bump_fanout_attempts(job_id, n, "sweep") > MAX_SWEEPS:
                store.drop_fanout_batch(job_id, n, f"batch {n} lost {MAX_SWEEPS} times")
                log.error("job %s batch %d: lost %d times, dropped", job_id, n, MAX_SWEEPS)
                report["dropped"] += 1
                continue
            log.warning("job %s batch %d: lost (worker died?), enqueued again", job_id, n)
            now_again(services, job_id, n, 0)
            report["batches"] += 1
        report["finished"] += int(store.finish_fanout(job_id))
    return report
