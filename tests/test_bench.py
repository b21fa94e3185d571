"""The benchmark's own pieces (make bench runs them at a million customers on PostgreSQL)."""

import csv
import io

import pytest

from bench import jobs, report
from bench.__main__ import checks
from bench.http import percentile, summary
from customers.imports import import_customers
from customers.models import Customer


def test_percentiles_are_nearest_rank():
    values = list(range(1, 201))  # 1 … 200 ms
    assert percentile(values, 50) == 100
    assert percentile(values, 95) == 190
    assert percentile(values, 99) == 198
    assert summary([5.0]) == {"n": 1, "p50": 5.0, "p95": 5.0, "p99": 5.0, "mean": 5.0, "max": 5.0}


@pytest.mark.django_db
def test_the_import_file_is_accepted_whole(personas):
    rows = list(jobs.import_rows(400, [personas.rm.username, personas.colleague.username]))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([jobs.HEADER, *rows])
    result = import_customers(
        name="bench.csv", data=buffer.getvalue().encode(), actor=personas.admin
    )
    assert result.created == 400
    assert Customer.objects.filter(kind=Customer.Kind.CORPORATE).count() == 50


def run(**changes):
    endpoint = {"name": "customer list, first page", "persona": "rm", "budget_ms": 100}
    endpoint.update(p50=40.0, p95=90.0, p99=120.0, errors=0)
    data = {
        "endpoints": [endpoint],
        "mix": {"rps": 160.0, "errors": 0},
        "reminders": {"seconds": 4.0, "created": 10, "rerun_seconds": 4.0, "rerun_created": 0},
        "imports": {"csv": {"rows": 100, "rows_per_second": 6000, "peak_mb": 300}},
        "watch": {
            "rules_seconds": 20.0,
            "rules_created": 10,
            "rules_rerun_seconds": 15.0,
            "rules_rerun_created": 0,
            "escalated": 5,
            "escalation_seconds": 2.0,
            "escalation_rerun_created": 0,
        },
        "opportunities": {
            "seconds": 50.0,
            "maturities_created": 10,
            "suggestions": 30,
            "rerun_seconds": 5.0,
            "rerun_created": 0,
        },
        "reports_snapshot": {
            "day": "2026-11-25",
            "seconds": 40.0,
            "days": 1,
            "rows": 300,
            "rerun_days": 0,
            "rerun_rows": 0,
        },
        "service": {"seconds": 2.0, "created": 40, "rerun_seconds": 1.0, "rerun_created": 0},
    }
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return data


def verdicts(data):
    return {c["check"]: c["pass"] for c in checks(data)}


def test_every_budget_is_checked_and_fails_when_missed():
    assert all(verdicts(run()).values())
    slow_page = run(endpoints=[{**run()["endpoints"][0], "p95": 101.0}])
    assert verdicts(slow_page)["customer list, first page (rm) p95"] is False
    assert verdicts(run(mix={"rps": 149.0}))["mix at 16 clients"] is False
    assert verdicts(run(mix={"errors": 1}))["mix at 16 clients"] is False
    assert verdicts(run(reminders={"seconds": 10.5}))["reminder generation, one day"] is False
    assert verdicts(run(reminders={"rerun_created": 3}))["reminder generation, rerun"] is False
    heavy = run(imports={"csv": {"rows": 100, "rows_per_second": 6000, "peak_mb": 501}})
    assert verdicts(heavy)["import 100 customers, .csv"] is False
    assert verdicts(run(watch={"rules_seconds": 61.0}))["nightly watch rules"] is False
    assert verdicts(run(watch={"rules_rerun_created": 1}))["nightly watch rules, rerun"] is False
    assert verdicts(run(watch={"escalation_seconds": 10.5}))["escalation run"] is False
    slow_jobs = run(opportunities={"seconds": 121.0})
    assert verdicts(slow_jobs)["maturity + suggestion jobs"] is False
    assert (
        verdicts(run(opportunities={"rerun_created": 1}))["maturity + suggestion jobs, rerun"]
        is False
    )
    assert (
        verdicts(run(reports_snapshot={"seconds": 301.0}))["reports snapshot, one night"] is False
    )
    assert verdicts(run(reports_snapshot={"rerun_rows": 1}))["reports snapshot, rerun"] is False
    assert verdicts(run())["complaint clock"] is True
    assert verdicts(run(service={"seconds": 10.5}))["complaint clock"] is False
    assert verdicts(run(service={"rerun_created": 1}))["complaint clock"] is False
    skipped = run()
    skipped.pop("reminders")
    skipped["imports"] = {}
    assert not any(verdicts(skipped)[k] for k in ("reminder generation", "imports"))


def test_the_table_says_pass_or_fail():
    data = run()
    data.update(
        started_at="2026-11-22T12:00:00+08:00",
        machine={"cores": 2, "cpu": "x", "memory_gb": 24},
        versions={"postgresql": "15.20"},
        server={"workers": 5},
        data={
            "customers": 1,
            "holdings": 1,
            "balances": 1,
            "visits": 1,
            "reminders": 1,
            "branches": 1,
            "rms": 1,
            "rm_book": 1,
            "head_scope": 1,
        },
        mix={"clients": 16, "seconds": 60, "rps": 10.0, "errors": 0, "p50": 1, "p95": 2, "p99": 3},
    )
    data["checks"] = checks(data)
    table = report.markdown(data)
    assert "| customer list, first page | rm | 40.0 | 90.0 | 120.0 |" in table
    assert "| mix at 16 clients | 10.0 req/s, 0 errors | ≥ 150 req/s, no errors | FAIL |" in table
