"""The festival calendar (lunar dates converted for each year) and the care lists per RM."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from lunardate import LunarDate

from customers.birthdays import birthday_between_q
from customers.models import AssetTier, Customer, KeyContact

# Traditional festivals: (code, name, lunar month, lunar day, minimum age of the customer).
LUNAR_FESTIVALS = [
    ("spring", _("Spring Festival"), 1, 1, None),
    ("lantern", _("Lantern Festival"), 1, 15, None),
    ("dragon_boat", _("Dragon Boat Festival"), 5, 5, None),
    ("mid_autumn", _("Mid-Autumn Festival"), 8, 15, None),
    # 重阳: for elderly customers only (over 60).
    ("double_ninth", _("Double Ninth Festival"), 9, 9, 60),
]
# How many days before a festival or birthday the care list shows it.
CARE_LIST_DAYS = 14
CARE_LIST_ROWS = 100


@dataclass(frozen=True)
class Festival:
    code: str
    name: object
    day: date
    min_age: int | None = None


def lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """The solar date of a lunar month and day in lunar year ``year`` (a 30th that the month
    lacks that year is kept on the 29th)."""
    try:
        return LunarDate(year, month, day).to_solar_date()
    except ValueError:
        if day == 30:
            return LunarDate(year, month, 29).to_solar_date()
        return None


def festivals_in(year: int) -> list[Festival]:
    """The festivals whose date falls in solar ``year``, in date order: the traditional ones
    and the bank's own dates (``BankDate``)."""
    from .models import BankDate

    found = []
    for lunar_year in (year - 1, year):
        for code, name, month, day, min_age in LUNAR_FESTIVALS:
            solar = lunar_to_solar(lunar_year, month, day)
            if solar and solar.year == year:
                found.append(Festival(code, name, solar, min_age))
    for bank_date in BankDate.objects.filter(active=True):
        if bank_date.lunar:
            for lunar_year in (year - 1, year):
                solar = lunar_to_solar(lunar_year, bank_date.month, bank_date.day)
                if solar and solar.year == year:
                    found.append(Festival(f"bank{bank_date.pk}", bank_date.name, solar))
        else:
            try:
                found.append(
                    Festival(
                        f"bank{bank_date.pk}",
                        bank_date.name,
                        date(year, bank_date.month, bank_date.day),
                    )
                )
            except ValueError:
                continue
    return sorted(found, key=lambda f: (f.day, f.code))


def festivals_between(start: date, end: date) -> list[Festival]:
    found = []
    for year in range(start.year, end.year + 1):
        found += [f for f in festivals_in(year) if start <= f.day <= end]
    return found


def festival_on(day: date) -> Festival | None:
    return next((f for f in festivals_in(day.year) if f.day == day), None)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def care_customers(user, *, festival: Festival | None = None, tier=None):
    """The customers of a care list: the user's own book (primary RM), the most valuable
    first, so that the 20 % who bring 80 % of the value come first; ``tier`` keeps that tier
    and those above it; the Double Ninth list holds only customers over 60."""
    customers = Customer.objects.visible_to(user).active().filter(primary_rm=user)
    if tier is not None:
        customers = customers.filter(
            asset_tier__in=AssetTier.objects.filter(min_assets__gte=tier.min_assets)
        )
    if festival is not None and festival.min_age:
        customers = customers.filter(birth_date__lt=_years_before(festival.day, festival.min_age))
    return customers.select_related("asset_tier").order_by("-monthly_avg_assets", "-id")


def birthday_care(user, start: date, end: date, tier=None):
    """Customers of the user's book with a birthday (solar or lunar) in the window, and key
    contacts of those customers with a birthday in it."""
    customers = care_customers(user, tier=tier).filter(birthday_between_q(start, end))
    days = []
    day = start
    while day <= end:
        days.append(Q(birthday__month=day.month, birthday__day=day.day))
        day += timedelta(days=1)
    on_days = Q()
    for q in days:
        on_days |= q
    contacts = (
        KeyContact.objects.filter(on_days, customer__in=care_customers(user, tier=tier))
        .select_related("customer")
        .order_by("-customer__monthly_avg_assets", "id")
    )
    return customers, contacts
