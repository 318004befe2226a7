"""Every USSD screen's words, and the layout that fits a screen into 160 GSM-7 characters.

A screen is: an optional notice line ("Choix invalide."), a heading, numbered options, then the
navigation lines ("99 Suite", "0 Retour 00 Accueil"). Everything goes through the composer's
GSM-7 transliteration and is measured in septets. The reply carries a 4-character "CON "/"END "
prefix, so a screen's text gets 156 septets and the whole reply stays within 160 even on handsets
that count the prefix.

Lists are paginated greedily: each page takes as many whole options as fit, and room is kept for
the notice line, so an error never pushes an option off the screen.

Bamanankan copy is in messages/translations/bm/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from messages.alert import display_title, organization_variants, place_variants
from messages.catalog import N_, render
from messages.compose import gsm7_length, shorten_words, to_gsm7

#: Septets for a screen's text: 160 minus the "CON " / "END " prefix.
SCREEN_CHARS = 156
#: A numbered option longer than this is shortened at a word boundary (job titles, names).
OPTION_CHARS = 48

# -- navigation -----------------------------------------------------------------------------

BACK = N_("Retour")
HOME = N_("Accueil")
NEXT = N_("Suite")
YES = N_("Oui")
NO = N_("Non")

INVALID = N_("Choix invalide.")
UNKNOWN_NAME = N_("Nom inconnu, réessayez.")

# -- first call and language ------------------------------------------------------------------

#: Before we know the caller's language, the first screen speaks both.
WELCOME = "Baara: offres d'emploi santé / kɛnɛya baara"
LANGUAGE_HEAD = "Langue / Kan:"
LANGUAGE_NAMES = {"fr": "Français", "bm": "Bamanankan"}
LANGUAGE_SET = N_("Langue enregistrée.")

RESUME_HEAD = N_("Vous avez été coupé. Reprendre là où vous étiez ?")

# -- home -------------------------------------------------------------------------------------

HOME_HEAD = N_("Baara, emplois santé")
MENU_SUBSCRIBE = N_("M'inscrire")
MENU_ALERTS = N_("Mes alertes")
MENU_JOBS = N_("Offres ouvertes")
#: Names the other language too, so someone who picked the wrong one finds the way back.
MENU_LANGUAGE = N_("Langue / Kan")

# -- subscribe --------------------------------------------------------------------------------

REGIONS_HEAD = N_("Choisissez la région :")
TYPE_OPTION = N_("Écrire le nom du district")
TYPE_HEAD = N_("Écrivez le nom de votre district (ex : Kati) :")
DISTRICTS_HEAD = N_("Région {region} :")
WHOLE_REGION = N_("Toute la région")
CANDIDATES_HEAD = N_("Vous voulez dire :")
CATEGORIES_HEAD = N_("Quel métier, {place} ?")
ALL_JOBS = N_("Toutes les offres")
CONFIRM_HEAD = N_("Recevoir par SMS les offres pour {what} ?")
SUBSCRIBED_END = N_("C'est fait : les offres pour {what} vous arriveront par SMS.")
#: The offers asked for are already theirs through a broader subscription: nothing stored.
ALREADY_END = N_("Vous recevez déjà toutes les offres pour {what}.")
FREE = N_("Service gratuit.")

# -- my alerts --------------------------------------------------------------------------------

ALERTS_HEAD = N_("Vos alertes (choisir pour retirer) :")
STOP_ALL_OPTION = N_("Tout stopper")
ALERTS_NONE = N_("Vous n'avez aucune alerte.")
ALERTS_STOPPED = N_("Vous ne recevez plus d'alertes.")
RESUME_ALERTS_OPTION = N_("Les reprendre")
ALERTS_RESUMED_END = N_("Vos alertes reprennent. Les offres vous arriveront par SMS.")
REMOVE_HEAD = N_("Retirer l'alerte {what} ?")
REMOVED_END = N_("Alerte retirée : {what}.")
STOP_HEAD = N_("Tout stopper ? Vous ne recevrez plus aucun SMS de Baara.")
STOPPED_END = N_("C'est fait : vous ne recevrez plus d'alertes. Pour revenir, composez {code}.")

# -- open jobs --------------------------------------------------------------------------------

JOBS_HEAD = N_("Offres ouvertes :")
JOBS_NONE = N_("Aucune offre ouverte pour l'instant. Nous vous écrirons dès qu'un poste ouvre.")
#: Worded as the alert's first sentence, so the caller recognises the job.
JOB_HEAD = N_("{code} {title} - {organization}, {places}.")
JOB_DEADLINE = N_("Limite {deadline}")
JOB_SMS_OPTION = N_("Recevoir par SMS")
JOB_SENT_END = N_("Les détails de l'offre {code} arrivent par SMS.")
JOB_GONE = N_("Cette offre n'est plus ouverte.")


def t(msgid: str, lang: str, **values: object) -> str:
    """A translated string, filled and transliterated to GSM-7."""
    return _translated(msgid, lang, tuple(sorted(values.items())))


# Screens are rebuilt on every request from the same few hundred strings: caching the
# translation, transliteration and pagination keeps a request well under a millisecond.
@functools.lru_cache(maxsize=4096)
def _translated(msgid: str, lang: str, values: tuple[tuple[str, object], ...]) -> str:
    return to_gsm7(render(msgid, lang, **dict(values)))


@functools.lru_cache(maxsize=8192)
def septets(text: str) -> int:
    """gsm7_length(), remembered: the same few hundred lines are measured on every screen."""
    return gsm7_length(text)


def capitalize(text: str) -> str:
    """First letter upper-case ('toute la région' -> 'Toute la région'), the rest untouched."""
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=8192)
def option_label(text: str) -> str:
    """An option's text in GSM-7, shortened so one long title cannot crowd out the others."""
    return shorten_words(to_gsm7(" ".join(text.split())), OPTION_CHARS)


