"""Jobs in the admin web: the form with its live SMS preview, the job page and its progress.

The preview and the progress bar are static scripts calling two JSON endpoints here
(`POST /admin/jobs/preview`, `GET /admin/jobs/<id>/progress`): the CSP allows no inline script.
"""

from __future__ import annotations

import math
import re
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import FINAL, Job, JobDraft, JobStatus
from alerts.services import Services, current_services
from alerts.web.admin.core import audit, bp, current_account, local_time, number, store
from alerts.web.admin.forms import ConfirmForm, JobForm, ScheduleForm, choice
from config.reference import Reference
from messages.catalog import N_
from messages.compose import TooLong, count_segments

#: Stands in for the code a posting gets when it is saved (same length as a real one).
PREVIEW_CODE = "J???"
LANGUAGES = (("fr", "Français"), ("bm", "Bamanankan"))
#: Placeholders that let a half-filled form show its SMS as it will look.
_PLACEHOLDERS = {
    "title": "[intitulé]",
    "organization": "[organisation]",
    "apply": "[comment postuler]",
}
_DATE_PLACEHOLDER = "jj/mm/aaaa"
_PLACE_PLACEHOLDER = "[lieu]"

#: jobs.validate() speaks English to the API; the admin web shows French.
_FRENCH = [
    (r"must not be empty|required, a text|must be a text", N_("Champ obligatoire.")),
    (r"contains characters that are not valid text",
     N_("Contient des caractères qui ne sont pas du texte.")),
    (r"at most (\d+) characters", N_("%(n)s caractères au plus.")),
    (r"required: a category.*", N_("Choisissez une catégorie.")),
    (r"unknown category: (.*)", N_("Catégorie inconnue : %(n)s")),
    (r"required: a list of district.*", N_("Choisissez au moins un district ou une région.")),
    (r"at most (\d+) places", N_("%(n)s lieux au plus.")),
    (r"unknown district or region: (.*)", N_("District ou région inconnu : %(n)s")),
    (r"must be a whole number", N_("Nombre entier attendu.")),
    (r"must be between 1 and (\d+)", N_("Entre 1 et %(n)s.")),
    (r"required, an ISO 8601 date.*", N_("Indiquez la date limite.")),
    (r"not an ISO 8601 date.*", N_("Date ou heure invalide.")),
    (r"the deadline has passed.*", N_("La date limite est déjà passée.")),
    (r"more than a year away", N_("La date limite est à plus d'un an.")),
    (r"passes before quiet hours end at (\S+): .*",
     N_("La date limite tombe avant la fin des heures de silence (%(n)s) : personne ne "
        "serait alerté.")),
    (r"give at least one of .*",
     N_("Indiquez au moins un moyen de postuler : e-mail, téléphone, bureau ou texte.")),
    (r"email: not an email address.*", N_("Adresse e-mail invalide.")),
    (r"\w+: at most (\d+) characters", N_("%(n)s caractères au plus.")),
    (r"must contain a letter or a digit", N_("Au moins une lettre ou un chiffre.")),
    (r"must be an http:// or https:// address", N_("Adresse web invalide (http:// ou https://).")),
    (r"too long to fit an SMS.*",
     N_("Trop long pour tenir dans un SMS avec les autres champs : raccourcissez l'intitulé "
        "ou l'organisation.")),
    (r"a \w+ job cannot be published",
     N_("Cette offre est fermée ou annulée : elle ne peut plus être publiée.")),
    (r"the job is already \w+", N_("Cette offre est déjà fermée ou annulée.")),
    (r"changed meanwhile, try again", N_("L'offre a changé entre-temps : réessayez.")),
    (r"no such job", N_("Offre introuvable.")),
]

