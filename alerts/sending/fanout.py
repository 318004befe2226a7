"""The alert fan-out: plan a job's recipients in batches, send each batch, recover from crashes.

How a published job reaches its subscribers
-------------------------------------------
1. `start()` marks the job's fan-out *pending*, lists it in the active fan-outs and enqueues
   `tasks.plan_fanout` on the 'alerts' queue.
2. `plan()` unions the index sets server side (cost in proportion to the people matched, never
   to all subscribers), drops anyone this job already reached, renders the alert once per
   language, cuts the phones into batches of AT_BATCH_SIZE (one language each), stores every
   batch and the texts in one MULTI, and enqueues one `tasks.send_batch(job_id, n)` per batch.
3. `send_batch()` holds a lease on its batch (alerts/sending/lease.py) while it sends the
   requests `Router.plan_requests` cuts it into (per gateway: AT's batch, or its limit's alert
   chunk; one recipient for Orange and SMSGate), each recorded as soon as it is answered
   (`outcomes.Tally`); a last Lua step takes the batch off the to-do set. Progress is in the
   job stats (`jobs.job_stats`) and in each RQ job's `meta`.

Exactly once: the guarantee as implemented
------------------------------------------
* Each phone is in exactly one batch of a plan; a job has at most one plan sending at a time;
  publishing again plans only the phones with no recorded outcome.
* A batch is sent by one run at a time (lease: SET NX EX). A heartbeat renews it while the run
  is alive, however long it waits for room under AT_MAX_TPS or for a slow gateway, and it is
  renewed compare-and-set right before each request and at each look for room: a run that
  lost its lease (stalled past it, taken over) sends nothing more.
* Outcomes are recorded *after* the gateway answers, request by request, and every run of a
  batch skips phones that have an outcome. Nobody is claimed before the request, so a crash
  never loses a recipient; a worker killed between a request and its record makes that one
  request go again (at most that request's recipients: AT_BATCH_SIZE, the limit's chunk, or
  one through Orange or SMSGate), nothing else.
* A read timeout is retried as asked (AT may have taken the request: the other way one batch
  can go twice). An unreadable 2xx answer is not retried: recorded failed, 'Unconfirmed'.
* Right before each request the batch drops numbers that stopped since the plan, and stops
  if the job was closed, cancelled or reached its deadline; in quiet hours it waits for them
  to end (`enqueue_at`), so no alert leaves at night.

Why a sweeper
-------------
RQ 3.0 notices a killed worker's job only once its StartedJobRegistry entry expires (job
monitoring interval + 60 s) *and* a worker runs maintenance (every 10 minutes), and re-enqueues
it only if it had a Retry; a killed worker's scheduler lock also outlives it by a minute. So
recovery does not rely on RQ: `sweeper.sweep()` runs from every worker's loop (worker.py), at
most once per interval across workers, and re-enqueues planners and batches whose lease has
lapsed and whose RQ job is neither waiting nor running, plus scheduled ones the RQ scheduler is
late with.
A batch the sweeper has re-enqueued MAX_SWEEPS times is dropped loudly (stats: batch_errors).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from rq import Queue, get_current_job

from alerts.domain.phones import mask
from alerts.domain.subscribers import StoppedBy
from alerts.gateways import throttle
from alerts.gateways.base import GatewayError, SendResult
from alerts.jobs import lifecycle as jobs
from alerts.ops import metrics
from alerts.sending.enqueue import PLAN_FANOUT, RESULT_TTL, SEND_BATCH
from alerts.sending.enqueue import rq_id as _rq_id
from alerts.sending.lease import BatchLease
from alerts.sending.outcomes import Row, Tally, reason, rows_from
from alerts.services import Services
from config.settings import Settings
from messages.compose import count_segments

log = logging.getLogger(__name__)

#: Seconds before each new attempt at the recipients the gateway could not take yet.
ALERT_BACKOFF = (2, 10, 60, 300, 900, 1800)
#: Times the sweeper re-enqueues a lost batch before dropping it.
MAX_SWEEPS = 5
KEEP_AFTER_DEADLINE = 30 * 24 * 3600


def lease_seconds(settings: Settings) -> int:
    """How long a worker holds an alert batch (FANOUT_LEASE_SECONDS), at least a second."""
    return max(1, settings.fanout_lease_seconds)


def sweep_interval(settings: Settings) -> float:
    """How often some worker looks for lost batches: a third of the lease."""
    return max(0.5, lease_seconds(settings) / 3)


def _ttl(job: jobs.Job, now: float) -> int:
    return int(max(job.deadline - now, 0)) + KEEP_AFTER_DEADLINE


def _progress(**values: Any) -> None:
    rq_job = get_current_job()
    if rq_job is None:
        return
    rq_job.meta.update(values)
    rq_job.save_meta()


# -- planning -----------------------------------------------------------------------------


def plan(services: Services, job_id: str) -> dict[str, Any]:
    """Match, batch and enqueue a published job's alerts (idempotent; see module docstring)."""
    store = services.store
    settings = services.settings
    token = secrets.token_hex(8)
    if not store.acquire_fanout_lease(job_id, "plan", token, lease_seconds(settings)):
        return {"result": "busy"}
    try:
        job = jobs.get_job(job_id, services=services)
        now = store.now()
        if job is None or job.status is not jobs.JobStatus.PUBLISHED or job.deadline <= now:
            store.forget_fanout(job_id)
            return {"result": "not sending", "status": job.status.value if job else None}
        plan_rec = store.fanout_plan(job_id)
        if plan_rec.get("state") != "pending":
            return {"result": "already planned"}
        ends = jobs.quiet_until(settings, now)
        if ends is not None:
            _later(services, job_id, "plan", ends, PLAN_FANOUT, job_id)
            return {"result": "deferred", "until": ends.isoformat()}
        ref = jobs.current_reference()
        ttl = _ttl(job, now)
        if plan_rec.get("cut") != "1":  # else a planner died half-way: carry on from its cut
            texts = {}
            for lang in ("fr", "bm"):
                text = jobs.alert_text(job, lang, reference=ref, tz=settings.zone)
                texts[lang] = (text, count_segments(text).segments)
            store.snapshot_audience(job_id, job.match_places(ref), job.category, texts, ttl)
        size = throttle.batch_size(settings, settings.at_batch_size)
        # Cut and enqueue a couple of batches first, so sending starts while we cut the rest.
        limit, batches = 2, 0
        while True:
            numbers, finished = store.cut_batches(job_id, size, ttl, limit)
            _enqueue_batches(services, job_id, numbers, ttl)
            batches += len(numbers)
            if finished:
                break
            store.renew_fanout_lease(job_id, "plan", token, lease_seconds(settings))
            limit = 20
        matched = int(store.alert_stats(job_id).get("people") or 0)
        if plan_rec.get("cut") != "1":
            metrics.count_alerts(services, {("queued", ""): matched})
        _progress(job=job_id, matched=matched, batches=batches)
        log.info("job %s: %d recipients planned, %d new batches", job_id, matched, batches)
        store.finish_fanout(job_id)  # no-op unless every batch is already done
        return {"result": "planned", "matched": matched, "batches": batches}
    finally:
        store.release_fanout_lease(job_id, "plan", token)


