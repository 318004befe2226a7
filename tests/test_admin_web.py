"""The admin web as a newcomer meets it (issue 14), through Flask's test client, CSRF on:
a subscriber's alerts and their delivery, forced password change, errors in French from codes,
aria on untouched fields, scheduling, drafts, 404s, subscriber search, the simulator's inbox.
(Browser checks at 360 px and the axe-core pass are in test_browser.py.)
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from alerts.jobs import lifecycle as jobs
from alerts.store import Language, Subscription, current_store
from alerts.web import accounts
from tests.conftest import ROOT, free_port, work
from tests.test_admin import ADMIN, job_form, login, make_account, token

OFF, ON, BLOCKED, STOPPED = "+22376200000", "+22376200001", "+22376200002", "+22376200003"


@pytest.fixture()
def admin_client(app, client):
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    return client


def _publish_to_four(admin_client, at_server) -> jobs.Job:
    st = current_store()
    st.subscribe(OFF, [Subscription(district="niono")], language=Language.FR)
    st.subscribe(ON, [Subscription(district="niono")], language=Language.BM)
    st.subscribe(BLOCKED, [Subscription(district="macina")], language=Language.FR)
    st.subscribe(STOPPED, [Subscription(district="macina")], language=Language.BM)
    at_server.blacklist = {BLOCKED}
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "draft",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 302
    (job,) = jobs.list_jobs()
    # Stopped after planning, before the batch leaves: skipped at send time.
    st.stop(STOPPED)
    answer = admin_client.post(
        f"/admin/jobs/{job.id}/publish", data={"csrf_token": token(admin_client)}
    )
    assert answer.status_code == 302
    work()
    ids = {m["to"]: m["id"] for m in at_server.messages}
    for phone, status, reason in ((OFF, "Failed", "AbsentSubscriber"), (ON, "Success", "")):
        report = {"id": ids[phone], "status": status, "phoneNumber": phone}
        if reason:
            report["failureReason"] = reason
        assert admin_client.post("/sms/delivery", data=report).status_code == 200
    return job


@pytest.mark.parametrize(
    ("phone", "outcome", "status", "reason"),
    [
        (OFF, "f", "Non remise", "Téléphone éteint ou hors réseau"),
        (ON, "d", "Remise sur le téléphone", "—"),
        (BLOCKED, "f", "Non remise", "Numéro en liste noire"),
    ],
    ids=["switched-off-fr", "delivered-bm", "blacklisted-fr"],
)
def test_subscriber_page_shows_each_alert_its_status_and_failure_reason(
    app, admin_client, at_server, phone, outcome, status, reason
) -> None:
    job = _publish_to_four(admin_client, at_server)
    page = admin_client.get(f"/admin/subscribers/{phone}").text
    row = page.split(f'data-job="{job.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'class="alert-{outcome}"' in page
    assert job.code in row and "Mobilisateur communautaire" in row
    assert status in row and reason in row
    record = current_store().alert_history(phone)[0]
    assert record.at is not None
    if outcome in "df":
        assert record.report_at is not None or phone == BLOCKED


def test_subscriber_who_stopped_before_the_send_sees_why_nothing_came(
    app, admin_client, at_server
) -> None:
    job = _publish_to_four(admin_client, at_server)
    st = current_store()
    # What a batch records for someone who stopped between the plan and the send.
    st.redis.hset(f"fan:{job.id}:st", STOPPED, "q")
    st.record_alerts(
        job.id,
        99,
        [(STOPPED, "x", "stopped", "", "")],
        segments=1,
        price=25,
        finish=False,
        ttl=3600,
    )
    page = admin_client.get(f"/admin/subscribers/{STOPPED}").text
    assert "Non envoyée" in page and "Numéro arrêté (STOP) avant l&#39;envoi" in page


def test_alert_history_keeps_the_newest_jobs_and_goes_with_erasure(app) -> None:
    from alerts.store import ALERT_HISTORY_KEEP

    st = current_store()
    for n in range(1, ALERT_HISTORY_KEEP + 16):
        st.redis.hset(f"fan:{n}:st", ON, "q")
        st.record_alerts(
            str(n), 0, [(ON, "s", "", f"mid{n}", "")], segments=1, price=25, finish=False, ttl=3600
        )
    kept = [r.job_id for r in st.alert_history(ON)]
    # Trimmed to the newest KEEP on every tenth job (the 60th here), then 5 more came.
    assert len(kept) == ALERT_HISTORY_KEEP + 5
    assert kept[0] == str(ALERT_HISTORY_KEEP + 15) and kept[-1] == "11"
    assert st.record_alert_delivery(str(ALERT_HISTORY_KEEP + 15), ON, "d", "")
    assert st.alert_history(ON)[0].outcome == "d"
    assert st.redis.ttl(f"alh:{ON}") > 0
    st.subscribe(ON, [Subscription(district="niono")])
    st.erase_subscriber(ON)
    assert st.alert_history(ON) == []


# -- aria, error summary --------------------------------------------------------------------


def test_untouched_job_form_marks_nothing_invalid(app, admin_client) -> None:
    page = admin_client.get("/admin/jobs/new").text
    assert "aria-invalid" not in page and "data-error-summary" not in page


@pytest.mark.parametrize(
    ("overrides", "wrong"),
    [
        ({"title": ""}, "title"),
        ({"organization": ""}, "organization"),
        ({"positions": "deux"}, "positions"),
        ({"deadline_date": "2001-01-01"}, "deadline_date"),
        ({"apply_email": "pas-une-adresse"}, "apply_email"),
    ],
    ids=["no-title", "no-organization", "positions-in-words", "deadline-passed", "bad-email"],
)
def test_failed_submit_marks_only_the_wrong_field_and_sums_up_at_the_top(
    app, admin_client, overrides, wrong
) -> None:
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(**overrides),
            "action": "publish",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 400
    page = answer.text
    assert 'aria-invalid="None"' not in page
    invalid = re.findall(r'<(?:input|select|textarea)[^>]*aria-invalid="true"[^>]*>', page)
    assert [re.search(r'name="([^"]+)"', tag).group(1) for tag in invalid] == [wrong]
    summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert f'href="#{wrong}"' in summary
    assert page.index("data-error-summary") < page.index('name="title"')


# -- temporary passwords ----------------------------------------------------------------------

NEWCOMER = ("nouvelle@ngo.ml", "provisoire-2026")


@pytest.mark.parametrize("role", ["poster", "admin"])
def test_account_made_by_an_admin_must_change_its_password_first(app, admin_client, role) -> None:
    answer = admin_client.post(
        "/admin/accounts",
        data={
            "email": NEWCOMER[0],
            "role": role,
            "password": NEWCOMER[1],
            "confirm": NEWCOMER[1],
            "csrf_token": token(admin_client, "/admin/accounts"),
        },
    )
    assert answer.status_code == 302
    newcomer = app.test_client()
    assert login(newcomer, *NEWCOMER, address="10.0.0.9").headers["Location"] == "/admin/"
    for path in ("/admin/", "/admin/jobs", "/admin/jobs/new", "/admin/subscribers"):
        answer = newcomer.get(path)
        assert (answer.status_code, answer.headers.get("Location")) == (302, "/admin/password")
    refused = newcomer.post(
        "/admin/jobs/preview",
        data={"csrf_token": token(newcomer, "/admin/password")},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 403
    page = newcomer.get("/admin/password").text
    assert "mot de passe provisoire" in page and "Nouvelle offre" not in page
    same = newcomer.post(
        "/admin/password",
        data={
            "current": NEWCOMER[1],
            "password": NEWCOMER[1],
            "confirm": NEWCOMER[1],
            "csrf_token": token(newcomer, "/admin/password"),
        },
    )
    assert "différent de l&#39;actuel" in same.text
    changed = newcomer.post(
        "/admin/password",
        data={
            "current": NEWCOMER[1],
            "password": "mon-propre-secret",
            "confirm": "mon-propre-secret",
            "csrf_token": token(newcomer, "/admin/password"),
        },
    )
    assert changed.headers["Location"] == "/admin/"
    assert newcomer.get("/admin/jobs").status_code == 200


def test_account_made_from_the_shell_is_not_forced(app) -> None:
    made = accounts.create_account(current_store(), *NEWCOMER, "admin")
    assert made.must_change_password is False


# -- no English on French pages ---------------------------------------------------------------

ENGLISH = re.compile(
    r"\b(unknown|must|required|between|at most|the|not found|bad request|forbidden|method not"
    r"|allowed|error|please|invalid|passed|characters|request|an? ISO)\b",
    re.I,
)


def visible_text(html: str) -> str:
    """What a reader sees: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.parametrize(
    ("districts", "shown"),
    [
        ("Atlantis", "District ou région inconnu : Atlantis"),
        ("Niono, Atlantis", "District ou région inconnu : Atlantis"),
        ("Sikasso, Tombouctou-Nord", "District ou région inconnu : Tombouctou-Nord"),
        ("Ségou, Kati, Xyzzy", "District ou région inconnu : Xyzzy"),
        (", ,", "Indiquez au moins un district ou une région."),
        (",".join(["Niono"] * 101), "100 lieux au plus."),
    ],
    ids=[
        "unknown",
        "one-of-two-unknown",
        "unknown-after-region",
        "third-unknown",
        "only-commas",
        "too-many",
    ],
)
def test_relay_form_errors_are_french_from_codes(app, admin_client, districts, shown) -> None:
    answer = admin_client.post(
        "/admin/relays",
        data={
            "phone": "76 12 34 56",
            "districts": districts,
            "csrf_token": token(admin_client, "/admin/relays"),
        },
    )
    assert answer.status_code == 200
    text = visible_text(answer.text)
    assert shown in text
    assert not ENGLISH.search(text.replace("Atlantis", "")), ENGLISH.search(text)


