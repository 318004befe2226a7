"""French labels for the codes the admin pages show (sources, worker states, audit actions),
as template filters: a code is never printed where a reader expects words.
"""

from __future__ import annotations

from flask_babel import gettext as _

from alerts.web.admin.core import assets
from messages.catalog import N_

SOURCES = {
    "sms": N_("SMS"),
    "ussd": N_("USSD"),
    "relay": N_("un relais"),
    "admin": N_("l'administration"),
}

WORKER_STATES = {
    "idle": N_("en attente de tâches"),
    "busy": N_("occupé"),
    "started": N_("démarré"),
    "suspended": N_("suspendu"),
}

AUDIT_ACTIONS = {
    "login": N_("Connexion"),
    "password_changed": N_("Mot de passe changé"),
    "account_created": N_("Compte créé"),
    "account_role": N_("Rôle modifié"),
    "account_deleted": N_("Compte supprimé"),
    "job_created": N_("Offre créée"),
    "job_scheduled": N_("Offre programmée"),
    "job_published": N_("Offre publiée"),
    "job_closed": N_("Offre clôturée"),
    "job_cancelled": N_("Offre annulée"),
    "relay_approved": N_("Relais enregistré"),
    "relay_removed": N_("Relais retiré"),
    "subscriber_stopped": N_("Envois arrêtés pour un numéro"),
    "subscriber_erased": N_("Numéro effacé"),
    "subscribers_exported": N_("Export CSV des abonnés"),
    "rq_requeue": N_("Tâche relancée"),
    "rq_delete": N_("Tâche supprimée"),
}


def _label(table: dict[str, str], code: object) -> str:
    text = str(code or "")
    return _(table[text]) if text in table else text


@assets.app_template_filter("source_label")
def source_label(code: object) -> str:
    """Where a subscriber came from, in French."""
    return _label(SOURCES, code)


@assets.app_template_filter("worker_state")
def worker_state(code: object) -> str:
    """An RQ worker's state, in French."""
    return _label(WORKER_STATES, code)


@assets.app_template_filter("audit_action")
def audit_action(code: object) -> str:
    """An audit log action, in French."""
    return _label(AUDIT_ACTIONS, code)
