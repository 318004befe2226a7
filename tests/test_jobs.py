"""Job postings: validation, codes, deadlines, quiet hours, texts, the API and the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry

from alerts.domain.places import Places
from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.store import Language, StoppedBy, Subscriber, Subscription
from config.reference import default_reference
from config.settings import Settings
from messages.compose import count_segments, is_gsm7
from messages.errors import english
from tests.conftest import app_config
from tests.fixtures.seed_jobs import SEEDS, seed_job

REF = default_reference()
PLACES = Places(REF)
BAMAKO = ZoneInfo("Africa/Bamako")
SOON = (date.today() + timedelta(days=20)).isoformat()


def body(**changes) -> dict:
    """A valid posting with some fields changed (None removes one)."""
    base = {
        "title": "Infirmier d'Etat",
        "organization": "ALIMA",
        "category": "nurse",
        "districts": ["Niono"],
        "positions": 2,
        "deadline": f"{SOON}T17:00",
        "apply": "recrutement@mali.alima.ngo",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture()
def services(app):
    return current_services()


def post(client, api_headers, payload, **kw):
    return client.post("/api/jobs", json=payload, headers=api_headers, **kw)


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_posting_fits_the_model(name):
    payload = seed_job(name)
    draft, errors = jobs.validate(payload, REF, PLACES, BAMAKO)
    assert errors == {}
    assert draft is not None
    assert draft.category in REF.categories
    assert draft.apply.short()
    assert draft.deadline > datetime.now(UTC).timestamp()


@pytest.mark.parametrize(
    ("name", "districts", "regions", "category", "positions"),
    [
        ("000_1ea84158c4788bab", (), ("bamako",), "head-of-mission", 1),
        ("002_8a382579d41837d4", (), ("bamako",), "technical-advisor", 1),
        ("003_c89934d0fdaf02e4", ("sikasso", "bougouni", "koutiala"), (), "district-officer", 3),
        ("004_875f20e8bfb0a07d", ("niono", "macina"), (), "community-mobilizer", 2),
    ],
)
def test_seed_places_and_categories_resolve(name, districts, regions, category, positions):
    draft, _ = jobs.validate(seed_job(name), REF, PLACES, BAMAKO)
    assert (draft.districts, draft.regions) == (districts, regions)
    assert (draft.category, draft.positions) == (category, positions)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": None}, {"title"}),
        ({"title": "   "}, {"title"}),
        ({"title": "x" * 500}, {"title"}),
        ({"title": ["Infirmier"]}, {"title"}),
        ({"organization": 42}, {"organization"}),
        ({"category": "plombier"}, {"category"}),
        ({"category": None}, {"category"}),
        ({"districts": ["Nionoo"]}, {"districts"}),
        ({"districts": "Niono"}, {"districts"}),
        ({"districts": []}, {"districts"}),
        ({"districts": [None, 3]}, {"districts"}),
        ({"positions": 0}, {"positions"}),
        ({"positions": True}, {"positions"}),
        ({"positions": 10**30}, {"positions"}),
        ({"positions": 1.5}, {"positions"}),
        ({"deadline": "2020-01-01"}, {"deadline"}),
        ({"deadline": "demain"}, {"deadline"}),
        ({"deadline": 1750000000}, {"deadline"}),
        ({"deadline": "2999-01-01"}, {"deadline"}),
        ({"apply": None}, {"apply"}),
        ({"apply": {"email": "not-an-email"}}, {"apply"}),
        ({"apply": {"fax": "123"}}, {"apply"}),
        ({"apply": {}}, {"apply"}),
        ({"source_url": "ftp://x"}, {"source_url"}),
        ({"publish": "yes"}, {"publish"}),
        (
            {"title": None, "districts": ["Atlantis"], "deadline": "2001-01-01"},
            {"title", "districts", "deadline"},
        ),
    ],
)
def test_validation_names_each_invalid_field(changes, fields):
    draft, errors = jobs.validate(body(**changes), REF, PLACES, BAMAKO)
    assert draft is None
    assert set(errors) == fields


def test_unknown_place_is_named_in_the_error():
    _, errors = jobs.validate(body(districts=["Niono", "Nionoo"]), REF, PLACES, BAMAKO)
    assert english(errors["districts"]) == "unknown district or region: Nionoo"


@pytest.mark.parametrize(
    ("places", "districts", "regions"),
    [
        (["niono"], ("niono",), ()),
        (["NIONO", "Ke-Macina"], ("niono", "macina"), ()),
        (["Ségou"], ("segou",), ()),  # the district: a region needs saying
        (["Région de Ségou"], (), ("segou",)),
        (["Bamako"], (), ("bamako",)),  # only a region has this name
        (["Commune IV", "commune-5"], ("commune-4", "commune-5"), ()),
        (["Niono", "région de Ségou"], (), ("segou",)),  # the region covers Niono
    ],
)
def test_places_by_slug_or_name_accent_insensitive(places, districts, regions):
    draft, errors = jobs.validate(body(districts=places), REF, PLACES, BAMAKO)
    assert errors == {}
    assert (draft.districts, draft.regions) == (districts, regions)


@pytest.mark.parametrize(
    ("text", "tz", "expected", "has_time"),
    [
        ("2031-06-16T17:00", "Africa/Bamako", datetime(2031, 6, 16, 17, tzinfo=UTC), True),
        ("2031-06-16T17:00", "Africa/Lagos", datetime(2031, 6, 16, 16, tzinfo=UTC), True),
        ("2031-06-16T12:00Z", "Africa/Lagos", datetime(2031, 6, 16, 12, tzinfo=UTC), True),
        ("2031-06-16T17:00+02:00", "Africa/Bamako", datetime(2031, 6, 16, 15, tzinfo=UTC), True),
        ("2031-06-16", "Africa/Bamako", datetime(2031, 6, 16, 23, 59, tzinfo=UTC), False),
    ],
)
def test_deadline_parsing(text, tz, expected, has_time):
    now = datetime(2031, 1, 1, tzinfo=UTC).timestamp()
    assert jobs.parse_deadline(text, ZoneInfo(tz), now) == (int(expected.timestamp()), has_time)


# -- codes ----------------------------------------------------------------------------------


def test_codes_are_keypad_friendly_and_unique(services):
    codes = {jobs.claim_code(services, str(i), 2_000_000_000) for i in range(40)}
    assert len(codes) == 40
    assert all(re.fullmatch(r"J[2-9]{3}", c) for c in codes)


def test_codes_widen_when_three_digits_are_taken(services):
    for a in "23456789":
        for b in "23456789":
            for c in "23456789":
                services.store.claim_job_code(f"J{a}{b}{c}", "x", 2_000_000_000)
    assert re.fullmatch(r"J[2-9]{4}", jobs.claim_code(services, "1", 2_000_000_000))


# -- the API --------------------------------------------------------------------------------


def test_post_job_returns_id_code_and_matched(client, api_headers, services):
    for i in range(3):
        services.store.subscribe(f"+2237600000{i}", [Subscription(district="niono")])
    services.store.subscribe("+22376000009", [Subscription(district="kati")])
    resp = post(client, api_headers, body(publish=False))
    assert resp.status_code == 201
    data = resp.get_json()
    assert re.fullmatch(r"J[2-9]{3}", data["code"])
    assert data["matched"] == 3
    assert data["status"] == "draft"
    got = client.get(f"/api/jobs/{data['id']}", headers=api_headers).get_json()
    assert {
        "status",
        "matched",
        "queued",
        "sent",
        "delivered",
        "failed",
        "segments",
        "cost",
    } <= set(got)
    assert got["status"] == "draft" and got["sent"] == 0
    by_code = client.get(f"/api/jobs/{data['code'].lower()}", headers=api_headers)
    assert by_code.get_json()["code"] == data["code"]


def test_post_job_needs_the_token(client):
    assert client.post("/api/jobs", json=body()).status_code == 401


def test_400_names_each_invalid_field(client, api_headers):
    resp = post(client, api_headers, body(deadline="hier", districts=["Nionoo"]))
    assert resp.status_code == 400
    fields = resp.get_json()["fields"]
    assert set(fields) == {"deadline", "districts"}
    assert fields["districts"] == "unknown district or region: Nionoo"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b"42",
        b'"text"',
        b"[" * 60_000,
        b'{"title": }',
        b"\xff\xfe",
        json.dumps([body()]).encode(),
    ],
)
def test_a_body_that_is_not_an_object_is_400_naming_body(client, api_headers, raw):
    resp = client.post(
        "/api/jobs", data=raw, headers={**api_headers, "Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.get_json()["fields"] == {"body": "must be a JSON object"}


ODD_VALUES = [
    None,
    True,
    0,
    -1,
    1e308,
    10**100,
    [],
    {},
    [[]],
    {"a": 1},
    "",
    "x" * 60_000,
    "\ud800",
    "\x00",
    ["Niono"] * 500,
    float("nan"),
    [{"title": None}],
]


@pytest.mark.parametrize(
    "name",
    [
        "title",
        "organization",
        "category",
        "districts",
        "positions",
        "deadline",
        "apply",
        "source_url",
        "publish",
    ],
)
def test_no_field_value_makes_a_500(client, api_headers, name):
    for value in ODD_VALUES:
        payload = json.dumps({**body(), name: value}, allow_nan=True)
        resp = client.post(
            "/api/jobs", data=payload, headers={**api_headers, "Content-Type": "application/json"}
        )
        assert resp.status_code in (201, 400), (value, resp.get_data(as_text=True)[:300])
        if resp.status_code == 400:
            assert set(resp.get_json()["fields"]) == {name}, value


def test_unknown_job_is_404(client, api_headers):
    assert client.get("/api/jobs/999", headers=api_headers).status_code == 404
    assert client.post("/api/jobs/J999/close", headers=api_headers).status_code == 404


def test_list_close_and_cancel(client, api_headers):
    a = post(client, api_headers, body(publish=False)).get_json()
    b = post(client, api_headers, body(title="Sage-femme", category="midwife")).get_json()
    listed = client.get("/api/jobs", headers=api_headers).get_json()
    assert [j["id"] for j in listed["jobs"]] == [b["id"], a["id"]]  # newest first
    assert listed["jobs"][0]["places"] == ["Niono"]
    closed = client.post(f"/api/jobs/{b['id']}/close", headers=api_headers)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    again = client.post(f"/api/jobs/{b['id']}/cancel", headers=api_headers)
    assert again.status_code == 409
    cancelled = client.post(f"/api/jobs/{a['id']}/cancel", headers=api_headers)
    assert cancelled.get_json()["status"] == "cancelled"
    refused = client.post(f"/api/jobs/{a['id']}/publish", headers=api_headers)
    assert refused.status_code == 409
    assert "cancelled" in refused.get_json()["fields"]["status"]


# -- deadline and quiet hours ---------------------------------------------------------------


def at(local: str, tz: str = "Africa/Bamako") -> float:
    """Epoch seconds of a local Bamako date-time."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz)).timestamp()


