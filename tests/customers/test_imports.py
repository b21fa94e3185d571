import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from customers.imports import ImportRejected, import_balances, import_customers, import_holdings
from customers.models import Assignment, Customer, Holding, MonthlyBalance
from jobs import services as job_services
from jobs.models import Job
from tests.conftest import PERSONAS
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "客户号",
    "客户名称",
    "客户类型",
    "主办客户经理",
    "性别",
    "出生日期",
    "证件类型",
    "证件号码",
    "手机号码",
]
GOOD_ROWS = [
    [
        "K0001",
        "单丽",
        "个人",
        "rm",
        "女",
        "1985-03-02",
        "居民身份证",
        "11010519491231002X",
        "13812345678",
    ],
    [
        "K0002",
        "曾强",
        "individual",
        "colleague",
        "男",
        "1979/12/31",
        "resident_id",
        "440524188001010014",
        "+86 139 0000 1111",
    ],
    [
        "K0003",
        "北京星辰科技有限公司",
        "对公",
        "rm",
        "",
        "",
        "统一社会信用代码",
        "91350100M000100Y43",
        "",
    ],
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


def archive_state():
    """Everything an import could touch, to prove a rejected file changed nothing."""
    return (
        sorted(
            Customer.objects.values_list(
                "customer_no", "name", "mobile", "primary_rm_id", "updated_at"
            )
        ),
        Holding.objects.count(),
        MonthlyBalance.objects.count(),
        Assignment.objects.count(),
        Customer.history.count(),
    )


FILES = {
    "utf-8.csv": lambda rows: csv_bytes(rows, "utf-8"),
    "utf-8-bom.csv": lambda rows: csv_bytes(rows, "utf-8-sig"),
    "gb18030.csv": lambda rows: csv_bytes(rows, "gb18030"),
    "excel.xlsx": xlsx_bytes,
}


@pytest.mark.parametrize("name", FILES)
def test_good_files_import_in_every_encoding(personas, name):
    result = import_customers(name=name, data=FILES[name](GOOD_ROWS), actor=personas.admin)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    single = Customer.objects.get(customer_no="K0001")
    assert single.name == "单丽" and single.name_pinyin == "shanli" and single.gender == "F"
    assert single.primary_rm == personas.rm and single.branch == personas.rm.branch
    assert Customer.objects.get(customer_no="K0002").mobile == "13900001111"
    assert Customer.objects.get(customer_no="K0003").kind == "corporate"
    assert Assignment.objects.filter(customer=single, rm=personas.rm, role="primary").exists()
    assert single.history.first().history_change_reason == f"导入自 {name}"


@pytest.mark.parametrize("name", FILES)
def test_importing_the_same_file_twice_changes_nothing(personas, name):
    data = FILES[name](GOOD_ROWS)
    import_customers(name=name, data=data, actor=personas.admin)
    before = archive_state()
    result = import_customers(name=name, data=data, actor=personas.admin)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert archive_state() == before


def test_a_changed_row_updates_the_customer_and_moves_the_rm(personas):
    import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS), actor=personas.admin)
    changed = [list(GOOD_ROWS[0]), *GOOD_ROWS[1:]]
    changed[0][3] = "colleague"
    result = import_customers(name="b.csv", data=csv_bytes(changed), actor=personas.admin)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    customer = Customer.objects.get(customer_no="K0001")
    assert customer.primary_rm == personas.colleague
    assert Assignment.objects.get(customer=customer, rm=personas.rm).ended_at is not None