def _enqueue_batches(services: Services, job_id: str, numbers: Sequence[int], ttl: int) -> None:
    """One RQ job per batch, in small groups so the first batches start while we enqueue."""
    queue = services.queue("alerts")
    for start_at in range(0, len(numbers), 20):
        group = numbers[start_at : start_at + 20]
        rq_ids = {n: _rq_id("alert", job_id, n) for n in group}
        services.store.set_fanout_rq_ids(job_id, rq_ids, ttl)
        if not queue.is_async:  # inline: each runs as it is enqueued
            for n, rq_id in rq_ids.items():
                queue.enqueue(SEND_BATCH, job_id, n, job_id=rq_id, result_ttl=RESULT_TTL)
            continue
        queue.enqueue_many(
            [
                Queue.prepare_data(SEND_BATCH, (job_id, n), job_id=rq_id, result_ttl=RESULT_TTL)
                for n, rq_id in rq_ids.items()
            ]
        )


def _later(
    services: Services, job_id: str, n: int | str, when: datetime, func: str, *args: Any
) -> None:
    """Run func(*args) at `when` and remember it as the RQ job in charge of n."""
    rq_id = _rq_id("plan", job_id) if n == "plan" else _rq_id("alert", job_id, n)
    services.store.set_fanout_rq_id(job_id, n, rq_id)
    services.queue("alerts").enqueue_at(when, func, *args, job_id=rq_id, result_ttl=RESULT_TTL)


