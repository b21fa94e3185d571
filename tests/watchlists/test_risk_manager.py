"""The risk manager (风险经理): a head's scope over its branch subtree, no more."""

from django.urls import reverse

from accounts.models import Branch, User
from customers.models import Customer
from tests.conftest import CUSTOMER_SCOPE


def names(book, queryset):
    by_pk = {c.pk: key for key, c in vars(book).items()}
    return {by_pk[pk] for pk in queryset.values_list("pk", flat=True) if pk in by_pk}


def test_risk_manager_sees_what_the_head_of_the_branch_sees(book, personas, risk, org):
    assert names(book, Customer.objects.visible_to(risk)) == CUSTOMER_SCOPE["head"]
    assert set(Branch.objects.visible_to(risk)) == set(Branch.objects.visible_to(personas.head))
    assert set(User.objects.visible_to(risk)) == set(User.objects.visible_to(personas.head)) | {
        risk
    }


def test_risk_manager_changes_no_customer_file(client_for, book, risk):
    assert not book.mine.editable_by(risk)
    assert not book.mine.archivable_by(risk)
    assert not risk.may_hand_over and not risk.may_assign_rms
    client = client_for("risk")
    assert client.get(reverse("customers-detail", args=[book.mine.pk])).status_code == 200
    assert client.get(reverse("customers-edit", args=[book.mine.pk])).status_code == 403
    assert client.get(reverse("customers-detail", args=[book.other.pk])).status_code == 404


def test_risk_manager_home_and_navigation(client_for, risk):
    response = client_for("risk").get(reverse("home"))
    assert response.templates[0].name == "home/head.html"
    names = [item["name"] for item in response.context["nav_items"]]
    assert names[:3] == ["home", "customers-list", "watchlists-board"]
