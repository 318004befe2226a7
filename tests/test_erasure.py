"""Erasure erases: after DELETE, the number is nowhere in Redis, in any form.

The big test seeds every kind of activity a number can have (its own texts, a relay enrolling
it with its consent and a refusal, alerts and delivery reports, INFO, a USSD call, STOP and
START, a consent expiry queued in RQ, admin actions in the audit log, a message still in the
inbox, simulated SMS) and then reads the whole database with tests/traces.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

import pytest

from alerts.ops import erasure
from alerts.sending import tasks
from alerts.services import current_services
from alerts.sms import relays
from alerts.store import Language
from alerts.web import accounts
from config.reference import default_reference
from tests.conftest import work
from tests.support.drivers import deliver, sms, ussd
from tests.test_admin import login, make_account, token
from tests.traces import mentions, national_digits, number_traces

TARGET = "+22365904817"
RELAY, RELAY2 = "+22376000021", "+22376000031"
OTHER = "+22366000041"
ADMIN = ("admin@ngo.ml", "admin-password-1")
SOON = (date.today() + timedelta(days=20)).isoformat()

#: What the person texts, per language: the same life in French and in Bamanankan.
SPEECH = {
    "fr": {
        "subscribe": "Kati infirmier",
        "yes": "OUI",
        "no": "NON",
        "stop": "STOP",
        "start": "START",
        "list": "LISTE",
    },
    "bm": {
        "subscribe": "n b'a fɛ baara sɔrɔ Kati",
        "yes": "AWƆ",
        "no": "AYI",
        "stop": "A JƆ",
        "start": "A DAMINƐ",
        "list": "LISTE",
    },
}


@pytest.fixture()
def app(redis, redis_server, at_server):
    """Real queues: consent expiries wait in RQ's scheduled registry like in production."""
    from app import create_app
    from tests.conftest import app_config

    application = create_app(app_config(redis_server, at_server, RQ_SYNC=False))
    with application.app_context():
        yield application


def talk(client, phone: str, text: str) -> None:
    """An SMS, answered by the worker."""
    sms(client, phone, text)
    work()


