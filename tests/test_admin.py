"""The admin web through Flask's test client, CSRF on: sign-in, roles, rate limits, CSRF, XSS,
job form and preview, subscribers, CSV export and audit, queue view, phone simulator endpoints.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import lifecycle as jobs
from alerts.ops import erasure
from alerts.services import current_services, services_of
from alerts.store import Language, Source, Subscription, current_store
from alerts.web import accounts
from alerts.web.admin import job_status
from alerts.web.admin.dashboard import subscriber_figures
from tests.conftest import PRODUCTION_SECRETS

ADMIN = ("admin@ngo.ml", "admin-password-1")
POSTER = ("poster@ngo.ml", "poster-password-1")
OTHER = ("other@ngo.ml", "other-password-1")
A, B, C, D = "+22376123456", "+22366123457", "+22390123458", "+22370000100"
XSS = '<script>alert("x")</script>'


def token_in(html: str) -> str:
    """The CSRF token a page carries (meta tag or hidden field)."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


def make_account(email: str, password: str, role: str = "admin") -> None:
    accounts.create_account(current_store(), email, password, role)


def login(client, email: str, password: str, address: str = "10.0.0.1"):
    page = client.get("/admin/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": token_in(page.text)},
        environ_base={"REMOTE_ADDR": address},
    )


def token(client, path: str = "/admin/") -> str:
    """A CSRF token for the signed-in client's session."""
    return token_in(client.get(path).text)


def future(days: int = 30) -> str:
    return (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)).strftime("%Y-%m-%d")


def job_form(**overrides: object) -> dict:
    data = {
        "title": "Mobilisateur communautaire",
        "organization": "AMCP-SP/ALIMA",
        "category": "community-mobilizer",
        "districts": ["niono", "macina"],
        "positions": "2",
        "deadline_date": future(),
        "deadline_time": "17:00",
        "apply_email": "recrutement@mali.alima.ngo",
    }
    data.update(overrides)
    return data


def seed_subscribers() -> None:
    st = current_store()
    st.subscribe(A, [Subscription(district="niono")], language=Language.FR)
    st.subscribe(
        B, [Subscription(district="macina", category="community-mobilizer")], language=Language.FR
    )
    st.subscribe(C, [Subscription(district="niono")], language=Language.BM)
    st.subscribe("+22376000001", [Subscription(district="kati")], language=Language.FR)
    st.subscribe("+22376000002", [Subscription(district="niono", category="nurse")])


@pytest.fixture()
def admin_client(app, client):
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    return client


@pytest.fixture()
def poster_client(app):
    make_account(*POSTER, role="poster")
    client = app.test_client()
    assert login(client, *POSTER).status_code == 302
    return client


def _fill(rule) -> str:
    values = {"job_id": "1", "email": "someone@ngo.ml", "phone": A, "filename": "admin.css"}
    return rule.build({a: values.get(a, "x") for a in rule.arguments})[1]


# -- every admin route needs a signed-in account ---------------------------------------------


