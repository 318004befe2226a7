"""The USSD menu: the pure menu, table-driven; the webhook end to end; a crawler of every screen."""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from alerts.domain.places import Places
from alerts.store import Language, Source, Store, Subscription
from alerts.ussd.menu import screen, split_path
from alerts.ussd.state import (
    SESSION_TTL,
    Context,
    Frame,
    JobView,
    Kind,
    ResumeAlerts,
    SendJob,
    SetLanguage,
    State,
    StopAll,
    Subscribe,
    Unsubscribe,
    stack_to_json,
)
from config.reference import default_reference
from messages import ussd as ussd_texts
from messages.catalog import gettext
from messages.compose import gsm7_length, is_gsm7, to_gsm7
from tests.conftest import change_settings
from tests.support.drivers import next_id, ussd_form

CTX = Context(default_reference(), Places.default(), "*384*22#")
PHONE = "+22376123456"
FR = State(language=Language.FR, jobs=())
BM = State(language=Language.BM, jobs=())
NEW = State(jobs=())
KATI_ALL = Subscription(district="kati")
SEGOU_NURSE = Subscription(region="segou", category="nurse")
SUBSCRIBED = State(language=Language.FR, subscriptions=(KATI_ALL, SEGOU_NURSE), jobs=())
STOPPED = State(language=Language.FR, subscriptions=(KATI_ALL,), active=False, jobs=())
JOBS = tuple(
    JobView(
        code=f"J{n:03d}",
        title=title,
        organization="ALIMA",
        places=places,
        deadline="16/06/2026 17h00",
        mine=n < 3,
    )
    for n, (title, places) in enumerate(
        [
            ("Infirmier / Infirmière", ("Kati",)),
            ("Mobilisateurs communautaires", ("Niono", "Macina")),
            (
                "Conseiller(ère) Technique à l'Implémentation des Soins de Santé Primaires "
                "au niveau communautaire",
                ("Sikasso", "Bougouni", "Koutiala", "Kadiolo"),
            ),
            ("Chauffeur", ("Bamako",)),
            ("Sage-femme", ("Mopti",)),
            ("Médecin chef", ("Gao",)),
            ("Logisticien", ("Ségou",)),
            ("Chef de mission", ("Bamako",)),
        ],
        start=1,
    )
)
WITH_JOBS = State(language=Language.FR, subscriptions=(KATI_ALL,), jobs=JOBS)


def walk(state: State, text: str):
    return screen(state, split_path(text), CTX)


def assert_screen_ok(body: str) -> None:
    assert body.startswith(("CON ", "END ")), body
    assert is_gsm7(body), body
    assert gsm7_length(body) <= 160, (gsm7_length(body), body)


# -- the pure menu ------------------------------------------------------------------------

