"""Who recruits: the organisation, from the notice's header and a list of known NGOs.

Notices name partners, donors and consortium members too ("mise en œuvre par ... IMA World
Health, Viamo ..."), so a known name counts by where it stands: a heading line of its own,
the subject of "recrute" / "est à la recherche" / "is recruiting", the domain of the
application e-mail; plain mentions only add up.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from alerts.domain.text import fold
from alerts.extract.notice import Notice
from config.organizations import Organizations
from config.organizations import default_organizations as default_list

_RECRUITS = re.compile(
    r"^\W{0,3}(?:,[^,]{0,60},)?\s*(?:recrute|recrutent|est à la recherche|est a la recherche|"
    r"recherche|lance un avis|is recruiting|is hiring|seeks|is seeking|invites)",
    re.I,
)
#: "avec l'appui de l'OMS, recherche ...": a donor or partner stands before the verb too.
_PARTNER = re.compile(r"appui|soutien|partenariat|financ|support|funded|partnership|avec l", re.I)
#: "Employeur : Humanité & Inclusion".
_EMPLOYER = re.compile(
    r"(?:^|\n)\W{0,3}(?:employeur|organisation|organization|structure|recruteur|employer|"
    r"hiring organi[sz]ation|agency|agence)\s*:\s*(?:l'|the )?$",
    re.I,
)
_ONG = re.compile(
    r"\b(?:l'|l’)?(?:ONG|NGO|Organisation Non Gouvernementale|[Aa]ssociation)[ \t]+"
    r"(?P<name>[A-Z][\w&.\-/]*(?:[ \t]+[A-Z][\w&.\-/]*){0,3})"
)
#: "L'Association Malienne pour la Survie au Sahel (AMSS) recrute": the acronym names it.
_ACRONYM = re.compile(
    r"\((?P<name>[A-Z][A-Z0-9&\-/]{1,11})\)[ \t]*,?[ \t]*(?:recrute|est à la recherche|"
    r"recherche|is recruiting|is hiring|seeks)\b"
)
_SUBJECT = re.compile(
    r"(?:^|[.\n][ \t]{0,3})(?:L'|l'|Le |La |The )?"
    r"(?P<name>[A-Z][\w&.\-/]*(?:[ \t]+[A-Z][\w&.\-/]*){0,4})"
    r"[ \t]+(?:recrute|is recruiting|is hiring|seeks|is seeking)\b"
)
_HEADER_WORDS = frozenset(
    fold(w)
    for w in (
        "avis",
        "recrutement",
        "de",
        "job",
        "description",
        "offre",
        "d'emploi",
        "emploi",
        "vacancy",
        "announcement",
        "communiqué",
        "appel",
        "à",
        "candidatures",
        "poste",
        "interne",
        "externe",
        "inscrivez-vous",
        "title",
        "contract",
        "republique",
        "communique",
        "terms",
        "termes",
        "tdr",
        "recrute",
        "recherche",
    )
)


@dataclass(frozen=True)
class Organization:
    """A known organisation as the importer looks for it: name to write, pattern, domains."""

    short: str  # the entry's short name: unique, so it keys the scores
    name: str  # what the draft's organisation field gets
    pattern: re.Pattern[str]
    domains: tuple[str, ...]  # folded, spaceless names an application e-mail's domain may hold


@dataclass(frozen=True)
class Recruiter:
    """The organisation chosen and whether it was recognised with confidence."""

    name: str
    sure: bool


def _pattern(names: list[str]) -> re.Pattern[str]:
    parts = []
    for name in sorted(set(names), key=len, reverse=True):
        body = r"[ \t]{0,3}[-/ ]?[ \t]{0,3}".join(
            re.escape(w) for w in re.split(r"[\s\-]+", name) if w
        )
        if name.isupper() and len(re.sub(r"\W", "", name)) <= 5:
            parts.append(rf"(?-i:{body})")  # an acronym: in capitals only
        elif name[:1].isupper():
            first, rest = body[: len(re.escape(name[0]))], body[len(re.escape(name[0])) :]
            parts.append(rf"(?-i:{first})(?i:{rest})")
        else:
            parts.append(rf"(?i:{body})")
    return re.compile(rf"(?<![\w@.-])(?:{'|'.join(parts)})(?![\w-])")


def compile_organizations(listed: Organizations) -> tuple[Organization, ...]:
    """The importer's form of config/organizations.yaml's entries."""
    found = []
    for org in listed.entries:
        # The short name and one-word aliases ("Tdh", "HKI") are what e-mail domains are made of.
        words = [org.short, *(a for a in org.aliases if " " not in a.strip())]
        domains = (fold(w).replace(" ", "") for w in words)
        found.append(
            Organization(
                org.short,
                org.posted_name,
                _pattern(list(org.notice_names())),
                tuple(d for d in dict.fromkeys(domains) if len(d) >= 3),
            )
        )
    return tuple(found)


@functools.lru_cache(maxsize=1)
def default_organizations() -> tuple[Organization, ...]:
    """The shipped list, compiled once per process."""
    return compile_organizations(default_list())


def recruiter(
    notice: Notice, known: tuple[Organization, ...], emails: list[str]
) -> Recruiter | None:
    """The organisation that publishes the notice, or None when nothing names one."""
    text = notice.text
    head_end = notice.lines[min(5, len(notice.lines) - 1)].start if notice.lines else 0
    scores: dict[str, float] = {}
    hosts = [e.split("@")[-1].replace("-", "") for e in emails]
    spans: dict[str, tuple[int, int]] = {}
    for org in known:
        for m in org.pattern.finditer(text):
            score = 1.0
            line = notice.line_at(m.start())
            if line is not None and _alone(line.text, m.group(0)):
                score += 8 if line.number < 6 else 3
            elif m.start() <= head_end:
                score += 2
            if _RECRUITS.match(text[m.end() : m.end() + 80]) and not _PARTNER.search(
                text[max(0, m.start() - 40) : m.start()]
            ):
                score += 8
            if _EMPLOYER.search(text[max(0, m.start() - 40) : m.start()]):
                score += 8
            scores[org.short] = scores.get(org.short, 0) + score
            spans.setdefault(org.short, (m.start(), m.end()))
        if any(d in h for d in org.domains for h in hosts):
            scores[org.short] = scores.get(org.short, 0) + 4
    by_short = {o.short: o for o in known}
    joint = _joint_header(notice, known)
    if joint:
        return Recruiter(joint, True)
    if scores:
        best = max(scores, key=lambda s: scores[s])
        return Recruiter(by_short[best].name, scores[best] >= 5)
    for pattern in (_ACRONYM, _SUBJECT, _ONG):
        hit = pattern.search(text)
        if hit:
            return Recruiter(
                hit.group(0).strip(" .\n") if pattern is _ONG else hit.group("name"), False
            )
    for line in notice.lines[:3]:
        words = [fold(w) for w in line.text.split()]
        if (
            1 <= len(words) <= 5
            and line.text.isupper()
            and words[0] not in _HEADER_WORDS
            and not set(words) <= _HEADER_WORDS
        ):
            return Recruiter(line.text.strip(), False)
    return None


def _alone(line: str, name: str) -> bool:
    """True when the line is just the name (a heading), give or take marks and 'ONG'."""
    if len(line) > 80:  # a heading is short; and a long line would make this quadratic
        return False
    rest = line.replace(name, " ", 1)
    return not re.sub(r"[\W_]+|\b(?:ONG|NGO|L|l)\b", "", rest)


def _joint_header(notice: Notice, known: tuple[Organization, ...]) -> str | None:
    """'AMCP-SP/ALIMA' heading the notice: both known, kept as the joint name."""
    for line in notice.lines[:6]:
        text = line.text.strip(" #*")
        if "/" not in text or len(text) > 60:
            continue
        parts = [p.strip() for p in text.split("/")]
        if len(parts) == 2 and all(any(o.pattern.fullmatch(p) for o in known) for p in parts):
            return f"{parts[0]}/{parts[1]}"
    return None