def test_every_admin_route_refuses_strangers(app, client) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint == "admin.login":
            continue
        url = _fill(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            page = client.open(url, method=method)
            assert page.status_code == 302, (method, url, page.status_code)
            assert page.headers["Location"].startswith("/admin/login"), (method, url)
            api = client.open(url, method=method, headers={"Accept": "application/json"})
            assert api.status_code == 401, (method, url, api.status_code)
            checked += 1
    assert checked >= 25  # the walk really covered the admin routes


def test_stylesheet_and_sign_in_page_are_public(client) -> None:
    assert client.get("/admin/login").status_code == 200
    css = client.get("/static/admin/admin.css")
    assert css.status_code == 200 and "text/css" in css.content_type


def test_sign_in_then_out_ends_the_session_on_the_server(app, client) -> None:
    make_account(*ADMIN)
    assert login(client, *ADMIN).headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    stolen = client.get_cookie("session")
    assert client.post("/admin/logout", data={"csrf_token": token(client)}).status_code == 302
    assert client.get("/admin/").status_code == 302
    # The old cookie, replayed, no longer opens anything: the session died in Redis.
    client.set_cookie("session", stolen.value)
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_and_passwords_are_hashed(app, client) -> None:
    make_account(*ADMIN)
    refused = login(client, ADMIN[0], "not-the-password")
    assert refused.status_code == 401
    assert "incorrect" in refused.text
    assert client.get("/admin/").status_code == 302
    record = current_store().get_account(ADMIN[0])
    assert ADMIN[1] not in str(record) and record["hash"].startswith(("scrypt:", "pbkdf2:"))


def test_next_parameter_only_leads_inside_the_admin(app, client) -> None:
    make_account(*ADMIN)
    page = client.get("/admin/login?next=//evil.example/x")
    signed = client.post(
        "/admin/login?next=//evil.example/x",
        data={"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token_in(page.text)},
    )
    assert signed.headers["Location"] == "/admin/"
    assert client.get("/admin/jobs").status_code == 200


def test_session_cookie_flags(app, client) -> None:
    make_account(*ADMIN)
    answer = login(client, *ADMIN)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_session_cookie_is_secure() -> None:
    from config.settings import load_settings

    settings = load_settings({"BAARA_ENV": "production", **PRODUCTION_SECRETS}, environ={})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SIMULATOR"] is False


# -- CSRF ------------------------------------------------------------------------------------


def test_forms_without_csrf_token_are_refused(app, admin_client) -> None:
    seed_subscribers()
    assert (
        admin_client.post("/admin/jobs/new", data={**job_form(), "action": "publish"}).status_code
        == 400
    )
    assert jobs.list_jobs() == []
    assert admin_client.post("/admin/subscribers/export.csv").status_code == 400
    assert admin_client.post(f"/admin/subscribers/{A}/stop").status_code == 400
    assert current_store().get_subscriber(A).active
    assert admin_client.post("/admin/logout").status_code == 400
    preview = admin_client.post(
        "/admin/jobs/preview", data=job_form(), headers={"Accept": "application/json"}
    )
    assert preview.status_code == 400 and preview.is_json
    ok = admin_client.post(
        "/admin/jobs/preview", data=job_form(), headers={"X-CSRFToken": token(admin_client)}
    )
    assert ok.status_code == 200


def test_sign_in_form_needs_its_token_too(app, client) -> None:
    make_account(*ADMIN)
    answer = client.post("/admin/login", data={"email": ADMIN[0], "password": ADMIN[1]})
    assert answer.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_a_token_from_another_session_is_refused(app, admin_client) -> None:
    other = app.test_client()
    foreign = token_in(other.get("/admin/login").text)
    answer = admin_client.post(
        "/admin/jobs/new", data={**job_form(), "action": "draft", "csrf_token": foreign}
    )
    assert answer.status_code == 400


def test_webhooks_and_api_need_no_csrf_token(app, client, api_headers) -> None:
    incoming = client.post(
        "/sms/incoming",
        data={"from": A, "to": "BAARA", "text": "NIONO", "date": "2025-06-01 10:00:00", "id": "x1"},
    )
    assert incoming.status_code == 200
    assert current_store().get_subscriber(A) is not None
    assert (
        client.post(
            "/ussd",
            data={"sessionId": "s", "serviceCode": "*384*22#", "phoneNumber": B, "text": ""},
        ).status_code
        == 200
    )
    assert client.get(f"/api/subscribers/{A}", headers=api_headers).status_code == 200
    assert client.delete(f"/api/subscribers/{A}", headers=api_headers).status_code == 204


# -- rate limits -----------------------------------------------------------------------------


def test_sign_in_is_rate_limited_per_address(app, client) -> None:
    make_account(*ADMIN)
    for i in range(accounts.ADDRESS_LIMIT):
        login(client, f"guess{i}@ngo.ml", "whatever-password", address="10.9.9.9")
    assert login(client, *ADMIN, address="10.9.9.9").status_code == 429
    assert login(app.test_client(), *ADMIN, address="10.9.9.10").status_code == 302


# -- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/subscribers"),
        ("GET", f"/admin/subscribers/{A}"),
        ("GET", "/admin/queues"),
        ("GET", "/admin/accounts"),
        ("POST", "/admin/subscribers/export.csv"),
        ("POST", f"/admin/subscribers/{A}/erase"),
        ("POST", "/admin/accounts/x@y.ml/delete"),
    ],
)
def test_posters_cannot_manage_subscribers_queues_or_accounts(
    app, poster_client, method: str, path: str
) -> None:
    seed_subscribers()
    data = {"csrf_token": token(poster_client), "confirm": "y"}
    answer = poster_client.open(path, method=method, data=data if method == "POST" else None)
    assert answer.status_code == 403
    assert current_store().get_subscriber(A) is not None
    assert current_store().audit_log() == [] or all(
        e["action"] == "login" for e in current_store().audit_log()
    )


