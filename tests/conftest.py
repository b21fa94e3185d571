"""Personas shared by every test.

The bank:  HO (head office)
           ├── B1 (branch 1, head: ``head``)
           │   ├── B1A (sub-branch: ``rm`` owns customers, ``colleague`` works beside them)
           │   │   └── B1A-O (outlet)
           │   └── B1B (sub-branch)
           └── B2 (branch 2, head: ``other_head``)
               └── B2A (sub-branch: ``other_rm``)
"""

import os
import shutil
from types import SimpleNamespace

import pytest

from accounts.models import Branch, User
from tests.factories import BranchFactory, UserFactory


@pytest.fixture
def org(db):
    ho = BranchFactory(code="HO", name="总行", level=Branch.Level.HEAD_OFFICE)
    b1 = BranchFactory(code="B1", name="北京分行", level=Branch.Level.BRANCH, parent=ho)
    b1a = BranchFactory(code="B1A", name="海淀支行", parent=b1)
    b1a_outlet = BranchFactory(
        code="B1A-O", name="中关村网点", level=Branch.Level.OUTLET, parent=b1a
    )
    b1b = BranchFactory(code="B1B", name="朝阳支行", parent=b1)
    b2 = BranchFactory(code="B2", name="上海分行", level=Branch.Level.BRANCH, parent=ho)
    b2a = BranchFactory(code="B2A", name="浦东支行", parent=b2)
    return SimpleNamespace(ho=ho, b1=b1, b1a=b1a, b1a_outlet=b1a_outlet, b1b=b1b, b2=b2, b2a=b2a)


@pytest.fixture
def personas(org):
    return SimpleNamespace(
        rm=UserFactory(username="rm", role=User.Role.RM, branch=org.b1a),
        colleague=UserFactory(username="colleague", role=User.Role.RM, branch=org.b1a),
        head=UserFactory(username="head", role=User.Role.HEAD, branch=org.b1),
        other_rm=UserFactory(username="other_rm", role=User.Role.RM, branch=org.b2a),
        other_head=UserFactory(username="other_head", role=User.Role.HEAD, branch=org.b2),
        admin=UserFactory(username="admin", role=User.Role.ADMIN, branch=org.ho),
    )


PERSONAS = ["rm", "colleague", "head", "other_rm", "admin"]
# Every persona a scope test checks: the five above, the other branch's head, and an admin
# whose account was switched off (``inactive``: were it active, it would see everything).
ALL_PERSONAS = [*PERSONAS, "other_head", "inactive"]
# Made on first use, like ``inactive``, and asked only by the tests that pass them:
# ``risk``, the risk manager (风险经理) of branch 1, who sees its subtree like its head.
LAZY_PERSONAS = ["risk"]


def persona_user(personas, org, name):
    """The user behind a persona's name. ``inactive`` is made on first use only, so that the
    ``personas`` fixture keeps exactly the users it always had."""
    if name == "inactive":
        return UserFactory(username="inactive", role=User.Role.ADMIN, branch=org.ho, inactive=True)
    if name == "risk":
        return UserFactory(username="risk", role=User.Role.RISK, branch=org.b1)
    return getattr(personas, name)


@pytest.fixture
def client_for(client, personas, org):
    """Log the test client in as a persona by name: ``client_for("head")``."""

    def login(name):
        client.force_login(persona_user(personas, org, name))
        return client

    return login