def test_api_keeps_its_english_for_the_same_codes(app, client, api_headers) -> None:
    answer = client.put(
        "/api/relays/76123456", json={"districts": ["Atlantis"]}, headers=api_headers
    )
    assert answer.status_code == 400
    assert "unknown district or region: Atlantis" in answer.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "\x00\x01"},
        {"title": "x" * 400},
        {"category": "astronaute"},
        {"districts": ["atlantis"]},
        {"positions": "0"},
        {"positions": "99999999"},
        {"deadline_date": "demain"},
        {"deadline_date": "2001-01-01"},
        {"deadline_date": "2099-01-01"},
        {"apply_email": ""},
        {"apply_email": "a@"},
        {"source_url": "ftp://x"},
        {"deadline_time": "25:99"},
    ],
    ids=[
        "control-chars",
        "long-title",
        "unknown-category",
        "unknown-district",
        "zero-posts",
        "too-many-posts",
        "deadline-in-words",
        "deadline-past",
        "deadline-far",
        "no-apply",
        "bad-email",
        "ftp-url",
        "bad-time",
    ],
)
def test_job_form_errors_are_french(app, admin_client, overrides) -> None:
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(**overrides),
            "action": "publish",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 400
    errors = " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', answer.text))
    assert errors.strip()
    assert not ENGLISH.search(errors), errors


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/nowhere"),
        ("get", "/admin/jobs/999999"),
        ("get", "/admin/a/b/c"),
        ("get", "/admin/logout"),
        ("get", "/admin/subscribers/12"),
        ("get", "/simulator/nowhere"),
        ("post", "/admin/accounts/x@y.ml/role"),
    ],
    ids=[
        "unknown-page",
        "unknown-job",
        "deep-path",
        "get-on-post-only",
        "bad-phone",
        "simulator-unknown",
        "tampered-role",
    ],
)
def test_admin_error_pages_are_french(app, admin_client, method, path) -> None:
    data = {"csrf_token": token(admin_client), "role": "king"} if method == "post" else None
    answer = getattr(admin_client, method)(path, data=data)
    assert answer.status_code in (400, 404, 405)
    text = visible_text(answer.text)
    assert "Baara admin" in answer.text
    assert not ENGLISH.search(text), ENGLISH.search(text)