def test_posters_see_only_their_own_jobs(app, poster_client) -> None:
    services = current_services()
    mine, _ = jobs.create_job(
        services, {**job_payload(), "title": "Poste du recruteur"}, created_by=POSTER[0]
    )
    theirs, _ = jobs.create_job(
        services, {**job_payload(), "title": "Poste d'un autre"}, created_by="someone-else@ngo.ml"
    )
    listing = poster_client.get("/admin/jobs").text
    assert "Poste du recruteur" in listing and "Poste d&#39;un autre" not in listing
    assert poster_client.get(f"/admin/jobs/{mine.id}").status_code == 200
    assert poster_client.get(f"/admin/jobs/{theirs.id}").status_code == 404
    assert poster_client.get(f"/admin/jobs/{theirs.id}/progress").status_code == 404
    cancel = poster_client.post(
        f"/admin/jobs/{theirs.id}/cancel", data={"csrf_token": token(poster_client)}
    )
    assert cancel.status_code == 404
    assert jobs.get_job(theirs.id).status is jobs.JobStatus.DRAFT
    assert "Poste d&#39;un autre" not in poster_client.get("/admin/").text


def test_admin_manages_accounts_and_cannot_remove_themself(app, admin_client) -> None:
    created = admin_client.post(
        "/admin/accounts",
        data={
            "email": "New@NGO.ml",
            "role": "poster",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
            "csrf_token": token(admin_client),
        },
    )
    assert created.status_code == 302
    assert accounts.get_account(current_store(), "new@ngo.ml").role is accounts.Role.POSTER
    admin_client.post(
        "/admin/accounts/new@ngo.ml/role", data={"role": "admin", "csrf_token": token(admin_client)}
    )
    assert accounts.get_account(current_store(), "new@ngo.ml").is_admin
    admin_client.post(
        f"/admin/accounts/{ADMIN[0]}/delete", data={"csrf_token": token(admin_client)}
    )
    assert accounts.get_account(current_store(), ADMIN[0]) is not None
    admin_client.post("/admin/accounts/new@ngo.ml/delete", data={"csrf_token": token(admin_client)})
    assert accounts.get_account(current_store(), "new@ngo.ml") is None
    actions = [e["action"] for e in current_store().audit_log()]
    assert {"account_created", "account_role", "account_deleted"} <= set(actions)


def test_short_password_is_refused(app, admin_client) -> None:
    answer = admin_client.post(
        "/admin/accounts",
        data={
            "email": "x@ngo.ml",
            "role": "poster",
            "password": "short",
            "confirm": "short",
            "csrf_token": token(admin_client),
        },
    )
    assert answer.status_code == 200 and "10" in answer.text
    assert accounts.get_account(current_store(), "x@ngo.ml") is None


def test_deleted_account_and_changed_password_end_sessions(app, admin_client) -> None:
    make_account(*POSTER, role="poster")
    poster = app.test_client()
    login(poster, *POSTER)
    assert poster.get("/admin/jobs").status_code == 200
    accounts.set_password(current_store(), POSTER[0], "a-brand-new-password")
    assert poster.get("/admin/jobs").status_code == 302
    login(poster, POSTER[0], "a-brand-new-password")
    assert poster.get("/admin/jobs").status_code == 200
    accounts.delete_account(current_store(), POSTER[0])
    assert poster.get("/admin/jobs").status_code == 302


def test_changing_ones_own_password(app, admin_client) -> None:
    answer = admin_client.post(
        "/admin/password",
        data={
            "current": ADMIN[1],
            "password": "another-password-2",
            "confirm": "another-password-2",
            "csrf_token": token(admin_client, "/admin/password"),
        },
    )
    assert answer.status_code == 302
    assert admin_client.get("/admin/").status_code == 200  # this session continues
    fresh = app.test_client()
    assert login(fresh, *ADMIN).status_code == 401
    assert login(fresh, ADMIN[0], "another-password-2").status_code == 302


