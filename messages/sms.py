"""Every SMS Baara sends: French source strings, composed to one GSM-7 segment per language.

Each message is a list of parts; the composer drops or shortens the low-priority ones when a
long district list or title would push the text past its segment budget. Bamanankan copy is in
messages/translations/bm/LC_MESSAGES/messages.po, in standard orthography.
"""

from __future__ import annotations

from collections.abc import Sequence

from messages.catalog import N_, render
from messages.compose import Part, compose

# -- replies to commands ------------------------------------------------------------------

SUBSCRIBED = N_("Baara : inscription faite pour {what}.")
SUBSCRIBED_MORE = N_("Chaque nouvelle offre vous sera envoyée par SMS.")
SUBSCRIBED_HINT = N_("OFFRES = postes ouverts. STOP = ne plus recevoir.")

CONFIRM_PLACE = N_("Baara : vous voulez dire {name} ? Répondez OUI ou NON.")
CONFIRM_DECLINED = N_("D'accord. Envoyez le nom exact de votre district, par exemple SIKASSO.")

STOPPED = N_("Baara : vous ne recevrez plus aucun SMS. Pour revenir, envoyez START.")
STOPPED_ONE = N_("Baara : vous ne recevrez plus les offres pour {what}.")
STOPPED_ONE_HINT = N_("LISTE = vos alertes. STOP = ne plus rien recevoir.")
STOP_NOTHING = N_("Baara : vous n'aviez pas d'alerte pour {what}. LISTE = vos alertes.")

RESUMED = N_("Baara : bon retour ! Vos alertes reprennent : {what}.")
RESUMED_EMPTY = N_("Baara : bon retour ! Envoyez le nom de votre district, par exemple NIONO.")
#: START, a thank-you or a hello from a number that has never subscribed.
WELCOME = N_(
    "Baara : bienvenue ! Offres d'emploi santé par SMS, gratuit. Envoyez le nom de votre "
    "district, par exemple NIONO."
)
#: A subscription already covered by a broader one: nothing new was stored.
ALREADY = N_("Baara : vous recevez déjà toutes les offres pour {what}.")
ALREADY_HINT = N_("LISTE = vos alertes.")

HELP = N_(
    "Baara, offres d'emploi santé par SMS. Envoyez NIONO, KATI INFIRMIER, OFFRES, LISTE, "
    "LANGUE BM ou STOP."
)
HELP_FREE = N_("Service gratuit.")

LISTING = N_("Vos alertes : {what}.")
LISTING_HINT = N_("STOP + district pour en retirer une.")
LISTING_EMPTY = N_(
    "Baara : vous n'avez aucune alerte. Envoyez votre district, par exemple NIONO ou KATI "
    "INFIRMIER."
)
LISTING_STOPPED = N_("Baara : vous ne recevez plus d'alertes. Envoyez START pour les reprendre.")

LANGUAGE_SET = N_("Baara : c'est noté, nous vous écrirons désormais dans cette langue.")

OFFERS = N_("Offres : {items}.")
OFFERS_HINT = N_("INFO + code pour les détails.")
OFFERS_NONE = N_(
    "Baara : aucune offre ouverte pour vos alertes pour l'instant. Nous vous écrirons dès "
    "qu'un poste ouvre."
)

INFO_UNKNOWN = N_("Baara : aucune offre ouverte avec le code {code}. Envoyez OFFRES pour la liste.")

UNKNOWN = N_("Baara n'a pas compris. Exemples : NIONO pour les offres de Niono, KATI INFIRMIER.")
UNKNOWN_HINT = N_("AIDE pour l'aide.")
#: Every not-understood reply says how to stop: a person who cannot make us understand them
#: must still be able to leave.
UNKNOWN_STOP = N_("STOP = ne plus recevoir.")

NEED_PLACE = N_("Baara : pour quel district ? Exemple : NIONO ou SIKASSO INFIRMIER.")

TOO_MANY = N_("Baara : trop de messages. Réessayez dans quelques minutes.")

# -- how things are named -----------------------------------------------------------------

WHOLE_REGION = N_("toute la région de {name}")
WHOLE_MALI = N_("tout le Mali")
PLACE_AND_CATEGORIES = N_("{places} ({categories})")
AND_MORE = N_("{first} et {count} autres")


def _t(msgid: str, lang: str, **values: object) -> str:
    return render(msgid, lang, **values)


def named_list(names: Sequence[str], lang: str, keep: int) -> str:
    """'Niono, Macina' or 'Niono et 3 autres' when the list is longer than keep."""
    if len(names) <= keep:
        return ", ".join(names)
    return _t(AND_MORE, lang, first=", ".join(names[:keep]), count=len(names) - keep)


def what_variants(places: Sequence[str], categories: Sequence[str], lang: str) -> list[str]:
    """Ways to name a set of subscriptions, longest first (the composer picks one that fits)."""
    variants = []
    for keep_places in (len(places), 3, 1):
        for keep_cats in (len(categories), 2, 1, 0):
            text = named_list(places, lang, keep_places)
            if categories and keep_cats:
                cats = named_list(categories, lang, keep_cats)
                text = _t(PLACE_AND_CATEGORIES, lang, places=text, categories=cats)
            if text not in variants:
                variants.append(text)
    return variants


