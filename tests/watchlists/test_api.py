from django.urls import reverse

from tests.conftest import assert_scope
from watchlists.models import WatchItem

from .conftest import WATCH_PERSONAS

SEES_MINE = {"rm", "head", "admin", "risk"}


def test_list_carries_the_documented_fields(api_for, watch):
    response = api_for("rm").get("/api/watch-items/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    assert set(rows) == {watch.mine.pk, watch.assisted.pk, watch.echo.pk}
    row = rows[watch.mine.pk]
    for key in (
        "id",
        "customer",
        "kind",
        "level",
        "state",
        "signals",
        "owner",
        "review_on",
        "escalation_level",
    ):
        assert key in row
    assert row["owner"] == "rm" and row["signals"] == ["large_flow"]


def test_list_filters(api_for, watch):
    api = api_for("admin")
    assert [r["id"] for r in api.get("/api/watch-items/", {"level": 2}).json()["results"]] == [
        watch.other.pk
    ]
    found = api.get("/api/watch-items/", {"signal": "related_party"}).json()["results"]
    assert [r["id"] for r in found] == [watch.echo.pk]
    assert api.get("/api/watch-items/", {"level": "x"}).status_code == 400


def test_detail_scope(api_for, watch, risk):
    assert_scope(
        api_for,
        f"/api/watch-items/{watch.mine.pk}/",
        allowed=SEES_MINE,
        personas=WATCH_PERSONAS,
    )


def test_related_item_hides_the_origin_through_the_api(api_for, watch, book):
    body = api_for("rm").get(f"/api/watch-items/{watch.echo.pk}/").json()
    assert body["related"]["visible"] is False
    assert book.other.name not in str(body)
    assert "origin_customer" not in body["related"]
    listed = api_for("rm").get("/api/watch-items/").json()
    assert book.other.name not in str(listed) and "9876543" not in str(listed)
    admin = api_for("admin").get(f"/api/watch-items/{watch.echo.pk}/").json()
    assert admin["related"]["origin_customer_name"] == book.other.name


def test_create_scope_and_errors(api_for, book, risk):
    data = {"customer": book.mine.pk, "kind": "credit", "level": 2, "signals": ["profit_trend"]}
    assert_scope(
        api_for,
        "/api/watch-items/",
        allowed={"rm", "head", "admin", "risk"},
        method="post",
        data=data,
        ok=201,
        personas=[p for p in WATCH_PERSONAS if p not in ("colleague", "other_rm", "other_head")],
    )
    # Out of scope: the customer reads as missing (400 on the field, like the visits API).
    response = api_for("other_rm").post("/api/watch-items/", data, format="json")
    assert response.status_code == 400 and "customer" in response.json()["error"]["fields"]
    response = api_for("rm").post("/api/watch-items/", {**data, "signals": []}, format="json")
    assert response.status_code == 400 and "signals" in response.json()["error"]["fields"]


def test_update_scope(api_for, watch, risk):
    assert_scope(
        api_for,
        f"/api/watch-items/{watch.assisted.pk}/",
        allowed={"colleague", "head", "admin", "risk"},
        visible={"rm"},
        method="patch",
        data={"level": 3},
        personas=WATCH_PERSONAS,
    )


def test_measures_and_move(api_for, watch, personas):
    api = api_for("rm")
    url = f"/api/watch-items/{watch.mine.pk}/measures/"
    assert len(api.get(url).json()) == 1
    created = api.post(url, {"kind": "visit", "owner": "rm", "due_on": "2099-01-01"}, format="json")
    assert created.status_code == 201
    assert api_for("other_rm").post(url, {}, format="json").status_code == 404
    move = f"/api/watch-items/{watch.mine.pk}/move/"
    assert api.post(move, {"to": "resolved"}, format="json").status_code == 400
    response = api.post(move, {"to": "in_hand", "reason": "跟进中"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "in_hand"
    response = api.post(move, {"to": "resolved", "reason": "已还清"}, format="json")
    assert response.json()["state"] == "resolved"
    assert api.post(move, {"to": "in_hand"}, format="json").status_code == 400


def test_loan_checks_scope_and_complete(api_for, watch, risk):
    assert_scope(
        api_for,
        f"/api/loan-checks/{watch.check.pk}/",
        allowed=SEES_MINE,
        personas=WATCH_PERSONAS,
    )
    assert [r["id"] for r in api_for("rm").get("/api/loan-checks/").json()["results"]] == [
        watch.check.pk
    ]
    assert api_for("other_rm").get("/api/loan-checks/").json()["results"] == []
    url = f"/api/loan-checks/{watch.check.pk}/complete/"
    response = api_for("rm").post(
        url, {"result": "problems", "signals": ["overdue_interest"], "level": 3}, format="json"
    )
    assert response.status_code == 200 and response.json()["done_on"]
    assert WatchItem.objects.get(pk=watch.mine.pk).level == 3
    assert api_for("rm").post(url, {"result": "normal"}, format="json").status_code == 400


def test_urls_reverse():
    assert reverse("api-watch-items-list") == "/api/watch-items/"
    assert reverse("api-loan-checks-list") == "/api/loan-checks/"


def test_measures_and_move_scope(api_for, book, personas, risk):
    from .conftest import open_item

    def fresh(action):
        return lambda name: f"/api/watch-items/{open_item(book.mine, personas.rm).pk}/{action}/"

    assert_scope(
        api_for,
        fresh("move"),
        allowed=SEES_MINE,
        method="post",
        data={"to": "in_hand", "reason": "跟进"},
        personas=WATCH_PERSONAS,
    )
    assert_scope(
        api_for,
        fresh("measures"),
        allowed=SEES_MINE,
        personas=WATCH_PERSONAS,
    )
    # An assisting RM reads the items of the customer but does not move them.
    assisted = open_item(book.assisted, personas.colleague)
    response = api_for("rm").post(
        f"/api/watch-items/{assisted.pk}/move/", {"to": "in_hand"}, format="json"
    )
    assert response.status_code == 403
