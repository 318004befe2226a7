"""How a job reads on a basic phone: its one title, the alert, INFO, and its line in OFFRES.

The rules, so that the same job reads the same everywhere:

* one title: display_title() is the recruiter's title without the noise a poster carries
  ("- Mali", "H/F") and, past TITLE_CHARS, cut after a whole word (never after "de", "à",
  "and"...) with "..."; the alert, OFFRES, INFO, the USSD list and the relays' digest all show
  exactly this text, so a person recognises the job when they look it up;
* the alert reads "Baara J482 : title - organisation, places. Date limite ... Gratuit, ne payez
  jamais." and always ends with how to get the details: "Détails : INFO J482" when the
  how-to-apply fits too, else "Pour postuler : INFO J482" (the how-to-apply is in INFO);
* the organisation is named by its short name (config/organizations.yaml or the job's own);
  a long name without one is cut after a whole word, never inside one;
* many places read "Niono, Macina et 3 autres"; OFFRES and the USSD list put the person's own
  district first (own_first()).

Bamanankan copy is in messages/translations/bm/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Sequence

from messages.catalog import N_, render
from messages.compose import Part, TooLong, compose, shorten_words
from messages.sms import named_list

#: Longest display title: what an alert can give a title beside the rest (see README).
TITLE_CHARS = 40
#: An organisation name without a short name is cut to this as a last resort.
ORG_CHARS = 24

ALERT_HEAD = N_("Baara {code} : {title} - {organization}, {places}.")
ALERT_DEADLINE = N_("Date limite {deadline}.")
ALERT_FREE = N_("Gratuit, ne payez jamais.")
ALERT_DETAILS = N_("Détails : INFO {code}")
ALERT_TO_APPLY = N_("Pour postuler : INFO {code}")
ALERT_INFO = N_("INFO {code}")
#: The last resort for a long list of places in an alert: INFO names them all.
PLACES_COUNT = N_("{count} lieux")

INFO_HEAD = N_("{code} {title} - {organization}.")
INFO_PLACE = N_("Lieu : {places}.")
INFO_POSITIONS = N_("Postes : {positions}.")
INFO_DEADLINE = N_("Date limite : {deadline}.")
INFO_APPLY = N_("Postuler : {apply}.")

# Poster noise: "H/F", "(F/H)", "- Mali" at the end of a title.
_GENDER = re.compile(r"\s*[-,/]?\s*\(?\b[HF]\s*/\s*[FH]\b\)?\s*$", re.IGNORECASE)
_COUNTRY = re.compile(r"\s*[-,/(]\s*Mali\s*\)?\s*$", re.IGNORECASE)
_TRAILING_PAREN = re.compile(r"\s*\([^()]*\)\s*$")
_SPACES = re.compile(r"\s+")
# Words a cut title must not end on: "Conseiller technique à..." reads as a mistake.
_DANGLING = frozenset(
    {
        "à",
        "a",
        "au",
        "aux",
        "de",
        "des",
        "du",
        "d'",
        "l'",
        "la",
        "le",
        "les",
        "et",
        "ou",
        "en",
        "sur",
        "pour",
        "par",
        "avec",
        "chez",
        "of",
        "the",
        "and",
        "for",
        "in",
        "to",
        "at",
        "on",
        "with",
        "-",
        "/",
        "&",
        "+",
        ",",
        ";",
    }
)


def _cut(text: str, limit: int) -> str:
    """text in at most limit characters, cut after a whole word with '...'."""
    if len(text) <= limit:
        return text
    words = shorten_words(text, limit).removesuffix("...").split()
    while len(words) > 1 and (words[-1].lower() in _DANGLING or words[-1].endswith("'")):
        words.pop()
    return " ".join(words).rstrip(" -/,;:(&+") + "..."


def display_title(title: str) -> str:
    """The job's one title for SMS and USSD: poster noise removed, at most TITLE_CHARS."""
    text = _SPACES.sub(" ", title).strip()
    while True:
        cleaned = _COUNTRY.sub("", _GENDER.sub("", text)).strip(" -,/")
        if cleaned == text or not cleaned:
            break
        text = cleaned
    # A trailing "(USAID Keneya Nieta)" goes before any word does.
    while (
        len(text) > TITLE_CHARS and (shorter := _TRAILING_PAREN.sub("", text)) != text and shorter
    ):
        text = shorter
    return _cut(text, TITLE_CHARS)


def organization_variants(organization: str) -> list[str]:
    """The organisation as an alert may name it, longest first; cuts only after whole words."""
    name = _SPACES.sub(" ", organization).strip()
    cuts = [_cut(name, n) for n in (32, ORG_CHARS, 16) if len(name) > n]
    # A cut that keeps a single word ("Alliance...") no longer says who is hiring: the last resort.
    return list(dict.fromkeys([name, *cuts]))


def own_first(names: Sequence[str], own: Collection[str]) -> list[str]:
    """Place names with the person's own ones first, each group in posting order."""
    return [n for n in names if n in own] + [n for n in names if n not in own]


