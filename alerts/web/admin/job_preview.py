"""The job form's data and its live preview: French labels and reasons, the form as a payload,
the alert as subscribers will read it, its length and cost."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from alerts.domain.errors import ErrorCode, FieldError
from alerts.jobs import lifecycle as jobs
from alerts.jobs.lifecycle import Job, JobDraft, JobStatus
from alerts.services import current_settings
from alerts.web.admin.core import number, store
from config.reference import Reference
from messages.alert import TITLE_CHARS
from messages.catalog import N_
from messages.compose import TooLong, count_segments
from messages.errors import french

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


def _reference() -> Reference:
    return current_app.extensions["baara.reference"]


def _tz() -> ZoneInfo:
    return current_settings().zone


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
        k: one(f"apply_{k}")
        for k in ("email", "phone", "office", "subject", "text")
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
    return Job(
        **{f.name: getattr(draft, f.name) for f in fields(JobDraft)}, id="preview", code=code
    )


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
    price = current_settings().sms_price
    currency = current_settings().sms_currency
    languages: list[dict[str, Any]] = []
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
        errors = {
            **errors,
            "title": FieldError("title", ErrorCode.TOO_LONG_FOR_SMS, {"chars": TITLE_CHARS}),
        }
    reach = sum(audience.values()) if reach_known else None
    return {
        "complete": not errors,
        "errors": {k: french(v) for k, v in errors.items()},
        "languages": languages,
        "reach": reach,
        "reach_text": (
            _("%(n)s abonné(s)", n=number(reach))
            if reach is not None
            else _("choisissez la catégorie et les lieux")
        ),
        "price": price,
        "currency": currency,
        "cost": total_cost,
        "cost_text": f"{number(total_cost)} {currency}" if reach is not None else "—",
        "formula": " + ".join(
            f"{number(price, 2 if price % 1 else 0)} × {x['segments']} SMS × "
            f"{number(x['recipients'] or 0)} ({x['lang']})"
            for x in languages
        ),
    }