MENU_ROWS = [
    # (state, path, reply starts with, reply contains)
    ("new", "", "CON Baara", ["1 Francais", "2 Bamanankan"]),
    ("new", "1", "CON Langue enregistrée.", ["1 M'inscrire", "4 Langue / Kan"]),
    ("new", "7", "CON Choix invalide.", ["2 Bamanankan"]),
    ("fr", "", "CON Baara, emplois santé", ["1 M'inscrire", "2 Mes alertes", "3 Offres"]),
    ("fr", "1", "CON Choisissez la région", ["1 Kayes", "4 Ségou", "99 Suite", "0 Retour"]),
    ("fr", "1*99", "CON Choisissez la région", ["Bamako", "Écrire le nom du district"]),
    ("fr", "1*#", "CON Choisissez la région", ["Bamako"]),
    ("fr", "1*99*99", "CON Choix invalide.", ["Bamako"]),
    ("fr", "1*4", "CON Région Ségou", ["1 Toute la région", "2 Ségou", "7 Niono"]),
    ("fr", "1*4*7", "CON Quel métier, Niono ?", ["1 Toutes les offres", "99 Suite"]),
    ("fr", "1*4*1", "CON Quel métier, toute la région de Ségou ?", []),
    ("fr", "1*4*7*1", "CON Recevoir par SMS les offres pour Niono ?", ["1 Oui", "2 Non"]),
    ("fr", "1*4*7*1*1", "END C'est fait : les offres pour Niono", ["Service gratuit."]),
    ("fr", "1*4*7*1*2", "CON Quel métier, Niono ?", []),
    ("fr", "1*4*7*0", "CON Région Ségou", []),
    ("fr", "1*4*7*00", "CON Baara, emplois santé", []),
    ("fr", "1*4*7*1*00", "CON Baara, emplois santé", []),
    ("fr", "0", "CON Baara, emplois santé", []),
    ("fr", "00", "CON Baara, emplois santé", []),
    ("fr", "5", "CON Choix invalide.", ["1 M'inscrire"]),
    ("fr", "", "CON Baara", []),
    ("fr", "1*", "CON Choix invalide.", []),
    ("fr", "1*abc*", "CON Choix invalide.", []),
    ("fr", "1*kati", "CON Vous voulez dire", ["1 Kati (Koulikoro)", "2 Toute la région de Kouli"]),
    ("fr", "1*sikaso", "CON Vous voulez dire", ["Sikasso"]),
    ("fr", "1*bou", "CON Vous voulez dire", ["Bougouni (Sikasso)", "Bourem (Gao)"]),
    ("fr", "1*zzzz", "CON Nom inconnu, réessayez.", []),
    ("fr", "1*kati*1", "CON Quel métier, Kati ?", []),
    ("fr", "1*kati*2*1", "CON Recevoir par SMS les offres pour toute la région de Koulikoro", []),
    ("fr", "1*99*4", "CON Écrivez le nom de votre district", ["0 Retour"]),
    ("fr", "1*99*4*niono", "CON Vous voulez dire", ["1 Niono (Ségou)"]),
    ("fr", "1*99*4*12", "CON Nom inconnu", []),
    ("fr", "1*99*4*niono*0", "CON Écrivez le nom", []),
    ("fr", "1*7*kati", "CON Vous voulez dire", []),  # typed on a district list too
    ("fr", "2", "CON Vous n'avez aucune alerte.", ["1 M'inscrire"]),
    ("fr", "2*1", "CON Choisissez la région", []),
    (
        "subscribed",
        "2",
        "CON Vos alertes",
        ["1 Kati", "2 toute la région de Ségou (Infirmier", "3 Tout stopper"],
    ),
    ("subscribed", "2*2", "CON Retirer l'alerte toute la région de Ségou", ["1 Oui"]),
    ("subscribed", "2*2*1", "END Alerte retirée : toute la région de Ségou", []),
    ("subscribed", "2*2*2", "CON Vos alertes", []),
    ("subscribed", "2*3", "CON Tout stopper ?", ["1 Oui", "2 Non"]),
    (
        "subscribed",
        "2*3*1",
        "END C'est fait : vous ne recevrez plus d'alertes. Pour revenir, composez *384*22#.",
        [],
    ),
    ("stopped", "2", "CON Vous ne recevez plus d'alertes.", ["1 Les reprendre", "2 M'inscrire"]),
    ("stopped", "2*1", "END Vos alertes reprennent.", []),
    ("fr", "3", "CON Aucune offre ouverte", ["0 Retour"]),
    ("jobs", "3", "CON Offres ouvertes", ["1 Infirmier / Infirmière, Kati", "99 Suite"]),
    (
        "jobs",
        "3*1",
        "CON J001 Infirmier / Infirmière - ALIMA, Kati. Limite 16/06/2026",
        ["1 Recevoir par SMS"],
    ),
    ("jobs", "3*99*1", "CON J003 Conseiller(ère) Technique", ["1 Recevoir par SMS"]),
    ("jobs", "3*1*1", "END Les détails de l'offre J001 arrivent par SMS.", []),
    ("fr", "4", "CON Langue / Kan", ["1 Francais", "2 Bamanankan"]),
    ("fr", "4*2", "CON Kan: bamanankan.", ["1 Ka i tògò sèbèn", "4 Kan / Langue"]),
    ("fr", "4*2*00", "CON Baara, kènèya baaraw", []),
    ("bm", "", "CON Baara, kènèya baaraw", ["1 Ka i tògò sèbèn", "2 I ka cikanw"]),
    ("bm", "1", "CON Mara sugandi:", ["99 Ñèfè", "0 Segin 00 Daminè"]),
    ("bm", "1*4*7*1", "CON Niono baara kura ci i ma SMS fè wa?", ["1 òwò", "2 ayi"]),
    ("bm", "1*4*7*1*1", "END A kèra: Niono baara kura bèna ci i ma SMS fè.", []),
    ("bm", "7", "CON Sugandili ma ñè.", []),
]
STATES = {
    "new": NEW,
    "fr": FR,
    "bm": BM,
    "subscribed": SUBSCRIBED,
    "stopped": STOPPED,
    "jobs": WITH_JOBS,
}


@pytest.mark.parametrize(
    ("who", "path", "start", "contains"),
    MENU_ROWS,
    ids=[f"{r[0]}:{r[1] or 'dial'}" for r in MENU_ROWS],
)
def test_menu(who, path, start, contains):
    result = walk(STATES[who], path)
    assert result.body.startswith(start), result.body
    for text in contains:
        assert text in result.body, result.body
    assert_screen_ok(result.body)


