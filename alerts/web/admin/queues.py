"""The queue view (admins only): RQ queues, registries, workers, failed jobs to retry or drop.

Baara's own page rather than rq-dashboard: it sits behind the admin sign-in and CSRF like the rest,
keeps to the Content-Security-Policy (no inline script), and needs no extra dependency.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from rq import Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job

from alerts.gateways.routing import parse_gateways
from alerts.services import current_services
from alerts.web.admin.core import admin_required, audit, bp
from alerts.web.admin.forms import ConfirmForm

FAILED_SHOWN = 30


def _epoch(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def queue_overview() -> dict:
    """Counts per queue and registry, the workers, and the newest failed jobs."""
    services = current_services()
    queues = []
    failed = []
    for role, queue in services.queues.items():
        queues.append(
            {
                "role": role,
                "name": queue.name,
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "deferred": queue.deferred_job_registry.count,
                "finished": queue.finished_job_registry.count,
                "failed": queue.failed_job_registry.count,
            }
        )
        ids = queue.failed_job_registry.get_job_ids(0, FAILED_SHOWN - 1, desc=True)
        for job in Job.fetch_many(ids, connection=services.rq_redis):
            if job is None:
                continue
            result = job.latest_result()
            error = result.exc_string if result else ""
            failed.append(
                {
                    "id": job.id,
                    "queue": queue.name,
                    "func": job.func_name,
                    "args": ", ".join(repr(a) for a in job.args)[:120],
                    "ended": _epoch(job.ended_at),
                    "error": _last_line(error),
                }
            )
    failed.sort(key=lambda j: j["ended"] or 0, reverse=True)
    workers = [
        {
            "name": w.name,
            "state": w.get_state(),
            "queues": ", ".join(w.queue_names()),
            "heartbeat": _epoch(w.last_heartbeat),
            "current": w.get_current_job_id() or "",
            "ok": w.successful_job_count,
            "failed": w.failed_job_count,
        }
        for w in Worker.all(connection=services.rq_redis)
    ]
    names = parse_gateways(services.settings.gateways)
    gateways = [{"name": n, **row} for n, row in services.store.gateway_figures(names).items()]
    return {
        "queues": queues,
        "failed": failed[:FAILED_SHOWN],
        "workers": workers,
        "gateways": gateways,
    }


@bp.get("/queues")
@admin_required
def queues():
    """Queue depths, workers and failed jobs."""
    return render_template("admin/queues.html", button=ConfirmForm(), **queue_overview())


def _failed_job(job_id: str) -> tuple[Job, object]:
    services = current_services()
    try:
        job = Job.fetch(job_id, connection=services.rq_redis)
    except (NoSuchJobError, ValueError):  # ValueError: not even the shape of an RQ job id
        abort(404)
    queue = next((q for q in services.queues.values() if q.name == job.origin), None)
    if queue is None or job_id not in queue.failed_job_registry:
        abort(404)
    return job, queue.failed_job_registry


@bp.post("/queues/failed/<job_id>/requeue")
@admin_required
def queue_requeue(job_id: str):
    """Put a failed job back on its queue."""
    job, registry = _failed_job(job_id)
    registry.requeue(job)  # type: ignore[attr-defined]
    audit("rq_requeue", job=job_id, func=job.func_name)
    flash(_("Tâche remise en file : %(id)s", id=job_id), "success")
    return redirect(url_for("admin.queues"))


@bp.post("/queues/failed/<job_id>/delete")
@admin_required
def queue_delete(job_id: str):
    """Drop a failed job for good."""
    job, registry = _failed_job(job_id)
    registry.remove(job, delete_job=True)  # type: ignore[attr-defined]
    audit("rq_delete", job=job_id, func=job.func_name)
    flash(_("Tâche supprimée : %(id)s", id=job_id), "success")
    return redirect(url_for("admin.queues"))
