"""The nightly jobs: maturities turned into retention opportunities, and gap suggestions.

Both are a handful of set-based statements (INSERT … SELECT), never a loop over customers,
and both are safe to run twice or side by side:

- a retention opportunity is unique per holding and maturity date (a partial unique
  index); lines and suggested products are unique per opportunity and product; every insert
  is ``ON CONFLICT DO NOTHING``;
- the suggestions of a day are claimed first (``NightlyRun``, unique per kind and day): a
  second run, at once or later that day, finds the claim taken and writes nothing. The
  suggestions are unique per customer and category.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from customers.models import Customer, Holding, Product

from .models import (
    Change,
    CrossSellSnapshot,
    NightlyRun,
    Opportunity,
    OpportunityLine,
    PipelineFigure,
    Stage,
    SuggestedProduct,
    Suggestion,
)
from .services import add_months, risk_validity_months

# The holdings a maturity is about: deposits and wealth products.
RETENTION_CATEGORIES = ("time_deposit", "large_cd", "wealth", "bond")
SUGGESTION_DISMISS_DAYS = 90
SUGGESTIONS_PER_CUSTOMER = 3
# A peer group smaller than this says nothing about what customers like these hold.
MIN_PEERS = 5


def maturity_window_days() -> int:
    return getattr(settings, "OPPORTUNITIES_MATURITY_DAYS", 30)


def maturity_min_amount() -> int:
    return getattr(settings, "OPPORTUNITIES_MATURITY_MIN_AMOUNT", 50_000)


def suggestion_share() -> int:
    return getattr(settings, "OPPORTUNITIES_SUGGESTION_SHARE", 40)


def _grade_number(column: str) -> str:
    return (
        f"CASE {column} WHEN 'C1' THEN 1 WHEN 'C2' THEN 2 WHEN 'C3' THEN 3 "
        "WHEN 'C4' THEN 4 WHEN 'C5' THEN 5 ELSE 1 END"
    )


def _level_number(column: str) -> str:
    return (
        f"CASE {column} WHEN 'R1' THEN 1 WHEN 'R2' THEN 2 WHEN 'R3' THEN 3 "
        "WHEN 'R4' THEN 4 WHEN 'R5' THEN 5 ELSE 9 END"
    )


def create_maturity_opportunities(today: date | None = None) -> int:
    """For each active deposit or wealth holding (in CNY) maturing within the window
    (30 days by default) of at least the amount (50,000 CNY by default), a retain
    opportunity for the customer's primary RM: the amount at stake, a line renewing the
    product, and the replacement products of the same or a lower risk level than the
    customer's grade (R1 only while the grade is missing or its assessment has expired).
    Once per holding and maturity date. Returns how many were created."""
    today = today or timezone.localdate()
    stage = Stage.objects.filter(is_final=False).order_by("order").first()
    now = timezone.now()
    with override(settings.LANGUAGE_CODE):
        next_step = _("Call the customer about the maturity: renew or switch")
        title_suffix = _("matures")
    opp, holding, customer, product = (
        Opportunity._meta.db_table,
        Holding._meta.db_table,
        Customer._meta.db_table,
        Product._meta.db_table,
    )
    categories = ", ".join(f"'{c}'" for c in RETENTION_CATEGORIES)
    insert = f"""
        INSERT INTO {opp} (
            customer_id, type, title, stage_id, probability, amount, weighted_amount,
            expected_revenue, expected_close_on, next_step, next_step_on, source, competitor,
            mode, owner_share, owner_id, holding_id, holding_matures_on, category, lost_note,
            close_pushes, reached_order, created_at, updated_at, stage_entered_at
        )
        SELECT c.id, 'retain', p.name || ' ' || %s, %s, %s, h.amount,
               ROUND(h.amount * %s / 100.0, 2), 0, h.matures_on, %s, %s, 'maturity', '',
               'alone', 100, c.primary_rm_id, h.id, h.matures_on, p.category, '', 0, %s, %s, %s,
               %s
        FROM {holding} h
        JOIN {product} p ON p.id = h.product_id
        JOIN {customer} c ON c.id = h.customer_id
        WHERE h.status = 'active' AND h.matures_on >= %s AND h.matures_on <= %s
          AND h.amount >= %s AND h.currency = 'CNY' AND p.category IN ({categories})
          AND c.archived_at IS NULL AND c.primary_rm_id IS NOT NULL
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    lines = f"""
        INSERT INTO {OpportunityLine._meta.db_table}
            (opportunity_id, product_id, amount, expected_revenue, dual_recorded)
        SELECT o.id, h.product_id, o.amount, 0, %s
        FROM {opp} o JOIN {holding} h ON h.id = o.holding_id
        WHERE o.source = 'maturity' AND o.created_at >= %s
          AND NOT EXISTS (
              SELECT 1 FROM {OpportunityLine._meta.db_table} l WHERE l.opportunity_id = o.id
          )
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    valid_since = add_months(today, -risk_validity_months())
    grade = f"CASE WHEN c.risk_assessed_on > %s THEN {_grade_number('c.risk_grade')} ELSE 1 END"
    suggested = f"""
        INSERT INTO {SuggestedProduct._meta.db_table} (opportunity_id, product_id)
        SELECT o.id, p.id
        FROM {opp} o
        JOIN {customer} c ON c.id = o.customer_id
        JOIN {product} p ON p.is_active AND p.matures AND p.category IN ({categories})
        WHERE o.source = 'maturity' AND o.created_at >= %s
          AND {_level_number("p.risk_level")} <= {grade}
        ON CONFLICT DO NOTHING
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            insert,
            [
                title_suffix,
                stage.code,
                stage.probability,
                stage.probability,
                next_step,
                today + timedelta(days=1),
                stage.order,
                now,
                now,
                now,
                today,
                today + timedelta(days=maturity_window_days()),
                maturity_min_amount(),
            ],
        )
        created = max(cursor.rowcount, 0)
        since = now - timedelta(minutes=1)
        cursor.execute(lines, [False, since])
        cursor.execute(suggested, [since, valid_since])
    return created


