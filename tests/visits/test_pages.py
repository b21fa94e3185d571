from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.conftest import CUSTOMER_SCOPE, PERSONAS, assert_scope, count_queries
from tests.factories import CustomerFactory, HoldingFactory, VisitFactory
from visits.models import CalendarFeed, Visit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def visits(book, personas):
    """One visit per customer of the book, each by the customer's primary RM, begun three
    hours ago and not logged yet."""
    started = timezone.now() - timedelta(hours=3)
    return {
        key: VisitFactory(customer=c, rm=c.primary_rm, planned_start=started)
        for key, c in vars(book).items()
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_visit_scope_follows_the_customer_scope(personas, visits, persona):
    user = getattr(personas, persona)
    visible = set(Visit.objects.visible_to(user).values_list("pk", flat=True))
    assert {k for k, v in visits.items() if v.pk in visible} == CUSTOMER_SCOPE[persona]


@pytest.mark.parametrize("persona", PERSONAS)
def test_visit_pages_are_404_outside_the_scope(client_for, visits, persona):
    client = client_for(persona)
    for key, visit in visits.items():
        for name in ("visits-detail", "visits-brief"):
            status = client.get(reverse(name, args=[visit.pk])).status_code
            assert status == (200 if key in CUSTOMER_SCOPE[persona] else 404), (name, key)


@pytest.mark.parametrize("persona", PERSONAS)
def test_visit_list_shows_only_the_scope(client_for, visits, persona):
    response = client_for(persona).get(reverse("visits-list"), {"mine": "0"})
    shown = {v.pk for v in response.context["page_obj"]}
    assert {k for k, v in visits.items() if v.pk in shown} == CUSTOMER_SCOPE[persona]


@pytest.mark.parametrize(
    ("target", "allowed", "visible"),
    [
        ("mine", {"rm", "head", "admin"}, set()),
        ("assisted", {"colleague", "head", "admin"}, {"rm"}),  # rm sees the colleague's visit
        ("outlet", {"head", "admin"}, set()),
        ("other", {"other_rm", "other_head", "admin"}, set()),
    ],
)
def test_who_may_change_a_visit(client_for, visits, target, allowed, visible):
    for name in ("visits-edit", "visits-complete"):
        url = reverse(name, args=[visits[target].pk])
        assert_scope(client_for, url, allowed=allowed, visible=visible)


def test_a_companion_may_change_the_visit(client_for, visits, personas):
    visit = visits["assisted"]
    visit.companions.add(personas.rm)
    assert client_for("rm").get(reverse("visits-edit", args=[visit.pk])).status_code == 200


def test_a_visit_completed_over_a_week_ago_is_closed_to_the_rm_not_the_head(client_for, visits):
    visit = visits["mine"]
    visit.status = Visit.Status.COMPLETED
    visit.completed_at = timezone.now() - timedelta(days=8)
    visit.save()
    assert client_for("rm").get(reverse("visits-edit", args=[visit.pk])).status_code == 403
    assert client_for("head").get(reverse("visits-edit", args=[visit.pk])).status_code == 200


def plan_data(target, **overrides):
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "customer": f"{target.customer_no} {target.name}",
        "channel": "on_site",
        "planned_start": start.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "place": "客户公司",
        "purpose": "介绍大额存单",
        "objective": "了解到期资金去向",
    }
    data.update(overrides)
    return data


def test_rm_plans_a_visit_for_their_customer(client_for, book, personas):
    response = client_for("rm").post(reverse("visits-create"), plan_data(book.mine))
    visit = Visit.objects.get(customer=book.mine)
    assert response.status_code == 302 and visit.rm == personas.rm and visit.is_planned


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"planned_end": "2020-01-01T00:00"}, "planned_end"),
        ({"customer": "NOPE 不存在"}, "customer"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_bad_plans_are_refused_and_save_nothing(client_for, book, overrides, field):
    response = client_for("rm").post(reverse("visits-create"), plan_data(book.mine, **overrides))
    assert field in response.context["form"].errors
    assert not Visit.objects.exists()


def test_a_visit_cannot_be_planned_for_a_customer_out_of_scope(client_for, book):
    response = client_for("rm").post(reverse("visits-create"), plan_data(book.other))
    assert "customer" in response.context["form"].errors
    assert not Visit.objects.exists()


def outcome_data(**overrides):
    data = {
        "summary": "客户对大额存单有兴趣",
        "purpose_met": "on",
        "value_given": "on",
        "next_step_agreed": "on",
        "next_step": "送产品说明书",
        "next_visit_on": (timezone.localdate() + timedelta(days=5)).isoformat(),
        "need_names": "子女教育，养老规划",
        "plan_follow_up": "on",
        "completed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_logging_the_outcome_plans_the_follow_up(client_for, visits):
    visit = visits["mine"]
    client_for("rm").post(reverse("visits-complete", args=[visit.pk]), outcome_data())
    visit.refresh_from_db()
    assert visit.status == Visit.Status.COMPLETED and visit.good_meeting
    assert sorted(n.name for n in visit.needs.all()) == ["养老规划", "子女教育"]
    follow_up = visit.follow_up
    assert follow_up.is_planned and follow_up.purpose == "送产品说明书"
    start = timezone.localtime(follow_up.planned_start)
    assert (start.date(), start.hour) == (timezone.localdate() + timedelta(days=5), 10)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"next_visit_on": "2020-01-01"}, "next_visit_on"), ({"summary": ""}, "summary")],
)
def test_bad_outcomes_are_refused_and_change_nothing(client_for, visits, overrides, field):
    visit = visits["mine"]
    response = client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]), outcome_data(**overrides)
    )
    assert field in response.context["form"].errors
    visit.refresh_from_db()
    assert visit.is_planned and Visit.objects.count() == len(visits)


