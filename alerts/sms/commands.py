"""The SMS command parser: text and conversation state in, a Command out. Pure.

People text the way they speak: no accents, typos, French or Bamanankan or both, one word or a
sentence. The parser folds the text, looks for a command keyword at the start (or a command
sentence: "je ne veux plus recevoir de sms", "n t'a fɛ tugun"), and otherwise treats any message
naming a district, region or job as a subscription. Its words are in `vocabulary.py`, the ways
of reading them (codes, numbers, places in context, slips) in `reading.py`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from alerts.domain.phones import typed_ascii
from alerts.domain.places import Findings, Hit, Places
from alerts.domain.subscribers import Language
from alerts.domain.text import fold
from alerts.sms import reading
from alerts.sms.intents import MAX_PARSED, Command, Intent, Pending, State
from alerts.sms.vocabulary import (
    BAMANANKAN_WORDS,
    FRENCH_WORDS,
    HELP_FILLERS,
    HELP_WORDS,
    INFO_WORDS,
    LANGUAGE_FILLERS,
    LANGUAGE_WORDS,
    LIST_WORDS,
    NEWS_WORDS,
    NO_LEAD,
    NO_WORDS,
    OFFERS_ASK,
    OFFERS_FILLERS,
    OFFERS_WORDS,
    PHONE_CHARS,
    PHONE_DIGITS,
    RELAY_WORDS,
    SEEK_OBJECTS,
    SEEK_VERBS,
    START_ALONE,
    START_ANYWHERE,
    START_WORDS,
    STOP_ALONE,
    STOP_WORDS,
    STRONG_WORDS,
    SUBSCRIBE_ANYWHERE,
    SUBSCRIBE_WORDS,
    THANKS_FILLERS,
    THANKS_WORDS,
    THUMBS_UP,
    TOGGLE,
    TOGGLE_FILLERS,
    WHO_FILLERS,
    WHO_WORDS,
    WHOLE_MALI,
    WHOLE_MALI_ALONE,
    YES_LEAD,
    YES_WORDS,
)


def urgent(text: str) -> Intent | None:
    """STOP or START when a text plainly asks for one (flood control lets these through).

    Cheap and context-free: the webhook calls it on every message before the worker parses it.
    """
    words = [w for w in re.split(r"[\s']+", fold((text or "")[:MAX_PARSED])) if w]
    if not words or len(words) > 12:
        return None
    if reading.whole(words, STOP_ALONE):
        return Intent.STOP
    words = reading.respelled(words)
    if reading.phrase_in(words, STOP_WORDS) or reading.is_stop(words):
        return Intent.STOP
    if (
        reading.phrase_in(words, START_WORDS)
        or reading.whole(words, START_ALONE)
        or (len(words) <= 6 and any(w in START_ANYWHERE for w in words))
    ):
        return Intent.START
    return None


def phone_attempt(raw: str) -> str | None:
    """The first group of number-like words with enough digits to be meant as a phone number.

    Typos included ("76 12 34 5", "7612345O"), so a wrong number is answered as one instead of
    being dropped and the rest of the text read as the sender's own subscription.
    """
    group: list[str] = []
    for token in [*raw.split(), ""]:
        # Matched as ASCII, kept as typed: normalize() decides what a look-alike digit is worth.
        if token and PHONE_CHARS.match(typed_ascii(token)):
            group.append(token.rstrip(",;:"))
            continue
        if sum(ch.isdigit() for ch in "".join(group)) >= PHONE_DIGITS:
            return " ".join(group)
        group = []
    return None


def _without_locators(raw: str, places: Places) -> str:
    """The text without a bracketed region that locates a district named beside it.

    "Kati (Koulikoro)" is Kati; "Niono (Ségou)" is Niono.
    """
    if "(" not in raw:
        return raw
    for group in re.findall(r"\(([^()]*)\)", raw):
        region = places.region_named(group)
        if region is None:
            continue
        rest = raw.replace(f"({group})", " ")
        if any(places.ref.districts[h.slug].region == region for h in places.find(rest).districts):
            raw = rest
    return raw


def parse(text: str, state: State, places: Places) -> Command:
    """Turn one SMS into a Command; never raises."""
    raw = _without_locators((text or "")[:MAX_PARSED], places)
    folded = fold(raw)
    words = [w for w in re.split(r"[\s']+", folded) if w]
    # A lone '?' folds to nothing: keep it as a word so it reads as help; a thumbs up (any skin
    # tone) as the yes it means.
    if not words and "?" in raw:
        words = ["?"]
    elif not words and any(sign in raw for sign in THUMBS_UP):
        words = ["👍"]
    language = reading.detect_language(words)
    bm_text = language is Language.BM

    def cmd(intent: Intent, **kw) -> Command:
        return Command(intent, language=language, words=tuple(words), **kw)

    def with_places(intent: Intent, found: Findings) -> Command:
        return reading.from_findings(
            intent, found, language=language, words=tuple(words), phone=phone
        )

    # A number in the text (a relay's "INSCRIRE 76 12 34 56 NIONO"), as typed, typos and all.
    phone = phone_attempt(raw)

    def find(phrase_words: list[str]) -> Findings:
        # Context is read in the whole text: "START ci" is the Bamanankan "send START".
        if not phrase_words:
            return Findings()
        return reading.filtered(places.find(" ".join(phrase_words)), words, bm_text)

    if not words:
        return cmd(Intent.UNKNOWN)

    pending = state.pending
    if pending is not None and pending.asks_place:
        answer = _answer(words, pending, find)
        if isinstance(answer, Intent):
            return cmd(answer)
        if answer is not None:
            # "oui, et Kati aussi": the places asked about, plus the new ones.
            more = reading.from_findings(
                Intent.SUBSCRIBE, answer, language=language, words=tuple(words)
            )
            return replace(
                more,
                districts=tuple(dict.fromkeys(pending.districts + more.districts)),
                regions=tuple(dict.fromkeys(pending.regions + more.regions)),
                categories=tuple(dict.fromkeys(pending.categories + more.categories)),
            )

    code = reading.code(words, asked=False) if len(words) <= 5 else None
    if code is None and len(words) <= 12:
        # "je veux plus d'infos sur J482": a code with digits, anywhere in a short text.
        with_digits = [w for w in words if any(ch.isdigit() for ch in w) or w == "j"]
        code = reading.code(with_digits, asked=False)
        code = code if code and any(ch.isdigit() for ch in code) else None
    if words[0] in INFO_WORDS and len(words) > 1:
        code = reading.code(words[1:4], asked=True) or reading.bare_code(words[1:]) or code
    if code:
        return cmd(Intent.INFO, code=code)
    if len(words) == 1 and (bare := reading.bare_code(words)):
        return cmd(Intent.INFO, code=bare, guessed=True)  # "486": INFO J486 if it exists

    if reading.whole(words, STOP_ALONE):
        return cmd(Intent.STOP)
    words = reading.respelled(words)

    if n := reading.phrase_in(words, STOP_WORDS):
        found = find(words[n:])
        if found.districts or found.regions:
            return with_places(Intent.STOP, found)
        return cmd(Intent.STOP)

    if n := reading.phrase_in(words, START_WORDS):
        found = find(words[n:])
        if found.districts or found.regions:
            return with_places(Intent.SUBSCRIBE, found)
        return cmd(Intent.START)

    if words[0] in LANGUAGE_WORDS or reading.whole(words, FRENCH_WORDS | BAMANANKAN_WORDS):
        rest = words[1:] if words[0] in LANGUAGE_WORDS else words
        joined = " ".join(rest)
        if joined in FRENCH_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.FR)
        if joined in BAMANANKAN_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.BM)
        if not rest or reading.whole(rest, TOGGLE_FILLERS):
            # LANGUE alone: switch to the other one.
            return cmd(Intent.LANGUAGE, target=reading.other(state.language))
    if reading.only(words, TOGGLE, LANGUAGE_FILLERS | TOGGLE_FILLERS):
        # "je veux changer de langue"
        return cmd(Intent.LANGUAGE, target=reading.other(state.language))
    target = reading.language_request(words)
    if target is not None:
        return cmd(Intent.LANGUAGE, target=target)

    if n := reading.phrase_in(words, RELAY_WORDS, max_len=1):
        return with_places(Intent.RELAY, find(words[n:]))

    if reading.only(words, THANKS_WORDS, THANKS_FILLERS):
        return cmd(Intent.THANKS)
    if reading.only(words, WHO_WORDS, WHO_FILLERS):
        return cmd(Intent.WHO)
    if reading.whole(words, HELP_WORDS):
        return cmd(Intent.HELP)
    if reading.whole(words, LIST_WORDS):
        return cmd(Intent.LIST)

    if reading.is_stop(words):
        found = find(words)
        if found.districts or found.regions:
            return with_places(Intent.STOP, found)
        return cmd(Intent.STOP)

    found = find(words)
    if found.districts or found.regions:
        return with_places(Intent.SUBSCRIBE, found)
    if any(reading.phrase_in(words[i:], WHOLE_MALI) for i in range(len(words))) or (
        len(words) <= 6
        and not found.rest
        and "est" not in words
        and any(reading.phrase_in(words[i:], WHOLE_MALI_ALONE) for i in range(len(words)))
    ):
        # "tout le Mali", "partout": every region.
        every = [Hit(slug, 100.0, "mali", True) for slug in places.ref.regions]
        return with_places(Intent.SUBSCRIBE, replace(found, regions=every))

    if (len(words) <= 6 and any(w in START_ANYWHERE for w in words)) or reading.whole(
        words, START_ALONE
    ):
        return cmd(Intent.START)
    if reading.only(words, HELP_WORDS, HELP_FILLERS) and words[0] not in SUBSCRIBE_ANYWHERE:
        return cmd(Intent.HELP)
    if reading.only(words, LIST_WORDS, HELP_FILLERS | OFFERS_FILLERS):
        return cmd(Intent.LIST)
    if reading.phrase_in(words, HELP_WORDS, max_len=3) and words[0] in ("comment", "how", "aide"):
        return cmd(Intent.HELP)  # "comment s'inscrire ?", "aide moi a m'inscrire"
    if (
        reading.phrase_in(words, SUBSCRIBE_WORDS)
        or any(w in SUBSCRIBE_ANYWHERE for w in words)
        or found.categories
    ):
        # They want alerts but named no place we know: ask which district.
        return with_places(Intent.SUBSCRIBE, found)
    offers_only = reading.only(words, OFFERS_WORDS, OFFERS_FILLERS)
    if offers_only and any(w in OFFERS_ASK for w in words):
        return cmd(Intent.OFFERS)  # "je veux voir les offres", "baara kura bɛ yen wa?"
    if any(w in SEEK_VERBS for w in words) and any(w in SEEK_OBJECTS for w in words):
        return with_places(Intent.SUBSCRIBE, found)  # "je cherche du travail": which district?
    if offers_only or reading.whole(words, NEWS_WORDS):
        return cmd(Intent.OFFERS)
    if reading.phrase_in(words, HELP_WORDS, max_len=3) and len(words) <= 4:
        return cmd(Intent.HELP)
    if reading.phrase_in(words, LIST_WORDS) and len(words) <= 3:
        return cmd(Intent.LIST)
    return cmd(Intent.UNKNOWN)


def consent_answer(text: str, places: Places) -> Intent | None:
    """YES, NO, STOP or WHO (who is asking?) when a text answers a relay's 'may we sign you
    up?', else None."""
    words = [w for w in re.split(r"[\s']+", fold((text or "")[:MAX_PARSED])) if w]
    if not words and any(sign in (text or "") for sign in THUMBS_UP):
        return Intent.YES
    if not words:
        return None
    if reading.whole(words, YES_WORDS) or (reading.phrase_in(words, YES_LEAD) and len(words) <= 4):
        return Intent.YES
    if reading.whole(words, NO_WORDS) or (reading.phrase_in(words, NO_LEAD) and len(words) <= 4):
        return Intent.NO
    if reading.only(words, WHO_WORDS, WHO_FILLERS):
        return Intent.WHO
    command = parse(text, State(), places)
    if command.intent is Intent.STOP and not command.has_place:
        return Intent.STOP
    if command.intent is Intent.THANKS:
        return Intent.WHO  # "merci" is no answer: remind them who asks, and to say OUI or NON
    return None


def _answer(words: list[str], pending: Pending, find) -> Intent | Findings | None:
    """YES or NO when the text answers 'did you mean <place>?', else None.

    A yes that names more places returns what it found, to add to the places asked about.
    """
    if reading.whole(words, YES_WORDS):
        return Intent.YES
    if reading.whole(words, NO_WORDS):
        return Intent.NO
    if len(words) > 8:
        return None
    asked = set(pending.districts) | set(pending.regions)
    for vocabulary, intent in ((YES_LEAD, Intent.YES), (NO_LEAD, Intent.NO)):
        n = reading.phrase_in(words, vocabulary)
        if not n:
            continue
        rest = words[n:]
        if any(w in STRONG_WORDS for w in rest) or reading.is_stop(rest or ["-"]):
            return None
        found = find(rest)
        named = {h.slug for h in (*found.districts, *found.regions)}
        if named - asked or (found.categories and intent is Intent.YES):
            # "non, Kati": a new place instead; "oui, et Kati": the new place as well;
            # "oui Sikasso infirmier": the place asked about, for that job.
            return found if intent is Intent.YES else None
        return intent
    return None
