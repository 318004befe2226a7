"""Issue 13, items 3, 6 (web part) and 7: the simulator in production, delivery reports that act
on their message's recipient only, junk ids (404, never 500), and 503 while Redis is away.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from alerts.store import Language, StoppedBy, Subscription, current_store
from alerts.web import accounts
from app import create_app
from tests.conftest import PRODUCTION_SECRETS, RedisServer, app_config
from tests.support.drivers import sms
from tests.test_admin import ADMIN, POSTER, login, make_account, token
from tests.test_fanout import posting

A, B = "+22376123456", "+22366123457"
SIM_AT = "/simulator/at/version1/messaging"


# -- delivery reports act on the message id's recipient ---------------------------------------


def _reply_to_a(client, at_server) -> str:
    sms(client, A, "NIONO", at_id="dr-1")
    (sent,) = at_server.messages_to(A)
    return sent["id"]


def _alert_to_a(client, api_headers, at_server) -> str:
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    answer = client.post("/api/jobs", json=posting(), headers=api_headers)
    assert answer.status_code == 201, answer.text
    (sent,) = at_server.messages_to(A)
    return sent["id"]


NAMED = [
    pytest.param(B, id="another-subscriber"),
    pytest.param("+22376000000", id="a-stranger"),
    pytest.param("", id="no-number"),
    pytest.param("garbage", id="not-a-number"),
    pytest.param(A, id="the-recipient"),
    pytest.param("+223٧٦١٢٣٤٥٦", id="the-recipient-in-arabic-indic"),
]


@pytest.mark.parametrize("named", NAMED)
@pytest.mark.parametrize("kind", ["reply", "alert"])
def test_a_blacklist_report_stops_the_recipient_of_its_message_only(
    app, client, api_headers, at_server, kind, named
):
    current_store().subscribe(B, [Subscription(district="kati")], language=Language.BM)
    message_id = (
        _reply_to_a(client, at_server)
        if kind == "reply"
        else _alert_to_a(client, api_headers, at_server)
    )
    report = {"id": message_id, "status": "Failed", "failureReason": "UserInBlacklist"}
    if named:
        report["phoneNumber"] = named
    assert client.post("/sms/delivery", data=report).status_code == 200
    store = current_store()
    assert store.get_subscriber(A).stopped_by is StoppedBy.OPERATOR
    assert store.get_subscriber(B).active
    assert store.get_subscriber("+22376000000") is None


@pytest.mark.parametrize("named", NAMED)
def test_a_report_for_an_unknown_message_stops_nobody(app, client, named):
    current_store().subscribe(B, [Subscription(district="kati")], language=Language.FR)
    report = {
        "id": "ATXid_forged",
        "status": "Failed",
        "failureReason": "UserInBlacklist",
        "phoneNumber": named or B,
    }
    assert client.post("/sms/delivery", data=report).status_code == 200
    assert current_store().get_subscriber(B).active


# -- the simulator in production --------------------------------------------------------------


@pytest.fixture()
def production_sim(redis, redis_server, at_server):
    application = create_app(
        app_config(
            redis_server, at_server, BAARA_ENV="production", SIMULATOR=True, **PRODUCTION_SECRETS
        )
    )
    with application.app_context():
        yield application


SIM_CALLS = [
    pytest.param("GET", "/simulator", None, id="page"),
    pytest.param("POST", "/simulator/sms", {"phone": A, "text": "STOP"}, id="text-as-anyone"),
    pytest.param(
        "POST",
        "/simulator/ussd",
        {"phone": A, "session": "s", "code": "*384*22#", "text": ""},
        id="dial",
    ),
    pytest.param("GET", f"/simulator/inbox?phone={quote(A)}", None, id="inbox"),
]


@pytest.mark.parametrize(("method", "path", "body"), SIM_CALLS)
def test_production_simulator_is_for_admins_only(production_sim, method, path, body):
    current_store().subscribe(A, [Subscription(district="niono")], language=Language.FR)
    stranger = production_sim.test_client()
    assert stranger.open(path, method=method, json=body).status_code in (302, 400, 401)
    make_account(*POSTER, role="poster")
    poster = production_sim.test_client()
    assert login(poster, *POSTER).status_code == 302
    headers = {"X-CSRFToken": token(poster, "/admin/")}
    assert poster.open(path, method=method, json=body, headers=headers).status_code == 403
    assert current_store().get_subscriber(A).active  # the poster's STOP never arrived
    make_account(*ADMIN)
    admin = production_sim.test_client()
    assert login(admin, *ADMIN).status_code == 302
    headers = {"X-CSRFToken": token(admin, "/admin/")}
    assert admin.open(path, method=method, json=body, headers=headers).status_code == 200


AT_FORM = {"username": "baara", "to": A, "message": "Bonjour", "from": "BAARA"}


@pytest.mark.parametrize("env", ["development", "production"])
@pytest.mark.parametrize(
    ("form", "headers", "status"),
    [
        pytest.param(AT_FORM, {}, 401, id="no-key"),
        pytest.param(AT_FORM, {"apiKey": "simulated"}, 401, id="development-default-key"),
        pytest.param(AT_FORM, {"apiKey": "test-key-"}, 401, id="wrong-key"),
        pytest.param(
            {**AT_FORM, "username": "sandbox"}, {"apiKey": "test-key"}, 401, id="wrong-username"
        ),
        pytest.param(AT_FORM, {"apiKey": "test-key"}, 201, id="the-configured-key"),
    ],
)
def test_simulated_at_checks_the_configured_key(
    redis, redis_server, at_server, env, form, headers, status
):
    extra = {"BAARA_ENV": env, "SIMULATOR": True}
    if env == "production":
        extra.update({**PRODUCTION_SECRETS, "AT_USERNAME": "baara", "AT_API_KEY": "test-key"})
    application = create_app(app_config(redis_server, at_server, **extra))
    with application.app_context():
        answer = application.test_client().post(SIM_AT, data=form, headers=headers)
        assert answer.status_code == status
        assert bool(current_store().simulated_messages()) is (status == 201)


# -- junk ids are 404 -------------------------------------------------------------------------

JUNK_IDS = [
    "seq",
    "open",
    "all",
    "sched",
    "0",
    "-1",
    "01",
    "1e3",
    "1.0",
    "１",
    "٣",
    " 1",
    "x" * 300,
]


@pytest.mark.parametrize("junk", JUNK_IDS)
def test_junk_job_ids_are_404_in_the_api(app, client, api_headers, junk):
    client.post("/api/jobs", json=posting(publish=False), headers=api_headers)
    path = f"/api/jobs/{quote(junk, safe='')}"
    assert client.get(path, headers=api_headers).status_code == 404
    for action in ("publish", "close", "cancel"):
        assert client.post(f"{path}/{action}", headers=api_headers).status_code == 404


@pytest.mark.parametrize("junk", JUNK_IDS)
def test_junk_job_ids_are_404_in_the_admin(app, client, api_headers, junk):
    client.post("/api/jobs", json=posting(publish=False), headers=api_headers)
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    path = f"/admin/jobs/{quote(junk, safe='')}"
    assert client.get(path).status_code == 404
    assert client.get(f"{path}/progress").status_code == 404
    csrf = token(client)
    for action in ("publish", "schedule", "cancel", "close"):
        assert client.post(f"{path}/{action}", data={"csrf_token": csrf}).status_code == 404


# -- 503 while Redis is away ------------------------------------------------------------------


@pytest.fixture()
def own_redis():
    folder = Path(tempfile.mkdtemp(prefix="baara-away-"))
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_api_admin_and_health_answer_503_while_redis_is_away(own_redis, at_server, api_headers):
    application = create_app(app_config(own_redis, at_server))
    with application.app_context():
        make_account(*ADMIN)
        admin = application.test_client()
        assert login(admin, *ADMIN).status_code == 302
        csrf = token(admin)
        stranger = application.test_client()
        login_page = token(stranger, "/admin/login")
        own_redis.kill()
        calls = [
            (application.test_client(), "GET", "/healthz", None, {}),
            (application.test_client(), "GET", "/api/jobs", None, api_headers),
            (application.test_client(), "GET", f"/api/subscribers/{quote(A)}", None, api_headers),
            (application.test_client(), "POST", "/api/jobs", posting(), api_headers),
            (application.test_client(), "GET", "/api/jobs/1", None, api_headers),
            (application.test_client(), "GET", "/api/relays", None, api_headers),
            (admin, "GET", "/admin/", None, {}),
            (admin, "GET", "/admin/jobs", None, {}),
            (admin, "GET", "/admin/jobs/1/progress", None, {"Accept": "application/json"}),
            (admin, "POST", "/admin/jobs/1/close", {"csrf_token": csrf}, {}),
            (
                stranger,
                "POST",
                "/admin/login",
                {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": login_page},
                {},
            ),
        ]
        for client, method, path, body, headers in calls:
            kwargs = {"json": body} if path.startswith("/api") else {"data": body}
            answer = client.open(path, method=method, headers=headers, **kwargs)
            assert answer.status_code == 503, (method, path, answer.status_code)
            if path.startswith("/admin") and not headers:
                assert "indisponible" in answer.text
            elif path != "/healthz":
                assert answer.is_json and answer.headers["Retry-After"]
        own_redis.start()
        assert admin.get("/admin/jobs").status_code == 200
        assert application.test_client().get("/healthz").status_code == 200
        assert accounts.get_account(current_store(), ADMIN[0]) is not None


JUNK_ARGS = {
    "job_id": JUNK_IDS + ["J", "J0", "Jseq", "J%", "rq:job:1", "..", "1/2"],
    "phone": ["seq", "0", "+", "+0", "١", "relays", "+22376123456\u200b", "x" * 300, ".."],
    "email": ["seq", "@", "a@b", "x" * 300, "..", "adm:accts"],
    "filename": ["..", "x"],
    "sender": ["..", "x", "tel:+", "x" * 300],
}


def test_no_route_answers_500_to_junk_ids(app, client, api_headers, at_server):
    """Every rule with an id, every junk id, signed in as an admin and with the API token."""
    client.post("/api/jobs", json=posting(publish=False), headers=api_headers)
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    csrf = token(client)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint.endswith("static"):
            continue
        for name in rule.arguments:
            for junk in JUNK_ARGS[name]:
                args = {a: junk if a == name else "1" for a in rule.arguments}
                url = (
                    rule.build(args)[1]
                    if "/" not in junk
                    else rule.rule.replace(f"<{name}>", quote(junk, safe="")).replace(
                        f"<path:{name}>", junk
                    )
                )
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    answer = client.open(
                        url,
                        method=method,
                        headers={**api_headers, "X-CSRFToken": csrf},
                        data={"csrf_token": csrf},
                    )
                    assert answer.status_code < 500, (method, url, answer.status_code)
                    checked += 1
    assert checked > 100