def claim_run(kind: str, day: date) -> NightlyRun | None:
    """Claim one night's run of a job; None when another run has it already."""
    try:
        with transaction.atomic():
            return NightlyRun.objects.create(kind=kind, day=day)
    except IntegrityError:
        return None


def compute_suggestions(
    today: date | None = None, *, force: bool = False, share: int | None = None
) -> int | None:
    """Write each customer's gap suggestions: the product categories held (in an active
    holding) by at least P % (40 % by default) of the live customers of the same kind and
    asset tier, that this customer does not hold, best three first (the most widely held).
    A category the RM dismissed stays out until the dismissal ends (90 days).

    Claimed once per day: a second run (concurrent or later the same day) returns None and
    writes nothing; ``force`` recomputes anyway (still one row per customer and category).
    ``share`` overrides P (the demo data's holdings are spread evenly, under 40 % each).
    Returns the number of suggestions written."""
    today = today or timezone.localdate()
    if claim_run("suggestions", today) is None and not force:
        return None
    table = Suggestion._meta.db_table
    customer, holding, product = (
        Customer._meta.db_table,
        Holding._meta.db_table,
        Product._meta.db_table,
    )
    # The categories held by at least P % of each peer group: a few dozen rows, read first
    # so that the planner knows their number when it joins them to every customer.
    popular_sql = f"""
        WITH held AS (
            SELECT DISTINCT h.customer_id, p.category
            FROM {holding} h JOIN {product} p ON p.id = h.product_id
            WHERE h.status = 'active'
        ),
        peers AS (
            SELECT kind, COALESCE(asset_tier_id, 0) AS tier, COUNT(*) AS n
            FROM {customer} WHERE archived_at IS NULL
            GROUP BY kind, COALESCE(asset_tier_id, 0)
        ),
        holders AS (
            SELECT c.kind, COALESCE(c.asset_tier_id, 0) AS tier, held.category, COUNT(*) AS k
            FROM held JOIN {customer} c ON c.id = held.customer_id
            WHERE c.archived_at IS NULL
            GROUP BY c.kind, COALESCE(c.asset_tier_id, 0), held.category
        )
        SELECT holders.kind, holders.tier, holders.category,
               ROUND(100.0 * holders.k / peers.n, 1)
        FROM holders JOIN peers ON peers.kind = holders.kind AND peers.tier = holders.tier
        WHERE 100.0 * holders.k >= %s * peers.n AND peers.n >= %s
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE dismissed_until IS NULL OR dismissed_until <= %s",  # noqa: S608
            [today],
        )
        cursor.execute(popular_sql, [share or suggestion_share(), MIN_PEERS])
        popular = cursor.fetchall()
        written = 0
        if popular:
            values = ", ".join(["(%s, %s, %s, %s)"] * len(popular))
            insert = f"""
                INSERT INTO {table} (customer_id, category, rank, peer_share, computed_on)
                WITH popular(kind, tier, category, share) AS (VALUES {values}),
                candidates AS (
                    SELECT c.id AS customer_id, popular.category, popular.share,
                           ROW_NUMBER() OVER (
                               PARTITION BY c.id ORDER BY popular.share DESC, popular.category
                           ) AS pos
                    FROM {customer} c
                    JOIN popular
                      ON popular.kind = c.kind AND popular.tier = COALESCE(c.asset_tier_id, 0)
                    WHERE c.archived_at IS NULL
                      AND NOT EXISTS (
                          SELECT 1 FROM {holding} h JOIN {product} p ON p.id = h.product_id
                          WHERE h.customer_id = c.id AND h.status = 'active'
                            AND p.category = popular.category
                      )
                      AND NOT EXISTS (
                          SELECT 1 FROM {table} s
                          WHERE s.customer_id = c.id AND s.category = popular.category
                            AND s.dismissed_until > %s
                      )
                )
                SELECT customer_id, category, pos, share, %s FROM candidates
                WHERE pos <= %s
                ON CONFLICT DO NOTHING
            """  # noqa: S608
            params = [value for row in popular for value in row]
            cursor.execute(insert, [*params, today, today, SUGGESTIONS_PER_CUSTOMER])
            written = max(cursor.rowcount, 0)
        snapshot_cross_sell(cursor, today)
    NightlyRun.objects.filter(kind="suggestions", day=today).update(
        finished_at=timezone.now(), rows=written
    )
    return written


def snapshot_cross_sell(cursor, today: date) -> None:
    """Products per customer of each RM's book today (distinct products in active holdings
    over live customers), once per RM and day."""
    customer, holding = Customer._meta.db_table, Holding._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {CrossSellSnapshot._meta.db_table} (rm_id, day, customers, products)
        SELECT book.rm, %s, book.n, COALESCE(held.k, 0)
        FROM (
            SELECT primary_rm_id AS rm, COUNT(*) AS n FROM {customer}
            WHERE archived_at IS NULL AND primary_rm_id IS NOT NULL GROUP BY primary_rm_id
        ) book
        LEFT JOIN (
            SELECT c.primary_rm_id AS rm, COUNT(*) AS k
            FROM (
                SELECT DISTINCT customer_id, product_id FROM {holding} WHERE status = 'active'
            ) x
            JOIN {customer} c ON c.id = x.customer_id
            WHERE c.archived_at IS NULL
            GROUP BY c.primary_rm_id
        ) held ON held.rm = book.rm
        WHERE book.rm IS NOT NULL
        ON CONFLICT DO NOTHING
        """,  # noqa: S608
        [today],
    )


