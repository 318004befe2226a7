"""How each refused value is worded: in English for the JSON API and the CLI, in French (gettext
msgids, `%(name)s` placeholders) for the admin web. Every `ErrorCode` has both (a test checks).
"""

from __future__ import annotations

from alerts.domain.errors import ErrorCode, FieldError
from messages.catalog import N_, gettext

C = ErrorCode

#: English templates (str.format over the error's params), for machines' readers.
ENGLISH: dict[ErrorCode, str] = {
    C.REQUIRED: "required, a text",
    C.NOT_TEXT: "must be a text",
    C.INVALID_TEXT: "contains characters that are not valid text",
    C.EMPTY: "must not be empty",
    C.TOO_LONG: "at most {max} characters",
    C.NO_LETTER_OR_DIGIT: "must contain a letter or a digit",
    C.NOT_JSON_OBJECT: "must be a JSON object",
    C.NOT_BOOLEAN: "must be true or false",
    C.PAGING_NOT_NUMBERS: "offset and limit must be whole numbers",
    C.CATEGORY_REQUIRED: 'required: a category slug or name, e.g. "nurse" or "Infirmier"',
    C.UNKNOWN_CATEGORY: "unknown category: {name}",
    C.PLACES_REQUIRED: 'required: a list of district or region names, e.g. ["Niono"]',
    C.TOO_MANY_PLACES: "at most {max} places",
    C.UNKNOWN_PLACE: "unknown district or region: {names}",
    C.NOT_WHOLE_NUMBER: "must be a whole number",
    C.OUT_OF_RANGE: "must be between {min} and {max}",
    C.DEADLINE_REQUIRED: "required, an ISO 8601 date or date and time, e.g. 2025-06-16T17:00",
    C.NOT_A_DATE: "not an ISO 8601 date or date and time: {value!r} (e.g. 2025-06-16T17:00)",
    C.DEADLINE_PASSED: "the deadline has passed: a job is never alerted after it",
    C.DEADLINE_TOO_FAR: "more than a year away",
    C.DEADLINE_IN_QUIET_HOURS: "passes before quiet hours end at {end}: nobody could be alerted",
    C.APPLY_REQUIRED: "required: how to apply, a text or an object with email, phone, office, "
    "subject, text",
    C.UNKNOWN_FIELDS: "unknown field(s): {names}",
    C.NOT_AN_EMAIL: "not an email address: {value!r}",
    C.NO_WAY_TO_APPLY: "give at least one of email, phone, office or text",
    C.NOT_HTTP_URL: "must be an http:// or https:// address",
    C.TOO_LONG_FOR_SMS: "too long to fit an SMS with the organization, places and deadline: "
    "shorten the title (the SMS shows at most {chars} characters of it) or give a shorter "
    "organization_short",
    C.CANNOT_PUBLISH: "a {status} job cannot be published",
    C.ALREADY_FINAL: "the job is already {status}",
    C.CHANGED_MEANWHILE: "changed meanwhile, try again",
    C.NO_SUCH_JOB: "no such job",
    C.SCHEDULE_MISSING: "required: when to publish",
    C.SCHEDULE_NOT_DRAFT: "only a draft can be scheduled",
    C.SCHEDULE_PAST: "that moment has passed",
    C.SCHEDULE_AFTER_DEADLINE: "must come before the deadline",
    C.NO_PLACES: "must be a non-empty list of districts or regions",
    C.NOTICE_REQUIRED: "required: the notice's text, a string",
    C.NOTICE_EMPTY: "must not be empty",
    C.NOTICE_TOO_LONG: "at most {max} characters",
    C.FILE_TYPE: "only .txt, .docx and .pdf files can be read",
    C.FILE_TOO_LARGE: "the file is over 5 MB",
    C.FILE_UNREADABLE: "the file is damaged, encrypted or not what its name says",
    C.FILE_EMPTY: "the file holds no text (a scanned PDF needs OCR first)",
    C.PHONE_EMPTY: "empty phone number",
    C.NOT_A_PHONE: "not a phone number: {value!r}",
    C.INVALID_PHONE: "not a valid phone number: {value!r}",
    C.BAD_EMAIL: "not an email address",
    C.SHORT_PASSWORD: "at least {min} characters",
    C.PASSWORD_SPACES: "must not start or end with a space",
    C.ACCOUNT_EXISTS: "an account already exists for this address",
    C.UNKNOWN_ACCOUNT: "no such account",
}