def test_a_cancelled_visit_cannot_be_completed(client_for, visits):
    visit = visits["mine"]
    client_for("rm").post(reverse("visits-cancel", args=[visit.pk]))
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED
    response = client_for("rm").post(reverse("visits-complete", args=[visit.pk]), outcome_data())
    assert response.context["form"].non_field_errors()
    visit.refresh_from_db()
    assert visit.status == Visit.Status.CANCELLED and visit.follow_up is None


def test_quick_log_records_a_completed_visit_and_its_follow_up(client_for, book, personas):
    data = {
        "customer": book.mine.customer_no,
        "channel": "phone",
        "summary": "电话回访，客户满意",
        "next_visit_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    assert client_for("rm").post(reverse("visits-quick-log"), data).status_code == 302
    done = Visit.objects.get(status=Visit.Status.COMPLETED)
    assert done.customer == book.mine and done.rm == personas.rm and done.follow_up.is_planned


def test_quick_log_refuses_another_rms_customer(client_for, book):
    data = {"customer": book.other.customer_no, "channel": "phone", "summary": "x"}
    response = client_for("rm").post(reverse("visits-quick-log"), data)
    assert "customer" in response.context["form"].errors and not Visit.objects.exists()


def test_customer_suggestions_come_from_the_scope_only(client_for, book):
    body = (
        client_for("rm").get(reverse("visits-customer-options"), {"customer": "T"}).content.decode()
    )
    assert book.mine.customer_no in body and book.other.customer_no not in body


def test_changes_are_kept_in_history(client_for, visits):
    visit = visits["mine"]
    client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]), outcome_data(next_visit_on="")
    )
    assert visit.history.count() >= 2


# --- brief ---------------------------------------------------------------------------------


def test_brief_shows_maturities_birthday_and_last_visits(client_for, visits, book):
    today = timezone.localdate()
    book.mine.birth_date = (today + timedelta(days=10)).replace(year=1980)
    book.mine.save()
    HoldingFactory(customer=book.mine, matures_on=today + timedelta(days=60))
    HoldingFactory(customer=book.mine, matures_on=today + timedelta(days=120))
    for n in range(4):
        VisitFactory(
            customer=book.mine,
            status="completed",
            completed_at=timezone.now() - timedelta(days=n + 1),
            summary=f"第{n}次",
        )
    response = client_for("rm").get(reverse("visits-brief", args=[visits["mine"].pk]))
    assert len(response.context["maturing"]) == 1
    assert response.context["birthday"] == today + timedelta(days=10)
    assert [v.summary for v in response.context["last_visits"]] == ["第0次", "第1次", "第2次"]


def test_query_counts_do_not_grow_with_visits(client_for, book, personas):
    client = client_for("rm")
    visit = VisitFactory(customer=book.mine)
    urls = [
        reverse("visits-calendar"),
        reverse("visits-list"),
        reverse("visits-brief", args=[visit.pk]),
    ]
    few = [count_queries(client, url) for url in urls]
    for n in range(30):
        VisitFactory(
            customer=book.mine,
            planned_start=timezone.now() + timedelta(hours=n),
            status="completed",
            completed_at=timezone.now(),
        )
    assert [count_queries(client, url) for url in urls] == few


# --- calendar and feed ------------------------------------------------------------------