BAD = [
    (
        "missing column",
        lambda rows: csv_bytes([r[:3] + r[4:] for r in rows], header=HEADER[:3] + HEADER[4:]),
        1,
        "主办客户经理",
    ),
    (
        "bad date",
        lambda rows: csv_bytes([rows[0], [*rows[1][:5], "1979-13-45", *rows[1][6:]], rows[2]]),
        3,
        "出生日期",
    ),
    (
        "bad check digit",
        lambda rows: csv_bytes([rows[0], rows[1], [*rows[2][:7], "91350100M000100Y44", ""]]),
        4,
        "证件号码",
    ),
    (
        "unknown RM",
        lambda rows: csv_bytes([[*rows[0][:3], "nobody", *rows[0][4:]], *rows[1:]]),
        2,
        "主办客户经理",
    ),
    (
        "duplicate key",
        lambda rows: csv_bytes([*rows, rows[0][:1] + ["别人", *rows[0][2:7], "", ""]]),
        5,
        "客户号",
    ),
    ("bad mobile", lambda rows: csv_bytes([[*rows[0][:8], "12345"], *rows[1:]]), 2, "手机号码"),
    (
        "bad kind",
        lambda rows: csv_bytes([[*rows[0][:2], "外星人", *rows[0][3:]], *rows[1:]]),
        2,
        "客户类型",
    ),
]


@pytest.mark.parametrize(("case", "build", "row", "column"), BAD, ids=[b[0] for b in BAD])
def test_one_bad_row_rejects_the_whole_file_and_says_where(personas, case, build, row, column):
    CustomerFactory(customer_no="K0009", primary_rm=personas.rm)
    before = archive_state()
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="bad.csv", data=build(GOOD_ROWS), actor=personas.admin)
    assert (row, column) in {(e.row, e.column) for e in rejected.value.errors}, (
        rejected.value.errors
    )
    assert archive_state() == before


@pytest.mark.parametrize("name", ["bad.xlsx", "bad.csv", "bad.txt"])
def test_unreadable_files_are_rejected(personas, name):
    with pytest.raises(ImportRejected):
        import_customers(name=name, data=b"\x00\x01\xff\xfe garbage \xc3", actor=personas.admin)


def test_an_id_number_of_another_customer_is_refused(personas):
    CustomerFactory(
        customer_no="OTHER", id_number="11010519491231002X", primary_rm=personas.other_rm
    )
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS), actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "证件号码")]


def test_holdings_and_balances_import_and_reject(personas):
    import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS), actor=personas.admin)
    ProductFactory(code="TD-1Y")
    holdings = csv_bytes(
        [["K0001", "TD-1Y", "6222001", "100,000.00", "CNY", "2026-01-01", "2027-01-01", "active"]],
        header=["客户号", "产品代码", "账号", "金额", "币种", "开立日期", "到期日", "状态"],
    )
    assert import_holdings(name="h.csv", data=holdings, actor=personas.admin).created == 1
    assert import_holdings(name="h.csv", data=holdings, actor=personas.admin).unchanged == 1
    unknown = holdings.replace(b"TD-1Y", b"NOPE")
    with pytest.raises(ImportRejected) as rejected:
        import_holdings(name="h.csv", data=unknown, actor=personas.admin)
    assert rejected.value.errors[0].column == "产品代码"

    balances = csv_bytes(
        [["K0001", "2026-09", "250000", "100"], ["K0001", "2026-10", "260000", "120"]],
        header=["客户号", "月份", "日均金融资产", "星点值"],
    )
    assert import_balances(name="b.csv", data=balances, actor=personas.admin).created == 2
    with pytest.raises(ImportRejected):
        import_balances(
            name="b.csv", data=balances.replace(b"2026-10", b"2026-09"), actor=personas.admin
        )
    assert MonthlyBalance.objects.count() == 2


def test_the_command_imports_and_exits_non_zero_on_a_bad_file(personas, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS, "gb18030"))
    call_command("import_customers", str(good), "--dry-run")
    assert Customer.objects.count() == 0 and "0" in capsys.readouterr().out
    call_command("import_customers", str(good))
    assert Customer.objects.count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([[*GOOD_ROWS[0][:3], "nobody", *GOOD_ROWS[0][4:]]]))
    with pytest.raises(CommandError):
        call_command("import_customers", str(bad))
    assert "第 2 行" in capsys.readouterr().err


