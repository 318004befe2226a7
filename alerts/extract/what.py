"""The post itself: its title, its category and how many people are recruited.

Numbers come in digits, in words and both at once ("quatre (04) postes", "six (6)", "two (2)
positions"); text2num reads the words in French and English.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from text_to_num import text2num

from alerts.domain.places import Places
from alerts.domain.text import fold, key
from alerts.extract.notice import Notice, unglue

MAX_TITLE = 90
OTHER = "other"
_TITLE_LABEL = re.compile(
    r"^\W{0,3}(?:titre du poste|intitul[ée] du poste|intitul[ée]|titre|poste|job title|"
    r"position title|position|post|fonction|emploi|offre d'emploi|avis de vacance(?: de poste)?|"
    r"vacancy(?: notice| announcement)?|job (?:offer|opening)|terms of reference|"
    r"termes de r[ée]f[ée]rences?|tdr)\b[ \t]*(?:\([^)\n]*\))?[ \t]*"
    r"(?::|-[ \t]|[ \t](?-i:(?=[A-ZÀ-Ý][a-zà-ÿ])))[ \t]*(?P<value>[^\n]{3,200})$",
    re.I | re.M,
)
_UNITS = [
    "un",
    "une",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "vingt",
    "trente",
    "quarante",
    "cinquante",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
]
_NUMBER = rf"(?:\d{{1,4}}|(?:{'|'.join(_UNITS)})(?:[\s-](?:{'|'.join(_UNITS)}|et))*)"
_VERB = (
    r"recrute|recrutent|recrutons|recherche|recherchons|(?:is|are) recruiting|(?:is|are) hiring|"
    r"seeks|(?:is|are) seeking|(?:is|are) looking for"
)
_RECRUIT_TITLE = re.compile(
    rf"(?:{_VERB})\s*:?\s+"
    r"(?:pour [^,.]{0,40},\s*)?(?:de\s+|d')?"
    rf"(?:(?:un\(e\)|une?|des|an?|{_NUMBER})(?:\s*\(\d+\))?\s+)?"
    r"(?P<value>[^,.;:\n(]{3,120})",
    re.I,
)
#: Where a title ends inside a sentence: "Comptable basé(e) à ...", "sages-femmes pour son ...".
_TITLE_END = re.compile(
    r"\s+(?:pour|dans|afin|bas[ée]e?s?|based|à|au|aux|en|in|for|at|to|with|avec|qui|who|"
    r"expérimenté\w*|experienced)\b.*$",
    re.I,
)
_VERBS = re.compile(rf"\b(?:{_VERB})\b", re.I)
_GENERIC = re.compile(
    r"^(?:avis de recrutement|job description|offre d'emploi|appel à candidatures?|vacancy|"
    r"communiqu[ée]|annonce|inscrivez-vous|recrutement|avis|job offer|termes de r[ée]f|"
    r"terms of reference|tdr\b)",
    re.I,
)
_TRAILERS = re.compile(r"^(?:mali|h ?/ ?f|f ?/ ?h|m ?/ ?f|bamako.*|cdd.*|cdi.*)$", re.I)
_CONTRACT = re.compile(
    r"(?:,\s*(?:[A-Z]{1,3}-?\d[\w-]*|NO-?[A-D]|fixed[ -]term|temporary|temporaire|cdd|cdi|"
    r"full[ -]time|part[ -]time|temps (?:plein|partiel)|consultan\w*|\d+ (?:mois|months)))+\s*$",
    re.I,
)
#: "Chauffeur (02 postes)": the count is its own field.
_COUNT_NOTE = re.compile(r"\s*\(\s*\w+(?:\s*\(\d+\))?\s+(?:postes?|positions?)\s*\)", re.I)
_GENDER = re.compile(r"\s*\(?\b(?:h/f|f/h|m/f|f/m)\b\)?", re.I)

_POST_WORDS = r"postes?|positions?|vacanc(?:y|ies)|profils?|officers?|districts officers"
_COUNT_CUE = re.compile(r"recrut|recherch|recruit|hiring|seeks|pourvoir|combler|vacanc", re.I)
_COUNT_LABEL = re.compile(
    rf"(?:nombre de postes?(?: (?:à|a) (?:pourvoir|combler))?|nombre|postes (?:à|a) pourvoir|"
    rf"number of (?:positions|posts|vacancies)|vacancies|no\. of posts)\s*:?\s*"
    rf"(?P<n>{_NUMBER})(?:\s*\((?P<d>\d{{1,4}})\))?",
    re.I,
)
_COUNT = re.compile(
    rf"(?<![\w/.,])(?P<n>{_NUMBER})(?:\s*\((?P<d>\d{{1,4}})\))?\s+(?P<what>[\w'()-]+(?:\s+[\w'()-]+)?)",
    re.I,
)
_NOT_A_COUNT = re.compile(
    r"^(?:ans?|années?|years?|mois|months?|jours?|days?|heures?|hours?|%)(?!\w)", re.I
)
_ONE = re.compile(rf"\b(?:{_VERB})\s+(?:un\(e\)|une?|an?)\s", re.I)


@dataclass(frozen=True)
class Pick:
    """A value found and whether the notice states it plainly."""

    value: object
    sure: bool


def find_title(
    notice: Notice, places: Places, names: Callable[[str], str] = lambda text: text
) -> Pick | None:
    """The post's title: a labelled field, a heading line naming a job, or 'recrute un(e) X'.

    `names` removes organisation names from a line ("Médecins Sans Frontières" names no job).
    """
    m = _TITLE_LABEL.search(unglue(notice.text))
    if m:
        return Pick(_tidy(m.group("value")), True)
    for line in notice.lines[:40]:
        text = line.text.strip(" •·*-#")
        if (
            len(text) <= 80
            and len(text.split()) <= 10
            and not _GENERIC.match(text)
            and not text.endswith(".")
            and not _VERBS.search(text)
            and _categories(names(text), places)
        ):
            return Pick(_tidy(text), True)
    m = _RECRUIT_TITLE.search(notice.text)
    if m:
        value = _TITLE_END.sub("", m.group("value"))
        return Pick(_tidy(value), bool(_categories(value, places)))
    for line in notice.lines[:5]:
        text = re.split(r"(?<=[.!?])\s", line.text.strip(" •·*-#"))[0]
        if (
            3 <= len(text) <= 80
            and len(text.split()) <= 10
            and not _GENERIC.match(text)
            and not _VERBS.search(text)
        ):
            return Pick(_tidy(text), False)
    return None


def _tidy(title: str) -> str:
    """'Chef.fe de Mission – Mali – H/F' -> 'Chef.fe de Mission'; caps lowered; at most 90."""
    title = _COUNT_NOTE.sub("", _GENDER.sub("", title))
    parts = [p.strip(" ,;:") for p in re.split(r"\s+-\s+|\s*\|\s*", title)]
    parts = [p for p in parts if p and not _TRAILERS.match(p) and not _GENERIC.match(p)] or [title]
    title = parts[0]
    # "Nutrition Officer, NO-B, Fixed Term": grades and contract types are not the title.
    title = _CONTRACT.sub("", title)
    title = re.sub(r",\s*(?:Bamako|Mali).*$", "", title).strip(" ,;:")
    if title.isupper():
        # "DISTRICT OFFICER/CONSEILLER DISTRICT" -> "District Officer/Conseiller District".
        title = re.sub(r"[^\W\d_]+", lambda w: w.group(0).capitalize(), title)
    title = title[:1].upper() + title[1:]
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE].rsplit(" ", 1)[0]
    return title.strip(" ,;:-")


def _categories(text: str, places: Places) -> list[str]:
    """Category slugs named for certain in a short text."""
    return [h.slug for h in places.find(text).categories if h.certain]


def find_category(notice: Notice, title: str, places: Places, *, title_sure: bool) -> Pick | None:
    """The category: the one the title names; a plainly stated title naming none is 'other';
    with no such title, the category the notice names most (a guess)."""
    found = _categories(title, places)
    if found:
        return Pick(found[0], True)
    if title_sure:
        # "Chargé(e) de suivi-évaluation": the duties name nurses and doctors it works with.
        return Pick(OTHER, False)
    counts: Counter[str] = Counter()
    words = [w.key for w in notice.words]
    for i in range(len(words)):
        for n in (4, 3, 2, 1):
            found_here = places.resolve_category(" ".join(words[i : i + n]))
            if found_here is not None and found_here.slug != OTHER:
                counts[found_here.slug] += 1
                break
    if counts:
        return Pick(counts.most_common(1)[0][0], False)
    return None


def _number(words: str, digits: str | None) -> tuple[int, bool] | None:
    """'quatre', '04' -> (4, True); words and digits that disagree -> the digits, unsure."""
    words = words.strip()
    value: int | None
    if words.isdigit():
        value = int(words)
    else:
        value = None
        for lang in ("fr", "en"):
            try:
                value = text2num(key(words).replace(" et ", " "), lang)
                break
            except ValueError:
                continue
    if digits is not None:
        if value is not None and value != int(digits):
            return int(digits), False
        return int(digits), True
    return (value, True) if value is not None else None


def find_positions(notice: Notice, title: str, places: Places) -> Pick:
    """How many are recruited: a labelled count, 'six (6) postes', '3 District Officers'."""
    for m in _COUNT_LABEL.finditer(notice.text):
        got = _number(m.group("n"), m.group("d"))
        if got and 1 <= got[0] <= 10_000:
            return Pick(got[0], got[1])
    title_words = {w for w in key(title).split() if len(w) > 3}
    head_end = notice.lines[min(4, len(notice.lines) - 1)].start if notice.lines else 0
    for m in _COUNT.finditer(notice.text):
        what = m.group("what")
        if _NOT_A_COUNT.match(what):
            continue
        # Only where the notice speaks of recruiting: "300 staff", "42 CSCom" count nothing.
        if m.start() > head_end and not _COUNT_CUE.search(
            notice.text[max(0, m.start() - 120) : m.start()]
        ):
            continue
        after = set(fold(what).split())
        if re.match(_POST_WORDS, what, re.I) or (after & title_words) or _categories(what, places):
            got = _number(m.group("n"), m.group("d"))
            if got and 1 <= got[0] <= 10_000:
                return Pick(got[0], got[1])
    if _ONE.search(notice.text):
        return Pick(1, True)
    return Pick(1, False)