@pytest.mark.parametrize(
    ("quiet", "now", "ends"),
    [
        (((21, 0), (7, 0)), "2031-03-10 22:15", "2031-03-11 07:00"),
        (((21, 0), (7, 0)), "2031-03-11 06:59", "2031-03-11 07:00"),
        (((21, 0), (7, 0)), "2031-03-11 07:00", None),
        (((21, 0), (7, 0)), "2031-03-11 20:59", None),
        (((21, 0), (7, 0)), "2031-03-11 21:00", "2031-03-12 07:00"),
        (((13, 0), (15, 30)), "2031-03-11 14:00", "2031-03-11 15:30"),
        (((13, 0), (15, 30)), "2031-03-11 16:00", None),
        (None, "2031-03-11 23:00", None),
    ],
)
def test_quiet_until(quiet, now, ends):
    window = "-".join(f"{h:02d}:{m:02d}" for h, m in quiet) if quiet else ""
    got = jobs.quiet_until(Settings(quiet_hours=window), at(now))
    assert got == (datetime.fromtimestamp(at(ends), UTC) if ends else None)


@pytest.fixture()
def night_app(redis, redis_server, at_server):
    """An app with real (async) queues and quiet hours, its clock at 22:00 in Bamako."""
    from app import create_app

    application = create_app(
        app_config(redis_server, at_server, QUIET_HOURS="21:00-07:00", RQ_SYNC=False)
    )
    with application.app_context():
        clock = {"now": at(f"{date.today() + timedelta(days=1)} 22:00")}
        current_services().store.clock = lambda: clock["now"]
        yield application, clock


