"""Community relays: consent before anything is sent, limits, outcomes, digest timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import ScheduledJobRegistry

from alerts.services import current_services
from alerts.sms import relays
from alerts.sms.relays import Enrollment
from alerts.store import Language, StoppedBy, Store, Subscription
from config.reference import default_reference
from messages.compose import count_segments, is_gsm7
from tests.support.drivers import sms

RELAY, TARGET, OTHER = "+22376000001", "+22376000002", "+22366000003"
NIONO = [Subscription(district="niono", category="community-mobilizer")]
TODAY = "20261123"


@pytest.fixture()
def store(redis):
    return Store(redis)


@pytest.fixture()
def ref():
    return default_reference()


@pytest.fixture()
def relay(store, ref):
    relays.approve(store, ref, RELAY, ["niono", "macina"])
    return RELAY


def _to(out, phone):
    return [text for p, text, _ in out.messages if p == phone]


def test_only_approved_relays_can_enroll(store, ref):
    relays.request_relay(store, ref, RELAY, ["niono"])
    status, out = relays.enroll(store, ref, RELAY, "76000002", NIONO, today=TODAY)
    assert status is Enrollment.NOT_RELAY
    assert _to(out, TARGET) == []


def test_enrollment_asks_exactly_once_in_both_languages(store, ref, relay):
    status, out = relays.enroll(store, ref, relay, "76 00 00 02", NIONO, today=TODAY)
    assert status is Enrollment.ASKED
    (question,) = _to(out, TARGET)
    assert "76 00 00 01" in question and "OUI" in question and "òwò walima ayi" in question
    assert is_gsm7(question) and count_segments(question).segments <= 2
    assert store.get_subscriber(TARGET) is None  # nothing but the question until they say yes
    again, out2 = relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    assert again is Enrollment.PENDING and _to(out2, TARGET) == []


def test_yes_subscribes_and_tells_the_relay(store, ref, relay):
    relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    request = relays.pending_request(store, TARGET)
    out = relays.answer(store, ref, TARGET, request, yes=True, language=Language.BM)
    sub = store.get_subscriber(TARGET)
    assert sub.subscriptions == tuple(NIONO) and sub.language is Language.BM
    assert sub.source.value == "relay"
    assert len(_to(out, RELAY)) == 1 and len(_to(out, TARGET)) == 1
    assert store.get_relay(RELAY)["enrolled"] == 1


def test_no_is_final_for_that_relay(store, ref, relay):
    relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    out = relays.answer(
        store,
        ref,
        TARGET,
        relays.pending_request(store, TARGET),
        yes=False,
        language=Language.FR,
    )
    (ack,) = _to(out, TARGET)  # one short acknowledgement, then nothing more
    assert count_segments(ack).segments == 1 and len(ack) <= 80
    assert store.get_subscriber(TARGET) is None
    status, out = relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    assert status is Enrollment.CANNOT and _to(out, TARGET) == []


def test_stopped_number_is_never_asked(store, ref, relay):
    store.stop(TARGET, by=StoppedBy.USER)
    status, out = relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    assert status is Enrollment.CANNOT and _to(out, TARGET) == []


def test_already_subscribed_number_is_not_asked_again(store, ref, relay):
    store.subscribe(TARGET, [Subscription(district="niono")])
    status, out = relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    assert status is Enrollment.ALREADY and _to(out, TARGET) == []


def test_already_subscribed_elsewhere_is_asked_for_the_new_place(store, ref, relay):
    store.subscribe(TARGET, [Subscription(district="kati")])
    status, _ = relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    assert status is Enrollment.ASKED


def test_daily_limit(store, ref, relay):
    statuses = [
        relays.enroll(store, ref, relay, f"7610{i:04d}", NIONO, today=TODAY)[0]
        for i in range(relays.RELAY_DAILY_LIMIT + 2)
    ]
    assert statuses.count(Enrollment.ASKED) == relays.RELAY_DAILY_LIMIT
    assert statuses[-1] is Enrollment.QUOTA
    assert relays.enroll(store, ref, relay, "76109999", NIONO, today="20261124")[0] is (
        Enrollment.ASKED
    )


def test_expiry_closes_and_a_late_yes_subscribes_nothing(store, ref, relay):
    relays.enroll(store, ref, relay, "76000002", NIONO, today=TODAY)
    request = relays.pending_request(store, TARGET)
    out = relays.expire(store, TARGET, request["id"])
    assert len(_to(out, RELAY)) == 1 and _to(out, TARGET) == []
    assert not relays.is_open(relays.pending_request(store, TARGET), store.now())
    assert store.get_relay(RELAY)["expired"] == 1


def test_bad_phone_and_self(store, ref, relay):
    assert relays.enroll(store, ref, relay, "12", NIONO, today=TODAY)[0] is Enrollment.BAD_PHONE
    assert relays.enroll(store, ref, relay, RELAY, NIONO, today=TODAY)[0] is Enrollment.CANNOT


@pytest.mark.parametrize(
    "now,expected",
    [
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 25, 12, 0, tzinfo=UTC), datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ],
    ids=["later-today", "exactly-now", "midweek"],
)
def test_next_digest_time(now, expected):
    # Monday 09:00 in Bamako (UTC+0).
    assert relays.next_digest_time(now, 0, 9, 0, "Africa/Bamako") == expected


# -- end to end: SMS webhook -> relay flow -> loopback AT server -------------------------------


def texts_to(at_server, phone: str) -> list[str]:
    return [m["message"] for m in at_server.messages_to(phone)]


@pytest.fixture()
def approved(app):
    store = app.extensions["baara"].store
    relays.approve(store, default_reference(), RELAY, ["niono", "macina"])
    return store


def test_relay_request_by_sms_waits_for_an_admin(client, app, at_server):
    sms(client, RELAY, "RELAIS NIONO")
    store = app.extensions["baara"].store
    assert store.get_relay(RELAY)["status"] == "pending"
    assert len(texts_to(at_server, RELAY)) == 1
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO")
    assert texts_to(at_server, TARGET) == []  # not approved: nobody is asked


def test_enrollment_consent_then_alerts(client, app, at_server, approved, api_headers):
    sms(client, RELAY, "INSCRIRE 76 00 00 02 NIONO MOBILISATEUR")
    (question,) = texts_to(at_server, TARGET)
    assert is_gsm7(question) and count_segments(question).segments <= 2
    assert client.get(f"/api/subscribers/{TARGET}", headers=api_headers).status_code == 404
    sms(client, TARGET, "awɔ")
    body = client.get(f"/api/subscribers/{TARGET}", headers=api_headers).get_json()
    assert body["language"] == "bm" and body["status"] == "active"
    assert [s["district"]["slug"] for s in body["subscriptions"]] == ["niono"]
    assert len(texts_to(at_server, TARGET)) == 2  # the question, then the confirmation
    relay_texts = texts_to(at_server, RELAY)
    assert len(relay_texts) == 2 and "76 00 00 02" in relay_texts[-1]  # asked, then accepted


def test_refusal_is_final_and_acknowledged_once(client, app, at_server, approved):
    sms(client, RELAY, "INSCRIRE 76000002 NIONO")
    sms(client, TARGET, "NON")
    assert len(texts_to(at_server, TARGET)) == 2  # the question, one short acknowledgement
    assert approved.get_subscriber(TARGET) is None
    sms(client, RELAY, "INSCRIRE 76000002 MACINA")
    assert len(texts_to(at_server, TARGET)) == 2  # never asked again for that relay


def test_stop_answer_stops_and_tells_the_relay(client, app, at_server, approved):
    sms(client, RELAY, "INSCRIRE 76000002 NIONO")
    sms(client, TARGET, "STOP")
    assert approved.get_subscriber(TARGET).status.value == "stopped"
    assert len(texts_to(at_server, TARGET)) == 2  # the question and the one STOP confirmation
    assert "refus" in texts_to(at_server, RELAY)[-1]


def test_consent_reply_after_the_deadline(client, app, at_server, approved):
    sms(client, RELAY, "INSCRIRE 76000002 NIONO")
    request = relays.pending_request(approved, TARGET)
    relays.expire(approved, TARGET, request["id"])
    sms(client, TARGET, "OUI")
    assert (
        approved.get_subscriber(TARGET) is None or not approved.get_subscriber(TARGET).subscriptions
    )
    late = texts_to(at_server, TARGET)[-1]
    assert "expir" in late


def test_non_relay_cannot_make_baara_text_a_third_number(client, app, at_server):
    sms(client, OTHER, "INSCRIRE 76 00 00 02 NIONO")
    assert texts_to(at_server, TARGET) == []
    assert len(texts_to(at_server, OTHER)) == 1


def test_enrolling_an_already_subscribed_number(client, app, at_server, approved):
    sms(client, TARGET, "NIONO")
    before = len(texts_to(at_server, TARGET))
    sms(client, RELAY, "INSCRIRE 76000002 NIONO INFIRMIER")
    assert len(texts_to(at_server, TARGET)) == before  # already covered: not asked
    assert "déjà" in texts_to(at_server, RELAY)[-1] or "deja" in texts_to(at_server, RELAY)[-1]


# -- JSON API -------------------------------------------------------------------------------


def test_relay_api(client, app, at_server, api_headers):
    assert client.get("/api/relays").status_code == 401
    response = client.put(
        "/api/relays/76 00 00 01", json={"districts": ["Niono", "macina"]}, headers=api_headers
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "approved"
    assert [d["slug"] for d in body["districts"]] == ["niono", "macina"]
    assert len(texts_to(at_server, RELAY)) == 1  # told they are a relay now
    again = client.put(
        "/api/relays/+22376000001", json={"districts": ["Région de Ségou"]}, headers=api_headers
    )
    assert again.status_code == 200 and len(again.get_json()["districts"]) == 8
    sms(client, RELAY, "INSCRIRE 76000002 NIONO")
    sms(client, TARGET, "oui")
    (listed,) = client.get("/api/relays", headers=api_headers).get_json()["relays"]
    assert listed["asked"] == 1 and listed["enrolled"] == 1 and listed["consent_rate"] == 1.0
    assert client.delete("/api/relays/76000001", headers=api_headers).status_code == 204
    assert client.delete("/api/relays/76000001", headers=api_headers).status_code == 404
    assert client.get("/api/relays", headers=api_headers).get_json()["relays"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "districts"),
        ({"districts": []}, "districts"),
        ({"districts": ["Nowhere"]}, "districts"),
        ({"districts": "Niono"}, "districts"),
        ([1, 2], "body"),
    ],
    ids=["missing", "empty", "unknown", "not-a-list", "not-an-object"],
)
def test_relay_api_400_names_the_field(client, api_headers, body, field):
    response = client.put("/api/relays/76000001", json=body, headers=api_headers)
    assert response.status_code == 400
    assert field in response.get_json()["fields"]


def test_relay_api_rejects_bad_phone(client, api_headers):
    response = client.put("/api/relays/12", json={"districts": ["Niono"]}, headers=api_headers)
    assert response.status_code == 400


def test_weekly_digest_reaches_relays_with_open_jobs_only(client, app, at_server, api_headers):
    from alerts.sending import tasks

    client.put("/api/relays/76000001", json={"districts": ["Niono"]}, headers=api_headers)
    client.put("/api/relays/66000003", json={"districts": ["Kayes"]}, headers=api_headers)
    job = {
        "title": "Mobilisateur communautaire",
        "organization": "AMCP-SP/ALIMA",
        "category": "community-mobilizer",
        "districts": ["Niono", "Macina"],
        "positions": 2,
        "deadline": (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT17:00:00"),
        "apply": "recrutement@mali.alima.ngo",
        "publish": True,
    }
    assert client.post("/api/jobs", json=job, headers=api_headers).status_code == 201
    before_relay, before_other = len(texts_to(at_server, RELAY)), len(texts_to(at_server, OTHER))
    assert tasks.relay_digest() == 1
    digest = texts_to(at_server, RELAY)[before_relay:]
    assert len(digest) == 1 and "Mobilisateur" in digest[0]
    assert is_gsm7(digest[0]) and count_segments(digest[0]).segments <= 2
    assert len(texts_to(at_server, OTHER)) == before_other  # Kayes has no open job


@pytest.mark.parametrize("calls", [1, 2, 5], ids=["once", "twice", "five-times"])
def test_the_next_digest_is_scheduled_once_however_often_it_is_asked_for(app, calls: int) -> None:
    services = current_services()
    whens = {relays.schedule_digest(services) for _ in range(calls)}
    assert len(whens) == 1
    registry = ScheduledJobRegistry(queue=services.queue("default"))
    digests = [i for i in registry.get_job_ids() if i.startswith("relay-digest-")]
    assert digests == [f"relay-digest-{whens.pop():%Y%m%d%H%M}"]
