from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import assert_scope, count_queries
from tests.factories import CustomerFactory
from watchlists.models import LedgerEntry, Measure, WatchItem

from .conftest import WATCH_PERSONAS, open_item

SEES_MINE = {"rm", "head", "admin", "risk"}


def test_item_detail_scope(client_for, watch, risk):
    assert_scope(
        client_for,
        reverse("watchlists-detail", args=[watch.mine.pk]),
        allowed=SEES_MINE,
        personas=WATCH_PERSONAS,
    )
    assert_scope(
        client_for,
        reverse("watchlists-detail", args=[watch.other.pk]),
        allowed={"other_rm", "other_head", "admin"},
        personas=WATCH_PERSONAS,
    )


@pytest.mark.parametrize("name", ["watchlists-list", "watchlists-checks"])
def test_lists_answer_every_active_persona(client_for, watch, risk, name):
    assert_scope(
        client_for,
        reverse(name),
        allowed=set(WATCH_PERSONAS) - {"inactive"},
        personas=WATCH_PERSONAS,
    )


def test_watchlist_shows_only_items_in_scope(client_for, watch, book):
    page = client_for("rm").get(reverse("watchlists-list")).content.decode()
    assert book.mine.name in page and book.assisted.name in page
    assert book.other.name not in page and book.colleagues.name not in page


def test_board_is_for_heads_risk_managers_and_admins(client_for, watch, risk):
    assert_scope(
        client_for,
        reverse("watchlists-board"),
        allowed={"head", "other_head", "admin", "risk"},
        visible={"rm", "colleague", "other_rm"},
        personas=WATCH_PERSONAS,
    )


def test_board_heat_map_counts_the_subtree(client_for, watch, book, org):
    response = client_for("head").get(reverse("watchlists-board"))
    rows = {row["name"]: [c["n"] for c in row["cells"]] for row in response.context["heat_rows"]}
    # mine (attention) and its echo (attention), assisted (attention): all in B1A
    assert rows[org.b1a.name] == [3, 0, 0]
    assert rows[org.b1b.name] == [0, 0, 0]
    assert org.b2.name not in rows
    assert book.other.name not in response.content.decode()


def heat(response):
    return {row["name"]: [c["n"] for c in row["cells"]] for row in response.context["heat_rows"]}


def test_board_filters_by_level_signal_and_branch(client_for, watch, org, book, personas):
    response = client_for("admin").get(reverse("watchlists-board"), {"level": "2"})
    assert heat(response)[org.b2.name] == [0, 1, 0]
    assert heat(response)[org.b1.name] == [0, 0, 0]
    response = client_for("admin").get(reverse("watchlists-board"), {"kind": "attrition"})
    assert sum(sum(cells) for cells in heat(response).values()) == 0
    response = client_for("head").get(reverse("watchlists-board"), {"rm": personas.rm.pk})
    assert heat(response)[org.b1a.name] == [2, 0, 0]  # mine and its echo, both owned by rm
    # A signal is counted from the items themselves.
    response = client_for("head").get(reverse("watchlists-board"), {"signal": "related_party"})
    assert heat(response)[org.b1a.name] == [1, 0, 0]
    response = client_for("head").get(reverse("watchlists-board"), {"branch": org.b2.pk})
    assert response.status_code == 404
    response = client_for("head").get(reverse("watchlists-board"), {"branch": org.b1b.pk})
    assert sum(sum(cells) for cells in heat(response).values()) == 0


def test_board_figures_come_from_a_claimed_snapshot(client_for, watch, book, personas):
    from watchlists import board
    from watchlists.models import BoardSnapshot

    client_for("head").get(reverse("watchlists-board"))  # the first view takes them
    open_item(book.colleagues, personas.colleague, level=3)
    response = client_for("head").get(reverse("watchlists-board"))
    assert 'data-testid="taken-at"' in response.content.decode()
    assert sum(row["cells"][2]["n"] for row in response.context["heat_rows"]) == 0
    BoardSnapshot.objects.filter(pk=1).update(claimed_at=timezone.now())
    assert board.refresh() is False  # another worker holds the claim
    BoardSnapshot.objects.filter(pk=1).update(claimed_at=None)
    assert board.refresh() is True
    response = client_for("head").get(reverse("watchlists-board"))
    assert sum(row["cells"][2]["n"] for row in response.context["heat_rows"]) == 1
    assert response.context["week"]["new"] == 4


