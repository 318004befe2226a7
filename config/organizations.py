"""The organisations that post jobs in Mali (config/organizations.yaml), one list for all.

An SMS has room for "ALIMA", not for "The Alliance for International Medical Action": the
alert, OFFRES and the USSD menu name the organisation by its short name. A job may give its own;
otherwise short_name() looks the posted name up here, part by part for joint postings
("AMCP-SP/ALIMA"). The notice importer (alerts/extract/who.py) recognises recruiters by the
same entries: notice_names() and the name it writes, `posted`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from alerts.domain.text import key

HERE = Path(__file__).resolve().parent
ORGANIZATIONS_FILE = "organizations.yaml"
#: Longest short name: what an alert can spare beside a title, places and the deadline.
MAX_SHORT = 24

# Words that often precede a name on a form and say nothing about which organisation it is.
_PREFIXES = ("ong ", "ngo ", "l ong ", "association ")
# Joint postings: "AMCP-SP/ALIMA", "ALIMA & AMCP-SP", "ALIMA + AMCP".
_JOINT = re.compile(r"\s*(?:/|&|\+)\s*")


class OrganizationsError(ValueError):
    """organizations.yaml is malformed or ambiguous."""


@dataclass(frozen=True)
class Organization:
    """One organisation: its short name, full name, other spellings, and what the importer needs."""

    short: str
    name: str
    aliases: tuple[str, ...] = ()
    #: What the notice importer writes in a draft's organisation field ('' means the short name).
    posted: str = ""
    #: Names the importer must not match on their own (an English word, a two-letter acronym).
    not_in_notices: tuple[str, ...] = ()

    @property
    def posted_name(self) -> str:
        """The name the importer writes for this organisation."""
        return self.posted or self.short

    def notice_names(self) -> tuple[str, ...]:
        """Every name the importer looks for in a notice, in order, without the excluded ones."""
        names = (self.posted_name, self.short, self.name, *self.aliases)
        return tuple(n for n in dict.fromkeys(names) if n not in self.not_in_notices)


@dataclass(frozen=True)
class Organizations:
    """Every known organisation, findable by any of its names."""

    entries: tuple[Organization, ...]
    index: dict[str, Organization]

    def find(self, text: str) -> Organization | None:
        """The organisation text names (case, accents, punctuation and 'ONG' ignored)."""
        folded = key(text)
        if folded in self.index:
            return self.index[folded]
        for prefix in _PREFIXES:
            if folded.startswith(prefix) and folded[len(prefix) :] in self.index:
                return self.index[folded[len(prefix) :]]
        return None

    def short_name(self, organization: str) -> str:
        """The short name for a posted organisation name, or '' when none is known."""
        found = self.find(organization)
        if found is not None:
            return found.short
        parts = [p for p in _JOINT.split(organization.strip()) if p]
        if len(parts) < 2:
            return ""
        named = [self.find(p) for p in parts]
        if not any(named):
            return ""
        joined = "/".join(o.short if o else p for o, p in zip(named, parts, strict=True))
        return joined if len(joined) <= MAX_SHORT else ""


def load_organizations(folder: Path | None = None) -> Organizations:
    """Load and check organizations.yaml from folder (default: config/)."""
    path = (HERE if folder is None else Path(folder)) / ORGANIZATIONS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OrganizationsError(f"cannot read {path}: {exc}") from None
    rows = data.get("organizations") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise OrganizationsError(f"{ORGANIZATIONS_FILE}: expected a list under 'organizations'")
    entries: list[Organization] = []
    index: dict[str, Organization] = {}
    for row in rows:
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("short"), str)
            or not isinstance(row.get("name"), str)
            or not isinstance(row.get("aliases", []), list)
            or not isinstance(row.get("posted", ""), str)
            or not _texts(row.get("not_in_notices", []))
        ):
            raise OrganizationsError(f"{ORGANIZATIONS_FILE}: malformed entry {row!r}")
        short = row["short"].strip()
        if not short or len(short) > MAX_SHORT:
            raise OrganizationsError(
                f"{ORGANIZATIONS_FILE}: short name {short!r} must have 1 to {MAX_SHORT} characters"
            )
        org = Organization(
            short,
            row["name"].strip(),
            tuple(str(a) for a in row.get("aliases", [])),
            row.get("posted", "").strip(),
            tuple(row.get("not_in_notices", [])),
        )
        unknown = set(org.not_in_notices) - {org.short, org.name, *org.aliases}
        if unknown:
            raise OrganizationsError(
                f"{ORGANIZATIONS_FILE}: not_in_notices of {short} lists {sorted(unknown)}, "
                "which are none of its names"
            )
        entries.append(org)
        names = (org.short, org.name, org.posted_name, *org.aliases)
        for name in dict.fromkeys(key(n) for n in names):
            owner = index.get(name)
            if owner is not None and owner is not org:
                raise OrganizationsError(
                    f"{ORGANIZATIONS_FILE}: {name!r} names both {owner.short} and {org.short}"
                )
            index[name] = org
    return Organizations(tuple(entries), index)


def _texts(value: object) -> bool:
    """True when value is a list of texts."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@functools.lru_cache(maxsize=1)
def default_organizations() -> Organizations:
    """The shipped organizations.yaml, loaded once."""
    return load_organizations()