def now_again(services: Services, job_id: str, n: int, delay: float) -> None:
    """Send batch n again after delay seconds (right away when RQ runs jobs inline)."""
    queue = services.queue("alerts")
    rq_id = _rq_id("alert", job_id, n)
    services.store.set_fanout_rq_id(job_id, n, rq_id)
    if queue.is_async and delay > 0:
        queue.enqueue_in(
            timedelta(seconds=delay), SEND_BATCH, job_id, n, job_id=rq_id, result_ttl=RESULT_TTL
        )
    else:
        queue.enqueue(SEND_BATCH, job_id, n, job_id=rq_id, result_ttl=RESULT_TTL)


# -- sending ------------------------------------------------------------------------------


def _stop_reason(job: jobs.Job, now: float) -> str | None:
    if job.status in jobs.FINAL:
        return job.status.value
    if job.status is not jobs.JobStatus.PUBLISHED:
        return "unpublished"
    if job.deadline <= now:
        return "expired"
    return None


def send_batch(services: Services, job_id: str, n: int) -> dict[str, Any]:
    """Send one planned batch to those of its recipients who have no outcome yet."""
    store = services.store
    n = int(n)
    job = jobs.get_job(job_id, services=services)
    if job is None:
        store.forget_fanout(job_id)
        return {"result": "missing"}
    lease = BatchLease(store, job_id, n, lease_seconds(services.settings))
    if not lease.acquire():
        return {"result": "busy"}  # another run of this batch is sending right now
    try:
        # Read under the lease: what an earlier run recorded is final.
        batch = store.batch_targets(job_id, n)
        if batch is None:
            summary, retry_in, batch_error = {"result": "done"}, None, None
        else:
            summary, retry_in, batch_error = _send_leased(services, job, n, lease, *batch)
    finally:
        lease.release()
    if retry_in is not None:
        now_again(services, job_id, n, retry_in)
    store.finish_fanout(job_id)
    if batch_error is not None:
        raise batch_error
    return summary


