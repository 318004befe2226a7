"""Gettext catalogs: French source strings, translated per language, rendered for SMS/USSD.

Source strings are French (the msgid); `fr` and `bm` catalogs live in
messages/translations/<lang>/LC_MESSAGES/messages.po. Bamanankan is written there in standard
orthography (ɛ, ɔ, ɲ, ŋ) so a native speaker can review it; the composer derives GSM-7.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("fr", "bm")
log = logging.getLogger(__name__)


def N_(msgid: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return msgid


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog for a language (built from the .po when no .mo is there yet)."""
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}")
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    mo, po = folder / "messages.mo", folder / "messages.po"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return Translations(fh, domain="messages")
    # Without `make catalogs` (a fresh checkout run some other way), compile in memory.
    log.warning("catalog %s: no up-to-date .mo, compiling %s in memory", lang, po)
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang if lang != "bm" else "bm")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain="messages")


def gettext(lang: str, msgid: str) -> str:
    """The translation of a French source string (itself when untranslated)."""
    return translations(lang).gettext(msgid)


def render(msgid: str, lang: str, **values: object) -> str:
    """Translate, then fill {placeholders}; the result still needs the composer for SMS."""
    return gettext(lang, msgid).format(**values)
