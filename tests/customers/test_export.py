import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from customers.models import SensitiveAccess
from jobs import services as job_services
from jobs.models import Job
from tests.conftest import count_queries
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def export(client, params=None):
    response = client.get(reverse("customers-export"), params or {})
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def customer_rows(workbook):
    return list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))


def about(workbook):
    return [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True)]


def test_the_amount_heading_names_its_unit_and_the_amount_stays_a_number(client_for, book):
    workbook = export(client_for("rm"), {"q": book.mine.customer_no})
    headings = [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]
    assert headings[9] == "月日均金融资产（元）"
    cell = workbook.worksheets[0].cell(row=2, column=10)
    assert cell.value == 500000 and cell.number_format == "#,##0.00"


def test_the_file_states_the_cap_and_the_masking(client_for, book):
    lines = about(export(client_for("rm")))
    assert "每次导出最多 1,000,000 位客户。" in lines
    assert "共 2 位客户。" in lines
    assert "证件号码和手机号码已脱敏显示。" in lines
    assert not any("已达上限" in line for line in lines)


def test_an_admins_file_does_not_claim_masking(client_for, book):
    assert "证件号码和手机号码已脱敏显示。" not in about(export(client_for("admin")))


def test_an_export_past_the_cap_stops_there_says_so_and_records_what_was_written(
    client_for, personas, monkeypatch
):
    monkeypatch.setattr("customers.exports.EXPORT_MAX_ROWS", 3)
    CustomerFactory.create_batch(5, primary_rm=personas.rm)
    workbook = export(client_for("rm"))
    assert len(customer_rows(workbook)) == 3
    assert "本次导出已达上限，还有更多客户符合条件，请缩小筛选范围。" in about(workbook)
    assert workbook.active.title == "导出说明"  # the file opens on the warning
    assert SensitiveAccess.objects.get(action="export").detail["rows"] == 3


def test_an_export_exactly_at_the_cap_does_not_warn(client_for, personas, monkeypatch):
    monkeypatch.setattr("customers.exports.EXPORT_MAX_ROWS", 3)
    CustomerFactory.create_batch(3, primary_rm=personas.rm)
    workbook = export(client_for("rm"))
    assert len(customer_rows(workbook)) == 3
    assert not any("已达上限" in line for line in about(workbook))


def test_the_list_page_states_the_cap_next_to_the_export(client_for, book):
    page = client_for("rm").get(reverse("customers-list")).content.decode()
    assert "每次导出最多 1,000,000 位客户" in page


def test_export_query_count_does_not_grow_with_the_rows(client_for, personas):
    client = client_for("head")
    CustomerFactory.create_batch(20, primary_rm=personas.rm)
    few = count_queries(client, reverse("customers-export"))
    CustomerFactory.create_batch(200, primary_rm=personas.colleague)
    assert count_queries(client, reverse("customers-export")) == few


def test_an_english_export_has_english_headings(client_for, personas, book):
    personas.rm.language = "en"
    personas.rm.save(update_fields=["language"])
    client = client_for("rm")
    workbook = export(client)
    headings = [cell.value for cell in next(workbook.worksheets[0].iter_rows(max_row=1))]
    assert headings[9] == "Monthly average assets (CNY)"


# --- a long list is exported by a background job ------------------------------------------


@pytest.fixture
def short_in_request(monkeypatch):
    monkeypatch.setattr("customers.exports.EXPORT_IN_REQUEST_ROWS", 1)


def job_file(job):
    job.refresh_from_db()
    return load_workbook(io.BytesIO(job_services.read_file(job.result_file)))


def test_a_long_list_asks_then_exports_in_a_background_job(client_for, book, short_in_request):
    client = client_for("rm")
    asked = client.get(reverse("customers-export"), {"sort": "name"})
    assert asked.status_code == 200 and 'data-testid="export-start"' in asked.text
    assert not Job.objects.exists() and not SensitiveAccess.objects.filter(action="export")

    started = client.post(reverse("customers-export"), {"sort": "name"})
    job = Job.objects.get()
    assert started.url == reverse("jobs-detail", args=[job.pk])
    assert job.kind == "customers.export" and job.params == {"query": "sort=name"}
    assert job_services.run_job(job.pk) == Job.State.DONE
    names = [row[1] for row in customer_rows(job_file(job))]
    assert sorted(names) == sorted([book.mine.name, book.assisted.name])  # the RM's scope
    assert SensitiveAccess.objects.get(action="export").detail["rows"] == 2
    download = client.get(reverse("jobs-download", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(("persona", "count"), [("head", 4), ("other_rm", 1), ("admin", 5)])
def test_an_export_job_reads_only_its_owners_customers(
    client_for, personas, book, short_in_request, persona, count
):
    client_for(persona).post(reverse("customers-export"))
    job = Job.objects.get()
    job_services.run_job(job.pk)
    assert len(customer_rows(job_file(job))) == count == job.counts["customers"]


def test_an_export_job_reports_its_progress(client_for, personas, short_in_request, monkeypatch):
    from customers import exports, job_kinds

    CustomerFactory.create_batch(5, primary_rm=personas.rm)
    monkeypatch.setattr(exports._reporting, "__defaults__", (2,))
    reported = []
    monkeypatch.setattr(
        job_kinds, "report_progress", lambda job, done, total=None: reported.append((done, total))
    )
    client_for("rm").post(reverse("customers-export"))
    job_services.run_job(Job.objects.get().pk)
    assert reported == [(0, 5), (2, None), (4, None)]


def test_bad_filters_start_no_export_job(client_for, personas, short_in_request):
    response = client_for("rm").post(reverse("customers-export"), {"birthday_within": "-5"})
    assert response.status_code == 400 and not Job.objects.exists()