def test_the_command_exits_non_zero_for_a_missing_file(db):
    with pytest.raises(CommandError):
        call_command("import_holdings", "/no/such/file.csv")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_admins_import(client_for, persona):
    assert client_for(persona).get(reverse("customers-import")).status_code == (
        200 if persona == "admin" else 403
    )


def check(client, rows=GOOD_ROWS, name="archive.xlsx", data=None):
    upload = io.BytesIO(data or xlsx_bytes(rows))
    upload.name = name
    return client.post(
        reverse("customers-import"), {"step": "check", "kind": "customers", "file": upload}
    )


def confirm(client, token, kind="customers"):
    return client.post(
        reverse("customers-import"), {"step": "confirm", "kind": kind, "token": token}
    )


def test_the_page_checks_then_imports_in_a_background_job(client_for, personas):
    client = client_for("admin")
    checked = check(client)
    assert checked.context["result"].created == 3 and Customer.objects.count() == 0
    done = confirm(client, checked.context["token"])
    job = Job.objects.get()
    assert done.status_code == 302 and done.url == reverse("jobs-detail", args=[job.pk])
    assert job.owner == personas.admin and job.state == Job.State.QUEUED
    assert Customer.objects.count() == 0  # the worker writes

    assert job_services.run_job(job.pk) == Job.State.DONE
    assert Customer.objects.count() == 3
    job.refresh_from_db()
    assert job.counts == {"created": 3, "updated": 0, "unchanged": 0}
    page = client.get(done.url).content.decode()
    assert "archive.xlsx" in page and "3" in job.message


def test_the_confirmed_upload_is_read_from_storage_by_any_web_server(client, client_for, personas):
    data = xlsx_bytes(GOOD_ROWS)
    checked = check(client_for("admin"), data=data)
    client.logout()
    client.force_login(personas.admin)  # another session, as on another web server
    assert confirm(client, checked.context["token"]).status_code == 302
    job = Job.objects.get()
    assert job_services.read_file(job.input_file) == data


@pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="on PostgreSQL the writer thread shares the connection with this in-process "
    "simulation; tests/jobs/test_worker.py kills a real worker instead",
)
def test_the_import_job_reports_progress_per_chunk(client_for, personas, monkeypatch):
    from customers import imports, job_kinds

    monkeypatch.setattr(imports, "WRITE_CHUNK", 1)
    reported = []

    def recording(job, done, total=None):
        # No query here: on PostgreSQL the connection is busy with the writer's COPY.
        reported.append((done, total))
        job_services.report_progress(job, done, total)

    monkeypatch.setattr(job_kinds, "report_progress", recording)
    client = client_for("admin")
    confirm(client, check(client).context["token"])
    job_services.run_job(Job.objects.get().pk)
    assert reported == [(1, 3), (2, 3), (3, 3)]
    assert Customer.objects.count() == 3


def test_a_file_the_archive_refuses_by_the_time_it_runs_fails_with_its_report(client_for, personas):
    client = client_for("admin")
    token = check(client).context["token"]
    personas.colleague.is_active = False
    personas.colleague.save()
    confirm(client, token)
    job = Job.objects.get()
    assert job_services.run_job(job.pk) == Job.State.FAILED
    job.refresh_from_db()
    assert Customer.objects.count() == 0
    assert "未导入" in job.message and job.counts == {"problems": 1}
    download = client.get(reverse("jobs-download", args=[job.pk]))
    rows = list(read_xlsx(b"".join(download.streaming_content)).iter_rows(values_only=True))
    assert len(rows) == 4 and "主办客户经理" in rows[2][9]


@pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason="on PostgreSQL the writer thread shares the connection with this in-process "
    "simulation; tests/jobs/test_worker.py kills a real worker instead",
)
def test_a_worker_killed_mid_import_leaves_the_archive_unchanged_and_the_job_failed(
    client_for, personas, monkeypatch
):
    from django.utils import timezone

    from customers import imports, job_kinds

    class WorkerKilled(BaseException):
        """Not an error the job could catch: the process is gone."""

    monkeypatch.setattr(imports, "WRITE_CHUNK", 1)

    def killed_after_two_chunks(job, done, total=None):
        if done == 2:  # two chunks were handed to the writer
            raise WorkerKilled

    monkeypatch.setattr(job_kinds, "report_progress", killed_after_two_chunks)
    client = client_for("admin")
    confirm(client, check(client).context["token"])
    job = Job.objects.get()
    with pytest.raises(WorkerKilled):
        job_services.run_job(job.pk)
    assert Customer.objects.count() == 0 and Assignment.objects.count() == 0
    assert Job.objects.get().state == Job.State.RUNNING  # as a killed worker leaves it
    later = timezone.now() + timedelta(seconds=settings.JOB_STALE_SECONDS + 1)
    assert job_services.fail_stale_jobs(now=later) == 1
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "中断" in job.message


def test_a_token_for_another_kind_is_refused(client_for, personas):
    client = client_for("admin")
    assert confirm(client, check(client).context["token"], kind="holdings").status_code == 302
    assert not Job.objects.exists()


def test_the_page_shows_row_errors_of_a_bad_file(client_for, personas):
    upload = io.BytesIO(csv_bytes([[*GOOD_ROWS[0][:7], "110105194912310021", ""]]))
    upload.name = "bad.csv"
    response = client_for("admin").post(
        reverse("customers-import"), {"step": "check", "kind": "customers", "file": upload}
    )
    errors = response.context["errors"]
    assert [(e.row, e.column) for e in errors] == [(2, "证件号码")]
    assert "校验位" in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_token_of_another_admin_is_refused(client_for, personas):
    response = client_for("admin").post(
        reverse("customers-import"),
        {"step": "confirm", "kind": "customers", "token": "999-abc.csv"},
    )
    assert response.status_code == 302 and Customer.objects.count() == 0


@pytest.mark.parametrize("name", FILES)
def test_a_bad_file_is_rejected_in_every_encoding(personas, name):
    bad = [GOOD_ROWS[0], [*GOOD_ROWS[1][:5], "1979-02-30", *GOOD_ROWS[1][6:]], GOOD_ROWS[2]]
    before = archive_state()
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name=name, data=FILES[name](bad), actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(3, "出生日期")]
    assert archive_state() == before


def test_every_problem_of_a_row_is_reported(personas):
    row = [
        "K0001",
        "单丽",
        "个人",
        "nobody",
        "女",
        "1985-03-02",
        "居民身份证",
        "110105194912310021",
        "123",
    ]
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="a.csv", data=csv_bytes([row]), actor=personas.admin)
    assert {e.column for e in rejected.value.errors} == {"主办客户经理", "证件号码", "手机号码"}


def test_a_bad_row_after_chunks_already_written_still_rejects_everything(personas, monkeypatch):
    """New customers are written in chunks while later rows are still being checked (on a
    second thread on PostgreSQL); a bad last row must undo every chunk."""
    from bench.jobs import HEADER as BIG_HEADER
    from bench.jobs import import_rows
    from customers import imports

    monkeypatch.setattr(imports, "WRITE_CHUNK", 7)
    rows = list(import_rows(60, [personas.rm.username]))
    before = archive_state()
    bad = [*rows[:-1], [*rows[-1][:3], "nobody", *rows[-1][4:]]]
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="big.csv", data=csv_bytes(bad, header=BIG_HEADER), actor=None)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(61, "主办客户经理")]
    assert archive_state() == before

    result = import_customers(name="big.csv", data=csv_bytes(rows, header=BIG_HEADER), actor=None)
    assert result.created == 60 == Customer.objects.filter(customer_no__startswith="I").count()
    assert Customer.history.filter(history_type="+").count() == 60
    assert Assignment.objects.filter(customer__customer_no__startswith="I").count() == 60


# --- every problem in one pass ------------------------------------------------------------


