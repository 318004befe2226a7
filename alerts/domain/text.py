"""Folding of typed text into matching keys (accents, Bamanankan letters, apostrophes)."""

from __future__ import annotations

import re
import unicodedata

# Letters NFD cannot decompose, plus the old Bamanankan spellings: ɲ is written ny or ñ, and
# ñ must become ny before NFD would turn it into a bare n.
_LETTERS = str.maketrans(
    {
        "ɛ": "e",
        "ɔ": "o",
        "ɲ": "ny",
        "ñ": "ny",
        "ŋ": "ng",
        "œ": "oe",
        "æ": "ae",
        "ß": "ss",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ı": "i",
        # Apostrophe look-alikes that phones and word processors insert.
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "`": "'",
        "\u2032": "'",
        "\uff07": "'",
    }
)
_NOT_WORD = re.compile(r"[^\w']|_")
_SPACES = re.compile(r"\s+")
_TOKEN_SPLIT = re.compile(r"[\s']+")


def fold(text: str) -> str:
    """Return the accent-, case- and punctuation-insensitive matching key for typed text."""
    # NFC so a decomposed n + tilde still reaches the ñ -> ny rule; lower() so Ɛ Ɔ Ɲ Ŋ Ñ do too.
    text = unicodedata.normalize("NFC", text).lower().translate(_LETTERS)
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    """Fold text and split it into words on spaces and apostrophes."""
    return [t for t in _TOKEN_SPLIT.split(fold(text)) if t]


def key(text: str) -> str:
    """Return the phrase key used for exact lookups: folded tokens joined by single spaces."""
    return " ".join(tokens(text))