EFFECT_ROWS = [
    ("new", "1", (SetLanguage(Language.FR),)),
    ("new", "2", (SetLanguage(Language.BM),)),
    ("fr", "4*2", (SetLanguage(Language.BM),)),
    ("fr", "1*4*7*1*1", (Subscribe(Subscription(district="niono")),)),
    ("fr", "1*4*1*1*1", (Subscribe(Subscription(region="segou")),)),
    ("fr", "1*kati*1*99*4*1", (Subscribe(Subscription(district="kati", category="nurse")),)),
    ("subscribed", "2*1*1", (Unsubscribe(KATI_ALL),)),
    ("subscribed", "2*3*1", (StopAll(),)),
    ("stopped", "2*1", (ResumeAlerts(),)),
    ("jobs", "3*2*1", (SendJob("J002"),)),
    # Looking around changes nothing.
    ("fr", "1*4*7*1", ()),
    ("fr", "1*4*7*1*2", ()),
    ("subscribed", "2*1*2", ()),
    ("subscribed", "2*3*0", ()),
    ("jobs", "3*2", ()),
]


@pytest.mark.parametrize(
    ("who", "path", "effects"), EFFECT_ROWS, ids=[f"{r[0]}:{r[1]}" for r in EFFECT_ROWS]
)
def test_effects(who, path, effects):
    assert walk(STATES[who], path).effects == effects


def test_bamanankan_screens_are_translated():
    home = walk(BM, "").body
    assert "M'inscrire" not in home and "Mes alertes" not in home
    assert "1 " in home and "4 Kan / Langue" in home
    assert "0 Segin" in walk(BM, "1").body
    switched = walk(FR, "4*2").body
    assert switched.startswith("CON Kan: bamanankan."), switched


def test_language_change_renders_the_rest_of_the_walk_in_the_new_language():
    result = walk(FR, "4*2*1")
    assert result.language is Language.BM
    assert "Choisissez" not in result.body and "0 Segin" in result.body


def test_every_page_of_a_long_list_shows_whole_options_and_loses_none():
    cats = default_reference().categories
    seen: list[str] = []
    path = "1*4*7"
    for _ in range(10):
        body = walk(FR, path).body
        assert_screen_ok(body)
        seen += [
            line.split(" ", 1)[1]
            for line in body.split("\n")
            if line[:1].isdigit() and not line.startswith(("0 ", "99 "))
        ]
        if "99 Suite" not in body:
            break
        path += "*99"
    assert seen == ["Toutes les offres", *(c.fr for c in cats.values())]


def test_an_invalid_answer_keeps_the_screen_and_the_page():
    for path in ("1*4*7*99", "1", "2", "1*kati", "1*4*7*1"):
        shown = walk(FR, path).body.split("\n")
        for wrong in ("42", "", "abc", "99"):
            if wrong == "99" and any(line.startswith("99 ") for line in shown):
                continue
            again = walk(FR, f"{path}*{wrong}").body.split("\n")
            # A word on a screen that takes a district name is an unknown name.
            assert again[0] in ("CON Choix invalide.", "CON Nom inconnu, réessayez."), again
            options = [line for line in shown if line[:1].isdigit()]
            assert [line for line in again if line[:1].isdigit()] == options
            # The heading stays when there is room for both.
            assert shown[0][4:] in again or sum(map(len, shown)) + 16 > 156


def test_numbers_are_per_page():
    first = walk(FR, "1*4*7*99").body.split("\n")
    option1 = next(line for line in first if line.startswith("1 "))[2:]
    result = walk(FR, "1*4*7*99*1")
    assert f"({option1})" in result.body, result.body


def test_only_the_last_answer_has_effects():
    # A language switch, then a subscription: the switch happened when it was answered.
    result = walk(FR, "4*1*1*4*7*1*1")
    assert result.effects == (Subscribe(Subscription(district="niono")),)
    assert walk(FR, "4*1*1*4*7*1").effects == ()


def test_resume_offer_restores_the_saved_screens():
    saved = walk(FR, "1*4*7*99").stack
    offered = replace_state(FR, first=Frame(Kind.RESUME, json.dumps(stack_to_json(saved))))
    first = screen(offered, [], CTX)
    assert first.body.startswith("CON Vous avez été coupé."), first.body
    assert "1 Oui" in first.body and "2 Non" in first.body
    assert screen(offered, ["1"], CTX).body == walk(FR, "1*4*7*99").body
    assert screen(offered, ["2"], CTX).body == walk(FR, "").body
    assert screen(offered, ["1", "0"], CTX).body == walk(FR, "1*4*7").body
    assert screen(offered, ["0"], CTX).body == first.body


def test_a_stale_or_corrupt_first_screen_falls_back_home():
    for frame in (
        Frame(Kind.DISTRICTS, "atlantis"),
        Frame(Kind.CONFIRM, "d:kati:astronaut"),
        Frame(Kind.RESUME, "not json"),
        Frame(Kind.CANDIDATES, "x:y"),
        Frame(Kind.RESUME, json.dumps([["districts", "atlantis", 0]])),
    ):
        state = replace_state(FR, first=frame)
        for path in ([], ["1"], ["abc"]):
            result = screen(state, path, CTX)
            assert_screen_ok(result.body)
            assert "Baara, emplois santé" in result.body or (
                frame.kind is Kind.RESUME and "coupé" in result.body
            ), result.body