def test_api_404_stays_json_or_english(app, client, api_headers) -> None:
    assert client.get("/nowhere").status_code == 404
    assert "Baara admin" not in client.get("/nowhere").text


# -- scheduling -------------------------------------------------------------------------------


def _local(minutes: int) -> str:
    moment = datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    "minutes", [0, 1, 2, 60], ids=["this-minute", "next-minute", "2-min", "in-an-hour"]
)
def test_schedule_a_minute_ahead_is_accepted(app, admin_client, minutes) -> None:
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "schedule",
            "schedule_at": _local(minutes),
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 302
    (job,) = jobs.list_jobs()
    assert job.status is jobs.JobStatus.SCHEDULED


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        ("", "Indiquez la date et l&#39;heure d&#39;envoi."),
        ("hier", "Indiquez la date et l&#39;heure d&#39;envoi."),
        ("past", "Ce moment est déjà passé"),
        ("after", "L&#39;envoi doit précéder la date limite."),
    ],
    ids=["empty", "words", "past", "after-deadline"],
)
def test_refused_schedule_shows_the_form_again_and_saves_nothing(
    app, admin_client, when, shown
) -> None:
    value = {"past": _local(-10), "after": _local(60 * 24 * 40)}.get(when, when)
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "schedule",
            "schedule_at": value,
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 400
    assert shown in answer.text and "data-error-summary" in answer.text
    assert 'value="Mobilisateur communautaire"' in answer.text
    assert jobs.list_jobs() == []


