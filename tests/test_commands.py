"""The SMS parser on texts the way Malian job seekers and relays actually type them.

Each row is one real-looking text and what its sender meant: the intent, the districts, regions
and categories, the places to confirm first, and the language when the words say which.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import pytest

from alerts.domain.places import Places
from alerts.sms.commands import Command, Intent, Pending, State, parse
from alerts.sms.reading import detect_language
from alerts.store import Language


class _Any:
    def __repr__(self) -> str:
        return "ANY"


#: The language is not checked for this row (one place name says nothing about it).
ANY = _Any()
FR, BM = Language.FR, Language.BM
SUB, STOP, START, HELP, LIST = (
    Intent.SUBSCRIBE,
    Intent.STOP,
    Intent.START,
    Intent.HELP,
    Intent.LIST,
)
LANG, OFFERS, INFO, YES, NO = (Intent.LANGUAGE, Intent.OFFERS, Intent.INFO, Intent.YES, Intent.NO)
RELAY, UNKNOWN = Intent.RELAY, Intent.UNKNOWN
THANKS, WHO = Intent.THANKS, Intent.WHO

NEW = State()
#: Baara just asked "Vous voulez dire SIKASSO ? Repondez OUI ou NON".
ASKED = State(pending=Pending(districts=("sikasso",), names=("Sikasso",)))
ASKED_BM = State(language=BM, pending=Pending(districts=("sikasso",), names=("Sikasso",)))
#: Baara asked which district after "je suis infirmier": not a yes/no question.
ASKED_PLACE = State(pending=Pending(categories=("nurse",)))
SPEAKS_BM = State(language=BM)
SPEAKS_FR = State(language=FR)


class Row(NamedTuple):
    text: str
    intent: Intent
    districts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    doubtful: tuple[str, ...] = ()  # districts and regions to confirm first, in text order
    language: object = ANY
    state: State = NEW
    code: str | None = None
    target: Language | None = None


def row(
    text: str,
    intent: Intent,
    d: tuple[str, ...] | str = (),
    r: tuple[str, ...] | str = (),
    c: tuple[str, ...] | str = (),
    *,
    doubt: tuple[str, ...] | str = (),
    lang: object = ANY,
    state: State = NEW,
    code: str | None = None,
    target: Language | None = None,
) -> Row:
    def tup(v: tuple[str, ...] | str) -> tuple[str, ...]:
        return (v,) if isinstance(v, str) else tuple(v)

    return Row(text, intent, tup(d), tup(r), tup(c), tup(doubt), lang, state, code, target)


ALL_REGIONS = (
    "kayes",
    "koulikoro",
    "sikasso",
    "segou",
    "mopti",
    "tombouctou",
    "gao",
    "menaka",
    "kidal",
    "taoudenit",
    "bamako",
)
LONG_JUNK = ("abcdefghij " * 100)[:1000]
LONG_WITH_PLACE = ("Niono infirmier " + "bla " * 300)[:1000]
LONG_REPEAT = "a" * 1000

ROWS: dict[str, Row] = {
    # -- subscribe, French ---------------------------------------------------------------------
    "fr-inscrire-niono-mobilisateur": row(
        "INSCRIRE NIONO MOBILISATEUR", SUB, "niono", c="community-mobilizer", lang=FR
    ),
    "fr-sikaso-district-officer": row(
        "sikaso district officer", SUB, "sikasso", c="district-officer"
    ),
    "fr-offres-infirmier-kati-koulikoro": row(
        "je veux les offres d'infirmier a Kati et Koulikoro",
        SUB,
        ("kati", "koulikoro"),
        c="nurse",
        lang=FR,
    ),
    "fr-tout-segou": row("tout segou", SUB, r="segou"),
    "fr-inscription-sikasso": row("Inscription Sikasso", SUB, "sikasso"),
    "fr-inscrire-pour-bamako": row("je veux m'inscrire pour bamako", SUB, r="bamako", lang=FR),
    "fr-minscrire-segou-svp": row("M'inscrire a segou svp", SUB, "segou", lang=FR),
    "fr-inscrire-kati-infirmier": row("INSCRIRE KATI INFIRMIER", SUB, "kati", c="nurse", lang=FR),
    "fr-sage-femme-koutiala": row("inscrire sage femme koutiala", SUB, "koutiala", c="midwife"),
    "fr-infirmier-a-mopti": row("je suis infirmier a mopti", SUB, "mopti", c="nurse", lang=FR),
    "fr-sentence-sage-femme-segou": row(
        "Bonjour, je suis sage-femme et je cherche un emploi à Ségou",
        SUB,
        "segou",
        c="midwife",
        lang=FR,
    ),
    "fr-abonner-bougouni-chauffeur": row("abonner bougouni chauffeur", SUB, "bougouni", c="driver"),
    "fr-abonnement-kayes": row("ABONNEMENT KAYES", SUB, "kayes"),
    "fr-region-de-sikasso-sentence": row(
        "je souhaite recevoir les offres de la region de sikasso", SUB, r="sikasso", lang=FR
    ),
    "fr-region-de-mopti": row("region de mopti", SUB, r="mopti"),
    "fr-toute-la-region-de-kayes": row("toute la region de kayes", SUB, r="kayes"),
    "fr-three-districts": row(
        "Kati, Kalaban Coro et Koulikoro", SUB, ("kati", "kalaban-coro", "koulikoro")
    ),
    "fr-three-districts-no-commas": row(
        "niono macina markala", SUB, ("niono", "macina", "markala")
    ),
    "fr-comma-no-space": row("niono,macina", SUB, ("niono", "macina")),
    "fr-bamako-commune-4": row("bamako commune 4", SUB, "commune-4"),
    "fr-commune-6": row("commune 6", SUB, "commune-6"),
    "fr-commune-v-bamako": row("Commune V bamako", SUB, "commune-5"),
    "fr-sevare": row("Sevare", SUB, "mopti"),
    "fr-mopti-et-sevare": row("mopti et sévaré", SUB, "mopti"),
    "fr-timbuktu": row("timbuktu", SUB, "tombouctou"),
    "fr-medecin-bamako": row("medecin bamako", SUB, r="bamako", c="doctor"),
    "fr-chauffeur-gao": row("chauffeur gao", SUB, "gao", c="driver"),
    "fr-comptable-kayes": row("comptable a kayes", SUB, "kayes", c="admin-finance"),
    "fr-poste-chauffeur-gao": row(
        "je cherche un poste de chauffeur à Gao", SUB, "gao", c="driver", lang=FR
    ),
    "fr-asc-long-kita": row(
        "agent de santé communautaire kita", SUB, "kita", c="community-health-worker"
    ),
    "fr-asc-kolokani": row("ASC kolokani", SUB, "kolokani", c="community-health-worker"),
    "fr-brief-sentence-bougouni": row(
        "bonjour je cherche du travail comme infirmier a bougouni svp",
        SUB,
        "bougouni",
        c="nurse",
        lang=FR,
    ),
    "fr-medecin-sikasso-ou-koutiala": row(
        "Je suis medecin generaliste, je cherche a Sikasso ou Koutiala",
        SUB,
        ("sikasso", "koutiala"),
        c="doctor",
        lang=FR,
    ),
    "fr-offres-logistique-mopti": row("offres logistique mopti", SUB, "mopti", c="logistics"),
    "fr-niono-alone": row("Niono", SUB, "niono"),
    "fr-niono-caps-bang": row("NIONO!!!", SUB, "niono"),
    "fr-niono-dot": row("Niono.", SUB, "niono"),
    "fr-kati-infirmiere": row("kati infirmiere", SUB, "kati", c="nurse"),
    "fr-kalaban-coro-sage-femme": row("Kalaban coro sage femme", SUB, "kalaban-coro", c="midwife"),
    "fr-name-and-job": row(
        "Je m'appelle Moussa Traore, je suis infirmier d'etat a Segou",
        SUB,
        "segou",
        c="nurse",
        lang=FR,
    ),
    "fr-first-name-sekou-is-not-segou": row(
        "bonjour c'est Sekou Coulibaly, chauffeur a Kati", SUB, "kati", c="driver", lang=FR
    ),
    "fr-inscrivez-moi": row("Inscrivez moi a Kati svp", SUB, "kati", lang=FR),
    "fr-dioila-chauffeur": row("Dioila chauffeur", SUB, "dioila", c="driver"),
    "fr-sikasso-region": row("sikasso region", SUB, r="sikasso"),
    "fr-toutes-les-offres-de-bamako": row("Toutes les offres de Bamako", SUB, r="bamako", lang=FR),
    "fr-segou-region-accent": row("Ségou région", SUB, r="segou"),
    "fr-district-de-segou": row("district de segou", SUB, "segou"),
    "fr-nioro-du-sahel": row("nioro du sahel", SUB, "nioro"),
    "fr-djenne-accent": row("Djenné", SUB, "djenne"),
    "fr-koro-alone": row("Koro", SUB, "koro"),
    "fr-san-infirmier": row("SAN infirmier", SUB, "san", c="nurse"),
    "fr-infirmier-a-dire": row("infirmier a Diré", SUB, "dire", c="nurse"),
    "fr-fana": row("Fana", SUB, "fana"),
    "fr-a-fana-is-french-a": row(
        "Salut, je m'appelle Fanta, je suis sage-femme et je cherche un poste a Fana",
        SUB,
        "fana",
        c="midwife",
        lang=FR,
    ),
    "fr-ci-infirmiere": row("CI infirmière", SUB, "commune-1", c="nurse"),
    "fr-autre-kita": row("Kita autre", SUB, "kita", c="other"),
    "fr-autre-travail-is-all-jobs": row("je cherche un autre travail a kati", SUB, "kati", lang=FR),
    "fr-je-veux-dire-sikasso": row("je veux dire sikasso", SUB, "sikasso", lang=FR),
    "fr-phone-in-text-ignored": row("Sikasso 76123456", SUB, "sikasso"),
    "fr-repeated-place": row("niono niono niono", SUB, "niono"),
    "fr-no-more-work-is-not-stop": row(
        "je n'ai plus de travail, je cherche a Kati", SUB, "kati", lang=FR
    ),
    "fr-change-to-kati": row("changer pour Kati", SUB, "kati"),
    # -- subscribe, typos ----------------------------------------------------------------------
    "typo-sikaso": row("sikaso", SUB, "sikasso"),
    "typo-segu": row("segu", SUB, "segou"),
    "typo-kalabancoro": row("kalabancoro", SUB, "kalaban-coro"),
    "typo-koutiyala": row("koutiyala", SUB, "koutiala"),
    "typo-bugouni": row("bugouni", SUB, "bougouni"),
    "typo-nionon-asks": row("nionon", SUB, doubt="niono"),
    "typo-bamakoo-asks": row("bamakoo", SUB, doubt="bamako"),
    "typo-siksso-asks": row("siksso", SUB, doubt="sikasso"),
    "typo-kouliloro-asks": row("kouliloro", SUB, doubt="koulikoro"),
    "typo-bandjagara": row("bandjagara", SUB, "bandiagara"),
    "typo-tombouctu": row("tombouctu", SUB, "tombouctou"),
    "typo-sikkasso-asks": row("sikkasso", SUB, doubt="sikasso"),
    "typo-bougoumi-asks": row("infirmier a bougoumi", SUB, c="nurse", doubt="bougouni"),
    "typo-koutialla": row("koutialla infirmiere", SUB, "koutiala", c="nurse"),
    "typo-djene": row("djene", SUB, "djenne"),
    "typo-douentsa": row("douentsa", SUB, "douentza"),
    "typo-kidall-asks": row("kidall", SUB, doubt="kidal"),
    "typo-infirmer": row("infirmer segou", SUB, "segou", c="nurse"),
    "typo-sagefeme": row("sagefeme kati", SUB, "kati", c="midwife"),
    "typo-chaufeur": row("chaufeur bamako", SUB, r="bamako", c="driver"),
    "typo-medcin": row("medcin kayes", SUB, "kayes", c="doctor"),
    "typo-markalla": row("Markalla", SUB, "markala"),
    "typo-kati-and-typo": row("Kati et Koulikro", SUB, "kati", doubt="koulikoro"),
    # -- subscribe, Bamanankan -----------------------------------------------------------------
    "bm-brief-toogo-seben-sikaso": row(
        "n b'a fɛ ka n tɔgɔ sɛbɛn Sikaso baara la", SUB, "sikasso", lang=BM
    ),
    "bm-baara-kura-niono": row("baara kura Niono", SUB, "niono", lang=BM),
    "bm-dogotoro-kati": row("ne ye dɔgɔtɔrɔ ye Kati", SUB, "kati", c="doctor", lang=BM),
    "bm-i-ni-ce-segu": row("i ni ce, n bɛ baara ɲini Segu", SUB, "segou", lang=BM),
    "bm-old-spelling-segou": row("n be baara nyini segou", SUB, "segou", lang=BM),
    "bm-bamako": row("ne be baara nyini bamako", SUB, r="bamako", lang=BM),
    "bm-soferi-kati": row("n ye sofɛri ye, n bɛ baara ɲini Kati", SUB, "kati", c="driver", lang=BM),
    "bm-sofer-bamako": row("ne ye sofer ye bamako", SUB, r="bamako", c="driver", lang=BM),
    "bm-togo-seben-koutiala": row("n tɔgɔ sɛbɛn Koutiala", SUB, "koutiala", lang=BM),
    "bm-bugunin": row("n b'a fɛ ka baara sɔrɔ Bugunin", SUB, "bougouni", lang=BM),
    "bm-segu-mara-bee": row("Segu mara bɛɛ", SUB, r="segou", lang=BM),
    "bm-sikaso-mara": row("Sikaso mara", SUB, "sikasso"),
    "bm-kucala": row("Kucala", SUB, "koutiala"),
    "bm-anfirimiye-kati": row("ne ye anfirimiye ye Kati", SUB, "kati", c="nurse", lang=BM),
    "bm-midwife-kita": row("n ye jiginnidɛmɛbaga ye, Kita", SUB, "kita", c="midwife", lang=BM),
    "bm-soferi-gsm7": row("n ye sofèri ye Bamako", SUB, r="bamako", c="driver", lang=BM),
    "bm-question-sikaso": row("baara kura bɛ Sikaso wa?", SUB, "sikasso", lang=BM),
    "bm-name-awa-niono": row(
        "i ni sɔgɔma, n tɔgɔ ye Awa, n ye sage femme ye Niono",
        SUB,
        "niono",
        c="midwife",
        lang=BM,
    ),
    "bm-nyono-standard": row("Ɲɔnɔ", SUB, "niono"),
    "bm-segu-ani-markala": row("Sɛgu ani Markala", SUB, ("segou", "markala"), lang=BM),
    "bm-kati-walima-kalaban": row(
        "n bɛ baara fɛ Kati walima Kalaban Kɔrɔ", SUB, ("kati", "kalaban-coro"), lang=BM
    ),
    "bm-fana-twice": row("ne fana b'a fɛ baara la Fana", SUB, "fana", lang=BM),
    "bm-baara-were-is-all-jobs": row("n bɛ baara wɛrɛ ɲini Kati", SUB, "kati", lang=BM),
    "bm-seben-seydou": row(
        "sɛbɛn Seydou Diarra Koutiala logisticien", SUB, "koutiala", c="logistics"
    ),
    # -- subscribe, mixed and English --------------------------------------------------------
    "mix-bonjour-bm-bamako": row("bonjour n be baara nyini a bamako", SUB, r="bamako", lang=BM),
    "mix-slt-baara-kura-kati": row("slt baara kura kati", SUB, "kati", lang=BM),
    "mix-inscrire-n-togo-segu": row("inscrire n tɔgɔ Segu", SUB, "segou", lang=BM),
    "mix-je-veux-baara-sikasso": row("je veux baara Sikasso", SUB, "sikasso", lang=FR),
    "mix-infirmier-baara-niono": row("infirmier baara Niono", SUB, "niono", c="nurse"),
    "mix-bonjour-ne-ye-infirmier": row(
        "bonjour, ne ye infirmier ye Sikaso", SUB, "sikasso", c="nurse", lang=BM
    ),
    "mix-i-ni-ce-french": row("i ni ce je cherche travail a Kati", SUB, "kati", lang=FR),
    "en-subscribe-sikasso-nurse": row("subscribe sikasso nurse", SUB, "sikasso", c="nurse"),
    "en-nurse-jobs-in-kati": row("nurse jobs in kati", SUB, "kati", c="nurse"),
    "en-driver-bamako": row("I want driver job in bamako", SUB, r="bamako", c="driver"),
    "en-doctor-mopti": row("doctor mopti", SUB, "mopti", c="doctor"),
    "en-midwife-segou-region": row(
        "Hello, I am a midwife looking for work in Segou region", SUB, r="segou", c="midwife"
    ),
    "emoji-then-place": row("😀 niono", SUB, "niono"),
    "place-then-emoji": row("niono 👍🏾", SUB, "niono"),
    "long-text-with-place": row(LONG_WITH_PLACE, SUB, "niono", c="nurse"),
    "fr-kalaban-alone-asks": row("Kalaban", SUB, doubt="kalaban-coro"),
    "bm-kalaban-alone-asks": row("ne be baara nyini kalaban", SUB, doubt="kalaban-coro", lang=BM),
    "fr-tout-le-mali": row("je cherche du travail partout au Mali", SUB, r=ALL_REGIONS, lang=FR),
    "bm-yoro-bee": row("yɔrɔ bɛɛ", SUB, r=ALL_REGIONS, lang=BM),
    "fr-malien-is-not-mali": row("je suis un jeune malien", UNKNOWN, lang=FR),
    "fr-form-like": row(
        "INSCRIPTION: NOM: Traoré Adama, PROFIL: infirmier, LIEU: Koulikoro",
        SUB,
        "koulikoro",
        c="nurse",
        lang=FR,
    ),
    "fr-two-jobs-one-place": row(
        "infirmier et sage femme a kati", SUB, "kati", c=("nurse", "midwife"), lang=FR
    ),
    "fr-sms-speak": row("jvx m inscrire pr les offres a sikasso", SUB, "sikasso", lang=FR),
    "bko-faladie": row("Faladié", SUB, "commune-6"),
    "bko-kalaban-coura-is-commune-5": row("Kalaban Coura", SUB, "commune-5"),
    "bko-sogoniko-with-commune": row(
        "Je suis à Bamako, commune 6, Sogoniko", SUB, "commune-6", lang=FR
    ),
    "bko-missira-infirmier": row("infirmier Missira", SUB, "commune-2", c="nurse"),
    "bko-baco-djicoroni": row("n bɛ Baco Djicoroni", SUB, "commune-5"),
    # -- subscribe with no place: Baara asks which district -----------------------------------
    "noplace-inscrire": row("Inscrire", SUB),
    "noplace-je-veux-minscrire": row("je veux m'inscrire", SUB, lang=FR),
    "noplace-cherche-travail": row("je cherche du travail", SUB, lang=FR),
    "noplace-bm-baara-nyini": row("n bɛ baara ɲini", SUB, lang=BM),
    "noplace-je-suis-infirmier": row("je suis infirmier", SUB, c="nurse", lang=FR),
    "noplace-infirmiere": row("infirmiere", SUB, c="nurse"),
    "noplace-sagefeme": row("sagefeme", SUB, c="midwife"),
    "noplace-dogotoro": row("dɔgɔtɔrɔ", SUB, c="doctor"),
    "noplace-autres-alone": row("Autres", SUB, c="other"),
    "noplace-interesse": row("Je suis intéressé", SUB, lang=FR),
    "noplace-je-veux-travailler": row("Je veux travailler", SUB, lang=FR),
    # -- relays --------------------------------------------------------------------------------
    "relay-kolokani": row("relais kolokani", RELAY, "kolokani"),
    "relay-communautaire-bla": row("relais communautaire bla", RELAY, "bla"),
    # -- stop ----------------------------------------------------------------------------------
    "stop-caps": row("STOP", STOP),
    "stop-lower": row("stop", STOP),
    "stop-dot": row("Stop.", STOP),
    "stop-bang": row("STOP!", STOP),
    "stop-arret": row("arret", STOP),
    "stop-arret-accent": row("arrêt", STOP),
    "stop-arreter": row("ARRETER", STOP),
    "stop-desabonner": row("desabonner", STOP),
    "stop-desabonnement-caps": row("DÉSABONNEMENT", STOP),
    "stop-sentence-desabonner": row("je veux me desabonner", STOP, lang=FR),
    "stop-sentence-ne-plus": row("Je ne veux plus recevoir de messages", STOP, lang=FR),
    "stop-sentence-arretez": row("arretez de m'envoyer des sms", STOP, lang=FR),
    "stop-sentence-nenvoyez-plus": row("svp n'envoyez plus de sms a ce numero", STOP, lang=FR),
    "stop-merci": row("stop merci", STOP),
    "stop-baara": row("STOP BAARA", STOP),
    "stop-tout": row("stop tout", STOP),
    "stop-plus-de-sms": row("plus de sms svp", STOP),
    "stop-unsubscribe": row("unsubscribe", STOP),
    "stop-thrice": row("stop stop stop", STOP),
    "stop-emoji": row("STOP 😡", STOP),
    "stop-bm-a-jo": row("a jɔ", STOP, lang=BM),
    "stop-bm-a-jo-plain": row("a jo", STOP, lang=BM),
    "stop-bm-ka-jo": row("ka jɔ", STOP, lang=BM),
    "stop-bm-baara-jo": row("baara jɔ", STOP, lang=BM),
    "stop-bm-t-a-fe-tugun": row("n t'a fɛ tugun", STOP, lang=BM),
    "stop-bm-kana-ci": row("aw kana sms ci n ma tugun", STOP, lang=BM),
    "stop-bm-dabila": row("a dabila", STOP, lang=BM),
    "stop-niono-only": row("STOP NIONO", STOP, "niono"),
    "stop-niono-typo-asks": row("stop nionon", STOP, doubt="niono"),
    "stop-arreter-sikasso": row("arreter sikasso", STOP, "sikasso"),
    "stop-kati-infirmier": row("stop kati infirmier", STOP, "kati", c="nurse"),
    "stop-desabonner-segou": row("desabonner segou", STOP, "segou"),
    "stop-sentence-with-place": row("Je ne veux plus les offres de Niono", STOP, "niono", lang=FR),
    "stop-bm-niono-jo": row("Niono jɔ", STOP, "niono"),
    "stop-when-asked": row("stop", STOP, state=ASKED),
    "stop-at-the-end": row("merci, j'ai trouvé du travail, stop", STOP, lang=FR),
    "stop-bm-found-work": row("n ye baara sɔrɔ, a jɔ", STOP, lang=BM),
    "stop-retirez-moi": row("retirez moi de la liste", STOP, lang=FR),
    "stop-supprimer-numero": row("supprimer mon numero", STOP, lang=FR),
    "stop-retirer-kati": row("retirer kati", STOP, "kati"),
    "stop-ne-plus-interesse": row("Je ne suis plus intéressé", STOP, lang=FR),
    "stop-bm-te-fe-tugun": row("n tɛ baara fɛ tugun", STOP, lang=BM),
    "stop-non-arreter-when-asked": row("non je veux arreter", STOP, state=ASKED, lang=FR),
    # -- start ---------------------------------------------------------------------------------
    "start-caps": row("START", START),
    "start-lower": row("start", START),
    "start-reprendre": row("REPRENDRE", START),
    "start-reprise": row("reprise", START),
    "start-sentence": row("je veux reprendre", START, lang=FR),
    "start-bm-damine": row("daminɛ", START, lang=BM),
    "start-bm-damine-kokura": row("a daminɛ kokura", START, lang=BM),
    "start-recommencer": row("recommencer", START),
    "start-ci-is-bamanankan-send": row("START ci", START),
    "start-with-place-subscribes": row("start niono", SUB, "niono"),
    "start-reprendre-les-alertes": row("reprendre les alertes svp", START, lang=FR),
    "start-je-reviens": row("je reviens", START, lang=FR),
    # -- help ----------------------------------------------------------------------------------
    "help-aide": row("aide", HELP, lang=FR),
    "help-aide-caps": row("AIDE", HELP),
    "help-english": row("help", HELP),
    "help-question-mark": row("?", HELP),
    "help-question-marks": row("??", HELP),
    "help-bm-deme": row("dɛmɛ", HELP, lang=BM),
    "help-bm-deme-plain": row("deme", HELP, lang=BM),
    "help-bm-deme-gsm7": row("dèmè", HELP, lang=BM),
    "help-bm-n-deme": row("n dɛmɛ", HELP, lang=BM),
    "help-bm-i-ka-n-deme": row("i ka n dɛmɛ", HELP, lang=BM),
    "help-comment-ca-marche": row("comment ça marche ?", HELP, lang=FR),
    "help-comment-sinscrire": row("comment s'inscrire", HELP, lang=FR),
    "help-bonjour": row("bonjour", HELP, lang=FR),
    "help-bonsoir": row("Bonsoir", HELP, lang=FR),
    "thanks-bm-i-ni-ce": row("i ni ce", THANKS, lang=BM),
    "help-bm-i-ni-sogoma": row("i ni sɔgɔma", HELP, lang=BM),
    "help-allo": row("allo", HELP),
    "help-aide-svp": row("Aide svp", HELP, lang=FR),
    "help-menu": row("menu", HELP),
    "help-me": row("help me", HELP),
    "help-info-alone": row("info", HELP),
    "thanks-merci": row("merci", THANKS, lang=FR),
    "help-salam": row("Salam aleykoum", HELP),
    "help-bonjour-baara": row("bonjour baara", HELP),
    "help-bm-when-asked": row("dɛmɛ", HELP, state=ASKED, lang=BM),
    "help-pas-compris": row("j'ai pas compris", HELP, lang=FR),
    "help-bm-n-ma-a-faamu": row("n ma a faamu", HELP, lang=BM),
    "help-cest-quoi-baara": row("c'est quoi baara", HELP, lang=FR),
    "help-bm-aw-ni-sogoma": row("Aw ni sɔgɔma", HELP, lang=BM),
    "help-quest-ce-que-baara": row("Qu'est-ce que Baara ?", HELP, lang=FR),
    # -- list ----------------------------------------------------------------------------------
    "list-caps": row("LISTE", LIST, lang=FR),
    "list-lower": row("liste", LIST),
    "list-mes-alertes": row("mes alertes", LIST, lang=FR),
    "list-mes-abonnements": row("MES ABONNEMENTS", LIST),
    "list-english": row("list", LIST),
    "list-bm-cikanw": row("n ka cikanw", LIST, lang=BM),
    "list-bm-lisi": row("lisi", LIST),
    "list-question": row("quelles sont mes alertes ?", LIST, lang=FR),
    "list-svp": row("mes alertes svp", LIST, lang=FR),
    "list-suis-je-inscrit": row("je suis inscrit ou ?", LIST, lang=FR),
    "list-rien-recu": row("je n'ai rien reçu", LIST, lang=FR),
    "list-pourquoi-rien": row("pourquoi je ne reçois rien ?", LIST, lang=FR),
    "list-bm-cikan-jumen": row("cikan jumɛn bɛ n fɛ", LIST, lang=BM),
    # -- language ------------------------------------------------------------------------------
    "lang-langue-bm": row("LANGUE BM", LANG, target=BM),
    "lang-langue-fr": row("langue fr", LANG, target=FR),
    "lang-francais": row("FRANCAIS", LANG, target=FR),
    "lang-bamanankan": row("bamanankan", LANG, target=BM),
    "lang-langue-bambara": row("langue bambara", LANG, target=BM),
    "lang-en-francais-svp": row("en francais svp", LANG, target=FR),
    "lang-bamanankan-na": row("bamanankan na", LANG, target=BM),
    "lang-langue-francaise": row("langue française", LANG, target=FR),
    "lang-french": row("french", LANG, target=FR),
    "lang-bamanan-kan": row("bamanan kan", LANG, target=BM),
    "lang-bambara": row("Bambara", LANG, target=BM),
    "lang-parlez-bambara": row("parlez moi en bambara", LANG, target=BM),
    "lang-langue-alone-new": row("LANGUE", LANG, target=BM),
    "lang-mettez-en-bambara": row("Mettez en bambara svp", LANG, target=BM),
    "lang-changer-de-langue": row("Je veux changer de langue", LANG, target=BM),
    "lang-changer-from-bm": row("changer de langue", LANG, state=SPEAKS_BM, target=FR),
    "lang-bm-kan-is-not-a-switch": row("a ka kan ka na", UNKNOWN, lang=BM),
    "lang-bm-tubabukan": row("tubabukan na", LANG, target=FR),
    "lang-bm-sentence": row("N b'a fɛ bamanankan na", LANG, target=BM),
    "lang-langue-alone-from-bm": row("langue", LANG, state=SPEAKS_BM, target=FR),
    "lang-langue-alone-from-fr": row("langue", LANG, state=SPEAKS_FR, target=BM),
    # -- offers --------------------------------------------------------------------------------
    "offers-caps": row("OFFRES", OFFERS, lang=FR),
    "offers-singular": row("offre", OFFERS),
    "offers-baara-brand": row("BAARA", OFFERS, lang=None),
    "offers-bm-baara-kura": row("baara kura", OFFERS, lang=BM),
    "offers-bm-baara-kuraw": row("baara kuraw", OFFERS),
    "offers-question-mark": row("offres?", OFFERS),
    "offers-les-offres": row("les offres", OFFERS, lang=FR),
    "offers-quelles-sont": row("quelles sont les offres", OFFERS, lang=FR),
    "offers-nouvelles": row("nouvelles offres", OFFERS, lang=FR),
    "offers-jobs": row("jobs", OFFERS),
    "offers-emplois": row("emplois", OFFERS),
    "offers-y-a-t-il-du-travail": row("y a t il du travail ?", OFFERS, lang=FR),
    "offers-il-y-a-des-offres": row("il y a des offres ?", OFFERS, lang=FR),
    "offers-bm-baara-be-yen-wa": row("baara bɛ yen wa?", OFFERS, lang=BM),
    "offers-je-veux-voir": row("Je veux voir les offres", OFFERS, lang=FR),
    "offers-liste-des-offres": row("liste des offres", OFFERS, lang=FR),
    "offers-du-nouveau": row("Il y a du nouveau ?", OFFERS, lang=FR),
    "offers-voir-offres-emploi": row("je veux voir les offres d'emploi", OFFERS, lang=FR),
    "offers-bm-baara-si": row("Baara si bɛ yen wa", OFFERS, lang=BM),
    "offers-bm-min": row("I ni ce, aw ka baara kura bɛ min?", OFFERS, lang=BM),
    "offers-envoie-annonces": row("envoie moi les annonces svp", OFFERS, lang=FR),
    "offers-aucune-offre": row("Aucune offre pour moi ?", OFFERS, lang=FR),
    "offers-quand": row("Quand est ce que vous allez m'envoyer les offres ?", OFFERS, lang=FR),
    # -- info ----------------------------------------------------------------------------------
    "info-code": row("INFO J482", INFO, code="J482"),
    "info-bare-code": row("j482", INFO, code="J482"),
    "info-spaced": row("info j 482", INFO, code="J482"),
    "info-bare-spaced": row("J 482", INFO, code="J482"),
    "info-dash": row("J-482", INFO, code="J482"),
    "info-svp": row("info J482 svp", INFO, code="J482"),
    "info-details": row("details j482", INFO, code="J482"),
    "info-question-mark": row("J482?", INFO, code="J482"),
    "info-letters": row("INFO J7KM", INFO, code="J7KM"),
    "info-bm-sentence": row("J482 kunnafoni", INFO, code="J482", lang=BM),
    "info-one-key-at-a-time": row("j 4 8 2", INFO, code="J482"),
    "info-in-a-question": row("Comment postuler pour J482 ?", INFO, code="J482"),
    "info-in-a-sentence": row("Je veux plus d'infos sur J482", INFO, code="J482"),
    "info-word-jeune-is-not-a-code": row("jeune", UNKNOWN),
    "info-jenne-is-djenne": row("Jenne", SUB, "djenne"),
    "info-jema-is-diema": row("Jɛma", SUB, "diema"),
    # -- answers to "Vous voulez dire SIKASSO ?" ----------------------------------------------
    "asked-oui": row("OUI", YES, state=ASKED),
    "asked-oui-lower": row("oui", YES, state=ASKED),
    "asked-oui-bang": row("Oui!", YES, state=ASKED),
    "asked-bm-awo": row("awɔ", YES, state=ASKED, lang=BM),
    "asked-bm-owo": row("ɔwɔ", YES, state=ASKED, lang=BM),
    "asked-bm-owo-plain": row("owo", YES, state=ASKED),
    "asked-bm-awo-plain": row("awo", YES, state=ASKED),
    "asked-ok": row("ok", YES, state=ASKED),
    "asked-oui-svp": row("OUI SVP", YES, state=ASKED),
    "asked-oui-cest-ca": row("oui c'est ça", YES, state=ASKED),
    "asked-oui-cest-bien-ca-merci": row("oui c'est bien ca merci", YES, state=ASKED),
    "asked-oui-merci": row("oui merci", YES, state=ASKED),
    "asked-one": row("1", YES, state=ASKED),
    "asked-yes": row("yes", YES, state=ASKED),
    "asked-daccord": row("d'accord", YES, state=ASKED),
    "asked-bm-n-b-a-fe": row("n b'a fɛ", YES, state=ASKED_BM),
    "asked-non": row("non", NO, state=ASKED),
    "asked-non-caps": row("NON", NO, state=ASKED),
    "asked-bm-ayi": row("ayi", NO, state=ASKED, lang=BM),
    "asked-non-merci": row("non merci", NO, state=ASKED),
    "asked-two": row("2", NO, state=ASKED),
    "asked-non-pas-sikasso": row("non pas sikasso", NO, state=ASKED),
    "asked-non-cest-kati": row("non c'est kati", SUB, "kati", state=ASKED),
    "asked-new-place": row("Kati", SUB, "kati", state=ASKED),
    "asked-oui-sikasso": row("oui sikasso", YES, state=ASKED),
    "asked-oui-and-kati": row("oui et kati aussi", SUB, ("sikasso", "kati"), state=ASKED),
    "asked-something-else": row("combien ca coute", UNKNOWN, state=ASKED),
    "asked-thumbs-up": row("👍🏾", YES, state=ASKED),
    "asked-je-confirme": row("je confirme", YES, state=ASKED),
    "asked-oui-with-job": row("Oui Sikasso infirmier", SUB, "sikasso", c="nurse", state=ASKED),
    "asked-bm-ayi-n-te-sikaso": row("ayi, n tɛ Sikaso", NO, state=ASKED_BM),
    "asked-bm-ayi-kita": row("ayi Kita", SUB, "kita", state=ASKED_BM),
    "asked-non-je-ne-veux-pas": row("non je ne veux pas", NO, state=ASKED),
    "unasked-thumbs-up": row("👍", THANKS),
    "asked-place-oui-is-not-yes": row("oui", THANKS, state=ASKED_PLACE),
    "asked-place-kati": row("Kati", SUB, "kati", state=ASKED_PLACE),
    # -- yes/no with nothing asked -------------------------------------------------------------
    "unasked-oui": row("OUI", THANKS),
    "unasked-non": row("non", UNKNOWN),
    "unasked-bm-awo": row("awɔ", THANKS, lang=BM),
    "unasked-bm-ayi": row("ayi", UNKNOWN, lang=BM),
    "unasked-ok": row("ok", THANKS),
    "unasked-one": row("1", UNKNOWN),
    # -- everything else -----------------------------------------------------------------------
    "empty": row("", UNKNOWN),
    "spaces": row("   ", UNKNOWN),
    "newlines-tabs": row("\n\t\r\n", UNKNOWN),
    "emoji-only": row("😀😀", UNKNOWN),
    "emoji-pray": row("🙏🏾", THANKS),
    "ok-merci": row("ok merci", THANKS),
    "qui-est-la": row("qui est la", WHO, lang=FR),
    "combien-ca-coute": row("combien ca coute", UNKNOWN, lang=FR),
    "only-digits-phone": row("76123456", UNKNOWN),
    "phone-international": row("+223 76 12 34 56", UNKNOWN),
    "only-digits-short": row("12345", UNKNOWN),
    "zero": row("0", UNKNOWN),
    "ussd-code": row("*123#", UNKNOWN),
    "thousand-chars-junk": row(LONG_JUNK, UNKNOWN),
    "thousand-same-letter": row(LONG_REPEAT, UNKNOWN),
    "test": row("test", UNKNOWN),
    "lol": row("lol", UNKNOWN),
    "je-t-aime": row("je t'aime", UNKNOWN, lang=FR),
    "appelle-moi": row("appelle moi", UNKNOWN, lang=FR),
    "vous-etes-qui": row("vous etes qui ?", WHO, lang=FR),
    "url": row("www.google.com", UNKNOWN),
    "bla-bla-bla": row("bla bla bla", UNKNOWN),
    "bm-ne-fana": row("ne fana b'a fɛ", UNKNOWN, lang=BM),
    "bm-a-koro-ye-mun-ye": row("a kɔrɔ ye mun ye", UNKNOWN, lang=BM),
    "bm-san-duuru": row("n ye baara kɛ san duuru", UNKNOWN, lang=BM),
    "bm-other-were": row("yɔrɔ wɛrɛ", UNKNOWN),
    "fr-cest-a-dire": row("c'est a dire ?", UNKNOWN, lang=FR),
    "punctuation-only": row("...!!!", UNKNOWN),
    "en-they-were": row("they were here", UNKNOWN),
}


@pytest.fixture(scope="module")
def places() -> Places:
    return Places.default()


def doubtful(cmd: Command) -> tuple[str, ...]:
    return cmd.doubtful_districts + cmd.doubtful_regions


@pytest.mark.parametrize("case", list(ROWS.values()), ids=list(ROWS))
def test_parse(places: Places, case: Row) -> None:
    cmd = parse(case.text, case.state, places)
    got = (cmd.intent, cmd.districts, cmd.regions, cmd.categories, doubtful(cmd))
    want = (case.intent, case.districts, case.regions, case.categories, case.doubtful)
    assert got == want
    if case.language is not ANY:
        assert cmd.language == case.language
    if case.intent is Intent.INFO:
        assert cmd.code == case.code
    if case.intent is Intent.LANGUAGE:
        assert cmd.target == case.target


def test_enough_rows() -> None:
    assert len(ROWS) >= 170


def test_every_intent_is_covered() -> None:
    assert {r.intent for r in ROWS.values()} == set(Intent)


# -- properties ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02",
        "\ufeff",
        "\u200b\u200d",
        "\udcff",
        "🇲🇱" * 300,
        "ɛ" * 2000,
        "'" * 50,
        "-" * 50,
        "j",
        "j-",
        "info",
        "info j",
        "stop " * 200,
        "oui " * 200,
        "\u0301\u0301",
        "ＮＩＯＮＯ",
        "niono\u00a0kati",
        "Ñɔnɔ",
    ],
)
@pytest.mark.parametrize("state", [NEW, ASKED, ASKED_PLACE, SPEAKS_BM], ids=str)
def test_never_raises(places: Places, text: str, state: State) -> None:
    assert isinstance(parse(text, state, places), Command)


def test_pure_same_input_same_output(places: Places) -> None:
    text = "n b'a fɛ ka n tɔgɔ sɛbɛn Sikaso baara la"
    assert parse(text, NEW, places) == parse(text, NEW, places)


def test_cut_at_max_parsed(places: Places) -> None:
    # A place named after the first 480 characters is not read.
    cmd = parse("x " * 300 + "niono", NEW, places)
    assert cmd.intent is Intent.UNKNOWN


_COMMON = """
bonjour bonsoir merci oui non travail emploi cherche veux suis infirmier offres poste je tu il
nous vous les des une dans pour avec sans mais plus moins jeune jeunes juste autre autres femme
homme enfant famille maison ville village quartier marche argent salaire contrat stage diplome
experience dossier candidature postuler appeler numero telephone message alerte aussi encore
toujours jamais demain hier aujourd semaine mois annee lundi mardi jeudi samedi dimanche mai juin
moussa sekou seydou awa fanta mariam aminata traore coulibaly diarra keita kone sissoko fofana
baara kura tugun sisan yoro mogo muso cikan sogoma barika ayiwa sabu kosɔn hali nka walima ani
dugu jamana sugu wari kalan kalanden keneya furaki dɔkɔtɔrɔso were ban ton dire fana san koro
"""
COMMON_WORDS = _COMMON.split()


@pytest.mark.parametrize("word", COMMON_WORDS)
def test_common_words_in_a_sentence_are_never_places(places: Places, word: str) -> None:
    # In a sentence the everyday meaning wins: "je veux dire", "ne fana", "san duuru".
    sentences = {
        "dire": "je veux dire merci",
        "fana": "ne fana b'a fɛ",
        "san": "n ye baara kɛ san duuru",
        "koro": "a kɔrɔ ye mun ye",
    }
    cmd = parse(sentences.get(word, f"je dis {word} merci"), NEW, places)
    assert not cmd.has_place, (word, cmd)


def test_detect_language_examples() -> None:
    assert detect_language(["n", "be", "baara", "nyini"]) is Language.BM
    assert detect_language(["je", "cherche", "du", "travail"]) is Language.FR
    assert detect_language(["niono"]) is None
    assert detect_language(["baara"]) is None  # the brand name says nothing
    assert detect_language([]) is None


def test_parse_is_fast(places: Places) -> None:
    texts = [r.text for r in ROWS.values()]
    start = time.perf_counter()
    for text in texts:
        parse(text, NEW, places)
    per_text = (time.perf_counter() - start) / len(texts)
    assert per_text < 0.005, f"{per_text * 1000:.2f} ms per text"
