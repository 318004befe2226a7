"""`flask jobs ...`: post, list, publish, close and cancel job postings from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from alerts import jobs
from alerts.extract import MAX_TEXT, extract
from alerts.extract.files import UnreadableFile, text_from_file
from alerts.services import current_services

jobs_cli = AppGroup("jobs", help="Job postings and their alerts.")


def _fail(errors: dict[str, str]) -> None:
    detail = "; ".join(f"{name}: {problem}" for name, problem in errors.items())
    raise click.ClickException(f"invalid job: {detail}")


@jobs_cli.command("post")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish/--draft", default=None,
              help="Publish now, or keep as a draft (default: the file's \"publish\" field).")
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


#: Why a file gives no text, as `flask jobs import` says it.
FILE_PROBLEMS = {
    "type": "only .txt, .docx and .pdf files can be read",
    "too_large": "the file is over 5 MB",
    "unreadable": "the file is damaged, encrypted or not what its name says",
    "empty": "the file holds no text (a scanned PDF needs OCR first)",
}


@jobs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--draft", is_flag=True,
              help="Save the fields as a draft job (never published) instead of printing them.")
def import_(file: Path, draft: bool) -> None:
    """Read a notice (.txt, .docx, .pdf) into job fields: print them as JSON, or save a draft."""
    try:
        text = text_from_file(file.name, file.read_bytes())
    except UnreadableFile as exc:
        raise click.ClickException(f"{file}: {FILE_PROBLEMS[exc.problem.value]}") from None
    if len(text) > MAX_TEXT:
        raise click.ClickException(f"{file}: the notice is over {MAX_TEXT} characters")
    ref = current_app.extensions["baara.reference"]
    found = extract(text, tz=jobs.timezone(current_app.config), now=datetime.now(UTC),
                    reference=ref)
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
    from alerts import fanout

    click.echo(json.dumps(fanout.sweep(current_services(), force=True)))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--with-queues", is_flag=True,
              help="Also save RQ's keys (rq:*): pending and scheduled jobs, failed-job records.")
def backup(file: Path, with_queues: bool) -> None:
    """Save every Baara key (type, expiry, Redis DUMP) to FILE (JSON lines; .gz compresses)."""
    count = current_services().store.dump_all(file, include_queues=with_queues)
    click.echo(f"{count} keys saved to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore into a non-empty Redis, replacing the keys the backup holds.")
def restore(file: Path, force: bool) -> None:
    """Load a `flask backup` FILE into the configured Redis (refuses a non-empty one)."""
    from alerts.store import BackupError

    try:
        count = current_services().store.restore_all(file, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} keys restored from {file}")


def init_app(app: Flask) -> None:
    """Register the `jobs` command group and `backup`/`restore`."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
