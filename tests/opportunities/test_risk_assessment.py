"""The customer's risk assessment date (risk_assessed_on): the form, the API and the import
agree on what a valid one is (customers.validators.check_customer)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.imports import ImportRejected, import_customers
from customers.models import Customer

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()
LAST_MONTH = (timezone.localdate() - timedelta(days=30)).isoformat()


def test_the_api_takes_a_dated_assessment_and_refuses_one_in_the_future(api_for, book):
    url = f"/api/customers/{book.mine.pk}/"
    bad = api_for("rm").patch(
        url, {"risk_grade": "C3", "risk_assessed_on": TOMORROW}, format="json"
    )
    assert "risk_assessed_on" in bad.json()["error"]["fields"]
    undated = api_for("rm").patch(
        url, {"risk_grade": "", "risk_assessed_on": LAST_MONTH}, format="json"
    )
    assert "risk_assessed_on" in undated.json()["error"]["fields"]
    good = api_for("rm").patch(
        url, {"risk_grade": "C3", "risk_assessed_on": LAST_MONTH}, format="json"
    )
    assert good.status_code == 200 and good.json()["risk_assessed_on"] == LAST_MONTH


def test_the_form_says_the_same(client_for, book):
    client = client_for("rm")
    url = reverse("customers-edit", args=[book.mine.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "tags"}
    data.update(risk_grade="C3", risk_assessed_on=TOMORROW, customer_no=book.mine.customer_no)
    response = client.post(url, data)
    assert "risk_assessed_on" in response.context["form"].errors
    data["risk_assessed_on"] = LAST_MONTH
    assert client.post(url, data).status_code == 302
    book.mine.refresh_from_db()
    assert book.mine.risk_assessed_on.isoformat() == LAST_MONTH


def rows(date_text):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户号", "客户名称", "客户类型", "主办客户经理", "风险等级", "风险评估日期"])
    writer.writerow(["K9001", "风险客户", "个人", "rm", "C4", date_text])
    return out.getvalue().encode()


def test_the_import_reads_the_column_and_refuses_a_future_date(personas):
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="r.csv", data=rows(TOMORROW), actor=personas.admin)
    assert any("风险评估" in e.column or "risk" in e.column for e in rejected.value.errors)
    import_customers(name="r.csv", data=rows(LAST_MONTH), actor=personas.admin)
    assert Customer.objects.get(customer_no="K9001").risk_assessed_on.isoformat() == LAST_MONTH
