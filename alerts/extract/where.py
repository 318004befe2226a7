"""Duty stations: which districts or regions a notice recruits for.

A notice names many places that are not duty stations (the NGO's history, its projects, the
office where files are dropped, "Bamako, le 3 mai" above a communiqué). So places count only
where a notice says where the work is: a labelled field ("Lieu d'affectation", "Duty station"),
a sentence that recruits ("3 District Officers seront recrutés ... (1 à Bougouni, 1 à
Koutiala...)"), or the heading lines. Towns and cercles map to their health district through
config/gazetteer.yaml (Sévaré -> Mopti).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from alerts.domain.text import fold, key
from alerts.extract.notice import Notice, clean, unglue
from config.reference import Reference, default_reference

GAZETTEER = Path(__file__).resolve().parents[2] / "config" / "gazetteer.yaml"
_WORD = re.compile(r"[^\W_]+")
MAX_PHRASE = 4
#: Longer lines are paragraphs, not the heading that says where a post is.
MAX_HEADING = 100

_LABEL = re.compile(
    r"^\W{0,3}(?:lieux?|localit[ée]s?|lieu de travail|lieux? d'affectation|lieu de mission|"
    r"lieu du poste|lieu d'exercice|zones? d'affectation|zones? d'intervention du poste|"
    r"poste bas[ée]e? [àa]|bas[ée]e?s? [àa]|affectation|station|duty stations?|"
    r"place of work|work location|locations?|based in|site)\b"
    r"[^:\n]{0,25}?(?:[ \t]*:[ \t]*|[ \t]+-[ \t]+|[ \t]+(?-i:(?=[A-ZÀ-Ý][a-zà-ÿ])))(?P<value>.+)$",
    re.I | re.M,
)
_RECRUITS = re.compile(
    r"recrut|(?:à|a) la recherche d|(?<!\bde )(?<!\bdes )(?<!\bla )\brecherch(?:e|ons)\b|"
    r"\bcherch(?:e|ons)\b|is recruiting|"
    r"are recruiting|seeks|is hiring|vacanc|postes? (?:de|à|a)\b|positions? (?:of|in|at)",
    re.I,
)
#: Job boards' own fields: "Région : Mopti", "Ville : Kati", "Zone : Cercle de Bougouni".
_BOARD_LABEL = re.compile(
    r"^\W{0,3}(?P<label>r[ée]gions?|villes?|city|town|zones?)[ \t]*:[ \t]*(?P<value>.+)$",
    re.I | re.M,
)
#: Weaker: "basé à", "based in" also describe the people a post reports to.
_BASED = re.compile(r"bas[ée]e?s? [àa]|based (?:in|at)|affect[ée]e?s? [àa]", re.I)
#: Travel and missions from the duty station are not duty stations.
_TRAVEL = re.compile(
    r"(?:\(\s*|\b(?:avec|with|including|y compris|et|and)\s+)(?:des\s+|de\s+|d'|frequent\s+|"
    r"regular\s+|fr[ée]quente?s?\s+|r[ée]guli[èe]re?s?\s+)*(?:d[ée]placements?|missions?|"
    r"travel|tourn[ée]es?|visites?|field visits?|trips?|supervisions?)\b.*$",
    re.I,
)
#: Sentences about sending the application: the office named there is no duty station.
_APPLY = re.compile(
    r"\b(?:d[ée]pos\w*|envoy\w*|adress\w*|d[ée]p[ôo]t|courrier|courriel|re[çc]u(?:e|es|s)?|"
    r"candidatures|submit|send)\b|@",
    re.I,
)
_WHOLE = frozenset({"toute", "tout", "tous", "toutes", "ensemble", "whole", "entire", "all"})
_REGION_WORDS = frozenset({"region", "regions"})
#: "Bamako, le 3 mai 2026" heads a communiqué: the place it was written, not a duty station.
_DATELINE = re.compile(r"^[\w' -]{2,40},\s*(?:le\s+)?\d{1,2}(?:er)?\s", re.I)


class GazetteerError(ValueError):
    """config/gazetteer.yaml is malformed or claims another district's name."""


@dataclass(frozen=True)
class PlaceHit:
    """A place named at offset start of some text: a district or a region."""

    kind: str  # "district" or "region"
    slug: str
    start: int
    whole: bool = False  # "toute la région de ..."


@dataclass(frozen=True)
class Found:
    """The chosen places, as POST /api/jobs takes them, and how sure we are."""

    districts: tuple[str, ...]
    regions: tuple[str, ...]
    sure: bool