def faulty_rows():
    """Several kinds of fault in several rows (the good rows' columns, HEADER's order)."""
    return [
        # row 2: a bad date and a wrong check digit
        ["K0001", "单丽", "个人", "rm", "女", "1985-13-45", "居民身份证", "110105194912310021", ""],
        # row 3: an unknown RM and a 7-digit mobile
        ["K0002", "曾强", "个人", "nobody", "男", "1979-12-31", "", "", "1381234"],
        # row 4: the customer number of row 2
        ["K0001", "别人", "个人", "rm", "", "", "", "", ""],
        # row 5: a formula for a name; a company with a resident ID number
        ["K0005", '=HYPERLINK("http://x.example","点我")', "对公", "rm", "", ""]
        + ["居民身份证", "440524188001010014", ""],
    ]


EXPECTED_FAULTS = [
    (2, "出生日期"),
    (2, "证件号码"),
    (3, "主办客户经理"),
    (3, "手机号码"),
    (4, "客户号"),
    (5, "客户名称"),
    (5, "证件类型"),
]


@pytest.mark.parametrize("name", FILES)
def test_every_fault_of_every_row_is_reported_in_one_pass_sorted_by_row_then_column(personas, name):
    before = archive_state()
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name=name, data=FILES[name](faulty_rows()), actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == EXPECTED_FAULTS
    assert archive_state() == before


def test_row_numbers_are_the_spreadsheets_even_after_empty_rows(personas):
    rows = [GOOD_ROWS[0], ["", "", ""], [*GOOD_ROWS[1][:8], "123"]]
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="a.csv", data=csv_bytes(rows), actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(4, "手机号码")]


# --- crashes and nonsense -----------------------------------------------------------------

HOLDING_HEADER = ["客户号", "产品代码", "账号", "金额", "币种", "开立日期", "到期日", "状态"]


def test_an_account_of_a_customer_not_in_the_file_is_refused_not_a_crash(personas):
    from tests.factories import HoldingFactory

    ProductFactory(code="TD-1Y")
    owner = CustomerFactory(customer_no="OWNER", primary_rm=personas.other_rm)
    HoldingFactory(customer=owner, product__code="TD-1Y", account_no="6222001", amount=5)
    CustomerFactory(customer_no="K0001", primary_rm=personas.rm)
    data = csv_bytes(
        [["K0001", "TD-1Y", "6222001", "100", "CNY", "2026-01-01", "2027-01-01", "active"]],
        header=HOLDING_HEADER,
    )
    with pytest.raises(ImportRejected) as rejected:
        import_holdings(name="h.csv", data=data, actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "账号")]
    assert Holding.objects.get().customer == owner


def test_negative_amounts_and_implausible_dates_are_refused(personas):
    CustomerFactory(customer_no="K0001", primary_rm=personas.rm)
    ProductFactory(code="TD-1Y")
    holdings = csv_bytes(
        [
            ["K0001", "TD-1Y", "6222001", "-100", "CNY", "2026-01-01", "2027-01-01", ""],
            ["K0001", "TD-1Y", "6222002", "100", "CNY", "1900-01-01", "2999-01-01", ""],
            ["K0001", "TD-1Y", "=cmd|' /C calc'!A0", "100", "CNY", "", "", ""],
        ],
        header=HOLDING_HEADER,
    )
    with pytest.raises(ImportRejected) as rejected:
        import_holdings(name="h.csv", data=holdings, actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [
        (2, "金额"),
        (3, "开立日期"),
        (3, "到期日"),
        (4, "账号"),
    ]
    balances = csv_bytes(
        [["K0001", "2026-09", "-250000", "-1"]], header=["客户号", "月份", "日均金融资产", "星点值"]
    )
    with pytest.raises(ImportRejected) as rejected:
        import_balances(name="b.csv", data=balances, actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [
        (2, "日均金融资产"),
        (2, "星点值"),
    ]
    assert not Holding.objects.exists() and not MonthlyBalance.objects.exists()


def test_a_formula_for_a_name_is_refused_with_a_clear_message(personas):
    row = ["K0001", '=HYPERLINK("http://x.example","点我")', *GOOD_ROWS[0][2:]]
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="a.csv", data=csv_bytes([row]), actor=personas.admin)
    (error,) = rejected.value.errors
    assert (error.row, error.column) == (2, "客户名称") and "公式" in error.message


def test_an_id_number_stored_as_typed_is_found_taken_not_a_crash(personas):
    CustomerFactory(customer_no="OTHER", id_type="passport", id_number="e1234567")
    row = ["K0001", "单丽", "个人", "rm", "女", "1985-03-02", "passport", "e1234567", ""]
    with pytest.raises(ImportRejected) as rejected:
        import_customers(name="a.csv", data=csv_bytes([row]), actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "证件号码")]


