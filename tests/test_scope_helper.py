"""The persona helper that scope tests are written with: it must catch a wrong answer."""

import pytest
from django.urls import reverse

from tests.conftest import ALL_PERSONAS, assert_scope

pytestmark = pytest.mark.django_db


def test_every_persona_is_asked_and_each_answer_checked(client_for, book):
    url = reverse("customers-detail", args=[book.mine.pk])
    statuses = assert_scope(client_for, url, allowed={"rm", "head", "admin"})
    assert list(statuses) == ALL_PERSONAS
    assert statuses["inactive"] == 302  # sent to the login page


def test_a_persona_who_sees_but_may_not_change_gets_403(client_for, book):
    url = reverse("customers-edit", args=[book.assisted.pk])
    assert_scope(client_for, url, allowed={"colleague", "head", "admin"}, visible={"rm"})


def test_a_wrong_expectation_fails_and_names_every_persona_that_differs(client_for, book):
    url = reverse("customers-detail", args=[book.mine.pk])
    with pytest.raises(AssertionError) as wrong:
        assert_scope(client_for, url, allowed={"rm", "colleague"})
    assert "colleague: 404, expected 200" in str(wrong.value)
    assert "head: 200, expected 404" in str(wrong.value)
    assert "admin: 200, expected 404" in str(wrong.value)


def test_an_inactive_user_let_in_would_fail(client_for, book, personas, org):
    from tests.conftest import persona_user

    url = reverse("customers-detail", args=[book.mine.pk])
    inactive = persona_user(personas, org, "inactive")
    inactive.is_active = True  # as if switching an account off did not keep it out
    inactive.save()
    with pytest.raises(AssertionError, match="inactive: 200"):
        assert_scope(client_for, url, allowed={"rm", "head", "admin"})


def test_the_api_keeps_the_same_scope(api_for, book):
    url = f"/api/customers/{book.mine.pk}/"
    statuses = assert_scope(api_for, url, allowed={"rm", "head", "admin"})
    assert statuses["inactive"] == 401


def test_a_write_gets_a_fresh_record_for_each_persona(client_for, personas):
    from tests.factories import CustomerFactory

    def archive_url(persona):
        customer = CustomerFactory(primary_rm=personas.rm)
        return reverse("customers-archive", args=[customer.pk])

    assert_scope(
        client_for, archive_url, method="post", ok=302, allowed={"head", "admin"}, visible={"rm"}
    )