#: Gateway and delivery-report failure reasons, as a recruiter would say them.
REASONS = {
    "AbsentSubscriber": N_("Téléphone éteint ou hors réseau"),
    "DeliveryFailure": N_("Échec de remise par l'opérateur"),
    "DeliveryFailed": N_("Échec de remise par l'opérateur"),
    "UserInBlacklist": N_("Numéro en liste noire (désabonné chez l'opérateur)"),
    "UserInBlackList": N_("Numéro en liste noire (désabonné chez l'opérateur)"),
    "InvalidPhoneNumber": N_("Numéro invalide"),
    "UnsupportedNumberType": N_("Type de numéro non pris en charge"),
    "CouldNotRoute": N_("Opérateur injoignable"),
    "InsufficientBalance": N_("Crédit Africa's Talking insuffisant"),
    "InsufficientCredit": N_("Crédit Africa's Talking insuffisant"),
    "RiskHold": N_("Bloqué par Africa's Talking (contrôle)"),
    "InvalidSenderId": N_("Nom d'expéditeur refusé"),
    "RejectedByGateway": N_("Refusé par la passerelle"),
    "UserIsInactive": N_("Abonné inactif chez l'opérateur"),
    "Unconfirmed": N_("Envoi non confirmé par la passerelle"),
    "Unknown": N_("Motif inconnu"),
}

#: Why an alert was not sent to someone (fanout's skip reasons).
SKIP_REASONS = {
    "stopped": N_("Numéro arrêté (STOP) avant l'envoi"),
    "closed": N_("Offre clôturée avant l'envoi"),
    "cancelled": N_("Offre annulée avant l'envoi"),
    "expired": N_("Date limite passée avant l'envoi"),
    "unpublished": N_("Offre retirée avant l'envoi"),
}


def reason_label(reason: str, skipped: bool = False) -> str:
    """A failure or skip reason as a recruiter would say it ('' for none)."""
    if not reason:
        return ""
    table = SKIP_REASONS if skipped else REASONS
    if reason in table:
        return _(table[reason])
    if reason.startswith("HTTP"):
        return _("Erreur de la passerelle (%(code)s)", code=reason)
    return _("Autre motif (%(code)s)", code=reason)

STATUS_LABELS = {
    JobStatus.DRAFT: N_("Brouillon"),
    JobStatus.SCHEDULED: N_("Programmée"),
    JobStatus.PUBLISHED: N_("Publiée"),
    JobStatus.CLOSED: N_("Clôturée"),
    JobStatus.CANCELLED: N_("Annulée"),
}


def french(message: str) -> str:
    """The French wording of a jobs.validate() error or a SCHEDULE_ERRORS code; never English."""
    if message in SCHEDULE_ERRORS:
        return _(SCHEDULE_ERRORS[message])
    for pattern, template in _FRENCH:
        m = re.fullmatch(pattern, message.strip(), flags=re.S)
        if m:
            return _(template, n=m.group(1) if m.groups() else "")
    return _("Valeur refusée.")


def _reference() -> Reference:
    return current_app.extensions["baara.reference"]


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE") or "Africa/Bamako")


def form_payload(data: Any) -> dict[str, Any]:
    """The jobs API payload for a submitted job form (request.form or a dict of lists)."""

    def one(name: str) -> str:
        return (data.get(name) or "").strip()

    def many(name: str) -> list[str]:
        getter = getattr(data, "getlist", None)
        values = getter(name) if getter else data.get(name) or []
        return [v.strip() for v in values if v and v.strip()]

    deadline = one("deadline_date")
    if deadline and one("deadline_time"):
        deadline = f"{deadline}T{one('deadline_time')}"
    apply = {
        k: one(f"apply_{k}") for k in ("email", "phone", "office", "subject", "text")
        if one(f"apply_{k}")
    }
    places = many("districts") + [f"région {r}" for r in many("regions")]
    return {
        "title": one("title"),
        "organization": one("organization"),
        "organization_short": one("organization_short"),
        "category": one("category"),
        "districts": places,
        "positions": one("positions") or None,
        "deadline": deadline,
        "apply": apply,
        "source_url": one("source_url"),
    }