def test_star_points_too_big_for_their_column_are_refused_not_a_crash(personas):
    CustomerFactory(customer_no="K0001", primary_rm=personas.rm)
    balances = csv_bytes(
        [["K0001", "2026-09", "250000", "10000000000000"]],
        header=["客户号", "月份", "日均金融资产", "星点值"],
    )
    with pytest.raises(ImportRejected) as rejected:
        import_balances(name="b.csv", data=balances, actor=personas.admin)
    assert [(e.row, e.column) for e in rejected.value.errors] == [(2, "星点值")]


# --- the report of every problem ----------------------------------------------------------


def read_xlsx(data):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_the_command_writes_every_problem_to_an_xlsx_report(personas, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(faulty_rows(), "gb18030"))
    report = tmp_path / "problems.xlsx"
    with pytest.raises(CommandError):
        call_command("import_customers", str(bad), "--errors-to", str(report))
    assert str(report) in capsys.readouterr().err
    sheet = read_xlsx(report.read_bytes())
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [*HEADER, "问题"]
    assert [v or "" for v in rows[1][:9]] == faulty_rows()[0]
    assert "出生日期" in rows[1][9] and "证件号码" in rows[1][9]
    assert rows[2][9].startswith("主办客户经理") and "手机号码" in rows[2][9]
    assert rows[3][9].startswith("客户号")
    assert len(rows) == 5
    # The cells at fault are shaded; text stays text, even when it reads like a formula.
    assert sheet["F2"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["A2"].fill.fill_type is None
    assert sheet["B5"].data_type != "f" and sheet["B5"].value.startswith("=HYPERLINK")


def test_the_page_offers_the_full_report_for_download(client_for, personas):
    rows = [[f"K{n:04d}", "张三", "个人", "nobody", "", "", "", "", ""] for n in range(250)]
    upload = io.BytesIO(csv_bytes(rows))
    upload.name = "many.csv"
    client = client_for("admin")
    response = client.post(
        reverse("customers-import"), {"step": "check", "kind": "customers", "file": upload}
    )
    page = response.content.decode()
    assert len(response.context["errors"]) == 250 and 'data-testid="import-errors-cut"' in page
    url = reverse("customers-import-report", args=[response.context["report"]])
    assert url in page
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"].endswith("sheet")
    assert "attachment" in download["Content-Disposition"]
    rows = list(read_xlsx(download.content).iter_rows(values_only=True))
    assert len(rows) == 251 and all("主办客户经理" in row[9] for row in rows[1:])
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(("persona", "status"), [("rm", 403), ("head", 403), ("other", 404)])
def test_a_report_is_only_for_the_admin_who_uploaded_the_file(
    client, client_for, personas, persona, status
):
    from tests.factories import UserFactory

    upload = io.BytesIO(csv_bytes([[*GOOD_ROWS[0][:3], "nobody", *GOOD_ROWS[0][4:]]]))
    upload.name = "bad.csv"
    token = (
        client_for("admin")
        .post(reverse("customers-import"), {"step": "check", "kind": "customers", "file": upload})
        .context["report"]
    )
    user = (
        UserFactory(username="admin2", role="admin")
        if persona == "other"
        else getattr(personas, persona)
    )
    client.force_login(user)
    assert client.get(reverse("customers-import-report", args=[token])).status_code == status
    client.force_login(personas.admin)
    missing = reverse("customers-import-report", args=[f"{personas.admin.pk}-nothing"])
    assert client.get(missing).status_code == 404


def test_a_report_is_offered_a_day_and_its_files_go_with_the_retention(
    client_for, personas, monkeypatch
):
    from django.utils import timezone

    from customers import views

    def reject():
        upload = io.BytesIO(csv_bytes([[*GOOD_ROWS[0][:3], "nobody", *GOOD_ROWS[0][4:]]]))
        upload.name = "bad.csv"
        return (
            client_for("admin")
            .post(
                reverse("customers-import"),
                {"step": "check", "kind": "customers", "file": upload},
            )
            .context["report"]
        )

    url = reverse("customers-import-report", args=[reject()])
    assert client_for("admin").get(url).status_code == 200
    monkeypatch.setattr(views, "UPLOAD_TOKEN_SECONDS", -1)
    assert client_for("admin").get(url).status_code == 404  # more than a day later
    monkeypatch.undo()
    later = timezone.now() + timedelta(days=settings.JOB_FILES_RETENTION_DAYS + 1)
    assert job_services.delete_expired_files(now=later) == 2  # the file and its problems
    assert client_for("admin").get(url).status_code == 404


# --- blank templates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "importer"),
    [("customers", import_customers), ("holdings", import_holdings), ("balances", import_balances)],
)
def test_a_blank_template_downloads_and_its_example_row_imports(client_for, org, kind, importer):
    from customers import imports
    from tests.factories import UserFactory

    admin = UserFactory(username="admin", role="admin", branch=org.ho)
    rm = UserFactory(username=imports.EXAMPLE_RM, role="rm", branch=org.b1a)
    CustomerFactory(customer_no=imports.EXAMPLE_CUSTOMER_NO, primary_rm=rm)
    ProductFactory(code=imports.EXAMPLE_PRODUCT)
    client = client_for("admin")
    response = client.get(reverse("customers-import-template", args=[kind]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = read_xlsx(response.content)
    header, example = list(sheet.iter_rows(values_only=True))
    _importer, columns = imports.IMPORTERS[kind]
    assert list(header) == [c.headers[0] for c in columns]
    assert all(cell.number_format == "@" for cell in sheet[2])
    result = importer(name="template.xlsx", data=response.content, actor=admin)
    assert (result.created, result.updated) == (1, 0)


def test_templates_are_for_admins_and_known_kinds(client_for, personas):
    assert (
        client_for("rm").get(reverse("customers-import-template", args=["customers"])).status_code
        == 403
    )
    assert (
        client_for("admin").get(reverse("customers-import-template", args=["nope"])).status_code
        == 404
    )
    page = client_for("admin").get(reverse("customers-import"), {"kind": "holdings"})
    assert reverse("customers-import-template", args=["holdings"]) in page.content.decode()


# --- new ids ------------------------------------------------------------------------------


def test_a_new_customer_never_takes_the_id_of_a_deleted_one(personas):
    gone = CustomerFactory(customer_no="GONE", primary_rm=personas.rm)
    gone_id = gone.pk
    gone.delete()
    import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS[:1]), actor=personas.admin)
    new = Customer.objects.get(customer_no="K0001")
    assert new.pk > gone_id
    assert [h.history_type for h in new.history.all()] == ["+"]


