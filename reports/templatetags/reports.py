from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

from crm.templatetags.crm import format_money

register = template.Library()


@register.filter
def figure(value, unit="count"):
    """A figure as the reports write it: amounts as everywhere (``money``), counts with
    thousands separators, shares with one decimal and %; "–" when there is none."""
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    if unit in ("CNY", "USD"):
        return format_money(number)
    if unit == "percent":
        return f"{number:,.1f} %"
    if number == number.to_integral_value():
        return f"{number:,.0f}"
    return f"{number:,.2f}"


@register.filter
def unit_label(unit):
    return {
        "CNY": _("CNY"),
        "USD": _("USD"),
        "percent": _("percentage points"),
    }.get(unit, "")