def test_the_stack_stays_small_however_long_the_call():
    result = walk(FR, "*".join(["1"] + ["99", "0"] * 40 + ["99", "4", "99"]))
    assert len(result.stack) <= 20
    assert result.body == walk(FR, "1*99*4*99").body


def test_open_jobs_are_loaded_only_when_needed():
    assert not walk(State(language=Language.FR), "1*4").needs_jobs
    assert walk(State(language=Language.FR), "3").needs_jobs
    assert walk(State(language=Language.FR), "3*1*0").needs_jobs


def test_long_job_details_fit_one_screen_in_both_languages():
    for state in (WITH_JOBS, replace_state(WITH_JOBS, language=Language.BM)):
        for n, path in enumerate(("3*1", "3*2", "3*99*1"), start=1):
            body = walk(state, path).body
            assert_screen_ok(body)
            assert body.startswith(f"CON J00{n}"), body


def replace_state(state: State, **changes) -> State:
    from dataclasses import replace

    return replace(state, **changes)


# -- the store's call records -------------------------------------------------------------


def begin(store: Store, phone: str, session_id: str, known: str, new: str, ttl: int):
    """A new dial through the one round trip the webhook makes (flood control off)."""
    return store.ussd_request(
        phone, session_id, None, known, new, ttl, limit=0, window=60, metric="test"
    )[1:]


def step(store: Store, phone: str, session_id: str, answers: str, ttl: int):
    """An answer through the one round trip the webhook makes (flood control off)."""
    return store.ussd_request(
        phone, session_id, answers, "", "", ttl, limit=0, window=60, metric="test"
    )[1:]


def test_store_call_records(redis):
    store = Store(redis)
    store.subscribe(PHONE, [KATI_ALL], language=Language.BM)
    sub, call_, jobs = begin(store, PHONE, "a", "K", "N", 300)
    assert sub.language is Language.BM and call_ is None and jobs is None
    # The call was recorded on the way, beginning on the known caller's first screen.
    assert step(store, PHONE, "a", '["1"]', 300)[1] == ("a", "K", "[]", False)
    assert step(store, PHONE, "a", '["1","2"]', 300)[1] == ("a", "K", '["1"]', False)
    # Another call does not move this one's record, and finds it as it was.
    assert step(store, PHONE, "b", '["9"]', 300)[1] == ("a", "K", '["1","2"]', False)
    assert begin(store, PHONE, "b", "K", "N", 300)[1] == ("a", "K", '["1","2"]', False)
    assert step(store, PHONE, "a", '["1","2","3"]', 300)[1][2] == '["1","2"]'
    assert 290 < redis.ttl(f"ussd:{PHONE}") <= 300
    # Ended: never moved on again, and a new call records itself over it.
    store.end_ussd_call(PHONE, "a", "K", '["1","2","3"]', 300)
    step(store, PHONE, "a", '["1","2","3","4"]', 300)
    assert step(store, PHONE, "a", "[]", 300)[1] == ("a", "K", '["1","2","3"]', True)
    assert begin(store, PHONE, "c", "K", "N", 300)[1][3] is True
    assert step(store, PHONE, "c", '["1"]', 300)[1] == ("c", "K", "[]", False)
    # A new number begins on the other first screen; jobs snapshots follow their call.
    other = "+22366123456"
    begin(store, other, "x", "K", "N", 300)
    store.save_ussd_jobs(other, "x", '{"jobs": []}', 300)
    assert step(store, other, "x", '["3"]', 300)[1:] == (
        ("x", "N", "[]", False),
        ("x", '{"jobs": []}'),
    )
    # Dropping by session id leaves another call's record alone.
    store.drop_ussd_call(other, "y")
    assert redis.exists(f"ussd:{other}", f"ussd:jobs:{other}") == 2
    store.drop_ussd_call(other, "x")
    assert redis.exists(f"ussd:{other}", f"ussd:jobs:{other}") == 0
    with pytest.raises(ValueError):
        store.save_ussd_call(PHONE, "bad\nid", "K", "[]", 300)


# -- the webhook -------------------------------------------------------------------------


def dial(
    client, text: str = "", *, phone: str = PHONE, session: str | None = None, query: str = ""
) -> str:
    form = ussd_form(session or next_id("ATUid"), phone, text)
    response = client.post(f"/ussd{query}", data=form)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert_screen_ok(body)
    return body


def call(client, *answers: str, phone: str = PHONE, session: str = "s1") -> list[str]:
    """A real call: AT sends the growing path, one answer at a time."""
    bodies = [dial(client, "", phone=phone, session=session)]
    for n in range(1, len(answers) + 1):
        bodies.append(dial(client, "*".join(answers[:n]), phone=phone, session=session))
    return bodies


