from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")
WAN = Decimal(10_000)


def format_money(value, unit: str = "yuan") -> str:
    """The one way an amount is written: thousands separators and always two decimals,
    rounded half up as bank statements round. ``unit="wan"`` gives 万元 (ten thousands),
    anything else 元. The number never carries its unit: the column heading or the label
    names it ("金额（元）", "月日均金融资产（万元）"), in either language. No amount shows "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if unit == "wan":
        number /= WAN
    number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # no "-0.00"
    return f"{number:,.2f}"


@register.filter
def money(value, unit="yuan"):
    """``{{ amount|money }}`` → ``29,112,850.00`` (元); ``{{ amount|money:"wan" }}`` →
    ``2,911.29`` (万元). Used on every page that shows an amount; see ``format_money``."""
    return format_money(value, unit)