def seed_a_life(app, client, at_server, api_headers, lang: str) -> dict:
    """Every kind of activity for TARGET, in its language; returns what the test checks."""
    said = SPEECH[lang]
    services = current_services()
    store = services.store
    ref = default_reference()
    relays.approve(store, ref, RELAY, ["niono", "macina"])
    relays.approve(store, ref, RELAY2, ["kati"])
    talk(client, OTHER, "NIONO")
    # A relay asks, in the international form; the person says no (refused:{relay}).
    talk(client, RELAY2, "INSCRIRE 0022365904817 KATI")
    talk(client, TARGET, said["no"])
    # Another relay asks in the spaced local form; the person says yes.
    talk(client, RELAY, "INSCRIRE 65 90 48 17 NIONO")
    talk(client, TARGET, said["yes"])
    talk(client, TARGET, said["subscribe"])
    # Published job: alerts to TARGET and OTHER, then delivery reports for all TARGET got.
    posted = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Mobilisateur communautaire",
            "organization": "ALIMA",
            "category": "community-mobilizer",
            "districts": ["Niono"],
            "positions": 2,
            "deadline": f"{SOON}T17:00",
            "apply": "rh@alima.ngo",
            "publish": True,
        },
    )
    assert posted.status_code == 201, posted.get_json()
    work()
    code = posted.get_json()["code"]
    talk(client, TARGET, f"INFO {code}")
    for message in at_server.messages_to(TARGET):
        deliver(client, message)
    ussd(client, "erase-s1", TARGET, "")
    ussd(client, "erase-s1", TARGET, "1")
    # An admin stops the number (audited with the full number), the person starts again.
    make_account(*ADMIN)
    admin = app.test_client()
    assert login(admin, *ADMIN).status_code == 302
    stopped = admin.post(f"/admin/subscribers/{TARGET}/stop", data={"csrf_token": token(admin)})
    assert stopped.status_code == 302
    talk(client, TARGET, said["start"])
    talk(client, TARGET, said["stop"])
    talk(client, TARGET, said["start"])
    # A third request, in yet another form, still waiting for an answer: its expiry is queued.
    talk(client, RELAY, "INSCRIRE +223 65.90.48.17 MACINA")
    pending = store.get_consent(TARGET)
    assert pending and pending["status"] == "pending"
    # A consent expiry queued by the previous release, with the number in its arguments.
    services.queue("default").enqueue_in(
        timedelta(hours=72), tasks.expire_consent, TARGET, "legacy1", job_id="consent-legacy1"
    )
    accounts.audit(store, "api", "note", "", detail=f"called back 65-90-48-17 ({RELAY})")
    store.record_simulated({"to": TARGET, "message": "Bienvenue"})
    store.record_simulated({"to": RELAY, "message": "Demande envoyée au 65904817"})
    # A message the worker has not handled yet.
    sms(client, TARGET, said["list"])
    return {"code": code, "pending": pending["id"], "job": posted.get_json()["id"]}


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_after_delete_the_number_is_nowhere_in_redis(
    app, client, at_server, api_headers, redis, lang
):
    seeded = seed_a_life(app, client, at_server, api_headers, lang)
    store = current_services().store
    assert store.get_subscriber(TARGET).language is Language(lang)
    relay_history = len(store.history(RELAY))
    before = number_traces(redis, TARGET)
    # The seeding reached every kind of record the erasure must find (else this test is weak).
    for family in (
        "'hist:+22365904817",
        f"'hist:{RELAY}",
        "'out:",
        "'gw:",
        "'fan:",
        "'idx:",
        "'refused:",
        "'consent:",
        "'consentid:",
        "'ussd:",
        "'seen:",
        "'adm:audit'",
        "'sim:sms'",
        "'inbox:sms'",
        "'rq:job:consent-legacy1'",
    ):
        assert any(family in trace for trace in before), (family, before)
    # Jobs queued by this release carry the consent id, never the number.
    assert not any(f"rq:job:consent-{seeded['pending']}" in t for t in before)

    response = client.delete(f"/api/subscribers/{quote('65 90 48 17')}", headers=api_headers)
    assert response.status_code == 204

    assert number_traces(redis, TARGET) == []
    # Everything else stays: the relay, its history (redacted), the neighbour, the job.
    assert store.get_relay(RELAY)["enrolled"] == 1
    history = store.history(RELAY)
    assert len(history) == relay_history
    assert any(erasure.MASK in entry["text"] for entry in history)
    assert store.get_subscriber(OTHER).active
    assert store.get_subscriber(TARGET) is None
    stats = client.get(f"/api/jobs/{seeded['job']}", headers=api_headers).get_json()
    assert stats["sent"] >= 2 and stats["delivered"] >= 1
    # The audit log keeps every entry, the number replaced by its salted hash.
    hashed = erasure.audit_token(app.config["SECRET_KEY"], TARGET)
    log = store.audit_log()
    assert ("subscriber_erased", hashed) in [(e["action"], e.get("phone")) for e in log]
    assert ("subscriber_stopped", hashed) in [(e["action"], e.get("phone")) for e in log]
    assert any(e["action"] == "note" and hashed in e["detail"] for e in log)
    # The queued work runs without bringing the number back.
    assert tasks.lapse_consent(seeded["pending"]) == 0
    work()
    assert number_traces(redis, TARGET) == []
    # And the number may start afresh.
    talk(client, TARGET, SPEECH[lang]["subscribe"])
    assert store.get_subscriber(TARGET) is not None


def test_admin_erasure_scrubs_the_same(app, client, at_server, api_headers, redis) -> None:
    seed_a_life(app, client, at_server, api_headers, "fr")
    admin = app.test_client()
    assert login(admin, *ADMIN).status_code == 302
    erased = admin.post(
        f"/admin/subscribers/{TARGET}/erase", data={"csrf_token": token(admin), "confirm": "y"}
    )
    assert erased.status_code == 302
    assert number_traces(redis, TARGET) == []


def test_delete_of_a_number_only_others_mention_scrubs_and_answers_204(
    app, client, api_headers, redis
) -> None:
    store = current_services().store
    store.add_history(RELAY, "in", "INSCRIRE 65 90 48 17 NIONO")
    assert number_traces(redis, TARGET)
    response = client.delete(f"/api/subscribers/{TARGET}", headers=api_headers)
    assert response.status_code == 204
    assert number_traces(redis, TARGET) == []
    assert store.history(RELAY)[0]["text"] == f"INSCRIRE {erasure.MASK} NIONO"
    again = client.delete(f"/api/subscribers/{TARGET}", headers=api_headers)
    assert again.status_code == 404


# -- the forms a number is written in ------------------------------------------------------

