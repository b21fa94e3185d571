"""The run's JSON file under bench/results/ and the Markdown table."""

import json
import os
import platform
import subprocess
import sys
from datetime import datetime

from .util import BASE_DIR, RESULTS_DIR


def machine() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if "model name" in line), "")
        with open("/proc/meminfo") as f:
            mem_kb = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
    }


def versions(cursor) -> dict:
    import django

    cursor.execute("SHOW server_version")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True
    ).stdout.strip()
    return {
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "postgresql": cursor.fetchone()[0],
        "commit": commit,
    }


def check(label: str, ok: bool, measured: str, budget: str) -> dict:
    return {"check": label, "pass": bool(ok), "measured": measured, "budget": budget}


def markdown(run: dict) -> str:
    d = run["data"]
    lines = [
        f"Measured {run['started_at'][:10]} on {run['machine']['cores']} cores "
        f"({run['machine']['cpu']}), {run['machine']['memory_gb']} GB, "
        f"PostgreSQL {run['versions']['postgresql'].split()[0]}, gunicorn "
        f"{run['server']['workers']} sync workers; {d['customers']:,} customers, "
        f"{d['holdings']:,} holdings, {d['balances']:,} monthly balances, "
        f"{d['visits']:,} visits, {d['reminders']:,} reminders; {d['branches']} branches, "
        f"{d['rms']} RMs. RM = rm1 ({d['rm_book']:,} customers), head = head1 "
        f"({d['head_scope']:,} customers in the subtree), admin sees all.",
        "",
        "| page | as | p50 ms | p95 ms | p99 ms | SQL queries | SQL floor p50 ms | page / floor "
        "| p95 budget | |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for e in run["endpoints"]:
        floor = e.get("floor")
        budget = e.get("budget_ms")
        verdict = "" if budget is None else ("PASS" if e["p95"] <= budget else "FAIL")
        ratio = f"{e['p50'] / floor['p50']:.1f}×" if floor and floor["p50"] else ""
        lines.append(
            f"| {e['name']} | {e['persona']} | {e['p50']} | {e['p95']} | {e['p99']} "
            f"| {e.get('queries', '')} | {floor['p50'] if floor else ''} "
            f"| {ratio} "
            f"| {budget or ''} | {verdict} |"
        )
    m = run["mix"]
    lines += [
        "",
        f"Mix, {m['clients']} concurrent clients for {m['seconds']} s: **{m['rps']} requests/s**, "
        f"{m['errors']} errors, p50 {m['p50']} ms, p95 {m['p95']} ms, p99 {m['p99']} ms.",
        "",
        "| job | figure | budget | |",
        "|---|---|---|---|",
    ]
    for c in run["checks"]:
        if c["check"].startswith(("customer", "API")):
            continue
        verdict = "PASS" if c["pass"] else "FAIL"
        lines.append(f"| {c['check']} | {c['measured']} | {c['budget']} | {verdict} |")
    failed = [c for c in run["checks"] if not c["pass"]]
    lines += ["", f"{len(run['checks']) - len(failed)} of {len(run['checks'])} budgets met."]
    return "\n".join(lines)


def save(run: dict) -> str:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(run["started_at"]).strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"{stamp}-{run['data']['customers']}.json"
    path.write_text(json.dumps(run, indent=2, ensure_ascii=False, default=str) + "\n")
    return str(path.relative_to(BASE_DIR))
