"""Phone numbers: everything Baara stores is E.164, parsed with phonenumbers (region ML)."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    """The text is not a valid phone number."""


def normalize(raw: str, region: str = "ML") -> str:
    """'76 12 34 56', '0022376123456', '+223 76-12-34-56' -> '+22376123456'."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("empty phone number")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize(raw: str, region: str = "ML") -> str | None:
    """normalize(), or None when the text is not a valid number."""
    try:
        return normalize(raw, region)
    except InvalidPhone:
        return None


def mask(phone: str) -> str:
    """'+22376123456' -> '+2237612****': for logs."""
    if not phone:
        return phone
    return phone[:-4] + "****" if len(phone) > 6 else "****"