def test_cli_creates_an_account_with_a_prompted_password(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["admin", "create", "Cli@NGO.ml"], input="cli-password-123\ncli-password-123\n"
    )
    assert result.exit_code == 0, result.output
    account = accounts.get_account(current_store(), "cli@ngo.ml")
    assert account is not None and account.is_admin
    assert "cli-password-123" not in str(current_store().get_account("cli@ngo.ml"))
    again = runner.invoke(
        args=["admin", "create", "cli@ngo.ml"], input="cli-password-123\ncli-password-123\n"
    )
    assert again.exit_code != 0 and "existe" in again.output
    weak = runner.invoke(
        args=["admin", "create", "weak@ngo.ml", "--role", "poster"], input="short\nshort\n"
    )
    assert weak.exit_code != 0
    listed = runner.invoke(args=["admin", "list"])
    assert "cli@ngo.ml\tadmin" in listed.output


# -- the job form, preview and progress ------------------------------------------------------


def job_payload(**overrides: object) -> dict:
    data = {
        "title": "Mobilisateur communautaire",
        "organization": "AMCP-SP/ALIMA",
        "category": "community-mobilizer",
        "districts": ["Niono", "Macina"],
        "deadline": f"{future()}T17:00",
        "apply": {"email": "recrutement@mali.alima.ngo"},
    }
    data.update(overrides)
    return data


def test_preview_shows_both_texts_segments_reach_and_cost(app, admin_client) -> None:
    seed_subscribers()
    answer = admin_client.post(
        "/admin/jobs/preview", data=job_form(), headers={"X-CSRFToken": token(admin_client)}
    )
    p = answer.get_json()
    assert p["complete"] is True and p["errors"] == {}
    fr, bm = p["languages"]
    assert (fr["lang"], bm["lang"]) == ("fr", "bm")
    assert "Mobilisateur communautaire" in fr["text"] and "AMCP-SP/ALIMA" in fr["text"]
    assert fr["segments"] == 1 and fr["encoding"] == "GSM-7"
    assert fr["characters"] == len(fr["text"]) <= 160
    # Niono: A (fr), C (bm); Macina mobilizers: B (fr); Kati and Niono nurses do not match.
    assert (p["reach"], fr["recipients"], bm["recipients"]) == (3, 2, 1)
    assert p["cost"] == 25.0 * 1 * 3
    assert p["cost_text"] == "75 XOF"


def test_preview_of_a_half_filled_form_uses_placeholders(app, admin_client) -> None:
    answer = admin_client.post(
        "/admin/jobs/preview",
        data={"title": "Sage-femme"},
        headers={"X-CSRFToken": token(admin_client)},
    )
    p = answer.get_json()
    assert p["complete"] is False
    assert p["reach"] is None
    assert {"organization", "category", "districts", "deadline", "apply"} <= set(p["errors"])
    assert p["errors"]["districts"].startswith("Choisissez")
    assert "Sage-femme" in p["languages"][0]["text"]
    assert "jj/mm/aaaa" in p["languages"][0]["text"]


def test_form_errors_are_shown_inline_in_french(app, admin_client) -> None:
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(title="", deadline_date="2001-01-01", districts=[]),
            "action": "publish",
            "csrf_token": token(admin_client),
        },
    )
    assert answer.status_code == 400
    page = answer.text
    assert re.search(r'id="title-error"[^>]*>Champ obligatoire', page)
    assert "La date limite est déjà passée" in page
    assert "Choisissez au moins un district" in page
    assert 'aria-invalid="true"' in page
    assert jobs.list_jobs() == []


def test_publish_from_the_form_sends_and_progress_reaches_the_end(
    app, admin_client, at_server
) -> None:
    seed_subscribers()
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "publish",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 302
    (job,) = jobs.list_jobs()
    assert answer.headers["Location"] == f"/admin/jobs/{job.id}"
    assert job.status is jobs.JobStatus.PUBLISHED and job.created_by == ADMIN[0]
    assert {m["to"] for m in at_server.messages} == {A, B, C}
    progress = admin_client.get(f"/admin/jobs/{job.id}/progress").get_json()
    assert progress["done"] is True and progress["percent"] == 100
    assert (progress["matched"], progress["sent"], progress["queued"]) == (3, 3, 0)
    page = admin_client.get(f"/admin/jobs/{job.id}").text
    assert job.code in page and 'value="100"' in page
    audit = current_store().audit_log()
    assert audit[0]["action"] == "job_created" and audit[0]["who"] == ADMIN[0]