def test_related_party_never_shows_the_hidden_customer(client_for, watch, book):
    for url in (
        reverse("watchlists-detail", args=[watch.echo.pk]),
        reverse("watchlists-list"),
        reverse("customers-detail", args=[book.mine.pk]),
        reverse("watchlists-credit-file", args=[book.mine.pk]),
    ):
        page = client_for("rm").get(url).content.decode()
        if url.startswith("/customers/"):
            # The archive's own relations panel is not ours to judge: read the watch panel.
            page = page.split('data-testid="customer-watch"')[1].split("</section>")[0]
        assert "相关方存在预警" in page or "A related party has a warning." in page, url
        assert book.other.name not in page, url
        assert "9,876,543" not in page and "9876543" not in page, url
    # Those who see both customers read where the warning comes from.
    page = client_for("admin").get(reverse("watchlists-detail", args=[watch.echo.pk])).content
    assert book.other.name in page.decode()


def test_ledger_and_credit_file_scope(client_for, watch, book, risk):
    for name in ("watchlists-ledger", "watchlists-credit-file"):
        assert_scope(
            client_for,
            reverse(name, args=[book.mine.pk]),
            allowed=SEES_MINE,
            personas=WATCH_PERSONAS,
        )


def test_ledger_lists_signals_checks_measures_in_date_order(client_for, watch, book):
    response = client_for("rm").get(reverse("watchlists-ledger", args=[book.mine.pk]))
    kinds = [line["type"] for line in response.context["lines"]]
    assert {"entry", "check", "measure"} <= set(kinds)
    days = [line["on"] for line in response.context["lines"]]
    assert days == sorted(days, reverse=True)


def test_open_item_from_the_customer_page(client_for, book, personas, risk):
    url = reverse("watchlists-create") + f"?customer={book.mine.pk}"
    data = {"kind": "credit", "level": "2", "signals": ["profit_trend"], "description": "利润下滑"}
    assert_scope(
        client_for,
        url,
        allowed={"rm", "head", "admin", "risk"},
        method="post",
        data=data,
        ok=302,
        personas=WATCH_PERSONAS,
    )
    assert WatchItem.objects.filter(customer=book.mine).count() == 4
    # An assisting RM sees the customer but does not open items on it.
    url = reverse("watchlists-create") + f"?customer={book.assisted.pk}"
    assert client_for("rm").post(url, data).status_code == 403


def test_form_errors_are_shown_beside_the_field(client_for, book):
    url = reverse("watchlists-create") + f"?customer={book.mine.pk}"
    response = client_for("rm").post(url, {"kind": "credit", "level": "2", "signals": []})
    assert response.status_code == 200
    assert 'data-error-for="signals"' in response.content.decode()


def test_update_measure_and_move_scope(client_for, watch, book, personas, risk):
    assert_scope(
        client_for,
        reverse("watchlists-update", args=[watch.assisted.pk]),
        allowed={"colleague", "head", "admin", "risk"},
        visible={"rm"},
        method="post",
        data={"kind": "credit", "level": "3", "signals": ["profit_trend"]},
        ok=302,
        personas=WATCH_PERSONAS,
    )
    watch.assisted.refresh_from_db()
    assert watch.assisted.level == 3
    assert_scope(
        client_for,
        reverse("watchlists-measure-add", args=[watch.mine.pk]),
        allowed=SEES_MINE,
        method="post",
        data={"kind": "collection", "owner": personas.rm.pk, "due_on": "2099-01-01"},
        ok=302,
        personas=WATCH_PERSONAS,
    )
    measure = Measure.objects.filter(item=watch.mine).first()
    assert_scope(
        client_for,
        reverse("watchlists-measure-log", args=[measure.pk]),
        allowed=SEES_MINE,
        method="post",
        data={"result": "已电话联系"},
        ok=302,
        personas=WATCH_PERSONAS,
    )


