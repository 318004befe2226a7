"""Prepare any text for SMS and USSD: GSM-7 transliteration, exact segment counts, budgets.

Why GSM-7 everywhere: one character outside the GSM 03.38 alphabet switches the whole SMS to
UCS-2, which cuts a segment from 160 to 70 characters and more than doubles what an alert costs.
French and Bamanankan text is therefore transliterated (ɛ -> è, ɔ -> ò, ɲ -> ñ, ç -> c, « » -> "...)
before it is counted or sent.

Counting follows the open-source Twilio message segment calculator
(github.com/TwilioDevEd/message-segment-calculator), with two documented choices:

* the empty text is one (empty) segment, as that calculator's ``segmentsCount`` reports;
* ``SegmentInfo.characters`` is ``len(text)``, i.e. Unicode code points (the calculator's
  ``numberOfUnicodeScalars``), not grapheme clusters and not septets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "Encoding",
    "Part",
    "SegmentInfo",
    "TooLong",
    "compose",
    "count_segments",
    "fits",
    "gsm7_length",
    "is_gsm7",
    "shorten_words",
    "to_gsm7",
]

# GSM 03.38 default alphabet; the ESC code (0x1B) is left out since it only introduces the
# extension table. Greek capitals are spelled as escapes so no Latin look-alike slips in.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these costs two septets (ESC + code).
GSM7_EXTENSION: frozenset[str] = frozenset("^{}\\[~]|€\f")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION

SINGLE_GSM7 = 160
MULTI_GSM7 = 153  # 7 septets go to the concatenation header (UDH)
SINGLE_UCS2 = 70
MULTI_UCS2 = 67  # 3 UTF-16 code units go to the concatenation header

_TRANSLIT: dict[str, str] = {
    # Bamanankan standard orthography: the open vowels and nasals have GSM-7 neighbours
    # that Malian readers already know from the older è/ò/ñ spelling.
    "ɛ": "è",
    "Ɛ": "E",  # È is not in GSM-7
    "ɔ": "ò",
    "Ɔ": "O",  # Ò is not in GSM-7
    "ɲ": "ñ",
    "Ɲ": "Ñ",
    "ŋ": "ng",
    "Ŋ": "Ng",
    # French letters outside GSM-7 (Ç, é, É, è, à are inside and kept).
    "ç": "c",
    "â": "a",
    "ê": "e",
    "î": "i",
    "ô": "o",
    "û": "u",
    "ë": "e",
    "ï": "i",
    "ÿ": "y",
    "À": "A",
    "Â": "A",
    "È": "E",
    "Ê": "E",
    "Ë": "E",
    "Î": "I",
    "Ï": "I",
    "Ô": "O",
    "Û": "U",
    "Ù": "U",
    "Ÿ": "Y",
    "œ": "oe",
    "Œ": "OE",
    # Bamanankan high-tone marks on vowels; é stays because it is GSM-7 anyway.
    "á": "a",
    "í": "i",
    "ó": "o",
    "ú": "u",
    "Á": "A",
    "Í": "I",
    "Ó": "O",
    "Ú": "U",
    # Typography that word processors and phones insert on their own.
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u02bb": "'",
    "\u2039": "'",
    "\u203a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2012": "-",
    "\u2015": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u2026": "...",
    "°": "o",
    "·": ".",
    "×": "x",
    "÷": "/",
    "\u2044": "/",  # fraction slash, what NFKD turns ½ into
    "\t": " ",
}

# French typesets a (narrow) no-break space inside guillemets; once « » become plain quotes
# those spaces would read as stray gaps: «\u00a0mot\u00a0» must become "mot".
_OPEN_QUOTE = re.compile(r"([«‹])[^\S\n]*")
_CLOSE_QUOTE = re.compile(r"[^\S\n]*([»›])")

# Placeholder for a removed character, so the spaces around it can be tidied afterwards.
_DROPPED = "\x00"
_DROPPED_RUN = re.compile(r"[ \x00]*\x00[ \x00]*")


def _fallback(ch: str) -> str:
    """Compatibility-decompose ch, strip combining marks and keep what maps into GSM-7."""
    out = []
    for base in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(base).startswith("M"):
            continue
        if base in _GSM7:
            out.append(base)
        elif base in _TRANSLIT:
            out.append(_TRANSLIT[base])
        elif unicodedata.category(base) == "Zs":
            out.append(" ")
    return "".join(out) or _DROPPED


def _convert_char(ch: str) -> str:
    """One code point to GSM-7 text, or the drop placeholder."""
    if ch in _GSM7:
        return ch
    mapped = _TRANSLIT.get(ch)
    if mapped is not None:
        return mapped
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category in ("Zl", "Zp"):
        return "\n"
    if category[0] in "CM":
        # Controls, invisible format characters (ZWJ, soft hyphen, BOM), stray combining marks
        # such as Bamanankan tones on ɛ/ɔ that NFC cannot compose: nothing to show.
        return _DROPPED
    return _fallback(ch)


def _tidy_drops(match: re.Match[str]) -> str:
    """Collapse the spaces around removed characters so '👋 Awa' does not leave a gap."""
    run = match.group(0)
    if " " not in run:
        return ""
    text, start, end = match.string, match.start(), match.end()
    at_line_start = start == 0 or text[start - 1] == "\n"
    at_line_end = end == len(text) or text[end] == "\n"
    return "" if at_line_start or at_line_end else " "


def to_gsm7(text: str) -> str:
    """Transliterate text into the GSM 03.38 alphabet (basic + extension), dropping the rest."""
    text = unicodedata.normalize("NFC", text)
    # A CR costs a septet and some handsets draw it as a box; LF is the SMS line break.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _OPEN_QUOTE.sub(lambda m: _TRANSLIT[m.group(1)], text)
    text = _CLOSE_QUOTE.sub(lambda m: _TRANSLIT[m.group(1)], text)
    converted = "".join(_convert_char(ch) for ch in text)
    if _DROPPED in converted:
        converted = _DROPPED_RUN.sub(_tidy_drops, converted)
    return converted


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic or extension table."""
    return all(ch in _GSM7 for ch in text)


