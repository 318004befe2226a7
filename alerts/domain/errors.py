"""Errors as data: a refused value is a `FieldError` (field, code, params), never prose.

Each surface words the code in its reader's language: the JSON API and the CLI in English, the
admin web in French through gettext (both tables in `messages/errors.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a value was refused; `params` carry the details a wording needs."""

    # -- any text field
    REQUIRED = "required"  # missing (None)
    NOT_TEXT = "not_text"
    INVALID_TEXT = "invalid_text"  # lone surrogates and the like
    EMPTY = "empty"
    TOO_LONG = "too_long"  # params: max
    NO_LETTER_OR_DIGIT = "no_letter_or_digit"
    # -- the request body
    NOT_JSON_OBJECT = "not_json_object"
    NOT_BOOLEAN = "not_boolean"
    PAGING_NOT_NUMBERS = "paging_not_numbers"
    # -- jobs
    CATEGORY_REQUIRED = "category_required"
    UNKNOWN_CATEGORY = "unknown_category"  # params: name
    PLACES_REQUIRED = "places_required"
    TOO_MANY_PLACES = "too_many_places"  # params: max
    UNKNOWN_PLACE = "unknown_place"  # params: names
    NOT_WHOLE_NUMBER = "not_whole_number"
    OUT_OF_RANGE = "out_of_range"  # params: min, max
    DEADLINE_REQUIRED = "deadline_required"
    NOT_A_DATE = "not_a_date"  # params: value
    DEADLINE_PASSED = "deadline_passed"
    DEADLINE_TOO_FAR = "deadline_too_far"
    DEADLINE_IN_QUIET_HOURS = "deadline_in_quiet_hours"  # params: end
    APPLY_REQUIRED = "apply_required"
    UNKNOWN_FIELDS = "unknown_fields"  # params: names
    NOT_AN_EMAIL = "not_an_email"  # params: value
    NO_WAY_TO_APPLY = "no_way_to_apply"
    NOT_HTTP_URL = "not_http_url"
    TOO_LONG_FOR_SMS = "too_long_for_sms"
    CANNOT_PUBLISH = "cannot_publish"  # params: status
    ALREADY_FINAL = "already_final"  # params: status
    CHANGED_MEANWHILE = "changed_meanwhile"
    NO_SUCH_JOB = "no_such_job"
    # -- scheduling a publication
    SCHEDULE_MISSING = "schedule_missing"
    SCHEDULE_NOT_DRAFT = "schedule_not_draft"
    SCHEDULE_PAST = "schedule_past"
    SCHEDULE_AFTER_DEADLINE = "schedule_after_deadline"
    # -- relays
    NO_PLACES = "no_places"
    # -- a notice to import
    NOTICE_REQUIRED = "notice_required"
    NOTICE_EMPTY = "notice_empty"
    NOTICE_TOO_LONG = "notice_too_long"  # params: max
    FILE_TYPE = "file_type"
    FILE_TOO_LARGE = "file_too_large"
    FILE_UNREADABLE = "file_unreadable"
    FILE_EMPTY = "file_empty"
    # -- phone numbers
    PHONE_EMPTY = "phone_empty"
    NOT_A_PHONE = "not_a_phone"  # params: value
    INVALID_PHONE = "invalid_phone"  # params: value (a number no operator gives out)
    # -- accounts
    BAD_EMAIL = "bad_email"
    SHORT_PASSWORD = "short_password"  # params: min
    PASSWORD_SPACES = "password_spaces"
    ACCOUNT_EXISTS = "account_exists"
    UNKNOWN_ACCOUNT = "unknown_account"


@dataclass(frozen=True)
class FieldError:
    """One refused field: which, why (a code), and the details its wording needs.

    `part` names the sub-field at fault inside a compound field (apply's `email`).
    """

    field: str
    code: ErrorCode
    params: Mapping[str, str | int] = dataclass_field(default_factory=dict)
    part: str = ""


#: A validator's answer: at most one error per field, by field name.
FieldErrors = dict[str, FieldError]


def refuse(
    errors: FieldErrors, field_name: str, code: ErrorCode, part: str = "", /, **params: str | int
) -> None:
    """Record that field `field_name` is refused for `code` (params: what its wording needs)."""
    errors[field_name] = FieldError(field_name, code, params, part)