def test_save_draft_then_publish_close_and_cancel(app, admin_client, at_server) -> None:
    seed_subscribers()
    answer = admin_client.post(
        "/admin/jobs/new", data={**job_form(), "action": "draft", "csrf_token": token(admin_client)}
    )
    (job,) = jobs.list_jobs()
    assert job.status is jobs.JobStatus.DRAFT and at_server.messages == []
    progress = admin_client.get(f"/admin/jobs/{job.id}/progress").get_json()
    assert progress["done"] is False and progress["percent"] == 0
    assert answer.status_code == 302
    admin_client.post(f"/admin/jobs/{job.id}/publish", data={"csrf_token": token(admin_client)})
    assert jobs.get_job(job.id).status is jobs.JobStatus.PUBLISHED
    assert len(at_server.messages) == 3
    admin_client.post(f"/admin/jobs/{job.id}/close", data={"csrf_token": token(admin_client)})
    assert jobs.get_job(job.id).status is jobs.JobStatus.CLOSED
    again = admin_client.post(
        f"/admin/jobs/{job.id}/cancel",
        data={"csrf_token": token(admin_client)},
        follow_redirects=True,
    )
    assert jobs.get_job(job.id).status is jobs.JobStatus.CLOSED
    assert "déjà fermée ou annulée" in again.text


def test_schedule_for_later(app, admin_client, at_server) -> None:
    seed_subscribers()
    at = (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "schedule",
            "schedule_at": at,
            "csrf_token": token(admin_client),
        },
    )
    assert answer.status_code == 302
    (job,) = jobs.list_jobs()
    assert job.status is jobs.JobStatus.SCHEDULED and at_server.messages == []
    expected = int(datetime.fromisoformat(at).replace(tzinfo=ZoneInfo("Africa/Bamako")).timestamp())
    assert job.scheduled_for == expected
    registry = current_services().queue("alerts").scheduled_job_registry
    assert f"publish-{job.id}-{expected}" in registry.get_job_ids()


def test_schedule_after_the_deadline_is_refused(app, admin_client) -> None:
    job, _ = jobs.create_job(current_services(), job_payload(), created_by=ADMIN[0])
    late = (datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=60)).strftime("%Y-%m-%dT09:00")
    page = admin_client.post(
        f"/admin/jobs/{job.id}/schedule",
        data={"schedule_at": late, "csrf_token": token(admin_client)},
        follow_redirects=True,
    )
    assert "précéder la date limite" in page.text
    assert jobs.get_job(job.id).status is jobs.JobStatus.DRAFT


def test_duplicate_prefills_the_form(app, admin_client) -> None:
    job, _ = jobs.create_job(current_services(), job_payload(), created_by=ADMIN[0])
    page = admin_client.get(f"/admin/jobs/new?from={job.id}").text
    assert 'value="AMCP-SP/ALIMA"' in page
    assert re.search(r'value="niono"[^>]* checked', page)
    assert re.search(r'value="macina"[^>]* checked', page)


def test_progress_splits_delivered_awaiting_failed_and_queued(app) -> None:
    job, _ = jobs.create_job(current_services(), job_payload(), created_by="x")
    stats = {
        "status": "published",
        "matched": 10,
        "queued": 2,
        "sent": 7,
        "delivered": 4,
        "failed": 2,
        "skipped": 0,
        "failures_by_reason": {"AbsentSubscriber": 1, "InvalidPhoneNumber": 1},
    }
    p = job_status.progress(job, stats)
    assert (p["handled"], p["percent"], p["done"]) == (8, 80, False)
    # One failed at sending (8 handled - 7 sent); one failed at delivery; 2 await a report.
    assert p["awaiting"] == 2
    widths = {part["key"]: part["width"] for part in p["parts"]}
    assert widths == {"delivered": 40.0, "sent": 20.0, "failed": 20.0, "skipped": 0.0}
    assert p["reasons"][0]["label"] == "Téléphone éteint ou hors réseau"
    done = job_status.progress(job, {**stats, "queued": 0, "sent": 9})
    assert done["done"] is True and done["percent"] == 100


# -- no script from data: a title with <script> is text everywhere ---------------------------