def _with_what(msgid: str, lang: str, whats: Sequence[str], priority: int = 5) -> Part:
    # Never an IndexError (a 500 on the webhook) for a place the reference no longer has.
    texts = [_t(msgid, lang, what=w) for w in whats or ["-"]]
    return Part(texts[0], shorter=tuple(texts[1:]), priority=priority)


def subscribed(lang: str, whats: Sequence[str]) -> str:
    """Confirmation of a new subscription."""
    return compose(
        [
            _with_what(SUBSCRIBED, lang, whats),
            Part(_t(SUBSCRIBED_MORE, lang), optional=True, priority=1),
            Part(_t(SUBSCRIBED_HINT, lang), optional=True, priority=3),
        ]
    )


def confirm_place(lang: str, name: str | Sequence[str]) -> str:
    """'Did you mean SIKASSO?' (many places are cut to 'KATI, NIONO et 3 autres')."""
    names = [n.upper() for n in ([name] if isinstance(name, str) else name)]
    variants = [
        _t(CONFIRM_PLACE, lang, name=named_list(names, lang, keep))
        for keep in dict.fromkeys((len(names), 3, 2, 1))
    ]
    return compose([Part(variants[0], shorter=tuple(variants[1:]))])


def stopped(lang: str) -> str:
    """Confirmation of STOP."""
    return compose([_t(STOPPED, lang)])


def stopped_one(lang: str, whats: Sequence[str]) -> str:
    """Confirmation of STOP <district>."""
    return compose(
        [
            _with_what(STOPPED_ONE, lang, whats),
            Part(_t(STOPPED_ONE_HINT, lang), optional=True, priority=1),
        ]
    )


def stop_nothing(lang: str, whats: Sequence[str]) -> str:
    """STOP <district> for a district the person never subscribed to."""
    return compose([_with_what(STOP_NOTHING, lang, whats)])


def resumed(lang: str, whats: Sequence[str]) -> str:
    """Welcome back after START."""
    if not whats:
        return compose([_t(RESUMED_EMPTY, lang)])
    return compose([_with_what(RESUMED, lang, whats)])


def welcome(lang: str) -> str:
    """First words to a number that never subscribed: what Baara is and how to start."""
    return compose([_t(WELCOME, lang)])


def already(lang: str, whats: Sequence[str]) -> str:
    """A narrower subscription inside one they have: they already get all offers there."""
    return compose(
        [
            _with_what(ALREADY, lang, whats),
            Part(_t(ALREADY_HINT, lang), optional=True, priority=1),
        ]
    )


def help_text(lang: str) -> str:
    """What to send, with examples."""
    return compose([_t(HELP, lang), Part(_t(HELP_FREE, lang), optional=True)])


def listing(lang: str, whats: Sequence[str], *, stopped: bool = False) -> str:
    """The person's current subscriptions."""
    if stopped:
        return compose([_t(LISTING_STOPPED, lang)])
    if not whats:
        return compose([_t(LISTING_EMPTY, lang)])
    return compose(
        [
            _with_what(LISTING, lang, whats),
            Part(_t(LISTING_HINT, lang), optional=True, priority=1),
        ]
    )


def language_set(lang: str) -> str:
    """Confirmation of a language switch, in the new language."""
    return compose([_t(LANGUAGE_SET, lang)])


def offers(lang: str, items: Sequence[str]) -> str:
    """Newest open jobs by code and title: as many as fit in one segment."""
    if not items:
        return compose([_t(OFFERS_NONE, lang)])
    parts: list[str] = []
    for count in range(len(items), 0, -1):
        parts.append(_t(OFFERS, lang, items="; ".join(items[:count])))
    head = Part(parts[0], shorter=tuple(parts[1:]), priority=5)
    return compose([head, Part(_t(OFFERS_HINT, lang), optional=True, priority=6)])


def info_unknown(lang: str, code: str) -> str:
    """INFO for a code that is not an open job."""
    return compose([_t(INFO_UNKNOWN, lang, code=code.upper())])


def unknown(lang: str) -> str:
    """A text we did not understand: two examples, and always how to stop."""
    return compose(
        [
            _t(UNKNOWN, lang),
            Part(_t(UNKNOWN_HINT, lang), optional=True),
            Part(_t(UNKNOWN_STOP, lang), priority=9),
        ]
    )


def too_many(lang: str) -> str:
    """The one answer to a number that sends too many messages, before it is ignored."""
    return compose([_t(TOO_MANY, lang)])


def need_place(lang: str) -> str:
    """A subscribe keyword with no district."""
    return compose([_t(NEED_PLACE, lang)])


def confirm_declined(lang: str) -> str:
    """NON to 'did you mean'."""
    return compose([_t(CONFIRM_DECLINED, lang)])


def region_name(lang: str, name: str) -> str:
    """'toute la région de Ségou'."""
    return _t(WHOLE_REGION, lang, name=name)


def whole_mali(lang: str) -> str:
    """'tout le Mali': every region."""
    return _t(WHOLE_MALI, lang)
