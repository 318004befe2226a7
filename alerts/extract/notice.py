"""A pasted notice, cleaned once: plain lines, sentences, and words with their folded keys.

Notices arrive copied from web pages, Word and PDF files: HTML tags, Markdown marks, no-break
spaces, curly quotes, table cells glued to their labels ("Titre du posteConseiller"). Every
field finder works on this one cleaned form, so each cleaning rule lives here once.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import cached_property

from alerts.domain.text import fold

_TAGS = re.compile(r"<[^<>\n]{1,200}>")
_MD_LINK = re.compile(r"\[([^\]\n]{0,300})\]\(([^)\s]{0,500})\)")
_MD_MARKS = re.compile(r"(?m)^\s{0,3}#{1,6}\s*|\*{1,3}|(?<!\w)_{1,3}|_{1,3}(?!\w)")
_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007\u2009\u200b\ufeff]+")
_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
#: Lines shorter than this are headings or labelled fields: a sentence never runs on past them.
SHORT_LINE = 60
_WORD = re.compile(r"[^\W_]+")
#: A lowercase letter directly followed by a capitalised word: two table cells glued together.
_GLUED = re.compile(r"(?<=[a-zà-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ])")


def clean(raw: str) -> str:
    """Plain text: no tags or Markdown marks, straight quotes, single spaces, tabs kept as ' : '."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = text.replace("\t", " : ")
    text = _TAGS.sub(" ", text)
    text = _MD_MARKS.sub("", text)
    text = text.translate(_QUOTES)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def unglue(text: str) -> str:
    """'Titre du posteConseiller' -> 'Titre du poste Conseiller' (cells pasted without a space)."""
    return _GLUED.sub(" ", text)


@dataclass(frozen=True)
class Word:
    """One word of the notice: as written, folded, and where it starts."""

    text: str
    key: str
    start: int
    end: int


@dataclass(frozen=True)
class Line:
    """One non-empty line, with its offset in Notice.text."""

    text: str
    start: int
    number: int  # among non-empty lines, from 0


@dataclass
class Notice:
    """The cleaned text of a notice and the views of it the finders share."""

    raw: str
    text: str = field(init=False)

    def __post_init__(self) -> None:
        self.text = clean(self.raw)

    @cached_property
    def lines(self) -> list[Line]:
        """Non-empty lines in order."""
        found: list[Line] = []
        offset = 0
        for part in self.text.split("\n"):
            if part.strip():
                found.append(Line(part, offset, len(found)))
            offset += len(part) + 1
        return found

    @cached_property
    def sentences(self) -> list[tuple[int, str]]:
        """(offset, sentence) pairs: split at . ! ? ; and at the end of a paragraph, a heading
        or a labelled line; a long line that stops mid-sentence (a PDF's wrapping) runs on."""
        found: list[tuple[int, str]] = []
        for start, block in self._blocks():
            pos = 0
            for m in _SENTENCE_END.finditer(block):
                if block[pos : m.start()].strip():
                    found.append((start + pos, block[pos : m.start()]))
                pos = m.end()
            if block[pos:].strip():
                found.append((start + pos, block[pos:]))
        return found

    def _blocks(self) -> list[tuple[int, str]]:
        """Runs of lines that may share a sentence, with their offsets."""
        blocks: list[tuple[int, str]] = []
        start = None
        offset = 0
        for part in [*self.text.split("\n"), ""]:
            stripped = part.strip()
            if start is None and stripped:
                start = offset
            ends = not stripped or len(stripped) < SHORT_LINE or stripped[-1] in ".!?:;"
            if start is not None and ends:
                end = offset + len(part)
                blocks.append((start, self.text[start:end]))
                start = None
            offset += len(part) + 1
        return blocks

    @cached_property
    def words(self) -> list[Word]:
        """Every word (letters and digits), folded for lookups."""
        return [
            Word(m.group(0), fold(m.group(0)).replace(" ", ""), m.start(), m.end())
            for m in _WORD.finditer(self.text)
        ]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [start for start, _sentence in self.sentences]

    @cached_property
    def _line_starts(self) -> list[int]:
        return [line.start for line in self.lines]

    def sentence_at(self, offset: int) -> tuple[int, str]:
        """The sentence holding offset."""
        i = bisect.bisect_right(self._sentence_starts, offset) - 1
        return self.sentences[i] if i >= 0 else (0, "")

    def line_at(self, offset: int) -> Line | None:
        """The line holding offset."""
        i = bisect.bisect_right(self._line_starts, offset) - 1
        return self.lines[i] if i >= 0 else None
