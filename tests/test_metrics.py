"""/metrics: Prometheus samples after an SMS round trip and a small fan-out."""

from __future__ import annotations

from datetime import date, timedelta

from prometheus_client.parser import text_string_to_metric_families

from alerts.services import services_of
from tests.support.drivers import sms

SOON = (date.today() + timedelta(days=20)).isoformat()


def samples(client, headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_metrics_needs_the_api_token(client):
    assert client.get("/metrics").status_code == 401


def test_metrics_after_an_sms_round_trip_and_a_fanout(app, client, at_server, api_headers):
    for n in range(1, 4):
        sms(client, f"+2237600000{n}", "NIONO")
    sms(client, "+22376000001", "NIONO")  # a second text from the same number
    at_server.blacklist = {"+22376000003"}  # opts out at the operator before the alert
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Infirmier",
            "organization": "ALIMA",
            "category": "nurse",
            "districts": ["Niono"],
            "positions": 1,
            "deadline": f"{SOON}T17:00",
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201
    got = samples(client, api_headers)

    assert got[("baara_redis_up", ())] == 1
    assert got[("baara_sms_inbound_total", (("verdict", "ok"),))] == 4
    assert got[("baara_replies_total", (("status", "sent"),))] >= 3
    assert got[("baara_alerts_total", (("outcome", "queued"), ("reason", "")))] == 3
    assert got[("baara_alerts_total", (("outcome", "sent"), ("reason", "")))] == 2
    failed = {
        k: v
        for k, v in got.items()
        if k[0] == "baara_alerts_total" and ("outcome", "failed") in k[1]
    }
    assert sum(failed.values()) == 1
    assert got[("baara_jobs_open", ())] == 1
    assert got[("baara_sms_inbox", (("state", "waiting"),))] == 0  # RQ inline: all handled
    assert got[("baara_sms_inbox", (("state", "dead"),))] == 0
    queue = services_of(app).settings.queues[0]
    assert ("baara_queue_jobs", (("queue", queue), ("state", "queued"))) in got
    ok_count = got[("baara_gateway_latency_seconds_count", (("result", "ok"),))]
    assert ok_count >= 5  # four replies and one alert batch
    assert got[("baara_gateway_latency_seconds_sum", (("result", "ok"),))] > 0
    text = client.get("/metrics", headers=api_headers).get_data(as_text=True)
    assert "+223" not in text and "7600000" not in text  # aggregates only


def test_delivery_reports_and_duplicates_are_counted(app, client, at_server, api_headers):
    sms(client, "+22376000001", "NIONO")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Infirmier",
            "organization": "ALIMA",
            "category": "nurse",
            "districts": ["Niono"],
            "positions": 1,
            "deadline": f"{SOON}T17:00",
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201
    alert = [m for m in at_server.messages_to("+22376000001") if "Infirmier" in m["message"]]
    assert alert
    gateway_id = alert[-1]["id"]
    for _ in range(2):  # AT repeats reports; only the first counts
        client.post(
            "/sms/delivery",
            data={"id": gateway_id, "status": "Success", "phoneNumber": "+22376000001"},
        )
    data = {
        "from": "+22376000009",
        "to": "1",
        "text": "AIDE",
        "date": "2026-11-23 10:00:00",
        "id": "same-id",
    }
    client.post("/sms/incoming", data=data)
    client.post("/sms/incoming", data=data)
    got = samples(client, api_headers)
    assert got[("baara_alerts_total", (("outcome", "delivered"), ("reason", "")))] == 1
    assert got[("baara_sms_inbound_total", (("verdict", "duplicate"),))] == 1


def test_ussd_requests_are_counted(client, api_headers):
    for text in ("", "1"):
        response = client.post(
            "/ussd",
            data={
                "sessionId": "s-1",
                "serviceCode": "*384*22#",
                "phoneNumber": "+22376000001",
                "text": text,
            },
        )
        assert response.status_code == 200
    assert samples(client, api_headers)[("baara_ussd_requests_total", ())] == 2
