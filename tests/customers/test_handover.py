import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from customers import services
from customers.models import Assignment, Customer, CustomerAssistant
from customers.signals import customers_handed_over
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_head_hands_a_customer_over_with_history(personas, book):
    Assignment.objects.create(customer=book.mine, rm=personas.rm, role="primary")
    moved = services.hand_over(
        actor=personas.head, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="调岗"
    )
    book.mine.refresh_from_db()
    assert moved == [book.mine.pk] and book.mine.primary_rm == personas.colleague
    old, new = (
        Assignment.objects.get(customer=book.mine, rm=personas.rm, role="primary"),
        Assignment.objects.get(customer=book.mine, rm=personas.colleague, role="primary"),
    )
    assert old.ended_at is not None and new.ended_at is None
    assert new.reason == "调岗" and new.changed_by == personas.head
    assert book.mine.history.first().history_change_reason == "调岗"


def test_an_assisting_rm_who_takes_over_stops_assisting(personas, book):
    services.hand_over(
        actor=personas.head, customer_ids=[book.assisted.pk], to_rm=personas.rm, reason="接手"
    )
    assert not CustomerAssistant.objects.filter(customer=book.assisted, rm=personas.rm).exists()
    book.assisted.refresh_from_db()
    assert book.assisted.primary_rm == personas.rm


def test_the_customer_moves_to_the_new_rms_branch(personas, book, org):
    services.hand_over(
        actor=personas.admin, customer_ids=[book.mine.pk], to_rm=personas.other_rm, reason="跨行"
    )
    book.mine.refresh_from_db()
    assert book.mine.branch == org.b2a


def test_a_head_cannot_hand_to_or_take_from_outside_the_subtree(personas, book):
    with pytest.raises(ValidationError):
        services.hand_over(
            actor=personas.head, customer_ids=[book.mine.pk], to_rm=personas.other_rm, reason="x"
        )
    moved = services.hand_over(
        actor=personas.head, customer_ids=[book.other.pk], to_rm=personas.rm, reason="x"
    )
    assert moved == []
    book.other.refresh_from_db()
    assert book.other.primary_rm == personas.other_rm


def test_rms_cannot_hand_over(personas, book):
    with pytest.raises(PermissionDenied):
        services.hand_over(
            actor=personas.rm, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="x"
        )


def test_a_reason_is_required(personas, book):
    with pytest.raises(ValidationError):
        services.hand_over(
            actor=personas.head, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason=" "
        )


def test_handover_announces_the_moved_customers(personas, book):
    received = []

    def listener(sender, customer_ids, to_rm, actor, **kwargs):
        received.append((set(customer_ids), to_rm, actor))

    customers_handed_over.connect(listener)
    try:
        services.hand_over(
            actor=personas.head, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="x"
        )
    finally:
        customers_handed_over.disconnect(listener)
    assert received == [({book.mine.pk}, personas.colleague, personas.head)]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm", 403), ("colleague", 403), ("other_rm", 403), ("head", 200), ("admin", 200)],
)
def test_handover_page_is_for_heads_and_admins(client_for, persona, status):
    assert client_for(persona).get(reverse("customers-handover")).status_code == status


def test_a_whole_book_moves_from_the_page(client_for, personas, book):
    extra = CustomerFactory(primary_rm=personas.rm)
    data = {
        "from_rm": personas.rm.pk,
        "to_rm": personas.colleague.pk,
        "whole_book": "on",
        "reason": "离职",
    }
    response = client_for("head").post(reverse("customers-handover"), data)
    assert response.status_code == 302
    moved = set(Customer.objects.filter(primary_rm=personas.colleague).values_list("pk", flat=True))
    assert {book.mine.pk, extra.pk} <= moved
    # An archived customer stays where it was until an admin restores it.
    book.archived.refresh_from_db()
    assert book.archived.primary_rm == personas.rm


def test_the_page_refuses_a_handover_without_a_reason(client_for, personas, book):
    data = {"to_rm": personas.colleague.pk, "customers": str(book.mine.pk), "reason": ""}
    response = client_for("head").post(reverse("customers-handover"), data)
    assert "reason" in response.context["form"].errors
    book.mine.refresh_from_db()
    assert book.mine.primary_rm == personas.rm


