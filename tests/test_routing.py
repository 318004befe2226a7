# ruff: noqa: F811  (the gateway fixtures come from tests/support/gateways.py by import)
"""Routing and failover across AT, Orange and SMSGate, end to end over loopback HTTP.

The app is configured as an NGO with both SIMs would configure it:
GATEWAYS=africastalking,orange,smsgate and GATEWAY_ROUTES=orange=orange,moov=smsgate.
Alerts go through POST /api/jobs, the real fan-out, the real clients and the stand-ins.
"""

from __future__ import annotations

import re
import time
from collections import Counter

import pytest

from alerts.gateways.base import Status
from alerts.gateways.orange import OrangeGateway
from alerts.gateways.routing import Policy, load_operators, operator_of, parse_routes
from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.store import Language, Subscription
from tests.support.gateways import (  # noqa: F401  (fixtures, found by name)
    client,
    gateway_config,
    gw_app,
    orange_server,
    posting,
    smsgate_server,
)
from tests.test_admin import ADMIN, login, make_account

OPERATORS = load_operators()

# -- the prefix table, every range of the numbering plan ------------------------------------

PREFIXES = (
    [(f"{p}", "orange") for p in range(70, 80)]
    + [(f"{p}", "orange") for p in range(82, 86)]
    + [(f"{p}", "orange") for p in range(90, 95)]
    + [(f"{p}", "moov") for p in range(60, 70)]
    + [("89", "moov")]
    + [(f"{p}", "moov") for p in range(95, 100)]
    + [(f"{p}", "telecel") for p in range(50, 54)]
    + [(f"{p}", None) for p in ("20", "44", "54", "80", "81", "86", "87", "88")]
)


@pytest.mark.parametrize(("prefix", "operator"), PREFIXES, ids=[p for p, _ in PREFIXES])
def test_each_malian_prefix_names_its_operator(prefix, operator):
    assert operator_of(f"+223{prefix}123456", OPERATORS) == operator


@pytest.mark.parametrize("phone", ["+22170123456", "+2237012345", "+223701234567", "70123456"])
def test_numbers_outside_mali_have_no_operator(phone):
    assert operator_of(phone, OPERATORS) is None


ROUTES = parse_routes("orange=orange,moov=smsgate")
CHAINS = [
    ("+22370000001", None, ["orange", "africastalking", "smsgate"]),
    ("+22389000001", None, ["smsgate", "africastalking", "orange"]),
    ("+22350000001", None, ["africastalking", "orange", "smsgate"]),  # Telecel: unrouted
    ("+22620000001", None, ["africastalking", "orange", "smsgate"]),  # not Malian
    ("+22370000001", "smsgate", ["smsgate", "africastalking", "orange"]),  # wrote via SMSGate
    ("+22389000001", "nosuch", ["smsgate", "africastalking", "orange"]),
]


@pytest.mark.parametrize(
    ("phone", "preferred", "chain"), CHAINS, ids=[f"{c[0]}-{c[1]}" for c in CHAINS]
)
def test_route_then_failover_order(phone, preferred, chain):
    policy = Policy(
        order=("africastalking", "orange", "smsgate"), routes=ROUTES, operators=OPERATORS
    )
    assert policy.chain(phone, preferred) == chain


# -- end to end -----------------------------------------------------------------------------


#: Subscribers: (phone, language); Orange, Moov, Telecel and a foreign number, fr and bm.
AUDIENCE = [
    ("+22370000001", Language.FR),
    ("+22376000002", Language.BM),
    ("+22382000003", Language.FR),
    ("+22391000004", Language.BM),
    ("+22360000005", Language.FR),
    ("+22366000006", Language.BM),
    ("+22389000007", Language.FR),
    ("+22395000008", Language.BM),
    ("+22350000009", Language.FR),
    ("+22352000010", Language.BM),
    ("+22507000011", Language.FR),
]
EXPECTED = {
    "+22370000001": "orange",
    "+22376000002": "orange",
    "+22382000003": "orange",
    "+22391000004": "orange",
    "+22360000005": "smsgate",
    "+22366000006": "smsgate",
    "+22389000007": "smsgate",
    "+22395000008": "smsgate",
    "+22350000009": "africastalking",
    "+22352000010": "africastalking",
    "+22507000011": "africastalking",
}


