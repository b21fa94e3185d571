"""The catalogue of measures: what each figure is, how it adds up over a period, and which
column of the daily facts holds it.

Imports nothing of the project, so that models, providers, pages and the API all read the
same list. Kinds:

- ``flow``: something that happens on a day (new customers, visits done); a period adds the
  days up.
- ``level``: a count as it stood at the end of a day (customers, open watch items); a period
  shows the value of its last day with figures.
- ``average``: a daily figure whose period value is the mean over the days (日均 balances:
  each day carries its month's daily average, so a quarter's mean is the quarter's daily
  average).
- ``ratio``: numerator / denominator, both measures, each summed (or taken) as their kind says.
- ``external``: monthly figures a bank keeps elsewhere, imported per RM and month.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

FLOW, LEVEL, AVERAGE, RATIO, EXTERNAL, NEW_AVERAGE = (
    "flow",
    "level",
    "average",
    "ratio",
    "external",
    "new_average",
)
COUNT, CNY, USD, PERCENT = "count", "CNY", "USD", "percent"


@dataclass(frozen=True)
class Measure:
    code: str
    label: object
    kind: str
    unit: str = COUNT
    module: str = ""  # the app whose data it reads ("" for the core)
    parts: tuple = ()  # ratio: (numerator, denominator); new_average: (the average measure,)
    lower_is_better: bool = False


# The order is the dashboard's.
MEASURES = [
    Measure("customers", _("Customers"), LEVEL),
    Measure("customers_new", _("New customers"), FLOW),
    Measure("tier_up", _("Tier moves up"), FLOW),
    Measure("tier_down", _("Tier moves down"), FLOW, lower_is_better=True),
    Measure("star_up", _("Star level moves up"), FLOW),
    Measure("star_down", _("Star level moves down"), FLOW, lower_is_better=True),
    Measure("avg_assets", _("Financial assets (daily average)"), AVERAGE, CNY),
    Measure("avg_deposits", _("Deposits (daily average)"), AVERAGE, CNY),
    Measure("avg_loans", _("Loans (daily average)"), AVERAGE, CNY),
    Measure(
        "new_avg_deposits",
        _("New daily-average deposits"),
        NEW_AVERAGE,
        CNY,
        parts=("avg_deposits",),
    ),
    Measure(
        "new_avg_assets",
        _("New daily-average financial assets"),
        NEW_AVERAGE,
        CNY,
        parts=("avg_assets",),
    ),
    Measure("holdings", _("Products held"), LEVEL),
    Measure("cross_sell", _("Products per customer"), RATIO, parts=("holdings", "customers")),
    Measure("visits_planned", _("Visits planned"), FLOW),
    Measure("visits_done", _("Visits done"), FLOW),
    Measure("visits_on_site", _("On-site visits done"), FLOW),
    Measure("visits_branch", _("Branch meetings done"), FLOW),
    Measure("visits_phone", _("Phone calls done"), FLOW),
    Measure("visits_video", _("Video calls done"), FLOW),
    Measure("visits_cold", _("Cold visits done"), FLOW),
    Measure("visits_event", _("Events and salons done"), FLOW),
    Measure("coverage_due", _("Customers under a visit rule"), LEVEL),
    Measure("coverage_met", _("Customers visited within their rule"), LEVEL),
    Measure(
        "coverage", _("Visit coverage"), RATIO, PERCENT, parts=("coverage_met", "coverage_due")
    ),
    Measure("diary_days", _("Diary days filled"), FLOW),
    Measure("reminders_due", _("Reminders due"), FLOW),
    Measure("reminders_on_time", _("Reminders done on time"), FLOW),
    Measure(
        "reminders_rate",
        _("Reminders done on time (share)"),
        RATIO,
        PERCENT,
        parts=("reminders_on_time", "reminders_due"),
    ),
    Measure("archive_complete", _("Customer files complete"), LEVEL),
    Measure(
        "archive_rate",
        _("Archive completeness"),
        RATIO,
        PERCENT,
        parts=("archive_complete", "customers"),
    ),
    # Pipeline (opportunities).
    Measure("pipeline_new", _("Pipeline new amount"), FLOW, CNY, module="opportunities"),
    Measure("pipeline_won", _("Pipeline won amount"), FLOW, CNY, module="opportunities"),
    Measure(
        "pipeline_lost",
        _("Pipeline lost amount"),
        FLOW,
        CNY,
        module="opportunities",
        lower_is_better=True,
    ),
    Measure("opportunities_open", _("Open opportunities"), LEVEL, module="opportunities"),
    # Risk warnings (watchlists).
    Measure("watch_new", _("Watch items raised"), FLOW, module="watchlists"),
    Measure("watch_open", _("Watch items open"), LEVEL, module="watchlists", lower_is_better=True),
    Measure(
        "watch_escalated",
        _("Watch items escalated"),
        FLOW,
        module="watchlists",
        lower_is_better=True,
    ),
    Measure("watch_closed", _("Watch items closed"), FLOW, module="watchlists"),
    Measure(
        "watch_in_time", _("Watch items handled within their limit"), FLOW, module="watchlists"
    ),
    Measure(
        "checks_overdue", _("Loan checks overdue"), LEVEL, module="watchlists", lower_is_better=True
    ),
    # Complaints (service).
    Measure(
        "complaints_received",
        _("Complaints received"),
        FLOW,
        module="service",
        lower_is_better=True,
    ),
    Measure(
        "complaints_overdue", _("Complaints overdue"), LEVEL, module="service", lower_is_better=True
    ),
    Measure(
        "complaints_upheld",
        _("Service complaints upheld"),
        FLOW,
        module="service",
        lower_is_better=True,
    ),
    # Kept elsewhere in the bank, imported per RM and month.
    Measure("intl_settlement", _("International settlement"), EXTERNAL, USD),
    Measure("intermediate_income", _("Intermediate-business income"), EXTERNAL, CNY),
    Measure("interest_collected", _("Interest collected"), EXTERNAL, CNY),
]
BY_CODE = {m.code: m for m in MEASURES}
# The measures stored as a column of the daily facts.
STORED = [m for m in MEASURES if m.kind in (FLOW, LEVEL, AVERAGE)]
STORED_CODES = [m.code for m in STORED]
EXTERNAL_CODES = [m.code for m in MEASURES if m.kind == EXTERNAL]
VISIT_CHANNEL_MEASURES = {
    "on_site": "visits_on_site",
    "branch": "visits_branch",
    "phone": "visits_phone",
    "video": "visits_video",
    "cold": "visits_cold",
    "event": "visits_event",
}


def get(code: str) -> Measure:
    return BY_CODE[code]