def dismiss_suggestion(*, actor, suggestion: Suggestion, today: date | None = None):
    """Dismissed by the RM: out of sight for 90 days, and not suggested again meanwhile."""
    today = today or timezone.localdate()
    Suggestion.objects.filter(pk=suggestion.pk).update(
        dismissed_until=today + timedelta(days=SUGGESTION_DISMISS_DAYS), dismissed_by=actor
    )


def _month(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def snapshot_pipeline(today: date | None = None, *, force: bool = False) -> int | None:
    """Add up the pipeline per branch and owner for the heads' review (``PipelineFigure``):
    three INSERT … SELECT over live customers' opportunities, then the previous nights are
    dropped. Claimed once per day like the suggestions; returns the rows written."""
    today = today or timezone.localdate()
    if claim_run("pipeline", today) is None and not force:
        return None
    table, opp, customer, stage = (
        PipelineFigure._meta.db_table,
        Opportunity._meta.db_table,
        Customer._meta.db_table,
        Stage._meta.db_table,
    )
    columns = (
        "day, kind, branch_id, owner_id, stage_id, category, month, reached_order, n, amount, "
        "weighted, won, cycle_days, lost_reason_id"
    )
    change = Change._meta.db_table
    live = f"FROM {opp} o JOIN {customer} c ON c.id = o.customer_id WHERE c.archived_at IS NULL"
    month = _month("o.expected_close_on")
    statements = [
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'open', c.branch_id, o.owner_id, o.stage_id, o.category, {month}, 0,
               COUNT(*), SUM(o.amount), SUM(o.weighted_amount), 0, 0, NULL
        {live} AND o.closed_at IS NULL
        GROUP BY c.branch_id, o.owner_id, o.stage_id, o.category, {month}""",
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'reached', c.branch_id, o.owner_id, '', '', NULL, o.reached_order,
               COUNT(*), 0, 0, 0, 0, NULL
        {live}
        GROUP BY c.branch_id, o.owner_id, o.reached_order""",
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'closed', c.branch_id, o.owner_id, '', '', NULL, 0, COUNT(*), 0, 0,
               SUM(CASE WHEN s.is_won THEN 1 ELSE 0 END), COALESCE(SUM(o.cycle_days), 0), NULL
        FROM {opp} o JOIN {customer} c ON c.id = o.customer_id
        JOIN {stage} s ON s.code = o.stage_id
        WHERE c.archived_at IS NULL AND o.closed_at >= %s
        GROUP BY c.branch_id, o.owner_id""",  # noqa: S608
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'week', c.branch_id, o.owner_id, 'created', '', NULL, 0, COUNT(*), 0, 0, 0,
               0, NULL
        {live} AND o.created_at >= %s
        GROUP BY c.branch_id, o.owner_id""",  # noqa: S608
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'week', c.branch_id, o.owner_id, ch.kind, '', NULL, 0, COUNT(*), 0, 0, 0,
               0, NULL
        FROM {change} ch JOIN {opp} o ON o.id = ch.opportunity_id
        JOIN {customer} c ON c.id = o.customer_id
        WHERE c.archived_at IS NULL AND ch.at >= %s
        GROUP BY c.branch_id, o.owner_id, ch.kind""",  # noqa: S608
        f"""INSERT INTO {table} ({columns})
        SELECT %s, 'lost', c.branch_id, o.owner_id, '', '', NULL, 0, COUNT(*), 0, 0, 0, 0,
               o.lost_reason_id
        {live} AND o.closed_at >= %s AND o.lost_reason_id IS NOT NULL
        GROUP BY c.branch_id, o.owner_id, o.lost_reason_id""",  # noqa: S608
    ]
    now = timezone.now()
    since, week_ago = now - timedelta(days=365), now - timedelta(days=7)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE day = %s", [today])  # noqa: S608
        every = ([today], [today], [today, since], *([today, week_ago],) * 3)
        for sql, params in zip(statements, every, strict=True):
            cursor.execute(sql, params)
            written += max(cursor.rowcount, 0)
        cursor.execute(f"DELETE FROM {table} WHERE day < %s", [today])  # noqa: S608
    NightlyRun.objects.filter(kind="pipeline", day=today).update(
        finished_at=timezone.now(), rows=written
    )
    return written
