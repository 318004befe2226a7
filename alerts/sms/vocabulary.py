"""The SMS vocabulary: every keyword, filler and marker the parser knows, folded.

Word lists only (multi-word entries are phrases), in French, Bamanankan and English; the
parser (`commands.py`) and its readers (`reading.py`) decide what they mean.
"""

from __future__ import annotations

import re

from alerts.domain.text import fold


def words_of(*phrases: str) -> frozenset[str]:
    return frozenset(" ".join(w for w in re.split(r"[\s']+", fold(p)) if w) for p in phrases)


# Word lists, packed many phrases a line: `ruff format` would give each its own line and
# quadruple the module, so it leaves them as written.
# fmt: off

# -- command vocabularies (folded; multi-word entries are phrases) ----------------------------

STOP_WORDS = words_of(
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
STOP_ALONE = words_of(
    "stp", "sto", "stoop", "stp stp", "stop stop", "sotp sotp", "ca suffit", "c'est assez",
    "assez", "ca suffit maintenant", "laissez moi tranquille", "laisse moi tranquille",
    "laissez moi", "foutez moi la paix", "ca suffit merci", "assez merci",
)
#: Keywords whose misspellings still stop: one slip in a short one ("sotp", "stpo", "arrt"),
#: two in a long one ("desabone", "unsubscibe"). Real words near them are not slips.
STOP_SPELLINGS = ("stop", "arret", "arrete", "arreter", "arretez", "desabonner", "desabonnez",
                  "desabonnement", "desinscrire", "desinscription", "desinscrivez",
                  "unsubscribe", "annuler")
LONG_STOPS = tuple(k for k in STOP_SPELLINGS if len(k) >= 9)
START_SPELLINGS = ("start", "reprendre", "restart", "reactiver", "recommencer")
NOT_SLIPS = frozenset({
    "step", "shop", "stay", "star", "stat", "sept", "atop", "soap", "slop", "stow",
    "smart", "stars", "stade", "startup", "subscribe",
    "subscribed", "subscriber", "abonnement", "inscription", "inscriptions",
})
#: Anywhere in a text, these mean stop ("je veux me desabonner", "svp desabonnez moi").
STOP_ANYWHERE = words_of(
    "desabonner", "desabonnez", "desabonne", "desabonnement", "desinscrire", "desinscrivez",
    "desinscription", "unsubscribe", "arretez", "dabila", "stop", "stopper", "arret",
)
#: "retirez moi de la liste", "supprimez mon numero": a stop when about the sender.
REMOVE_VERBS = words_of(
    "retirer", "retirez", "enlever", "enlevez", "supprimer", "supprimez", "effacer", "effacez",
    "remove", "delete",
)
REMOVE_OBJECTS = words_of("moi", "m", "me", "mon", "numero", "liste", "abonnement", "inscription")
#: "ne ... plus" with one of these is a stop: "je ne veux plus recevoir", "n'envoyez plus".
NO_MORE_VERBS = words_of(
    "veux", "voudrais", "souhaite", "recevoir", "recois", "reçois", "envoyer", "envoyez",
    "envoie", "ecrire", "ecrivez", "sms", "message", "messages", "alerte", "alertes", "offres",
    "interesse", "interessee", "intéressé", "besoin", "abonne",
)
START_WORDS = words_of(
    "start", "reprendre", "reprise", "recommencer", "reactiver", "réactiver", "resume",
    "unstop", "restart", "daminɛ", "damine", "daminɛ kokura", "a daminɛ", "a daminɛ kokura",
    "segin", "a segin", "revenir",
)
START_ANYWHERE = words_of(
    "reprendre", "recommencer", "reactiver", "revenir", "reprise", "restart", "unstop",
    "daminɛ", "segin",
)
#: Coming back, said as a whole text only: "je reviens" is START, "je reviens demain" is not.
START_ALONE = words_of("je reviens", "reviens", "je suis de retour", "me revoila", "n seginna")
HELP_WORDS = words_of(
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
HELP_FILLERS = words_of(
    "svp", "stp", "s'il vous plait", "plait", "merci", "bonjour", "bonsoir", "slt", "salut",
    "moi", "me", "please", "baara", "i ni ce", "ni", "ce", "i", "n", "ka", "de", "d", "l",
)
LIST_WORDS = words_of(
    "liste", "list", "lister", "mes alertes", "mes alerte", "alertes", "mes abonnements",
    "abonnements", "mes inscriptions", "n ka cikanw", "n ka alertew", "lisi", "status",
    "statut", "mon compte", "compte", "quelles sont mes alertes", "ma liste", "n ka lisi",
    "mes offres", "je suis inscrit ou", "suis je inscrit", "je suis inscrit", "inscrit ou",
    "quelles sont mes inscriptions", "n tɔgɔ sɛbɛnna wa", "cikan jumɛn bɛ n fɛ",
    "cikanw jumɛn bɛ n fɛ", "n ka cikanw ye jumɛn ye", "je n'ai rien reçu", "rien reçu",
    "je ne reçois rien", "pourquoi je ne reçois rien", "je ne reçois pas les offres",
    "je ne reçois pas de sms", "je n'ai pas reçu", "pas reçu", "j'ai rien reçu",
)
OFFERS_WORDS = words_of(
    "offres", "offre", "offers", "jobs", "job", "emplois", "emploi", "postes", "poste",
    "annonces", "annonce", "baara", "baaraw", "baara kura", "baara kuraw", "travail",
    "opportunites", "opportunités", "recrutement", "recrutements", "avis", "vacancy",
    "vacancies",
)
#: Words that may surround an offers word in a question about open jobs.
NEWS_WORDS = words_of("il y a du nouveau", "du nouveau", "quoi de neuf")
OFFERS_FILLERS = words_of(
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
OFFERS_ASK = words_of(
    "offres", "offre", "annonces", "annonce", "voir", "nouveau", "nouvelles", "kura", "kuraw",
    "yen", "avis", "offers", "vacancies", "neuf", "montrer", "montrez", "disponibles",
)
SUBSCRIBE_WORDS = words_of(
    "inscrire", "inscris", "inscrit", "inscription", "incrire", "insrire", "inscrir",
    "sinscrire", "s'inscrire", "m'inscrire", "minscrire", "je m'inscris", "abonner",
    "abonne", "abonnement", "m'abonner", "s'abonner", "subscribe", "join", "register",
    "alerte", "alert", "seben", "sɛbɛn", "n tɔgɔ sɛbɛn", "tɔgɔ sɛbɛn", "ka n tɔgɔ sɛbɛn",
    "sebenni", "add", "ajouter", "inscrivez", "inscrivez moi", "abonnez", "abonnez moi",
)
#: Single words that ask to be registered wherever they stand: "je veux m'inscrire".
SUBSCRIBE_ANYWHERE = words_of(
    "inscrire", "inscris", "inscription", "inscrivez", "incrire", "inscrir", "sinscrire",
    "minscrire", "abonner", "abonnez", "abonnement", "subscribe", "register", "seben",
    "interesse", "interessee", "interested",
)
#: Looking for work without naming a place: ask which district ("je cherche du travail").
SEEK_VERBS = words_of(
    "cherche", "recherche", "cherchons", "chercher", "nyini", "ɲini", "besoin", "trouver",
    "looking", "need", "want", "fe", "soro", "veux", "voudrais", "souhaite",
)
SEEK_OBJECTS = words_of(
    "travail", "emploi", "job", "boulot", "poste", "baara", "stage", "work", "embauche",
    "travailler", "baara kɛ",
)
YES_WORDS = words_of(
    "oui", "ouii", "ouiii", "ouai", "ouais", "wi", "yes", "yep", "ok", "okay", "oke", "okey",
    "d'accord", "daccord", "dac", "exact", "exactement", "c'est ca", "c'est ça", "voila",
    "ɔwɔ", "owo", "awɔ", "awo", "awa", "o", "oh", "1", "y", "si", "bien sur", "tout a fait",
    "owo dɛ", "awɔ dɛ", "oui merci", "ok merci", "oui oui", "c'est bien ca", "correct", "juste",
    "n b'a fɛ", "a ka ɲi", "a ka nyi", "o de", "o don", "o de don", "ayiwa", "awɔ n b'a fɛ",
    "oui c'est ca", "oui c'est ça", "oui svp", "oui stp", "ok svp", "je confirme", "confirme",
    "confirmer", "confirmé", "confirm", "c'est bon",
) | frozenset({"👍"})
#: YES words that may start a longer answer ("oui c'est bien ca merci"); not the 1-letter ones.
YES_LEAD = YES_WORDS - words_of("o", "oh", "1", "y", "si", "juste", "correct", "voila", "exact")
NO_WORDS = words_of(
    "non", "no", "nn", "nope", "ayi", "ayi dɛ", "ayi de", "pas ca", "pas ça", "2", "n",
    "non merci", "c'est pas ca", "ce n'est pas ca", "non non", "ayi ayi", "o tɛ", "o te",
    "a tɛ", "a te", "faux", "pas du tout",
)
NO_LEAD = NO_WORDS - words_of("n", "2", "o te", "a te")
RELAY_WORDS = words_of("relais", "relay", "relai")
LANGUAGE_WORDS = words_of("langue", "language", "lang", "kan", "kaan", "lanngue", "langage")
FRENCH_WORDS = words_of(
    "francais", "français", "francaise", "française", "french", "fr", "faransi", "faransikan",
    "tubabukan", "faransi kan", "tubabu kan",
)
BAMANANKAN_WORDS = words_of(
    "bamanankan", "bamanakan", "bambara", "bamana", "bamanan", "bm", "bamanan kan",
    "bamananka", "bambara kan", "bamana kan",
)
#: Words that may surround a language name in a request to switch: "en français svp".
LANGUAGE_FILLERS = words_of(
    "en", "langue", "language", "lang", "kan", "svp", "stp", "merci", "parler", "parlez",
    "parle", "ecrire", "ecrivez", "ecris", "moi", "m", "me", "a", "na", "la", "le", "l",
    "fe", "je", "veux", "voudrais", "please", "in", "use", "ka", "n", "b", "i", "ye", "sebe",
    "seben", "aw", "an", "ne", "en", "mettre", "mets", "changer", "change", "passer", "pour",
    "ma", "ma langue", "bonjour", "slt", "sms", "messages", "message", "kono", "dɔ", "mettez",
    "mettre", "mets", "passez", "envoyez", "repondez", "repondre", "reponse", "reponses", "vos",
)

#: Asking to switch without naming the language: "je veux changer de langue".
TOGGLE = words_of(
    "changer de langue", "changer la langue", "changer langue", "autre langue", "change language",
    "kan changer", "kan yɛlɛma", "ka kan yɛlɛma",
)
TOGGLE_FILLERS = words_of("changer", "change", "yɛlɛma", "autre", "svp", "stp", "de", "la")

#: Words that only occur in Bamanankan (folded); enough of them means "answer in Bamanankan".
BM_MARKERS = words_of(
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
FR_MARKERS = words_of(
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
WEAK_MARKERS = words_of(
    "a", "la", "ni", "i", "n", "na", "do", "don", "be", "te", "ba", "u", "ne", "baara", "t",
    "ma", "ko", "ci", "an", "y", "l", "s", "m", "c", "d", "ke", "mes", "den", "kan", "bi",
    "fana", "ou", "min", "tun", "yen", "wa", "j",
)

# -- words that are also place names ----------------------------------------------------------

#: Bamanankan personal pronouns: "ne fana" is "me too", not the district of Fana.
BM_PRONOUNS = words_of("n", "ne", "i", "e", "a", "an", "anw", "aw", "u", "olu", "ale", "o")
NUMBER_WORDS = words_of(
    "kelen", "fila", "saba", "naani", "duuru", "wɔɔrɔ", "wolonwula", "seegin", "kɔnɔntɔn",
    "tan", "mugan", "caman", "kura", "nata", "tɛmɛnen", "temenen", "in", "ninnu",
)
DIRE_VERB_BEFORE = words_of(
    "veux", "voulez", "veut", "voulais", "voudrais", "peux", "pouvez", "peut", "dois", "devez",
    "faut", "pour", "me", "te", "vous", "nous", "ca", "cela", "sans", "vais", "va", "allez",
    "rien", "vrai", "mot", "envie",
)
DIRE_AFTER = words_of("que", "qu", "quoi", "merci", "la", "vrai")
KORO_AFTER = words_of("ye", "ko", "ma", "tɛ", "te", "bɛ", "be", "man", "tun")
KORO_BEFORE = words_of("baara", "ne", "n", "u", "o", "den", "mɔgɔ", "mogo", "cɛ", "muso", "i")
#: Command words after which a short place-like word is part of the command ("START ci").
COMMAND_WORDS = frozenset().union(
    STOP_WORDS, START_WORDS, HELP_WORDS, LIST_WORDS, OFFERS_WORDS, LANGUAGE_WORDS
)
#: Words that make a text more than an answer to a yes/no question.
STRONG_WORDS = frozenset().union(STOP_WORDS, START_WORDS, LIST_WORDS, LANGUAGE_WORDS) | words_of(
    "aide", "help", "dɛmɛ", "menu", "offres", "liste"
)
#: "un autre travail", "baara wɛrɛ": the word, not the job category Other.
OTHER_BEFORE = words_of(
    "un", "une", "l", "les", "des", "d", "mon", "ma", "mes", "le", "la", "de", "du", "aucun",
    "quelque", "n", "baara", "mɔgɔ", "mogo", "yɔrɔ", "yoro", "cikan", "sms", "offre", "offres",
    "poste", "postes", "travail", "emploi", "job", "ou", "and", "any", "some", "the", "no",
    "dugu", "fan", "siɲɛ", "sinye", "were", "those", "they", "we", "you", "there", "if",
)
OTHER_AFTER = words_of(
    "chose", "choses", "question", "questions", "fois", "offre", "offres", "poste", "postes",
    "travail", "emploi", "job", "jobs", "ville", "villes", "district", "districts", "region",
    "lieu", "lieux", "endroit", "part", "baara", "numero", "personne", "personnes", "sms",
    "message", "cote", "jour", "annee", "mois", "pays", "not", "you", "we", "they", "the",
    "a", "in", "here", "there",
)

#: Half a place name people type alone: asked about, never taken as certain.
PARTIAL_NAMES = {"kalaban": "kalaban-coro", "kalanban": "kalaban-coro"}
#: The whole country: a subscription to every region.
WHOLE_MALI = words_of(
    "mali", "tout le mali", "partout", "n'importe ou", "n'importe où", "tout le pays",
    "mali bɛɛ", "mali fan bɛɛ", "jamana bɛɛ", "yɔrɔ bɛɛ", "everywhere", "all mali",
    "toutes les regions", "tous les districts", "toutes les villes",
)

THUMBS_UP = ("\U0001f44d", "\U0001f44c", "\u2705", "\u2714", "\U0001f64f")  # 👍 👌 ✅ ✔ 🙏
#: Thanks and acknowledgements: after a confirmation they need no answer.
THANKS_WORDS = words_of(
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
THANKS_FILLERS = words_of(
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
WHO_WORDS = words_of(
    "c'est qui", "cest qui", "c qui", "qui", "ki", "qui est ce", "qui est-ce", "qui c'est",
    "qui etes vous", "vous etes qui", "t ki", "t qui", "tu es qui", "qui es tu", "qui est la",
    "qui m'inscrit", "qui veut m'inscrire", "c'est qui le relais", "qui est le relais",
    "quel relais", "c'est quel relais", "de la part de qui", "who", "who is this", "who are you",
    "jɔn don", "jon don", "jɔn", "jon", "jɔn ye", "jɔn ye nin ye", "nin ye jɔn ye", "o ye jɔn ye",
    "jɔn bɛ n sɛbɛn", "i ye jɔn ye", "aw ye jɔn ye", "relais ye jɔn ye", "jɔn de", "jon de",
)
WHO_FILLERS = words_of(
    "bonjour", "svp", "stp", "mais", "et", "vous", "tu", "etes", "es", "c", "est", "ce", "ca",
    "donc", "le", "la", "i", "ni", "ce", "aw", "a", "o", "ye", "don", "nin", "bɛ", "n", "sɛbɛn",
    "ka", "who", "is", "this", "are", "you", "hello", "pardon", "desole", "excusez", "moi",
)
#: A whole text of these (besides job words) means every region: "tout", "partout", "bɛɛ".
WHOLE_MALI_ALONE = words_of("tout", "toutes", "tous", "bɛɛ", "yɔrɔ bɛɛ", "all", "partout")
CODE = re.compile(r"^j-?([0-9a-hj-km-np-z]{3,5})$")
CODE_PART = re.compile(r"^[0-9a-hj-km-np-z]{3,5}$")
#: Codes are made of 2-9 and letters other than i, l, o (jobs.py), so "12345" is not one.
BARE_CODE = re.compile(r"^[2-9a-hj-km-np-z]{3,5}$")
#: Fewest digits in a group of number-like words that reads as a phone number, right or wrong.
PHONE_DIGITS = 5
PHONE_CHARS = re.compile(r"^[+(]?[0-9oOlI().\-]*[0-9][0-9a-zA-Z().\-]*[,;:]?$")
INFO_WORDS = words_of("info", "infos", "information", "details", "detail", "détails", "code")
VOWELS = frozenset("aeuy")
# fmt: on