#: French gettext msgids (`%(name)s` over the error's params), for the admin web and its shell.
FRENCH: dict[ErrorCode, str] = {
    C.REQUIRED: N_("Champ obligatoire."),
    C.NOT_TEXT: N_("Champ obligatoire."),
    C.INVALID_TEXT: N_("Contient des caractères qui ne sont pas du texte."),
    C.EMPTY: N_("Champ obligatoire."),
    C.TOO_LONG: N_("%(max)s caractères au plus."),
    C.NO_LETTER_OR_DIGIT: N_("Au moins une lettre ou un chiffre."),
    C.NOT_JSON_OBJECT: N_("Valeur refusée."),
    C.NOT_BOOLEAN: N_("Valeur refusée."),
    C.PAGING_NOT_NUMBERS: N_("Nombre entier attendu."),
    C.CATEGORY_REQUIRED: N_("Choisissez une catégorie."),
    C.UNKNOWN_CATEGORY: N_("Catégorie inconnue : %(name)s"),
    C.PLACES_REQUIRED: N_("Choisissez au moins un district ou une région."),
    C.TOO_MANY_PLACES: N_("%(max)s lieux au plus."),
    C.UNKNOWN_PLACE: N_("District ou région inconnu : %(names)s"),
    C.NOT_WHOLE_NUMBER: N_("Nombre entier attendu."),
    C.OUT_OF_RANGE: N_("Entre %(min)s et %(max)s."),
    C.DEADLINE_REQUIRED: N_("Indiquez la date limite."),
    C.NOT_A_DATE: N_("Date ou heure invalide."),
    C.DEADLINE_PASSED: N_("La date limite est déjà passée."),
    C.DEADLINE_TOO_FAR: N_("La date limite est à plus d'un an."),
    C.DEADLINE_IN_QUIET_HOURS: N_(
        "La date limite tombe avant la fin des heures de silence (%(end)s) : personne ne "
        "serait alerté."
    ),
    C.APPLY_REQUIRED: N_(
        "Indiquez au moins un moyen de postuler : e-mail, téléphone, bureau ou texte."
    ),
    C.UNKNOWN_FIELDS: N_("Champs inconnus : %(names)s"),
    C.NOT_AN_EMAIL: N_("Adresse e-mail invalide."),
    C.NO_WAY_TO_APPLY: N_(
        "Indiquez au moins un moyen de postuler : e-mail, téléphone, bureau ou texte."
    ),
    C.NOT_HTTP_URL: N_("Adresse web invalide (http:// ou https://)."),
    C.TOO_LONG_FOR_SMS: N_(
        "Trop long pour tenir dans un SMS avec les autres champs : raccourcissez l'intitulé "
        "ou l'organisation."
    ),
    C.CANNOT_PUBLISH: N_("Cette offre est fermée ou annulée : elle ne peut plus être publiée."),
    C.ALREADY_FINAL: N_("Cette offre est déjà fermée ou annulée."),
    C.CHANGED_MEANWHILE: N_("L'offre a changé entre-temps : réessayez."),
    C.NO_SUCH_JOB: N_("Offre introuvable."),
    C.SCHEDULE_MISSING: N_("Indiquez la date et l'heure d'envoi."),
    C.SCHEDULE_NOT_DRAFT: N_("Seule une offre en brouillon peut être programmée."),
    C.SCHEDULE_PAST: N_("Ce moment est déjà passé : choisissez une heure à venir."),
    C.SCHEDULE_AFTER_DEADLINE: N_("L'envoi doit précéder la date limite."),
    C.NO_PLACES: N_("Indiquez au moins un district ou une région."),
    C.NOTICE_REQUIRED: N_("Collez le texte de l'annonce ou choisissez un fichier."),
    C.NOTICE_EMPTY: N_("Collez le texte de l'annonce ou choisissez un fichier."),
    C.NOTICE_TOO_LONG: N_("Annonce trop longue (%(max)s caractères au plus)."),
    C.FILE_TYPE: N_("Seuls les fichiers .txt, .docx et .pdf peuvent être lus."),
    C.FILE_TOO_LARGE: N_("Fichier trop lourd (5 Mo au plus)."),
    C.FILE_UNREADABLE: N_("Fichier illisible : abîmé, protégé ou d'un autre type que son nom."),
    C.FILE_EMPTY: N_("Aucun texte dans ce fichier (un PDF scanné ?) : copiez-collez le texte."),
    C.PHONE_EMPTY: N_("Numéro invalide."),
    C.NOT_A_PHONE: N_("Numéro invalide."),
    C.INVALID_PHONE: N_("Numéro invalide."),
    C.BAD_EMAIL: N_("Adresse e-mail invalide."),
    C.SHORT_PASSWORD: N_("Le mot de passe doit compter au moins %(min)s caractères."),
    C.PASSWORD_SPACES: N_("Le mot de passe ne doit pas commencer ni finir par un espace."),
    C.ACCOUNT_EXISTS: N_("Un compte existe déjà pour cette adresse."),
    C.UNKNOWN_ACCOUNT: N_("Compte inconnu."),
}


def english(error: FieldError) -> str:
    """The error in English, as the API and the CLI say it ('at most 120 characters')."""
    text = ENGLISH[error.code].format(**error.params)
    return f"{error.part}: {text}" if error.part else text


def english_all(errors: dict[str, FieldError]) -> dict[str, str]:
    """Field -> English wording, the API's `fields` object."""
    return {name: english(error) for name, error in errors.items()}


def french(error: FieldError) -> str:
    """The error in French through the catalog, as the admin web and its shell say it."""
    return gettext("fr", FRENCH[error.code]) % dict(error.params)
