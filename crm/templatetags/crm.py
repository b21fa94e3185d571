from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value, places=0):
    """``29112850`` → ``29,112,850``: amounts grouped by thousands, as bank statements print
    them, in either language."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"{number:,.{int(places)}f}"