def test_first_call_picks_the_language_and_later_calls_use_it(client, app):
    bodies = call(client, "2")
    assert "1 Francais" in bodies[0] and "2 Bamanankan" in bodies[0]
    assert "Kan: bamanankan." in bodies[1]
    store: Store = app.extensions["baara"].store
    sub = store.get_subscriber(PHONE)
    assert sub is not None and sub.language is Language.BM and sub.source is Source.USSD
    assert "0 Segin" not in dial(client, "") and "Francais" not in dial(client, "")


def test_a_ussd_subscription_shows_in_the_api_and_gets_alerts(client, app, at_server, api_headers):
    bodies = call(client, "1", "1", "4", "7", "1", "1")  # French, subscribe, Ségou, Niono, all
    assert bodies[-1].startswith("END C'est fait : les offres pour Niono")
    api = client.get(f"/api/subscribers/{PHONE}", headers=api_headers).get_json()
    assert api["source"] == "ussd" and api["language"] == "fr" and api["status"] == "active"
    assert [s["district"]["slug"] for s in api["subscriptions"]] == ["niono"]

    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Mobilisateur communautaire",
            "organization": "AMCP-SP/ALIMA",
            "category": "community-mobilizer",
            "districts": ["Niono"],
            "deadline": deadline,
            "apply": "recrutement@mali.alima.ngo",
            "publish": True,
        },
    )
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    assert at_server.wait_for(1, timeout=10)
    texts = [m["message"] for m in at_server.messages_to(PHONE)]
    assert any(code in t for t in texts), texts


def test_manage_alerts_remove_one_and_stop_all(client, app):
    store: Store = app.extensions["baara"].store
    store.subscribe(PHONE, [KATI_ALL, SEGOU_NURSE], language=Language.FR)
    bodies = call(client, "2", "1", "1")
    assert "1 Kati" in bodies[1] and "3 Tout stopper" in bodies[1]
    assert bodies[-1].startswith("END Alerte retirée : Kati")
    assert store.get_subscriber(PHONE).subscriptions == (SEGOU_NURSE,)
    bodies = call(client, "2", "2", "1", session="s2")
    assert bodies[-1].startswith("END C'est fait : vous ne recevrez plus d'alertes.")
    assert not store.get_subscriber(PHONE).active
    bodies = call(client, "2", "1", session="s3")
    assert bodies[-1].startswith("END Vos alertes reprennent.")
    assert store.get_subscriber(PHONE).active


def test_open_jobs_mine_first_details_and_sms(client, app, at_server, api_headers):
    store: Store = app.extensions["baara"].store
    store.subscribe(PHONE, [Subscription(district="niono")], language=Language.FR)
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    codes = {}
    for title, district in (
        ("Infirmier chef de poste", "Niono"),
        ("Chauffeur", "Kayes"),
        ("Sage-femme", "Mopti"),
    ):
        response = client.post(
            "/api/jobs",
            headers=api_headers,
            json={
                "title": title,
                "organization": "ALIMA",
                "category": "other",
                "districts": [district],
                "deadline": deadline,
                "apply": "recrutement@example.org",
                "publish": True,
            },
        )
        assert response.status_code == 201, response.get_json()
        codes[title] = response.get_json()["code"]
    at_server.wait_for(1)
    at_server.clear()
    bodies = call(client, "3", "1", "1")
    lines = bodies[1].split("\n")
    # Mine first, then everywhere else newest first.
    assert lines[1].startswith("1 Infirmier chef de poste, Niono"), bodies[1]
    assert lines[2].startswith("2 Sage-femme, Mopti") and lines[3].startswith("3 Chauffeur")
    code = codes["Infirmier chef de poste"]
    assert bodies[2].startswith(f"CON {code} Infirmier chef de poste - ALIMA, Niono.")
    assert bodies[3].startswith(f"END Les détails de l'offre {code} arrivent par SMS.")
    assert at_server.wait_for(1)
    assert code in at_server.messages_to(PHONE)[0]["message"]


def test_a_job_closed_meanwhile_is_not_sent(client, app, at_server, api_headers):
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Chauffeur",
            "organization": "ALIMA",
            "category": "driver",
            "districts": ["Kayes"],
            "deadline": deadline,
            "apply": "a@b.org",
            "publish": True,
        },
    )
    job_id = response.get_json()["id"]
    dial(client, "1", session="j")  # French
    dial(client, "1*3", session="j")
    assert dial(client, "1*3*1", session="j").startswith("CON J")
    assert client.post(f"/api/jobs/{job_id}/close", headers=api_headers).status_code == 200
    assert dial(client, "1*3*1*1", session="j") == "END Cette offre n'est plus ouverte."