def test_closing_asks_for_an_outcome_and_exit_for_the_exposure(client_for, watch):
    client = client_for("rm")
    url = reverse("watchlists-move", args=[watch.mine.pk])
    client.post(url, {"to": "resolved", "reason": ""})
    watch.mine.refresh_from_db()
    assert watch.mine.state == "open"
    client.post(url, {"to": "exited", "reason": "已退出"})
    watch.mine.refresh_from_db()
    assert watch.mine.state == "open"
    client.post(url, {"to": "exited", "reason": "已退出", "exposure_reduced": "2000000"})
    watch.mine.refresh_from_db()
    assert watch.mine.state == "exited" and watch.mine.exposure_reduced == 2000000
    assert LedgerEntry.objects.filter(item=watch.mine, kind="closed").exists()


def test_check_page_scope_and_completion(client_for, watch, book, risk):
    url = reverse("watchlists-check", args=[watch.check.pk])
    assert_scope(client_for, url, allowed=SEES_MINE, personas=WATCH_PERSONAS)
    response = client_for("rm").post(
        url, {"result": "concerns", "signals": ["production_change"], "level": "2", "note": "停产"}
    )
    assert response.status_code == 302
    watch.check.refresh_from_db()
    assert watch.check.done_on is not None
    watch.mine.refresh_from_db()
    assert watch.mine.level == 2 and "production_change" in watch.mine.signal_list
    # The loan's next check is on the calendar already.
    assert watch.holding.pk in set(
        type(watch.check).objects.filter(done_on__isnull=True).values_list("holding_id", flat=True)
    )


def test_customer_page_carries_the_watch_panel(client_for, watch, book):
    page = client_for("rm").get(reverse("customers-detail", args=[book.mine.pk])).content.decode()
    assert 'data-testid="customer-watch"' in page
    assert reverse("watchlists-ledger", args=[book.mine.pk]) in page


def test_home_panels(client_for, watch, risk):
    assert 'data-testid="watch-mine"' in client_for("rm").get("/").content.decode()
    assert 'data-testid="watch-board-summary"' in client_for("head").get("/").content.decode()
    assert 'data-testid="watch-board-summary"' in client_for("risk").get("/").content.decode()
    assert 'data-testid="watch-admin"' in client_for("admin").get("/").content.decode()


def test_visit_outcome_checklist_opens_an_item(client_for, book, personas):
    from django.utils import timezone

    from tests.factories import VisitFactory

    start = timezone.now() - timezone.timedelta(hours=2)
    visit = VisitFactory(
        customer=book.mine, planned_start=start, planned_end=start + timezone.timedelta(hours=1)
    )
    response = client_for("rm").post(
        reverse("visits-complete", args=[visit.pk]),
        {
            "completed_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
            "summary": "客户透露资金将转往他行",
            "watch__signals": ["large_flow"],
            "watch__level": "",
        },
    )
    assert response.status_code == 302
    item = WatchItem.objects.get(customer=book.mine)
    assert item.source == "visit" and item.signal_list == ["large_flow"]
    assert LedgerEntry.objects.get(item=item).visit_id == visit.pk
    # A second visit adds evidence to the open item and raises it when asked.
    visit2 = VisitFactory(
        customer=book.mine, planned_start=start, planned_end=start + timezone.timedelta(hours=1)
    )
    client_for("rm").post(
        reverse("visits-complete", args=[visit2.pk]),
        {
            "completed_at": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
            "summary": "经营异常",
            "watch__signals": ["operations_change"],
            "watch__level": "3",
        },
    )
    assert WatchItem.objects.filter(customer=book.mine).count() == 1
    item.refresh_from_db()
    assert item.level == 3 and set(item.signal_list) == {"large_flow", "operations_change"}
    assert LedgerEntry.objects.filter(item=item, kind="evidence", visit_id=visit2.pk).exists()


