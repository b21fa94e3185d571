from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from reports.models import ExternalFigure
from tests.conftest import assert_scope

pytestmark = pytest.mark.django_db


def upload(text: str, encoding="utf-8", name="figures.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_figures_are_imported_per_rm_and_month(personas, client_for):
    personas.rm.employee_no = "E001"
    personas.rm.save()
    body = (
        "客户经理,月份,国际结算量（美元）,中间业务收入\n"
        "E001,2026-01,500000,1200.5\ncolleague,2026-01,,30\n"
    )
    response = client_for("admin").post("/reports/import/", {"file": upload(body, "gbk")})
    assert response.status_code == 302
    figures = {(f.rm.username, f.measure): f.amount for f in ExternalFigure.objects.all()}
    assert figures == {
        ("rm", "intl_settlement"): Decimal("500000"),
        ("rm", "intermediate_income"): Decimal("1200.50"),
        ("colleague", "intermediate_income"): Decimal("30"),
    }
    assert ExternalFigure.objects.get(rm=personas.rm, measure="intl_settlement").month == date(
        2026, 1, 1
    )


def test_a_bad_row_refuses_the_whole_file_with_row_and_column(personas, client_for):
    body = "客户经理,月份,利息收入\nrm,2026-01,100\nnobody,2026-13,x\n"
    response = client_for("admin").post("/reports/import/", {"file": upload(body)})
    assert response.status_code == 200
    errors = [str(e) for e in response.context["errors"]]
    assert any("3" in e and "客户经理" in e for e in errors)
    assert any("月份" in e for e in errors) and any("利息收入" in e for e in errors)
    assert not ExternalFigure.objects.exists()


def test_import_and_staffing_scope(personas, client_for):
    assert_scope(client_for, "/reports/import/", allowed={"admin"})
    assert_scope(client_for, "/reports/staffing/", allowed={"head", "other_head", "admin"})


def test_outlets_below_the_minimum(personas, org, client_for):
    page = client_for("admin").get("/reports/staffing/")
    short = {row["branch"].code: (row["rms"], row["minimum"]) for row in page.context["short"]}
    # Defaults: 3 RMs in a branch, 1 in an outlet; nobody works at B1, B2 or the outlet.
    assert short == {"B1": (0, 3), "B2": (0, 3), "B1A-O": (0, 1)}
    head = client_for("head").get("/reports/staffing/")
    assert {row["branch"].code for row in head.context["short"]} == {"B1", "B1A-O"}
