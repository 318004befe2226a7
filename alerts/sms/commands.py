"""The SMS command parser: text and conversation state in, a Command out. Pure.

People text the way they speak: no accents, typos, French or Bamanankan or both, one word or a
sentence. The parser folds the text, looks for a command keyword at the start (or a command
sentence: "je ne veux plus recevoir de sms", "n t'a fɛ tugun"), and otherwise treats any message
naming a district, region or job as a subscription.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from rapidfuzz.distance import OSA

from alerts.domain.phones import typed_ascii
from alerts.domain.places import Findings, Hit, Places
from alerts.domain.text import fold
from alerts.store import Language

#: Longer texts are cut before parsing: nobody subscribes in paragraph ten.
MAX_PARSED = 480
#: Categories are never confirmed with a question, but a wrong one only narrows alerts; a
#: slip in a long job word ("sagefeme", 89) is still taken.
CATEGORY_SCORE = 85.0
#: Long job words lose letters ("mobilisatr", 83) and are rarely one edit from another word.
LONG_CATEGORY_SCORE = 80.0
LONG_CATEGORY_WORD = 9


class Intent(StrEnum):
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
    #: "ok", "merci", "barika", 👍 with no question pending: a thank-you, not a request.
    THANKS = "thanks"
    #: "c'est qui ?", "jɔn don?": the person asks who is writing (a relay's consent request).
    WHO = "who"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Pending:
    """A question Baara asked and is waiting for: 'Vous voulez dire SIKASSO ?'.

    With no place at all, it remembers the jobs named in a text that had no district
    ("je suis infirmier"), so the district sent next is subscribed with them.
    """

    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def asks_place(self) -> bool:
        """True when the question is 'did you mean <place>?' (so OUI/NON answer it)."""
        return bool(self.districts or self.regions)


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
    #: INFO: the code was typed without its J ("486"); only a job with it makes this an INFO.
    guessed: bool = False
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
    return frozenset(" ".join(w for w in re.split(r"[\s']+", fold(p)) if w) for p in phrases)


# -- command vocabularies (folded; multi-word entries are phrases) ----------------------------

STOP_WORDS = _words(
    "stop", "stopp", "stp stop", "arret", "arrêt", "arreter", "arrêter", "arrete", "arrête",
    "arretez", "arrêtez", "desabonner", "désabonner", "desabonnement", "desabonne",
    "desabonnez", "désabonnez-moi", "desinscrire", "désinscrire", "desinscription", "annuler",
    "unsubscribe", "quit", "cancel", "end", "fin", "halte",
    "jɔ", "jo", "a jɔ", "a jo", "ka jɔ", "ka jo", "i ka jɔ", "aw ye jɔ", "baara jɔ", "a bɛɛ jɔ",
    "dabila", "a dabila", "ban", "a ban",
    "stop all", "stop tout", "tout arreter", "arreter tout", "plus de sms", "plus de messages",
    "plus de message", "ne plus recevoir", "no more", "stop sending", "retirer", "retirez",
    "retirez moi", "retirer moi", "enlever", "enlevez", "enlevez moi", "supprimer",
    "supprimez", "supprimer mon numero", "supprimez mon numero", "effacer mon numero",
    "remove", "remove me", "stop it", "opt out", "optout", "unsub",
    "bila", "a bila", "k a bila", "i k a bila", "aw k a bila", "a bila n na", "lajɔ", "a lajɔ",
    "kana ci", "kana ci tugun", "kana a ci tugun", "arretez tout", "desabonnez moi",
    "desinscrivez moi", "desinscrivez", "desinscris moi", "je me desabonne", "je me desinscris",
    "stopper", "stoper", "stopez", "stoppez",
)
#: Stop typed short, only as the whole text: elsewhere "stp" is "s'il te plait".
STOP_ALONE = _words(
    "stp", "sto", "stoop", "stp stp", "stop stop", "sotp sotp", "ca suffit", "c'est assez",
    "assez", "ca suffit maintenant", "laissez moi tranquille", "laisse moi tranquille",
    "laissez moi", "foutez moi la paix", "ca suffit merci", "assez merci",
)
#: Keywords whose misspellings still stop: one slip in a short one ("sotp", "stpo", "arrt"),
#: two in a long one ("desabone", "unsubscibe"). Real words near them are not slips.
STOP_SPELLINGS = ("stop", "arret", "arrete", "arreter", "arretez", "desabonner", "desabonnez",
                  "desabonnement", "desinscrire", "desinscription", "desinscrivez",
                  "unsubscribe", "annuler")
_LONG_STOPS = tuple(k for k in STOP_SPELLINGS if len(k) >= 9)
START_SPELLINGS = ("start", "reprendre", "restart", "reactiver", "recommencer")
NOT_SLIPS = frozenset({
    "step", "shop", "stay", "star", "stat", "sept", "atop", "soap", "slop", "stow",
    "smart", "stars", "stade", "startup", "subscribe",
    "subscribed", "subscriber", "abonnement", "inscription", "inscriptions",
})
#: Anywhere in a text, these mean stop ("je veux me desabonner", "svp desabonnez moi").
STOP_ANYWHERE = _words(
    "desabonner", "desabonnez", "desabonne", "desabonnement", "desinscrire", "desinscrivez",
    "desinscription", "unsubscribe", "arretez", "dabila", "stop", "stopper", "arret",
)
#: "retirez moi de la liste", "supprimez mon numero": a stop when about the sender.
_REMOVE_VERBS = _words(
    "retirer", "retirez", "enlever", "enlevez", "supprimer", "supprimez", "effacer", "effacez",
    "remove", "delete",
)
_REMOVE_OBJECTS = _words("moi", "m", "me", "mon", "numero", "liste", "abonnement", "inscription")
#: "ne ... plus" with one of these is a stop: "je ne veux plus recevoir", "n'envoyez plus".
_NO_MORE_VERBS = _words(
    "veux", "voudrais", "souhaite", "recevoir", "recois", "reçois", "envoyer", "envoyez",
    "envoie", "ecrire", "ecrivez", "sms", "message", "messages", "alerte", "alertes", "offres",
    "interesse", "interessee", "intéressé", "besoin", "abonne",
)
START_WORDS = _words(
    "start", "reprendre", "reprise", "recommencer", "reactiver", "réactiver", "resume",
    "unstop", "restart", "daminɛ", "damine", "daminɛ kokura", "a daminɛ", "a daminɛ kokura",
    "segin", "a segin", "revenir",
)
START_ANYWHERE = _words(
    "reprendre", "recommencer", "reactiver", "revenir", "reprise", "restart", "unstop",
    "daminɛ", "segin",
)
#: Coming back, said as a whole text only: "je reviens" is START, "je reviens demain" is not.
START_ALONE = _words("je reviens", "reviens", "je suis de retour", "me revoila", "n seginna")
HELP_WORDS = _words(
    "aide", "aider", "aidez moi", "aide moi", "help", "help me", "dɛmɛ", "deme", "dème",
    "demè", "dèmè", "demen", "dɛmɛ", "n dɛmɛ", "i ka n dɛmɛ", "aw ka n dɛmɛ", "comment", "menu",
    "info", "infos", "information", "informations", "sos", "commandes", "bonjour", "bonsoir",
    "salut", "salam", "salam aleykoum", "assalamou alaykoum", "as salam alaykoum", "allo",
    "i ni ce", "i ni sɔgɔma", "i ni tile", "i ni wula", "inice", "aw ni ce", "hello", "hi",
    "bjr", "bsr", "slt", "cc", "coucou", "i ni ce baara",
    "c'est quoi", "c'est quoi baara", "baara ye mun ye", "mun ye baara ye", "je ne comprends pas",
    "n ma a faamu", "comment ça marche", "comment faire", "comment s'inscrire",
    "comment m'inscrire", "comment ca marche", "qu'est-ce que baara", "qu'est ce que baara",
    "c'est quoi ca", "qu'est-ce que c'est", "baara c'est quoi", "pas compris", "j'ai pas compris",
    "je n'ai pas compris", "je comprends pas", "je ne comprend pas", "je comprend pas",
    "comprends pas", "n ma faamu", "aw ni sɔgɔma", "aw ni tile", "aw ni wula", "i ni su",
    "aw ni su", "a ni ce", "an ni ce", "i ni baara", "aw ni baara", "bonne arrivee",
) | frozenset({"?"})
#: A greeting or thanks around a help word: "bonjour aide svp", "i ni ce, dɛmɛ".
HELP_FILLERS = _words(
    "svp", "stp", "s'il vous plait", "plait", "merci", "bonjour", "bonsoir", "slt", "salut",
    "moi", "me", "please", "baara", "i ni ce", "ni", "ce", "i", "n", "ka", "de", "d", "l",
)
LIST_WORDS = _words(
    "liste", "list", "lister", "mes alertes", "mes alerte", "alertes", "mes abonnements",
    "abonnements", "mes inscriptions", "n ka cikanw", "n ka alertew", "lisi", "status",
    "statut", "mon compte", "compte", "quelles sont mes alertes", "ma liste", "n ka lisi",
    "mes offres", "je suis inscrit ou", "suis je inscrit", "je suis inscrit", "inscrit ou",
    "quelles sont mes inscriptions", "n tɔgɔ sɛbɛnna wa", "cikan jumɛn bɛ n fɛ",
    "cikanw jumɛn bɛ n fɛ", "n ka cikanw ye jumɛn ye", "je n'ai rien reçu", "rien reçu",
    "je ne reçois rien", "pourquoi je ne reçois rien", "je ne reçois pas les offres",
    "je ne reçois pas de sms", "je n'ai pas reçu", "pas reçu", "j'ai rien reçu",
)
OFFERS_WORDS = _words(
    "offres", "offre", "offers", "jobs", "job", "emplois", "emploi", "postes", "poste",
    "annonces", "annonce", "baara", "baaraw", "baara kura", "baara kuraw", "travail",
    "opportunites", "opportunités", "recrutement", "recrutements", "avis", "vacancy",
    "vacancies",
)
#: Words that may surround an offers word in a question about open jobs.
OFFERS_FILLERS = _words(
    "les", "des", "de", "du", "d", "la", "le", "l", "nouvelles", "nouvelle", "nouveaux",
    "nouveau", "dernieres", "derniere", "derniers", "quelles", "quelle", "quels", "quel",
    "sont", "il", "y", "a", "t", "ya", "est", "ce", "qu", "que", "ouvertes", "ouverts",
    "ouvert", "disponibles", "disponible", "voir", "veux", "voudrais", "je", "svp", "stp",
    "merci", "montrer", "montrez", "moi", "envoyer", "envoyez", "m", "liste", "kura", "kuraw",
    "be", "yen", "wa", "bi", "sisan", "jumen", "minnu", "min", "ye", "any", "new", "show", "me",
    "the", "available", "is", "there", "are", "what", "aujourd", "hui", "en", "ce", "moment",
    "actuellement", "pour", "bonjour", "slt", "i", "ni", "ce", "n", "ka", "aw", "an", "mes",
    "vos", "avez", "vous", "sante", "keneya", "cette", "semaine", "ci", "dernier", "nouveau",
    "rien", "quoi", "de neuf", "neuf", "ya", "si", "dɔ", "do", "envoie", "envoi", "envoies",
    "quand", "allez", "va", "vas", "pourquoi", "toujours", "pas", "encore", "svp", "aucune",
    "aucun",
)
#: Asking to see open jobs rather than looking for work: "voir les offres", "du nouveau".
_OFFERS_ASK = _words(
    "offres", "offre", "annonces", "annonce", "voir", "nouveau", "nouvelles", "kura", "kuraw",
    "yen", "avis", "offers", "vacancies", "neuf", "montrer", "montrez", "disponibles",
)
SUBSCRIBE_WORDS = _words(
    "inscrire", "inscris", "inscrit", "inscription", "incrire", "insrire", "inscrir",
    "sinscrire", "s'inscrire", "m'inscrire", "minscrire", "je m'inscris", "abonner",
    "abonne", "abonnement", "m'abonner", "s'abonner", "subscribe", "join", "register",
    "alerte", "alert", "seben", "sɛbɛn", "n tɔgɔ sɛbɛn", "tɔgɔ sɛbɛn", "ka n tɔgɔ sɛbɛn",
    "sebenni", "add", "ajouter", "inscrivez", "inscrivez moi", "abonnez", "abonnez moi",
)
#: Single words that ask to be registered wherever they stand: "je veux m'inscrire".
SUBSCRIBE_ANYWHERE = _words(
    "inscrire", "inscris", "inscription", "inscrivez", "incrire", "inscrir", "sinscrire",
    "minscrire", "abonner", "abonnez", "abonnement", "subscribe", "register", "seben",
    "interesse", "interessee", "interested",
)
#: Looking for work without naming a place: ask which district ("je cherche du travail").
SEEK_VERBS = _words(
    "cherche", "recherche", "cherchons", "chercher", "nyini", "ɲini", "besoin", "trouver",
    "looking", "need", "want", "fe", "soro", "veux", "voudrais", "souhaite",
)
SEEK_OBJECTS = _words(
    "travail", "emploi", "job", "boulot", "poste", "baara", "stage", "work", "embauche",
    "travailler", "baara kɛ",
)
YES_WORDS = _words(
    "oui", "ouii", "ouiii", "ouai", "ouais", "wi", "yes", "yep", "ok", "okay", "oke", "okey",
    "d'accord", "daccord", "dac", "exact", "exactement", "c'est ca", "c'est ça", "voila",
    "ɔwɔ", "owo", "awɔ", "awo", "awa", "o", "oh", "1", "y", "si", "bien sur", "tout a fait",
    "owo dɛ", "awɔ dɛ", "oui merci", "ok merci", "oui oui", "c'est bien ca", "correct", "juste",
    "n b'a fɛ", "a ka ɲi", "a ka nyi", "o de", "o don", "o de don", "ayiwa", "awɔ n b'a fɛ",
    "oui c'est ca", "oui c'est ça", "oui svp", "oui stp", "ok svp", "je confirme", "confirme",
    "confirmer", "confirmé", "confirm", "c'est bon",
) | frozenset({"👍"})
#: YES words that may start a longer answer ("oui c'est bien ca merci"); not the 1-letter ones.
YES_LEAD = YES_WORDS - _words("o", "oh", "1", "y", "si", "juste", "correct", "voila", "exact")
NO_WORDS = _words(
    "non", "no", "nn", "nope", "ayi", "ayi dɛ", "ayi de", "pas ca", "pas ça", "2", "n",
    "non merci", "c'est pas ca", "ce n'est pas ca", "non non", "ayi ayi", "o tɛ", "o te",
    "a tɛ", "a te", "faux", "pas du tout",
)
NO_LEAD = NO_WORDS - _words("n", "2", "o te", "a te")
RELAY_WORDS = _words("relais", "relay", "relai")
LANGUAGE_WORDS = _words("langue", "language", "lang", "kan", "kaan", "lanngue", "langage")
FRENCH_WORDS = _words(
    "francais", "français", "francaise", "française", "french", "fr", "faransi", "faransikan",
    "tubabukan", "faransi kan", "tubabu kan",
)
BAMANANKAN_WORDS = _words(
    "bamanankan", "bamanakan", "bambara", "bamana", "bamanan", "bm", "bamanan kan",
    "bamananka", "bambara kan", "bamana kan",
)
#: Words that may surround a language name in a request to switch: "en français svp".
LANGUAGE_FILLERS = _words(
    "en", "langue", "language", "lang", "kan", "svp", "stp", "merci", "parler", "parlez",
    "parle", "ecrire", "ecrivez", "ecris", "moi", "m", "me", "a", "na", "la", "le", "l",
    "fe", "je", "veux", "voudrais", "please", "in", "use", "ka", "n", "b", "i", "ye", "sebe",
    "seben", "aw", "an", "ne", "en", "mettre", "mets", "changer", "change", "passer", "pour",
    "ma", "ma langue", "bonjour", "slt", "sms", "messages", "message", "kono", "dɔ", "mettez",
    "mettre", "mets", "passez", "envoyez", "repondez", "repondre", "reponse", "reponses", "vos",
)

#: Asking to switch without naming the language: "je veux changer de langue".
_TOGGLE = _words(
    "changer de langue", "changer la langue", "changer langue", "autre langue", "change language",
    "kan changer", "kan yɛlɛma", "ka kan yɛlɛma",
)
_TOGGLE_FILLERS = _words("changer", "change", "yɛlɛma", "autre", "svp", "stp", "de", "la")

#: Words that only occur in Bamanankan (folded); enough of them means "answer in Bamanankan".
BM_MARKERS = _words(
    "ne", "n", "b", "ba", "bɛ", "be", "fɛ", "fe", "ka", "ye", "baara", "dɛmɛ", "i", "ni",
    "ce", "tɔgɔ", "togo", "sɛbɛn", "seben", "kura", "jɔ", "kɔnɔ", "kono", "ani", "walima",
    "ɲini", "nyini", "mara", "bɛɛ", "bee", "cikan", "cikanw", "ayi", "ɔwɔ", "awɔ", "sɔrɔ",
    "soro", "yɔrɔ", "foyi", "don", "sisan", "tugun", "dɔ", "do", "min", "minnu", "baaraw", "an",
    "aw", "u", "k", "t", "bɛna", "tɛ", "te", "kan", "dɛ", "wa", "kelen", "inice", "sogoma",
    "baarakɛla", "baarakɛ", "a", "la", "na", "kama", "jumɛn", "jumen", "sɔgɔma", "tile",
    "wula", "mun", "yen", "yan", "bi", "sini", "kunu", "mɔgɔ", "muso", "den", "kalan",
    "kɛnɛya", "ɲi", "nyi", "tun", "ko", "ma", "faamu", "jamana", "dugu", "kɛ", "ke", "ladilikɛla",
    "jaabi", "ci", "daminɛ", "damine", "dabila", "segin", "fana", "barika", "ayiwa", "olu",
    "anw", "ale", "kosɔn", "sabu", "nka", "hali", "kokura", "sofɛri", "dɔkɔtɔrɔ",
    "dɔgɔtɔrɔ", "anfirimiye", "wɛrɛ", "jiginnidɛmɛbaga", "kunnafoni", "kunnafoniw", "jɔn",
    "barika",
)
#: Words that only occur in French (folded).
FR_MARKERS = _words(
    "je", "veux", "voudrais", "les", "des", "offres", "offre", "inscrire", "bonjour", "pour",
    "de", "d", "et", "le", "merci", "s'il", "plait", "emploi", "travail", "aide", "liste",
    "mes", "mon", "ma", "suis", "une", "un", "du", "au", "aux", "dans", "vous", "svp",
    "region", "tout", "toute", "toutes", "district", "cherche", "recherche", "poste",
    "postes", "est", "moi", "m'inscrire", "quel", "quelle", "avec", "sur", "par", "qui",
    "plus", "recevoir", "reprendre", "pas", "ai", "j", "m", "c", "ca", "comment", "quoi",
    "sont", "il", "y", "bien", "oui", "non", "envoyer", "envoyez", "message", "messages",
    "alertes", "abonner", "desabonner", "arreter", "nouvelles", "aussi", "encore", "bonsoir",
    "salut", "votre", "vos", "nom", "appelle", "inscription", "comme", "francais", "langue",
    "stp", "l", "s", "qu", "que", "ou", "combien", "coute", "cout", "etat", "souhaite",
    "francaise", "interesse", "mes",
)
#: Shared or ambiguous markers weigh less: 'a', 'la', 'ni' exist in both languages.
WEAK_MARKERS = _words(
    "a", "la", "ni", "i", "n", "na", "do", "don", "be", "te", "ba", "u", "ne", "baara", "t",
    "ma", "ko", "ci", "an", "y", "l", "s", "m", "c", "d", "ke", "mes", "den", "kan", "bi",
    "fana", "ou", "min", "tun", "yen", "wa", "j",
)

# -- words that are also place names ----------------------------------------------------------

#: Bamanankan personal pronouns: "ne fana" is "me too", not the district of Fana.
_BM_PRONOUNS = _words("n", "ne", "i", "e", "a", "an", "anw", "aw", "u", "olu", "ale", "o")
_NUMBER_WORDS = _words(
    "kelen", "fila", "saba", "naani", "duuru", "wɔɔrɔ", "wolonwula", "seegin", "kɔnɔntɔn",
    "tan", "mugan", "caman", "kura", "nata", "tɛmɛnen", "temenen", "in", "ninnu",
)
_DIRE_VERB_BEFORE = _words(
    "veux", "voulez", "veut", "voulais", "voudrais", "peux", "pouvez", "peut", "dois", "devez",
    "faut", "pour", "me", "te", "vous", "nous", "ca", "cela", "sans", "vais", "va", "allez",
    "rien", "vrai", "mot", "envie",
)
_DIRE_AFTER = _words("que", "qu", "quoi", "merci", "la", "vrai")
_KORO_AFTER = _words("ye", "ko", "ma", "tɛ", "te", "bɛ", "be", "man", "tun")
_KORO_BEFORE = _words("baara", "ne", "n", "u", "o", "den", "mɔgɔ", "mogo", "cɛ", "muso", "i")
#: Command words after which a short place-like word is part of the command ("START ci").
_COMMAND_WORDS = frozenset().union(
    STOP_WORDS, START_WORDS, HELP_WORDS, LIST_WORDS, OFFERS_WORDS, LANGUAGE_WORDS
)
#: Words that make a text more than an answer to a yes/no question.
_STRONG_WORDS = frozenset().union(STOP_WORDS, START_WORDS, LIST_WORDS, LANGUAGE_WORDS) | _words(
    "aide", "help", "dɛmɛ", "menu", "offres", "liste"
)
#: "un autre travail", "baara wɛrɛ": the word, not the job category Other.
_OTHER_BEFORE = _words(
    "un", "une", "l", "les", "des", "d", "mon", "ma", "mes", "le", "la", "de", "du", "aucun",
    "quelque", "n", "baara", "mɔgɔ", "mogo", "yɔrɔ", "yoro", "cikan", "sms", "offre", "offres",
    "poste", "postes", "travail", "emploi", "job", "ou", "and", "any", "some", "the", "no",
    "dugu", "fan", "siɲɛ", "sinye", "were", "those", "they", "we", "you", "there", "if",
)
_OTHER_AFTER = _words(
    "chose", "choses", "question", "questions", "fois", "offre", "offres", "poste", "postes",
    "travail", "emploi", "job", "jobs", "ville", "villes", "district", "districts", "region",
    "lieu", "lieux", "endroit", "part", "baara", "numero", "personne", "personnes", "sms",
    "message", "cote", "jour", "annee", "mois", "pays", "not", "you", "we", "they", "the",
    "a", "in", "here", "there",
)

#: Half a place name people type alone: asked about, never taken as certain.
PARTIAL_NAMES = {"kalaban": "kalaban-coro", "kalanban": "kalaban-coro"}
#: The whole country: a subscription to every region.
WHOLE_MALI = _words(
    "mali", "tout le mali", "partout", "n'importe ou", "n'importe où", "tout le pays",
    "mali bɛɛ", "mali fan bɛɛ", "jamana bɛɛ", "yɔrɔ bɛɛ", "everywhere", "all mali",
    "toutes les regions", "tous les districts", "toutes les villes",
)

_THUMBS_UP = ("\U0001f44d", "\U0001f44c", "\u2705", "\u2714", "\U0001f64f")  # 👍 👌 ✅ ✔ 🙏
#: Thanks and acknowledgements: after a confirmation they need no answer.
THANKS_WORDS = _words(
    "ok", "okay", "oke", "okey", "okk", "d'accord", "daccord", "dac", "dak", "merci", "mrc",
    "mci", "merci beaucoup", "merci bcp", "merci bien", "merci infiniment", "grand merci",
    "thanks", "thank you", "thx", "barika", "i ni ce", "aw ni ce", "a ni ce", "inice",
    "i ni ce kosɔbɛ",
    "barika kosɔbɛ", "barika dɛ", "i ni ce dɛ", "i ni baara", "aw ni baara", "bien recu", "recu",
    "bien note", "c'est note", "note", "compris", "bien compris", "entendu", "super", "parfait",
    "cool", "top", "genial", "excellent", "tres bien", "c'est bien", "c'est bon", "bon",
    "amina", "amiina", "amine", "amen", "ayiwa", "awa", "ɔwɔ", "owo", "awɔ", "a ka ɲi", "a ka nyi",
    "o ka ɲi", "i ni ce baara", "merci baara", "ok merci", "oui merci", "merci ok", "oui",
    "je vous remercie", "nous vous remercions", "remercie", "remerciements", "mr6", "mrci",
    "c bon", "c'est bon", "oki", "okey", "barka", "ala ka baraka don", "ala ka baraka bila a la",
    "ca marche", "ok ca marche", "dieu vous benisse", "que dieu vous benisse",
    "merci pour les offres", "merci pour l'offre", "merci pour tout",
    "ouii", "ouais", "wi", "yes", "yep",
) | frozenset({"👍"})
THANKS_FILLERS = _words(
    "beaucoup", "bcp", "bien", "encore", "vous", "a", "aussi", "pour", "tout", "tous", "ca",
    "infiniment", "baara", "svp", "dɛ", "de", "kosɔbɛ", "kosebe", "ok", "oui", "et", "the",
    "much", "so", "very", "bon", "courage", "bonne", "journee", "soiree", "continuation",
    "bravo", "equipe", "l", "votre", "service", "aw", "ni", "ce", "i", "k", "ka", "n", "ye",
    "merci", "barika", "votre", "vos", "message", "messages", "sms", "information",
    "informations", "info", "infos", "reponse", "le", "la", "les", "je", "nous", "dieu",
    "allah", "ala", "k'a", "sara", "mon", "frere", "soeur", "ma", "grand", "chef", "patron",
    "benisse", "pour",
)
#: "c'est qui ?", "qui est-ce", "jɔn don?" (who is it?), "jɔn ye?": who is writing to me?
WHO_WORDS = _words(
    "c'est qui", "cest qui", "c qui", "qui", "ki", "qui est ce", "qui est-ce", "qui c'est",
    "qui etes vous", "vous etes qui", "t ki", "t qui", "tu es qui", "qui es tu", "qui est la",
    "qui m'inscrit", "qui veut m'inscrire", "c'est qui le relais", "qui est le relais",
    "quel relais", "c'est quel relais", "de la part de qui", "who", "who is this", "who are you",
    "jɔn don", "jon don", "jɔn", "jon", "jɔn ye", "jɔn ye nin ye", "nin ye jɔn ye", "o ye jɔn ye",
    "jɔn bɛ n sɛbɛn", "i ye jɔn ye", "aw ye jɔn ye", "relais ye jɔn ye", "jɔn de", "jon de",
)
_WHO_FILLERS = _words(
    "bonjour", "svp", "stp", "mais", "et", "vous", "tu", "etes", "es", "c", "est", "ce", "ca",
    "donc", "le", "la", "i", "ni", "ce", "aw", "a", "o", "ye", "don", "nin", "bɛ", "n", "sɛbɛn",
    "ka", "who", "is", "this", "are", "you", "hello", "pardon", "desole", "excusez", "moi",
)
#: A whole text of these (besides job words) means every region: "tout", "partout", "bɛɛ".
WHOLE_MALI_ALONE = _words("tout", "toutes", "tous", "bɛɛ", "yɔrɔ bɛɛ", "all", "partout")
CODE = re.compile(r"^j-?([0-9a-hj-km-np-z]{3,5})$")
_CODE_PART = re.compile(r"^[0-9a-hj-km-np-z]{3,5}$")
# Digits and spaces of any script (\d, \s), dashes of any script too: alerts/phones.py makes
# them ASCII, so a number is one person however it was typed.
PHONE_LIKE = re.compile(r"(?:\+|00)?\d[\d\s.\-\u2010-\u2015\u2212]{6,16}\d")
#: Codes are made of 2-9 and letters other than i, l, o (jobs.py), so "12345" is not one.
_BARE_CODE = re.compile(r"^[2-9a-hj-km-np-z]{3,5}$")
#: Fewest digits in a group of number-like words that reads as a phone number, right or wrong.
PHONE_DIGITS = 5
_PHONE_CHARS = re.compile(r"^[+(]?[0-9oOlI().\-]*[0-9][0-9a-zA-Z().\-]*[,;:]?$")
_INFO_WORDS = _words("info", "infos", "information", "details", "detail", "détails", "code")
_VOWELS = frozenset("aeuy")


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


def _only(words: list[str], vocabulary: frozenset[str], fillers: frozenset[str]) -> bool:
    """True when the words are vocabulary phrases (at least one) and fillers, nothing else."""
    i, seen = 0, False
    while i < len(words):
        n = _phrase_in(words[i:], vocabulary)
        if n:
            seen, i = True, i + n
        elif words[i] in fillers:
            i += 1
        else:
            return False
    return seen


def _code(words: list[str], *, asked: bool) -> str | None:
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
                if _CODE_PART.match(joined) and (len(nxt) > 1 or len(joined) >= 3):
                    part = joined
        if part is None:
            continue
        # "jeune", "juste", "jenne" are words: a bare code has a digit or at most one vowel.
        if asked or any(ch.isdigit() for ch in part) or sum(ch in _VOWELS for ch in part) <= 1:
            return "J" + part.upper()
    return None


def _bare_code(words: list[str]) -> str | None:
    """A code typed without its J ("486", "48 6"): code digits (2-9) and letters, a digit first."""
    joined = "".join(words[:3])
    if words and words[0][:1].isdigit() and _BARE_CODE.match(joined) and (
        sum(ch.isdigit() for ch in joined) >= 2
    ):
        return "J" + joined.upper()
    return None


def _positions(words: list[str], phrase: str) -> list[int]:
    parts = phrase.split()
    n = len(parts)
    return [i for i in range(len(words) - n + 1) if words[i : i + n] == parts]


def _place_in_context(hit: Hit, words: list[str], bm_text: bool) -> bool:
    """False when a place name is used as an everyday word here ("ne fana", "je veux dire")."""
    starts = _positions(words, hit.matched)
    if not starts:
        return True
    name = hit.matched
    for i in starts:
        before = words[i - 1] if i > 0 else ""
        before2 = words[i - 2] if i > 1 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        # "a" and "o" are also French ("à Fana"): pronouns only in a Bamanankan text.
        if name == "fana" and before in _BM_PRONOUNS and (bm_text or before not in "aoe"):
            continue
        if name == "dire" and (
            before in _DIRE_VERB_BEFORE or (before == "a" and before2 == "est")
            or after in _DIRE_AFTER
        ):
            continue
        if name == "san" and (
            before in ("ka", "k") or after in _NUMBER_WORDS or after.isdigit() or before.isdigit()
        ):
            continue
        if name == "koro" and (after in _KORO_AFTER or before in _KORO_BEFORE):
            continue
        if name == "ci" and (
            bm_text or before in _COMMAND_WORDS or before in _BM_PRONOUNS
            or before in ("ka", "k", "m", "b", "t") or after in ("ka", "ma", "la", "n", "i")
        ):
            continue
        if name == "bla" and (before == "bla" or after == "bla"):
            continue
        return True
    return False


def _category_in_context(hit: Hit, words: list[str]) -> bool:
    """False for 'autre'/'wɛrɛ' used as 'another' ('un autre travail', 'baara wɛrɛ')."""
    if hit.slug != "other":
        return True
    for i in _positions(words, hit.matched):
        before = words[i - 1] if i > 0 else ""
        after = words[i + 1] if i + 1 < len(words) else ""
        if before not in _OTHER_BEFORE and after not in _OTHER_AFTER:
            return True
    return False


def _category_score_ok(hit: Hit) -> bool:
    """Whether a category hit is close enough to take without asking."""
    if len(hit.matched) >= LONG_CATEGORY_WORD:
        return hit.score >= LONG_CATEGORY_SCORE
    return hit.score >= CATEGORY_SCORE


def _partial_places(found: Findings, words: list[str]) -> list[Hit]:
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


def _filtered(found: Findings, words: list[str], bm_text: bool) -> Findings:
    return Findings(
        districts=[h for h in found.districts if _place_in_context(h, words, bm_text)]
        + _partial_places(found, words),
        regions=[h for h in found.regions if _place_in_context(h, words, bm_text)],
        categories=[
            h for h in found.categories
            if _category_score_ok(h) and _category_in_context(h, words)
        ],
        rest=found.rest,
    )


def _from_findings(intent: Intent, found: Findings, **extra) -> Command:
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


def _is_stop(words: list[str]) -> bool:
    """A stop said as a sentence: 'je ne veux plus recevoir', 'n t'a fɛ tugun', 'Niono jɔ'."""
    if any(w in STOP_ANYWHERE for w in words):
        return True
    if any(len(w) >= 8 and slip_of(w, _LONG_STOPS) for w in words):
        return True  # "je veux me desabonez"
    if "plus" in words:
        k = words.index("plus")
        negated = any(w in ("ne", "n") for w in words[:k])
        if negated and any(w in _NO_MORE_VERBS for w in words):
            return True
        if words[k + 1 : k + 2] == ["de"] and set(words[k + 2 : k + 3]) & _NO_MORE_VERBS:
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
        if w in _REMOVE_VERBS and any(x in _REMOVE_OBJECTS for x in words[i + 1 : i + 4]):
            return True
    # "je veux arreter", "je voudrais arreter les sms", "please stop".
    for i, w in enumerate(words):
        if w in ("arreter", "arrete", "stop", "stopper") and i > 0 and words[i - 1] in (
            "veux", "voudrais", "souhaite", "pouvez", "faut", "vais", "want", "please", "svp",
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


def _respelled(words: list[str]) -> list[str]:
    """The words with a misspelt STOP or START keyword at the start put right."""
    if not words or len(words) > 6:
        return words
    if len(words) >= 3 and all(len(w) == 1 for w in words):
        words = ["".join(words)]  # "S.T.O.P", "s t o p"
    if _phrase_in(words, STOP_WORDS) or _phrase_in(words, START_WORDS):
        return words
    fixed = slip_of(words[0], STOP_SPELLINGS) or slip_of(words[0], START_SPELLINGS)
    return [fixed, *words[1:]] if fixed else words


def urgent(text: str) -> Intent | None:
    """STOP or START when a text plainly asks for one (flood control lets these through).

    Cheap and context-free: the webhook calls it on every message before the worker parses it.
    """
    words = [w for w in re.split(r"[\s']+", fold((text or "")[:MAX_PARSED])) if w]
    if not words or len(words) > 12:
        return None
    if _whole(words, STOP_ALONE):
        return Intent.STOP
    words = _respelled(words)
    if _phrase_in(words, STOP_WORDS) or _is_stop(words):
        return Intent.STOP
    if _phrase_in(words, START_WORDS) or _whole(words, START_ALONE) or (
        len(words) <= 6 and any(w in START_ANYWHERE for w in words)
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
        if token and _PHONE_CHARS.match(typed_ascii(token)):
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
    elif not words and any(sign in raw for sign in _THUMBS_UP):
        words = ["👍"]
    language = detect_language(words)
    bm_text = language is Language.BM

    def cmd(intent: Intent, **kw) -> Command:
        return Command(intent, language=language, words=tuple(words), **kw)

    def with_places(intent: Intent, found: Findings) -> Command:
        return _from_findings(intent, found, language=language, words=tuple(words), phone=phone)

    # A number in the text (a relay's "INSCRIRE 76 12 34 56 NIONO"), as typed, typos and all.
    phone = phone_attempt(raw)

    def find(phrase_words: list[str]) -> Findings:
        # Context is read in the whole text: "START ci" is the Bamanankan "send START".
        if not phrase_words:
            return Findings()
        return _filtered(places.find(" ".join(phrase_words)), words, bm_text)

    if not words:
        return cmd(Intent.UNKNOWN)

    pending = state.pending
    if pending is not None and pending.asks_place:
        answer = _answer(words, pending, find)
        if isinstance(answer, Intent):
            return cmd(answer)
        if answer is not None:
            # "oui, et Kati aussi": the places asked about, plus the new ones.
            more = _from_findings(Intent.SUBSCRIBE, answer, language=language, words=tuple(words))
            return replace(
                more,
                districts=tuple(dict.fromkeys(pending.districts + more.districts)),
                regions=tuple(dict.fromkeys(pending.regions + more.regions)),
                categories=tuple(dict.fromkeys(pending.categories + more.categories)),
            )

    code = _code(words, asked=False) if len(words) <= 5 else None
    if code is None and len(words) <= 12:
        # "je veux plus d'infos sur J482": a code with digits, anywhere in a short text.
        code = _code([w for w in words if any(ch.isdigit() for ch in w) or w == "j"], asked=False)
        code = code if code and any(ch.isdigit() for ch in code) else None
    if words[0] in _INFO_WORDS and len(words) > 1:
        code = _code(words[1:4], asked=True) or _bare_code(words[1:]) or code
    if code:
        return cmd(Intent.INFO, code=code)
    if len(words) == 1 and (bare := _bare_code(words)):
        return cmd(Intent.INFO, code=bare, guessed=True)  # "486": INFO J486 if it exists

    if _whole(words, STOP_ALONE):
        return cmd(Intent.STOP)
    words = _respelled(words)

    if n := _phrase_in(words, STOP_WORDS):
        found = find(words[n:])
        if found.districts or found.regions:
            return with_places(Intent.STOP, found)
        return cmd(Intent.STOP)

    if n := _phrase_in(words, START_WORDS):
        found = find(words[n:])
        if found.districts or found.regions:
            return with_places(Intent.SUBSCRIBE, found)
        return cmd(Intent.START)

    if words[0] in LANGUAGE_WORDS or _whole(words, FRENCH_WORDS | BAMANANKAN_WORDS):
        rest = words[1:] if words[0] in LANGUAGE_WORDS else words
        joined = " ".join(rest)
        if joined in FRENCH_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.FR)
        if joined in BAMANANKAN_WORDS:
            return cmd(Intent.LANGUAGE, target=Language.BM)
        if not rest or _whole(rest, _TOGGLE_FILLERS):
            # LANGUE alone: switch to the other one.
            return cmd(Intent.LANGUAGE, target=_other(state.language))
    if _only(words, _TOGGLE, LANGUAGE_FILLERS | _TOGGLE_FILLERS):
        return cmd(Intent.LANGUAGE, target=_other(state.language))  # "je veux changer de langue"
    target = _language_request(words)
    if target is not None:
        return cmd(Intent.LANGUAGE, target=target)

    if n := _phrase_in(words, RELAY_WORDS, max_len=1):
        return with_places(Intent.RELAY, find(words[n:]))

    if _only(words, THANKS_WORDS, THANKS_FILLERS):
        return cmd(Intent.THANKS)
    if _only(words, WHO_WORDS, _WHO_FILLERS):
        return cmd(Intent.WHO)
    if _whole(words, HELP_WORDS):
        return cmd(Intent.HELP)
    if _whole(words, LIST_WORDS):
        return cmd(Intent.LIST)

    if _is_stop(words):
        found = find(words)
        if found.districts or found.regions:
            return with_places(Intent.STOP, found)
        return cmd(Intent.STOP)

    found = find(words)
    if found.districts or found.regions:
        return with_places(Intent.SUBSCRIBE, found)
    if any(_phrase_in(words[i:], WHOLE_MALI) for i in range(len(words))) or (
        len(words) <= 6 and not found.rest and "est" not in words
        and any(_phrase_in(words[i:], WHOLE_MALI_ALONE) for i in range(len(words)))
    ):
        # "tout le Mali", "partout": every region.
        every = [Hit(slug, 100.0, "mali", True) for slug in places.ref.regions]
        return with_places(Intent.SUBSCRIBE, replace(found, regions=every))

    if (len(words) <= 6 and any(w in START_ANYWHERE for w in words)) or _whole(
        words, START_ALONE
    ):
        return cmd(Intent.START)
    if _only(words, HELP_WORDS, HELP_FILLERS) and words[0] not in SUBSCRIBE_ANYWHERE:
        return cmd(Intent.HELP)
    if _only(words, LIST_WORDS, HELP_FILLERS | OFFERS_FILLERS):
        return cmd(Intent.LIST)
    if _phrase_in(words, HELP_WORDS, max_len=3) and words[0] in ("comment", "how", "aide"):
        return cmd(Intent.HELP)  # "comment s'inscrire ?", "aide moi a m'inscrire"
    if (
        _phrase_in(words, SUBSCRIBE_WORDS)
        or any(w in SUBSCRIBE_ANYWHERE for w in words)
        or found.categories
    ):
        # They want alerts but named no place we know: ask which district.
        return with_places(Intent.SUBSCRIBE, found)
    offers_only = _only(words, OFFERS_WORDS, OFFERS_FILLERS)
    if offers_only and any(w in _OFFERS_ASK for w in words):
        return cmd(Intent.OFFERS)  # "je veux voir les offres", "baara kura bɛ yen wa?"
    if any(w in SEEK_VERBS for w in words) and any(w in SEEK_OBJECTS for w in words):
        return with_places(Intent.SUBSCRIBE, found)  # "je cherche du travail": which district?
    if offers_only or _whole(words, _words("il y a du nouveau", "du nouveau", "quoi de neuf")):
        return cmd(Intent.OFFERS)
    if _phrase_in(words, HELP_WORDS, max_len=3) and len(words) <= 4:
        return cmd(Intent.HELP)
    if _phrase_in(words, LIST_WORDS) and len(words) <= 3:
        return cmd(Intent.LIST)
    return cmd(Intent.UNKNOWN)


def consent_answer(text: str, places: Places) -> Intent | None:
    """YES, NO, STOP or WHO (who is asking?) when a text answers a relay's 'may we sign you
    up?', else None."""
    words = [w for w in re.split(r"[\s']+", fold((text or "")[:MAX_PARSED])) if w]
    if not words and any(sign in (text or "") for sign in _THUMBS_UP):
        return Intent.YES
    if not words:
        return None
    if _whole(words, YES_WORDS) or (_phrase_in(words, YES_LEAD) and len(words) <= 4):
        return Intent.YES
    if _whole(words, NO_WORDS) or (_phrase_in(words, NO_LEAD) and len(words) <= 4):
        return Intent.NO
    if _only(words, WHO_WORDS, _WHO_FILLERS):
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
    if _whole(words, YES_WORDS):
        return Intent.YES
    if _whole(words, NO_WORDS):
        return Intent.NO
    if len(words) > 8:
        return None
    asked = set(pending.districts) | set(pending.regions)
    for vocabulary, intent in ((YES_LEAD, Intent.YES), (NO_LEAD, Intent.NO)):
        n = _phrase_in(words, vocabulary)
        if not n:
            continue
        rest = words[n:]
        if any(w in _STRONG_WORDS for w in rest) or _is_stop(rest or ["-"]):
            return None
        found = find(rest)
        named = {h.slug for h in (*found.districts, *found.regions)}
        if named - asked or (found.categories and intent is Intent.YES):
            # "non, Kati": a new place instead; "oui, et Kati": the new place as well;
            # "oui Sikasso infirmier": the place asked about, for that job.
            return found if intent is Intent.YES else None
        return intent
    return None


def _other(language: Language | None) -> Language:
    """The language a bare LANGUE switches to: French speakers (and strangers) get Bamanankan."""
    return Language.FR if language is Language.BM else Language.BM


def _language_request(words: list[str]) -> Language | None:
    """'en français svp', 'bamanankan na', 'langue française': the language asked for."""
    if len(words) > 6:
        return None
    wants_fr = any(_phrase_in(words[i:], FRENCH_WORDS) for i in range(len(words)))
    wants_bm = any(_phrase_in(words[i:], BAMANANKAN_WORDS) for i in range(len(words)))
    if wants_fr == wants_bm:
        return None
    vocabulary = FRENCH_WORDS if wants_fr else BAMANANKAN_WORDS
    # "fr" and "bm" alone are too short to trust outside LANGUE FR / LANGUE BM.
    if not _only(words, vocabulary - {"fr", "bm"}, LANGUAGE_FILLERS):
        return None
    return Language.FR if wants_fr else Language.BM
