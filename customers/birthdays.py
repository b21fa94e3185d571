"""Birthdays in a date window, solar or lunar, as index-friendly lookups.

A customer's birthday is stored as ``birth_md`` (month × 100 + day of the solar birth date)
and, for customers who celebrate the lunar birthday, ``lunar_birth_md`` (the lunar month and
day of birth). A window of dates then becomes two short ``IN`` lists.
"""

import calendar
from datetime import date, timedelta

from django.db.models import Q
from lunardate import LunarDate


def solar_md(day: date) -> int:
    return day.month * 100 + day.day


def lunar_md_of(day: date) -> int | None:
    """The lunar month and day of a solar date (a leap month counts as its regular month)."""
    try:
        lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
    except ValueError:
        return None
    return lunar.month * 100 + lunar.day


def lunar_month_days(year: int, month: int) -> int:
    """How many days the (regular) lunar month has in this lunar year: 29 or 30."""
    try:
        LunarDate(year, month, 30).to_solar_date()
    except ValueError:
        return 29
    return 30


def solar_mds_in(start: date, end: date) -> set[int]:
    """Solar month-days celebrated between start and end, inclusive.

    29 February birthdays are celebrated on 28 February in common years.
    """
    mds = set()
    day = start
    while day <= end:
        mds.add(solar_md(day))
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            mds.add(229)
        day += timedelta(days=1)
    return mds


def lunar_mds_in(start: date, end: date) -> set[int]:
    """Lunar month-days celebrated between start and end, inclusive.

    A birthday on the 30th of a lunar month is celebrated on the 29th in years when that
    month is short. Days of a leap month celebrate nobody: the regular month came first.
    """
    mds = set()
    day = start
    while day <= end:
        lunar = LunarDate.from_solar_date(day.year, day.month, day.day)
        if not lunar.is_leap_month:
            md = lunar.month * 100 + lunar.day
            mds.add(md)
            if lunar.day == 29 and lunar_month_days(lunar.year, lunar.month) == 29:
                mds.add(md + 1)
        day += timedelta(days=1)
    return mds


def birthday_between_q(start: date, end: date) -> Q:
    """Customers whose birthday (solar, or lunar where they celebrate it) falls in the window."""
    return Q(lunar_birthday=False, birth_md__in=sorted(solar_mds_in(start, end))) | Q(
        lunar_birthday=True, lunar_birth_md__in=sorted(lunar_mds_in(start, end))
    )


def next_birthday(birth: date, lunar: bool, today: date) -> date | None:
    """The next date (today included) on which this birthday is celebrated."""
    for year in (today.year, today.year + 1):
        candidate = celebrated_on(birth, lunar, year)
        if candidate and candidate >= today:
            return candidate
    return None


def celebrated_on(birth: date, lunar: bool, year: int) -> date | None:
    """The solar date on which a birthday is celebrated in a given solar year."""
    if not lunar:
        if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return date(year, birth.month, birth.day)
    md = lunar_md_of(birth)
    if md is None:
        return None
    month, day = divmod(md, 100)
    # The lunar year that starts in this solar year, and the one before it (its months run
    # into January and February of this solar year).
    for lunar_year in (year - 1, year):
        actual_day = min(day, lunar_month_days(lunar_year, month))
        solar = LunarDate(lunar_year, month, actual_day).to_solar_date()
        if solar.year == year:
            return solar
    return None