def _work(services) -> None:
    queues = [services.queues[r] for r in ("replies", "alerts", "default")]
    SimpleWorker(queues, connection=services.rq_redis).work(burst=True)


def test_published_at_night_leaves_when_quiet_hours_end(night_app, at_server):
    app, clock = night_app
    services = current_services()
    services.store.subscribe("+22376000001", [Subscription(district="niono")])
    job, errors = jobs.create_job(services, body(publish=True))
    assert errors == {}
    assert job.status is jobs.JobStatus.SCHEDULED
    ends = datetime.fromtimestamp(clock["now"], BAMAKO).date() + timedelta(days=1)
    assert job.scheduled_for == int(at(f"{ends} 07:00"))
    registry = ScheduledJobRegistry(queue=services.queue("alerts"))
    [rq_id] = registry.get_job_ids()
    assert registry.get_scheduled_time(rq_id).timestamp() == job.scheduled_for
    _work(services)  # nothing is due: nothing leaves at night
    assert at_server.messages == []
    assert jobs.find_open_job(job.code) is None  # not open until published

    clock["now"] = job.scheduled_for + 1
    rq_job = Queue.fetch_job(services.queue("alerts"), rq_id)
    registry.remove(rq_job)
    services.queue("alerts").enqueue_job(rq_job)  # what the scheduler does when it is due
    _work(services)
    assert [m["to"] for m in at_server.messages] == ["+22376000001"]
    assert jobs.get_job(job.id).status is jobs.JobStatus.PUBLISHED


