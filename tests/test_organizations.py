"""One list of organisations (config/organizations.yaml) for the SMS short names and the notice
importer: every entry the importer knows comes from it, every name of it is recognised in a
notice except the ones left out on purpose, and the loader checks the importer's fields too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.extract.notice import Notice
from alerts.extract.who import compile_organizations, recruiter
from alerts.extract.who import default_organizations as importer_list
from config.organizations import (
    ORGANIZATIONS_FILE,
    OrganizationsError,
    default_organizations,
    load_organizations,
)

LISTED = default_organizations()
KNOWN = importer_list()
NOTICE_NAMES = [(org, name) for org in LISTED.entries for name in org.notice_names()]
NAME_IDS = [f"{org.short}:{name}" for org, name in NOTICE_NAMES]
#: What a heading can be: the importer only takes a line of up to 80 characters for one.
HEADING_MAX = 80


def who(text: str, emails: list[str] | None = None) -> tuple[str, bool] | None:
    """(name written, sure) for a notice's text, or None."""
    found = recruiter(Notice(text), KNOWN, emails or [])
    return None if found is None else (found.name, found.sure)


def test_the_importer_knows_exactly_the_listed_organisations() -> None:
    assert [(o.short, o.name) for o in KNOWN] == [(o.short, o.posted_name) for o in LISTED.entries]
    assert not (Path(__file__).parents[1] / "config" / "notice_organizations.yaml").exists()


@pytest.mark.parametrize(("org", "name"), NOTICE_NAMES, ids=NAME_IDS)
def test_every_name_recruiting_in_a_notice_gives_the_posted_name(org, name) -> None:
    text = f"Avis de recrutement\n\nL'{name} recrute un infirmier pour Kati."
    assert who(text) == (org.posted_name, True)


@pytest.mark.parametrize(
    ("org", "name"),
    [(o, n) for o, n in NOTICE_NAMES if len(n) <= HEADING_MAX],
    ids=[i for i, (_, n) in zip(NAME_IDS, NOTICE_NAMES, strict=True) if len(n) <= HEADING_MAX],
)
def test_every_name_heading_a_notice_gives_the_posted_name(org, name) -> None:
    assert who(f"{name}\nAvis de recrutement\nUn infirmier (H/F)") == (org.posted_name, True)


SEED_POSTED = {"ALIMA": "ALIMA", "Muso": "Muso", "JIGI": "ONG JIGI", "AMCP-SP": "AMCP-SP"}


@pytest.mark.parametrize(("short", "posted"), SEED_POSTED.items(), ids=SEED_POSTED.keys())
def test_the_seed_recruiters_are_posted_as_before(short: str, posted: str) -> None:
    org = LISTED.find(short)
    assert org is not None and org.posted_name == posted


LEFT_OUT = {
    "who-english-heading": ("WHO WE ARE\nWe are looking for a nurse.", "WHO", "OMS"),
    "care-in-primary-health-care": ("PRIMARY HEALTH CARE\nSage-femme (H/F)", "CARE", "CARE"),
    "crm-system": (
        "Poste : gestionnaire de données\nMaîtrise du CRM exigée.",
        "CRM",
        "Croix-Rouge malienne",
    ),
    "hi-two-capitals": ("HI\nChauffeur (H/F)", "HI", "Handicap Intl"),
    "bm-muso-woman": ("N muso ni a cɛ bɛ se ka sɛbɛn ci.\nmuso bɛ baara kɛ", "Muso", "Muso"),
    "bm-jigi-hope": ("Jigi bɛ an na.\njigi ye baara ye", "JIGI", "JIGI"),
}


@pytest.mark.parametrize(("text", "name", "short"), LEFT_OUT.values(), ids=LEFT_OUT.keys())
def test_names_left_out_of_notices_still_give_the_sms_short_name(
    text: str, name: str, short: str
) -> None:
    org = LISTED.find(short)
    assert org is not None
    found = who(text)
    # Not recognised: nothing, or at most a capitalised heading taken as a flagged guess.
    assert found is None or (found[0] != org.posted_name and not found[1]), found
    assert LISTED.short_name(name) == short


DOMAINS = {
    "short-name": ("candidatures@alima.ngo", "ALIMA"),
    "one-word-alias": ("recrutement@tdh.ch", "Terre des hommes"),
    "acronym-alias": ("jobs@hki.org", "Helen Keller Intl"),
    "left-out-alias-still-a-domain": ("rh@crm.ml", "Croix-Rouge malienne"),
    "hyphen-in-domain": ("jobs@save-the-children.org", "Save the Children"),
}


@pytest.mark.parametrize(("email", "posted"), DOMAINS.values(), ids=DOMAINS.keys())
def test_an_application_domain_points_to_its_organisation(email: str, posted: str) -> None:
    assert who("Un infirmier (H/F)\nEnvoyer le dossier par e-mail.", [email]) == (posted, False)


BAD_FILES = {
    "posted-not-text": ("  - {short: A, name: Alpha, posted: [x]}\n", "malformed entry"),
    "not-in-notices-not-a-list": (
        "  - {short: A, name: Alpha, not_in_notices: X}\n",
        "malformed entry",
    ),
    "not-in-notices-unknown-name": (
        "  - {short: A, name: Alpha, aliases: [AL], not_in_notices: [ALF]}\n",
        r"not_in_notices of A lists \['ALF'\]",
    ),
    "posted-owned-by-another": (
        "  - {short: A, name: Alpha, posted: Beta Mali}\n"
        "  - {short: B, name: Beta, aliases: [Beta Mali]}\n",
        "names both A and B",
    ),
}


@pytest.mark.parametrize(("rows", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_the_importers_fields_are_checked_at_load(tmp_path: Path, rows: str, message: str) -> None:
    (tmp_path / ORGANIZATIONS_FILE).write_text("organizations:\n" + rows, encoding="utf-8")
    with pytest.raises(OrganizationsError, match=message):
        load_organizations(tmp_path)


def test_a_file_of_ones_own_compiles_for_the_importer(tmp_path: Path) -> None:
    (tmp_path / ORGANIZATIONS_FILE).write_text(
        "organizations:\n"
        "  - {short: Kènèya, name: ONG Kènèya Sigi, posted: Kènèya Sigi, aliases: [KS],\n"
        "     not_in_notices: [KS]}\n",
        encoding="utf-8",
    )
    known = compile_organizations(load_organizations(tmp_path))
    found = recruiter(Notice("L'ONG Kènèya Sigi recrute un infirmier."), known, [])
    assert found is not None and (found.name, found.sure) == ("Kènèya Sigi", True)
    assert recruiter(Notice("Avis : le KS recrute un infirmier."), known, []) is None
