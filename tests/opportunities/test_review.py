"""The head's pipeline review against figures computed by hand on a small book."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities import nightly, review, services
from opportunities.models import Change, LostReason, Opportunity
from tests.conftest import count_queries

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(personas, book, products):
    """A: rm, 100,000, identified, close date pushed, next step overdue (stale).
    B: rm, 200,000 → 250,000, contacted.  C: colleague, 300,000, needs confirmed.
    D: colleague, 50,000, lost (chose another bank).  E: rm, 400,000, won.
    G: rm, 10,000, contacted 20 days ago (stale); its changes are older than a week.
    X: other_rm in branch 2: never in branch 1's review."""
    today = timezone.localdate()
    book.mine.risk_grade, book.mine.risk_assessed_on = "C3", today
    book.mine.save()
    rm, colleague = personas.rm, personas.colleague
    dep, wm = products.deposit, products.wealth
    a = make_opportunity(
        book.mine, rm, lines=[(dep, 100000, 0, False)], expected_close_on=today + timedelta(days=10)
    )
    b = make_opportunity(book.mine, rm, lines=[(wm, 200000, 0, False)])
    c = make_opportunity(book.colleagues, colleague, lines=[(dep, 300000, 0, False)])
    d = make_opportunity(book.colleagues, colleague, lines=[(dep, 50000, 0, False)])
    e = make_opportunity(book.mine, rm, lines=[(dep, 400000, 0, False)])
    g = make_opportunity(book.mine, rm, lines=[(dep, 10000, 0, False)])
    make_opportunity(book.other, personas.other_rm, lines=[(dep, 999999, 0, False)])
    move = services.move_opportunity
    move(actor=rm, opportunity=b, to="contacted")
    move(actor=colleague, opportunity=c, to="contacted")
    move(actor=colleague, opportunity=c, to="needs_confirmed")
    move(
        actor=colleague,
        opportunity=d,
        to="lost",
        lost_reason=LostReason.objects.get(name="选择了他行"),
    )
    move(actor=rm, opportunity=e, to="won")
    move(actor=rm, opportunity=g, to="contacted")
    services.update_opportunity(
        actor=rm, opportunity=a, changes={"expected_close_on": today + timedelta(days=40)}
    )
    services.update_opportunity(actor=rm, opportunity=b, changes={}, lines=[(wm, 250000, 0, False)])
    Opportunity.objects.filter(pk=a.pk).update(next_step_on=today - timedelta(days=1))
    now = timezone.now()
    Opportunity.objects.filter(pk=g.pk).update(
        created_at=now - timedelta(days=10), stage_entered_at=now - timedelta(days=20)
    )
    Change.objects.filter(opportunity=g).update(at=now - timedelta(days=8))
    nightly.snapshot_pipeline()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "g": g}


def figures(f):
    return (f.count, f.amount, f.weighted)


def test_open_pipeline_by_stage_rm_and_in_total(personas, pipeline):
    r = review.build(personas.head)
    assert figures(r.total) == (4, Decimal(660000), Decimal(182000))
    assert {code: figures(f) for code, f in r.by_stage.items()} == {
        "identified": (1, 100000, 10000),
        "contacted": (2, 260000, 52000),
        "needs_confirmed": (1, 300000, 120000),
    }
    assert {personas.rm.pk: (3, 360000, 62000), personas.colleague.pk: (1, 300000, 120000)} == {
        pk: figures(f) for pk, f in r.by_rm.items()
    }
    assert {code: figures(f) for code, f in r.by_category.items()} == {
        "time_deposit": (3, 410000, 132000),
        "wealth": (1, 250000, 50000),
    }


def test_changes_since_last_week(personas, pipeline):
    r = review.build(personas.head)
    assert r.changes == {
        "created": 5,
        "advanced": 3,
        "moved_back": 0,
        "close_pushed": 1,
        "amount_changed": 1,
        "won": 1,
        "lost": 1,
    }
    assert [(str(reason), n) for reason, n in r.lost_reasons] == [("选择了他行", 1)]


def test_stale_list(personas, pipeline):
    r = review.build(personas.head)
    assert {o.pk for o in r.stale} == {pipeline["a"].pk, pipeline["g"].pk}


def test_conversion_per_stage_and_win_rates(personas, pipeline):
    r = review.build(personas.head)
    assert [
        (s.code, at_least, further, rate) for s, _n, at_least, further, rate in r.conversion
    ] == [
        ("identified", 6, 4, 66.7),
        ("contacted", 4, 2, 50.0),
        ("needs_confirmed", 2, 1, 50.0),
        ("proposal", 1, 1, 100.0),
        ("negotiation", 1, 1, 100.0),
    ]
    results = {rm.username: (closed, won, rate) for rm, _f, closed, won, rate, _c in r.rm_results}
    assert results == {"rm": (1, 1, 100.0), "colleague": (1, 0, 0.0)}


def test_forecast_is_the_weighted_amount_of_the_next_three_months(personas, pipeline):
    r = review.build(personas.head)
    total = sum(weighted for _month, weighted in r.forecast)
    in_window = sum(
        (f.weighted for month, f in r.by_month.items() if month in {m for m, _w in r.forecast}),
        Decimal(0),
    )
    assert total == in_window and len(r.forecast) == 3


def test_the_page_shows_the_figures_and_exports_them(client_for, pipeline):
    client = client_for("head")
    page = client.get(reverse("opportunities-review")).content.decode()
    assert 'data-testid="total-count">4<' in page
    export = client.get(reverse("opportunities-review-export"))
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(export.content))
    assert len(book.sheetnames) == 6
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][1:] == (1, 100000, 10000)


def test_review_and_board_make_a_fixed_number_of_queries(client_for, personas, book, products):
    def grow(n):
        for _ in range(n):
            o = make_opportunity(book.mine, personas.rm, lines=[(products.deposit, 1000, 0, False)])
            services.move_opportunity(actor=personas.rm, opportunity=o, to="contacted")

    grow(2)
    nightly.snapshot_pipeline(force=True)
    pages = {
        "head": [reverse("opportunities-review")],
        "rm": [
            reverse("opportunities-board"),
            reverse("opportunities-list"),
            reverse("opportunities-suggestions"),
            reverse("customers-detail", args=[book.mine.pk]),
            "/api/opportunities/",
            "/",
        ],
    }
    few = {p: [count_queries(client_for(p), u) for u in urls] for p, urls in pages.items()}
    grow(15)
    nightly.snapshot_pipeline(force=True)
    many = {p: [count_queries(client_for(p), u) for u in urls] for p, urls in pages.items()}
    assert few == many


def test_the_figures_are_last_nights_and_a_rerun_changes_nothing(personas, pipeline):
    before = review.build(personas.head)
    assert nightly.snapshot_pipeline() is None  # claimed already tonight
    assert nightly.snapshot_pipeline(force=True) > 0
    after = review.build(personas.head)
    assert figures(after.total) == figures(before.total)
    assert after.as_of == timezone.localdate()
