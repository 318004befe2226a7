"""Security headers on every response, a request-body limit (413), trusted proxies, and 503 (never
500) while Redis is away.

Token checks live in alerts/web/auth.py (constant time); phone masking in logs in
alerts/ops/logs.py.
"""

from __future__ import annotations

from flask import Flask, Request, Response, jsonify, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from alerts.services import STORE_AWAY, services_of

#: No inline script or style anywhere (the admin and simulator load everything from /static).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: Two years, as the HSTS preload list asks; only sent in production (always behind TLS there).
HSTS = "max-age=63072000; includeSubDomains"


def _headers(production: bool):
    defaults = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ] + ([("Strict-Transport-Security", HSTS)] if production else [])

    def add_headers(response: Response) -> Response:
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            headers.extend(defaults)  # the webhooks' and API's case: one call, not five
            return response
        # The admin sets its own, stricter CSP (connect-src, object-src) first: keep its own.
        for name, value in defaults:
            headers.setdefault(name, value)
        return response

    return add_headers


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests with no cookie.

    Only the admin web has sessions; webhooks and the API never send the cookie, and making
    the signer cost them about a twentieth of a request.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session at once when there is no cookie; else Flask's own."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def _too_large(exc: RequestEntityTooLarge):
    limit = request.max_content_length
    if request.blueprint in ("admin", "simulator"):
        return render_template("admin/error.html", code=413), 413
    detail = f"request body over {limit} bytes" if limit else "request body too large"
    return jsonify({"error": "Payload Too Large", "detail": detail}), 413


#: Seconds a caller is asked to wait when the store is away.
RETRY_AFTER = 10


def _store_away(exc: Exception):
    # The webhooks have their own handlers (AT retries; USSD gets a short END screen).
    request.environ["baara.account"] = None  # the error page must not ask Redis who is signed in
    json_asked = (
        request.is_json
        or request.accept_mimetypes.best_match(["text/html", "application/json"])
        == "application/json"
    )
    if request.blueprint in ("admin", "simulator") and not json_asked:
        page = render_template("admin/error.html", code=503)
        return page, 503, {"Retry-After": str(RETRY_AFTER)}
    body = {"error": "Service Unavailable", "detail": "storage unavailable, retry later"}
    return jsonify(body), 503, {"Retry-After": str(RETRY_AFTER)}


def init_app(app: Flask) -> None:
    """Headers on every response, MAX_CONTENT_LENGTH with a JSON 413, ProxyFix if configured."""
    settings = services_of(app).settings
    production = settings.production
    app.after_request(_headers(production))
    app.session_interface = CookieSessions()
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    for away in STORE_AWAY:
        app.register_error_handler(away, _store_away)
    hops = settings.baara_proxy_hops
    if hops:
        # Trust exactly that many proxies: more would let a client forge its address (and
        # dodge the admin's per-address sign-in limits) with its own X-Forwarded-For.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