def gsm7_length(text: str) -> int:
    """Septets needed for text in GSM-7 (extension characters count 2); ValueError otherwise."""
    length = 0
    for ch in text:
        if ch in GSM7_BASIC:
            length += 1
        elif ch in GSM7_EXTENSION:
            length += 2
        else:
            raise ValueError(f"not a GSM-7 character: {ch!r}")
    return length


class Encoding(StrEnum):
    """How an SMS is encoded on the air (a str: Encoding.GSM7 == "GSM-7")."""

    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SegmentInfo:
    """Encoding and size of one SMS body."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    per_segment: int  # capacity in units of each segment: 160/153 or 70/67
    characters: int  # len(text): Unicode code points


def _pack(widths: Sequence[int], capacity: int) -> int:
    """Segments needed when items of these widths are packed in order and never split."""
    segments, used = 1, 0
    for width in widths:
        if used + width > capacity:
            segments += 1
            used = 0
        used += width
    return segments


def count_segments(text: str) -> SegmentInfo:
    """Exact encoding, size and number of SMS segments for text as given (no transliteration)."""
    if is_gsm7(text):
        encoding = Encoding.GSM7
        widths = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi = SINGLE_GSM7, MULTI_GSM7
    else:
        encoding = Encoding.UCS2
        widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi = SINGLE_UCS2, MULTI_UCS2
    units = sum(widths)
    if units <= single:
        # Includes the empty text: one empty segment, as Twilio's calculator reports.
        return SegmentInfo(encoding, units, 1, single, len(text))
    # Packing rather than dividing: an ESC pair or a surrogate pair never straddles two parts,
    # so a part can carry one unit less than its capacity.
    return SegmentInfo(encoding, units, _pack(widths, multi), multi, len(text))


def fits(text: str, *, max_segments: int = 1, max_chars: int | None = None) -> bool:
    """True when text needs at most max_segments SMS and at most max_chars units (USSD)."""
    info = count_segments(text)
    if info.segments > max_segments:
        return False
    return max_chars is None or info.units <= max_chars


_TRAILING = " \t\n,;:-/(\"'"


def shorten_words(text: str, max_chars: int) -> str:
    """Cut text at a word boundary so that it plus '...' fits max_chars units."""
    if count_segments(text).units <= max_chars:
        return text
    text = text.rstrip()
    if count_segments(text).units <= max_chars:
        return text
    if max_chars < 3:
        raise ValueError(f"max_chars={max_chars} leaves no room for '...'")
    word_ends = [i for i in range(1, len(text)) if text[i].isspace() and not text[i - 1].isspace()]
    for end in reversed(word_ends):
        head = text[:end].rstrip(_TRAILING)
        if head and count_segments(head + "...").units <= max_chars:
            return head + "..."
    # Even the first word is too long: cut inside it, but visibly, with the ellipsis.
    head = text
    while head and count_segments(head + "...").units > max_chars:
        head = head[:-1]
    return head.rstrip(_TRAILING) + "..."


@dataclass(frozen=True)
class Part:
    """One piece of a composed message, with its fallbacks when the budget is tight."""

    text: str
    shorter: tuple[str, ...] = ()  # progressively shorter alternatives, tried in order
    optional: bool = False  # may be dropped once no shorter alternative is left
    priority: int = 0  # lower priority parts are shortened/dropped first

    def __post_init__(self) -> None:
        # A bare string here would silently become one alternative per letter.
        if isinstance(self.shorter, str):
            raise TypeError("Part.shorter must be a sequence of strings, not a string")
        object.__setattr__(self, "shorter", tuple(self.shorter))


class TooLong(ValueError):
    """The message cannot fit its budget even with every part at its shortest."""

    def __init__(self, message: str, *, text: str, info: SegmentInfo) -> None:
        super().__init__(message)
        self.text = text
        self.info = info


def compose(
    parts: Sequence[str | Part],
    *,
    max_segments: int = 1,
    sep: str = " ",
    max_chars: int | None = None,
) -> str:
    """Join parts as GSM-7 text, shortening or dropping optional parts until the budget fits."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    specs = [Part(p) if isinstance(p, str) else p for p in parts]
    # Every choice a part can take, longest first; None stands for "dropped".
    choices: list[list[str | None]] = []
    for spec in specs:
        options: list[str | None] = [to_gsm7(t) for t in (spec.text, *spec.shorter)]
        if spec.optional:
            options.append(None)
        choices.append(options)
    chosen = [0] * len(specs)
    glue = to_gsm7(sep)

    def render() -> str:
        texts = (choices[i][chosen[i]] for i in range(len(specs)))
        return glue.join(t for t in texts if t)

    while True:
        text = render()
        if fits(text, max_segments=max_segments, max_chars=max_chars):
            return text
        shrinkable = [i for i in range(len(specs)) if chosen[i] < len(choices[i]) - 1]
        if not shrinkable:
            info = count_segments(text)
            budget = f"{max_segments} segment(s)"
            if max_chars is not None:
                budget += f" and {max_chars} characters"
            raise TooLong(
                f"message needs {info.segments} segment(s) and {info.units} characters "
                f"even at its shortest; budget is {budget}",
                text=text,
                info=info,
            )
        # Lowest priority first; among equals the later part, since messages lead with
        # what matters most.
        victim = min(shrinkable, key=lambda i: (specs[i].priority, -i))
        chosen[victim] += 1
