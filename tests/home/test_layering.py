"""The registry sits below every app: home imports none of them, and the home page no longer
makes accounts import the apps above it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"accounts", "customers", "visits", "reminders"}


def imported_top_packages(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "home").rglob("*.py")), ids=str)
def test_home_imports_no_app_of_the_project(path):
    assert imported_top_packages(path) & PROJECT_APPS == set()


def test_accounts_views_import_no_higher_app():
    assert (
        imported_top_packages(ROOT / "accounts" / "views.py")
        & {
            "customers",
            "visits",
            "reminders",
        }
        == set()
    )