def test_deactivating_an_rm_who_still_holds_customers_is_refused_with_a_link(
    client_for, personas, book
):
    url = reverse("accounts-user-edit", args=[personas.rm.pk])
    data = {"username": "rm", "role": "rm", "branch": personas.rm.branch_id, "language": "zh-hans"}
    response = client_for("admin").post(url, data)
    assert response.status_code == 200
    message = " ".join(response.context["form"].errors["is_active"])
    assert reverse("customers-handover") in message
    assert (
        f'href="{reverse("customers-handover")}?from={personas.rm.pk}"' in response.content.decode()
    )
    personas.rm.refresh_from_db()
    assert personas.rm.is_active


def test_customers_ticked_on_the_list_arrive_on_the_handover_page(client_for, book):
    listing = client_for("head").get(reverse("customers-list"))
    assert 'data-testid="hand-over-selected"' in listing.content.decode()
    ticked = f"?customers={book.mine.pk}&customers={book.colleagues.pk}"
    url = reverse("customers-handover") + ticked
    page = client_for("head").get(url)
    assert {c.pk for c in page.context["selected"]} == {book.mine.pk, book.colleagues.pk}


def test_rms_get_no_selection_boxes(client_for, book):
    listing = client_for("rm").get(reverse("customers-list")).content.decode()
    assert 'data-testid="hand-over-selected"' not in listing


def test_selected_customers_fill_in_from_and_their_holder_is_not_a_receiver(
    client_for, personas, book
):
    extra = CustomerFactory(primary_rm=personas.rm)
    url = reverse("customers-handover") + f"?customers={book.mine.pk}&customers={extra.pk}"
    form = client_for("head").get(url).context["form"]
    assert form["from_rm"].value() == personas.rm.pk
    receivers = set(form.fields["to_rm"].queryset.values_list("username", flat=True))
    assert "rm" not in receivers and "colleague" in receivers


def test_customers_of_several_holders_leave_from_empty(client_for, personas, book):
    url = reverse("customers-handover") + f"?customers={book.mine.pk},{book.colleagues.pk}"
    form = client_for("head").get(url).context["form"]
    assert not form["from_rm"].value()


def test_the_current_holder_cannot_be_posted_as_receiver(client_for, personas, book):
    data = {"customers": str(book.mine.pk), "to_rm": personas.rm.pk, "reason": "调岗"}
    response = client_for("head").post(reverse("customers-handover"), data)
    assert response.status_code == 200 and "to_rm" in response.context["form"].errors


def test_after_a_handover_the_page_lists_what_moved_with_links(client_for, personas, book):
    client = client_for("head")
    data = {
        "customers": f"{book.mine.pk},{book.colleagues.pk}",
        "to_rm": personas.colleague.pk,
        "reason": "调岗",
    }
    response = client.post(reverse("customers-handover"), data, follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="handover-done"' in html
    # The colleague already held one of them: only the other moved.
    assert [c.pk for c in response.context["moved"]] == [book.mine.pk]
    assert f'href="{reverse("customers-detail", args=[book.mine.pk])}"' in html
    assert "已将 1 位客户移交给" in html


def test_a_new_primary_rm_on_the_customer_file_is_a_handover_of_one(personas, book):
    received = []

    def listener(sender, customer_ids, to_rm, actor, **kwargs):
        received.append((list(customer_ids), to_rm))

    customer = Customer.objects.get(pk=book.assisted.pk)  # colleague holds it, rm assists
    customer.primary_rm = personas.rm
    customers_handed_over.connect(listener)
    try:
        services.save_customer(actor=personas.head, customer=customer, assistants=None)
    finally:
        customers_handed_over.disconnect(listener)
    assert received == [([book.assisted.pk], personas.rm)]
    assert not CustomerAssistant.objects.filter(customer=book.assisted, rm=personas.rm).exists()
    assert Assignment.objects.filter(
        customer=book.assisted, rm=personas.rm, role="primary", ended_at=None
    ).exists()