def _send_leased(
    services: Services,
    job: jobs.Job,
    n: int,
    lease: BatchLease,
    lang: str,
    phones: list[str],
    codes: str,
) -> tuple[dict[str, Any], float | None, GatewayError | None]:
    """The body of send_batch, run while holding the batch's lease."""
    store = services.store
    settings = services.settings
    job_id = job.id
    now = store.now()
    ttl = _ttl(job, now)
    pending = [p for p, c in zip(phones, codes, strict=True) if c != "h"]
    if (stop := _stop_reason(job, now)) is not None:
        skipped = [(p, "x", stop, "", "") for p in pending]
        done = store.record_alerts(job_id, n, skipped, segments=0, price=0, finish=True, ttl=ttl)
        metrics.count_alerts(services, {("skipped", stop): done["skipped"]})
        return {"result": stop, "skipped": len(skipped)}, None, None
    ends = jobs.quiet_until(settings, now)
    if ends is not None:
        _later(services, job_id, n, ends, SEND_BATCH, job_id, n)
        return {"result": "deferred", "until": ends.isoformat()}, None, None

    plan_rec = store.fanout_plan(job_id)
    text = plan_rec.get(f"text:{lang}") or jobs.alert_text(job, lang)
    segments = int(plan_rec.get(f"seg:{lang}") or count_segments(text).segments)
    tally = Tally(services, job_id, n, segments, ttl)
    # Stopped since the plan (STOP, operator blacklist): they get nothing.
    active = [p for p, c in zip(phones, codes, strict=True) if c == "a"]
    tally.record(
        [(p, "x", "stopped", "", "") for p, c in zip(phones, codes, strict=True) if c == "i"]
    )

    retry: dict[str, str] = {}
    batch_error: GatewayError | None = None
    lost = False
    requests = services.gateway.plan_requests(active)
    for number, chunk in enumerate(requests):
        # Each request is recorded before the next one goes, and goes only while the lease is
        # ours: a run that lost its batch (or dies) leaves at most this request to go twice.
        if not lease.keep():
            lost = True
            break
        try:
            with throttle.guarded(lease.keep):
                results, error = services.gateway.send(text, chunk), None
        except throttle.Withdrawn as exc:
            # What went before the withdrawal (a one-by-one gateway's earlier requests, after a
            # failover) is recorded so the run that took the batch over skips it.
            tally.record(rows_from(exc.results)[0])
            lost = True
            break
        except GatewayError as exc:
            results, error = exc.results, exc
        rows, chunk_retry, blacklisted = rows_from(results)
        retry.update(chunk_retry)
        if error is not None:
            extra, again, batch_error = _failed_request(
                error, chunk, results, [p for later in requests[number + 1 :] for p in later]
            )
            rows += extra
            retry.update(again)
        tally.record(rows)
        for phone in blacklisted:
            store.stop(phone, by=StoppedBy.OPERATOR)
            log.info("job %s: %s is blacklisted at the operator, stopped", job_id, mask(phone))
        _progress(job=job_id, batch=n, **tally.counts, retrying=len(retry))
        if error is not None:
            break  # the gateway just failed us: the rest waits for the backoff
    if lost:
        # The other run owns what is left (it reads who has an outcome): no retry, no finish.
        _progress(job=job_id, batch=n, **tally.counts, lease="lost")
        return {"result": "lease lost", **tally.counts}, None, None

    attempts = store.fanout_attempts(job_id, n)
    final: list[Row] = []
    if retry and attempts >= len(ALERT_BACKOFF):
        final = [(p, "f", why, "", "") for p, why in retry.items()]
        retry = {}
    tally.record(final, finish=not retry and batch_error is None)
    if batch_error is not None:
        store.drop_fanout_batch(job_id, n, str(batch_error))
    retry_in: float | None = None
    if retry:
        store.bump_fanout_attempts(job_id, n)
        retry_in = ALERT_BACKOFF[attempts]
        log.warning(
            "job %s batch %d: %d to retry in %ss (attempt %d)",
            job_id,
            n,
            len(retry),
            retry_in,
            attempts + 1,
        )
    counts = tally.counts
    _progress(
        job=job_id,
        batch=n,
        sent=counts["sent"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        retrying=len(retry),
        batches_left=counts["todo"],
    )
    summary = {"result": "retrying" if retry else "sent", **counts, "retrying": len(retry)}
    return summary, retry_in, batch_error


def _failed_request(
    error: GatewayError, chunk: list[str], results: list[SendResult], untried: list[str]
) -> tuple[list[Row], dict[str, str], GatewayError | None]:
    """What a request that raised leaves: rows for its unanswered, whom to retry, a batch error.

    Later requests' recipients were never sent: they wait for the backoff, unless the error is
    one of configuration (then the batch is dropped and they stay queued for a later publish).
    """
    answered = {r.phone for r in results}
    unanswered = [p for p in chunk if p not in answered]
    if unanswered and not error.retryable and not error.maybe_sent:
        return [], {}, error
    why = reason(f"HTTP{error.status_code}" if error.status_code else type(error).__name__)
    retry = dict.fromkeys(untried, why)
    if error.retryable:  # a read timeout too: AT may have taken it, but dropping is worse
        retry.update(dict.fromkeys(unanswered, why))
        return [], retry, None
    # An unreadable 2xx: AT may well have sent and billed them, so never again.
    return [(p, "f", "Unconfirmed", "", "") for p in unanswered], retry, None