def test_quick_log_checklist(client_for, book):
    response = client_for("rm").post(
        reverse("visits-quick-log"),
        {
            "customer": f"{book.mine.customer_no} {book.mine.name}",
            "channel": "phone",
            "summary": "大额转出",
            "watch__signals": ["large_flow"],
        },
    )
    assert response.status_code == 302
    assert WatchItem.objects.filter(customer=book.mine, source="visit").exists()


def test_query_counts_do_not_grow_with_rows(client_for, book, personas, risk):
    for _ in range(3):
        open_item(CustomerFactory(primary_rm=personas.rm), personas.rm)
    few = count_queries(client_for("rm"), reverse("watchlists-list"))
    few_home = count_queries(client_for("rm"), "/")
    few_board = count_queries(client_for("head"), reverse("watchlists-board"))
    for _ in range(12):
        open_item(CustomerFactory(primary_rm=personas.rm), personas.rm, level=3)
    assert count_queries(client_for("rm"), reverse("watchlists-list")) == few
    assert count_queries(client_for("rm"), "/") == few_home
    assert count_queries(client_for("head"), reverse("watchlists-board")) == few_board
    assert few <= 12 and few_board <= 16


def test_item_ledger_credit_file_and_customer_page_queries_do_not_grow(
    client_for, watch, book, personas
):
    from datetime import date

    from watchlists import services
    from watchlists.models import LoanCheck

    urls = [
        reverse("watchlists-detail", args=[watch.mine.pk]),
        reverse("watchlists-ledger", args=[book.mine.pk]),
        reverse("watchlists-credit-file", args=[book.mine.pk]),
        reverse("customers-detail", args=[book.mine.pk]),
        reverse("watchlists-checks"),
    ]
    few = [count_queries(client_for("rm"), url) for url in urls]
    for n in range(8):
        services.add_measure(
            actor=personas.rm,
            item=watch.mine,
            kind="call",
            owner=personas.rm,
            due_on=date(2099, 1, n + 1),
        )
        services.record_signals(
            actor=personas.rm,
            customer=book.mine,
            signals=["profit_trend"],
            source="rm",
            note=f"{n}",
        )
        LoanCheck.objects.create(
            customer=book.mine,
            kind="routine",
            due_on=date(2099, 2, n + 1),
            done_on=date(2026, 1, n + 1),
        )
    assert [count_queries(client_for("rm"), url) for url in urls] == few


def test_move_page_scope(client_for, book, personas, risk):
    assert_scope(
        client_for,
        lambda name: reverse("watchlists-move", args=[open_item(book.mine, personas.rm).pk]),
        allowed=SEES_MINE,
        method="post",
        data={"to": "in_hand", "reason": "跟进"},
        ok=302,
        personas=WATCH_PERSONAS,
    )
    assert WatchItem.objects.filter(customer=book.mine, state="in_hand").count() == 4


def test_logging_the_last_measure_plans_the_next(client_for, watch):
    (measure,) = watch.mine.measures.all()
    client_for("rm").post(
        reverse("watchlists-measure-log", args=[measure.pk]), {"result": "已联系"}
    )
    measures = list(watch.mine.measures.order_by("id"))
    assert len(measures) == 2 and measures[0].done_on and measures[1].done_on is None


def test_board_names_rms_by_their_names_not_their_logins(client_for, watch, book, personas):
    from watchlists import board

    WatchItem.objects.filter(customer=book.mine).update(
        review_on=timezone.localdate() - timedelta(days=3)
    )
    board.refresh()
    response = client_for("head").get(reverse("watchlists-board"))
    rm = personas.rm
    names = [name for name, _n in response.context["overdue_reviews"]]
    assert f"{rm.last_name}{rm.first_name}" in names
    assert rm.username not in names
