import csv
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from customers.imports import ImportRejected
from watchlists.imports import import_risk_signals
from watchlists.models import RiskSignal, WatchItem

HEADER = [
    "客户号",
    "数据日期",
    "逾期天数",
    "逾期本金",
    "欠息金额",
    "五级分类",
    "外部评级",
    "账户状态",
    "事件",
]


def rows_for(book):
    return [
        [
            book.mine.customer_no,
            "2026-11-20",
            "35",
            "10000",
            "523.5",
            "关注",
            "AA",
            "正常",
            "延迟付息",
        ],
        [book.other.customer_no, "2026/11/20", "0", "", "", "正常", "A+", "冻结", "司法冻结"],
        [book.colleagues.customer_no, "20261120", "", "", "", "次级", "", "", ""],
    ]


def csv_bytes(rows, encoding="utf-8", header=HEADER):
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


FILES = {
    "utf-8.csv": lambda rows: csv_bytes(rows, "utf-8"),
    "utf-8-bom.csv": lambda rows: csv_bytes(rows, "utf-8-sig"),
    "gbk.csv": lambda rows: csv_bytes(rows, "gbk"),
    "excel.xlsx": xlsx_bytes,
}


@pytest.mark.parametrize("name", FILES)
def test_good_files_import_in_every_encoding(book, name):
    result = import_risk_signals(name=name, data=FILES[name](rows_for(book)))
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    mine = RiskSignal.objects.get(customer=book.mine)
    assert (mine.as_of, mine.overdue_days, mine.classification, mine.rating_rank) == (
        date(2026, 11, 20),
        35,
        2,
        3,
    )
    assert RiskSignal.objects.get(customer=book.other).account_status == "frozen"
    again = import_risk_signals(name=name, data=FILES[name](rows_for(book)))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def bad_rows(book):
    rows = rows_for(book)
    rows[0][2] = "三十"  # days
    rows[1][5] = "很差"  # classification
    rows[2][0] = "NOPE"  # customer
    return rows


@pytest.mark.parametrize("name", FILES)
def test_bad_files_are_rejected_whole_with_row_and_column(book, name):
    with translation.override("zh-hans"), pytest.raises(ImportRejected) as rejected:
        import_risk_signals(name=name, data=FILES[name](bad_rows(book)))
    found = [(e.row, e.column) for e in rejected.value.errors]
    assert found == [(2, "逾期天数"), (3, "五级分类"), (4, "客户号")]
    assert "不是" in str(rejected.value.errors[1]) or "not one of" in str(rejected.value.errors[1])
    assert RiskSignal.objects.count() == 0


def test_missing_required_column_and_duplicate_rows(book):
    with pytest.raises(ImportRejected) as rejected:
        import_risk_signals(name="x.csv", data=csv_bytes(rows_for(book), header=HEADER[2:]))
    assert {e.column for e in rejected.value.errors} == {"客户号", "数据日期"}
    rows = rows_for(book)
    with pytest.raises(ImportRejected) as rejected:
        import_risk_signals(name="x.csv", data=csv_bytes([*rows, rows[0]]))
    assert [(e.row, e.column) for e in rejected.value.errors] == [(5, "数据日期")]


def test_english_headers(book):
    header = ["customer_no", "as_of", "overdue_days", "classification", "account_status"]
    data = csv_bytes(
        [[book.mine.customer_no, "2026-11-20", "91", "substandard", "frozen"]], header=header
    )
    assert import_risk_signals(name="en.csv", data=data).created == 1


def test_command_imports_and_evaluates(book, tmp_path, capsys):
    path = tmp_path / "risk.csv"
    path.write_bytes(csv_bytes(rows_for(book), "gb18030"))
    call_command("import_risk_signals", str(path), "--evaluate")
    levels = dict(WatchItem.objects.filter(rule="overdue").values_list("customer_id", "level"))
    assert levels == {book.mine.pk: 2, book.colleagues.pk: 3}
    assert WatchItem.objects.filter(rule="account_status", customer=book.other).exists()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(bad_rows(book)))
    with pytest.raises(CommandError):
        call_command("import_risk_signals", str(bad))


def test_import_page_is_for_admins_and_refuses_a_bad_file_whole(client_for, book, risk):
    from django.urls import reverse

    from jobs.models import Job
    from jobs.services import run_job
    from tests.conftest import assert_scope

    from .conftest import WATCH_PERSONAS

    url = reverse("watchlists-import")
    assert_scope(
        client_for,
        url,
        allowed={"admin"},
        visible=set(WATCH_PERSONAS) - {"admin", "inactive"},
        personas=WATCH_PERSONAS,
    )
    client = client_for("admin")
    bad = io.BytesIO(csv_bytes(bad_rows(book), "gb18030"))
    bad.name = "bad.csv"
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert len(response.context["errors"]) == 3 and RiskSignal.objects.count() == 0
    good = io.BytesIO(csv_bytes(rows_for(book)))
    good.name = "good.csv"
    response = client.post(url, {"file": good})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "jobs-detail", args=[job.pk]
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert RiskSignal.objects.count() == 3
    assert WatchItem.objects.filter(rule="overdue").count() == 2