def test_a_call_cut_off_and_redialed_resumes(client, app):
    call(client, "1", "1", "4", "7", "99", session="first")  # cut off on Niono's page 2
    where = dial(client, "1*1*4*7*99", session="first")
    offer = dial(client, "", session="second")
    assert offer.startswith("CON Vous avez été coupé."), offer
    assert dial(client, "1", session="second") == where
    assert dial(client, "1*0", session="second") == dial(client, "1*4*7", session="x")


def test_declining_the_resume_offer_goes_home(client):
    call(client, "1", "1", "4", session="first")
    assert dial(client, "", session="second").startswith("CON Vous avez été coupé.")
    assert dial(client, "2", session="second").startswith("CON Baara, emplois santé")
    # Declined: the next call starts at home.
    assert dial(client, "", session="third").startswith("CON Baara, emplois santé")


def test_no_resume_after_a_finished_call_or_from_home(client):
    call(client, "1", "1", "4", "7", "1", "1", session="done")
    assert dial(client, "", session="next").startswith("CON Baara, emplois santé")
    call(client, "0", session="home")
    assert dial(client, "", session="again").startswith("CON Baara, emplois santé")


def test_the_offer_expires_with_the_session(client, app, redis):
    call(client, "1", "1", "4", session="first")
    ttl = redis.ttl(f"ussd:{PHONE}")
    assert 0 < ttl <= SESSION_TTL
    redis.delete(f"ussd:{PHONE}")  # what expiry does
    assert dial(client, "", session="second").startswith("CON Baara, emplois santé")


def test_end_of_session_event_clears_the_resume_point(client, redis):
    call(client, "1", "1", "4", session="first")
    response = client.post(
        "/ussd/events",
        data={
            "sessionId": "other",
            "phoneNumber": PHONE,
            "status": "Success",
            "serviceCode": "*384*22#",
            "networkCode": "61001",
            "date": "2026-01-01 10:00:00",
            "cost": "0",
            "input": "1*1*4",
            "durationInMillis": "1000",
            "hopsCount": "3",
            "lastAppResponse": "CON ...",
        },
    )
    assert response.status_code == 200
    assert redis.exists(f"ussd:{PHONE}")  # another session's event leaves it alone
    client.post(
        "/ussd/events", data={"sessionId": "first", "phoneNumber": PHONE, "status": "Incomplete"}
    )
    assert redis.exists(f"ussd:{PHONE}")  # cut off: keep it to resume
    client.post(
        "/ussd/events", data={"sessionId": "first", "phoneNumber": PHONE, "status": "Success"}
    )
    assert not redis.exists(f"ussd:{PHONE}")


@pytest.mark.parametrize("missing", ["sessionId", "serviceCode", "phoneNumber", "text"])
def test_missing_field_is_400_naming_it(client, missing):
    data = {
        "sessionId": "s",
        "serviceCode": "*384*22#",
        "phoneNumber": PHONE,
        "networkCode": "61001",
        "text": "",
    }
    del data[missing]
    response = client.post("/ussd", data=data)
    assert response.status_code == 400
    assert response.get_json()["field"] == missing


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phoneNumber", "not a phone"),
        ("phoneNumber", ""),
        ("sessionId", " "),
        ("sessionId", "x" * 500),
        ("text", "1*" * 1500),
        ("text", "*".join(["1"] * 150)),
    ],
)
def test_bad_field_is_400_naming_it(client, field, value):
    data = {"sessionId": "s", "serviceCode": "*384*22#", "phoneNumber": PHONE, "text": ""}
    data[field] = value
    response = client.post("/ussd", data=data)
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_events_missing_field_is_400_naming_it(client):
    response = client.post("/ussd/events", data={"sessionId": "s", "phoneNumber": PHONE})
    assert response.status_code == 400 and response.get_json()["field"] == "status"


def test_webhook_token_is_checked(app, client):
    change_settings(app, WEBHOOK_TOKEN="s3cret")
    data = {"sessionId": "s", "serviceCode": "*384*22#", "phoneNumber": PHONE, "text": ""}
    assert client.post("/ussd", data=data).status_code == 403
    assert client.post("/ussd?key=wrong", data=data).status_code == 403
    assert client.post("/ussd/events", data={**data, "status": "Success"}).status_code == 403
    assert client.post("/ussd?key=s3cret", data=data).status_code == 200