@functools.lru_cache(maxsize=8)
def notice_room(lang: str) -> int:
    """Septets to keep for the longest notice line a screen may have to show."""
    return max(septets(t(m, lang)) for m in (INVALID, UNKNOWN_NAME, LANGUAGE_SET))


@functools.lru_cache(maxsize=8)
def nav_lines(lang: str, *, back: bool) -> tuple[str, ...]:
    """The navigation footer: '0 Retour 00 Accueil' below the home screen, nothing on it."""
    if not back:
        return ()
    return (f"0 {t(BACK, lang)} 00 {t(HOME, lang)}",)


def next_line(lang: str) -> str:
    """'99 Suite': the next page (AT cannot pass '#' through from most handsets)."""
    return f"99 {t(NEXT, lang)}"


def _size(lines: Sequence[str]) -> int:
    return sum(septets(line) for line in lines) + max(len(lines) - 1, 0)


@functools.lru_cache(maxsize=4096)
def paginate(
    head: str,
    items: tuple[str, ...],
    extras: tuple[str, ...],
    tail: tuple[str, ...],
    more: str,
    reserve: int,
) -> tuple[tuple[int, int], ...]:
    """Split items into pages of whole options: [(start, stop), ...], never empty."""
    # Every page shows head (or a notice of up to `reserve` septets in its place, see layout),
    # its items numbered from 1, the extras numbered after them, `more` when another page
    # follows, then tail.
    first = max(septets(head), reserve)
    pages: list[tuple[int, int]] = []
    start = 0
    while True:
        stop = start
        while stop < len(items):
            numbered = _numbered([*items[start : stop + 1], *extras])
            last = stop + 1 == len(items)
            lines = [*numbered, *([] if last else [more]), *tail]
            if first + 1 + _size(lines) > SCREEN_CHARS and stop > start:
                break
            stop += 1
        pages.append((start, stop))
        if stop >= len(items):
            return tuple(pages)
        start = stop


def _numbered(labels: Sequence[str]) -> list[str]:
    return [f"{n} {label}" for n, label in enumerate(labels, start=1)]


def layout(
    heads: Sequence[str],
    options: Sequence[str],
    *,
    more: str | None,
    tail: Sequence[str],
    notice: str | None,
) -> str:
    """One screen: notice, the longest head variant that fits, numbered options, navigation."""
    # When a notice and the head do not both fit, the notice takes the head's place.
    body = [*_numbered(options), *([more] if more else []), *tail]
    room = SCREEN_CHARS - _size(body) - (1 if body else 0)
    lead = [notice] if notice else []
    for head in heads:
        candidate = [*lead, head] if head else lead
        if candidate and _size(candidate) <= room:
            return "\n".join([*candidate, *body])
    if lead and _size(lead) <= room:
        return "\n".join([*lead, *body])
    # No variant fits: cut the shortest at a word boundary (long job details, long names).
    width = room - (_size(lead) + 1 if lead else 0)
    head = shorten_words(heads[-1] if heads else "", max(width, 3))
    return "\n".join([*lead, head, *body])


def end_text(variants: Sequence[str], extra: str | None = None) -> str:
    """An END screen: the longest variant that fits, with `extra` when there is room."""
    for text in variants:
        if extra and gsm7_length(text) + 1 + gsm7_length(extra) <= SCREEN_CHARS:
            return f"{text} {extra}"
    for text in variants:
        if gsm7_length(text) <= SCREEN_CHARS:
            return text
    return shorten_words(variants[-1], SCREEN_CHARS)


def job_detail(
    lang: str, *, code: str, title: str, organization: str, places: Sequence[str], deadline: str
) -> list[str]:
    """A job's details for its screen, longest first (the layout picks one that fits)."""
    variants = []
    # The alert's title, whole; only the organisation and the places get shorter.
    shown = display_title(title)
    for org in organization_variants(organization):
        for where in place_variants(places, lang):
            head = (
                render(JOB_HEAD, lang, code=code, title=shown, organization=org, places=where)
                if where
                else f"{code} {shown} - {org}."
            )
            text = to_gsm7(f"{head} {render(JOB_DEADLINE, lang, deadline=deadline)}")
            if text not in variants:
                variants.append(text)
    return variants


# Said before the caller's language is known, so in both languages at once; GSM-7 by the composer.
UNAVAILABLE = "END " + to_gsm7(
    "Baara: service indisponible, rappelez plus tard. / Baara tɛ se sisan."
)
TOO_MANY = "END " + to_gsm7(
    "Baara: trop de demandes, rappelez dans quelques minutes. / "
    "Baara: ɲininkali ka ca, i ka segin ka wele sɔni."
)
