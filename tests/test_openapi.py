"""The OpenAPI description: served without a token, and it describes exactly the /api routes."""

from __future__ import annotations

import re

from alerts.web.openapi import document

_METHODS = {"get", "post", "put", "patch", "delete"}


def _spec_path(rule: str) -> str:
    # Flask's <path:phone> is OpenAPI's {phone}.
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def app_operations(app) -> set[tuple[str, str]]:
    """(method, path) of every /api route the app serves, in OpenAPI's spelling."""
    return {
        (method.lower(), _spec_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") or rule.rule == "/api"
        for method in rule.methods or ()
        if method.lower() in _METHODS
    }


def spec_operations(spec: dict) -> set[tuple[str, str]]:
    """(method, path) of every operation the document describes."""
    return {
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in _METHODS
    }


def test_every_api_route_is_described_and_nothing_else(app) -> None:
    served = app_operations(app)
    described = spec_operations(document())
    assert ("put", "/api/relays/{phone}") in served  # the rule conversion works
    assert served - described == set(), "routes missing from alerts/web/openapi.py"
    assert described - served == set(), "described operations the app does not serve"


def test_served_without_a_token_as_json(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert spec == document()


def test_every_operation_but_the_description_needs_the_bearer_token(client) -> None:
    spec = document()
    assert spec["security"] == [{"bearer": []}]
    public = {(m, p) for m, p in spec_operations(spec) if spec["paths"][p][m].get("security") == []}
    assert public == {("get", "/api/openapi.json")}
    for method, path in spec_operations(spec) - public:
        url = path.replace("{phone}", "76123456").replace("{job_id}", "1")
        response = client.open(url, method=method.upper(), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert "401" in spec["paths"][path][method]["responses"], (method, path)


def test_every_ref_resolves() -> None:
    spec = document()
    text = repr(spec)
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in spec["components"]["schemas"], name
