import re
from pathlib import Path

import pytest

from crm.csp import policy_header

ROOT = Path(__file__).resolve().parents[2]
# Every folder that holds templates or scripts of the project (vendored libraries aside).
TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)
JAVASCRIPT_URL = re.compile(r"href\s*=\s*[\"']\s*javascript:", re.I)


def project_templates():
    for folder in TEMPLATE_DIRS:
        if ".venv" in folder.parts:
            continue
        yield from folder.rglob("*.html")


def test_the_policy_allows_scripts_from_our_own_files_only():
    header = policy_header()
    assert "script-src 'self';" in header
    assert "unsafe-inline" not in header.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-eval" not in header
    assert "frame-ancestors 'none'" in header


@pytest.mark.parametrize("template", sorted(project_templates()), ids=lambda p: p.name)
def test_no_template_carries_an_inline_script_or_handler(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text), f"inline <script> in {template}"
    assert not INLINE_HANDLER.search(text), f"inline event handler in {template}"
    assert not JAVASCRIPT_URL.search(text), f"javascript: link in {template}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/accounts/preferences/", "/", "/customers/", "/api/docs/", "/admin/", "/healthz"]
)
def test_every_answer_carries_the_policy(client_for, url):
    response = client_for("admin").get(url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == policy_header()


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_file(client_for):
    page = client_for("rm").get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page)
    script = re.search(r'<script src="([^"]*\?script=[^"]*)"', page)
    assert script, page
    assert client_for("rm").get(script.group(1).replace("&amp;", "&")).status_code == 200


@pytest.mark.django_db
def test_report_only_mode_for_trying_a_change(client, settings):
    settings.CSP_REPORT_ONLY = True
    response = client.get("/accounts/login/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == policy_header()


def python_sources():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {".venv", "var", "tests", "migrations", "node_modules"}:
            continue
        yield path


def test_no_widget_written_in_python_carries_an_inline_handler():
    handler = re.compile(r"""\son(input|click|change|submit|load|key\w+|focus|blur)=["'{]""")
    offenders = [str(p) for p in python_sources() if handler.search(p.read_text())]
    assert offenders == []


@pytest.mark.django_db
def test_the_periodic_task_form_of_the_admin_has_no_inline_script(client_for):
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab = CrontabSchedule.objects.create(minute="0", hour="7")
    task = PeriodicTask.objects.create(name="t", task="jobs.tasks.fail_stale_jobs", crontab=crontab)
    page = client_for("admin").get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert "js/admin-periodic-task.js" in html
