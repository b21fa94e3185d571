"""Who may see and do what, on every page and endpoint, for each persona.

mine:     rm's opportunity on rm's customer.
assisted: the colleague's opportunity on the customer rm assists, rm assisting with 40 %
          of the credit: rm reads it (and their split) but neither changes nor moves it.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from opportunities.models import Suggestion, TargetEntry, TargetList, Task
from tests.conftest import ALL_PERSONAS, assert_scope

from .conftest import make_opportunity

pytestmark = pytest.mark.django_db

EVERYONE = set(ALL_PERSONAS) - {"inactive"}


def test_board_list_suggestions_and_target_lists_are_open_to_every_active_user(client_for, opps):
    for name in (
        "opportunities-board",
        "opportunities-list",
        "opportunities-suggestions",
        "opportunities-targets",
    ):
        assert_scope(client_for, reverse(name), allowed=EVERYONE)


def test_an_rm_never_sees_another_rms_opportunity_in_lists(client_for, opps):
    page = client_for("other_rm").get(reverse("opportunities-list"), {"mine": "0"})
    assert opps.other.title in page.content.decode()
    body = client_for("colleague").get(reverse("opportunities-list"), {"mine": "0"})
    ids = {o.pk for o in body.context["page_obj"]}
    assert ids == {opps.assisted.pk}


def test_opportunity_page(client_for, opps):
    assert_scope(
        client_for,
        reverse("opportunities-detail", args=[opps.mine.pk]),
        allowed={"rm", "head", "admin"},
    )


def test_assisting_rm_reads_the_opportunity_and_its_split_but_does_not_edit(client_for, opps):
    url = reverse("opportunities-detail", args=[opps.assisted.pk])
    assert_scope(client_for, url, allowed={"rm", "colleague", "head", "admin"})
    page = client_for("rm").get(url)
    assert "40 %" in page.content.decode()
    assert page.context["move_form"] is None
    assert_scope(
        client_for,
        reverse("opportunities-edit", args=[opps.assisted.pk]),
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )


def test_move_page(client_for, personas, book, products):
    def fresh(name):
        opportunity = make_opportunity(book.assisted, personas.colleague)
        return reverse("opportunities-move", args=[opportunity.pk])

    assert_scope(
        client_for,
        fresh,
        method="post",
        data={"stage": "contacted"},
        ok=302,
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )


def test_create_page(client_for, opps, book):
    url = reverse("opportunities-create") + f"?customer={book.mine.pk}"
    assert_scope(client_for, url, allowed={"rm", "head", "admin"})
    # An assisting RM of the customer may open one too.
    url = reverse("opportunities-create") + f"?customer={book.assisted.pk}"
    assert_scope(client_for, url, allowed={"rm", "colleague", "head", "admin"})


def test_suggestion_buttons(client_for, book):
    def fresh(action):
        def url(name):
            suggestion = Suggestion.objects.create(
                customer=book.mine,
                category=f"c{Suggestion.objects.count()}",
                rank=1,
                peer_share=50,
                computed_on=timezone.localdate(),
            )
            return reverse(f"opportunities-suggestion-{action}", args=[suggestion.pk])

        return url

    for action in ("create", "dismiss"):
        assert_scope(
            client_for, fresh(action), method="post", ok=302, allowed={"rm", "head", "admin"}
        )


def test_review_and_export_are_for_heads_and_admins(client_for, opps):
    for name in ("opportunities-review", "opportunities-review-export"):
        assert_scope(client_for, reverse(name), allowed={"head", "other_head", "admin"})


def test_the_other_heads_review_shows_nothing_of_branch_one(client_for, opps):
    from opportunities.nightly import snapshot_pipeline

    snapshot_pipeline()
    review = client_for("other_head").get(reverse("opportunities-review")).context["review"]
    assert review.total.count == 1  # other_rm's only


@pytest.fixture
def target(personas, book):
    target = TargetList.objects.create(
        theme="无贷户营销", deadline=timezone.localdate(), created_by=personas.head
    )
    for customer in (book.mine, book.assisted, book.other):
        TargetEntry.objects.create(
            target_list=target,
            customer=customer,
            rm=customer.primary_rm,
            branch=customer.branch,
        )
    return target


def test_target_pages(client_for, target, book):
    assert_scope(
        client_for,
        reverse("opportunities-target-create"),
        allowed={"head", "other_head", "admin"},
    )
    assert_scope(
        client_for,
        reverse("opportunities-target-detail", args=[target.pk]),
        allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
    )
    mine = TargetEntry.objects.get(customer=book.mine)
    assert_scope(
        client_for,
        reverse("opportunities-target-entry", args=[mine.pk]),
        allowed={"rm", "head", "admin"},
    )
    assisted = TargetEntry.objects.get(customer=book.assisted)
    assert_scope(
        client_for,
        reverse("opportunities-target-entry", args=[assisted.pk]),
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )


def test_task_done(client_for, opps):
    def fresh(name):
        task = Task.objects.create(
            opportunity=opps.mine,
            kind=f"t{Task.objects.count()}",
            due_at=timezone.now(),
        )
        return reverse("opportunities-task-done", args=[task.pk])

    assert_scope(client_for, fresh, method="post", ok=302, allowed={"rm", "head", "admin"})


# --- the API -------------------------------------------------------------------------------


def test_api_lists_and_stages_are_open_to_every_active_user(api_for, opps):
    for url in (
        "/api/opportunities/",
        "/api/stages/",
        "/api/target-lists/",
        "/api/target-entries/",
    ):
        assert_scope(api_for, url, allowed=EVERYONE)


def test_api_list_holds_only_the_callers_scope(api_for, opps):
    seen = {
        name: {row["id"] for row in api_for(name).get("/api/opportunities/").json()["results"]}
        for name in ("rm", "colleague", "other_rm", "head")
    }
    assert seen == {
        "rm": {opps.mine.pk, opps.assisted.pk},
        "colleague": {opps.assisted.pk},
        "other_rm": {opps.other.pk},
        "head": {opps.mine.pk, opps.assisted.pk},
    }


def test_api_detail_update_and_move(api_for, personas, book, opps):
    assert_scope(api_for, f"/api/opportunities/{opps.mine.pk}/", allowed={"rm", "head", "admin"})
    assert_scope(
        api_for,
        f"/api/opportunities/{opps.assisted.pk}/",
        allowed={"rm", "colleague", "head", "admin"},
    )
    assert_scope(
        api_for,
        f"/api/opportunities/{opps.assisted.pk}/",
        method="patch",
        data={"competitor": "某银行"},
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )

    def fresh(name):
        opportunity = make_opportunity(book.assisted, personas.colleague)
        return f"/api/opportunities/{opportunity.pk}/move/"

    assert_scope(
        api_for,
        fresh,
        method="post",
        data={"stage": "contacted"},
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )


def test_api_create_only_for_customers_in_scope(api_for, book, products):
    body = {
        "customer": book.mine.pk,
        "title": "大额存单",
        "type": "grow",
        "expected_close_on": "2030-01-31",
        "next_step": "上门拜访",
        "next_step_on": "2029-12-01",
        "lines": [{"product": "TD", "amount": "500000"}],
    }
    for name in ("rm", "head", "admin"):
        response = api_for(name).post("/api/opportunities/", body, format="json")
        assert response.status_code == 201, (name, response.json())
        assert response.json()["owner"] == ("rm" if name != "rm" else "rm")
    for name in ("colleague", "other_rm", "other_head"):
        response = api_for(name).post("/api/opportunities/", body, format="json")
        assert response.status_code == 400
        assert "customer" in response.json()["error"]["fields"]
    assert api_for("inactive").post("/api/opportunities/", body, format="json").status_code in (
        401,
        403,
    )


def test_api_suggestions_of_a_customer(api_for, book):
    Suggestion.objects.create(
        customer=book.mine, category="fund", rank=1, peer_share=55, computed_on=timezone.localdate()
    )
    assert_scope(
        api_for, f"/api/customers/{book.mine.pk}/suggestions/", allowed={"rm", "head", "admin"}
    )


def test_api_target_lists_and_feedback(api_for, target, book):
    assert_scope(
        api_for,
        f"/api/target-lists/{target.pk}/",
        allowed={"rm", "colleague", "head", "other_rm", "other_head", "admin"},
    )
    assisted = TargetEntry.objects.get(customer=book.assisted)
    assert_scope(
        api_for,
        f"/api/target-entries/{assisted.pk}/",
        method="patch",
        data={"feedback": "contacted"},
        allowed={"colleague", "head", "admin"},
        visible={"rm"},
    )
