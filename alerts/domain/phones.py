"""Phone numbers: everything Baara stores is E.164, parsed with phonenumbers (region ML).

One number, one identity: digits of any script (fullwidth ７, Arabic-Indic ٧, Devanagari ७, …)
become ASCII before parsing, and anything that is neither a digit nor phone punctuation (letters,
symbols, control characters) makes the text no number at all, so no two spellings of a number
can ever be stored as two people.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from alerts.domain.errors import ErrorCode, FieldError


class InvalidPhone(ValueError):
    """The text is not a valid phone number: `error` says why, as data."""

    def __init__(self, code: ErrorCode, raw: str = "") -> None:
        super().__init__(code.value)
        self.error = FieldError("phone", code, {"value": raw[:40]} if raw else {})


#: Africa's Talking sends E.164; such a number skips text parsing (validity is still checked).
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
#: What may surround the digits once they are ASCII: spaces, separators, brackets, a leading +.
_ALLOWED = re.compile(r"\(?\+?[0-9 ().\-/]*")


def _ascii(ch: str) -> str:
    """One character of a typed number as ASCII: digits of any script, dashes, spaces."""
    if ch.isascii():
        return ch
    digit = unicodedata.decimal(ch, None)
    if digit is not None:
        return str(digit)
    category = unicodedata.category(ch)
    if category == "Pd" or ch == "\u2212":  # hyphens and dashes, the minus sign
        return "-"
    return " " if category == "Zs" else ch  # no-break, thin, ideographic spaces


def typed_ascii(text: str) -> str:
    """NFKC, then digits, dashes and spaces of any script as ASCII (to spot a number)."""
    return "".join(_ascii(ch) for ch in unicodedata.normalize("NFKC", text))


def ascii_digits(text: str) -> str | None:
    """NFKC, then every Unicode decimal digit as ASCII; None if a non-phone character remains."""
    if text.isascii():
        folded = text
    elif any(
        unicodedata.decimal(ch, None) is None and unicodedata.digit(ch, None) is not None
        for ch in text
    ):
        return None  # superscript or circled: a digit to the eye, not one people type
    else:
        folded = "".join(_ascii(ch) for ch in unicodedata.normalize("NFKC", text))
    return folded if _ALLOWED.fullmatch(folded) else None


def _e164_fast(text: str) -> str | None:
    if _E164.fullmatch(text) is None:
        return None
    for size in (1, 2, 3):  # country codes are prefix-free: at most one of these is one
        code = int(text[1 : 1 + size])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = text[1 + size :]
            # A leading zero would be lost by int(): leave those to the full parser.
            if national[0] == "0":
                return None
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
            return text if phonenumbers.is_valid_number(number) else None
    return None


def normalize(raw: str, region: str = "ML") -> str:
    """'76 12 34 56', '0022376123456', '+223 76-12-34-56' -> '+22376123456'."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(ErrorCode.PHONE_EMPTY)
    ascii_text = ascii_digits(text)
    if ascii_text is None:
        raise InvalidPhone(ErrorCode.NOT_A_PHONE, raw)
    text = ascii_text.strip()
    if not text:
        raise InvalidPhone(ErrorCode.PHONE_EMPTY)
    if text[0] == "+" and (fast := _e164_fast(text)) is not None:
        return fast
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(ErrorCode.NOT_A_PHONE, raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(ErrorCode.INVALID_PHONE, raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize(raw: str, region: str = "ML") -> str | None:
    """normalize(), or None when the text is not a valid number."""
    try:
        return normalize(raw, region)
    except InvalidPhone:
        return None


def local_form(phone: str) -> str:
    """How people write a number: '+22375228788' -> '75 22 87 88'; foreign ones in full."""
    try:
        number = phonenumbers.parse(phone, "ML")
    except phonenumbers.NumberParseException:
        return phone
    if number.country_code == 223:
        digits = str(number.national_number)
        return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(phone: str) -> str:
    """'+22376123456' -> '+2237612****': for logs."""
    if not phone:
        return phone
    return phone[:-4] + "****" if len(phone) > 6 else "****"
