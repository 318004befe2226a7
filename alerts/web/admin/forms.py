"""Flask-WTF forms of the admin web (each carries its CSRF token)."""

from __future__ import annotations

# Lazy, since labels are built at import; named _ so `make catalogs-extract` finds them.
from flask_babel import lazy_gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length
from wtforms.widgets import DateInput, DateTimeLocalInput, NumberInput, TimeInput, URLInput

from alerts.web.accounts import MIN_PASSWORD, Role

try:  # WTForms 3.3 deprecates (value, label) tuples for choices
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None


def choice(value: str, label: object) -> object:
    """One option of a select, in the form this WTForms version wants."""
    return SelectChoice(value, label) if SelectChoice else (value, label)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_("Adresse e-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_("Mot de passe"), validators=[DataRequired(), Length(max=200)])


class AccountForm(FlaskForm):
    """A new account, made by an admin."""

    email = EmailField(_("Adresse e-mail"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _("Rôle"),
        choices=[
            choice(Role.POSTER.value, _("Recruteur (publie ses offres)")),
            choice(Role.ADMIN.value, _("Administrateur (tout gérer)")),
        ],
        default=Role.POSTER.value,
    )
    password = PasswordField(
        _("Mot de passe provisoire"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)],
    )
    confirm = PasswordField(
        _("Répéter le mot de passe"),
        validators=[DataRequired(), EqualTo("password", message=_("Les deux saisies diffèrent."))],
    )


class PasswordForm(FlaskForm):
    """A new password for one's own account."""

    current = PasswordField(_("Mot de passe actuel"), validators=[DataRequired()])
    password = PasswordField(
        _("Nouveau mot de passe"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)]
    )
    confirm = PasswordField(
        _("Répéter le nouveau mot de passe"),
        validators=[DataRequired(), EqualTo("password", message=_("Les deux saisies diffèrent."))],
    )


class SearchForm(FlaskForm):
    """Find subscribers by phone number (GET, so no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_("Numéro de téléphone"), validators=[InputRequired(), Length(max=40)])


class ConfirmForm(FlaskForm):
    """A bare CSRF-protected button: stop, cancel, close, export, sign out."""


class EraseForm(FlaskForm):
    """Erasing a subscriber cannot be undone: ask for an explicit tick."""

    confirm = BooleanField(
        _("Je confirme : effacer définitivement ce numéro et son historique"),
        validators=[DataRequired(message=_("Cochez la case pour confirmer."))],
    )


class JobForm(FlaskForm):
    """Every field of a job posting; the rules themselves are jobs.validate()'s."""

    title = StringField(_("Intitulé du poste"), render_kw={"maxlength": 160})
    organization = StringField(_("Organisation qui recrute"), render_kw={"maxlength": 120})
    organization_short = StringField(
        _("Nom court de l'organisation (facultatif)"), render_kw={"maxlength": 24}
    )
    category = SelectField(_("Catégorie"), choices=[], validate_choice=False)
    districts = SelectMultipleField(_("Districts"), choices=[], validate_choice=False)
    regions = SelectMultipleField(_("Régions entières"), choices=[], validate_choice=False)
    positions = StringField(
        _("Nombre de postes"),
        default="1",
        widget=NumberInput(min=1, max=10000),
        render_kw={"inputmode": "numeric"},
    )
    deadline_date = StringField(_("Date limite"), widget=DateInput())
    deadline_time = StringField(_("Heure limite (facultatif)"), widget=TimeInput())
    apply_email = EmailField(_("E-mail de candidature"), render_kw={"maxlength": 300})
    apply_phone = StringField(
        _("Téléphone"), render_kw={"maxlength": 300, "inputmode": "tel", "type": "tel"}
    )
    apply_office = StringField(_("Bureau où déposer le dossier"), render_kw={"maxlength": 300})
    apply_subject = StringField(_("Objet du message ou du dossier"), render_kw={"maxlength": 300})
    apply_text = TextAreaField(
        _("Autres consignes (facultatif)"), render_kw={"maxlength": 300, "rows": 2}
    )
    source_url = StringField(
        _("Lien vers l'annonce complète (facultatif)"),
        widget=URLInput(),
        render_kw={"maxlength": 500},
    )
    schedule_at = StringField(_("Date et heure d'envoi"), widget=DateTimeLocalInput())


class ScheduleForm(FlaskForm):
    """When to publish a draft."""

    schedule_at = StringField(_("Date et heure d'envoi"), widget=DateTimeLocalInput())


class RelayForm(FlaskForm):
    """Make a number a relay (or approve a pending one) for some districts."""

    phone = StringField(
        _("Numéro du relais"),
        validators=[InputRequired(), Length(max=40)],
    )
    name = StringField(
        _("Nom du relais (facultatif, cité dans le SMS de demande)"),
        validators=[Length(max=40)],
    )
    districts = StringField(
        _("Districts (séparés par des virgules ; une région = tous ses districts)"),
        validators=[InputRequired(), Length(max=1000)],
    )
