"""Sign-in, sign-out, one's own password, and (admins) the accounts of the admin web."""

from __future__ import annotations

import secrets

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from alerts.services import current_settings
from alerts.web import accounts
from alerts.web.accounts import AccountError, Role, TooManyAttempts
from alerts.web.admin.core import (
    admin_required,
    audit,
    bp,
    client_address,
    current_account,
    safe_next,
    store,
)
from alerts.web.admin.forms import AccountForm, ConfirmForm, LoginForm, PasswordForm
from messages.errors import french

#: A browser someone signed in from gets this signed cookie; it names the account and a random
#: device id, which then has its own sign-in budget (see alerts/web/accounts.py).
DEVICE_COOKIE = "baara_device"
DEVICE_DAYS = 180


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="baara.trusted-device")


def trusted_device(email: str) -> str | None:
    """The id of this browser's trusted-device cookie when it was issued to `email`, else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("e") != (email or "").strip().lower():
        return None
    return str(data.get("d") or "") or None


def _remember_device(response: BaseResponse, email: str, device: str | None) -> BaseResponse:
    value = _devices().dumps({"e": email, "d": device or secrets.token_urlsafe(12)})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_DAYS * 86400,
        path="/admin",
        httponly=True,
        secure=current_settings().production,
        samesite="Lax",
    )
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page; rate-limited per (account, address), account, address, trusted device."""
    if current_account() is not None and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        device = trusted_device(email)
        try:
            account = accounts.authenticate(
                store(), email, form.password.data or "", client_address(), device
            )
        except TooManyAttempts as exc:
            minutes = max(1, (exc.retry_after + 59) // 60)
            form.form_errors.append(
                _("Trop de tentatives. Réessayez dans %(n)s minute(s).", n=minutes)
            )
            status = 429
        else:
            if account is None:
                form.form_errors.append(_("Adresse e-mail ou mot de passe incorrect."))
                status = 401
            else:
                session.clear()  # a fresh session (and CSRF token) for the signed-in person
                g.pop("csrf_token", None)
                session["sid"] = accounts.open_session(store(), account)
                accounts.audit(store(), account.email, "login", client_address())
                return _remember_device(
                    redirect(safe_next(request.args.get("next"))), account.email, device
                )
    elif request.method == "POST":
        status = 400
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out: the session ends on the server too."""
    accounts.close_session(store(), session.get("sid"))
    session.clear()
    flash(_("Vous êtes déconnecté(e)."), "info")
    return redirect(url_for("admin.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Change one's own password (every other session of the account ends)."""
    account = current_account()
    assert account is not None
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            checked = accounts.authenticate(
                store(), account.email, form.current.data or "", client_address()
            )
        except TooManyAttempts:
            checked = None
        if checked is None:
            form.current.errors = [_("Mot de passe actuel incorrect.")]
        elif form.password.data == form.current.data:
            form.password.errors = [_("Choisissez un mot de passe différent de l'actuel.")]
        else:
            try:
                accounts.set_password(store(), account.email, form.password.data or "")
            except AccountError as exc:
                form.password.errors = [french(exc.error)]
            else:
                updated = accounts.get_account(store(), account.email)
                assert updated is not None
                session["sid"] = accounts.open_session(store(), updated)
                audit("password_changed", account=account.email)
                flash(_("Mot de passe changé."), "success")
                return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html", form=form, forced=account.must_change_password)


@bp.route("/accounts", methods=["GET", "POST"])
@admin_required
def accounts_page():
    """Accounts: list, create (admins only)."""
    form = AccountForm()
    if form.validate_on_submit():
        try:
            created = accounts.create_account(
                store(),
                form.email.data or "",
                form.password.data or "",
                form.role.data,
                temporary=True,
            )
        except AccountError as exc:
            field = form.email if exc.error.field == "email" else form.password
            field.errors = [french(exc.error)]
        else:
            audit("account_created", account=created.email, role=created.role.value)
            flash(_("Compte créé : %(email)s", email=created.email), "success")
            return redirect(url_for("admin.accounts_page"))
    return render_template(
        "admin/accounts.html",
        form=form,
        accounts=accounts.list_accounts(store()),
        button=ConfirmForm(),
        roles=list(Role),
        audit_entries=store().audit_log(100),
    )


@bp.post("/accounts/<path:email>/role")
@admin_required
def account_role(email: str):
    """Switch an account between admin and poster."""
    me = current_account()
    assert me is not None
    role = request.form.get("role", "")
    if role not in {r.value for r in Role}:
        abort(400)
    if email == me.email:
        flash(_("Vous ne pouvez pas changer votre propre rôle."), "error")
    else:
        try:
            accounts.set_role(store(), email, role)
        except AccountError:
            abort(404)
        audit("account_role", account=email, role=role)
        flash(_("Rôle modifié : %(email)s", email=email), "success")
    return redirect(url_for("admin.accounts_page"))


@bp.post("/accounts/<path:email>/delete")
@admin_required
def account_delete(email: str):
    """Delete an account (not one's own: there must always be an admin left)."""
    me = current_account()
    assert me is not None
    if email == me.email:
        flash(_("Vous ne pouvez pas supprimer votre propre compte."), "error")
    elif accounts.delete_account(store(), email):
        audit("account_deleted", account=email)
        flash(_("Compte supprimé : %(email)s", email=email), "success")
    else:
        abort(404)
    return redirect(url_for("admin.accounts_page"))
