"""Jobs in the admin web: the form with its live SMS preview, the job page and its progress.

The preview and the progress bar are static scripts calling two JSON endpoints here
(`POST /admin/jobs/preview`, `GET /admin/jobs/<id>/progress`): the CSP allows no inline script.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from alerts.domain.errors import FieldErrors
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import FINAL, Job, JobStatus
from alerts.services import current_services, current_settings
from alerts.web.admin.core import audit, bp, current_account, store
from alerts.web.admin.forms import ConfirmForm, JobForm, ScheduleForm, choice
from alerts.web.admin.job_preview import (
    LANGUAGES,
    STATUS_LABELS,
    _reference,
    _tz,
    form_payload,
    preview,
)
from alerts.web.admin.job_status import (
    _job_or_404,
    can_see,
    owner_tag,
    parse_local,
    progress,
    schedule,
    schedule_min,
    schedule_problem,
    timeline,
)
from messages.compose import count_segments
from messages.errors import french

# -- views ---------------------------------------------------------------------------------


def _choices(form: JobForm) -> None:
    ref = _reference()
    form.category.choices = [choice("", _("— Choisir —"))] + [
        choice(c.slug, c.fr) for c in ref.categories.values()
    ]
    form.districts.choices = [choice(d.slug, d.name) for d in ref.districts.values()]
    form.regions.choices = [choice(r.slug, r.name) for r in ref.regions.values()]


def _render_form(
    form: JobForm, status: int = 200, preview_data: dict | None = None, **imported: Any
):
    """The job form; `imported` carries the notice importer's doubts or its error."""
    ref = _reference()
    groups = [
        {"region": region, "districts": ref.districts_in(region.slug)}
        for region in ref.regions.values()
    ]
    return render_template(
        "admin/job_form.html",
        form=form,
        groups=groups,
        chosen_districts=set(form.districts.data or []),
        chosen_regions=set(form.regions.data or []),
        preview=preview_data
        or preview(
            form_payload(request.form if request.method == "POST" else _form_as_multidict(form))
        ),
        quiet_hours=current_settings().quiet_hours,
        schedule_min=schedule_min(_tz(), store().now()),
        doubts=imported.get("doubts", {}),
        imported=imported.get("imported", False),
        import_error=imported.get("import_error", ""),
        notice_text=imported.get("notice_text", ""),
    ), status


def _form_as_multidict(form: JobForm) -> dict[str, Any]:
    data: dict[str, Any] = {name: field.data for name, field in form._fields.items()}
    data["districts"] = form.districts.data or []
    data["regions"] = form.regions.data or []
    return {
        k: (v if isinstance(v, list) else ("" if v is None else str(v))) for k, v in data.items()
    }


def _prefill(form: JobForm, job: Job) -> None:
    tz = _tz()
    local = datetime.fromtimestamp(job.deadline, tz)
    form.title.data = job.title
    form.organization.data = job.organization
    form.organization_short.data = job.organization_short
    form.category.data = job.category
    form.districts.data = list(job.districts)
    form.regions.data = list(job.regions)
    form.positions.data = str(job.positions)
    form.deadline_date.data = local.strftime("%Y-%m-%d")
    form.deadline_time.data = local.strftime("%H:%M") if job.deadline_has_time else ""
    form.apply_email.data = job.apply.email
    form.apply_phone.data = job.apply.phone
    form.apply_office.data = job.apply.office
    form.apply_subject.data = job.apply.subject
    form.apply_text.data = job.apply.text
    form.source_url.data = job.source_url


_FIELD_OF = {"deadline": "deadline_date", "apply": "apply_email", "schedule_at": "schedule_at"}


def _show_errors(form: JobForm, errors: FieldErrors) -> None:
    for name, error in errors.items():
        field = getattr(form, _FIELD_OF.get(name, name), None)
        text = french(error)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), text]
        else:
            form.form_errors.append(text)


@bp.get("/jobs")
def jobs_list():
    """Jobs, newest first (a poster sees their own)."""
    services = current_services()
    rows = []
    for job in jobs.list_jobs(services=services, limit=200):
        if not can_see(job):
            continue
        try:
            stats = jobs.job_stats(services, job.id)
        except KeyError:
            continue
        rows.append((job, progress(job, stats)))
    return render_template(
        "admin/jobs.html", rows=rows, labels=STATUS_LABELS, reference=_reference()
    )


