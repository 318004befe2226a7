"""The admin blueprint, its sign-in guard, roles, security headers and template helpers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError

from alerts.services import current_settings
from alerts.store import Store, current_store
from alerts.web import accounts
from alerts.web.accounts import Account

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
# Stylesheet and scripts sit outside /admin: the sign-in page needs them before anyone signs in.
assets = Blueprint(
    "admin_assets", __name__, static_folder="static", static_url_path="/static/admin"
)

#: Endpoints of the admin blueprint reachable without signing in.
PUBLIC_ENDPOINTS = frozenset({"admin.login"})
#: All an account with a temporary password may do until it sets its own.
TEMPORARY_PASSWORD_ENDPOINTS = frozenset({"admin.password", "admin.logout"})

#: No inline script, style or event handler anywhere: everything comes from /static/admin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def store() -> Store:
    """The running app's store."""
    return current_store()


def client_address() -> str:
    """The caller's address, for rate limits and the audit log."""
    return request.remote_addr or "unknown"


def current_account() -> Account | None:
    """The signed-in account of this request, or None (looked up once per request)."""
    # Cached in the WSGI environ, not in g: g belongs to the app context, which tests (and the
    # simulator's in-process webhook calls) share between requests.
    env = request.environ
    if "baara.account" not in env:
        env["baara.account"] = accounts.session_account(store(), session.get("sid"))
    return env["baara.account"]


def wants_json() -> bool:
    """True for the JSON endpoints the static scripts call."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.is_json or best == "application/json"


def require_login() -> ResponseReturnValue | None:
    """401 (JSON) or a redirect to the sign-in page when nobody is signed in."""
    if current_account() is not None:
        return None
    if wants_json():
        return jsonify({"error": "Unauthorized", "detail": "sign in first"}), 401
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target))


@bp.before_request
def _guard() -> ResponseReturnValue | None:
    # Sign-in is checked before CSRF so a stranger always gets 302/401, never a hint.
    if request.endpoint not in PUBLIC_ENDPOINTS:
        refused = require_login()
        if refused is not None:
            return refused
        account = current_account()
        if (
            account is not None
            and account.must_change_password
            and request.endpoint not in TEMPORARY_PASSWORD_ENDPOINTS
        ):
            if wants_json():
                return jsonify({"error": "Forbidden", "detail": "change your password first"}), 403
            return redirect(url_for("admin.password"))
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()
    return None


def admin_required(view: Callable) -> Callable:
    """Refuse a poster (403): this page is for admins only."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        account = current_account()
        if account is None or not account.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def audit(action: str, **detail: object) -> None:
    """Record an action of the signed-in account in the audit log."""
    account = current_account()
    accounts.audit(store(), account.email if account else "?", action, client_address(), **detail)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: an admin path of ours, never another site."""
    if target and target.startswith("/admin") and not target.startswith("/admin/login"):
        return target
    return url_for("admin.dashboard")


def secure_headers(response: Response) -> Response:
    """CSP and friends, for every page and script served by the admin and simulator."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html" or response.mimetype == "application/json":
        # Pages show phone numbers: keep them out of shared caches and the back-button cache.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


bp.after_request(secure_headers)
assets.after_request(secure_headers)


def _error_page(exc: Exception):
    code = getattr(exc, "code", 500)
    if wants_json():
        return jsonify({"error": getattr(exc, "name", "Error")}), code
    return render_template("admin/error.html", code=code, csrf=isinstance(exc, CSRFError)), code


# 400 too: a tampered form gets the French page; a CSRF refusal keeps its own wording.
bp.register_error_handler(400, _error_page)
bp.register_error_handler(403, _error_page)
bp.register_error_handler(404, _error_page)
bp.register_error_handler(405, _error_page)

#: Paths whose unmatched addresses get the French error page (routing fails before any
#: blueprint is known, so the blueprint's own handlers never see them).
FRENCH_PREFIXES = ("/admin", "/simulator")


def unmatched_page(exc: Exception):
    """The French page for an /admin/… or /simulator/… address that matches no route."""
    if request.blueprint is None and request.path.startswith(FRENCH_PREFIXES):
        return _error_page(exc)
    return exc


def local_time(epoch: int | float | str | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """An epoch time in the configured time zone, for display ('' for none)."""
    if epoch in (None, "", 0, "0"):
        return ""
    zone = current_settings().zone
    return datetime.fromtimestamp(float(epoch), UTC).astimezone(zone).strftime(fmt)


def number(value: float | int | None, decimals: int = 0) -> str:
    """French number formatting: 12 345,5 (narrow no-break space for thousands)."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


@assets.app_context_processor
def _template_globals() -> dict[str, Any]:
    # The simulator's menu link: settings are not in app.config (that holds Flask's own keys).
    settings = current_settings()
    return {
        "current_account": current_account,
        "simulator_on": settings.simulator,
        "currency": settings.sms_currency,
    }


@assets.app_template_filter("when")
def _when(epoch: int | float | str | None) -> str:
    return local_time(epoch)


@assets.app_template_filter("num")
def _num(value: float | int | None, decimals: int = 0) -> str:
    return number(value, decimals)