def test_script_in_a_title_is_text_on_every_page(app, admin_client, at_server) -> None:
    seed_subscribers()
    job, errors = jobs.create_job(
        current_services(),
        {**job_payload(title=f"{XSS} Infirmier"), "publish": True},
        created_by=ADMIN[0],
    )
    assert job is not None, errors
    current_store().add_history(A, "in", XSS)
    pages = [
        "/admin/",
        "/admin/jobs",
        f"/admin/jobs/{job.id}",
        f"/admin/subscribers/{A}",
        f"/admin/jobs/new?from={job.id}",
    ]
    for path in pages:
        html = admin_client.get(path).text
        assert XSS not in html, path
        assert "&lt;script&gt;alert(" in html, path
    rejected = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(title=XSS, deadline_date=""),
            "action": "publish",
            "csrf_token": token(admin_client),
        },
    )
    assert XSS not in rejected.text and "&lt;script&gt;" in rejected.text
    audit = admin_client.get("/admin/accounts")
    assert XSS not in audit.text


def test_pages_carry_csp_and_no_inline_script_style_or_handler(app, admin_client) -> None:
    seed_subscribers()
    job, _ = jobs.create_job(current_services(), job_payload(), created_by=ADMIN[0])
    paths = [
        "/admin/",
        "/admin/jobs",
        "/admin/jobs/new",
        f"/admin/jobs/{job.id}",
        "/admin/subscribers",
        f"/admin/subscribers/{A}",
        "/admin/queues",
        "/admin/accounts",
        "/admin/password",
        "/simulator",
    ]
    for path in paths:
        answer = admin_client.get(path)
        assert answer.status_code == 200, path
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        html = answer.text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"\sstyle\s*=", html), path
        assert "http://" not in html.replace(f"http://localhost{path}", ""), path
        assert 'lang="fr"' in html


def test_every_field_has_a_label(app, admin_client) -> None:
    html = admin_client.get("/admin/jobs/new").text
    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    visible = {i for i in ids if i != "csrf_token"}
    assert visible <= labelled, visible - labelled
    checkboxes = re.findall(r'<input type="checkbox"[^>]*>', html)
    assert len(checkboxes) == 75 + 11  # every district and region, each inside its label


# -- subscribers -----------------------------------------------------------------------------


def test_search_view_stop_and_erase_a_subscriber(app, admin_client) -> None:
    seed_subscribers()
    current_store().add_history(A, "in", "NIONO")
    found = admin_client.get("/admin/subscribers?q=76 12 34 56")
    assert found.status_code == 302 and found.headers["Location"].endswith(A)
    page = admin_client.get(f"/admin/subscribers/{A}").text
    assert "Niono" in page and "NIONO" in page
    partial = admin_client.get("/admin/subscribers?q=7600000").text
    assert "+22376000001" in partial and "+22376000002" in partial and A not in partial
    admin_client.post(f"/admin/subscribers/{A}/stop", data={"csrf_token": token(admin_client)})
    assert not current_store().get_subscriber(A).active
    unconfirmed = admin_client.post(
        f"/admin/subscribers/{A}/erase", data={"csrf_token": token(admin_client)}
    )
    assert unconfirmed.status_code == 400
    assert current_store().get_subscriber(A) is not None
    admin_client.post(
        f"/admin/subscribers/{A}/erase", data={"csrf_token": token(admin_client), "confirm": "y"}
    )
    assert current_store().get_subscriber(A) is None
    assert current_store().history(A) == []
    # The audit log keeps the salted hash of an erased number, never the number.
    hashed = erasure.audit_token(app.config["SECRET_KEY"], A)
    actions = [(e["action"], e.get("phone")) for e in current_store().audit_log()]
    assert ("subscriber_stopped", hashed) in actions and ("subscriber_erased", hashed) in actions
    assert not any(A in str(e) for e in current_store().audit_log())


def test_csv_export_lists_everyone_and_is_audited(app, admin_client) -> None:
    seed_subscribers()
    before = time.time()
    answer = admin_client.post(
        "/admin/subscribers/export.csv", data={"csrf_token": token(admin_client)}
    )
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["phone"] for r in rows} == {A, B, C, "+22376000001", "+22376000002"}
    row_b = next(r for r in rows if r["phone"] == B)
    assert (row_b["districts"], row_b["categories"], row_b["status"]) == (
        "macina",
        "community-mobilizer",
        "active",
    )
    entry = current_store().audit_log()[0]
    assert entry["action"] == "subscribers_exported" and entry["who"] == ADMIN[0]
    assert entry["at"] >= int(before) and entry["address"]
    assert "subscribers_exported" in admin_client.get("/admin/accounts").text


