"""Community relays (admins only): list with figures, approve or add, remove."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from alerts.domain.phones import try_normalize
from alerts.jobs.lifecycle import app_places
from alerts.sending.outbox import queue_sms
from alerts.services import current_services
from alerts.sms import relays
from alerts.web.admin.core import admin_required, audit, bp, store
from alerts.web.admin.forms import ConfirmForm, RelayForm
from alerts.web.shapes import relay_json
from messages.errors import french


@bp.route("/relays", methods=["GET", "POST"])
@admin_required
def relays_page():
    """Relays with their districts, people enrolled and consent rate; add or approve one."""
    form = RelayForm()
    if request.method == "POST" and form.validate_on_submit():
        phone = try_normalize(form.phone.data or "")
        names = [n.strip() for n in (form.districts.data or "").split(",") if n.strip()]
        ref = current_app.extensions["baara.reference"]
        districts, error = relays.resolve_places(names, ref, app_places(ref))
        if phone is None:
            form.phone.errors.append(_("Numéro invalide."))
        elif error:
            form.districts.errors.append(french(error))
        else:
            services = current_services()
            name = (form.name.data or "").strip()
            out = relays.approve(store(), ref, phone, districts, name=name or None)
            for target, text, force in out.messages:
                queue_sms(services, target, text, kind="relay", force=force)
            audit("relay_approved", phone=phone, districts=",".join(districts))
            flash(_("Relais enregistré : %(phone)s", phone=phone), "success")
            return redirect(url_for("admin.relays_page"))
    listed = [relay_json(r) for r in store().relays()]
    return render_template(
        "admin/relays.html",
        form=form,
        relays=listed,
        remove_form=ConfirmForm(),
    )


@bp.post("/relays/<path:phone>/approve")
@admin_required
def relay_approve(phone: str):
    """Approve a pending relay for the districts it asked for."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("admin.relays_page"))
    record = store().get_relay(phone)
    if record:
        out = relays.approve(
            store(), current_app.extensions["baara.reference"], phone, record["districts"]
        )
        for target, text, force in out.messages:
            queue_sms(current_services(), target, text, kind="relay", force=force)
        audit("relay_approved", phone=phone)
        flash(_("Relais approuvé : %(phone)s", phone=phone), "success")
    return redirect(url_for("admin.relays_page"))


@bp.post("/relays/<path:phone>/remove")
@admin_required
def relay_remove(phone: str):
    """Stop a number being a relay; the people it enrolled keep their alerts."""
    if ConfirmForm().validate_on_submit() and store().delete_relay(phone):
        audit("relay_removed", phone=phone)
        flash(_("Relais retiré : %(phone)s", phone=phone), "success")
    return redirect(url_for("admin.relays_page"))
