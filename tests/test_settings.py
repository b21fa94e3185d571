import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import Branch, User

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "p" * 20 + "-production-only-secret-key-for-tests-0123456789"


def run_manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_defaults_are_chinese_and_shanghai():
    if "TIME_ZONE" not in os.environ:
        assert settings.TIME_ZONE == "Asia/Shanghai"
    if "LANGUAGE_CODE" not in os.environ:
        assert settings.LANGUAGE_CODE == "zh-hans"
    assert dict(settings.LANGUAGES).keys() == {"zh-hans", "en"}


def test_production_refuses_to_start_without_a_real_secret_key():
    result = run_manage("check", DJANGO_ENV="production", ALLOWED_HOSTS="crm.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_seed_demo_refuses_production():
    result = run_manage(
        "seed_demo", DJANGO_ENV="production", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="x"
    )
    assert result.returncode != 0
    assert "seed_demo" in result.stderr


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_logins_and_is_repeatable(capsys):
    call_command("seed_demo", "--customers", "0")
    first = capsys.readouterr().out
    snapshot = list(
        User.objects.order_by("username").values_list(
            "username", "last_name", "first_name", "role", "branch__code"
        )
    )
    call_command("seed_demo", "--customers", "0")
    again = list(
        User.objects.order_by("username").values_list(
            "username", "last_name", "first_name", "role", "branch__code"
        )
    )
    assert snapshot == again
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["admin"] == "admin" and roles["head1"] == "head"
    assert roles["rm1"] == roles["rm2"] == roles["rm3"] == "rm"
    head1 = User.objects.get(username="head1")
    reach = set(User.objects.visible_to(head1).values_list("username", flat=True))
    assert {"rm1", "rm2"} <= reach and "rm3" not in reach
    assert User.objects.get(username="rm1").check_password("crm-demo-2026")
    assert "crm-demo-2026" in first
    assert Branch.objects.filter(level=Branch.Level.SUB_BRANCH, parent__code="BJ").count() >= 2
    assert Branch.objects.filter(level=Branch.Level.SUB_BRANCH, parent__code="SH").count() >= 2


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed():
    call_command("seed_demo", "--seed", "7", "--customers", "0")
    first = sorted(User.objects.values_list("username", "last_name", "first_name"))
    User.objects.filter(role="rm").exclude(username__in=["rm1", "rm2", "rm3"]).delete()
    call_command("seed_demo", "--seed", "7", "--customers", "0")
    assert sorted(User.objects.values_list("username", "last_name", "first_name")) == first


# --- dependencies -------------------------------------------------------------------------


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_versions():
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[normalized(name)] = version
    return pins


def test_the_lock_pins_every_dependency_of_pyproject():
    """`make install` installs the lock only; a dependency missing from it (pyproject changed,
    `make lock` not run) would be missing from every fresh clone."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = lock_versions()
    for requirement in wanted:
        name = normalized(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
        assert name in pins, f"{name} is not in requirements.lock: run make lock"


def test_django_is_at_least_the_release_with_the_2025_security_fixes():
    # CVE-2025-57833 (fixed in 5.2.6) and CVE-2025-64459 (fixed in 5.2.8).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "Django>=5.2.8,<5.3" in project["dependencies"]
    locked = tuple(int(part) for part in lock_versions()["django"].split("."))
    assert (5, 2, 8) <= locked < (5, 3)


@pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")
def test_make_says_plainly_when_pythons_venv_module_is_missing(tmp_path):
    python_without_venv = tmp_path / "python3"
    python_without_venv.write_text("#!/bin/sh\nexit 1\n")
    python_without_venv.chmod(0o755)
    result = subprocess.run(
        ["make", "--no-print-directory", "python-check", f"PYTHON={python_without_venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "sudo apt-get install python3-venv" in result.stdout