GARBAGE = [
    {"data": b"\x00\xff\xfe garbage", "content_type": "application/octet-stream"},
    {"json": {"sessionId": "s", "phoneNumber": PHONE, "text": ""}},
    {
        "data": "sessionId=s&phoneNumber=%2B22376123456&serviceCode=x&text=%FF%FE",
        "content_type": "application/x-www-form-urlencoded",
    },
    {
        "data": {
            "sessionId": "s",
            "serviceCode": "*",
            "phoneNumber": PHONE,
            "text": "1*\u0000\u202e\U0001f600*ɛɔɲ*" + "é" * 50,
        }
    },
    {"data": {"sessionId": "s", "serviceCode": "*", "phoneNumber": PHONE, "text": "*" * 99}},
    {
        "data": {
            "sessionId": "s",
            "serviceCode": "*",
            "phoneNumber": PHONE,
            "text": "1*99999999999999999999999*-1*1.5*²*٣",
        }
    },
    {
        "data": {
            "sessionId": "s",
            "serviceCode": "*",
            "phoneNumber": PHONE,
            "text": "1*" + "kati " * 100,
        }
    },
    {"data": {"sessionId": ["a", "b"], "serviceCode": "*", "phoneNumber": PHONE, "text": "1"}},
]


@pytest.mark.parametrize("request_kwargs", GARBAGE)
def test_garbage_never_gets_a_5xx(client, request_kwargs):
    for path in ("/ussd", "/ussd/events"):
        response = client.post(path, **request_kwargs)
        assert response.status_code < 500, response.data
        if response.status_code == 200 and path == "/ussd":
            assert_screen_ok(response.get_data(as_text=True))


def test_a_corrupt_session_record_is_ignored(client, redis):
    junk_calls = (
        "not a record",
        "s\nnot json\n[]",
        's\n["nope","",0]\n["1"]',
        's\n["home","",0]\n{}',
        't\n["resume","garbage",0]\n["1"]',
        't\n["home","",0]\nnot json',
        "s\n\n",
    )
    junk_jobs = ("s\nnot json", 's\n{"lang": "fr", "jobs": [[1]]}', "garbage", "")
    for junk_call, junk_job in itertools.product(junk_calls, junk_jobs):
        for session, text in (("s", "3"), ("t", ""), ("s", "3*1")):
            redis.set(f"ussd:{PHONE}", junk_call)
            redis.set(f"ussd:jobs:{PHONE}", junk_job)
            assert dial(client, text, session=session).startswith("CON ")


def test_a_record_lost_mid_call_starts_over_from_home(client, redis):
    call(client, "1", "1", session="lost")  # French (a first call), subscribe
    redis.delete(f"ussd:{PHONE}")
    # Replayed from home now that the number speaks French: 1 regions, 1 Kayes, 4 Kéniéba.
    assert dial(client, "1*1*4", session="lost").startswith("CON Quel métier, Kéniéba ?")
    assert dial(client, "1*1*4*0", session="lost").startswith("CON Région Kayes")


def test_a_request_at_retries_changes_nothing_twice(client, app, at_server, api_headers):
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        "/api/jobs",
        headers=api_headers,
        json={
            "title": "Chauffeur",
            "organization": "ALIMA",
            "category": "driver",
            "districts": ["Kayes"],
            "deadline": deadline,
            "apply": "a@b.org",
            "publish": True,
        },
    )
    bodies = call(client, "1", "3", "1", "1", session="retry")  # French, jobs, the job, SMS
    assert bodies[-1].startswith("END Les détails")
    assert at_server.wait_for(1)
    # AT did not get our reply and asks again: the same screen, no second SMS.
    assert dial(client, "1*3*1*1", session="retry") == bodies[-1]
    time.sleep(0.3)
    assert len(at_server.messages_to(PHONE)) == 1
    # The next call starts afresh, and may ask again.
    assert call(client, "3", "1", "1", session="next")[-1] == bodies[-1]
    assert at_server.wait_for(2)


