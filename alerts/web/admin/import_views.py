"""Importer une annonce: paste a notice or upload it (.txt, .docx, .pdf), and the job form comes
back filled, each unsure field flagged, for the recruiter to check before saving or publishing.

Nothing is saved here: the filled form posts to `admin.job_new` like a typed one. No script is
needed (the CSP allows none inline): it is a plain multipart form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _

from alerts.extract import MAX_TEXT, Doubt, Extraction, extract
from alerts.extract.files import MAX_FILE_BYTES, UnreadableFile, notice_text, text_from_file
from alerts.web.admin.core import bp
from alerts.web.admin.forms import JobForm
from alerts.web.admin.job_preview import _tz, form_payload, preview
from alerts.web.admin.job_views import _choices, _render_form
from messages.catalog import N_
from messages.errors import french

#: A .docx or .pdf notice is far larger than MAX_CONTENT_LENGTH's JSON bodies.
IMPORT_MAX_BYTES = MAX_FILE_BYTES + 64 * 1024

#: What each doubt means to the recruiter (the admin web is French).
DOUBTS = {
    Doubt.NOT_FOUND: N_(
        "Pas trouvé dans l'annonce : une valeur par défaut a été mise. À vérifier."
    ),
    Doubt.UNSURE: N_("Lu dans l'annonce sans certitude : à vérifier."),
    Doubt.PASSED: N_("La date limite de l'annonce est déjà passée : corrigez-la ou renoncez."),
}
#: Form controls that carry each extracted field's flag.
FORM_FIELD = {"deadline": "deadline_date", "apply": "apply_email"}


@bp.before_app_request
def _import_body_limit() -> None:
    # Runs before the admin guard reads the form (CSRF): only this endpoint takes files.
    if request.endpoint == "admin.job_import" and request.method == "POST":
        request.max_content_length = IMPORT_MAX_BYTES


def notice_from_request() -> tuple[str, str | None]:
    """The notice's text from the upload, else the textarea; or why there is none (French)."""
    upload = request.files.get("notice_file")
    if upload is not None and upload.filename:
        try:
            text = text_from_file(upload.filename, upload.read(MAX_FILE_BYTES + 1))
        except UnreadableFile as exc:
            return "", french(exc.error)
    else:
        text = request.form.get("notice_text", "")
    text, error = notice_text(text, MAX_TEXT, "notice_text")
    return (text, None) if error is None else ("", french(error))


def fill(form: JobForm, found: Extraction) -> None:
    """Put the extracted fields into the job form."""
    form.title.data = found.title
    form.organization.data = found.organization
    form.category.data = found.category
    form.districts.data = list(found.districts)
    form.regions.data = list(found.regions)
    form.positions.data = str(found.positions)
    day, _sep, hour = found.deadline.partition("T")
    form.deadline_date.data = day
    form.deadline_time.data = hour
    parts = found.apply_parts
    form.apply_email.data = parts.get("email", "")
    form.apply_phone.data = parts.get("phone", "")
    form.apply_office.data = parts.get("office", "")
    form.apply_subject.data = parts.get("subject", "")
    # The link, or the whole line when no contact was found, goes in the free text.
    form.apply_text.data = parts.get("link", "") or ("" if parts else found.apply)


def doubts(found: Extraction) -> dict[str, str]:
    """Form control name -> what to check there, in French."""
    return {FORM_FIELD.get(w.field, w.field): _(DOUBTS[w.code]) for w in found.warnings}


def _form_data(form: JobForm) -> dict[str, Any]:
    data: dict[str, Any] = {name: field.data for name, field in form._fields.items()}
    return {
        k: (v if isinstance(v, list) else ("" if v is None else str(v))) for k, v in data.items()
    }


@bp.post("/jobs/import")
def job_import():
    """Fill the job form from a pasted or uploaded notice; unsure fields are flagged."""
    form = JobForm(formdata=None)
    _choices(form)
    text, problem = notice_from_request()
    if problem:
        return _render_form(
            form, 400, import_error=problem, notice_text=request.form.get("notice_text", "")
        )
    ref = current_app.extensions["baara.reference"]
    found = extract(text, tz=_tz(), now=datetime.now(UTC), reference=ref)
    fill(form, found)
    data = _form_data(form)
    data["districts"] = list(found.districts)
    data["regions"] = list(found.regions)
    return _render_form(
        form, preview_data=preview(form_payload(data)), doubts=doubts(found), imported=True
    )