FORMS = [
    ("e164", "+22365904817"),
    ("without-plus", "22365904817"),
    ("double-zero", "0022365904817"),
    ("local", "65904817"),
    ("spaced", "65 90 48 17"),
    ("dotted", "65.90.48.17"),
    ("dashed", "65-90-48-17"),
    ("spaced-international", "+223 65 90 48 17"),
    ("url-encoded", "%2B22365904817"),
    ("in-json", '{"to":"+22365904817"}'),
    ("in-a-relay-text-fr", "INSCRIRE 65904817 NIONO"),
    ("in-a-relay-text-bm", "a sɛbɛn 65 90 48 17 Kati"),
    ("fullwidth", "６５９０４８１７"),
    ("arabic-indic", "٦٥٩٠٤٨١٧"),
    ("nko", "߆߅߉߀߄߈߁߇"),
    ("mixed-fullwidth-international", "+２２３ ６５ ９０ ４８ １７"),
]
NOT_IT = [
    ("longer-run", "165904817"),
    ("longer-tail", "659048170"),
    ("shorter", "6590481"),
    ("neighbour", "+22365904818"),
    ("timestamp", "1765904817"),
    ("other-country", "+33665904817"),
]


def _scrubbed(text: str) -> str:
    """What erasing TARGET makes of a line of a relay's history holding text."""
    store = current_services().store
    store.add_history(RELAY, "in", f"A {text} B")
    erasure.erase(current_services(), TARGET)
    return store.history(RELAY)[0]["text"]


@pytest.mark.parametrize("text", [t for _, t in FORMS], ids=[i for i, _ in FORMS])
def test_every_form_of_the_number_is_redacted(app, redis, text: str) -> None:
    after = _scrubbed(text)
    assert erasure.MASK in after and after.startswith("A ") and after.endswith(" B")
    assert number_traces(redis, TARGET) == []
    # The Python side (RQ's job data) finds the same forms.
    assert erasure.number_regex(TARGET).search(erasure.fold_digits(text.encode()))
    assert mentions(text.encode(), national_digits(TARGET))


@pytest.mark.parametrize("text", [t for _, t in NOT_IT], ids=[i for i, _ in NOT_IT])
def test_other_numbers_are_left_alone(app, text: str) -> None:
    assert _scrubbed(text) == f"A {text} B"
    assert not erasure.number_regex(TARGET).search(erasure.fold_digits(text.encode()))


def test_audit_hash_is_keyed_by_the_secret() -> None:
    one = erasure.audit_token("secret-one", TARGET)
    assert one == erasure.audit_token("secret-one", TARGET)
    assert one != erasure.audit_token("secret-two", TARGET)
    assert one != erasure.audit_token("secret-one", OTHER)
    assert "65904817" not in one and one.startswith("h:")


# -- what becomes of each kind of record ---------------------------------------------------

T, N = TARGET, OTHER  # the erased number, a neighbour who keeps everything


def _seed_record(redis, key: str, kind: str, value) -> None:
    if kind == "string":
        redis.set(key, value)
    elif kind == "hash":
        redis.hset(key, mapping=value)
    elif kind == "list":
        redis.rpush(key, *value)
    elif kind == "set":
        redis.sadd(key, *value)
    redis.expire(key, 3600)


def _read_record(redis, key: str, kind: str):
    if not redis.exists(key):
        return None
    return {
        "string": redis.get,
        "hash": redis.hgetall,
        "set": redis.smembers,
        "list": lambda k: redis.lrange(k, 0, -1),
    }[kind](key)