def _job_from_draft(draft: JobDraft, code: str = PREVIEW_CODE) -> Job:
    return Job(**{f.name: getattr(draft, f.name) for f in fields(JobDraft)}, id="preview",
               code=code)


def preview(payload: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """What the alert will look like, in each language, and what it will cost to send."""
    ref = _reference()
    tz = _tz()
    places = jobs.app_places(ref)
    now = store().now() if now is None else now
    draft, errors = jobs.validate(payload, ref, places, tz, now=now)
    filled = dict(payload)
    placeholder_date = False
    stand_in_place = None
    if draft is None:
        # Stand-ins for what is missing, so the text, its length and its cost show as you type.
        for name, stand_in in _PLACEHOLDERS.items():
            if name in errors:
                filled[name] = stand_in
        if "category" in errors:
            filled["category"] = next(iter(ref.categories))
        if "districts" in errors:
            stand_in_place = next(iter(ref.districts.values()))
            filled["districts"] = [stand_in_place.slug]
        if "deadline" in errors:
            stamp = datetime.fromtimestamp(now, tz) + timedelta(days=30)
            filled["deadline"] = stamp.strftime("%Y-%m-%d")
            placeholder_date = True
        for name in ("positions", "source_url"):
            if name in errors:
                filled[name] = None
        draft, _unused = jobs.validate(filled, ref, places, tz, now=now)
    reach_known = draft is not None and not {"category", "districts"} & set(errors)
    audience: dict[str, int] = {}
    if reach_known and draft is not None:
        counts = store().count_audience(draft.match_places(ref), draft.category)
        audience = {lang.value: n for lang, n in counts.items()}
    price = float(current_app.config.get("SMS_PRICE", 0))
    currency = current_app.config.get("SMS_CURRENCY", "XOF")
    languages = []
    total_cost = 0.0
    too_long = ""
    for lang, label in LANGUAGES:
        text = ""
        if draft is not None:
            try:
                text = jobs.alert_text(_job_from_draft(draft), lang, reference=ref, tz=tz)
            except TooLong as exc:
                too_long = str(exc)
        if placeholder_date and draft is not None:
            text = text.replace(jobs.format_deadline(draft, tz), _DATE_PLACEHOLDER)
        if stand_in_place is not None:
            # No place ticked yet: show where the place goes, not a district nobody chose.
            text = text.replace(stand_in_place.name, _PLACE_PLACEHOLDER)
        info = count_segments(text) if text else None
        recipients = audience.get(lang, 0)
        cost = price * (info.segments if info else 0) * recipients
        total_cost += cost
        languages.append(
            {
                "lang": lang,
                "label": label,
                "text": text,
                "characters": info.characters if info else 0,
                "encoding": str(info.encoding) if info else "",
                "segments": info.segments if info else 0,
                "per_segment": info.per_segment if info else 0,
                "recipients": recipients if reach_known else None,
                "cost": cost,
                "cost_text": f"{number(cost)} {currency}",
            }
        )
    if too_long:
        errors = {**errors, "title": "too long to fit an SMS with the other fields"}
    reach = sum(audience.values()) if reach_known else None
    return {
        "complete": not errors,
        "errors": {k: french(v) for k, v in errors.items()},
        "languages": languages,
        "reach": reach,
        "reach_text": (_("%(n)s abonné(s)", n=number(reach)) if reach is not None
                       else _("choisissez la catégorie et les lieux")),
        "price": price,
        "currency": currency,
        "cost": total_cost,
        "cost_text": f"{number(total_cost)} {currency}" if reach is not None else "—",
        "formula": " + ".join(
            f"{number(price, 2 if price % 1 else 0)} × {x['segments']} SMS × "
            f"{number(x['recipients'] or 0)} ({x['lang']})" for x in languages
        ),
    }


# -- permissions ---------------------------------------------------------------------------


def owner_tag(email: str) -> str:
    """What a job's created_by holds for a web account: its whole e-mail address."""
    return email


def can_see(job: Job) -> bool:
    """Admins see every job, posters their own."""
    account = current_account()
    return account is not None and (account.is_admin or job.created_by == owner_tag(account.email))


def _job_or_404(job_id: str) -> Job:
    job = jobs.get_job(job_id, services=current_services())
    if job is None or not can_see(job):
        abort(404)
    return job


# -- scheduling ----------------------------------------------------------------------------


#: Why a publication time was refused, by code (the view words them in French).
SCHEDULE_ERRORS = {
    "missing": N_("Indiquez la date et l'heure d'envoi."),
    "not_draft": N_("Seule une offre en brouillon peut être programmée."),
    "past": N_("Ce moment est déjà passé : choisissez une heure à venir."),
    "after_deadline": N_("L'envoi doit précéder la date limite."),
}
#: A time in the current minute (the earliest the picker offers) is still "now or later".
SCHEDULE_GRACE = 60


def schedule_problem(at: int | None, now: float, deadline: int | None) -> str | None:
    """The SCHEDULE_ERRORS code for publishing at `at`, or None when it can be done."""
    if at is None:
        return "missing"
    if at < now - SCHEDULE_GRACE:
        return "past"
    if deadline is not None and at >= deadline:
        return "after_deadline"
    return None


def schedule(services: Services, job_id: str, at: int | None, now: float | None = None
             ) -> tuple[Job | None, dict[str, str]]:
    """Publish a draft later, at `at` (epoch seconds): the same path quiet hours take."""
    store_ = services.store
    now = store_.now() if now is None else now
    job = jobs.get_job(job_id, services=services)
    if job is None:
        return None, {"id": "no such job"}
    if job.status not in (JobStatus.DRAFT, JobStatus.SCHEDULED):
        return job, {"schedule_at": "not_draft"}
    if problem := schedule_problem(at, now, job.deadline):
        return job, {"schedule_at": problem}
    assert at is not None
    return jobs.schedule_at(
        services, job, max(at, int(now)), now=int(now),
        allowed=[JobStatus.DRAFT, JobStatus.SCHEDULED],
    )


def schedule_min(tz: ZoneInfo, now: float) -> str:
    """The earliest moment the picker offers: this minute, local time."""
    return datetime.fromtimestamp(now, tz).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str, tz: ZoneInfo) -> int | None:
    """'2025-06-16T09:00' in the configured time zone -> epoch seconds (None if unreadable)."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp())


# -- progress ------------------------------------------------------------------------------


def progress(job: Job, stats: dict[str, Any]) -> dict[str, Any]:
    """The fan-out as the progress bar draws it: queued, sent, delivered, failed, skipped."""
    matched = int(stats.get("matched", 0))
    queued = int(stats.get("queued", 0))
    sent = int(stats.get("sent", 0))
    delivered = int(stats.get("delivered", 0))
    failed = int(stats.get("failed", 0))
    skipped = int(stats.get("skipped", 0))
    started = bool(queued or sent or failed or skipped)
    handled = max(matched - queued, 0) if started else 0
    send_failed = max(handled - sent - skipped, 0)
    report_failed = max(failed - send_failed, 0)
    awaiting = max(sent - delivered - report_failed, 0)
    waiting = max(matched - handled, 0)
    status = JobStatus(stats.get("status", job.status))
    done = status in FINAL or (
        status is JobStatus.PUBLISHED and (matched == 0 or (started and queued == 0))
    )
    # Nobody to reach: the bar is full once the job is out, empty before.
    percent = math.floor(100 * handled / matched) if matched else (100 if done else 0)

    def share(n: int) -> float:
        return round(100 * n / matched, 2) if matched else 0.0

    reasons = sorted(stats.get("failures_by_reason", {}).items(), key=lambda kv: -kv[1])
    currency = current_app.config.get("SMS_CURRENCY", "XOF")
    return {
        "status": status.value,
        "status_label": _(STATUS_LABELS.get(status, status.value)),
        "matched": matched,
        "handled": handled,
        "queued": waiting,
        "sent": sent,
        "awaiting": awaiting,
        "delivered": delivered,
        "failed": failed,
        "skipped": skipped,
        "percent": percent,
        "done": done,
        "parts": [
            {"key": "delivered", "width": share(delivered)},
            {"key": "sent", "width": share(awaiting)},
            {"key": "failed", "width": share(failed)},
            {"key": "skipped", "width": share(skipped)},
        ],
        "reasons": [
            {"reason": r, "label": reason_label(r), "count": n}
            for r, n in reasons
        ],
        "segments": int(stats.get("segments", 0)),
        "cost": float(stats.get("cost", 0) or 0),
        "cost_text": f"{number(float(stats.get('cost', 0) or 0))} {currency}",
        "delivery_rate": round(100 * delivered / sent) if sent else None,
    }


#: The steps of a job's sending, in order: the stats field (or job attribute) holding its time.
TIMELINE = (
    ("created", N_("Créée")),
    ("published", N_("Publiée : alertes en file")),
    ("first_sent_at", N_("Premier SMS accepté par la passerelle")),
    ("last_sent_at", N_("Dernier SMS accepté par la passerelle")),
    ("first_report_at", N_("Premier rapport de remise")),
    ("last_report_at", N_("Dernier rapport de remise")),
)


def timeline(job: Job) -> list[dict[str, str]]:
    """The sending history with times (steps not reached yet are left out)."""
    raw = store().alert_stats(job.id)
    times = {"created": job.created_at, "published": job.published_at or None,
             **{k: raw.get(k) for k, _label in TIMELINE[2:]}}
    steps = []
    for key, label in TIMELINE:
        at = times.get(key)
        if at in (None, "", 0, "0"):
            continue
        if key == "last_sent_at" and at == times.get("first_sent_at"):
            continue
        if key == "last_report_at" and at == times.get("first_report_at"):
            continue
        steps.append({"key": key, "label": _(label),
                      "at": local_time(float(at), "%d/%m/%Y %H:%M:%S")})
    return steps


# -- views ---------------------------------------------------------------------------------


def _choices(form: JobForm) -> None:
    ref = _reference()
    form.category.choices = [choice("", _("— Choisir —"))] + [
        choice(c.slug, c.fr) for c in ref.categories.values()
    ]
    form.districts.choices = [choice(d.slug, d.name) for d in ref.districts.values()]
    form.regions.choices = [choice(r.slug, r.name) for r in ref.regions.values()]


def _render_form(form: JobForm, status: int = 200, preview_data: dict | None = None,
                 **imported: Any):
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
        preview=preview_data or preview(form_payload(request.form if request.method == "POST"
                                                     else _form_as_multidict(form))),
        quiet_hours=current_app.config.get("QUIET_HOURS", ""),
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
    return {k: (v if isinstance(v, list) else ("" if v is None else str(v)))
            for k, v in data.items()}


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


def _show_errors(form: JobForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        field = getattr(form, _FIELD_OF.get(name, name), None)
        text = french(message)
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
    return render_template("admin/jobs.html", rows=rows, labels=STATUS_LABELS,
                           reference=_reference())


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
        draft, problems = jobs.validate(payload, ref, jobs.app_places(ref), _tz(),
                                        now=store().now())
        when = schedule_problem(at, store().now(), draft.deadline if draft else None)
        if when:
            problems = {**problems, "schedule_at": when}
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
            for message in problems.values():
                flash(_("Offre enregistrée en brouillon, non programmée : %(why)s",
                        why=french(message)), "error")
        else:
            audit("job_scheduled", job=job.id, at=at)
            flash(_("Offre %(code)s programmée.", code=job.code), "success")
    elif errors:
        for message in errors.values():
            flash(french(message), "error")
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
    return jsonify({**progress(job, jobs.job_stats(current_services(), job.id)),
                    "timeline": timeline(job)})


def _after(job: Job, errors: dict[str, str], done_message: str, action: str):
    if errors:
        for message in errors.values():
            flash(french(message), "error")
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
