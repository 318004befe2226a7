"""Baara's web application: `create_app()`, and `app` for `gunicorn app:app`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from alerts import services
from alerts.extract import check_lists
from alerts.ops import cli, logs
from alerts.web import (
    admin,
    api,
    gateways,
    health,
    metrics,
    security,
    simulated_at,
    simulated_gateways,
    sms,
    ussd,
)
from config.organizations import default_organizations
from config.reference import default_reference, load_reference
from config.settings import load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Load config, init extensions, register blueprints and CLI commands."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_settings(test_config)
    # app.config holds Flask's own keys; Baara's code reads the typed settings in its services.
    app.config.from_mapping(settings.flask_config())
    services.init_app(app, settings)
    # Reference data is validated at start-up: a broken file stops the app, naming the problem.
    folder = settings.reference_dir
    app.extensions["baara.reference"] = (
        load_reference(Path(folder)) if folder else default_reference()
    )
    default_organizations()  # organizations.yaml too: a name claimed twice stops the app
    check_lists(app.extensions["baara.reference"])  # the notice importer's towns and NGOs

    logs.init_app(app, settings)
    security.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(gateways.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(ussd.bp)
    metrics.init_app(app)
    if settings.simulator:
        app.register_blueprint(simulated_at.at_blueprint)
        app.register_blueprint(simulated_gateways.gateways_blueprint)
    cli.init_app(app)
    # Admin web, phone simulator page, CSRF (webhooks and API exempt), Babel, `flask admin`.
    admin.init_app(app)
    return app


_app: Flask | None = None


def __getattr__(name: str) -> Flask:
    # `gunicorn app:app` reads this attribute; building it lazily keeps imports side-effect free.
    global _app
    if name != "app":
        raise AttributeError(name)
    if _app is None:
        _app = create_app()
    return _app
