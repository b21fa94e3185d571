"""``make bench``: latencies and throughputs at BENCH_CUSTOMERS customers on PostgreSQL.

Steps: build (once) or reuse the database; start gunicorn with production settings; warm up
and time every page over loopback; run the mix at 16 clients; count each page's SQL and time
the same SQL directly (the floor); time one day's reminder generation and the imports; write
bench/results/<time>-<size>.json and print the table with PASS/FAIL against the budgets.
Exits 1 when a budget fails.
"""

import os
import random
import subprocess
import sys
import time
from datetime import datetime

from .data import ensure_database
from .server import Server, production_env
from .util import BASE_DIR, log


def setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def main() -> int:
    customers = setting("BENCH_CUSTOMERS", 1_000_000)
    seed = setting("BENCH_SEED", 1)
    requests = setting("BENCH_REQUESTS", 200)
    warmup = setting("BENCH_WARMUP", 10)
    floor_runs = setting("BENCH_FLOOR_RUNS", 100)
    mix_seconds = setting("BENCH_MIX_SECONDS", 60)
    import_rows = setting("BENCH_IMPORT_ROWS", 100_000)
    workers = setting("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1)
    # For working on one part: e.g. BENCH_SKIP=floor,reminders,imports (the budgets of a
    # skipped part are not checked, and the run says so).
    skip = {s.strip() for s in os.environ.get("BENCH_SKIP", "").split(",") if s.strip()}
    run = {"started_at": datetime.now().astimezone().isoformat(timespec="seconds")}
    started = time.monotonic()

    database = ensure_database(customers, seed)
    env = production_env(database["url"])
    # As a deployment does: the production static storage needs its manifest.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        check=True,
    )
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "crm.settings"
    import django

    django.setup()
    from django.db import connection

    from . import floor, http, jobs, report, scenarios
    from .data_summary import summarise

    with connection.cursor() as cursor:
        run["machine"] = report.machine()
        run["versions"] = report.versions(cursor)
    run["database"] = {k: v for k, v in database.items() if k != "url"}
    run["server"] = {"workers": workers, "worker_class": "sync"}
    log("preparing personas, sessions and sample customers")
    personas, mix_clients = scenarios.build(seed)
    run["data"] = summarise(personas)
    endpoints = scenarios.endpoints(personas)

    results = []
    with Server(env, workers) as server:
        for e in endpoints:
            p = personas[e.persona]
            client = http.Client(server.port, p.api_headers if e.api else p.page_headers)
            figures = http.measure(client, e.paths, requests, warmup)
            client.close()
            results.append(
                {
                    "name": e.name,
                    "persona": e.persona,
                    "api": e.api,
                    "budget_ms": e.budget_ms,
                    "paths": e.paths[:3],
                    **figures,
                }
            )
            log(f"{e.name} ({e.persona}): p50 {figures['p50']} p95 {figures['p95']} ms")
        rng = random.Random(seed)
        plans = [scenarios.mix_paths(p, rng) for p in mix_clients]
        log(f"mix: {len(plans)} clients for {mix_seconds} s")
        http.mix(server.port, plans, min(10, mix_seconds))  # warm-up
        run["mix"] = http.mix(server.port, plans, mix_seconds)
        log(f"mix: {run['mix']['rps']} requests/s, {run['mix']['errors']} errors")

    log("counting queries and timing the bare SQL")
    dsn = database["url"]
    for e, r in zip(endpoints, results, strict=True):
        p = personas[e.persona]
        headers = p.api_headers if e.api else p.page_headers
        captured = [floor.capture(path, headers) for path in e.paths]
        r["queries"] = max(len(q) for q in captured)
        if e.floor and "floor" not in skip:
            statements = [floor.selects(q) for q in captured]
            r["floor"] = floor.time_sql(dsn, statements, floor_runs)
    run["endpoints"] = results

    if "reminders" not in skip:
        jobs.vacuum(dsn)
        log("reminder generation")
        run["reminders"] = jobs.reminder_generation()
        log(f"reminders: {run['reminders']}")
    if "watch" not in skip:
        jobs.vacuum(dsn)
        log("watch rules and escalation")
        run["watch"] = jobs.watch_jobs()
        log(f"watch: {run['watch']}")
    if "opportunities" not in skip:
        jobs.vacuum(dsn)
        log("opportunity jobs")
        run["opportunities"] = jobs.opportunity_jobs()
        log(f"opportunity jobs: {run['opportunities']}")
    if "service" not in skip:
        jobs.vacuum(dsn)
        log("complaint clock")
        run["service"] = jobs.ticket_clock()
        log(f"complaint clock: {run['service']}")
    if "reports" not in skip:
        jobs.vacuum(dsn)
        log("reports snapshot")
        run["reports_snapshot"] = jobs.snapshot_job()
        log(f"reports snapshot: {run['reports_snapshot']}")
    run["imports"] = {}
    if "imports" not in skip:
        from accounts.models import User

        rms = list(
            User.objects.filter(role=User.Role.RM, is_active=True).values_list(
                "username", flat=True
            )
        )
        for ext, path in jobs.import_files(import_rows, rms).items():
            jobs.vacuum(dsn)
            log(f"import {ext}")
            run["imports"][ext] = jobs.run_import(path, env)
            log(f"import {ext}: {run['imports'][ext]}")
    if "reminders" not in skip or "imports" not in skip:
        jobs.vacuum(dsn)
    run["skipped"] = sorted(skip)

    run["checks"] = checks(run)
    run["seconds"] = round(time.monotonic() - started)
    saved = report.save(run)
    print(report.markdown(run))
    print(f"\nSaved {saved} ({run['seconds']} s).")
    return 0 if all(c["pass"] for c in run["checks"]) else 1


def checks(run: dict) -> list[dict]:
    from . import jobs
    from .report import check

    out = []
    for e in run["endpoints"]:
        if e["budget_ms"] is not None:
            out.append(
                check(
                    f"{e['name']} ({e['persona']}) p95",
                    e["p95"] <= e["budget_ms"] and e["errors"] == 0,
                    f"{e['p95']} ms",
                    f"≤ {e['budget_ms']} ms",
                )
            )
    m = run["mix"]
    out.append(
        check(
            "mix at 16 clients",
            m["rps"] >= 150 and m["errors"] == 0,
            f"{m['rps']} req/s, {m['errors']} errors",
            "≥ 150 req/s, no errors",
        )
    )
    r = run.get("reminders")
    if r is None:
        out.append(check("reminder generation", False, "skipped", "≤ 10 s"))
    else:
        out.append(
            check(
                "reminder generation, one day",
                r["seconds"] <= 10,
                f"{r['seconds']} s, {r['created']:,} reminders",
                "≤ 10 s",
            )
        )
        out.append(
            check(
                "reminder generation, rerun",
                r["rerun_created"] == 0,
                f"{r['rerun_seconds']} s, {r['rerun_created']} created",
                "creates nothing",
            )
        )
    out += jobs.watch_checks(run, check)
    out += jobs.opportunity_checks(run, check)
    out += jobs.service_checks(run, check)
    out += jobs.snapshot_checks(run.get("reports_snapshot"), check)
    if not run["imports"]:
        out.append(check("imports", False, "skipped", "≥ 5,000 rows/s, < 500 MB"))
    for ext, i in run["imports"].items():
        out.append(
            check(
                f"import {i['rows']:,} customers, .{ext}",
                i["rows_per_second"] >= 5000 and i["peak_mb"] < 500,
                f"{i['rows_per_second']:,} rows/s, peak {i['peak_mb']} MB",
                "≥ 5,000 rows/s, < 500 MB",
            )
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
