"""Ways of reading an SMS's words for the parser: keywords and phrases, job codes, numbers,
places and jobs in context, STOP with slips, the language of a text. Pure.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from alerts.domain.places import Findings, Hit
from alerts.domain.subscribers import Language
from alerts.sms.intents import (
    CATEGORY_SCORE,
    LONG_CATEGORY_SCORE,
    LONG_CATEGORY_WORD,
    Command,
    Intent,
)
from alerts.sms.vocabulary import (
    BAMANANKAN_WORDS,
    BARE_CODE,
    BM_MARKERS,
    BM_PRONOUNS,
    CODE,
    CODE_PART,
    COMMAND_WORDS,
    DIRE_AFTER,
    DIRE_VERB_BEFORE,
    FR_MARKERS,
    FRENCH_WORDS,
    KORO_AFTER,
    KORO_BEFORE,
    LANGUAGE_FILLERS,
    LONG_STOPS,
    NO_MORE_VERBS,
    NOT_SLIPS,
    NUMBER_WORDS,
    OTHER_AFTER,
    OTHER_BEFORE,
    PARTIAL_NAMES,
    REMOVE_OBJECTS,
    REMOVE_VERBS,
    START_SPELLINGS,
    START_WORDS,
    STOP_ANYWHERE,
    STOP_SPELLINGS,
    STOP_WORDS,
    VOWELS,
    WEAK_MARKERS,
)


def detect_language(words: list[str]) -> Language | None:
    """Bamanankan or French when the words lean clearly one way, else None."""
    bm = fr = 0.0
    for word in words:
        weight = 0.3 if word in WEAK_MARKERS else 1.0
        if word in BM_MARKERS:
            bm += weight
        if word in FR_MARKERS:
            fr += weight
    if bm >= 1 and bm > fr:
        return Language.BM
    if fr >= 1 and fr > bm:
        return Language.FR
    return None


def phrase_in(words: list[str], vocabulary: frozenset[str], max_len: int = 4) -> int:
    """Length (in words) of the longest vocabulary phrase the words start with, or 0."""
    for n in range(min(max_len, len(words)), 0, -1):
        if " ".join(words[:n]) in vocabulary:
            return n
    return 0


def whole(words: list[str], vocabulary: frozenset[str]) -> bool:
    return bool(words) and " ".join(words) in vocabulary


def only(words: list[str], vocabulary: frozenset[str], fillers: frozenset[str]) -> bool:
    """True when the words are vocabulary phrases (at least one) and fillers, nothing else."""
    i, seen = 0, False
    while i < len(words):
        n = phrase_in(words[i:], vocabulary)
        if n:
            seen, i = True, i + n
        elif words[i] in fillers:
            i += 1
        else:
            return False
    return seen


def code(words: list[str], *, asked: bool) -> str | None:
    """A job code (J482, 'j 482', 'J-482') among the words; letters only need INFO before."""
    for i, word in enumerate(words):
        part = None
        if m := CODE.match(word):
            part = m.group(1)
        elif word == "j":
            # "j 482", and "j 4 8 2" typed with a space after every key.
            joined = ""
            for nxt in words[i + 1 : i + 6]:
                if len(joined + nxt) > 5 or not nxt.isalnum():
                    break
                joined += nxt
                if CODE_PART.match(joined) and (len(nxt) > 1 or len(joined) >= 3):
                    part = joined
        if part is None:
            continue
        # "jeune", "juste", "jenne" are words: a bare code has a digit or at most one vowel.
        if asked or any(ch.isdigit() for ch in part) or sum(ch in VOWELS for ch in part) <= 1:
            return "J" + part.upper()
    return None


def bare_code(words: list[str]) -> str | None:
    """A code typed without its J ("486", "48 6"): code digits (2-9) and letters, a digit first."""
    joined = "".join(words[:3])
    if (
        words
        and words[0][:1].isdigit()
        and BARE_CODE.match(joined)
        and (sum(ch.isdigit() for ch in joined) >= 2)
    ):
        return "J" + joined.upper()
    return None


def positions(words: list[str], phrase: str) -> list[int]:
    parts = phrase.split()
    n = len(parts)
    return [i for i in range(len(words) - n + 1) if words[i : i + n] == parts]


def place_in_context(hit: Hit, words: list[str], bm_text: bool) -> bool:
    """False when a place name is used as an everyday word here ("ne fana", "je veux dire")."""
    starts = positions(words, hit.matched)
    if not starts:
        return True
    name = hit.matched
    for i in starts:
        before = words[i - 1] if i > 0 else ""
        before2 = words[i - 2] if i > 1 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        # "a" and "o" are also French ("à Fana"): pronouns only in a Bamanankan text.
        if name == "fana" and before in BM_PRONOUNS and (bm_text or before not in "aoe"):
            continue
        if name == "dire" and (
            before in DIRE_VERB_BEFORE
            or (before == "a" and before2 == "est")
            or after in DIRE_AFTER
        ):
            continue
        if name == "san" and (
            before in ("ka", "k") or after in NUMBER_WORDS or after.isdigit() or before.isdigit()
        ):
            continue
        if name == "koro" and (after in KORO_AFTER or before in KORO_BEFORE):
            continue
        if name == "ci" and (
            bm_text
            or before in COMMAND_WORDS
            or before in BM_PRONOUNS
            or before in ("ka", "k", "m", "b", "t")
            or after in ("ka", "ma", "la", "n", "i")
        ):
            continue
        if name == "bla" and (before == "bla" or after == "bla"):
            continue
        return True
    return False


def category_in_context(hit: Hit, words: list[str]) -> bool:
    """False for 'autre'/'wɛrɛ' used as 'another' ('un autre travail', 'baara wɛrɛ')."""
    if hit.slug != "other":
        return True
    for i in positions(words, hit.matched):
        before = words[i - 1] if i > 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if before not in OTHER_BEFORE and after not in OTHER_AFTER:
            return True
    return False


def category_score_ok(hit: Hit) -> bool:
    """Whether a category hit is close enough to take without asking."""
    if len(hit.matched) >= LONG_CATEGORY_WORD:
        return hit.score >= LONG_CATEGORY_SCORE
    return hit.score >= CATEGORY_SCORE


def partial_places(found: Findings, words: list[str]) -> list[Hit]:
    """Doubtful hits for half a name: "Kalaban" alone may be Kalaban Coro (or Kalaban Coura)."""
    known = {h.slug for h in found.districts}
    hits = []
    for i, word in enumerate(words):
        slug = PARTIAL_NAMES.get(word)
        after = words[i + 1] if i + 1 < len(words) else ""
        if slug and slug not in known and after not in ("coura", "koura", "kura"):
            hits.append(Hit(slug, 80.0, word, certain=False))
            known.add(slug)
    return hits


def filtered(found: Findings, words: list[str], bm_text: bool) -> Findings:
    return Findings(
        districts=[h for h in found.districts if place_in_context(h, words, bm_text)]
        + partial_places(found, words),
        regions=[h for h in found.regions if place_in_context(h, words, bm_text)],
        categories=[
            h for h in found.categories if category_score_ok(h) and category_in_context(h, words)
        ],
        rest=found.rest,
    )


def from_findings(intent: Intent, found: Findings, **extra) -> Command:
    certain_d = tuple(dict.fromkeys(h.slug for h in found.districts if h.certain))
    certain_r = tuple(dict.fromkeys(h.slug for h in found.regions if h.certain))
    doubt_d = tuple(
        dict.fromkeys(h.slug for h in found.districts if not h.certain and h.slug not in certain_d)
    )
    doubt_r = tuple(
        dict.fromkeys(h.slug for h in found.regions if not h.certain and h.slug not in certain_r)
    )
    categories = tuple(dict.fromkeys(h.slug for h in found.categories))
    return Command(
        intent,
        districts=certain_d,
        regions=certain_r,
        categories=categories,
        doubtful_districts=doubt_d,
        doubtful_regions=doubt_r,
        **extra,
    )


def is_stop(words: list[str]) -> bool:
    """A stop said as a sentence: 'je ne veux plus recevoir', 'n t'a fɛ tugun', 'Niono jɔ'."""
    if any(w in STOP_ANYWHERE for w in words):
        return True
    if any(len(w) >= 8 and slip_of(w, LONG_STOPS) for w in words):
        return True  # "je veux me desabonez"
    if "plus" in words:
        k = words.index("plus")
        negated = any(w in ("ne", "n") for w in words[:k])
        if negated and any(w in NO_MORE_VERBS for w in words):
            return True
        if words[k + 1 : k + 2] == ["de"] and set(words[k + 2 : k + 3]) & NO_MORE_VERBS:
            return True  # "plus de sms svp"
    # Bamanankan: "n t'a fɛ tugun" / "n tɛ baara fɛ tugun" (I don't want it any more),
    # "kana ci n ma tugun" (don't send to me any more).
    if "tugun" in words and (
        ("fe" in words and any(w in ("t", "te") for w in words)) or "kana" in words
    ):
        return True
    # "baara jɔ", "Niono jɔ", "a bɛɛ jɔ": jɔ closing a short text.
    if words[-1] == "jo" and len(words) <= 5:
        return True
    if any(words[i : i + 2] in (["a", "jo"], ["ka", "jo"]) for i in range(len(words) - 1)):
        return True  # "n ye baara sɔrɔ, a jɔ"
    for i, w in enumerate(words):
        if w in REMOVE_VERBS and any(x in REMOVE_OBJECTS for x in words[i + 1 : i + 4]):
            return True
    # "je veux arreter", "je voudrais arreter les sms", "please stop".
    for i, w in enumerate(words):
        if (
            w in ("arreter", "arrete", "stop", "stopper")
            and i > 0
            and words[i - 1]
            in (
                "veux",
                "voudrais",
                "souhaite",
                "pouvez",
                "faut",
                "vais",
                "want",
                "please",
                "svp",
            )
        ):
            return True
    return False


