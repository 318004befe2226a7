"""Find districts, regions and job categories in what people type (API fields and free SMS)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from alerts.domain.text import key, tokens
from config.reference import (
    Category,
    District,
    Reference,
    Region,
    common_words,
    default_reference,
)

# Fuzzy scores are 100 * (1 - edits / longer length), with a transposition counting as one
# edit (OSA), so one slip costs more in a short name than in a long one: "siksso" is 86 against
# "sikasso" (ask), "bandiagarra" 91 against "bandiagara" (take).
CERTAIN_SCORE = 90.0
MIN_SCORE = 75.0
# Each word of a fuzzy multi-word match must be at least this close on its own (see _words_align).
MIN_WORD_SIMILARITY = 0.67
# Below these lengths one edit turns an everyday word into a place ("fanta" -> Fana,
# "sans" -> San), so short names and short words only ever match exactly.
MIN_FUZZY_TOKEN = 4
MIN_FUZZY_KEY = 5
# Job words are long, and people drop letters from them ("mobilisatr" is 83): a category is
# considered from this score (commands.py decides which scores it takes).
CATEGORY_FUZZY_SCORE = 80.0

# Words that say "the whole region" before or after a place name.
REGION_BEFORE = frozenset({"region", "regions", "tout", "toute", "tous", "toutes", "whole", "all"})
REGION_AFTER = frozenset({"region", "bee", "tout", "toute", "entiere", "entier", "whole"})
# Region words that only locate a place ("Niono, région de Ségou"): next to a district of that
# region they say where the district is, not "the whole region".
REGION_LOCATORS = frozenset({"region", "regions"})
# Before a region word these make it a second place, not a locator: "Niono et la région de Ségou".
CONJUNCTIONS = frozenset({"et", "ani", "and", "aussi", "plus", "ou", "walima", "ni"})
# Allowed between a region word and the name: "toute la region de segou"; Bamanankan mara
# (district, region) sits between the name and bɛɛ (all): "Sɛgu mara bɛɛ".
FILLERS = frozenset({"la", "le", "l", "de", "du", "d", "des", "of", "the", "mara"})


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Grammar and request words (folded): never a place or category, and left out of Findings.rest.
STOP_WORDS = _word_set(
    """
    je j tu il elle nous vous on me m moi mon ma mes te t se s le la l les un une des du de d a au
    aux et ou en dans sur pour par avec sans qui que c est ce ces cette y n ne pas plus aussi
    seulement uniquement mais svp stp veux voudrais veut souhaite cherche recherche offres offre
    emploi emplois poste postes travail job jobs recevoir avoir ai suis alerte alertes annonce
    annonces avis recrutement district districts sanitaire cercle commune communes ville zone
    sante entier entiere tout toute tous toutes region regions bonjour bonsoir bjr slt salut merci
    i want the in of for and or please my to an at all any whole get send need work
    ka ni ye be ko na fe min ani wa walima bee do kono soro u aw o
    """
)
# The Bamanankan line above, unfolded: ka, ni, ye, bɛ, ko, na, fɛ, min, ani, wa, walima, bɛɛ (all),
# dɔ (some), kɔnɔ (in), sɔrɔ (get), u, aw, o.

# Everyday words that stay in Findings.rest (commands, greetings, job-title fragments) but must
# never be read as a misspelt place or category ("jeune" is one edit from "jenne").
NO_FUZZY = _word_set(
    """
    baara inscrire inscription inscris abonner abonnement desabonner aide liste stop arret annuler
    oui non info infos mali kura deme owo awo ayi togo seben laban jo mission femme femmes agent
    agents chef conseiller conseillere coordinateur coordinatrice technique medical medicale
    communautaire officer officers assistant assistante responsable superviseur nouveau nouvelle
    nouvelles jeune jeunes delai delais informe informes information informations bamanankan
    francais english
    sekou yoro
    """
)
# sekou: a common first name one edit from Segou; yoro: Bamanankan yɔrɔ (place), near Nioro.
# Everyday Bamanankan words one or two edits from a name: bana (illness) ~ Bamba, dugu (town),
# kalan (study), baarakɛla (worker), dɔkɔtɔrɔso (clinic) ~ docteur, and so on.
NO_FUZZY |= _word_set(
    """
    bana banaw dugu duguw kalan kalanso baarakela baarakelaw dokotoroso furakeli furakelikela
    muso musow kene kenema kenya keneya sigida sigidaw jamana mogo mogow denmisen denmisenw
    tubabu tubabukan faransi barika sanni sannifeere sogoma tilefe wulafe kunnafoni kunnafoniw
    kokura tugun sisan dabila segin damine hakili hakilina waati nafolo wari dorome
    songo dogotoroso dogotorosow furakise lakoli jago sene foro mobili sotigi dugutigi
    karamogo taama baarada sumaya farigan musokonoma
    """
)
#: French words never read as a misspelt place or job ("maladie" is not Faladié); generated from
#: a dictionary by config/make_common_words.py.
COMMON_WORDS = common_words()
_NUMERIC = re.compile(r"\d|^(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)$")


@dataclass(frozen=True)
class Hit:
    """One district, region or category named in a text; certain=False means ask first."""

    slug: str
    score: float
    matched: str
    certain: bool


@dataclass(frozen=True)
class Findings:
    """Everything find() recognised, in text order, plus the meaningful words left over."""

    districts: list[Hit] = field(default_factory=list)
    regions: list[Hit] = field(default_factory=list)
    categories: list[Hit] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)


@dataclass
class _Target:
    """What one folded phrase can mean; a phrase may name a district and a region at once."""

    district: str | None = None
    region: str | None = None
    category: str | None = None


@dataclass
class _Match:
    kind: str
    hit: Hit
    start: int
    marked: bool = False
    #: The region word that marked it, where, and the word before it ("et" makes it a place).
    marker: str = ""
    marker_at: int = -1
    before_marker: str = ""


class Places:
    """Exact and fuzzy lookups of districts, regions and categories over one Reference."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self._targets: dict[str, _Target] = {}
        for d in ref.districts.values():
            for text in (d.slug, d.name, *d.aliases):
                self._target(text).district = d.slug
        for r in ref.regions.values():
            for text in (r.slug, r.name, *r.aliases):
                self._target(text).region = r.slug
        for c in ref.categories.values():
            for text in (c.slug, c.fr, c.bm, c.en, *c.synonyms):
                self._target(text).category = c.slug
        self._max_words = max((len(k.split()) for k in self._targets), default=1)
        # Fuzzy candidates, bucketed by word count so a window of n words is only compared with
        # n-word phrases; numbered names (commune 4, c4, commune iv) must match exactly.
        self._fuzzy: dict[int, list[str]] = {}
        for phrase in self._targets:
            words = phrase.split()
            if len(phrase) >= MIN_FUZZY_KEY and not any(_NUMERIC.search(w) for w in words):
                self._fuzzy.setdefault(len(words), []).append(phrase)

    def _target(self, text: str) -> _Target:
        return self._targets.setdefault(key(text), _Target())

    @classmethod
    def default(cls) -> Places:
        """Return the Places over the shipped reference data, built once per process."""
        return _default_places()

    def resolve_place(self, name: str) -> District | Region | None:
        """Exact, accent-insensitive lookup of one place by slug, name or alias."""
        words = tokens(name)
        wants_region = any(w in REGION_BEFORE or w in REGION_AFTER for w in words)
        core = [w for w in words if w not in REGION_BEFORE and w not in REGION_AFTER]
        while core and core[0] in FILLERS:
            core.pop(0)
        while core and core[-1] in FILLERS:
            core.pop()
        target = self._targets.get(" ".join(core))
        if target is None:
            return None
        if target.region and (wants_region or not target.district):
            return self.ref.regions[target.region]
        if target.district:
            return self.ref.districts[target.district]
        return None

    def region_named(self, text: str) -> str | None:
        """The region a short text names exactly ("Ségou", "région de Ségou"), else None."""
        core = [w for w in tokens(text) if w not in REGION_BEFORE and w not in FILLERS]
        target = self._targets.get(" ".join(core))
        return target.region if target is not None else None

    def resolve_category(self, name: str) -> Category | None:
        """Exact, accent-insensitive lookup of one category by slug, name or synonym."""
        target = self._targets.get(key(name))
        if target is None or target.category is None:
            return None
        return self.ref.categories[target.category]

    def find(self, text: str) -> Findings:
        """Return every district, region and category named in free text, typos included."""
        words = tokens(text)
        used = [False] * len(words)
        matches: list[_Match] = []

        # Exact phrases first, longest first, so "kalaban koro" beats Koro and
        # "chef de mission" is one category.
        i = 0
        while i < len(words):
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                target = self._targets.get(phrase)
                if target is not None:
                    matches.append(self._match(target, words, used, i, i + n, phrase, 100.0))
                    i += n
                    break
            else:
                i += 1

        # Then near misses over what is left, again longest windows first.
        for n in range(min(self._max_words, len(words)), 0, -1):
            choices = self._fuzzy.get(n)
            if not choices:
                continue
            for i in range(len(words) - n + 1):
                window = words[i : i + n]
                if any(used[i : i + n]) or not self._fuzzable(window):
                    continue
                phrase = " ".join(window)
                candidates = process.extract(
                    phrase,
                    choices,
                    scorer=OSA.normalized_similarity,
                    score_cutoff=MIN_SCORE / 100,
                    limit=3,
                )
                for choice, similarity, _ in candidates:
                    if not _edges_hold(window, choice.split()):
                        continue
                    if n == 1 or _words_align(window, choice.split()):
                        target = self._targets[choice]
                        score = round(similarity * 100, 1)
                        matches.append(self._match(target, words, used, i, i + n, phrase, score))
                        break

        return self._findings(matches, words, used)

    def _fuzzable(self, window: list[str]) -> bool:
        first = window[0]
        if len(window) == 1 and first in STOP_WORDS:
            return False
        if any(_NUMERIC.search(w) for w in window):
            return False
        if any(w in COMMON_WORDS for w in window):
            # A real word is what it says, not a typo: "informer" is not "infirmier".
            return False
        if len(window) == 1:
            return len(first) >= MIN_FUZZY_TOKEN and first not in NO_FUZZY
        return True

    def _match(
        self,
        target: _Target,
        words: list[str],
        used: list[bool],
        start: int,
        end: int,
        phrase: str,
        score: float,
    ) -> _Match:
        """Consume words[start:end] as one hit, deciding between category, district and region."""
        for k in range(start, end):
            used[k] = True
        hit_certain = score >= CERTAIN_SCORE
        if target.category:
            # A word that names a job is never also read as a place.
            return _Match("category", Hit(target.category, score, phrase, hit_certain), start)
        marker = self._region_marker(words, used, start, end)
        if target.region and (marker is not None or not target.district):
            word = before = ""
            if marker is not None:
                used[marker] = True
                word = words[marker]
                k = min(marker, start) - 1
                while k >= 0 and words[k] in FILLERS:
                    k -= 1
                before = words[k] if k >= 0 else ""
            hit = Hit(target.region, score, phrase, hit_certain)
            return _Match(
                "region",
                hit,
                start,
                marked=marker is not None,
                marker=word,
                marker_at=-1 if marker is None else marker,
                before_marker=before,
            )
        assert target.district is not None
        return _Match("district", Hit(target.district, score, phrase, hit_certain), start)

    @staticmethod
    def _region_marker(words: list[str], used: list[bool], start: int, end: int) -> int | None:
        """Index of a 'whole region' word next to words[start:end] (fillers skipped), if any."""
        k = start - 1
        while k >= 0 and not used[k] and words[k] in FILLERS:
            k -= 1
        if k >= 0 and not used[k] and words[k] in REGION_BEFORE:
            return k
        k = end
        while k < len(words) and not used[k] and words[k] in FILLERS:
            k += 1
        if k < len(words) and not used[k] and words[k] in REGION_AFTER:
            return k
        return None

    def _findings(self, matches: list[_Match], words: list[str], used: list[bool]) -> Findings:
        matches.sort(key=lambda m: m.start)
        found: dict[str, dict[str, Hit]] = {"district": {}, "region": {}, "category": {}}
        for m in matches:
            if m.kind == "region" and self._locates(m, matches):
                # "bamako commune 4", "Niono, région de Ségou": the region only says where the
                # district is.
                continue
            seen = found[m.kind].get(m.hit.slug)
            if seen is None or (m.hit.certain, m.hit.score) > (seen.certain, seen.score):
                found[m.kind][m.hit.slug] = m.hit
        rest = [w for w, u in zip(words, used, strict=True) if not u and w not in STOP_WORDS]
        return Findings(
            districts=list(found["district"].values()),
            regions=list(found["region"].values()),
            categories=list(found["category"].values()),
            rest=rest,
        )

    def _locates(self, m: _Match, matches: list[_Match]) -> bool:
        """True when a region hit only says where a district named with it lies."""
        if not m.marked:
            return self._qualifies(m.hit.slug, matches)
        if (
            m.marker not in REGION_LOCATORS
            or m.marker_at > m.start  # "Sikasso région et Kadiolo": the whole region
            or m.before_marker in CONJUNCTIONS
            or m.before_marker in REGION_BEFORE  # "toute la région de Ségou"
        ):
            return False
        # "Niono, région de Ségou": a district of that region named just before.
        return any(
            d.kind == "district"
            and d.start < m.marker_at
            and self.ref.districts[d.hit.slug].region == m.hit.slug
            for d in matches
        )

    def _qualifies(self, region: str, matches: list[_Match]) -> bool:
        """True when a district of this region is also named, making the region a qualifier."""
        return any(
            m.kind == "district" and self.ref.districts[m.hit.slug].region == region
            for m in matches
        )


def _edges_hold(window: list[str], phrase: list[str]) -> bool:
    """A window may start or end with a grammar word only where the name has that very word.

    "district oficer" is District officer; "de mission" is not Chef de mission.
    """
    if window[0] in STOP_WORDS and window[0] != phrase[0]:
        return False
    return not (window[-1] in STOP_WORDS and window[-1] != phrase[-1])


def _words_align(window: list[str], phrase: list[str]) -> bool:
    """True when every word of a multi-word window is itself close to its counterpart."""
    # Without this, one shared word carries a phrase over the threshold: "lieu de mission" would
    # be "chef de mission", "10 ans femmes" would be "sage femmes".
    for typed, known in zip(window, phrase, strict=True):
        if len(typed) <= 3 and len(known) <= 3:
            continue
        if OSA.normalized_similarity(typed, known) < MIN_WORD_SIMILARITY:
            return False
    return True


@functools.lru_cache(maxsize=1)
def _default_places() -> Places:
    return Places(default_reference())
