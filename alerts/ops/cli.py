"""`flask jobs ...` (post, list, publish, close, cancel jobs), `flask backup`, `flask restore`;
`flask gateways ...` lives in alerts/ops/gateways_cli.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from alerts.domain.errors import FieldErrors
from alerts.extract import MAX_TEXT, extract
from alerts.extract.files import UnreadableFile, text_from_file
from alerts.jobs import lifecycle as jobs
from alerts.ops import backup as backups
from alerts.ops.gateways_cli import gateways_cli
from alerts.sending import sweeper
from alerts.services import current_services, current_settings
from alerts.store import BackupError
from messages.errors import english, english_all

jobs_cli = AppGroup("jobs", help="Job postings and their alerts.")


def _fail(errors: FieldErrors) -> None:
    detail = "; ".join(f"{name}: {problem}" for name, problem in english_all(errors).items())
    raise click.ClickException(f"invalid job: {detail}")


@jobs_cli.command("post")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--publish/--draft",
    default=None,
    help='Publish now, or keep as a draft (default: the file\'s "publish" field).',
)
def post(file: Path, publish: bool | None) -> None:
    """Create a job from FILE.json (same fields as POST /api/jobs)."""
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise click.ClickException(f"invalid job: body: {file} is not JSON ({exc})") from None
    if publish is not None and isinstance(payload, dict):
        payload["publish"] = publish
    services = current_services()
    job, errors = jobs.create_job(services, payload, created_by="cli")
    if job is None or errors:
        _fail(errors)
    assert job is not None
    stats = jobs.job_stats(services, job.id)
    click.echo(f"id={job.id} code={job.code} status={stats['status']} matched={stats['matched']}")


@jobs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--draft",
    is_flag=True,
    help="Save the fields as a draft job (never published) instead of printing them.",
)
def import_(file: Path, draft: bool) -> None:
    """Read a notice (.txt, .docx, .pdf) into job fields: print them as JSON, or save a draft."""
    try:
        text = text_from_file(file.name, file.read_bytes())
    except UnreadableFile as exc:
        raise click.ClickException(f"{file}: {english(exc.error)}") from None
    if len(text) > MAX_TEXT:
        raise click.ClickException(f"{file}: the notice is over {MAX_TEXT} characters")
    ref = current_app.extensions["baara.reference"]
    found = extract(text, tz=current_settings().zone, now=datetime.now(UTC), reference=ref)
    fields = found.to_json(ref)
    if not draft:
        click.echo(json.dumps(fields, indent=2, ensure_ascii=False))
        return
    services = current_services()
    job, errors = jobs.create_job(services, {**fields, "publish": False}, created_by="cli")
    if job is None or errors:
        _fail(errors)
    assert job is not None
    click.echo(f"id={job.id} code={job.code} status=draft")
    for warning in fields["warnings"]:
        click.echo(f"check {warning['field']}: {warning['detail']}", err=True)


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def list_(limit: int) -> None:
    """The newest jobs with their alert figures."""
    services = current_services()
    for job in jobs.list_jobs(services=services, limit=limit):
        s = jobs.job_stats(services, job.id)
        click.echo(
            f"{job.id:>5} {job.code:<6} {s['status']:<10} matched={s['matched']} "
            f"sent={s['sent']} delivered={s['delivered']} failed={s['failed']}  {job.title[:50]}"
        )


@jobs_cli.command("show")
@click.argument("job_id")
def show(job_id: str) -> None:
    """A job's alert figures, as GET /api/jobs/<id> gives them."""
    services = current_services()
    job = jobs.get_job(job_id, services=services)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    click.echo(json.dumps(jobs.job_stats(services, job.id), indent=2, ensure_ascii=False))


def _change(job_id: str, action: str) -> None:
    services = current_services()
    job, errors = getattr(jobs, action)(services, job_id)
    if job is None or errors:
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        raise click.ClickException(f"job {job_id}: {detail}")
    click.echo(f"id={job.id} code={job.code} status={job.status.value}")


@jobs_cli.command("publish")
@click.argument("job_id")
def publish(job_id: str) -> None:
    """Publish a draft: alerts leave now, or when quiet hours end."""
    _change(job_id, "publish")


@jobs_cli.command("close")
@click.argument("job_id")
def close(job_id: str) -> None:
    """Close a job; sending still under way stops."""
    _change(job_id, "close")


@jobs_cli.command("cancel")
@click.argument("job_id")
def cancel(job_id: str) -> None:
    """Cancel a job; nothing more is sent for it."""
    _change(job_id, "cancel")


@jobs_cli.command("sweep")
def sweep() -> None:
    """Re-enqueue lost alert batches now (workers do it on their own every few seconds)."""

    click.echo(json.dumps(sweeper.sweep(current_services(), force=True)))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--with-queues",
    is_flag=True,
    help="Also save RQ's keys (rq:*): pending and scheduled jobs, failed-job records.",
)
@click.option(
    "--live",
    is_flag=True,
    help="SCAN the live database instead of a snapshot (not point-in-time; for a "
    "Redis that refuses replication).",
)
@click.option("--keep-rdb", is_flag=True, help="Also keep the raw snapshot as FILE.rdb.")
def backup(file: Path, with_queues: bool, live: bool, keep_rdb: bool) -> None:
    """Save a point-in-time snapshot of every Baara key to FILE (JSON lines; .gz compresses)."""
    services = current_services()
    try:
        report = backups.backup(
            services.store,
            services.settings.redis_url,
            file,
            include_queues=with_queues,
            live=live,
            keep_rdb=keep_rdb,
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    kind = "snapshot" if report.snapshot else "live SCAN (not point-in-time)"
    figures = report.figures
    click.echo(
        f"{report.keys} keys saved to {file} ({kind}): {figures.get('subscribers', 0)} "
        f"subscribers ({figures.get('active', 0)} active), {figures.get('jobs', 0)} jobs, "
        f"{figures.get('relays', 0)} relays"
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Restore into a non-empty Redis, replacing the keys the backup holds.",
)
def restore(file: Path, force: bool) -> None:
    """Load a `flask backup` FILE (safe to re-run), rebuild the indexes, verify and count."""
    try:
        report = current_services().store.restore_all(file, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    want, got = report.header.get("figures") or {}, report.figures
    if report.again:
        click.echo(f"{file} was already restored here; nothing loaded, only verified")
    else:
        click.echo(
            f"{report.restored} keys restored from {file}, {report.present} already there, "
            f"{report.expired} expired since the backup; {report.index_entries} index entries "
            "rebuilt from the subscriber records"
        )
    click.echo(f"verified: {report.verified} of {report.expected} keys present")
    for name in ("subscribers", "active", "jobs", "relays"):
        click.echo(f"verified: {name} {got.get(name, 0)} (backup: {want.get(name, '?')})")
    if not report.ok:
        missing = ", ".join(report.missing[:5])
        raise click.ClickException(
            "verification failed" + (f": missing {missing}" if missing else ": figures differ")
        )


def init_app(app: Flask) -> None:
    """Register the `jobs` and `gateways` command groups and `backup`/`restore`."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(gateways_cli)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
