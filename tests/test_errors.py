"""Errors as data: every code has an English and a French wording, every validator returns codes
(never prose), the API words them in English and the admin web in French, whatever the input.
"""

from __future__ import annotations

import re
import string
from datetime import date, timedelta

import pytest

from alerts.domain.errors import ErrorCode, FieldError
from alerts.domain.phones import InvalidPhone, normalize
from alerts.extract import MAX_TEXT
from alerts.extract.files import UnreadableFile, notice_text, text_from_file
from alerts.jobs import lifecycle as jobs
from alerts.services import current_services
from alerts.sms.relays import MAX_RELAY_PLACES, resolve_places
from alerts.web import accounts
from alerts.web.accounts import AccountError
from alerts.web.admin.job_status import schedule, schedule_problem
from config.settings import Settings
from messages.catalog import gettext
from messages.errors import ENGLISH, FRENCH, english, french
from tests.test_admin import job_form, token
from tests.test_admin_web import ENGLISH as ENGLISH_WORDS
from tests.test_admin_web import admin_client, visible_text  # noqa: F401  (a fixture)
from tests.test_jobs import BAMAKO, PLACES, REF, body

C = ErrorCode
NOW = 1_800_000_000.0
SOON = (date.today() + timedelta(days=20)).isoformat()


def _english_names(template: str) -> set[str]:
    return {name for _t, name, _s, _c in string.Formatter().parse(template) if name}