def test_dashboard_counts_people_once_per_district(app) -> None:
    st = current_store()
    seed_subscribers()
    st.subscribe(A, [Subscription(district="niono", category="nurse")])  # merged, still 1
    st.subscribe("+22376000003", [Subscription(region="segou")], source=Source.USSD)
    st.stop(B)
    figures = subscriber_figures(
        st, app.extensions["baara.reference"], ZoneInfo("Africa/Bamako"), time.time()
    )
    assert (figures["total"], figures["active"], figures["stopped"]) == (6, 5, 1)
    districts = {name: n for name, _region, n in figures["districts"]}
    assert districts == {"Niono": 3, "Kati": 1}
    assert dict(figures["regions"]) == {"Ségou": 1}
    assert figures["growth"][-1][2] == 6  # everyone joined this week
    assert sum(n for _, n, _ in figures["growth"]) == 6


def test_dashboard_shows_alert_figures(app, admin_client, at_server) -> None:
    seed_subscribers()
    jobs.create_job(current_services(), {**job_payload(), "publish": True}, created_by=ADMIN[0])
    page = admin_client.get("/admin/").text
    assert "Alertes envoyées et remises" in page
    assert re.search(r"Envoyées</th><td class=\"n\">3<", page)
    assert "<svg" in page


# -- queue view ------------------------------------------------------------------------------


def test_queue_view_lists_queues_and_requeues_failed_jobs(app, admin_client) -> None:
    from rq import Queue, SimpleWorker
    from rq.registry import FailedJobRegistry

    sync = current_services().queue("default")
    queue = Queue(sync.name, connection=sync.connection)  # a real, asynchronous one
    queue.enqueue("alerts.domain.phones.normalize", None, "XX", job_id="broken-1")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert "broken-1" in queue.failed_job_registry.get_job_ids()
    page = admin_client.get("/admin/queues").text
    assert "baara-alerts" in page and "broken-1" in page
    assert "InvalidPhone" in page
    admin_client.post(
        "/admin/queues/failed/broken-1/requeue", data={"csrf_token": token(admin_client)}
    )
    assert "broken-1" not in FailedJobRegistry(queue=queue).get_job_ids()
    assert "broken-1" in queue.get_job_ids()
    assert current_store().audit_log()[0]["action"] == "rq_requeue"
    assert (
        admin_client.post(
            "/admin/queues/failed/nope/delete", data={"csrf_token": token(admin_client)}
        ).status_code
        == 404
    )


# -- phone simulator -------------------------------------------------------------------------


def test_simulator_page_is_on_in_development(app, client) -> None:
    page = client.get(f"/simulator?phone={B}")
    assert page.status_code == 200
    assert B in page.text and "*384*22#" in page.text
    assert "simulator.js" in page.text


def test_simulator_is_off_unless_enabled(redis_server) -> None:
    from app import create_app

    off = create_app({"TESTING": True, "REDIS_URL": redis_server.url, "SIMULATOR": False})
    assert off.test_client().get("/simulator").status_code == 404
    production = create_app(
        {
            "TESTING": True,
            "REDIS_URL": redis_server.url,
            "BAARA_ENV": "production",
            "SIMULATOR": True,
            **PRODUCTION_SECRETS,
        }
    )
    answer = production.test_client().get("/simulator")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")


def test_simulator_texts_and_dials_through_the_real_webhooks(app, client, at_server) -> None:
    csrf = token(client, "/simulator")
    refused = client.post("/simulator/sms", json={"phone": A, "text": "NIONO"})
    assert refused.status_code == 400 and current_store().get_subscriber(A) is None
    sent = client.post(
        "/simulator/sms", json={"phone": A, "text": "NIONO"}, headers={"X-CSRFToken": csrf}
    )
    assert sent.status_code == 200
    assert current_store().get_subscriber(A).subscriptions == (Subscription(district="niono"),)
    assert at_server.messages_to(A)  # the confirmation left through the gateway
    first = client.post(
        "/simulator/ussd",
        headers={"X-CSRFToken": csrf},
        json={"phone": B, "session": "t1", "code": services_of(app).settings.ussd_code, "text": ""},
    ).get_json()
    assert first["end"] is False and "Bamanankan" in first["text"]
    wrong = client.post(
        "/simulator/ussd",
        headers={"X-CSRFToken": csrf},
        json={"phone": B, "session": "t2", "code": "*123#", "text": ""},
    ).get_json()
    assert wrong["end"] is True


