"""The application deadline: which date of the notice it is, and its hour if one is stated.

Regular expressions only *locate* dates ("vendredi 26 avril 2024", "10/06/2025", "19 Apr
2022", "June 5, 2026"); dateparser reads them, day first as Mali writes them. Which date is the
deadline is told by the words before it: "date limite", "au plus tard", "closing date" beat
"jusqu'au" (often the posting period), and "publié le" or "depuis" rule a date out.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import dateparser

from alerts.extract.notice import Notice

_MONTHS = (
    r"janv(?:ier)?|f[ée]v(?:r(?:ier)?)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|ao[uû]t|"
    r"sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?|"
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:tember)?|october|november|december"
)
_WEEKDAY = (
    r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)\s*,?\s*"
)
_DATE = re.compile(
    rf"(?:{_WEEKDAY})?(?:le\s+|the\s+)?"
    rf"(?P<text>(?:(?:\d{{1,2}}|1er|premier)(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?"
    rf"(?:,?\s+\d{{4}})?)"
    rf"|(?:(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)"
    rf"|(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}}))"
    rf"|(?:\d{{4}}-\d{{2}}-\d{{2}}))(?![\w/])",
    re.I,
)
_TIME = re.compile(
    r"^[\s,(]*(?:(?:à|a|at|avant|before|by|jusqu'à|jusqu'a|au plus tard à|-)\s*)?"
    r"(?:(?P<h>\d{1,2})\s*(?:heures?|h|:)\s*(?P<m>\d{2})?(?!\d)\s*(?P<ampm>[ap]\.?m\.?)?"
    r"|(?P<h2>\d{1,2})\s*(?P<ampm2>[ap]\.?m\.?)"
    r"|(?P<noon>midi|noon)|(?P<midnight>minuit|midnight))"
    r"\s*(?P<zone>GMT|UTC|TU|temps universel)?",
    re.I,
)
_STRONG = re.compile(
    r"date[\s-]+limite|au plus tard|avant le|avant la date|d[ée]lai|cl[ôo]ture|"
    r"closing|deadline|no later than|not later than|latest by|expire|expiry|"
    r"fin de (?:d[ée]p[ôo]t|r[ée]ception|candidature)|applications? (?:close|due)|"
    r"candidatures? (?:avant|jusqu)|re[çc]u(?:e|es|s)? jusqu|accept[ée]e?s? jusqu|"
    r"(?:received|accepted) until|before\b",
    re.I,
)
_WEAK = re.compile(r"jusqu'(?:au|à|a)|until|\bau\b|\bto\b|\bthrough\b|\bby\b", re.I)
#: "Les dossiers sont reçus au siège ... jusqu'au 8 janvier": "jusqu'au" about applications.
_APPLICATIONS = re.compile(
    r"dossiers?|candidatures?|applications?|re[çc]u|d[ée]p[ôo]t|d[ée]pos|envoy|submit|postul",
    re.I,
)
_NEVER = re.compile(
    r"publi[ée]|posted|publication|cr[ée]{1,2}e? le|depuis|since|n[ée]e? le|prise de (?:poste|"
    r"fonction)|start(?:ing)? date|d[ée]but|entr[ée]e en fonction|date de naissance|"
    r"immatricul|accord|d[ée]cret|arr[êe]t[ée]|du\s*$",
    re.I,
)
#: Dates looked at: a notice names a few dozen at most; junk text must not cost more.
MAX_DATES = 60
MAX_DAYS_AHEAD = 365
SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_DATES_FROM": "future",
}


@dataclass(frozen=True)
class Deadline:
    """The deadline found: local date, local time if stated, and how it was chosen."""

    day: date
    clock: time | None
    sure: bool

    def iso(self) -> str:
        """'2025-06-16T17:00', or '2025-06-10' when the notice gives no hour."""
        if self.clock is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()}T{self.clock.strftime('%H:%M')}"


def find_deadline(notice: Notice, tz: ZoneInfo, now: datetime) -> Deadline | None:
    """The deadline of the notice, or None when it states no date at all."""
    candidates: list[tuple[int, int, Deadline]] = []
    base = now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    for m in itertools.islice(_DATE.finditer(notice.text), MAX_DATES):
        day = _read(m.group("text"), base)
        # Over a year ahead is a project's end or a misprint, never an application deadline
        # (and Baara refuses it as one).
        if day is None or day > base.date() + timedelta(days=MAX_DAYS_AHEAD):
            continue
        start, sentence = notice.sentence_at(m.start())
        before = notice.text[max(start, m.start() - 90) : m.start("text")]
        score = 0
        if _STRONG.search(before):
            score = 3
        elif _WEAK.search(before[-25:]):
            score = 3 if _APPLICATIONS.search(notice.text[start : m.start()]) else 1
        if _NEVER.search(before[-40:]) and score < 3:
            continue
        clock = _clock(notice.text[m.end() : m.end() + 40], day, tz)
        candidates.append((score, m.start(), Deadline(day, clock, score == 3)))
    if not candidates:
        return None
    best = max(c[0] for c in candidates)
    chosen = [c for c in candidates if c[0] == best]
    if best == 0:
        # Nothing says "deadline": the latest date named is the likeliest, and only a guess.
        return max(chosen, key=lambda c: c[2].day)[2]
    if best < 3:
        return max(chosen, key=lambda c: c[2].day)[2]
    # The first strong mention (the notice's own header or its "how to apply"); the same day
    # stated again with its hour ("à 17h" in the how-to-apply) gives the hour.
    first = chosen[0][2]
    timed = [c[2] for c in chosen if c[2].day == first.day and c[2].clock is not None]
    return timed[0] if first.clock is None and timed else first


@functools.lru_cache(maxsize=512)
def _read(text: str, base: datetime) -> date | None:
    """One located date through dateparser, day first (base: today, for a date without year)."""
    text = re.sub(r"\b1er\b|\bpremier\b", "1", text, flags=re.I)
    parsed = dateparser.parse(
        text, languages=["fr", "en"], settings={**SETTINGS, "RELATIVE_BASE": base}
    )
    now = base
    if parsed is None or not 2000 <= parsed.year <= now.year + 5:
        return None
    return parsed.date()


def _clock(after: str, day: date, tz: ZoneInfo) -> time | None:
    """The hour written right after a date, in local time ('12H00 GMT' converted)."""
    m = _TIME.match(after)
    if m is None:
        return None
    if m.group("midnight"):
        # "avant minuit": the end of that day.
        return time(23, 59)
    if m.group("noon"):
        hour, minute = 12, 0
    else:
        hour = int(m.group("h") or m.group("h2"))
        minute = int(m.group("m") or 0)
        ampm = (m.group("ampm") or m.group("ampm2") or "").lower().replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    clock = time(hour, minute)
    if m.group("zone"):
        utc = datetime.combine(day, clock, ZoneInfo("UTC"))
        local = utc.astimezone(tz)
        if local.date() == day:
            clock = local.time().replace(second=0, microsecond=0)
    return clock