def test_a_job_published_at_night_whose_deadline_passes_first_is_refused(night_app):
    app, clock = night_app
    services = current_services()
    tomorrow = datetime.fromtimestamp(clock["now"], BAMAKO).date() + timedelta(days=1)
    job, errors = jobs.create_job(services, body(deadline=f"{tomorrow}T06:00", publish=True))
    assert job is None and "deadline" in errors


def test_publish_refuses_a_passed_deadline(app):
    services = current_services()
    job, _ = jobs.create_job(services, body(publish=False))
    later = job.deadline + 60
    _, errors = jobs.publish(services, job.id, now=later)
    assert "deadline" in errors
    assert jobs.get_job(job.id).status is jobs.JobStatus.DRAFT


# -- what subscribers see -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEEDS))
@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_alerts_of_every_seed_fit_one_gsm7_segment(app, name, lang):
    services = current_services()
    job, errors = jobs.create_job(services, seed_job(name, publish=False))
    assert errors == {}
    text = jobs.alert_text(job, lang)
    assert is_gsm7(text)
    assert count_segments(text).segments == 1
    assert job.code in text
    assert "\u00a0" not in text and "\u202f" not in text
    assert ("Gratuit, ne payez jamais." if lang == "fr" else "kana wari di abada") in text
    deadline = datetime.fromtimestamp(job.deadline, BAMAKO)
    assert deadline.strftime("%d/%m") in text  # the year goes first when room is short
    info = jobs.info_text(job, lang)
    assert is_gsm7(info) and count_segments(info).segments <= 2
    assert job.apply.short() in info


def test_alert_text_details(app):
    services = current_services()
    job, _ = jobs.create_job(services, seed_job("004_875f20e8bfb0a07d", publish=False))
    text = jobs.alert_text(job, "fr")
    day = datetime.fromtimestamp(job.deadline, BAMAKO).strftime("%d/%m/%Y")
    assert text == (
        f"Baara {job.code} : Mobilisateur Communautaire - AMCP-SP/ALIMA, Niono, "
        f"Macina. Date limite {day} 17h00. Gratuit, ne payez jamais. Pour postuler "
        f": INFO {job.code}"
    )
    region, _ = jobs.create_job(services, seed_job("002_8a382579d41837d4", publish=False))
    assert "Bamako" in jobs.alert_text(region, "fr")
    info = jobs.info_text(job, "fr")
    assert '"Candidature Mobilisateur Communautaire"' in info
    assert "recrutement@mali.alima.ngo" in info


def test_offer_item(app):
    services = current_services()
    job, _ = jobs.create_job(services, seed_job("004_875f20e8bfb0a07d", publish=False))
    # The alert's title (not the category's name), in every language.
    assert jobs.offer_item(job, "fr") == f"{job.code} Mobilisateur Communautaire, Niono, Macina"
    assert jobs.offer_item(job, "bm") == f"{job.code} Mobilisateur Communautaire, Niono, Macina"
    three, _ = jobs.create_job(services, seed_job("003_c89934d0fdaf02e4", publish=False))
    assert jobs.offer_item(three, "fr") == (
        f"{three.code} District Officer / Conseiller District, Sikasso et 2 autres"
    )


def test_find_open_job_any_case_and_only_while_open(app):
    services = current_services()
    job, _ = jobs.create_job(services, body(publish=True))
    digits = job.code[1:]
    for typed in (job.code, job.code.lower(), f"j {digits}", f" J-{digits} "):
        assert jobs.find_open_job(typed).id == job.id
    assert jobs.find_open_job("J111") is None
    assert jobs.find_open_job("hello") is None
    draft, _ = jobs.create_job(services, body(publish=False))
    assert jobs.find_open_job(draft.code) is None
    jobs.close(services, job.id)
    assert jobs.find_open_job(job.code) is None