def test_simulator_inbox_shows_what_the_simulated_gateway_delivered(app, client) -> None:
    current_store().record_simulated(
        {
            "id": "ATXid_1",
            "to": A,
            "from": "BAARA",
            "message": "Baara J482 : Infirmier",
            "at": "2025-01-01",
        }
    )
    current_store().record_simulated({"id": "ATXid_2", "to": B, "message": "autre"})
    inbox = client.get(f"/simulator/inbox?phone={A}").get_json()
    assert [m["text"] for m in inbox["messages"]] == ["Baara J482 : Infirmier"]
    assert client.get("/simulator/inbox?phone=nope").status_code == 400


def test_simulated_gateway_reports_delivery(app, monkeypatch) -> None:
    from alerts.web import simulated_at as simulator

    monkeypatch.setattr(simulator, "DELIVERY_DELAY", 0.05)
    st = current_store()
    ok, absent = st.new_outgoing(A, "a", kind="reply"), st.new_outgoing(D, "b", kind="reply")
    st.update_outgoing(ok, status="sent")
    st.update_outgoing(absent, status="sent")
    st.link_gateway_id("ATXid_ok", f"out:{ok}")
    st.link_gateway_id("ATXid_absent", f"out:{absent}")
    simulator._report_deliveries(
        app,
        [
            {"statusCode": 101, "messageId": "ATXid_ok", "number": A},
            {"statusCode": 101, "messageId": "ATXid_absent", "number": D},
            {"statusCode": 406, "messageId": "None", "number": B},
        ],
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and st.get_outgoing(absent)["status"] == "sent":
        time.sleep(0.02)
    assert st.get_outgoing(ok)["status"] == "delivered"
    assert (st.get_outgoing(absent)["status"], st.get_outgoing(absent)["reason"]) == (
        "failed",
        "AbsentSubscriber",
    )


# -- community relays -------------------------------------------------------------------------


def test_relays_page_adds_approves_and_removes(app, admin_client, at_server) -> None:
    page = admin_client.get("/admin/relays")
    assert page.status_code == 200 and "Relais communautaires" in page.text
    response = admin_client.post(
        "/admin/relays",
        data={
            "phone": "76 00 00 09",
            "districts": "Niono, Macina",
            "name": "Awa Traoré",
            "csrf_token": token(admin_client, "/admin/relays"),
        },
    )
    assert response.status_code == 302
    relay = current_store().get_relay("+22376000009")
    assert relay["status"] == "approved" and relay["districts"] == ["niono", "macina"]
    assert relay["name"] == "Awa Traoré"  # how the people it enrolls know the relay
    listed = admin_client.get("/admin/relays").text
    assert "+22376000009" in listed and "Niono, Macina" in listed and "Awa Traoré" in listed
    # A pending relay (asked by SMS) is approved with one click.
    current_store().put_relay("+22366000008", ["kati"], status="pending")
    admin_client.post(
        "/admin/relays/+22366000008/approve",
        data={"csrf_token": token(admin_client, "/admin/relays")},
    )
    assert current_store().get_relay("+22366000008")["status"] == "approved"
    admin_client.post(
        "/admin/relays/+22376000009/remove",
        data={"csrf_token": token(admin_client, "/admin/relays")},
    )
    assert current_store().get_relay("+22376000009") is None


def test_relays_page_names_bad_input(app, admin_client) -> None:
    response = admin_client.post(
        "/admin/relays",
        data={
            "phone": "12",
            "districts": "Nulle Part",
            "csrf_token": token(admin_client, "/admin/relays"),
        },
    )
    assert response.status_code == 200 and "Numéro invalide" in response.text


def test_posters_cannot_see_relays(app, poster_client) -> None:
    assert poster_client.get("/admin/relays").status_code == 403