def test_calendar_shows_the_users_visits_on_their_days(client_for, book, personas):
    start = datetime(2026, 3, 10, 9, 30, tzinfo=SHANGHAI)
    mine = VisitFactory(
        customer=book.mine, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    VisitFactory(
        customer=book.colleagues, rm=personas.colleague, planned_start=start, planned_end=start
    )
    response = client_for("rm").get(reverse("visits-calendar"), {"month": "2026-03"})
    days = {day: visits for week in response.context["weeks"] for day, visits, _m, _i in week}
    assert [v["id"] for v in days[start.date()]] == [mine.pk]
    assert days[start.date()][0]["customer__name"] == book.mine.name
    week = client_for("rm").get(reverse("visits-calendar"), {"view": "week", "day": "2026-03-11"})
    assert [d for w in week.context["weeks"] for d, _v, _m, _i in w][0].isoformat() == "2026-03-09"


def test_a_full_day_shows_four_visits_in_the_month_and_all_in_its_week(client_for, book):
    day = datetime(2026, 3, 10, 8, 0, tzinfo=SHANGHAI)
    visits = [
        VisitFactory(
            customer=book.mine,
            planned_start=day + timedelta(hours=n),
            planned_end=day + timedelta(hours=n, minutes=30),
        )
        for n in range(7)
    ]
    month = client_for("rm").get(reverse("visits-calendar"), {"month": "2026-03"})
    cell = next(c for w in month.context["weeks"] for c in w if c[0] == day.date())
    assert [v["id"] for v in cell[1]] == [v.pk for v in visits[:4]] and cell[2] == 3
    html = month.content.decode()
    assert "还有 3 项…" in html and "?view=week&amp;day=2026-03-10" in html
    week = client_for("rm").get(reverse("visits-calendar"), {"view": "week", "day": "2026-03-10"})
    cell = next(c for w in week.context["weeks"] for c in w if c[0] == day.date())
    assert len(cell[1]) == 7 and cell[2] == 0


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_has_a_calendar(client_for, persona):
    assert client_for(persona).get(reverse("visits-calendar")).status_code == 200


def test_the_feed_carries_planned_visits_in_shanghai_time(client, book, personas):
    start = (timezone.localtime() + timedelta(days=3)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    visit = VisitFactory(
        customer=book.mine,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        place="国贸",
    )
    VisitFactory(customer=book.mine, status="cancelled")
    VisitFactory(customer=book.other, rm=personas.other_rm)
    feed = CalendarFeed.for_user(personas.rm)
    response = client.get(reverse("visits-feed", args=[feed.token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    assert [str(e["uid"]) for e in events] == [f"visit-{visit.pk}@crm"]
    dtstart = events[0].decoded("dtstart")
    assert dtstart.tzinfo is not None and dtstart.utcoffset() == timedelta(hours=8)
    assert (dtstart.hour, dtstart.minute) == (14, 0)
    assert "TZID=Asia/Shanghai" in response.content.decode()
    assert str(events[0]["location"]) == "国贸"


def test_a_wrong_or_regenerated_token_is_404(client, client_for, personas):
    feed = CalendarFeed.for_user(personas.rm)
    old = feed.token
    assert client.get(reverse("visits-feed", args=["wrong-token"])).status_code == 404
    client_for("rm").post(reverse("visits-feed-regenerate"))
    feed.refresh_from_db()
    assert feed.token != old
    assert client.get(reverse("visits-feed", args=[old])).status_code == 404
    assert client.get(reverse("visits-feed", args=[feed.token])).status_code == 200


def test_an_inactive_users_feed_is_404(client, personas):
    feed = CalendarFeed.for_user(personas.rm)
    personas.rm.is_active = False
    personas.rm.save()
    assert client.get(reverse("visits-feed", args=[feed.token])).status_code == 404


def test_regenerating_needs_a_post(client_for):
    assert client_for("rm").get(reverse("visits-feed-regenerate")).status_code == 405


def test_the_360_page_lists_the_customers_visits(client_for, visits, book):
    done = VisitFactory(
        customer=book.mine, status="completed", completed_at=timezone.now(), summary="谈妥续存"
    )
    response = client_for("rm").get(reverse("customers-detail", args=[book.mine.pk]))
    assert {v.pk for v in response.context["visits"]} == {visits["mine"].pk, done.pk}
    assert "谈妥续存" in response.content.decode()


def test_customer_list_filters_by_not_visited(client_for, book):
    VisitFactory(
        customer=book.mine, status="completed", completed_at=timezone.now() - timedelta(days=10)
    )
    VisitFactory(
        customer=book.assisted,
        status="completed",
        completed_at=timezone.now() - timedelta(days=100),
    )
    response = client_for("rm").get(reverse("customers-list"), {"not_visited_within": 30})
    assert {c.pk for c in response.context["page_obj"]} == {book.assisted.pk}


def test_customer_detail_query_count_does_not_grow_with_visits(client_for, book):
    client = client_for("rm")
    url = reverse("customers-detail", args=[book.mine.pk])
    few = count_queries(client, url)
    for _ in range(15):
        VisitFactory(customer=book.mine)
    assert count_queries(client, url) == few


# --- diary and coverage -------------------------------------------------------------------


def test_rm_diary_shows_the_days_visits_and_keeps_notes(client_for, book, personas):
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()).replace(hour=9))
    visit = VisitFactory(
        customer=book.mine, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    client = client_for("rm")
    response = client.get(reverse("visits-diary"))
    assert [v.pk for v in response.context["days"][0]["visits"]] == [visit.pk]
    client.post(
        reverse("visits-diary") + f"?day={today}", {"day": today.isoformat(), "text": "拜访顺利"}
    )
    assert client.get(reverse("visits-diary")).context["days"][0]["note"] == "拜访顺利"
    week = client.get(reverse("visits-diary"), {"view": "week"})
    assert len(week.context["days"]) == 7


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm", 404), ("colleague", 404), ("head", 200), ("other_rm", 404), ("admin", 200)],
)
def test_who_may_open_an_rms_diary(client_for, personas, persona, status):
    url = reverse("visits-diary") + f"?rm={personas.colleague.pk}"
    assert client_for(persona).get(url).status_code == (200 if persona == "colleague" else status)


def test_a_head_reads_but_does_not_write_an_rms_diary(client_for, personas):
    url = reverse("visits-diary") + f"?rm={personas.rm.pk}"
    response = client_for("head").post(url, {"day": timezone.localdate().isoformat(), "text": "x"})
    assert response.status_code == 403


def test_coverage_lists_overdue_valuable_customers_first(client_for, book, personas):
    from customers.models import AssetTier

    private, wealth = AssetTier.objects.get(code="private"), AssetTier.objects.get(code="wealth")
    rich = CustomerFactory(primary_rm=personas.rm, asset_tier=private, monthly_avg_assets=9_000_000)
    fine = CustomerFactory(primary_rm=personas.rm, asset_tier=private, monthly_avg_assets=7_000_000)
    lapsed = CustomerFactory(
        primary_rm=personas.rm, asset_tier=wealth, monthly_avg_assets=2_000_000
    )
    VisitFactory(customer=fine, status="completed", completed_at=timezone.now() - timedelta(days=5))
    VisitFactory(
        customer=lapsed, status="completed", completed_at=timezone.now() - timedelta(days=100)
    )
    VisitFactory(
        customer=rich, status="completed", completed_at=timezone.now() - timedelta(days=40)
    )
    response = client_for("rm").get(reverse("visits-coverage"))
    assert [c.pk for c in response.context["page_obj"]] == [rich.pk, lapsed.pk]
    # Amounts in the one money format, the unit in the heading.
    html = response.content.decode()
    assert "月日均金融资产（万元）" in html and ">900.00<" in html
    head = client_for("head").get(reverse("visits-coverage"), {"rm": personas.colleague.pk})
    assert list(head.context["page_obj"]) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_opens_diary_and_coverage(client_for, persona):
    client = client_for(persona)
    assert client.get(reverse("visits-diary")).status_code == 200
    assert client.get(reverse("visits-coverage")).status_code == 200


def test_diary_query_count_does_not_grow(client_for, book):
    client = client_for("rm")
    url = reverse("visits-diary")
    few = count_queries(client, url, {"view": "week"})
    for n in range(20):
        VisitFactory(customer=book.mine, planned_start=timezone.now() + timedelta(minutes=n))
    assert count_queries(client, url, {"view": "week"}) == few


def test_coverage_narrows_to_a_branch_subtree(client_for, book, org, personas):
    from customers.models import AssetTier

    private = AssetTier.objects.get(code="private")
    here = CustomerFactory(primary_rm=personas.rm, asset_tier=private)
    book.outlet.asset_tier = private
    book.outlet.save()
    head = client_for("head")
    everyone = {c.pk for c in head.get(reverse("visits-coverage")).context["page_obj"]}
    assert everyone == {here.pk, book.outlet.pk}
    outlet_only = head.get(reverse("visits-coverage"), {"branch": org.b1a_outlet.pk})
    assert [c.pk for c in outlet_only.context["page_obj"]] == [book.outlet.pk]
    outside = head.get(reverse("visits-coverage"), {"branch": org.b2.pk})
    assert list(outside.context["page_obj"]) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_opens_the_forms_and_suggestions_of_their_scope(client_for, book, persona):
    client = client_for(persona)
    for name in ("visits-create", "visits-quick-log", "visits-list"):
        assert client.get(reverse(name)).status_code == 200, name
    body = client.get(reverse("visits-customer-options"), {"customer": "T"}).content.decode()
    shown = {key for key, c in vars(book).items() if c.customer_no in body}
    assert shown == CUSTOMER_SCOPE[persona] - {"archived"}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm", 302), ("colleague", 404), ("head", 302), ("other_rm", 404), ("admin", 302)],
)
def test_who_may_cancel_a_visit(client_for, visits, persona, status):
    visit = visits["mine"]
    assert client_for(persona).post(reverse("visits-cancel", args=[visit.pk])).status_code == status
    visit.refresh_from_db()
    assert (visit.status == "cancelled") == (status == 302)