@bp.route("/jobs/new", methods=["GET", "POST"])
def job_new():
    """The job form: publish now, schedule for later, or save a draft."""
    form = JobForm()
    _choices(form)
    if request.method == "GET":
        source = request.args.get("from")
        if source:
            _prefill(form, _job_or_404(source))
        return _render_form(form)
    if not form.validate_on_submit():
        return _render_form(form, 400)
    action = request.form.get("action", "draft")
    if action not in ("publish", "schedule", "draft"):
        abort(400)
    payload = form_payload(request.form)
    at = None
    if action == "schedule":
        # Checked before anything is saved: a refused time shows the form again, not a draft.
        at = parse_local(form.schedule_at.data or "", _tz())
        ref = _reference()
        draft, problems = jobs.validate(
            payload, ref, jobs.app_places(ref), _tz(), now=store().now()
        )
        when = schedule_problem(at, store().now(), draft.deadline if draft else None)
        if when:
            problems = {**problems, when.field: when}
        if problems:
            _show_errors(form, problems)
            return _render_form(form, 400)
    account = current_account()
    assert account is not None
    services = current_services()
    payload["publish"] = action == "publish"
    job, errors = jobs.create_job(services, payload, created_by=owner_tag(account.email))
    if job is None:
        _show_errors(form, errors)
        return _render_form(form, 400)
    audit("job_created", job=job.id, code=job.code, title=job.title, mode=action)
    if action == "schedule" and at is not None:
        _scheduled, problems = schedule(services, job.id, at)
        if problems:  # only a race (the clock or the job moved meanwhile) gets here
            for error in problems.values():
                flash(
                    _(
                        "Offre enregistrée en brouillon, non programmée : %(why)s",
                        why=french(error),
                    ),
                    "error",
                )
        else:
            audit("job_scheduled", job=job.id, at=at)
            flash(_("Offre %(code)s programmée.", code=job.code), "success")
    elif errors:
        for error in errors.values():
            flash(french(error), "error")
    elif job.status is JobStatus.SCHEDULED:
        flash(_("Heures de silence en cours : les alertes partiront à leur fin."), "info")
    elif job.status is JobStatus.PUBLISHED:
        flash(_("Offre %(code)s publiée : les alertes partent.", code=job.code), "success")
    else:
        flash(_("Brouillon %(code)s enregistré.", code=job.code), "success")
    return redirect(url_for("admin.job_page", job_id=job.id))


@bp.post("/jobs/preview")
def job_preview():
    """JSON for the live preview: both texts, their size, the reach and the cost."""
    return jsonify(preview(form_payload(request.form)))


@bp.get("/jobs/<job_id>")
def job_page(job_id: str):
    """A job: details, its alert in both languages, the live fan-out progress, actions."""
    job = _job_or_404(job_id)
    services = current_services()
    ref = _reference()
    tz = _tz()
    texts = []
    for lang, label in LANGUAGES:
        text = jobs.alert_text(job, lang, reference=ref, tz=tz)
        texts.append({"label": label, "text": text, "info": count_segments(text)})
    stats = jobs.job_stats(services, job.id)
    return render_template(
        "admin/job.html",
        job=job,
        texts=texts,
        places=job.place_names(ref),
        category=ref.categories.get(job.category),
        deadline=jobs.format_deadline(job, tz),
        progress=progress(job, stats),
        timeline=timeline(job),
        labels=STATUS_LABELS,
        button=ConfirmForm(),
        schedule_form=ScheduleForm(),
        schedule_min=schedule_min(tz, store().now()),
        final=job.status in FINAL,
    )


@bp.get("/jobs/<job_id>/progress")
def job_progress(job_id: str):
    """JSON for the progress bar, polled by the job page."""
    job = _job_or_404(job_id)
    return jsonify(
        {**progress(job, jobs.job_stats(current_services(), job.id)), "timeline": timeline(job)}
    )


def _after(job: Job, errors: FieldErrors, done_message: str, action: str):
    if errors:
        for error in errors.values():
            flash(french(error), "error")
    else:
        audit(action, job=job.id, code=job.code)
        flash(done_message, "success")
    return redirect(url_for("admin.job_page", job_id=job.id))


@bp.post("/jobs/<job_id>/publish")
def job_publish(job_id: str):
    """Publish a draft or a scheduled job now."""
    job = _job_or_404(job_id)
    updated, errors = jobs.publish(current_services(), job.id)
    message = _("Offre publiée : les alertes partent.")
    if updated is not None and updated.status is JobStatus.SCHEDULED:
        message = _("Heures de silence en cours : les alertes partiront à leur fin.")
    return _after(job, errors, message, "job_published")


@bp.post("/jobs/<job_id>/schedule")
def job_schedule(job_id: str):
    """Schedule a draft's publication."""
    job = _job_or_404(job_id)
    form = ScheduleForm()
    at = parse_local(form.schedule_at.data or "", _tz())
    _job, errors = schedule(current_services(), job.id, at)
    return _after(job, errors, _("Offre programmée."), "job_scheduled")


@bp.post("/jobs/<job_id>/cancel")
def job_cancel(job_id: str):
    """Withdraw the job: nothing more is sent."""
    job = _job_or_404(job_id)
    _job, errors = jobs.cancel(current_services(), job.id)
    return _after(job, errors, _("Offre annulée : plus aucune alerte ne part."), "job_cancelled")


@bp.post("/jobs/<job_id>/close")
def job_close(job_id: str):
    """Close the job: applications over, sending stops."""
    job = _job_or_404(job_id)
    _job, errors = jobs.close(current_services(), job.id)
    return _after(job, errors, _("Offre clôturée."), "job_closed")
