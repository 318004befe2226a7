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
from pathlib import Path

import yaml

from alerts.domain.text import fold
from alerts.extract.notice import Notice

ORGANIZATIONS = Path(__file__).resolve().parents[2] / "config" / "notice_organizations.yaml"
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
_HEADER_WORDS = frozenset(fold(w) for w in (
    "avis", "recrutement", "de", "job", "description", "offre", "d'emploi", "emploi", "vacancy",
    "announcement", "communiqué", "appel", "à", "candidatures", "poste", "interne", "externe",
    "inscrivez-vous", "title", "contract", "republique", "communique", "terms", "termes",
    "tdr", "recrute", "recherche",
))


class OrganizationsError(ValueError):
    """config/notice_organizations.yaml is malformed."""


@dataclass(frozen=True)
class Organization:
    """A known organisation and the patterns that find it."""

    slug: str
    name: str
    short: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Recruiter:
    """The organisation chosen and whether it was recognised with confidence."""

    name: str
    sure: bool


def _pattern(names: list[str]) -> re.Pattern[str]:
    parts = []
    for name in sorted(set(names), key=len, reverse=True):
        body = r"[ \t]{0,3}[-/ ]?[ \t]{0,3}".join(
            re.escape(w) for w in re.split(r"[\s\-]+", name) if w)
        if name.isupper() and len(re.sub(r"\W", "", name)) <= 5:
            parts.append(rf"(?-i:{body})")  # an acronym: in capitals only
        elif name[:1].isupper():
            first, rest = body[: len(re.escape(name[0]))], body[len(re.escape(name[0])) :]
            parts.append(rf"(?-i:{first})(?i:{rest})")
        else:
            parts.append(rf"(?i:{body})")
    return re.compile(rf"(?<![\w@.-])(?:{'|'.join(parts)})(?![\w-])")


def load_organizations(path: Path = ORGANIZATIONS) -> list[Organization]:
    """The organisations of config/notice_organizations.yaml, checked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise OrganizationsError(f"{path.name} must map slugs to {{name, short, aliases}}")
    found = []
    for slug, row in data.items():
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise OrganizationsError(f"{path.name}: {slug} needs a name")
        aliases = row.get("aliases") or []
        short = row.get("short") or row["name"]
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise OrganizationsError(f"{path.name}: aliases of {slug} must be a list of texts")
        names = [row["name"], *aliases] + ([short] if len(short) > 5 or not short.isupper()
                                           else [])
        found.append(Organization(str(slug), row["name"], str(short), _pattern(names)))
    return found


@functools.lru_cache(maxsize=1)
def default_organizations() -> tuple[Organization, ...]:
    """The shipped list, loaded once per process."""
    return tuple(load_organizations())


def recruiter(
    notice: Notice, known: tuple[Organization, ...], emails: list[str]
) -> Recruiter | None:
    """The organisation that publishes the notice, or None when nothing names one."""
    text = notice.text
    head_end = notice.lines[min(5, len(notice.lines) - 1)].start if notice.lines else 0
    scores: dict[str, float] = {}
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
                    text[max(0, m.start() - 40) : m.start()]):
                score += 8
            if _EMPLOYER.search(text[max(0, m.start() - 40) : m.start()]):
                score += 8
            scores[org.slug] = scores.get(org.slug, 0) + score
            spans.setdefault(org.slug, (m.start(), m.end()))
        domain = fold(org.short).replace(" ", "")
        if len(domain) >= 3 and any(domain in e.split("@")[-1].replace("-", "") for e in emails):
            scores[org.slug] = scores.get(org.slug, 0) + 4
    by_slug = {o.slug: o for o in known}
    joint = _joint_header(notice, known)
    if joint:
        return Recruiter(joint, True)
    if scores:
        slug = max(scores, key=lambda s: scores[s])
        return Recruiter(by_slug[slug].name, scores[slug] >= 5)
    for pattern in (_ACRONYM, _SUBJECT, _ONG):
        m = pattern.search(text)
        if m:
            return Recruiter(m.group(0).strip(" .\n") if pattern is _ONG else m.group("name"),
                             False)
    for line in notice.lines[:3]:
        words = [fold(w) for w in line.text.split()]
        if (1 <= len(words) <= 5 and line.text.isupper() and words[0] not in _HEADER_WORDS
                and not set(words) <= _HEADER_WORDS):
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
        if len(parts) == 2 and all(
            any(o.pattern.fullmatch(p) for o in known) for p in parts
        ):
            return f"{parts[0]}/{parts[1]}"
    return None
