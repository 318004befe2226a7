"""Phone numbers: everything becomes E.164 (region ML)."""

import pytest

from alerts.domain.phones import InvalidPhone, mask, normalize


@pytest.mark.parametrize(
    "raw,e164",
    [
        ("76 12 34 56", "+22376123456"),
        ("76123456", "+22376123456"),
        ("0022376123456", "+22376123456"),
        ("+223 66 12 34 56", "+22366123456"),
        ("+223-50-12-34-56", "+22350123456"),
        ("223 90 11 22 33", "+22390112233"),
        (" +22395123456 ", "+22395123456"),
    ],
)
def test_normalize(raw, e164):
    assert normalize(raw) == e164


@pytest.mark.parametrize("raw", ["", "7612345", "761234567", "hello", "+223", "00"])
def test_invalid(raw):
    with pytest.raises(InvalidPhone):
        normalize(raw)


def test_mask():
    assert mask("+22376123456") == "+2237612****"


def test_the_e164_shortcut_agrees_with_the_full_parser():
    # AT's E.164 skips phonenumbers' text parsing; the answer must be the same either way.
    import random

    import phonenumbers

    from alerts.domain.phones import InvalidPhone, normalize

    rng = random.Random(8)
    cases = [
        "+22376123456",
        "+22300000000",
        "+2237612345",
        "+223761234567",
        "+12025550123",
        "+447911123456",
        "+390612345678",
        "+999123456789",
        "+22320221234",
    ]
    for _ in range(3000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 13)))
        cases += [f"+{rng.randint(1, 999)}{digits}", f"+223{digits[:8]}"]
    for text in cases:
        try:
            parsed = phonenumbers.parse(text, "ML")
            expected = (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                if phonenumbers.is_valid_number(parsed)
                else None
            )
        except phonenumbers.NumberParseException:
            expected = None
        try:
            got = normalize(text)
        except InvalidPhone:
            got = None
        assert got == expected, text