def slip_of(word: str, keywords: tuple[str, ...]) -> str | None:
    """The keyword a word misspells ('sotp' -> 'stop', 'desabone' -> 'desabonner'), or None."""
    word = word.replace("0", "o")  # "st0p"
    if len(word) < 4 or word in NOT_SLIPS or not word.isalpha():
        return None
    for keyword in keywords:
        allowed = 1 if len(keyword) < 9 else 2
        if abs(len(word) - len(keyword)) <= allowed and OSA.distance(word, keyword) <= allowed:
            return keyword
    return None


def respelled(words: list[str]) -> list[str]:
    """The words with a misspelt STOP or START keyword at the start put right."""
    if not words or len(words) > 6:
        return words
    if len(words) >= 3 and all(len(w) == 1 for w in words):
        words = ["".join(words)]  # "S.T.O.P", "s t o p"
    if phrase_in(words, STOP_WORDS) or phrase_in(words, START_WORDS):
        return words
    fixed = slip_of(words[0], STOP_SPELLINGS) or slip_of(words[0], START_SPELLINGS)
    return [fixed, *words[1:]] if fixed else words


def other(language: Language | None) -> Language:
    """The language a bare LANGUE switches to: French speakers (and strangers) get Bamanankan."""
    return Language.FR if language is Language.BM else Language.BM


def language_request(words: list[str]) -> Language | None:
    """'en français svp', 'bamanankan na', 'langue française': the language asked for."""
    if len(words) > 6:
        return None
    wants_fr = any(phrase_in(words[i:], FRENCH_WORDS) for i in range(len(words)))
    wants_bm = any(phrase_in(words[i:], BAMANANKAN_WORDS) for i in range(len(words)))
    if wants_fr == wants_bm:
        return None
    vocabulary = FRENCH_WORDS if wants_fr else BAMANANKAN_WORDS
    # "fr" and "bm" alone are too short to trust outside LANGUE FR / LANGUE BM.
    if not only(words, vocabulary - {"fr", "bm"}, LANGUAGE_FILLERS):
        return None
    return Language.FR if wants_fr else Language.BM
