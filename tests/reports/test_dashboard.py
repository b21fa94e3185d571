from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.conftest import assert_scope, count_queries
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db
URL = "/reports/"


@pytest.fixture
def facts(personas, org, book):
    write_facts(personas.rm, date(2026, 1, 1), date(2026, 1, 31), avg_deposits=100, customers=3)
    write_facts(personas.other_rm, date(2026, 1, 1), date(2026, 1, 31), avg_deposits=7, customers=1)
    return personas


def test_each_persona_reads_only_its_own_scope(facts, org, client_for):
    q = "&grain=month&on=2026-01-05"
    assert_scope(client_for, f"{URL}?branch={org.b1.pk}{q}", allowed={"head", "admin"})
    assert_scope(client_for, f"{URL}?branch={org.b2.pk}{q}", allowed={"other_head", "admin"})
    assert_scope(client_for, f"{URL}?rm={facts.rm.pk}{q}", allowed={"rm", "head", "admin"})
    assert_scope(
        client_for, f"{URL}?rm={facts.other_rm.pk}{q}", allowed={"other_rm", "other_head", "admin"}
    )
    # Without a branch or RM: everyone opens their own figures.
    assert_scope(
        client_for,
        URL,
        allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
    )


def test_a_bad_id_is_not_found(facts, client_for):
    assert client_for("head").get(f"{URL}?branch=abc").status_code == 404
    assert client_for("rm").get(f"{URL}?rm=99999").status_code == 404


def test_a_head_sees_the_subtree_total_and_drills_down(facts, org, client_for):
    client = client_for("head")
    page = client.get(f"{URL}?branch={org.b1.pk}&grain=month&on=2026-01-05")
    summary = {r["measure"]: r for r in page.context["summary"]}
    assert summary["avg_deposits"]["value"] == 100  # branch 2's 7 is not in it
    units = {u["name"]: u for u in page.context["units"]}
    assert set(units) == {"海淀支行", "朝阳支行"}
    page = client.get(f"{URL}?branch={org.b1a.pk}&grain=month&on=2026-01-05")
    assert [r["name"] for r in page.context["rms"]][0]
    assert facts.rm.pk in [r["id"] for r in page.context["rms"]]
    page = client.get(f"{URL}?rm={facts.rm.pk}&grain=month&on=2026-01-05")
    assert [c.name for c in page.context["customers"]] == ["张伟"]
    assert b'href="/customers/' in page.content


def test_an_admin_starts_at_head_office(facts, org, client_for):
    page = client_for("admin").get(f"{URL}?grain=month&on=2026-01-05")
    summary = {r["measure"]: r for r in page.context["summary"]}
    assert summary["avg_deposits"]["value"] == 107


def test_each_table_exports_to_xlsx(facts, org, client_for):
    client = client_for("head")
    for which in ("summary", "units", "rms"):
        branch = org.b1a if which == "rms" else org.b1
        response = client.get(f"{URL}?branch={branch.pk}&grain=month&on=2026-01-05&export={which}")
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        assert sheet.max_row >= 2
    assert client.get(f"{URL}?export=nonsense").status_code == 404


def test_every_grain_renders(facts, client_for):
    client = client_for("head")
    for grain in ("day", "week", "month", "quarter", "year", "bogus"):
        assert client.get(f"{URL}?grain={grain}&on=2026-01-05").status_code == 200
    assert client.get(f"{URL}?on=not-a-day").status_code == 200


def test_the_page_makes_the_same_number_of_queries_for_more_rms(facts, org, client_for):
    from tests.factories import UserFactory

    client = client_for("head")
    params = {"branch": org.b1a.pk, "grain": "month", "on": "2026-01-05"}
    few = count_queries(client, URL, params)
    for n in range(6):
        rm = UserFactory(username=f"more{n}", branch=org.b1a)
        write_facts(rm, date(2026, 1, 1), date(2026, 1, 3), avg_deposits=1)
    assert count_queries(client, URL, params) == few


def test_the_dashboard_query_budget(facts, org, client_for, django_assert_max_num_queries):
    client = client_for("head")
    client.get(URL)
    with django_assert_max_num_queries(40):
        client.get(f"{URL}?branch={org.b1.pk}&grain=month&on=2026-01-05")


def test_a_risk_manager_reads_the_branch_like_its_head(facts, org, client_for):
    client = client_for("risk")
    assert client.get(f"{URL}?branch={org.b1.pk}&grain=month&on=2026-01-05").status_code == 200
    assert client.get(f"{URL}?branch={org.b2.pk}").status_code == 404
    assert client.get("/reports/ranking/").status_code == 200