class Gazetteer:
    """Folded place names (districts, regions, towns) -> what they name."""

    def __init__(self, ref: Reference, towns: dict[str, list[str]]) -> None:
        self.ref = ref
        self.districts: dict[str, str] = {}
        self.regions: dict[str, str] = {}
        self.short_forms: dict[str, str] = {}  # folded key -> alias as written (case check)
        for d in ref.districts.values():
            for name in (d.slug, d.name, *d.aliases):
                self._add(self.districts, name, d.slug)
        for r in ref.regions.values():
            for name in (r.slug, r.name, *r.aliases):
                self._add(self.regions, name, r.slug)
        for slug, names in towns.items():
            for name in names:
                owner = self.districts.get(key(name))
                if owner is not None and owner != slug:
                    raise GazetteerError(f"{name!r} under {slug} is already district {owner}")
                self._add(self.districts, name, slug)

    def _add(self, table: dict[str, str], name: str, slug: str) -> None:
        folded = key(name)
        table[folded] = slug
        if len(folded.replace(" ", "")) <= 3:
            self.short_forms[folded] = name

    def scan(self, text: str) -> list[PlaceHit]:
        """Every place named in text, longest phrase first, with the words' case checked."""
        words = [
            (m.group(0), fold(m.group(0)).replace(" ", ""), m.start()) for m in _WORD.finditer(text)
        ]
        hits: list[PlaceHit] = []
        i = 0
        while i < len(words):
            for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
                phrase = " ".join(w[1] for w in words[i : i + n])
                if phrase not in self.districts and phrase not in self.regions:
                    continue
                if not self._written_as_a_name(words[i][0], phrase):
                    continue
                before = [w[1] for w in words[max(0, i - 4) : i]]
                after = words[i + n][1] if i + n < len(words) else ""
                # "région de Ségou", and in English "Tombouctou region"
                marked = any(w in _REGION_WORDS for w in before[-3:]) or after in _REGION_WORDS
                whole = any(w in _WHOLE for w in before)
                if phrase in self.regions and (marked or phrase not in self.districts):
                    hits.append(
                        PlaceHit("region", self.regions[phrase], words[i][2], whole and marked)
                    )
                else:
                    hits.append(PlaceHit("district", self.districts[phrase], words[i][2]))
                i += n
                break
            else:
                i += 1
        return hits

    def _written_as_a_name(self, first: str, phrase: str) -> bool:
        # "c'est-à-dire" is not Diré, "ci-joint" not Commune I: names are capitalised, and
        # names of three letters or fewer are written exactly as the reference spells them.
        if phrase in self.short_forms:
            form = self.short_forms[phrase]
            return first[:1].isupper() and (not form.isupper() or first.isupper())
        return first[:1].isupper() or phrase.startswith(("commune ", "com "))


def load_towns(path: Path = GAZETTEER) -> dict[str, list[str]]:
    """The towns of config/gazetteer.yaml, by district slug."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    towns = data.get("towns") if isinstance(data, dict) else None
    if not isinstance(towns, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(n, str) for n in v)
        for k, v in towns.items()
    ):
        raise GazetteerError(f"{path.name} must hold towns: {{district slug: [names]}}")
    return towns


def build(ref: Reference, path: Path = GAZETTEER, *, strict: bool = True) -> Gazetteer:
    """A Gazetteer over ref and the towns file; strict: every town's district must exist.

    Not strict (a reduced reference, as tests load): towns of unknown districts are left out.
    """
    towns = load_towns(path)
    unknown = sorted(set(towns) - set(ref.districts))
    if unknown and strict:
        raise GazetteerError(f"{path.name}: unknown district slug(s) {', '.join(unknown)}")
    return Gazetteer(ref, {slug: names for slug, names in towns.items() if slug in ref.districts})


@functools.lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The gazetteer over the shipped reference data (built once per process)."""
    return build(default_reference())


def duty_stations(notice: Notice, gazetteer: Gazetteer) -> Found:
    """The districts and regions the notice recruits for; sure=False when guessed."""
    labelled: list[PlaceHit] = []
    for m in _LABEL.finditer(unglue(notice.text)):
        labelled += gazetteer.scan(_TRAVEL.sub("", clean(m.group("value"))))
    for m in _BOARD_LABEL.finditer(notice.text):
        value = _TRAVEL.sub("", m.group("value"))
        # "Région : Ségou" means the region, unless a district of it is named too.
        region = m.group("label").lower().startswith("r")
        labelled += gazetteer.scan(f"région {value}" if region else value)
    recruiting: list[PlaceHit] = []
    based: list[PlaceHit] = []
    for _start, sentence in notice.sentences:
        if _APPLY.search(sentence):
            continue
        if _RECRUITS.search(sentence):
            recruiting += gazetteer.scan(_TRAVEL.sub("", sentence))
        elif _BASED.search(sentence):
            based += gazetteer.scan(_TRAVEL.sub("", sentence))
    for hits in (labelled + recruiting, based):
        chosen = _resolve(hits, gazetteer.ref)
        if chosen.districts or chosen.regions:
            return chosen
    heading: list[PlaceHit] = []
    for line in notice.lines[:4]:
        if len(line.text) <= MAX_HEADING and not _DATELINE.match(line.text):
            heading += gazetteer.scan(unglue(line.text))
    chosen = _resolve(heading, gazetteer.ref)
    if chosen.districts or chosen.regions:
        return chosen
    # Nothing says where: the place the notice names most often, flagged as a guess.
    counts = Counter((h.kind, h.slug) for h in gazetteer.scan(notice.text))
    if not counts:
        return Found((), (), False)
    (kind, slug), _n = counts.most_common(1)[0]
    hit = PlaceHit(kind, slug, 0)
    guess = _resolve([hit], gazetteer.ref)
    return Found(guess.districts, guess.regions, False)


def _resolve(hits: list[PlaceHit], ref: Reference) -> Found:
    """Districts in order of mention; a region only if none of its districts narrows it."""
    districts = list(dict.fromkeys(h.slug for h in hits if h.kind == "district"))
    narrowed = {ref.districts[d].region for d in districts}
    regions = []
    for h in hits:
        if h.kind == "region" and h.slug not in regions and (h.whole or h.slug not in narrowed):
            regions.append(h.slug)
    covered = set(regions)
    districts = [d for d in districts if ref.districts[d].region not in covered]
    return Found(tuple(districts), tuple(regions), True)
