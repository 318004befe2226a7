"""Every SMS of the community-relay flow: consent requests, outcomes, the weekly digest."""

from __future__ import annotations

from collections.abc import Sequence

from messages.catalog import N_, render
from messages.compose import Part, compose

CONSENT_REQUEST = N_(
    "Baara : le relais {relay} veut vous inscrire aux offres d'emploi santé pour {what}. "
    "Gratuit. Répondez OUI pour accepter ou NON."
)
CONSENT_LATE = N_(
    "Baara : cette demande d'inscription a expiré. Pour vous inscrire, envoyez le nom de "
    "votre district, par exemple NIONO."
)
#: "c'est qui ?" from a person a relay wants to sign up: who it is, and the question again.
CONSENT_WHO = N_(
    "Baara : c'est le relais {relay} qui veut vous inscrire aux offres d'emploi santé. "
    "Gratuit. Répondez OUI ou NON."
)
#: The one short acknowledgement of a NON.
CONSENT_DECLINED = N_("Baara : c'est noté, vous ne serez pas inscrit(e).")
RELAY_ASKED = N_("Baara : demande envoyée au {phone}. Nous vous dirons sa réponse.")
RELAY_ACCEPTED = N_("Baara : le {phone} a accepté. Inscrit pour {what}.")
RELAY_REFUSED = N_("Baara : le {phone} a refusé. Nous ne lui écrirons plus de votre part.")
RELAY_EXPIRED = N_("Baara : le {phone} n'a pas répondu en 72 heures. Demande annulée.")
RELAY_QUOTA = N_("Baara : limite de {limit} demandes par jour atteinte. Réessayez demain.")
RELAY_CANNOT = N_("Baara : nous ne pouvons pas écrire au {phone}.")
RELAY_PENDING = N_("Baara : le {phone} a déjà une demande en attente.")
RELAY_ALREADY = N_("Baara : le {phone} est déjà inscrit à ces offres.")
RELAY_BAD_PHONE = N_("Baara : numéro invalide. Exemple : INSCRIRE 76 12 34 56 NIONO.")
RELAY_NOT_RELAY = N_(
    "Baara : seuls les relais peuvent inscrire quelqu'un d'autre. Envoyez RELAIS + votre "
    "district pour le devenir."
)
RELAY_REQUESTED = N_(
    "Baara : demande de relais pour {what} enregistrée. Un administrateur va la valider."
)
RELAY_APPROVED = N_(
    "Baara : relais validé pour {what}. Pour inscrire quelqu'un : INSCRIRE 76123456 NIONO."
)
DIGEST = N_("Baara, offres ouvertes ({what}) : {items}.")
DIGEST_HINT = N_("INFO + code pour les détails.")


def consent_request(
    relay: str | Sequence[str], what_fr: Sequence[str], what_bm: Sequence[str]
) -> str:
    """The consent question, in French then Bamanankan, within two segments.

    `relay` may be several ways to name the relay, longest first ('Awa Traoré (76 00 00 01)',
    then '76 00 00 01'): a long name gives way before the places do.
    """
    labels = [relay] if isinstance(relay, str) else list(relay)
    fr = [render(CONSENT_REQUEST, "fr", relay=r, what=w) for w in what_fr[:1] for r in labels]
    fr += [render(CONSENT_REQUEST, "fr", relay=labels[-1], what=w) for w in what_fr[1:]]
    bm = [render(CONSENT_REQUEST, "bm", relay=r, what=w) for w in what_bm[:1] for r in labels]
    bm += [render(CONSENT_REQUEST, "bm", relay=labels[-1], what=w) for w in what_bm[1:]]
    return compose(
        [
            Part(fr[0], shorter=tuple(fr[1:]), priority=5),
            Part(bm[0], shorter=tuple(bm[1:]), priority=5),
        ],
        max_segments=2,
        sep="\n",
    )


def consent_who(relay: Sequence[str], lang: str) -> str:
    """Who is asking, and the question again, in one segment: a long name gives way to the
    number."""
    texts = [render(CONSENT_WHO, lang, relay=r) for r in relay]
    return compose([Part(texts[0], shorter=tuple(texts[1:]))])


def simple(msgid: str, lang: str, **values: object) -> str:
    """A one-part relay message in one segment."""
    return compose([render(msgid, lang, **values)])


def with_what(msgid: str, lang: str, whats: Sequence[str], **values: object) -> str:
    """A relay message naming subscriptions, shortened to one segment."""
    texts = [render(msgid, lang, what=w, **values) for w in whats] or [
        render(msgid, lang, what="", **values)
    ]
    return compose([Part(texts[0], shorter=tuple(texts[1:]))])


def digest(lang: str, whats: Sequence[str], items: Sequence[str]) -> str:
    """The weekly digest: open jobs in the relay's districts, by code and title, two segments."""
    heads = []
    for count in range(len(items), 0, -1):
        for what in whats[-1:] if count < len(items) else whats:
            heads.append(render(DIGEST, lang, what=what, items="; ".join(items[:count])))
    return compose(
        [
            Part(heads[0], shorter=tuple(dict.fromkeys(heads[1:])), priority=5),
            Part(render(DIGEST_HINT, lang), optional=True, priority=6),
        ],
        max_segments=2,
    )
