"""Validators for Chinese identity numbers and phone numbers, with messages in the user's
language (each returns the normalised value so callers store one spelling), and the rules of
a customer file, a holding and a monthly balance that every way in shares: the forms, the API
and the importers."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
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


# --- the rules of a customer file, a holding and a monthly balance ------------------------
# The form (through the model's clean()), the API serializer and the importers all call the
# functions below, so one fault gets one message wherever it is typed or loaded.

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# Holdings of a bank that opened its books in the 1950s; maturities run at most to 2100.
EARLIEST_HOLDING_DATE = date(1950, 1, 1)
LATEST_HOLDING_DATE = date(2100, 12, 31)

# A cell a spreadsheet would run when the text is exported again or opened from the import
# file: "=" and anything; "+", "-" or "@" and a function call, a cell reference, a DDE link
# ("-cmd|' /C calc'!A0"), a sum or another operator. "+86 138…" or "- 已联系" stay text.
FORMULA_STARTS = ("=", "+", "-", "@")
_FORMULA_RE = re.compile(
    r"""=
    | [+\-@] \s* (?: [A-Za-z_][\w.]* \s* \(
                   | \$?[A-Za-z]{1,3}\$?\d+\b
                   | [^|]* \|
                   | [\d.]+ \s* [-+*/^&]
                   | [=+\-@(] )""",
    re.VERBOSE,
)

# The customer's single-line text fields that could carry a formula. Mobile numbers are
# normalised instead ("+86-138-…" is a mobile, not a sum); long notes are free text.
CUSTOMER_TEXT_FIELDS = (
    "customer_no",
    "name",
    "id_number",
    "email",
    "address",
    "employer",
    "occupation",
    "industry",
    "legal_representative",
    "source",
    "interests",
)
CUSTOMER_RULE_FIELDS = (
    "kind",
    "id_type",
    "mobile",
    "birth_date",
    "risk_grade",
    "risk_assessed_on",
    *CUSTOMER_TEXT_FIELDS,
)


def refuse_formula(value):
    """The value, unless it is text that starts like a spreadsheet formula."""
    if type(value) is str and value.startswith(FORMULA_STARTS) and _FORMULA_RE.match(value):
        raise ValidationError(
            _(
                "Text cannot start with =, +, - or @ followed by a formula: "
                "a spreadsheet would run it."
            ),
            code="formula",
        )
    return value


def check_birth_date(value, today=None) -> None:
    """A plausible birth date: not in the future, not before 1900."""
    if value is None:
        return
    if value > (today or timezone.localdate()):
        raise ValidationError(_("The birth date cannot be in the future."), code="future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValidationError(
            _("A birth date before 1900 is not plausible; please check it."), code="too_early"
        )


def check_holding_date(value) -> None:
    """A plausible date for a holding to open or mature: 1950 to 2100."""
    if value is not None and not EARLIEST_HOLDING_DATE <= value <= LATEST_HOLDING_DATE:
        raise ValidationError(_("Enter a date between 1950 and 2100."), code="date_range")


def check_not_negative(value) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("This amount cannot be negative."), code="negative")


def id_number_in_use(id_type: str, id_number: str, *, exclude_pk=None) -> bool:
    """Whether another customer of the archive has this ID number (one query)."""
    from .models import Customer

    taken = Customer.objects.filter(id_type=id_type, id_number=id_number)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    return taken.exists()


def id_number_taken_message() -> str:
    # Never says whose customer it is: the other file may be out of the user's scope.
    return _(
        "A customer with this ID number is already in the archive. "
        "Ask your branch head or an admin to find the existing file."
    )


def check_customer(values: dict, *, id_taken=None, today=None) -> dict[str, list[str]]:
    """The rules of a customer file: ``{field: [messages]}``, empty when it may be saved.

    ``values`` holds the fields of CUSTOMER_RULE_FIELDS that are known (a missing one is not
    checked); the ID number and the mobile are replaced by their one stored spelling.
    ``id_taken(id_type, id_number)`` says whether another customer has the ID number: one
    query for the form and the API, a lookup in numbers read beforehand for an import.

    Rules: a company is identified by a unified social credit code and a person never is;
    an ID number needs its type, and a resident ID or a credit code its right check
    character; no two customers share an ID number; a mobile is a mainland mobile; a birth
    date is neither in the future nor before 1900; a risk assessment is dated, not in the
    future, and only with the risk tolerance it gave; no text starts like a spreadsheet
    formula.
    """
    errors = {}
    for name in CUSTOMER_TEXT_FIELDS:
        value = values.get(name)
        if value and value.startswith(FORMULA_STARTS):
            try:
                refuse_formula(value)
            except ValidationError as error:
                errors[name] = error.messages
    kind = values.get("kind")
    id_type = values.get("id_type") or ""
    id_number = (values.get("id_number") or "").strip()
    type_errors = []
    if id_number and not id_type:
        type_errors.append(_("Choose the type of the ID number."))
    # The kinds' codes (Customer.Kind, Customer.IdType): the model imports this module.
    if kind == "corporate" and id_type and id_type != "uscc":
        type_errors.append(_("A company is identified by its unified social credit code."))
    if kind == "individual" and id_type == "uscc":
        type_errors.append(_("A person cannot have a unified social credit code."))
    if type_errors:
        errors["id_type"] = type_errors
    if id_number and "id_number" not in errors:
        normalise = ID_NORMALISERS.get(id_type)
        try:
            if normalise:
                id_number = normalise(id_number)
        except ValidationError as error:
            errors["id_number"] = error.messages
        else:
            if id_taken is not None and id_type and id_taken(id_type, id_number):
                errors["id_number"] = [id_number_taken_message()]
    if "id_number" in values:
        values["id_number"] = id_number
    mobile = values.get("mobile")
    if mobile:
        try:
            values["mobile"] = normalise_mobile(mobile)
        except ValidationError as error:
            errors["mobile"] = error.messages
    try:
        check_birth_date(values.get("birth_date"), today)
    except ValidationError as error:
        errors["birth_date"] = error.messages
    assessed = values.get("risk_assessed_on")
    if assessed is not None:
        if assessed > (today or timezone.localdate()):
            errors["risk_assessed_on"] = [_("The risk assessment cannot be dated in the future.")]
        elif assessed < EARLIEST_HOLDING_DATE:
            errors["risk_assessed_on"] = [_("Enter a date between 1950 and 2100.")]
        elif not values.get("risk_grade"):
            errors["risk_assessed_on"] = [
                _("An assessment date needs the risk tolerance it assessed.")
            ]
    return errors


def check_holding(values: dict) -> dict[str, list[str]]:
    """The rules of a holding: a plausible opening and maturity date, maturing no earlier
    than it opens, and an amount that is not negative."""
    errors = {}
    for name in ("opened_on", "matures_on"):
        try:
            check_holding_date(values.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    opened, matures = values.get("opened_on"), values.get("matures_on")
    if opened and matures and matures < opened and not errors:
        errors["matures_on"] = [_("A holding cannot mature before it opens.")]
    try:
        check_not_negative(values.get("amount"))
    except ValidationError as error:
        errors["amount"] = error.messages
    return errors


BALANCE_AMOUNTS = ("avg_financial_assets", "avg_deposits", "avg_loans", "star_points")


def check_balance(values: dict, today=None) -> dict[str, list[str]]:
    """The rules of a monthly balance: a month that has begun, and no negative figure."""
    errors = {}
    month = values.get("month")
    if month is not None and month > (today or timezone.localdate()).replace(day=1):
        errors["month"] = [_("This month has not begun.")]
    for name in BALANCE_AMOUNTS:
        try:
            check_not_negative(values.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    return errors
