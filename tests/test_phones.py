"""Phone numbers: everything becomes E.164 (region ML)."""

import pytest

from alerts.phones import InvalidPhone, mask, normalize


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