def test_storage_down_is_a_polite_end_not_a_5xx():
    from app import create_app
    from tests.conftest import free_port

    app = create_app(
        {"TESTING": True, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "WEBHOOK_TOKEN": ""}
    )
    response = app.test_client().post(
        "/ussd",
        data={"sessionId": "s", "serviceCode": "*384*22#", "phoneNumber": PHONE, "text": ""},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("END ") and is_gsm7(body) and len(body) <= 160


# -- the crawler -------------------------------------------------------------------------

CRAWL_DEPTH = 8


def _names() -> list[str]:
    ref = default_reference()
    names = [d.name for d in ref.districts.values()] + [r.name for r in ref.regions.values()]
    names += [n for c in ref.categories.values() for n in (c.fr, c.bm)]
    return sorted({to_gsm7(n) for n in names}, key=len, reverse=True)


NAMES = _names()


def template(body: str) -> str:
    """A screen with its place and category names masked: 'Quel métier, <> ?'."""
    for name in NAMES:
        body = body.replace(name, "<>")
    return body


def crawl(client, phone: str, typed: str, *, free_text: tuple[str, ...]) -> tuple[int, int]:
    """Breadth-first over every option of every screen, to CRAWL_DEPTH answers.

    Each screen is tried with its numbered options, 0, 00, 99 and one invalid answer, and the
    screens that take text (their heading contains one of `free_text`) with a district name.
    Screens that differ only by a place or category name are expanded once: the others are
    still fetched and checked, and test_every_place_and_category_fits covers them all.
    Returns (requests, screens expanded).
    """
    queue: deque[tuple[str, ...]] = deque([()])
    seen: set[str] = set()
    requests = 0
    while queue:
        path = queue.popleft()
        body = dial(client, "*".join(path), phone=phone, session="crawl")
        requests += 1
        shape = template(body)
        if shape in seen or body.startswith("END ") or len(path) >= CRAWL_DEPTH:
            continue
        seen.add(shape)
        lines = body[4:].split("\n")
        numbered = [line.split(" ", 1)[0] for line in lines if line.split(" ", 1)[0].isdigit()]
        answers = [n for n in numbered if n not in ("0", "00", "99")] + ["0", "00", "99", "77"]
        if any(word in body for word in free_text):
            answers.append(typed)
        for answer in answers:
            queue.append((*path, answer))
    return requests, len(seen)


@pytest.mark.parametrize("lang", ["fr", "bm"])
def test_crawler_finds_no_bad_screen(client, app, api_headers, at_server, lang):
    deadline = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    for n in range(12):
        client.post(
            "/api/jobs",
            headers=api_headers,
            json={
                "title": f"Conseiller(ère) Technique à l'Implémentation des Soins {n}",
                "organization": "Muso Health and Community Development Organization",
                "category": "technical-advisor",
                "districts": ["Sikasso", "Bougouni", "Koutiala"],
                "deadline": deadline,
                "apply": "recrutement@musohealth.org",
                "publish": True,
            },
        )
    store: Store = app.extensions["baara"].store
    phone = "+22376000011" if lang == "fr" else "+22366000022"
    store.subscribe(
        phone, [KATI_ALL, SEGOU_NURSE, Subscription(district="commune-4")], language=Language(lang)
    )
    # What marks a screen that takes text, as a reader of the screens would spot it.
    free_text = tuple(
        max(to_gsm7(gettext(lang, m)).split("{region}"), key=len).strip()
        for m in (ussd_texts.REGIONS_HEAD, ussd_texts.DISTRICTS_HEAD, ussd_texts.TYPE_HEAD)
    )
    # dial() checks every reply: HTTP 200, CON/END, GSM-7 only, at most 160 characters.
    requests, screens = crawl(
        client, phone, "kati" if lang == "fr" else "sikaso", free_text=free_text
    )
    print(lang, requests, screens, free_text)
    assert screens > 80 and requests > 600


@pytest.mark.parametrize("lang", list(Language))
def test_every_place_and_category_fits(lang):
    """Every subscription screen for every place and category: the crawler's masked screens."""
    ref = default_reference()
    state = State(language=lang, jobs=())

    def check(frames: tuple[Frame, ...], *answers: str) -> None:
        result = screen(replace_state(state, first=frames[-1]), answers, CTX)
        assert_screen_ok(result.body)
        assert result.stack[-1] != Frame(Kind.HOME), (frames, answers, result.body)

    for place in [f"d:{d}" for d in ref.districts] + [f"r:{r}" for r in ref.regions]:
        for answers in ((), ("77",), ("99",), ("99", "99"), ("99", "99", "99"), ("1",)):
            check((Frame(Kind.CATEGORIES, place),), *answers)
        for cat in ["*", *ref.categories]:
            code = f"{place}:{cat}"
            for kind in (Kind.CONFIRM, Kind.REMOVE):
                for answers in ((), ("77",), ("1",)):
                    check((Frame(Kind.ALERTS, code), Frame(kind, code)), *answers)
    for region in ref.regions:
        for answers in ((), ("99",), ("77",), ("zzzz",), ("1",)):
            check((Frame(Kind.DISTRICTS, region),), *answers)


def test_a_flooding_caller_is_answered_end_then_ignored(app, client):
    from messages import ussd as ussd_texts

    change_settings(app, USSD_RATE_LIMIT=5)
    phone = "+22376999001"
    bodies = []
    for i in range(8):
        response = client.post(
            "/ussd",
            data={
                "sessionId": f"flood-{i}",
                "serviceCode": "*384*22#",
                "phoneNumber": phone,
                "networkCode": "61001",
                "text": "",
            },
        )
        assert response.status_code == 200
        bodies.append(response.get_data(as_text=True))
    assert all(b.startswith("CON ") for b in bodies[:5])
    assert bodies[5:] == [ussd_texts.TOO_MANY] * 3
    # Another caller is not affected.
    other = client.post(
        "/ussd",
        data={
            "sessionId": "x",
            "serviceCode": "*384*22#",
            "phoneNumber": "+22376999002",
            "networkCode": "61001",
            "text": "",
        },
    )
    assert other.get_data(as_text=True).startswith("CON ")
