from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import FrozenScore, GradeRecord, PeriodClose, Scheme
from reports.scoring import current_grades
from reports.services import approve, close_period
from tests.conftest import assert_scope
from tests.reports.fixtures import write_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(personas):
    write_facts(
        personas.rm,
        date(2025, 1, 1),
        date(2025, 1, 5),
        avg_assets=60_000_000,
        customers=30,
        branch_rows=False,
    )
    write_facts(
        personas.colleague,
        date(2025, 1, 1),
        date(2025, 1, 5),
        avg_assets=1,
        customers=1,
        branch_rows=False,
    )
    GradeRecord.objects.create(
        rm=personas.colleague, line="retail", grade="senior", since=date(2024, 1, 1)
    )
    GradeRecord.objects.create(
        rm=personas.rm, line="retail", grade="senior", since=date(2024, 1, 1)
    )
    return Scheme.objects.get(line="retail")


def test_closing_freezes_scores_once_and_approval_records_the_move(year, personas):
    close = close_period(scheme=year, day=date(2025, 6, 1), actor=personas.admin)
    assert (close.period_start, close.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    scores = {s.rm_id: s for s in FrozenScore.objects.filter(close=close)}
    # Two seniors: ⌈0.6 × 2⌉ = 2 both qualify, but no quality marks (quality < 80):
    # the first is kept by the 15 % rule (⌈0.3⌉ = rank 1), the second is proposed a demotion.
    assert scores[personas.rm.pk].proposal == "protected"
    assert scores[personas.colleague.pk].proposal == "demote"
    with pytest.raises(ValidationError):
        close_period(scheme=year, day=date(2025, 3, 1), actor=personas.admin)
    demote = scores[personas.colleague.pk]
    assert approve(score=demote, actor=personas.admin) is True
    assert approve(score=demote, actor=personas.admin) is False
    assert current_grades([personas.colleague.pk])[personas.colleague.pk] == ("retail", "rm")
    record = GradeRecord.objects.filter(rm=personas.colleague).order_by("-since").first()
    assert record.since == date(2026, 1, 1) and "2025" in record.reason


def test_only_admins_close(year, personas):
    with pytest.raises(PermissionDenied):
        close_period(scheme=year, day=date(2025, 6, 1), actor=personas.head)


def test_period_pages_are_for_admins(year, personas, client_for):
    assert_scope(client_for, "/reports/periods/", allowed={"admin"})
    response = client_for("admin").post(
        "/reports/periods/", {"scheme": year.pk, "on": "2025-02-01"}
    )
    close = PeriodClose.objects.get()
    assert response.status_code == 302
    assert_scope(client_for, f"/reports/periods/{close.pk}/", allowed={"admin"})
    again = client_for("admin").post("/reports/periods/", {"scheme": year.pk, "on": "2025-02-01"})
    assert again.status_code == 200 and again.context["error"]
    score = FrozenScore.objects.get(rm=personas.colleague)
    client_for("admin").post(f"/reports/periods/{close.pk}/", {"score": [score.pk]})
    score.refresh_from_db()
    assert score.approved_at is not None