def test_schedule_picker_starts_at_this_minute(app, admin_client) -> None:
    page = admin_client.get("/admin/jobs/new").text
    tag = re.search(r'<input[^>]*name="schedule_at"[^>]*>', page).group(0)
    assert re.search(r'min="\d{4}-\d\d-\d\dT\d\d:\d\d"', tag)


# -- subscriber search ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["12", "7", "+2", "a1b2c", "12 3"],
    ids=["two-digits", "one-digit", "plus-two", "letters", "three-spaced"],
)
def test_search_with_too_few_digits_asks_for_more(app, admin_client, query) -> None:
    current_store().subscribe("+22376123412", [Subscription(district="niono")])
    page = admin_client.get("/admin/subscribers", query_string={"q": query}).text
    assert "Tapez au moins 4 chiffres" in page
    assert "Aucun abonné" not in page


def test_search_with_four_digits_finds(app, admin_client) -> None:
    current_store().subscribe("+22376123412", [Subscription(district="niono")])
    page = admin_client.get("/admin/subscribers", query_string={"q": "3412"}).text
    assert "+22376123412" in page and "Tapez au moins" not in page


# -- the phone simulator ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "delivered"),
    [("+22376100000", False), ("+22376100001", True), ("+22370000100", False)],
    ids=["ends-in-00", "ordinary", "another-00"],
)
def test_simulator_inbox_says_whether_the_phone_got_it(app, client, phone, delivered) -> None:
    current_store().record_simulated(
        {
            "id": "ATXid_9",
            "to": phone,
            "from": "BAARA",
            "message": "Baara J482 : Infirmier",
            "at": "2026-01-01",
        }
    )
    (message,) = client.get(f"/simulator/inbox?phone={phone}").get_json()["messages"]
    assert message["delivered"] is delivered


# -- preview and job page ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_preview_names_no_place_before_one_is_ticked(app, admin_client, lang) -> None:
    preview = admin_client.post(
        "/admin/jobs/preview",
        data={**job_form(districts=[]), "csrf_token": token(admin_client, "/admin/jobs/new")},
    ).get_json()
    (text,) = [x["text"] for x in preview["languages"] if x["lang"] == lang]
    assert "[lieu]" in text
    ref = app.extensions["baara.reference"]
    assert not any(d.name in text for d in ref.districts.values()), text


def test_draft_page_shows_no_progress_only_who_would_be_reached(app, admin_client) -> None:
    current_store().subscribe(ON, [Subscription(district="niono")])
    admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(),
            "action": "draft",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    (job,) = jobs.list_jobs()
    page = admin_client.get(f"/admin/jobs/{job.id}").text
    text = visible_text(page)
    assert "rien n'est envoyé" in text.replace("&#39;", "'")
    assert "<progress" not in page and "traités" not in text and "en file" not in text
    assert re.search(r'data-field="matched">1<', page)