@pytest.fixture
def api_for(personas, org):
    """An API client that sends a persona's token: ``api_for("head").get(...)``."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def as_persona(name):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=persona_user(personas, org, name))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return as_persona


def assert_scope(
    client_for,
    url,
    *,
    allowed,
    visible=(),
    method="get",
    data=None,
    ok=200,
    personas=ALL_PERSONAS,
):
    """Ask ``url`` as every persona and check all the answers in one go.

    - the personas in ``allowed`` get ``ok`` (200; 302 for a POST that redirects);
    - those in ``visible`` see the record but may not do this: 403;
    - every other active persona gets 404, exactly as if the record did not exist;
    - ``inactive`` is not let in: sent to the login page (302), or 401/403 from the API.

    ``client_for`` is the fixture of that name or ``api_for``. ``url`` may be a function of the
    persona's name, for writes where each persona needs its own fresh record. Every mismatch
    is reported together. Returns ``{persona: status}``.
    """
    from django.conf import settings
    from django.shortcuts import resolve_url

    allowed, visible = set(allowed), set(visible) - set(allowed)
    unknown = (allowed | visible) - set(ALL_PERSONAS) - set(LAZY_PERSONAS)
    assert not unknown, f"unknown personas: {sorted(unknown)}"
    statuses, wrong = {}, []
    login_url = resolve_url(settings.LOGIN_URL)
    for name in personas:
        target = url(name) if callable(url) else url
        response = getattr(client_for(name), method)(target, data)
        statuses[name] = status = response.status_code
        if name == "inactive":
            sent_to_login = status == 302 and response["Location"].startswith(login_url)
            if not (sent_to_login or status in (401, 403)) or name in allowed | visible:
                wrong.append(f"inactive: {status}, expected to be kept out")
            continue
        expected = ok if name in allowed else 403 if name in visible else 404
        if status != expected:
            wrong.append(f"{name}: {status}, expected {expected}")
    assert wrong == [], f"{method.upper()} {url}: " + "; ".join(wrong)
    return statuses


def count_queries(client, url, params=None):
    """SQL queries of one page view, after a first view has warmed the session."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def chromium_path():
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


def pytest_collection_modifyitems(config, items):
    if chromium_path():
        return
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if not browser_tests:
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError(
            "REQUIRE_BROWSER is set but Chromium is missing: apt-get install chromium"
        )
    skip = pytest.mark.skip(
        reason="Chromium is not installed (apt-get install chromium); browser tests skipped"
    )
    for item in browser_tests:
        item.add_marker(skip)


def pytest_configure(config):
    from django.conf import settings

    # Hashing cost is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def book(personas, org):
    """Customers placed so that each persona's scope differs.

    mine:        primary rm
    assisted:    primary colleague, rm assists
    colleagues:  primary colleague only
    outlet:      primary an RM of the outlet under B1A (head sees it, rm does not)
    other:       primary other_rm in branch 2
    archived:    primary rm, archived (only admins see it)
    """
    from django.utils import timezone

    from customers.models import CustomerAssistant
    from tests.factories import CustomerFactory

    outlet_rm = UserFactory(username="outlet_rm", branch=org.b1a_outlet)
    book = SimpleNamespace(
        mine=CustomerFactory(name="张伟", primary_rm=personas.rm, monthly_avg_assets=500000),
        assisted=CustomerFactory(name="单丽", primary_rm=personas.colleague),
        colleagues=CustomerFactory(name="曾强", primary_rm=personas.colleague),
        outlet=CustomerFactory(name="解放", primary_rm=outlet_rm),
        other=CustomerFactory(name="仇英", primary_rm=personas.other_rm),
        archived=CustomerFactory(
            name="归档客户", primary_rm=personas.rm, archived_at=timezone.now()
        ),
    )
    CustomerAssistant.objects.create(customer=book.assisted, rm=personas.rm)
    return book


# Who sees which customers of the book above.
CUSTOMER_SCOPE = {
    "rm": {"mine", "assisted"},
    "colleague": {"assisted", "colleagues"},
    "head": {"mine", "assisted", "colleagues", "outlet"},
    "other_rm": {"other"},
    "admin": {"mine", "assisted", "colleagues", "outlet", "other", "archived"},
}


@pytest.fixture(autouse=True)
def job_files_in_tmp(settings, tmp_path_factory):
    """Uploads and job results (the default storage) go to a folder of the test run."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("files")