def test_find_open_job_not_after_the_deadline(app):
    services = current_services()
    job, _ = jobs.create_job(services, body(publish=True))
    services.store.clock = lambda: job.deadline + 1
    assert jobs.find_open_job(job.code) is None


def test_open_jobs_for_a_subscriber(app):
    services = current_services()
    niono_nurse, _ = jobs.create_job(services, body(publish=True))
    segou_all, _ = jobs.create_job(
        services,
        body(title="Chauffeur", category="driver", districts=["Région de Ségou"], publish=True),
    )
    kati_nurse, _ = jobs.create_job(services, body(districts=["Kati"], publish=True))
    jobs.create_job(services, body(districts=["Niono"], publish=False))  # a draft
    closed, _ = jobs.create_job(services, body(publish=True))
    jobs.close(services, closed.id)

    def open_for(*subs: Subscription, status="active", limit=5) -> list[str]:
        sub = Subscriber(phone="+22376000001", subscriptions=subs)
        return [j.id for j in jobs.open_jobs_for(sub, limit=limit)]

    assert open_for(Subscription(district="niono")) == [segou_all.id, niono_nurse.id]
    assert open_for(Subscription(district="niono", category="nurse")) == [niono_nurse.id]
    assert open_for(Subscription(region="segou", category="driver")) == [segou_all.id]
    assert open_for(Subscription(region="koulikoro")) == [kati_nurse.id]
    assert open_for(Subscription(district="niono"), Subscription(district="kati"), limit=2) == [
        kati_nurse.id,
        segou_all.id,
    ]
    assert open_for(Subscription(district="kayes")) == []


# -- delivery reports -----------------------------------------------------------------------


def test_delivery_reports_count_once_whatever_the_order(app):
    services = current_services()
    store = services.store
    store.subscribe("+22376000001", [Subscription(district="niono")])
    store.subscribe("+22376000002", [Subscription(district="niono")])
    job, _ = jobs.create_job(services, body(publish=True))
    ref1, ref2 = f"alert:{job.id}:+22376000001", f"alert:{job.id}:+22376000002"
    assert jobs.record_delivery(services, ref1, "Success")
    assert not jobs.record_delivery(services, ref1, "Success")  # repeated
    assert not jobs.record_delivery(services, ref1, "Failed", "Rejected")  # late, contradicts
    assert not jobs.record_delivery(services, ref2, "Buffered")  # not final
    assert jobs.record_delivery(services, ref2, "Failed", "AbsentSubscriber")
    assert not jobs.record_delivery(services, ref2, "Success")
    assert not jobs.record_delivery(services, f"alert:{job.id}:+22376999999", "Success")
    assert not jobs.record_delivery(services, "out:12", "Success")
    stats = jobs.job_stats(services, job.id)
    assert (stats["sent"], stats["delivered"], stats["failed"]) == (2, 1, 1)
    assert stats["failures_by_reason"] == {"AbsentSubscriber": 1}


# -- the CLI --------------------------------------------------------------------------------


def test_cli_posts_a_job_from_a_file(app, tmp_path, at_server):
    services = current_services()
    services.store.subscribe("+22376000001", [Subscription(district="macina")])
    path = tmp_path / "job.json"
    path.write_text(json.dumps(seed_job("004_875f20e8bfb0a07d")), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["jobs", "post", str(path)])
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"id=(\d+) code=(J[2-9]{3}) status=published matched=1\n", result.output)
    assert match
    assert [m["to"] for m in at_server.messages] == ["+22376000001"]
    listed = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert match.group(2) in listed.output and "sent=1" in listed.output


def test_cli_names_invalid_fields_and_fails(app, tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps(body(districts=["Nionoo"], deadline="2001-01-01")))
    result = app.test_cli_runner().invoke(args=["jobs", "post", str(path)])
    assert result.exit_code != 0
    assert "districts: unknown district or region: Nionoo" in result.output
    assert "deadline:" in result.output
    path.write_text("{not json")
    result = app.test_cli_runner().invoke(args=["jobs", "post", str(path)])
    assert result.exit_code != 0 and "body" in result.output


def test_stopped_by_operator_is_remembered(app):
    # Used by the fan-out for 406 UserInBlacklist: the record says who stopped the number.
    store = current_services().store
    store.subscribe("+22376000001", [Subscription(district="niono")], language=Language.BM)
    assert store.stop("+22376000001", by=StoppedBy.OPERATOR).stopped_by is StoppedBy.OPERATOR
