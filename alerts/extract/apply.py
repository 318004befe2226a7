"""How to apply, in one short line: the e-mail, phone, link or office, and the subject to quote.

Contacts count only near words about applying ("envoyer", "postuler", "candidature", "apply",
"CV"): a notice also gives its whistle-blowing address or head office. Phone numbers are found
by phonenumbers (Mali's plan), not by a pattern of ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from alerts.extract.notice import Notice

MAX_LINE = 160
#: Contacts of each kind looked at: a notice gives a handful; junk text must not cost more.
MAX_CANDIDATES = 30
EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}"
)
_URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+|\bwww\.[^\s<>\"')\]]+", re.I)
_CUES = re.compile(
    r"postul|candidat|envoy|adress|d[ée]pos|d[ée]p[ôo]t|dossier|\bcv\b|apply|application|"
    r"submit|send|email|e-mail|courriel|contact|recrutement|recruitment|formulaire|en ligne|"
    r"online|lien|link",
    re.I,
)
_SUBJECT = re.compile(
    r"(?:objet|subject(?: line)?|mention(?:ner)?(?: du poste)?|intitul[ée]|r[ée]f[ée]rence)"
    r"[^\"«\n]{0,25}[\"«]\s*(?P<s>[^\"»\n]{3,120}?)\s*[\"»]",
    re.I,
)
_OFFICE = re.compile(
    r"(?:d[ée]pos[ée]e?s?|remis(?:es)?|d[ée]p[ôo]t|d[ée]poser|d[ée]posez|re[çc]u(?:e|es|s)?|"
    r"envoy\w*|adress\w*|transmis\w*|apport\w*)\s+"
    r"(?:[^.\n]{0,40}?\s)?(?:au|à l'|a l'|au niveau du|auprès du)\s*"
    r"(?P<o>(?:bureau|si[èe]ge|secr[ée]tariat|direction|guichet|accueil|csr[ée]f|cscom|"
    r"centre de sant[ée]|mairie|h[ôo]pital)[^.;]{0,120}?)"
    r"(?=\s+ou\b|\s+or\b|\s+pour\b|\s+(?:au plus tard|avant|jusqu|before|by|no later)\b"
    r"|[.;]|\n\n|$)",
    re.I,
)
_CV = re.compile(r"\bcv\b|curriculum", re.I)
_LETTER = re.compile(r"lettre de motivation|cover letter|motivation letter", re.I)


@dataclass(frozen=True)
class Apply:
    """The ways to apply found, and the one line shown in the form and the alert."""

    email: str = ""
    phone: str = ""
    link: str = ""
    office: str = ""
    subject: str = ""
    line: str = ""
    sure: bool = False


def emails_in(notice: Notice) -> list[str]:
    """Every e-mail address of the notice, in order, without repeats."""
    return list(dict.fromkeys(m.group(0).rstrip(".") for m in EMAIL.finditer(notice.text)))


def find_apply(notice: Notice, organization: str) -> Apply:
    """How to apply, from the sentences about applying."""
    text = notice.text
    email = _near_cue(notice, [(m.start(), m.group(0).rstrip(".")) for m in EMAIL.finditer(text)])
    links = [(m.start(), m.group(0).rstrip(".,;")) for m in _URL.finditer(text)]
    link = _near_cue(notice, [(s, u) for s, u in links if "@" not in u])
    phones = [
        (
            m.start,
            phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        )
        for m in phonenumbers.PhoneNumberMatcher(text, "ML", max_tries=MAX_CANDIDATES)
    ]
    phone = _near_cue(notice, phones)
    subject = ""
    m = _SUBJECT.search(text)
    if m:
        subject = m.group("s").strip()
    office = ""
    m = _OFFICE.search(text)
    if m:
        office = _office(m.group("o"))
    parts = [p for p in (email, phone, link) if p]
    if office:
        parts.append(("ou " if parts else "") + office)
    line = " ".join(_join(parts))
    if subject and line:
        line = f"{line} (objet : {subject})"
    sure = bool(email or phone or link or office)
    if not line:
        papers = [
            w for w, pat in (("CV", _CV), ("lettre de motivation", _LETTER)) if pat.search(text)
        ]
        what = " et ".join(papers) if papers else "Candidature"
        line = f"{what} à {organization}" if organization else what
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 1].rsplit(" ", 1)[0] + "…"
    return Apply(
        email=email,
        phone=phone,
        link=link,
        office=office,
        subject=subject,
        line=line if email or phone or link else line[:1].upper() + line[1:],
        sure=sure,
    )


def _join(parts: list[str]) -> list[str]:
    """'a', 'b', 'ou c' -> ['a,', 'b', 'ou c']: commas between contacts, none before 'ou'."""
    joined = []
    for i, part in enumerate(parts):
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        joined.append(part + ("," if nxt and not nxt.startswith("ou ") else ""))
    return joined


def _near_cue(notice: Notice, found: list[tuple[int, str]]) -> str:
    """The first value whose sentence (or the one before) speaks of applying; else ''."""
    for start, value in found[:MAX_CANDIDATES]:
        s_start, sentence = notice.sentence_at(start)
        context = notice.text[max(0, s_start - 200, start - 600) : start + 300]
        if _CUES.search(context):
            return value
    return ""


def _office(raw: str) -> str:
    """'bureau AMCP-SP/ALIMA de Bamako (Niaréla, rue 420, porte 32)' -> 'Bureau ..., Bamako'."""
    raw = re.sub(r"\s+", " ", raw).strip(" ,")
    m = re.match(r"(?P<head>.*?)\s+de\s+(?P<town>[A-ZÀ-Ý][\w'-]+)\s*\((?P<addr>[^)]*)\)", raw)
    if m:
        addr = m.group("addr").replace(",", "")
        raw = f"{m.group('head')}, {addr}, {m.group('town')}"
    raw = raw.replace("(", "").replace(")", "")
    return raw[:1].upper() + raw[1:]
