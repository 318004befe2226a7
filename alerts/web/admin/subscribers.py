"""Subscribers (admins only): search by phone, details and history, stop, erase, CSV export."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from alerts.domain.outcomes import AlertOutcome
from alerts.domain.phones import try_normalize
from alerts.domain.subscribers import StoppedBy, Subscriber
from alerts.jobs.lifecycle import Job
from alerts.ops import erasure
from alerts.services import current_services, current_settings
from alerts.web.admin.core import admin_required, audit, bp, local_time, store
from alerts.web.admin.forms import ConfirmForm, EraseForm, SearchForm
from alerts.web.admin.job_preview import reason_label
from alerts.web.shapes import subscriber_json
from messages.catalog import N_

SEARCH_LIMIT = 50
#: Fewer digits than this match too many numbers to be a search.
MIN_DIGITS = 4
EXPORT_COLUMNS = (
    "phone",
    "language",
    "status",
    "stopped_by",
    "source",
    "created_at",
    "updated_at",
    "districts",
    "regions",
    "categories",
    "subscriptions",
)


#: An alert's outcome for one person, as support staff would say it on the phone.
OUTCOME_LABELS = {
    AlertOutcome.SENT: N_("Envoyée, remise non confirmée"),
    AlertOutcome.DELIVERED: N_("Remise sur le téléphone"),
    AlertOutcome.FAILED: N_("Non remise"),
    AlertOutcome.SKIPPED: N_("Non envoyée"),
}


def alert_rows(phone: str) -> list[dict]:
    """The alerts sent to a number, newest first, with the job, outcome, reason and times."""
    records = store().alert_history(phone)
    loaded = store().load_jobs([r.job_id for r in records])
    rows = []
    for record, data in zip(records, loaded, strict=True):
        rows.append(
            {
                "job": Job.from_record(data) if data else None,
                "job_id": record.job_id,
                "outcome": record.outcome.value,
                "status": _(OUTCOME_LABELS[record.outcome]),
                "reason": reason_label(
                    record.reason, skipped=record.outcome is AlertOutcome.SKIPPED
                ),
                "at": record.at,
                "report_at": record.report_at,
            }
        )
    return rows


def _page(sub: Subscriber, erase_form: EraseForm, status: int = 200):
    return render_template(
        "admin/subscriber.html",
        sub=sub,
        info=subscriber_json(sub),
        history=store().history(sub.phone),
        alerts=alert_rows(sub.phone),
        stop_form=ConfirmForm(),
        erase_form=erase_form,
        simulator=current_settings().simulator,
    ), status


def _digits(text: str) -> str:
    # As ASCII, whatever script they were typed in: stored numbers are ASCII.
    return "".join(str(d) for c in text if (d := unicodedata.decimal(c, None)) is not None)


def search(query: str, limit: int = SEARCH_LIMIT) -> list[Subscriber]:
    """Subscribers whose number contains these digits (a full number is found directly)."""
    phone = try_normalize(query)
    if phone:
        found = store().get_subscriber(phone)
        if found:
            return [found]
    digits = _digits(query)
    if len(digits) < MIN_DIGITS:
        return []
    hits = []
    for sub in store().iter_subscribers():
        if digits in sub.phone:
            hits.append(sub)
            if len(hits) >= limit:
                break
    return sorted(hits, key=lambda s: s.phone)


@bp.get("/subscribers")
@admin_required
def subscribers():
    """Search form and results, plus the CSV export button."""
    form = SearchForm(request.args)
    results: list[Subscriber] | None = None
    if request.args.get("q") is not None and form.validate():
        query = form.q.data or ""
        if try_normalize(query) is None and len(_digits(query)) < MIN_DIGITS:
            # "12" would match thousands of numbers: ask for more rather than answer "nobody".
            form.q.errors = [
                _("Tapez au moins %(n)s chiffres du numéro, ou le numéro complet.", n=MIN_DIGITS)
            ]
        else:
            results = search(query)
    if results and len(results) == 1 and try_normalize(form.q.data or "") == results[0].phone:
        return redirect(url_for("admin.subscriber", phone=results[0].phone))
    return render_template(
        "admin/subscribers.html",
        form=form,
        results=results,
        export_form=ConfirmForm(),
        limit=SEARCH_LIMIT,
    )


def _subscriber_or_404(phone: str) -> Subscriber:
    normalized = try_normalize(phone)
    sub = store().get_subscriber(normalized) if normalized else None
    if sub is None:
        abort(404)
    return sub


@bp.get("/subscribers/<path:phone>")
@admin_required
def subscriber(phone: str):
    """One subscriber: language, status, subscriptions, the alerts they were sent, messages."""
    return _page(_subscriber_or_404(phone), EraseForm())


@bp.post("/subscribers/<path:phone>/stop")
@admin_required
def subscriber_stop(phone: str):
    """Stop all sending to the number (on the person's request); START by SMS resumes."""
    sub = _subscriber_or_404(phone)
    store().stop(sub.phone, by=StoppedBy.USER)
    audit("subscriber_stopped", phone=sub.phone)
    flash(_("Envois arrêtés pour ce numéro."), "success")
    return redirect(url_for("admin.subscriber", phone=sub.phone))


@bp.post("/subscribers/<path:phone>/erase")
@admin_required
def subscriber_erase(phone: str):
    """Erase everything Baara holds about the number, after an explicit confirmation."""
    sub = _subscriber_or_404(phone)
    form = EraseForm()
    if not form.validate_on_submit():
        return _page(sub, form, 400)
    erased = erasure.erase(current_services(), sub.phone)
    # The audit log keeps the salted hash, never the erased number.
    audit("subscriber_erased", phone=erased.token)
    flash(_("Numéro effacé : %(phone)s", phone=sub.phone), "success")
    return redirect(url_for("admin.subscribers"))


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula; phones (+digits) are safe.
    if value and value[0] in "=+-@\t\r" and not value[1:].isdigit():
        return "'" + value
    return value


def export_rows() -> Iterator[list[str]]:
    """Header then one row per subscriber, for the CSV export."""
    yield list(EXPORT_COLUMNS)
    for sub in store().iter_subscribers():
        row = [
            sub.phone,
            sub.language.value,
            sub.status.value,
            sub.stopped_by.value,
            sub.source.value,
            local_time(sub.created_at, "%Y-%m-%d %H:%M"),
            local_time(sub.updated_at, "%Y-%m-%d %H:%M"),
            " ".join(sorted({s.district for s in sub.subscriptions if s.district})),
            " ".join(sorted({s.region for s in sub.subscriptions if s.region})),
            " ".join(sorted({s.category for s in sub.subscriptions if s.category})),
            " ".join(s.code for s in sub.subscriptions),
        ]
        yield [_cell(v) for v in row]


@bp.post("/subscribers/export.csv")
@admin_required
def subscribers_export():
    """Every subscriber as CSV; the export is recorded in the audit log first."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    audit("subscribers_exported", format="csv")

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        # A BOM so a double click opens it in a spreadsheet with accents intact.
        yield "\ufeff"
        for row in export_rows():
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="baara-abonnes-{stamp}.csv"'},
    )
