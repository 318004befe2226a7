"""The admin web: accounts, job form with live SMS preview, fan-out progress, dashboard,
subscribers, queue view; plus CSRF protection, Flask-Babel and the phone simulator page.

`init_app(app)` wires all of it; app.py calls it once.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect

from alerts.services import services_of
from alerts.web.admin import (  # noqa: F401  (importing attaches the views to the blueprint)
    auth_views,
    dashboard,
    import_views,
    job_views,
    labels,
    phone,
    queues,
    relay_views,
    subscribers,
)
from alerts.web.admin.cli import admin_cli
from alerts.web.admin.core import assets, bp, unmatched_page

#: Blueprints that machines call (AT webhooks, the bearer-token API, health checks): no CSRF.
CSRF_EXEMPT_BLUEPRINTS = frozenset(
    {"sms", "ussd", "api", "simulator_at", "health", "gateways", "simulator_gateways"}
)
TRANSLATIONS = Path(__file__).resolve().parents[3] / "messages" / "translations"


def init_app(app: Flask) -> None:
    """Register the admin and simulator blueprints, CSRF protection, Babel and `flask admin`."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "fr")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", services_of(app).settings.timezone)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    # A recruiter on a slow line may take long over a posting: the token lives with the session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    # We call protect() ourselves (below), so blueprints registered after us are covered too.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    Babel(app, locale_selector=lambda: "fr")
    csrf = CSRFProtect(app)

    @app.before_request
    def _csrf_protect() -> None:
        # Flask-WTF caches the signed token in g; g lives as long as the app context, which a
        # request shares with whoever pushed it (tests, the simulator's in-process webhook
        # calls). A token is only ever valid for this request's session: start afresh.
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        # The admin blueprint checks sign-in first, then CSRF, in its own before_request.
        if not app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint is None:
            return
        if request.blueprint in CSRF_EXEMPT_BLUEPRINTS or request.blueprint == bp.name:
            return
        csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_refused(exc: CSRFError):
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": "Bad Request", "detail": exc.description}), 400
        return render_template("admin/error.html", code=400, csrf=True), 400

    app.register_error_handler(404, unmatched_page)
    app.register_error_handler(405, unmatched_page)
    app.register_blueprint(assets)
    app.register_blueprint(bp)
    if services_of(app).settings.simulator:
        app.register_blueprint(phone.phone_blueprint)
    app.cli.add_command(admin_cli)
