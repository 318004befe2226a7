"""Every route in the URL map is classified, and each class is proven to refuse strangers."""

from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import PRODUCTION_SECRETS, app_config

#: endpoint -> who may call it. A new route fails test_every_route_is_classified until added.
ROUTES: dict[str, str] = {
    "health.healthz": "public",
    "static": "public",
    "admin_assets.static": "public",
    "admin.login": "public",
    "api.openapi_json": "public",  # the API description: no data in it
    "sms.incoming": "webhook-token",
    "sms.delivery": "webhook-token",
    "sms.opt_out": "webhook-token",
    "ussd.ussd": "webhook-token",
    "ussd.events": "webhook-token",
    "gateways.orange_delivery": "webhook-token",
    "gateways.orange_inbound": "webhook-token",
    "gateways.smsgate_events": "webhook-token",
    "api.post_job": "api-token",
    "api.extract_job": "api-token",
    "api.list_jobs": "api-token",
    "api.get_job": "api-token",
    "api.cancel_job": "api-token",
    "api.close_job": "api-token",
    "api.publish_job": "api-token",
    "api.list_relays": "api-token",
    "api.put_relay": "api-token",
    "api.delete_relay": "api-token",
    "api.get_subscriber": "api-token",
    "api.delete_subscriber": "api-token",
    "metrics.metrics": "api-token",
    "simulator.phone_page": "simulator",
    "simulator.phone_inbox": "simulator",
    "simulator.phone_sms": "simulator",
    "simulator.phone_ussd": "simulator",
    "simulator_at.messaging": "simulator",
    "simulator_gateways.orange_token": "simulator",
    "simulator_gateways.orange_send": "simulator",
    "simulator_gateways.smsgate_send": "simulator",
}
ADMIN_PREFIX = "admin."
ARGS = {
    "phone": "+22376000001",
    "job_id": "1",
    "email": "a@example.org",
    "filename": "admin.css",
    "sender": "tel:+22370000000",
}


def kind(endpoint: str) -> str | None:
    """The class of an endpoint (every admin endpoint but the sign-in page needs a session)."""
    if endpoint in ROUTES:
        return ROUTES[endpoint]
    return "admin-login" if endpoint.startswith(ADMIN_PREFIX) else None


def calls(app):
    """(endpoint, method, url) for every rule and method of the app."""
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<path:{name}>", ARGS[name]).replace(f"<{name}>", ARGS[name])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


@pytest.fixture()
def secured(redis, redis_server, at_server):
    """The app with WEBHOOK_TOKEN set (and CSRF on, as in production)."""
    application = create_app(app_config(redis_server, at_server, WEBHOOK_TOKEN="hook-secret"))
    with application.app_context():
        yield application


def test_every_route_is_classified(secured):
    unclassified = sorted({e for e, _, _ in calls(secured) if kind(e) is None})
    assert unclassified == [], f"classify these routes in ROUTES: {unclassified}"
    stale = sorted(set(ROUTES) - {r.endpoint for r in secured.url_map.iter_rules()})
    assert stale == [], f"ROUTES names endpoints that no longer exist: {stale}"


def test_api_token_routes_refuse_without_the_bearer_token(secured):
    client = secured.test_client()
    checked = 0
    for endpoint, method, url in calls(secured):
        if kind(endpoint) != "api-token":
            continue
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-token"}):
            response = client.open(url, method=method, headers=headers, json={})
            assert response.status_code == 401, (endpoint, method, headers)
        checked += 1
    assert checked >= 12


def test_webhooks_refuse_without_the_key(secured):
    client = secured.test_client()
    checked = 0
    for endpoint, method, url in calls(secured):
        if kind(endpoint) != "webhook-token":
            continue
        for suffix in ("", "?key=wrong", "?key="):
            response = client.open(url + suffix, method=method, data={"from": "+22376000001"})
            assert response.status_code == 403, (endpoint, suffix)
        good = client.open(url + "?key=hook-secret", method=method, data={})
        assert good.status_code != 403, endpoint  # the key opens the door (then 400: no fields)
        checked += 1
    assert checked == 8  # AT: 3 SMS + 2 USSD; Orange: 2 (delivery, inbound); SMSGate: 1


def test_admin_routes_want_a_session(secured):
    client = secured.test_client()
    checked = 0
    for endpoint, method, url in calls(secured):
        if kind(endpoint) != "admin-login":
            continue
        page = client.open(url, method=method)
        assert page.status_code == 302, (endpoint, method)
        assert page.headers["Location"].startswith("/admin/login"), endpoint
        as_json = client.open(url, method=method, headers={"Accept": "application/json"})
        assert as_json.status_code == 401, (endpoint, method)
        checked += 1
    assert checked >= 20


def test_public_routes_answer_without_credentials(secured):
    client = secured.test_client()
    for endpoint, method, url in calls(secured):
        if kind(endpoint) != "public" or method != "GET":
            continue
        response = client.get(url)
        assert response.status_code not in (401, 403), endpoint
        assert "/admin/login" not in response.headers.get("Location", ""), endpoint
    assert client.get("/healthz").status_code == 200
    assert client.get("/admin/login").status_code == 200
    assert client.get("/static/admin/admin.css").status_code == 200


def test_simulator_exists_only_in_development(redis_server, redis, secured):
    dev_endpoints = {r.endpoint for r in secured.url_map.iter_rules()}
    assert {e for e, k in ROUTES.items() if k == "simulator"} <= dev_endpoints
    production = create_app(
        {
            "BAARA_ENV": "production",
            "REDIS_URL": redis_server.url,
            **PRODUCTION_SECRETS,
        }
    )
    endpoints = {r.endpoint for r in production.url_map.iter_rules()}
    assert not {e for e in endpoints if kind(e) == "simulator"}
    assert production.test_client().post("/simulator/at/version1/messaging").status_code == 404