def _french_names(template: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", template))


def _sample(code: ErrorCode) -> FieldError:
    names = _english_names(ENGLISH[code]) | _french_names(FRENCH[code])
    return FieldError("field", code, {name: f"<{name}>" for name in names})


# -- every code has both wordings ---------------------------------------------------------------


@pytest.mark.parametrize("code", list(ErrorCode), ids=[c.value for c in ErrorCode])
def test_every_code_is_worded_in_english_and_french(code: ErrorCode) -> None:
    assert code in ENGLISH and code in FRENCH
    # French says no more than the English knows: its placeholders are the error's params.
    assert _french_names(FRENCH[code]) <= _english_names(ENGLISH[code])
    error = _sample(code)
    assert english(error) and "{" not in english(error)
    said = french(error)
    assert said and "%(" not in said
    assert not ENGLISH_WORDS.search(said), said
    assert gettext("fr", FRENCH[code]) == FRENCH[code]  # in the catalog, untouched


def test_a_part_is_named_in_english_only() -> None:
    error = FieldError("apply", C.TOO_LONG, {"max": 500}, part="phone")
    assert english(error) == "phone: at most 500 characters"
    assert french(error) == "500 caractères au plus."


# -- every validator answers with codes -----------------------------------------------------------

LONG = "x" * 600
#: (input to jobs.validate, the field, the code), French and Bamanankan inputs alike.
JOB_ROWS = {
    "no-title": (body(title=None), "title", C.REQUIRED),
    "title-list": (body(title=["Infirmier"]), "title", C.NOT_TEXT),
    "title-blank": (body(title="   "), "title", C.EMPTY),
    "title-surrogate": (body(title="Infirmier \ud800"), "title", C.INVALID_TEXT),
    "title-long": (body(title=LONG), "title", C.TOO_LONG),
    "org-number": (body(organization=42), "organization", C.NOT_TEXT),
    "short-punctuation": (
        body(organization_short="--"),
        "organization_short",
        C.NO_LETTER_OR_DIGIT,
    ),
    "no-category": (body(category=None), "category", C.CATEGORY_REQUIRED),
    "category-fr": (body(category="plombier"), "category", C.UNKNOWN_CATEGORY),
    "category-bm": (body(category="sɛnɛkɛla"), "category", C.UNKNOWN_CATEGORY),
    "no-places": (body(districts=[]), "districts", C.PLACES_REQUIRED),
    "places-text": (body(districts="Niono"), "districts", C.PLACES_REQUIRED),
    "places-many": (body(districts=["Niono"] * 101), "districts", C.TOO_MANY_PLACES),
    "place-fr": (body(districts=["Nionoo"]), "districts", C.UNKNOWN_PLACE),
    "place-bm": (body(districts=["Segu mara kɔnɔ"]), "districts", C.UNKNOWN_PLACE),
    "positions-float": (body(positions=1.5), "positions", C.NOT_WHOLE_NUMBER),
    "positions-zero": (body(positions=0), "positions", C.OUT_OF_RANGE),
    "no-deadline": (body(deadline=None), "deadline", C.DEADLINE_REQUIRED),
    "deadline-fr": (body(deadline="demain"), "deadline", C.NOT_A_DATE),
    "deadline-bm": (body(deadline="sini"), "deadline", C.NOT_A_DATE),
    "deadline-past": (body(deadline="2001-01-01"), "deadline", C.DEADLINE_PASSED),
    "deadline-far": (body(deadline="2999-01-01"), "deadline", C.DEADLINE_TOO_FAR),
    "no-apply": (body(apply=None), "apply", C.APPLY_REQUIRED),
    "apply-fax": (body(apply={"fax": "1"}), "apply", C.UNKNOWN_FIELDS),
    "apply-email": (body(apply={"email": "a@"}), "apply", C.NOT_AN_EMAIL),
    "apply-phone-long": (body(apply={"phone": LONG * 5}), "apply", C.TOO_LONG),
    "apply-empty": (body(apply={}), "apply", C.NO_WAY_TO_APPLY),
    "ftp": (body(source_url="ftp://x"), "source_url", C.NOT_HTTP_URL),
    "publish-yes": (body(publish="yes"), "publish", C.NOT_BOOLEAN),
    "not-an-object": (["Infirmier"], "body", C.NOT_JSON_OBJECT),
}


@pytest.mark.parametrize(("payload", "field", "code"), JOB_ROWS.values(), ids=JOB_ROWS.keys())
def test_job_validation_returns_codes(payload, field, code) -> None:
    draft, errors = jobs.validate(payload, REF, PLACES, BAMAKO)
    assert draft is None
    assert errors[field].code is code and errors[field].field == field
    assert not ENGLISH_WORDS.search(
        re.sub(r"<[^>]*>|Nionoo|Segu mara kɔnɔ|plombier|sɛnɛkɛla", "", french(errors[field]))
    ), french(errors[field])


RELAY_ROWS = {
    "none": (None, C.NO_PLACES),
    "empty": ([], C.NO_PLACES),
    "too-many": (["Niono"] * (MAX_RELAY_PLACES + 1), C.TOO_MANY_PLACES),
    "unknown-fr": (["Niono", "Atlantis"], C.UNKNOWN_PLACE),
    "unknown-bm": (["Bamakɔ kɔnɔ"], C.UNKNOWN_PLACE),
}


@pytest.mark.parametrize(("names", "code"), RELAY_ROWS.values(), ids=RELAY_ROWS.keys())
def test_relay_places_return_codes(names, code) -> None:
    slugs, error = resolve_places(names, REF, PLACES)
    assert slugs == [] and error is not None
    assert (error.field, error.code) == ("districts", code)


NOTICE_ROWS = {
    "missing": (None, C.NOTICE_REQUIRED),
    "number": (42, C.NOT_TEXT),
    "blank": ("  \n ", C.NOTICE_EMPTY),
    "too-long": ("a" * (MAX_TEXT + 1), C.NOTICE_TOO_LONG),
    "surrogate": ("Avis \ud800", C.INVALID_TEXT),
}


@pytest.mark.parametrize(("value", "code"), NOTICE_ROWS.values(), ids=NOTICE_ROWS.keys())
def test_notice_input_returns_codes(value, code) -> None:
    text, error = notice_text(value, MAX_TEXT)
    assert text == "" and error is not None and error.code is code


FILE_ROWS = {
    "type": ("avis.odt", b"x", C.FILE_TYPE),
    "too-large": ("avis.txt", b"x" * (6 * 1024 * 1024), C.FILE_TOO_LARGE),
    "unreadable": ("avis.docx", b"not a zip", C.FILE_UNREADABLE),
    "empty": ("avis.txt", b"   ", C.FILE_EMPTY),
}


@pytest.mark.parametrize(("name", "data", "code"), FILE_ROWS.values(), ids=FILE_ROWS.keys())
def test_notice_files_return_codes(name, data, code) -> None:
    with pytest.raises(UnreadableFile) as refused:
        text_from_file(name, data)
    assert refused.value.error.code is code


SCHEDULE_ROWS = {
    "missing": (None, None, C.SCHEDULE_MISSING),
    "past": (int(NOW) - 3600, None, C.SCHEDULE_PAST),
    "after-deadline": (int(NOW) + 3600, int(NOW) + 60, C.SCHEDULE_AFTER_DEADLINE),
}


@pytest.mark.parametrize(
    ("at", "deadline", "code"), SCHEDULE_ROWS.values(), ids=SCHEDULE_ROWS.keys()
)
def test_schedule_times_return_codes(at, deadline, code) -> None:
    error = schedule_problem(at, NOW, deadline)
    assert error is not None and (error.field, error.code) == ("schedule_at", code)


PASSWORD_ROWS = {
    "short": ("court", C.SHORT_PASSWORD),
    "spaces": (" espace-devant ", C.PASSWORD_SPACES),
}


@pytest.mark.parametrize(("password", "code"), PASSWORD_ROWS.values(), ids=PASSWORD_ROWS.keys())
def test_passwords_return_codes(password, code) -> None:
    with pytest.raises(AccountError) as refused:
        accounts.check_password(password)
    assert refused.value.error.code is code
    assert str(refused.value) == french(refused.value.error)  # the shell's French


PHONE_ROWS = {
    "empty": ("  ", C.PHONE_EMPTY),
    "words-fr": ("mon numéro", C.NOT_A_PHONE),
    "words-bm": ("n ka nimɔrɔ", C.NOT_A_PHONE),
    "too-short": ("7612", C.INVALID_PHONE),
}


@pytest.mark.parametrize(("raw", "code"), PHONE_ROWS.values(), ids=PHONE_ROWS.keys())
def test_phones_return_codes(client, api_headers, raw, code) -> None:
    with pytest.raises(InvalidPhone) as refused:
        normalize(raw)
    assert refused.value.error.code is code and french(refused.value.error) == "Numéro invalide."
    if raw.strip():
        answer = client.get(f"/api/subscribers/{raw}", headers=api_headers)
        assert answer.status_code == 400
        assert answer.get_json()["detail"] == f"phone: {english(refused.value.error)}"


def test_bad_email_returns_a_code() -> None:
    with pytest.raises(AccountError) as refused:
        accounts.normalize_email("pas-une-adresse")
    assert refused.value.error == FieldError("email", C.BAD_EMAIL)


# -- codes that need the store: lifecycle, accounts ---------------------------------------------


def test_stateful_refusals_return_codes(app) -> None:
    services = current_services()
    store = services.store
    job, errors = jobs.create_job(services, body(deadline=f"{SOON}T17:00"))
    assert job is not None and not errors
    assert jobs.publish(services, "nope")[1]["id"].code is C.NO_SUCH_JOB
    assert jobs.cancel(services, job.id)[1] == {}
    assert jobs.publish(services, job.id)[1]["status"].code is C.CANNOT_PUBLISH
    assert jobs.close(services, job.id)[1]["status"].code is C.ALREADY_FINAL
    assert (
        schedule(services, job.id, int(store.now()) + 60)[1]["schedule_at"].code
        is C.SCHEDULE_NOT_DRAFT
    )
    with pytest.raises(AccountError) as unknown:
        accounts.set_role(store, "personne@ngo.ml", "admin")
    assert unknown.value.error.code is C.UNKNOWN_ACCOUNT
    accounts.create_account(store, "x@ngo.ml", "assez-long-1", "poster")
    with pytest.raises(AccountError) as taken:
        accounts.create_account(store, "x@ngo.ml", "assez-long-1", "poster")
    assert taken.value.error.code is C.ACCOUNT_EXISTS


def test_quiet_hours_refusal_returns_a_code() -> None:
    quiet = Settings(quiet_hours="00:00-23:59")
    problem = jobs._publish_problem(quiet, int(NOW) + 60, NOW)
    assert problem["deadline"].code is C.DEADLINE_IN_QUIET_HOURS
    assert "heures de silence" in french(problem["deadline"])


#: Codes the rows above reach; the stateful and API-only ones are listed with where.
REACHED = (
    {code for _p, _f, code in JOB_ROWS.values()}
    | {code for _n, code in RELAY_ROWS.values()}
    | {code for _v, code in NOTICE_ROWS.values()}
    | {code for _n, _d, code in FILE_ROWS.values()}
    | {code for _a, _d, code in SCHEDULE_ROWS.values()}
    | {code for _p, code in PASSWORD_ROWS.values()}
    | {code for _r, code in PHONE_ROWS.values()}
    | {
        C.BAD_EMAIL,
        C.NO_SUCH_JOB,
        C.CANNOT_PUBLISH,
        C.ALREADY_FINAL,
        C.SCHEDULE_NOT_DRAFT,
        C.UNKNOWN_ACCOUNT,
        C.ACCOUNT_EXISTS,
        C.DEADLINE_IN_QUIET_HOURS,
        C.PAGING_NOT_NUMBERS,
    }  # the last: test_api_words_codes_in_english
)


def test_every_code_is_reached_by_a_row() -> None:
    # CHANGED_MEANWHILE needs a race (the job changes between read and write); TOO_LONG_FOR_SMS
    # an alert the composer cannot fit even at its shortest, which no valid posting reaches today.
    assert set(ErrorCode) - REACHED == {C.CHANGED_MEANWHILE, C.TOO_LONG_FOR_SMS}


# -- the surfaces: the API in English, the admin web in French ----------------------------------


API_ROWS = {
    "title": ({"title": ""}, "title", "must not be empty"),
    "category-bm": ({"category": "sɛnɛkɛla"}, "category", "unknown category: sɛnɛkɛla"),
    "place": ({"districts": ["Nionoo"]}, "districts", "unknown district or region: Nionoo"),
    "positions": ({"positions": 0}, "positions", "must be between 1 and 10000"),
    "apply-part": ({"apply": {"email": "a@"}}, "apply", "email: not an email address: 'a@'"),
    "deadline": ({"deadline": "demain"}, "deadline", "not an ISO 8601 date or date and time"),
}


@pytest.mark.parametrize(("changes", "field", "said"), API_ROWS.values(), ids=API_ROWS.keys())
def test_api_words_codes_in_english(client, api_headers, changes, field, said) -> None:
    answer = client.post("/api/jobs", json=body(**changes), headers=api_headers)
    assert answer.status_code == 400
    assert said in answer.get_json()["fields"][field]


def test_api_paging_is_worded_in_english(client, api_headers) -> None:
    answer = client.get("/api/jobs?offset=x", headers=api_headers)
    assert answer.status_code == 400
    assert answer.get_json()["fields"] == {"offset": "offset and limit must be whole numbers"}


FORM_ROWS = {
    "apply-phone-long": {"apply_email": "", "apply_phone": "7" * 600},
    "apply-bm-text-only-spaces": {"apply_email": "", "apply_text": "   "},
    "category-bm": {"category": "sɛnɛkɛla"},
    "title-bm-too-long": {"title": "Baarakɛla " * 40},
    "deadline-bm": {"deadline_date": "sini"},
    "short-punctuation": {"organization_short": "--"},
    "place-bm": {"districts": ["dugukolo-kura"]},
    "url-bm": {"source_url": "kunafoni"},
    "positions-words": {"positions": "fila"},
}


@pytest.mark.parametrize("overrides", FORM_ROWS.values(), ids=FORM_ROWS.keys())
def test_job_form_never_shows_english(app, admin_client, overrides) -> None:  # noqa: F811
    answer = admin_client.post(
        "/admin/jobs/new",
        data={
            **job_form(**overrides),
            "action": "publish",
            "csrf_token": token(admin_client, "/admin/jobs/new"),
        },
    )
    assert answer.status_code == 400
    errors = " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', answer.text))
    assert errors.strip()
    assert not ENGLISH_WORDS.search(errors), errors


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "", "districts": ["Nionoo"]},
        {"apply": {"fax": "1"}},
        {"deadline": "sini", "positions": "fila"},
    ],
    ids=["two-fields", "apply-unknown", "bm-words"],
)
def test_preview_errors_are_french(app, admin_client, changes) -> None:  # noqa: F811
    form = job_form()
    for name, value in changes.items():
        if name == "deadline":
            form["deadline_date"] = value
        elif name == "apply":
            form["apply_email"] = ""
        else:
            form[name] = value
    answer = admin_client.post(
        "/admin/jobs/preview", data=form, headers={"X-CSRFToken": token(admin_client)}
    )
    said = " ".join(answer.get_json()["errors"].values())
    assert said and not ENGLISH_WORDS.search(said), said


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"notice_text": "   "}, "Collez le texte de l'annonce"),
        ({"notice_text": "a" * (MAX_TEXT + 1)}, "Annonce trop longue (60000 caractères au plus)."),
    ],
    ids=["blank", "too-long"],
)
def test_import_refusals_are_french(app, admin_client, data, said) -> None:  # noqa: F811
    answer = admin_client.post(
        "/admin/jobs/import", data={**data, "csrf_token": token(admin_client, "/admin/jobs/new")}
    )
    assert answer.status_code == 400
    assert said in visible_text(answer.text).replace("&#39;", "'")