RECORDS = [
    ("alert-delivery-ref", "gw:ATXid_1", "string", f"alert:3:{T}", None),
    ("reply-delivery-ref-kept", "gw:ATXid_2", "string", "out:abc", "out:abc"),
    ("consent-id", "consentid:abc123", "string", T, None),
    ("alert-batch", "fan:9:b:0", "string", f"fr|{T},{N}", f"fr|{N}"),
    ("alert-outcomes", "fan:9:st", "hash", {T: "s", N: "d"}, {N: "d"}),
    ("index", "idx:fr:d:niono:*", "set", {T, N}, {N}),
    ("refusals", f"refused:{RELAY}", "set", {T, N}, {N}),
    ("own-reply", "out:r1", "hash", {"phone": T, "text": "Bienvenue"}, None),
    (
        "relay-reply",
        "out:r2",
        "hash",
        {"phone": RELAY, "text": "Demande envoyée au 65904817."},
        {"phone": RELAY, "text": f"Demande envoyée au {erasure.MASK}."},
    ),
    (
        "consent-asked-by-the-erased-relay",
        f"consent:{N}",
        "hash",
        {"relay": T, "id": "x", "status": "pending"},
        None,
    ),
    (
        "job-contact-redacted-job-kept",
        "job:5",
        "hash",
        {"title": "Infirmier", "apply": "Appelez le 65 90 48 17"},
        {"title": "Infirmier", "apply": f"Appelez le {erasure.MASK}"},
    ),
    (
        "relay-history",
        f"hist:{RELAY}",
        "list",
        ['{"dir": "in", "text": "INSCRIRE 65.90.48.17 NIONO"}', '{"dir": "in", "text": "AIDE"}'],
        [
            f'{{"dir": "in", "text": "INSCRIRE {erasure.MASK} NIONO"}}',
            '{"dir": "in", "text": "AIDE"}',
        ],
    ),
    (
        "inbox-item-dropped",
        "inbox:sms",
        "list",
        [f'ok|{{"phone":"{T}","text":"LISTE"}}', f'ok|{{"phone":"{N}","text":"AIDE"}}'],
        [f'ok|{{"phone":"{N}","text":"AIDE"}}'],
    ),
    (
        "inbox-mention-redacted",
        "inbox:sms:dead",
        "list",
        [f'ok|{{"phone":"{N}","text":"appelle 0022365904817"}}'],
        [f'ok|{{"phone":"{N}","text":"appelle {erasure.MASK}"}}'],
    ),
    (
        "simulated-sms",
        "sim:sms",
        "list",
        [f'{{"to": "{T}", "message": "x"}}', f'{{"to": "{N}", "message": "y"}}'],
        [f'{{"to": "{N}", "message": "y"}}'],
    ),
    (
        "unrelated-kept",
        "job:6",
        "hash",
        {"title": "Sage-femme", "positions": "65904817000"},
        {"title": "Sage-femme", "positions": "65904817000"},
    ),
]


@pytest.mark.parametrize(
    ("key", "kind", "value", "after"), [r[1:] for r in RECORDS], ids=[r[0] for r in RECORDS]
)
def test_each_kind_of_record_is_deleted_or_redacted(app, redis, key, kind, value, after):
    _seed_record(redis, key, kind, value)
    current_services().store.erase_subscriber(TARGET)
    erasure.erase(current_services(), TARGET)
    assert _read_record(redis, key, kind) == after
    if after is not None:
        assert 0 < redis.ttl(key) <= 3600  # a redacted record keeps its expiry
    if after != value:  # (the scan is broader on purpose: it flags 65904817000 too)
        assert number_traces(redis, TARGET) == []


def test_the_audit_log_keeps_every_entry_with_the_hash(app, redis) -> None:
    store = current_services().store
    accounts.audit(store, "admin@ngo.ml", "subscriber_stopped", "10.0.0.1", phone=TARGET)
    accounts.audit(store, "admin@ngo.ml", "relay_approved", "10.0.0.1", phone=RELAY)
    erased = erasure.erase(current_services(), TARGET)
    log = store.audit_log()
    assert [e["action"] for e in log] == ["relay_approved", "subscriber_stopped"]
    assert log[1]["phone"] == erased.token and log[0]["phone"] == RELAY


# -- queued jobs carry ids, never numbers ---------------------------------------------------


@pytest.mark.parametrize("legacy", [False, True], ids=["lapse_consent", "legacy-expire_consent"])
def test_a_consent_expiry_job_holds_the_request_id_and_still_lapses_it(
    app, client, at_server, legacy
) -> None:
    services = current_services()
    store = services.store
    relays.approve(store, default_reference(), RELAY, ["niono"])
    talk(client, RELAY, "INSCRIRE 65 90 48 17 NIONO")
    request = store.get_consent(TARGET)
    scheduled = services.queue("default").scheduled_job_registry
    job = services.queue("default").fetch_job(f"consent-{request['id']}")
    assert job is not None and job.id in scheduled.get_job_ids()
    assert job.func_name == "alerts.sending.tasks.lapse_consent" and job.args == (request["id"],)
    told = len(at_server.messages_to(RELAY))
    if legacy:  # a job queued by the previous release, with the number
        assert tasks.expire_consent(TARGET, request["id"]) == 1
    else:
        assert job.perform() == 1
    assert store.get_consent(TARGET)["status"] == "expired"
    assert store.get_relay(RELAY)["expired"] == 1
    work()
    assert len(at_server.messages_to(RELAY)) == told + 1
    # Once lapsed, running it again does nothing.
    assert tasks.lapse_consent(request["id"]) == 0
