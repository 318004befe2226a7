"""The words of every SMS and USSD screen: French that GSM-7 carries without dropping accents,
Bamanankan with one spelling of yes and no, every Bamanankan string marked for review.

The strings are found, not listed: every N_("...") in the modules that write SMS and USSD text,
so a string added tomorrow is checked too.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from alerts.domain.text import fold
from config.reference import default_reference
from messages import sms as sms_texts
from messages import ussd as ussd_texts
from messages.catalog import TRANSLATIONS, gettext
from messages.compose import GSM7_BASIC, GSM7_EXTENSION, to_gsm7

ROOT = Path(__file__).resolve().parent.parent
#: Modules whose strings are sent by SMS or shown on USSD screens.
SMS_USSD_MODULES = ["messages/sms.py", "messages/ussd.py", "messages/relay.py", "messages/alert.py"]
_GSM7 = GSM7_BASIC | GSM7_EXTENSION

#: French words that must lose an accent over GSM-7, and why no rewording avoids them.
ALLOWED = {
    "Français": ("Francais", "the language's own name on the bilingual first USSD screen"),
    "Dioïla": ("Dioila", "a district's name as the health ministry writes it"),
    "Abeïbara": ("Abeibara", "a district's name as the health ministry writes it"),
}


def msgids(module: str) -> list[str]:
    """Every literal marked N_() in a module, in order."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(arg.value)
    return list(dict.fromkeys(found))


SMS_USSD_IDS = [m for module in SMS_USSD_MODULES for m in msgids(module)]


def degraded_words(text: str) -> list[str]:
    """The words of text that the composer would change to fit GSM-7."""
    return [w for w in re.findall(r"[^\s,.;:!?()'\"/]+", text) if any(c not in _GSM7 for c in w)]


def test_the_scan_finds_the_strings() -> None:
    assert len(SMS_USSD_IDS) > 80
    assert sms_texts.STOPPED in SMS_USSD_IDS and ussd_texts.STOP_HEAD in SMS_USSD_IDS


@pytest.mark.parametrize("msgid", SMS_USSD_IDS, ids=[m[:40] for m in SMS_USSD_IDS])
def test_french_sms_and_ussd_strings_are_gsm7_native(msgid: str) -> None:
    french = gettext("fr", msgid)
    bad = [w for w in degraded_words(french) if w not in ALLOWED]
    assert not bad, f"{bad} would reach phones as {[to_gsm7(w) for w in bad]}: reword {french!r}"


@pytest.mark.parametrize("kind", ["districts", "regions", "categories", "languages"])
def test_french_names_in_sms_are_gsm7_native(kind: str) -> None:
    ref = default_reference()
    names = {
        "districts": [d.name for d in ref.districts.values()],
        "regions": [r.name for r in ref.regions.values()],
        "categories": [c.fr for c in ref.categories.values()],
        "languages": [ussd_texts.LANGUAGE_NAMES["fr"]],
    }[kind]
    bad = [w for n in names for w in degraded_words(n) if w not in ALLOWED]
    assert not bad, bad


def test_allowed_words_are_still_used_and_degrade_to_one_spelling() -> None:
    ref = default_reference()
    used = " ".join(
        [
            *(gettext("fr", m) for m in SMS_USSD_IDS),
            *ussd_texts.LANGUAGE_NAMES.values(),
            *(d.name for d in ref.districts.values()),
        ]
    )
    for word in ALLOWED:
        assert word in used, f"{word} is allowed but no longer used: drop it from ALLOWED"
        assert to_gsm7(word) == ALLOWED[word][0]


# -- Bamanankan ------------------------------------------------------------------------------------


@functools.cache
def bm_catalog():
    """The Bamanankan catalog as babel reads it (comments included)."""
    with (TRANSLATIONS / "bm" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="bm")


YES_NO = {"owo": "ɔwɔ", "awo": "ɔwɔ", "ayi": "ayi"}


@pytest.mark.parametrize("msgid", SMS_USSD_IDS, ids=[m[:40] for m in SMS_USSD_IDS])
def test_bamanankan_yes_and_no_have_one_spelling(msgid: str) -> None:
    text = gettext("bm", msgid)
    for word in re.findall(r"[\wɛɔɲŋƐƆƝŊ]+", text):
        if fold(word) in YES_NO:
            assert word == YES_NO[fold(word)], (word, text)


def test_yes_and_no_read_the_same_on_sms_and_ussd() -> None:
    question = sms_texts.confirm_place("bm", "NIONO")
    yes, no = ussd_texts.t(ussd_texts.YES, "bm"), ussd_texts.t(ussd_texts.NO, "bm")
    assert (yes, no) == ("òwò", "ayi")
    assert f"{yes} walima {no}" in question


@pytest.mark.parametrize("msgid", SMS_USSD_IDS, ids=[m[:40] for m in SMS_USSD_IDS])
def test_every_bamanankan_sms_and_ussd_string_is_marked_for_review(msgid: str) -> None:
    entry = bm_catalog()[msgid]
    assert entry is not None and entry.string, f"no Bamanankan for {msgid!r}"
    notes = " ".join([*entry.auto_comments, *entry.user_comments])
    assert "review: native speaker" in notes, msgid
