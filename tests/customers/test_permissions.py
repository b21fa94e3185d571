"""Who may do what on a customer: each rule through the service that enforces it, and through
the pages and the API that ask it, for every persona.

The customer is ``book.mine`` (primary RM ``rm``, branch B1A) unless said otherwise:
``colleague`` works beside ``rm`` but neither holds nor assists it, ``other_rm`` is in
another branch, ``head`` heads B1 above B1A.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from customers import services
from customers.models import Assignment, Customer, CustomerAssistant
from tests.conftest import PERSONAS

pytestmark = pytest.mark.django_db

# persona → may they (archive, restore, delete, hand over, edit) book.mine / book.archived
MAY = {
    "rm": {"archive": False, "restore": False, "delete": False, "hand_over": False, "edit": True},
    "colleague": dict.fromkeys(["archive", "restore", "delete", "hand_over", "edit"], False),
    "head": {"archive": True, "restore": False, "delete": False, "hand_over": True, "edit": True},
    "other_rm": dict.fromkeys(["archive", "restore", "delete", "hand_over", "edit"], False),
    "admin": dict.fromkeys(["archive", "restore", "delete", "hand_over", "edit"], True),
}


def allowed(persona, action):
    return MAY[persona][action]


# --- the rules, named once -------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_customer_answers_what_each_persona_may_do(personas, book, persona):
    user = getattr(personas, persona)
    in_scope = Customer.objects.visible_to(user).filter(pk=book.mine.pk).exists()
    may = book.mine.permissions_for(user) if in_scope else dict.fromkeys(MAY["rm"], False)
    expected = dict(MAY[persona], restore=False)  # book.mine is not archived
    assert may == expected
    assert book.archived.restorable_by(user) == allowed(persona, "restore")
    assert user.may_hand_over == (persona in {"head", "admin"})


def test_an_assisting_rm_reads_but_does_not_edit(personas, book):
    assert not book.assisted.editable_by(personas.rm)
    assert book.assisted.editable_by(personas.colleague)


def test_nobody_edits_archives_or_hands_over_an_archived_file(personas, book):
    for persona in PERSONAS:
        user = getattr(personas, persona)
        assert not book.archived.editable_by(user)
        assert not book.archived.archivable_by(user)
        assert not book.archived.may_be_handed_over_by(user)


def test_an_inactive_user_may_do_nothing(personas, book):
    personas.admin.is_active = False
    assert not any(book.mine.permissions_for(personas.admin).values())
    assert not personas.admin.may_hand_over


# --- the services enforce them ---------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_archive_service(personas, book, persona):
    user = getattr(personas, persona)
    if allowed(persona, "archive"):
        services.archive(actor=user, customer=book.mine)
    else:
        with pytest.raises(PermissionDenied):
            services.archive(actor=user, customer=book.mine)
    book.mine.refresh_from_db()
    assert book.mine.is_archived == allowed(persona, "archive")


def test_a_customer_is_archived_once(personas, book):
    services.archive(actor=personas.admin, customer=book.mine)
    stale = Customer.objects.get(pk=book.mine.pk)
    stale.archived_at = None  # a second click from a page loaded before the first
    with pytest.raises(PermissionDenied):
        services.archive(actor=personas.admin, customer=stale)
    assert book.mine.history.exclude(archived_at=None).count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_restore_service(personas, book, persona):
    user = getattr(personas, persona)
    if allowed(persona, "restore"):
        services.restore(actor=user, customer=book.archived)
    else:
        with pytest.raises(PermissionDenied):
            services.restore(actor=user, customer=book.archived)
    book.archived.refresh_from_db()
    assert book.archived.is_archived != allowed(persona, "restore")


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_service(personas, book, persona):
    user = getattr(personas, persona)
    if allowed(persona, "delete"):
        services.delete_customer(actor=user, customer=book.mine, confirmation=book.mine.customer_no)
    else:
        with pytest.raises(PermissionDenied):
            services.delete_customer(
                actor=user, customer=book.mine, confirmation=book.mine.customer_no
            )
    assert Customer.objects.filter(pk=book.mine.pk).exists() != allowed(persona, "delete")


def test_delete_service_needs_the_typed_customer_number(personas, book):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.delete_customer(actor=personas.admin, customer=book.mine, confirmation="")
    assert Customer.objects.filter(pk=book.mine.pk).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_handover_service(personas, book, persona):
    user = getattr(personas, persona)
    if allowed(persona, "hand_over"):
        moved = services.hand_over(
            actor=user, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="调岗"
        )
        assert moved == [book.mine.pk]
    else:
        with pytest.raises(PermissionDenied):
            services.hand_over(
                actor=user, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="调岗"
            )
    book.mine.refresh_from_db()
    assert (book.mine.primary_rm == personas.colleague) == allowed(persona, "hand_over")


def test_an_archived_customer_is_not_handed_over(personas, book):
    moved = services.hand_over(
        actor=personas.admin, customer_ids=[book.archived.pk], to_rm=personas.colleague, reason="x"
    )
    assert moved == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_service(personas, book, persona):
    user = getattr(personas, persona)
    customer = Customer.objects.get(pk=book.mine.pk)
    customer.notes = "改过"
    if allowed(persona, "edit"):
        services.save_customer(actor=user, customer=customer, assistants=None)
    else:
        with pytest.raises(PermissionDenied):
            services.save_customer(actor=user, customer=customer, assistants=None)
    book.mine.refresh_from_db()
    assert (book.mine.notes == "改过") == allowed(persona, "edit")


def test_an_rm_cannot_give_their_customer_away_or_choose_assistants(personas, book):
    customer = Customer.objects.get(pk=book.mine.pk)
    customer.primary_rm = personas.colleague
    with pytest.raises(PermissionDenied):
        services.save_customer(actor=personas.rm, customer=customer, assistants=None)
    customer = Customer.objects.get(pk=book.mine.pk)
    with pytest.raises(PermissionDenied):
        services.save_customer(actor=personas.rm, customer=customer, assistants=[personas.head])
    book.mine.refresh_from_db()
    assert book.mine.primary_rm == personas.rm
    assert not CustomerAssistant.objects.filter(customer=book.mine).exists()


def test_an_rm_cannot_file_a_customer_for_someone_else(personas):
    from tests.factories import CustomerFactory

    customer = CustomerFactory.build(primary_rm=personas.colleague)
    with pytest.raises(PermissionDenied):
        services.save_customer(actor=personas.rm, customer=customer, assistants=None)
    assert not Customer.objects.filter(customer_no=customer.customer_no).exists()


# --- the pages ask them ----------------------------------------------------------------


def status_for(persona, action, *, ok):
    """Out of scope answers 404, in scope but not allowed 403."""
    if persona in {"colleague", "other_rm"}:
        return 404
    return ok if allowed(persona, action) else 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_archive_page(client_for, book, persona):
    client = client_for(persona)
    url = reverse("customers-archive", args=[book.mine.pk])
    assert client.get(url).status_code == status_for(persona, "archive", ok=200)
    assert client.post(url).status_code == status_for(persona, "archive", ok=302)
    book.mine.refresh_from_db()
    assert book.mine.is_archived == allowed(persona, "archive")


@pytest.mark.parametrize("persona", PERSONAS)
def test_restore_page(client_for, book, persona):
    url = reverse("customers-restore", args=[book.archived.pk])
    expected = 302 if allowed(persona, "restore") else 404  # only admins see archived files
    assert client_for(persona).post(url).status_code == expected
    book.archived.refresh_from_db()
    assert book.archived.is_archived != allowed(persona, "restore")


@pytest.mark.parametrize("persona", PERSONAS)
def test_delete_page(client_for, book, persona):
    client = client_for(persona)
    url = reverse("customers-delete", args=[book.mine.pk])
    assert client.get(url).status_code == status_for(persona, "delete", ok=200)
    response = client.post(url, {"confirm": book.mine.customer_no})
    assert response.status_code == status_for(persona, "delete", ok=302)
    assert Customer.objects.filter(pk=book.mine.pk).exists() != allowed(persona, "delete")


@pytest.mark.parametrize("persona", PERSONAS)
def test_handover_page(client_for, personas, book, persona):
    data = {"customers": str(book.mine.pk), "to_rm": personas.colleague.pk, "reason": "调岗"}
    response = client_for(persona).post(reverse("customers-handover"), data)
    assert response.status_code == (302 if allowed(persona, "hand_over") else 403)
    book.mine.refresh_from_db()
    assert (book.mine.primary_rm == personas.colleague) == allowed(persona, "hand_over")


@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_page(client_for, book, persona):
    url = reverse("customers-edit", args=[book.mine.pk])
    assert client_for(persona).get(url).status_code == status_for(persona, "edit", ok=200)


@pytest.mark.parametrize("persona", ["rm", "head", "admin"])
def test_the_360_page_offers_exactly_the_allowed_actions(client_for, book, persona):
    page = client_for(persona).get(reverse("customers-detail", args=[book.mine.pk]))
    html = page.content.decode()
    buttons = [("archive", "archive"), ("delete", "delete"), ("hand_over", "hand-over")]
    for action, testid in buttons:
        assert (f'data-testid="{testid}"' in html) == allowed(persona, action), action
    assert (reverse("customers-edit", args=[book.mine.pk]) in html) == allowed(persona, "edit")


def test_the_360_page_of_an_archived_file_offers_restore_to_an_admin(client_for, book):
    html = client_for("admin").get(reverse("customers-detail", args=[book.archived.pk]))
    html = html.content.decode()
    assert 'data-testid="restore"' in html
    assert 'data-testid="archive"' not in html and 'data-testid="hand-over"' not in html


# --- the API asks them -----------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_edit(api_for, book, persona):
    response = api_for(persona).patch(
        f"/api/customers/{book.mine.pk}/", {"notes": "改过"}, format="json"
    )
    assert response.status_code == status_for(persona, "edit", ok=200)
    book.mine.refresh_from_db()
    assert (book.mine.notes == "改过") == allowed(persona, "edit")


def test_api_refuses_an_assisting_rm_edit(api_for, book):
    response = api_for("rm").patch(
        f"/api/customers/{book.assisted.pk}/", {"notes": "改过"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_has_no_delete(api_for, book, persona):
    assert api_for(persona).delete(f"/api/customers/{book.mine.pk}/").status_code == 405
    assert Customer.objects.filter(pk=book.mine.pk).exists()


def test_api_primary_rm_change_by_a_head_is_recorded(api_for, personas, book):
    response = api_for("head").patch(
        f"/api/customers/{book.mine.pk}/", {"primary_rm": "colleague"}, format="json"
    )
    assert response.status_code == 200
    assert Assignment.objects.filter(
        customer=book.mine, rm=personas.colleague, role="primary", ended_at=None
    ).exists()


def test_api_ignores_a_primary_rm_given_by_an_rm(api_for, personas, book):
    response = api_for("rm").patch(
        f"/api/customers/{book.mine.pk}/", {"primary_rm": "colleague"}, format="json"
    )
    assert response.status_code in {200, 400}
    book.mine.refresh_from_db()
    assert book.mine.primary_rm == personas.rm


# --- the Django admin follows them -----------------------------------------------------


def admin_change_data(response, **changes):
    """The admin change form's own values, posted back with ``changes``."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None or field.disabled:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_admin_offers_no_bulk_delete_and_no_delete_without_the_typed_number(client_for, book):
    client = client_for("admin")
    changelist = client.get(reverse("admin:customers_customer_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    response = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "delete_selected", "_selected_action": [book.mine.pk], "post": "yes"},
    )
    assert response.status_code in {200, 302}
    delete = client.post(reverse("admin:customers_customer_delete", args=[book.mine.pk]))
    assert delete.status_code == 403
    assert Customer.objects.filter(pk=book.mine.pk).exists()


def test_admin_keeps_the_primary_rm_read_only_and_saves_through_the_rules(
    client_for, personas, book
):
    client = client_for("admin")
    url = reverse("admin:customers_customer_change", args=[book.mine.pk])
    page = client.get(url)
    assert "primary_rm" not in page.context["adminform"].form.fields
    data = admin_change_data(page, name="张伟伟", primary_rm=personas.colleague.pk)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    book.mine.refresh_from_db()
    assert book.mine.name == "张伟伟" and book.mine.primary_rm == personas.rm
    assert not Assignment.objects.filter(customer=book.mine, rm=personas.colleague).exists()
    assert book.mine.history.first().history_user == personas.admin


def test_admin_files_a_new_customer_with_its_assignment(client_for, personas):
    client = client_for("admin")
    url = reverse("admin:customers_customer_add")
    data = admin_change_data(
        client.get(url),
        customer_no="A0001",
        kind="individual",
        name="王小明",
        lifecycle_stage="new",
        primary_rm=personas.colleague.pk,
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    customer = Customer.objects.get(customer_no="A0001")
    assert customer.branch == personas.colleague.branch
    assert Assignment.objects.get(customer=customer).rm == personas.colleague


def test_admin_change_form_records_the_sensitive_access(client_for, personas, book):
    from customers.models import SensitiveAccess

    client_for("admin").get(reverse("admin:customers_customer_change", args=[book.mine.pk]))
    assert SensitiveAccess.objects.filter(
        user=personas.admin, customer=book.mine, action="view"
    ).exists()


def test_admin_shows_old_versions_recorded_and_never_reverts(client_for, personas, book):
    from customers.models import SensitiveAccess

    client = client_for("admin")
    book.mine.name = "旧名"
    book.mine.save()
    version = book.mine.history.last()
    url = reverse(
        "admin:customers_customer_simple_history", args=[book.mine.pk, version.history_id]
    )
    assert client.get(url).status_code == 200
    assert SensitiveAccess.objects.filter(user=personas.admin, customer=book.mine).exists()
    assert client.post(url, {"name": "张伟"}).status_code == 403
    book.mine.refresh_from_db()
    assert book.mine.name == "旧名"


def test_admin_cannot_change_an_archived_file(client_for, book):
    client = client_for("admin")
    url = reverse("admin:customers_customer_change", args=[book.archived.pk])
    assert client.get(url).status_code == 200  # read-only
    assert client.post(url, {"name": "改名"}).status_code == 403
    book.archived.refresh_from_db()
    assert book.archived.name == "归档客户"