def test_job_page_shows_the_sending_history_with_times(app, admin_client, at_server) -> None:
    job = _publish_to_four(admin_client, at_server)
    data = admin_client.get(f"/admin/jobs/{job.id}/progress").get_json()
    steps = [s["key"] for s in data["timeline"]]
    assert steps[:3] == ["created", "published", "first_sent_at"]
    assert "first_report_at" in steps
    page = admin_client.get(f"/admin/jobs/{job.id}").text
    assert 'data-step="first_report_at"' in page and "Premier rapport de remise" in page
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", s["at"]) for s in data["timeline"])


# -- first run --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "why"),
    [("court", "au moins 10"), (" espace-devant", "espace"), ("espace-derriere ", "espace")],
    ids=["too-short", "leading-space", "trailing-space"],
)
@pytest.mark.parametrize("command", ["create", "password"])
def test_cli_asks_again_for_a_weak_password(app, first, why, command) -> None:
    runner = app.test_cli_runner()
    if command == "password":
        runner.invoke(
            args=["admin", "create", "cli@ngo.ml"], input="cli-password-123\ncli-password-123\n"
        )
    result = runner.invoke(
        args=["admin", command, "cli@ngo.ml"], input=f"{first}\ngood-password-9\ngood-password-9\n"
    )
    assert result.exit_code == 0, result.output
    assert why in result.output
    assert result.output.count("Mot de passe:") + result.output.count("Nouveau mot de passe:") == 2
    assert accounts.authenticate(current_store(), "cli@ngo.ml", "good-password-9", "cli")


@pytest.mark.parametrize(
    ("url", "private", "expected"),
    [
        ("redis://127.0.0.1:6379/0", True, ".venv/bin/flask admin create you@ngo.org"),
        (
            "redis://127.0.0.1:6390/0",
            True,
            "REDIS_URL=redis://127.0.0.1:6390/0 .venv/bin/flask admin create you@ngo.org",
        ),
        ("redis://db:6379/2", False, "with the same REDIS_URL"),
    ],
    ids=["default-port", "port-taken", "own-redis"],
)
def test_make_run_prints_the_exact_admin_command(url, private, expected) -> None:
    from alerts.ops.devstack import admin_command

    assert expected in admin_command(url, private)


def test_make_catalogs_is_quiet_when_all_is_well() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "catalogs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout + result.stderr).strip() == ""


def test_ctrl_c_stops_make_run_cleanly() -> None:
    # A terminal's Ctrl-C reaches the whole foreground group; the stack must stop with 0
    # (make then prints no "Error 130") and leave no port served.
    web, redis_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "AT_API_KEY", "AT_USERNAME", "BAARA_ENV")
    }
    env.update(PORT=str(web), REDIS_PORT=str(redis_port))
    proc = subprocess.Popen(
        [sys.executable, "-m", "alerts.ops.devstack"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{web}/healthz", timeout=5).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "make run did not come up"
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=45)
        assert proc.returncode == 0, output[-2000:]
        assert f"REDIS_URL=redis://127.0.0.1:{redis_port}/0 .venv/bin/flask admin create" in output
        assert "catalogs:" not in output and "Traceback" not in output
        for port in (web, redis_port):
            with socket.socket() as s:
                assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still served"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("email", "password", "field", "shown"),
    [
        (ADMIN[0], "long-enough-1", "email", "Un compte existe déjà pour cette adresse."),
        ("pas-une-adresse", "long-enough-1", "email", "Adresse e-mail invalide."),
        (
            "x@ngo.ml",
            " espace-devant",
            "password",
            "Le mot de passe ne doit pas commencer ni finir par un espace.",
        ),
    ],
    ids=["taken", "not-an-email", "leading-space"],
)
def test_account_errors_are_french_from_codes(
    app, admin_client, email, password, field, shown
) -> None:
    answer = admin_client.post(
        "/admin/accounts",
        data={
            "email": email,
            "role": "poster",
            "password": password,
            "confirm": password,
            "csrf_token": token(admin_client, "/admin/accounts"),
        },
    )
    assert answer.status_code == 200
    error = re.search(rf'id="{field}-error"[^>]*>([^<]*)<', answer.text).group(1)
    assert error.replace("&#39;", "'") == shown
