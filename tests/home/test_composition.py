"""The pages home composes show what installed apps register, and nothing else."""

from datetime import datetime, time

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from home.registry import (
    CUSTOMER_360,
    RM_HOME,
    panels_for,
    register_nav_entry,
    register_panel,
)
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

WITH_PLUGIN = {
    "INSTALLED_APPS": [*settings.INSTALLED_APPS, "tests.plugin_app"],
    "ROOT_URLCONF": "tests.plugin_app.urls",
}

# What the pages showed before the modules existed; none of it may come back.
PLACEHOLDERS = [
    "提醒将显示在这里",
    "风险预警将显示在这里",
    "商机将显示在这里",
    "相关模块启用后将显示在这里",
    "暂无商机",
    "nav-link disabled",
]


@pytest.fixture
def visit(book):
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time(10)))
    return VisitFactory(customer=book.mine, planned_start=start)


def nav_item(response, name):
    return {item["name"]: item for item in response.context["nav_items"]}.get(name)


def test_an_installed_module_adds_its_panels_and_navigation_entry(client_for, book, visit):
    client = client_for("rm")
    with override_settings(**WITH_PLUGIN):
        home = client.get(reverse("home"))
        customer = client.get(reverse("customers-detail", args=[book.mine.pk]))
        brief = client.get(reverse("visits-brief", args=[visit.pk]))

    html = home.content.decode()
    assert "plugin panel for rm" in html
    # Its order (5) puts it before today's visits (10).
    assert html.index("plugin panel for rm") < html.index('data-testid="visits-panel"')
    entry = nav_item(home, "plugin-index")
    assert entry == {
        "name": "plugin-index",
        "label": "Plugin",
        "url": "/plugin/",
        "active": False,
        "badge": 3,
    }
    names = [item["name"] for item in home.context["nav_items"]]
    assert names == [
        "home",
        "customers-list",
        "visits-calendar",
        "plugin-index",
        "watchlists-list",
        "opportunities-board",
        "service-list",
        "reminders-inbox",
        "reports-scorecard",
        "jobs-list",
    ]
    assert f"plugin panel about {book.mine.customer_no}" in customer.content.decode()
    assert f"plugin panel before visit {visit.pk}" in brief.content.decode()


def test_a_module_shows_only_to_the_roles_it_names(client_for):
    with override_settings(**WITH_PLUGIN):
        html = client_for("head").get(reverse("home")).content.decode()
    assert "plugin panel" not in html and 'data-nav="plugin-index"' not in html


def test_a_module_that_is_not_installed_leaves_no_trace(client_for, book, visit):
    client = client_for("rm")
    with override_settings(**WITH_PLUGIN):
        assert "plugin panel" in client.get(reverse("home")).content.decode()
    # Registered once, but no longer installed: nothing of it shows.
    for url in [
        reverse("home"),
        reverse("customers-detail", args=[book.mine.pk]),
        reverse("visits-brief", args=[visit.pk]),
    ]:
        response = client.get(url)
        html = response.content.decode()
        assert "plugin panel" not in html and 'data-nav="plugin-index"' not in html
    assert "plugin-home" not in [panel.key for panel in panels_for(RM_HOME, "rm")]


@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_home_pages_show_no_placeholder_for_modules_that_do_not_exist(client_for, persona):
    html = client_for(persona).get(reverse("home")).content.decode()
    for text in PLACEHOLDERS:
        assert text not in html


def test_the_360_page_and_the_brief_show_no_placeholder(client_for, book, visit):
    client = client_for("rm")
    for url in [
        reverse("customers-detail", args=[book.mine.pk]),
        reverse("visits-brief", args=[visit.pk]),
    ]:
        html = client.get(url).content.decode()
        for text in PLACEHOLDERS:
            assert text not in html, (url, text)


def test_the_360_page_shows_the_reminders_and_visits_panels(client_for, book, visit, personas):
    from reminders.models import Reminder

    today = timezone.localdate()
    Reminder.objects.create(
        kind="birthday",
        customer=book.mine,
        subject_key=f"customer:{book.mine.pk}",
        due_on=today,
        remind_on=today,
        recipient=personas.rm,
    )
    response = client_for("rm").get(reverse("customers-detail", args=[book.mine.pk]))
    assert [v.pk for v in response.context["visits"]] == [visit.pk]
    assert len(response.context["customer_reminders"]) == 1
    html = response.content.decode()
    assert 'data-testid="customer-visits"' in html
    assert 'data-testid="customer-reminder"' in html
    # Reminders are personal: the colleague's 360 page of the same customer lists none.
    colleague = client_for("colleague").get(reverse("customers-detail", args=[book.assisted.pk]))
    assert colleague.context["customer_reminders"] == []


def test_a_panel_must_name_a_known_slot():
    with pytest.raises(ValueError, match="Unknown panel slot"):
        register_panel(key="x", slot="sidebar", template="x.html")


def test_a_navigation_entry_must_name_its_module():
    with pytest.raises(ValueError, match="module"):
        register_nav_entry(url_name="home", label="x", roles={"rm"})


def test_panels_come_in_their_order():
    keys = [panel.key for panel in panels_for(RM_HOME, "rm")]
    assert keys == [
        "visits-today",
        "watchlists-mine",
        "reminders-today",
        "opportunities-rm",
        "customers-birthdays",
        "customers-maturing",
        "service-my-tickets",
    ]
    assert [panel.key for panel in panels_for(CUSTOMER_360, "head")] == [
        "watchlists-customer",
        "visits-customer",
        "reminders-customer",
        "opportunities-customer",
        "service-customer",
    ]


def test_the_head_home_still_links_the_coverage_list(client_for):
    html = client_for("head").get(reverse("home")).content.decode()
    assert f'href="{reverse("visits-coverage")}"' in html


def test_seed_demo_runs_installed_modules_seeders_and_only_those(book):
    from io import StringIO

    from django.core.management import call_command

    from home.registry import demo_seeders
    from tests.plugin_app import demo

    assert "plugin-demo" not in [s.key for s in demo_seeders()]
    with override_settings(**WITH_PLUGIN):
        assert "plugin-demo" in [s.key for s in demo_seeders()]
        out = StringIO()
        call_command("seed_demo", "--modules", stdout=out)
        assert "plugin-demo: plugin rows" in out.getvalue()
        assert len(demo.SEEDED) > 0
        # A second run on the same rows creates nothing.
        out = StringIO()
        call_command("seed_demo", "--modules", stdout=out)
        assert "plugin-demo" not in out.getvalue()
