from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from reports.models import Scheme
from tests.conftest import assert_scope
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(personas, org):
    write_facts(
        personas.rm,
        date(2026, 1, 1),
        date(2026, 1, 10),
        avg_assets=30_000_000,
        customers=25,
        branch_rows=False,
    )
    write_facts(
        personas.colleague,
        date(2026, 1, 1),
        date(2026, 1, 10),
        avg_assets=50_000_000,
        customers=20,
        branch_rows=False,
    )
    write_facts(
        personas.other_rm,
        date(2026, 1, 1),
        date(2026, 1, 10),
        avg_assets=40_000_000,
        customers=30,
        branch_rows=False,
    )
    return personas


def test_an_rm_sees_their_own_scorecard_and_the_what_if_line(assessed, client_for):
    page = client_for("rm").get("/reports/scorecard/?on=2026-01-05")
    card = page.context["card"]
    assert card.rm_id == assessed.rm.pk
    assert (card.rank, card.peers) == (3, 3)
    # Retail default scheme: 30 × 30/50 + 25 (new assets, capped at 120 %: 30) + customers
    # ranked 2nd of 3 (7.5) + no complaints (10) = 65.5; the line (rank ⌈0.6 × 3⌉ = 2) is
    # the colleague's 70. 4.5 points of the financial-assets indicator (30 per 50,000,000):
    assert card.score == 65.5 and card.to_line == 4.5
    assert not card.qualifies
    best = card.what_if[0]
    assert (best["measure"], best["delta"], best["rank"], best["peers"]) == (
        "avg_assets",
        7_500_000,
        2,
        3,
    )
    assert "金融资产日均再增加 7,500,000.00 元" in page.content.decode()


def test_scorecard_scope(assessed, client_for):
    url = f"/reports/scorecard/?rm={assessed.rm.pk}&on=2026-01-05"
    assert_scope(client_for, url, allowed={"rm", "head", "admin"})
    url = f"/reports/scorecard/?rm={assessed.other_rm.pk}&on=2026-01-05"
    assert_scope(client_for, url, allowed={"other_rm", "other_head", "admin"})


def test_ranking_scope_and_subtree(assessed, client_for):
    assert_scope(
        client_for, "/reports/ranking/?on=2026-01-05", allowed={"head", "other_head", "admin"}
    )
    page = client_for("head").get("/reports/ranking/?on=2026-01-05")
    names = [c.rm_id for g in page.context["peer_groups"] for c, _b in g["cards"]]
    assert sorted(names) == sorted([assessed.rm.pk, assessed.colleague.pk])
    # Ranks are those of the whole peer group (three retail RMs), not of the head's team.
    ranks = {c.rm_id: c.rank for g in page.context["peer_groups"] for c, _b in g["cards"]}
    assert ranks[assessed.colleague.pk] == 2 and ranks[assessed.rm.pk] == 3


def test_the_ranking_exports(assessed, client_for):
    scheme = Scheme.objects.get(line="retail")
    response = client_for("admin").get(
        f"/reports/ranking/?scheme={scheme.pk}&on=2026-01-05&export=xlsx"
    )
    sheet = load_workbook(BytesIO(response.content)).active
    assert sheet.max_row == 4


def test_bad_parameters_are_not_found(assessed, client_for):
    assert client_for("rm").get("/reports/scorecard/?on=garbage").status_code == 404
    assert client_for("rm").get("/reports/scorecard/?scheme=9999").status_code == 404


def test_ranking_query_budget(assessed, client_for, django_assert_max_num_queries):
    client = client_for("head")
    client.get("/reports/ranking/?on=2026-01-05")
    with django_assert_max_num_queries(30):
        client.get("/reports/ranking/?on=2026-01-05")