def place_variants(places: Sequence[str], lang: str) -> dict[str, float]:
    """'Niono, Macina, Kati', 'Niono, Macina et 2 autres', 'Niono et 3 autres', '4 lieux'.

    Each with what it costs the reader (see job_alert): a count alone names no place at all,
    so it comes after the deadline's year and the "Pour postuler :" label.
    """
    keeps = [len(places)] if len(places) <= 3 else []
    # "Niono, Macina et 1 autres" reads badly: a count is at least two.
    keeps += [k for k in (2, 1) if len(places) - k >= 2]
    variants: dict[str, float] = {}
    for cost, keep in enumerate(keeps):
        variants.setdefault(named_list(places, lang, keep), cost)
    if len(places) > 2:
        variants.setdefault(render(PLACES_COUNT, lang, count=len(places)), 4)
    return variants or {"": 0}


def job_alert(
    lang: str,
    *,
    code: str,
    title: str,
    organization: str,
    places: Sequence[str],
    deadline: str,
    deadline_short: str,
    apply: str,
) -> str:
    """The alert in one GSM-7 segment; TooLong when even its shortest form does not fit."""
    shown = display_title(title)
    orgs = organization_variants(organization)
    wheres = place_variants(places, lang)
    where_first = next(iter(wheres))
    free = render(ALERT_FREE, lang)
    if apply:
        # The how-to-apply comes only beside the whole first sentence, never at its cost
        # (the deadline's year may go for it: deadlines are less than a year ahead).
        head = render(
            ALERT_HEAD, lang, code=code, title=shown, organization=orgs[0], places=where_first
        )
        for day in (deadline, deadline_short):
            try:
                return compose(
                    [
                        head,
                        render(ALERT_DEADLINE, lang, deadline=day),
                        render(INFO_APPLY, lang, apply=apply),
                        free,
                        render(ALERT_DETAILS, lang, code=code),
                    ]
                )
            except TooLong:
                pass
    # Otherwise the form that fits and gives up the least, by these costs: a shorter list of
    # places (1 a step), the deadline's year (1.5), the "Pour postuler :" before INFO J... (2.5),
    # the places' names for a count (4), words of the organisation's name (5 a step:
    # "Association..." no longer says who is hiring).
    dates = {deadline: 0, deadline_short: 1.5}
    infos = {ALERT_TO_APPLY if apply else ALERT_DETAILS: 0, ALERT_INFO: 2.5}
    orgs_cost = {o: 5 * n for n, o in enumerate(orgs)}
    choices = sorted(
        itertools.product(orgs_cost.items(), wheres.items(), dates.items(), infos.items()),
        key=lambda c: sum(cost for _, cost in c),
    )
    last: TooLong | None = None
    for (org, _), (where, _), (day, _), (info, _) in choices:
        try:
            return compose(
                [
                    render(
                        ALERT_HEAD, lang, code=code, title=shown, organization=org, places=where
                    ),
                    render(ALERT_DEADLINE, lang, deadline=day),
                    free,
                    render(info, lang, code=code),
                ]
            )
        except TooLong as exc:
            last = exc
    assert last is not None
    raise last


def job_info(
    lang: str,
    *,
    code: str,
    title: str,
    organization: str,
    short_name: str,
    places: Sequence[str],
    positions: int,
    deadline: str,
    apply: str,
) -> str:
    """INFO <code>: the details of a job, in at most two segments."""
    shown = display_title(title)
    orgs = [_SPACES.sub(" ", organization).strip()]
    orgs += [short_name] if short_name else organization_variants(organization)
    heads = [render(INFO_HEAD, lang, code=code, title=shown, organization=o) for o in orgs]
    # The last choices keep the longest how-to-apply the API accepts (300 characters) and
    # 100 places inside two segments.
    return compose(
        [
            Part(heads[0], shorter=tuple(dict.fromkeys(heads[1:])), priority=4),
            Part(
                render(INFO_PLACE, lang, places=", ".join(places)),
                shorter=tuple(
                    dict.fromkeys(
                        render(INFO_PLACE, lang, places=named_list(places, lang, k)) for k in (3, 1)
                    )
                ),
                priority=5,
            ),
            Part(render(INFO_POSITIONS, lang, positions=positions), optional=True, priority=1),
            Part(render(INFO_DEADLINE, lang, deadline=deadline), priority=9),
            Part(
                render(INFO_APPLY, lang, apply=apply),
                shorter=tuple(
                    render(INFO_APPLY, lang, apply=shorten_words(apply, n)) for n in (120, 80, 60)
                ),
                priority=6,
            ),
            Part(render(ALERT_FREE, lang), priority=9),
        ],
        max_segments=2,
    )


def offer_item(code: str, title: str, places: Sequence[str], lang: str) -> str:
    """'J482 Mobilisateur communautaire, Niono, Macina': one line of an OFFRES reply."""
    # Two names, or one and a count: "et 1 autres" would read badly, and the item must be short.
    where = named_list(places, lang, 2 if len(places) <= 2 else 1)
    return f"{code} {display_title(title)}, {where}" if where else f"{code} {display_title(title)}"
