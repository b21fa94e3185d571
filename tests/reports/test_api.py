from datetime import date

import pytest

from tests.conftest import assert_scope
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def facts(personas):
    write_facts(personas.rm, date(2025, 12, 1), date(2025, 12, 31), avg_deposits=100)
    write_facts(personas.rm, date(2026, 1, 1), date(2026, 1, 31), avg_deposits=160)
    return personas


def test_measures_with_their_comparisons(facts, org, api_for):
    response = api_for("head").get(
        f"/api/reports/measures/?measure=avg_deposits&grain=month&on=2026-01-02&branch={org.b1.pk}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "2026-01"
    (row,) = body["results"]
    assert (row["value"], row["mom"], row["ytd"]) == ("160.00", "60.00", "60.00")


def test_measures_scope(facts, org, api_for):
    q = "measure=avg_deposits&on=2026-01-02"
    assert_scope(
        api_for, f"/api/reports/measures/?{q}&branch={org.b1.pk}", allowed={"head", "admin"}
    )
    assert_scope(
        api_for, f"/api/reports/measures/?{q}&rm={facts.rm.pk}", allowed={"rm", "head", "admin"}
    )


def test_measures_refuse_bad_parameters_in_the_users_language(facts, api_for):
    client = api_for("rm")
    response = client.get("/api/reports/measures/?measure=nonsense")
    assert response.status_code == 400
    assert "measure" in response.json()["error"]["fields"]
    assert client.get("/api/reports/measures/?grain=decade").status_code == 400
    assert client.get("/api/reports/measures/?on=2026-13-01").status_code == 400


def test_scorecards_own_for_an_rm_subtree_for_a_head(facts, api_for):
    write_facts(facts.other_rm, date(2026, 1, 1), date(2026, 1, 3), avg_assets=1)
    mine = api_for("rm").get("/api/scorecards/?on=2026-01-05").json()["results"]
    assert [c["rm"] for c in mine] == [facts.rm.pk]
    team = api_for("head").get("/api/scorecards/?on=2026-01-05").json()["results"]
    assert facts.other_rm.pk not in [c["rm"] for c in team]
    assert {facts.rm.pk, facts.colleague.pk} <= {c["rm"] for c in team}
    everyone = api_for("admin").get("/api/scorecards/?on=2026-01-05").json()["results"]
    assert facts.other_rm.pk in [c["rm"] for c in everyone]
    assert api_for("inactive").get("/api/scorecards/").status_code in (401, 403)