# --- holdings and balances: the COPY path, chunk by chunk -----------------------------------

HOLDING_HEADER = ["客户号", "产品代码", "账号", "金额", "币种", "开立日期", "到期日", "状态"]
BALANCE_HEADER = ["客户号", "月份", "日均金融资产", "星点值"]


@pytest.fixture
def copies(monkeypatch):
    """The tables written by crm.bulk's COPY path (executemany on SQLite) during the test."""
    from crm import bulk
    from customers import imports

    written = []
    copy_rows = bulk.copy_rows

    def recording(model, fields, rows, **kwargs):
        rows = list(rows)
        written.append((model._meta.model_name, len(rows)))
        return copy_rows(model, fields, rows, **kwargs)

    monkeypatch.setattr(imports, "copy_rows", recording)
    monkeypatch.setattr(bulk, "copy_rows", recording)  # copy_history's writes
    return written


def test_holdings_are_written_with_copy_and_keep_their_history(personas, copies, monkeypatch):
    from customers import imports

    monkeypatch.setattr(imports, "WRITE_CHUNK", 1)
    import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS), actor=personas.admin)
    ProductFactory(code="TD-1Y")
    copies.clear()
    rows = [
        ["K0001", "TD-1Y", "6222001", "100,000.00", "CNY", "2026-01-01", "2027-01-01", "active"],
        ["K0002", "TD-1Y", "6222002", "5,000.00", "", "", "", ""],
    ]
    progress = []
    result = import_holdings(
        name="h.csv",
        data=csv_bytes(rows, header=HOLDING_HEADER),
        actor=personas.admin,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert result.created == 2 and progress == [(1, 2), (2, 2)]
    assert copies == [("holding", 1), ("historicalholding", 1)] * 2
    first = Holding.objects.get(account_no="6222001")
    assert first.amount == 100000 and first.customer.customer_no == "K0001"
    assert first.matures_on.isoformat() == "2027-01-01"
    created = first.history.get()
    assert created.history_type == "+" and created.history_user == personas.admin
    assert created.history_change_reason == "导入自 h.csv"

    rows[0][3] = "120,000.00"
    changed = import_holdings(
        name="h2.csv", data=csv_bytes(rows, header=HOLDING_HEADER), actor=personas.admin
    )
    assert (changed.updated, changed.unchanged) == (1, 1)
    first.refresh_from_db()
    assert first.amount == 120000
    assert [h.history_type for h in first.history.order_by("history_id")] == ["+", "~"]


def test_balances_are_written_with_copy_reading_only_the_files_months(personas, copies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_customers(name="a.csv", data=csv_bytes(GOOD_ROWS), actor=personas.admin)
    customer = Customer.objects.get(customer_no="K0001")
    from datetime import date

    for month in range(1, 13):  # a year already stored
        MonthlyBalance.objects.create(
            customer=customer, month=date(2025, month, 1), avg_financial_assets=month
        )
    copies.clear()
    rows = [["K0001", "2025-03", "3", "0"], ["K0001", "2025-04", "400", "0"]]
    rows += [["K0002", "2025-04", "900", "7"]]
    with CaptureQueriesContext(connection) as queries:
        result = import_balances(
            name="b.csv", data=csv_bytes(rows, header=BALANCE_HEADER), actor=personas.admin
        )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert copies == [("monthlybalance", 1)]
    reads = [q["sql"] for q in queries if 'FROM "customers_monthlybalance"' in q["sql"]]
    assert len(reads) == 1 and '"month" IN' in reads[0]  # not every stored month
    assert (
        MonthlyBalance.objects.get(customer=customer, month=date(2025, 4, 1)).avg_financial_assets
        == 400
    )
    other = MonthlyBalance.objects.get(customer__customer_no="K0002")
    assert (other.avg_financial_assets, other.star_points) == (900, 7)
    assert MonthlyBalance.objects.count() == 13


def test_an_imported_rows_blank_customer_is_a_customer_with_its_defaults():
    """The importer makes its new customers without Model.__init__: each must be what
    ``Customer(customer_no=…)`` is, and share no mutable default with another."""
    from customers.imports import blank_customer

    made, usual = blank_customer("C-1"), Customer(customer_no="C-1")
    for field in Customer._meta.concrete_fields:
        value = getattr(made, field.attname)
        assert not isinstance(value, list | dict | set), field.name
        if not (field.has_default() and callable(field.default)):
            assert value == getattr(usual, field.attname), field.name
    assert made._state.adding and made._state.fields_cache == {}
    assert blank_customer("C-2")._state is not made._state
