"""How a job reads: the alert's parts and separators, INFO J..., organisation short names, one
title everywhere (alert, OFFRES, INFO, USSD), own district first; French and Bamanankan.

Pure rows first (messages.alert), then the same rules end to end through the API, the SMS webhook
and the USSD menu with a real Redis and the loopback AT server.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from alerts.jobs import lifecycle as jobs
from alerts.store import Language, Subscription
from config.organizations import (
    MAX_SHORT,
    OrganizationsError,
    default_organizations,
    load_organizations,
)
from messages import alert
from messages import ussd as ussd_texts
from messages.compose import count_segments, is_gsm7, to_gsm7
from tests.fixtures.seed_jobs import SEEDS, seed_job
from tests.support.drivers import call, sms
from tests.test_admin import ADMIN, job_form, login, make_account, token

BAMAKO = ZoneInfo("Africa/Bamako")
PHONE = "+22376123456"
LANGS = ["fr", "bm"]
LONG_PLACES = [
    "Ouéléssébougou",
    "Andéramboukane",
    "Oussoubidiagna",
    "Gourma-Rharous",
    "Kalaban Coro",
    "Bandiagara",
    "Tin-Essako",
    "Almoustarat",
    "Niafunké",
    "Kolondiéba",
]

# -- the one title ------------------------------------------------------------------------------

TITLES = {
    "seed-000-country-and-gender": ("Chef.fe de Mission - Mali - H/F", "Chef.fe de Mission"),
    "seed-001-country-and-gender": (
        "Coordinateur.trice Médical.e - Mali - H/F",
        "Coordinateur.trice Médical.e",
    ),
    "seed-002-long-cut-after-a-word": (
        "Conseiller(ère) Technique à l'Implémentation des Soins de Santé Primaire",
        "Conseiller(ère) Technique...",
    ),
    "seed-003-parenthesis-goes-first": (
        "District Officer / Conseiller District (USAID Keneya Nieta)",
        "District Officer / Conseiller District",
    ),
    "seed-004-as-is": ("Mobilisateur Communautaire", "Mobilisateur Communautaire"),
    "gender-in-brackets": ("Infirmier (H/F)", "Infirmier"),
    "gender-reversed": ("Sage-femme F/H", "Sage-femme"),
    "short-parenthesis-kept": ("Infirmier (CSCom)", "Infirmier (CSCom)"),
    "spaces-collapsed": ("  Agent   de santé\tcommunautaire ", "Agent de santé communautaire"),
    "never-ends-on-de": (
        "Responsable du suivi et de l'évaluation des programmes de santé",
        "Responsable du suivi...",
    ),
    "english": (
        "Monitoring and Evaluation Officer for the Health Programme",
        "Monitoring and Evaluation Officer...",
    ),
    "mali-inside-kept": ("Chargé de programme Mali Nord", "Chargé de programme Mali Nord"),
}


@pytest.mark.parametrize(("title", "expected"), TITLES.values(), ids=TITLES.keys())
def test_display_title(title: str, expected: str) -> None:
    shown = alert.display_title(title)
    assert shown == expected
    assert len(shown) <= alert.TITLE_CHARS
    assert alert.display_title(shown) == shown  # the same title whichever surface cleans it
    if shown.endswith("..."):
        assert_whole_words(shown, title)


def assert_whole_words(text: str, *sources: str) -> None:
    """Every '...' in text follows a word that is whole in one of the sources."""
    source = " ".join(to_gsm7(" ".join(s.split())) for s in sources)
    for match in re.finditer(r"(\S+?)\.\.\.", text):
        word = match.group(1)
        assert re.search(rf"(?<!\S){re.escape(word)}(?=[\s,.;:)]|$)", source), (word, text)


# -- organisation short names -------------------------------------------------------------------

SHORT_NAMES = {
    "exact": ("ALIMA", "ALIMA"),
    "full-name": ("Alliance for International Medical Action", "ALIMA"),
    "accents-and-case": ("médecins sans frontières", "MSF"),
    "ong-prefix": ("ONG JIGI", "JIGI"),
    "association-prefix": ("Association JIGI", "JIGI"),
    "alias": ("Muso Health and Community Development Organization", "Muso"),
    "joint-posting": ("AMCP-SP/ALIMA", "AMCP-SP/ALIMA"),
    "joint-full-names": ("Alliance Médicale Contre le Paludisme / ALIMA", "AMCP-SP/ALIMA"),
    "joint-ampersand": ("ALIMA & Santé Sud", "ALIMA/Santé Sud"),
    "croix-rouge": ("Société de la Croix-Rouge malienne", "Croix-Rouge malienne"),
    "save-the-children": ("Save the Children International", "Save the Children"),
    "unknown": ("Organisation Non Gouvernementale Internationale", ""),
    "joint-with-unknown-too-long": ("ALIMA/Direction Régionale de la Santé de Ségou", ""),
}


@pytest.mark.parametrize(("name", "short"), SHORT_NAMES.values(), ids=SHORT_NAMES.keys())
def test_short_name_from_the_reference_file(name: str, short: str) -> None:
    assert default_organizations().short_name(name) == short


def test_reference_file_names_every_ngo_of_the_issue() -> None:
    orgs = default_organizations()
    for short in (
        "ALIMA",
        "AMCP-SP",
        "Muso",
        "JIGI",
        "IRC",
        "MdM",
        "UNICEF",
        "Croix-Rouge malienne",
        "Save the Children",
        "MSF",
        "Plan",
        "World Vision",
        "PSI",
        "Santé Sud",
    ):
        found = orgs.find(short)
        assert found is not None and found.short == short and found.name
    assert all(len(o.short) <= MAX_SHORT for o in orgs.entries)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "organizations:\n  - {short: A, name: Alpha, aliases: [X]}\n"
            "  - {short: B, name: Beta, aliases: [x]}\n",
            "names both A and B",
        ),
        ("organizations:\n  - {short: '', name: Alpha, aliases: []}\n", "1 to 24 characters"),
        ("organizations:\n  - {short: A, aliases: []}\n", "malformed entry"),
        ("orgs: []\n", "expected a list"),
    ],
    ids=["duplicate-alias", "empty-short", "no-name", "wrong-top-key"],
)
def test_reference_file_is_checked_at_load(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "organizations.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(OrganizationsError, match=message):
        load_organizations(tmp_path)


# -- the alert, pure ----------------------------------------------------------------------------


class Row(NamedTuple):
    title: str
    organization: str  # as the alert names it: the short name, or the full name
    places: list[str]
    apply: str
    apply_fits: bool | None  # None: whatever the budget decides
    code: str = "J482"


def _seed_row(name: str) -> Row:
    seed = SEEDS[name]
    apply = seed["apply"]
    short = jobs.Apply(**apply).short() if isinstance(apply, dict) else apply
    org = default_organizations().short_name(seed["organization"]) or seed["organization"]
    places = {
        "003_c89934d0fdaf02e4": ["Sikasso", "Bougouni", "Koutiala"],
        "004_875f20e8bfb0a07d": ["Niono", "Macina"],
    }.get(name, ["Bamako"])
    return Row(seed["title"], org, places, short, None)


ALERT_ROWS = {
    **{f"seed-{name[:3]}": _seed_row(name) for name in sorted(SEEDS)},
    "short-everything-apply-fits": Row(
        "Infirmier", "ALIMA", ["Kati"], "recrutement@alima.ngo", True
    ),
    "phone-to-apply-fits": Row("Sage-femme", "MSF", ["Mopti"], "76 12 34 56", True),
    "no-apply": Row("Chauffeur", "PSI", ["Kayes"], "", False),
    "long-apply-goes-to-info": Row(
        "Infirmier",
        "ALIMA",
        ["Kati"],
        "Dépôt des dossiers au bureau de l'ONG à Kati, route de "
        "Koulikoro, porte 12, du lundi au vendredi",
        False,
    ),
    "long-org-without-short-name": Row(
        "Mobilisateur communautaire",
        "Alliance for International Cooperation in Community Health",
        ["Niono"],
        "recrutement@example.org",
        None,
    ),
    "many-places": Row(
        "Agent de santé communautaire",
        "AMCP-SP/ALIMA",
        LONG_PLACES,
        "recrutement@example.org",
        None,
    ),
    "three-places": Row(
        "Conseiller district",
        "JIGI",
        ["Sikasso", "Bougouni", "Koutiala"],
        "recrutement@jigi.org",
        None,
    ),
    "long-title": Row(
        "Coordinateur.trice régional.e des programmes de nutrition et de santé "
        "maternelle et infantile dans les districts sanitaires",
        "UNICEF",
        ["Ségou", "Niono"],
        "recrutement@unicef.org",
        None,
    ),
    "everything-at-its-longest": Row(
        "Coordinateur·trice médical·e " * 6,
        "Organisation Non Gouvernementale Internationale " * 2,
        LONG_PLACES,
        "Envoyer CV et lettre de motivation à recrutement@exemple.org " * 5,
        False,
        "J99999",
    ),
}
#: What each language says in the fixed parts, as sent (GSM-7).
WORDS = {
    "fr": {
        "head": "Baara {code} : ",
        "deadline": "Date limite ",
        "apply": "Postuler : ",
        "details": "Détails : INFO {code}",
        "to_apply": "Pour postuler : INFO {code}",
        "free": "Gratuit, ne payez jamais.",
    },
    "bm": {
        "head": "Baara {code}: ",
        "deadline": "Laban don ",
        "apply": "Ka i tògò di: ",
        "details": "Kunnafoniw: INFO {code} ci.",
        "to_apply": "Ka i tògò di: INFO {code} ci.",
        "free": "A ye fu ye, kana wari di abada.",
    },
}


def render_alert(row: Row, lang: str) -> str:
    return alert.job_alert(
        lang,
        code=row.code,
        title=row.title,
        organization=row.organization,
        places=row.places,
        deadline="16/06/2026 17h00",
        deadline_short="16/06 17h00",
        apply=row.apply,
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("row", ALERT_ROWS.values(), ids=ALERT_ROWS.keys())
def test_alert_parts_separators_and_info(row: Row, lang: str) -> None:
    text = render_alert(row, lang)
    words = {k: v.format(code=row.code) for k, v in WORDS[lang].items()}
    assert is_gsm7(text) and count_segments(text).segments == 1, (count_segments(text), text)
    # "Baara J482 : title - organisation, places. Date limite ..."
    title = to_gsm7(alert.display_title(row.title))
    assert text.startswith(words["head"] + title + " - "), text
    rest = text[len(words["head"] + title + " - ") :]
    org = next(
        (
            o
            for o in map(to_gsm7, alert.organization_variants(row.organization))
            if rest.startswith(o + ", ")
        ),
        None,
    )
    assert org is not None, text
    assert "." + " " + words["deadline"] in text and "16/06" in text
    assert words["free"] in text
    # Every alert says how to get the details; the how-to-apply is there only beside it.
    assert f"INFO {row.code}" in text
    has_apply = row.apply and words["apply"] + to_gsm7(row.apply) + "." in text
    if row.apply_fits is not None:
        assert bool(has_apply) is row.apply_fits, text
    if has_apply:
        assert text.endswith(words["details"]), text
    elif row.apply:
        assert text.endswith((words["to_apply"], f"INFO {row.code}")), text
    else:
        assert text.endswith((words["details"], f"INFO {row.code}")), text
    assert_whole_words(text, row.title, row.organization)
    # Places: all of them, or the first ones and a count; never a cut name.
    assert to_gsm7(row.places[0]) in text or f"{len(row.places)} " in text


@pytest.mark.parametrize("lang", LANGS)
def test_three_places_never_read_and_1_other(lang: str) -> None:
    row = ALERT_ROWS["three-places"]
    texts = [
        render_alert(row, lang),
        *ussd_texts.job_detail(
            lang,
            code="J482",
            title=row.title,
            organization=row.organization,
            places=row.places,
            deadline="16/06/2026 17h00",
        ),
    ]
    assert not [t for t in texts if " 1 autres" in t or " 1 wèrèw" in to_gsm7(t)]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("row", ALERT_ROWS.values(), ids=ALERT_ROWS.keys())
def test_ussd_details_read_like_the_alert(row: Row, lang: str) -> None:
    variants = ussd_texts.job_detail(
        lang,
        code=row.code,
        title=row.title,
        organization=row.organization,
        places=row.places,
        deadline="16/06/2026 17h00",
    )
    title = to_gsm7(alert.display_title(row.title))
    assert all(v.startswith(f"{row.code} {title} - ") for v in variants), variants
    assert all(is_gsm7(v) for v in variants)
    for text in variants:
        assert_whole_words(text, row.title, row.organization)


# -- the same title and own district first, end to end --------------------------------------------

#: For each seed, a district of the job that is *not* its first place, to subscribe to.
OWN = {
    "003_c89934d0fdaf02e4": ("koutiala", "Koutiala"),
    "004_875f20e8bfb0a07d": ("macina", "Macina"),
}


def reply_to(client, at_server, phone: str, text: str) -> str:
    """Send one SMS to the webhook; the one reply it produced."""
    before = len(at_server.messages_to(phone))
    sms(client, phone, text, date="2026-05-03T06:04:45Z", linkId="")
    after = at_server.messages_to(phone)
    assert len(after) == before + 1, after[before:]
    return after[-1]["message"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_one_title_everywhere_and_own_district_first(
    client, app, at_server, api_headers, name: str, lang: str
) -> None:
    store = app.extensions["baara"].store
    slug, own = OWN.get(name, ("commune-3", "Bamako"))
    store.subscribe(PHONE, [Subscription(district=slug)], language=Language(lang))
    response = client.post("/api/jobs", json=seed_job(name), headers=api_headers)
    assert response.status_code == 201, response.get_json()
    code = response.get_json()["code"]
    title = to_gsm7(alert.display_title(SEEDS[name]["title"]))

    assert at_server.wait_for(1, timeout=10)
    (sent,) = [m["message"] for m in at_server.messages_to(PHONE)]
    assert f" {title} - " in sent and f"INFO {code}" in sent

    offers = reply_to(client, at_server, PHONE, "OFFRES")
    assert f"{code} {title}, {own}" in offers, offers
    info = reply_to(client, at_server, PHONE, f"INFO {code}")
    assert info.startswith(f"{code} {title} - "), info
    assert count_segments(info).segments <= 2

    home, jobs_list, detail = call(client, "alert-text", PHONE, "3", "1")
    label = f"{title}, {own}"
    assert f"1 {label if len(label) <= ussd_texts.OPTION_CHARS else title}\n" in jobs_list
    assert detail.startswith(f"CON {code} {title} - "), detail


# -- the short-name field on the API and the admin form --------------------------------------------

SHORT_FIELD = {
    "derived-from-alias": ("Muso Health and Community Development Organization", None, 201, "Muso"),
    "derived-empty-string": ("ONG JIGI", "", 201, "JIGI"),
    "derived-blank": ("ONG JIGI", "   ", 201, "JIGI"),
    "name-already-short": ("AMCP-SP/ALIMA", None, 201, None),
    "unknown-stays-full": ("Association Sahel Santé", None, 201, None),
    "given-wins": ("Médecins Sans Frontières Belgique", "MSF-B", 201, "MSF-B"),
    "given-trimmed": ("ALIMA", "  ALIMA Mali ", 201, "ALIMA Mali"),
    "too-long": ("ALIMA", "x" * (MAX_SHORT + 1), 400, "at most 24 characters"),
    "not-a-text": ("ALIMA", 42, 400, "must be a text"),
    "punctuation-only": ("ALIMA", "--/", 400, "must contain a letter or a digit"),
}


@pytest.mark.parametrize(
    ("organization", "short", "status", "expected"), SHORT_FIELD.values(), ids=SHORT_FIELD.keys()
)
def test_organization_short_on_the_api(
    client, app, api_headers, organization, short, status, expected
) -> None:
    body = {**seed_job("004_875f20e8bfb0a07d", publish=False), "organization": organization}
    if short is not None:
        body["organization_short"] = short
    response = client.post("/api/jobs", json=body, headers=api_headers)
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert response.get_json()["fields"]["organization_short"] == expected
        return
    job_id = response.get_json()["id"]
    job = client.get("/api/jobs?limit=1", headers=api_headers).get_json()
    shown = next(j for j in job["jobs"] if j["id"] == job_id)
    assert shown["organization_short"] == expected
    stored = jobs.get_job(job_id)
    for lang in LANGS:
        text = jobs.alert_text(stored, lang)
        assert f" - {to_gsm7(expected or organization)}, " in text, text
        # INFO names the organisation in full when the how-to-apply leaves room for it.
        info = jobs.info_text(stored, lang)
        assert f" - {to_gsm7(organization)}." in info or f" - {to_gsm7(expected)}." in info


def test_organization_short_on_the_admin_form(app, client) -> None:
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302

    def preview(**fields: str) -> dict:
        answer = client.post(
            "/admin/jobs/preview", data=job_form(**fields), headers={"X-CSRFToken": token(client)}
        )
        assert answer.status_code == 200
        return answer.get_json()

    found = preview(organization="Muso Health and Community Development Organization")
    assert all(" - Muso, " in lang["text"] for lang in found["languages"]), found
    given = preview(organization_short="Muso Mali")
    assert all(" - Muso Mali, " in lang["text"] for lang in given["languages"]), given
    assert "organization_short" in preview(organization_short="x" * 30)["errors"]
    page = client.get("/admin/jobs/new").get_data(as_text=True)
    assert 'name="organization_short"' in page


@pytest.mark.parametrize(
    ("short", "prefilled"),
    [(None, ""), ("Muso Mali", "Muso Mali")],
    ids=["looked-up-is-not-copied", "given-is-copied"],
)
def test_a_copied_job_carries_only_a_given_short_name(
    app, client, api_headers, short, prefilled
) -> None:
    body = {
        **seed_job("004_875f20e8bfb0a07d", publish=False),
        "organization": "Muso Health and Community Development Organization",
    }
    if short:
        body["organization_short"] = short
    job_id = client.post("/api/jobs", json=body, headers=api_headers).get_json()["id"]
    make_account(*ADMIN)
    assert login(client, *ADMIN).status_code == 302
    page = client.get(f"/admin/jobs/new?from={job_id}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="organization_short"[^>]*>', page).group(0)
    assert f'value="{prefilled}"' in field or (not prefilled and "value=" not in field), field


def test_deadline_keeps_its_year_when_there_is_room(app) -> None:
    job = jobs.Job(
        id="1",
        code="J482",
        title="Infirmier",
        organization="ALIMA",
        category="nurse",
        districts=("kati",),
        deadline=int(datetime(2026, 6, 16, 17, 0, tzinfo=BAMAKO).timestamp()),
        apply=jobs.Apply(email="a@alima.ngo"),
    )
    assert "Date limite 16/06/2026 17h00." in jobs.alert_text(job, "fr", tz=BAMAKO)


OWN_FIRST = {
    "district-subscriber": (
        (("sikasso", "bougouni", "koutiala"), ()),
        [Subscription(district="koutiala")],
        ["Koutiala", "Sikasso", "Bougouni"],
    ),
    "two-own-keep-posting-order": (
        (("sikasso", "bougouni", "koutiala"), ()),
        [Subscription(district="koutiala"), Subscription(district="bougouni")],
        ["Bougouni", "Koutiala", "Sikasso"],
    ),
    "region-subscriber-owns-its-districts": (
        (("kati", "niono", "macina"), ()),
        [Subscription(region="segou")],
        ["Niono", "Macina", "Kati"],
    ),
    "whole-region-posting-for-a-district-subscriber": (
        (("kati",), ("segou",)),
        [Subscription(district="niono")],
        ["Ségou", "Kati"],
    ),
    "category-subscription-counts": (
        (("niono", "macina"), ()),
        [Subscription(district="macina", category="nurse")],
        ["Macina", "Niono"],
    ),
    "nobody-own-posting-order": (
        (("niono", "macina"), ()),
        [Subscription(district="kayes")],
        ["Niono", "Macina"],
    ),
}


@pytest.mark.parametrize(("where", "subs", "expected"), OWN_FIRST.values(), ids=OWN_FIRST.keys())
def test_own_places_first(where, subs, expected) -> None:
    districts, regions = where
    job = jobs.Job(
        id="1",
        code="J482",
        title="Infirmier",
        organization="ALIMA",
        category="nurse",
        districts=districts,
        regions=regions,
        deadline=1,
        apply=jobs.Apply(email="a@alima.ngo"),
    )
    ref = jobs.current_reference()
    assert job.place_names_for(subs, ref) == expected
    assert sorted(job.place_names_for(subs, ref)) == sorted(job.place_names(ref))
