"""The SMS command parser: text and conversation state in, a Command out. Pure.

People text the way they speak: no accents, typos, French or Bamanankan or both, one word or a
sentence. The parser folds the text, looks for a command keyword at the start, and otherwise
treats any message naming a district, region or job as a subscription.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from alerts.places import Findings, Places
from alerts.store import Language
from alerts.text import fold

#: Longer texts are cut before parsing: nobody subscribes in paragraph ten.
MAX_PARSED = 480


class Intent(str, Enum):
    """What a text asks for."""

    SUBSCRIBE = "subscribe"
    STOP = "stop"
    START = "start"
    HELP = "help"
    LIST = "list"
    LANGUAGE = "language"
    OFFERS = "offers"
    INFO = "info"
    YES = "yes"
    NO = "no"
    RELAY = "relay"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pending:
    """A question Baara asked and is waiting for: 'Vous voulez dire SIKASSO ?'."""

    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class State:
    """What the parser may know about the sender."""

    language: Language | None = None
    pending: Pending | None = None


@dataclass(frozen=True)
class Command:
    """The parsed meaning of one text."""

    intent: Intent
    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    #: Places matched with doubt: act only after the sender says yes.
    doubtful_districts: tuple[str, ...] = ()
    doubtful_regions: tuple[str, ...] = ()
    #: Language the text is written in, when the words say so.
    language: Language | None = None
    #: LANGUAGE: the language asked for.
    target: Language | None = None
    code: str | None = None
    phone: str | None = None
    words: tuple[str, ...] = field(default=(), compare=False)

    @property
    def has_place(self) -> bool:
        """True when the text names at least one place, certain or doubtful."""
        return bool(
            self.districts or self.regions or self.doubtful_districts or self.doubtful_regions
        )

    @property
    def doubtful(self) -> bool:
        """True when a place needs confirming before we act."""
        return bool(self.doubtful_districts or self.doubtful_regions)


def _words(*phrases: str) -> frozenset[str]:
    return frozenset(fold(p) for p in phrases)


STOP_WORDS = _words(
    "stop", "stopp", "stp", "arret", "arrêt", "arreter", "arrêter", "arrete", "arrête",
    "desabonner", "désabonner", "desabonnement", "desabonne", "desinscrire", "désinscrire",
    "desinscription", "annuler", "unsubscribe", "quit", "cancel", "end", "fin", "halte",
    "jɔ", "jo", "a jɔ", "a jo", "ka jɔ", "ka jo", "dabila", "a dabila", "ban", "a ban",
    "stop all", "stop tout", "tout arreter", "arreter tout", "plus de sms", "ne plus recevoir",
)
START_WORDS = _words(
    "start", "reprendre", "reprise", "recommencer", "reactiver", "réactiver", "resume",
    "unstop", "restart", "daminɛ", "damine", "daminɛ kokura", "segin", "a segin",
)
HELP_WORDS = frozenset({"?"}) | _words(
    "aide", "aider", "aidez moi", "aidez-moi", "help", "?", "??", "???", "dɛmɛ", "deme",
    "dème", "demè", "dèmè", "demen", "dɛmɛ", "n dɛmɛ", "i ka n dɛmɛ", "comment", "menu",
    "info", "infos", "information", "informations", "sos", "commandes", "bonjour", "salut",
    "allo", "i ni ce", "i ni sɔgɔma", "i ni tile", "i ni wula", "inice", "aw ni ce", "hello",
    "hi", "bjr", "slt", "cc", "merci",
)
LIST_WORDS = _words(
    "liste", "list", "lister", "mes alertes", "mes alerte", "alertes", "mes abonnements",
    "abonnements", "mes inscriptions", "n ka cikanw", "n ka alertew", "lisi", "status",
    "statut", "mon compte", "compte",
)
OFFERS_WORDS = _words(
    "offres", "offre", "offers", "jobs", "job", "emplois", "emploi", "postes", "poste",
    "annonces", "annonce", "baara", "baaraw", "baara kura", "baara kuraw", "travail",
    "opportunites", "opportunités", "recrutement", "recrutements", "avis",
)
SUBSCRIBE_WORDS = _words(
    "inscrire", "inscris", "inscrit", "inscription", "incrire", "insrire", "inscrir",
    "sinscrire", "s'inscrire", "m'inscrire", "minscrire", "je m'inscris", "abonner",
    "abonne", "abonnement", "m'abonner", "s'abonner", "subscribe", "join", "register",
    "alerte", "alert", "seben", "sɛbɛn", "n tɔgɔ sɛbɛn", "tɔgɔ sɛbɛn", "ka n tɔgɔ sɛbɛn",
    "sebenni", "add", "ajouter",
)
YES_WORDS = _words(
    "oui", "ouii", "ouai", "ouais", "wi", "yes", "yep", "ok", "okay", "oke", "d'accord",
    "daccord", "dac", "exact", "exactement", "c'est ca", "c'est ça", "voila", "ɔwɔ", "owo",
    "awɔ", "awo", "awa", "o", "oh", "1", "y", "si", "bien sur", "tout a fait", "owo dɛ",
    "awɔ dɛ", "oui merci", "ok merci",
)
NO_WORDS = _words(
    "non", "no", "nn", "nope", "ayi", "ayi dɛ", "ayi de", "pas ca", "pas ça", "2", "n",
    "non merci", "c'est pas ca", "ce n'est pas ca",
)
RELAY_WORDS = _words("relais", "relay", "relai")
LANGUAGE_WORDS = _words("langue", "language", "lang", "kan", "kaan", "lanngue", "langage")
FRENCH_WORDS = _words("francais", "français", "french", "fr", "faransi", "faransikan", "tubabukan")
BAMANANKAN_WORDS = _words(
    "bamanankan", "bamanakan", "bambara", "bamana", "bamanan", "bm", "bamanan kan",
    "bamananka", "bambara kan",
)

#: Words that only occur in Bamanankan (folded); enough of them means "answer in Bamanankan".
BM_MARKERS = _words(
    "ne", "n", "b'a", "ba", "bɛ", "be", "fɛ", "fe", "ka", "ye", "baara", "dɛmɛ", "i", "ni",
    "ce", "tɔgɔ", "togo", "sɛbɛn", "seben", "kura", "jɔ", "kɔnɔ", "kono", "ani", "walima",
    "ɲini", "nyini", "mara", "bɛɛ", "bee", "cikan", "ayi", "ɔwɔ", "awɔ", "sɔrɔ", "soro",
    "yɔrɔ", "foyi", "don", "sisan", "tugun", "dɔ", "do", "min", "minnu", "baaraw", "an",
    "aw", "u", "k'a", "t'a", "bɛna", "tɛ", "te", "kan", "dɛ", "wa", "kelen", "inice", "sogoma",
    "baarakɛla", "baarakɛ", "a", "la", "na", "kama", "jumɛn", "jumen",
)
#: Words that only occur in French (folded).
FR_MARKERS = _words(
    "je", "veux", "voudrais", "les", "des", "offres", "offre", "inscrire", "bonjour", "pour",
    "de", "d", "et", "le", "merci", "s'il", "plait", "emploi", "travail", "aide", "liste",
    "mes", "mon", "ma", "suis", "une", "un", "du", "au", "aux", "dans", "vous", "svp",
    "region", "tout", "toute", "toutes", "district", "cherche", "recherche", "poste",
    "postes", "est", "moi", "m'inscrire", "quel", "quelle", "avec", "sur", "par", "qui",
)
#: Shared or ambiguous markers weigh less: 'a', 'la', 'ni' exist in both languages.
WEAK_MARKERS = _words("a", "la", "ni", "i", "n", "na", "do", "don", "be", "te", "ba", "u")

CODE = re.compile(r"^j\s*-?\s*([2-9a-hj-np-z]{3,5})$")
PHONE_LIKE = re.compile(r"(?:\+|00)?\d[\d\s.\-]{6,16}\d")


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


def _phrase_in(words: list[str], vocabulary: frozenset[str], max_len: int = 4) -> int:
    """Length (in words) of the longest vocabulary phrase the words start with, or 0."""
    for n in range(min(max_len, len(words)), 0, -1):
        if " ".join(words[:n]) in vocabulary:
            return n
    return 0


def _whole(words: list[str], vocabulary: frozenset[str]) -> bool:
    return bool(words) and " ".join(words) in vocabulary


def _code(words: list[str]) -> str | None:
    joined = "".join(words)
    m = CODE.match(joined)
    return ("J" + m.group(1).upper()) if m else None


def _from_findings(intent: Intent, found: Findings, **extra) -> Command:
    certain_d = tuple(dict.fromkeys(h.slug for h in found.districts if h.certain))
    certain_r = tuple(dict.fromkeys(h.slug for h in found.regions if h.certain))
    doubt_d = tuple(
        dict.fromkeys(h.slug for h in found.districts if not h.certain and h.slug not in certain_d)
    )
    doubt_r = tuple(
        dict.fromkeys(h.slug for h in found.regions if not h.certain and h.slug not in certain_r)
    )
    categories = tuple(dict.fromkeys(h.slug for h in found.categories if h.certain))
    return Command(
        intent,
        districts=certain_d,
        regions=certain_r,
        categories=categories,
        doubtful_districts=doubt_d,
        doubtful_regions=doubt_r,
        **extra,
    )


def parse(text: str, state: State, places: Places) -> Command:
    """Turn one SMS into a Command; never raises."""
    raw = (text or "")[:MAX_PARSED]
    folded = fold(raw)
    words = [w for w in re.split(r"[\s']+", folded) if w]
    # A lone '?' folds to nothing: keep it as a word so it reads as help.
    if not words and "?" in raw:
        words = ["?"]
    language = detect_language(words)

    def cmd(intent: Intent, **kw) -> Command:
        return Command(intent, language=language, words=tuple(words), **kw)

    if not words:
        return cmd(Intent.UNKNOWN)

    if state.pending is not None:
        if _whole(words, YES_WORDS) or (
            _phrase_in(words, YES_WORDS) and len(words) <= 3 and not _any_place(words, places)
        ):
            return cmd(Intent.YES)
        if _whole(words, NO_WORDS):
            return cmd(Intent.NO)

    code = _code(words)
    if code:
        return cmd(Intent.INFO, code=code)
    if words[0] in ("info", "infos", "details", "detail") and len(words) > 1:
        code = _code(words[1:])
        if code:
            return cmd(Intent.INFO, code=code)

    if n := _phrase_in(words, STOP_WORDS):
        rest = " ".join(words[n:])
        found = places.find(rest) if rest else None
        if found and (found.districts or found.regions):
            return _from_findings(Intent.STOP, found, language=language, words=tuple(words))
        return cmd(Intent.STOP)

    if n := _phrase_in(words, START_WORDS):
        rest = " ".join(words[n:])
        found = places.find(rest) if rest else None
        if found and (found.districts or found.regions):
            return _from_findings(Intent.SUBSCRIBE, found, language=language, words=tuple(words))
        return cmd(Intent.START)

    if words[0] in LANGUAGE_WORDS or _whole(words, FRENCH_WORDS | BAMANANKAN_WORDS):
        rest = words[1:] if words[0] in LANGUAGE_WORDS else words
        joined = " ".join(rest)
        if joined in FRENCH_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.FR)
        if joined in BAMANANKAN_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.BM)
        if not rest:
            # LANGUE alone: switch to the other one.
            other = Language.FR if state.language is Language.BM else Language.BM
            return cmd(Intent.LANGUAGE, target=other)

    if n := _phrase_in(words, RELAY_WORDS, max_len=1):
        found = places.find(" ".join(words[n:]))
        return _from_findings(Intent.RELAY, found, language=language, words=tuple(words))

    if _whole(words, HELP_WORDS):
        return cmd(Intent.HELP)
    if _whole(words, LIST_WORDS):
        return cmd(Intent.LIST)

    found = places.find(folded)
    if found.districts or found.regions:
        return _from_findings(Intent.SUBSCRIBE, found, language=language, words=tuple(words))

    if _phrase_in(words, SUBSCRIBE_WORDS) or found.categories:
        # They want alerts but named no place we know: ask which district.
        return _from_findings(Intent.SUBSCRIBE, found, language=language, words=tuple(words))
    if _whole(words, OFFERS_WORDS) or (
        _phrase_in(words, OFFERS_WORDS) and len(words) <= 3
    ):
        return cmd(Intent.OFFERS)
    if _phrase_in(words, HELP_WORDS, max_len=3) and len(words) <= 4:
        return cmd(Intent.HELP)
    if _phrase_in(words, LIST_WORDS) and len(words) <= 3:
        return cmd(Intent.LIST)
    return cmd(Intent.UNKNOWN)


def _any_place(words: list[str], places: Places) -> bool:
    found = places.find(" ".join(words))
    return bool(found.districts or found.regions)