def subscribe_all(audience=AUDIENCE) -> None:
    store = current_services().store
    for phone, lang in audience:
        store.subscribe(phone, [Subscription(district="niono")], language=lang)


def carried(at_server, orange_server, smsgate_server) -> dict[str, Counter]:
    return {
        "africastalking": Counter(m["to"] for m in at_server.messages),
        "orange": Counter(orange_server.phones()),
        "smsgate": Counter(smsgate_server.phones()),
    }


def publish(client, api_headers) -> dict:
    resp = client.post("/api/jobs", json=posting(), headers=api_headers)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def assert_exactly_once(by_gateway: dict[str, Counter], phones) -> None:
    total = sum(by_gateway.values(), Counter())
    assert total == Counter(dict.fromkeys(phones, 1)), total


def test_each_operator_goes_to_its_gateway_exactly_once(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    subscribe_all()
    posted = publish(client, api_headers)
    by = carried(at_server, orange_server, smsgate_server)
    assert_exactly_once(by, EXPECTED)
    for phone, gateway in EXPECTED.items():
        assert by[gateway][phone] == 1, (phone, gateway)
    job = jobs.get_job(posted["id"])
    langs = dict(AUDIENCE)
    for message in orange_server.messages:
        assert message["text"] == jobs.alert_text(job, langs[message["to"]].value)
        assert message["sender"] == "tel:+22370000000" and message["sender_name"] == "Baara"
    for message in smsgate_server.messages:
        assert message["text"] == jobs.alert_text(job, langs[message["to"]].value)
    figures = jobs.job_stats(current_services(), posted["id"])
    assert (figures["sent"], figures["failed"], figures["queued"]) == (len(EXPECTED), 0, 0)
    assert len(orange_server.tokens) == 1  # the token is cached across requests


FAILURES = [
    (gateway, mode, after)
    for gateway in ("orange", "smsgate")
    for mode in ("5xx", "timeout", "auth")
    for after in (0, 2)
]


@pytest.mark.parametrize(
    ("gateway", "mode", "after"), FAILURES, ids=[f"{g}-{m}-after{a}" for g, m, a in FAILURES]
)
def test_a_failing_gateway_hands_its_recipients_on_nobody_twice_nobody_missed(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server, gateway, mode, after
):
    failing = orange_server if gateway == "orange" else smsgate_server
    failing.fail, failing.fail_after, failing.hang = mode, after, 1.5
    subscribe_all()
    posted = publish(client, api_headers)
    by = carried(at_server, orange_server, smsgate_server)
    assert_exactly_once(by, EXPECTED)
    routed_there = [p for p, g in EXPECTED.items() if g == gateway]
    assert sum(by[gateway].values()) == after  # it took only what it took before failing
    # The rest of its recipients went through the next gateway in GATEWAYS (AT).
    assert sum(by["africastalking"][p] for p in routed_there) == len(routed_there) - after
    figures = jobs.job_stats(current_services(), posted["id"])
    assert (figures["sent"], figures["failed"], figures["queued"]) == (len(EXPECTED), 0, 0)


@pytest.mark.parametrize("status", [500, 503], ids=["500", "503"])
def test_africastalking_failing_hands_unrouted_numbers_to_orange(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server, status
):
    at_server.canned.extend([(status, "text/plain", "down")] * 20)
    subscribe_all()
    publish(client, api_headers)
    by = carried(at_server, orange_server, smsgate_server)
    assert_exactly_once(by, EXPECTED)
    unrouted = [p for p, g in EXPECTED.items() if g == "africastalking"]
    assert all(by["orange"][p] == 1 for p in unrouted)


def test_an_open_breaker_skips_the_gateway_and_healthz_names_it(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    orange_server.fail = "5xx"
    store = current_services().store
    for i in range(3):  # GATEWAY_FAILURES (3) failed requests in a row open the breaker
        store.subscribe(f"+2237100{i:04d}", [Subscription(district="niono")])
        resp = client.post("/api/jobs", json=posting(), headers=api_headers)
        assert resp.status_code == 201
    health = client.get("/healthz").get_json()
    assert health["gateways"] == {"africastalking": "up", "orange": "down", "smsgate": "up"}
    asked = orange_server.requests
    store.subscribe("+22371009999", [Subscription(district="niono")])
    publish(client, api_headers)
    assert orange_server.requests == asked  # cooling down: not even tried
    assert Counter(m["to"] for m in at_server.messages)["+22371009999"] == 1


def test_every_gateway_down_keeps_the_alert_for_a_retry(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    orange_server.fail = smsgate_server.fail = "5xx"
    at_server.canned.extend([(503, "text/plain", "down")] * 50)
    store = current_services().store
    store.subscribe("+22370000001", [Subscription(district="niono")])
    posted = publish(client, api_headers)
    figures = jobs.job_stats(current_services(), posted["id"])
    # Nobody reached, nobody dropped: after the retries it is failed only once they ran out.
    assert figures["sent"] == 0
    assert figures["queued"] + figures["failed"] == 1


def test_metrics_show_each_gateway_state_errors_throughput_and_cost(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    smsgate_server.fail = "5xx"
    subscribe_all()
    publish(client, api_headers)
    text = client.get("/metrics", headers=api_headers).get_data(as_text=True)
    lines = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("baara_gateway_")
    )
    assert float(lines['baara_gateway_messages_total{gateway="orange",result="sent"}']) == 4
    assert float(lines['baara_gateway_cost_total{gateway="orange"}']) == 4 * 25.0
    assert float(lines['baara_gateway_requests_total{gateway="smsgate",outcome="error"}']) >= 1
    at_sent = 'baara_gateway_messages_total{gateway="africastalking",result="sent"}'
    assert float(lines[at_sent]) == 7
    assert lines['baara_gateway_up{gateway="orange"}'] == "1.0"


def test_the_admin_shows_each_gateway_state_error_rate_and_cost(
    gw_app, client, api_headers, at_server, orange_server, smsgate_server
):
    orange_server.fail = "5xx"
    for i in range(3):  # three failed requests in a row open Orange's breaker
        current_services().store.subscribe(f"+2237200{i:04d}", [Subscription(district="niono")])
        publish(client, api_headers)
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    page = client.get("/admin/queues").text
    assert "Passerelles SMS" in page
    rows = {
        name: re.search(rf"<th scope=\"row\">{name}</th>(.*?)</tr>", page, re.S).group(1)
        for name in ("africastalking", "orange", "smsgate")
    }
    assert "En panne" in rows["orange"] and "100 %" in rows["orange"]
    # 1 + 2 + 3 alerts (each posting reaches everyone subscribed so far), 25 XOF each.
    assert "En service" in rows["africastalking"] and "150 XOF" in rows["africastalking"]
    assert "En service" in rows["smsgate"]


def test_the_orange_token_is_cached_refreshed_before_expiry_and_once_on_a_401(orange_server):
    gateway = OrangeGateway(
        orange_server.url, "orange-id", "orange-secret", "tel:+22370000000", timeout=(1, 2)
    )
    gateway.send("a", ["+22370000001", "+22370000002"])
    assert len(orange_server.tokens) == 1  # cached
    orange_server.tokens.clear()  # Orange revoked it: the 401 fetches a new one, once
    assert gateway.send_one("b", "+22370000003").status is Status.SENT
    assert len(orange_server.tokens) == 1
    orange_server.expires_in = 61  # a minute's margin: this one is replaced after 1 s
    gateway.token(fresh=True)
    time.sleep(1.1)
    gateway.send_one("c", "+22370000004")
    assert len(orange_server.tokens) == 3
    assert orange_server.phones() == [f"+2237000000{i}" for i in range(1, 5)]
