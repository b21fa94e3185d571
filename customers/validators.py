"""Validators for Chinese identity numbers and phone numbers, with messages in the user's
language. Each returns the normalised value so callers store one spelling."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z), the last a check digit.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(rf"^[{_USCC_ALPHABET}]{{18}}$")

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_resident_id(value: str) -> str:
    """A mainland resident ID card number (居民身份证): 18 characters, valid check digit."""
    value = (value or "").strip().upper()
    if not _ID_RE.match(value):
        raise ValidationError(
            _("A resident ID number has 17 digits and a last digit or X."), code="id_format"
        )
    if resident_id_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("This resident ID number has a wrong check digit; please check it."),
            code="id_check_digit",
        )
    return value


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_uscc(value: str) -> str:
    """A unified social credit code (统一社会信用代码): 18 characters, valid check character."""
    value = (value or "").strip().upper()
    if not _USCC_RE.match(value):
        raise ValidationError(
            _("A unified social credit code has 18 digits or capital letters."),
            code="uscc_format",
        )
    if uscc_check_char(value[:17]) != value[17]:
        raise ValidationError(
            _("This unified social credit code has a wrong check character; please check it."),
            code="uscc_check_digit",
        )
    return value


def normalise_mobile(value: str) -> str:
    """A mainland mobile number: 11 digits starting 13–19; spaces, dashes and +86 are dropped."""
    digits = re.sub(r"[\s-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE_RE.match(digits):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number, e.g. 13812345678."), code="mobile"
        )
    return digits


# Which ID types have a checkable format (Customer.IdType values).
ID_NORMALISERS = {
    "resident_id": normalise_resident_id,
    "uscc": normalise_uscc,
}
