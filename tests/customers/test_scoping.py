"""Records that hang off a customer are visible exactly when their customer is."""

import pytest

from customers.models import Customer
from customers.scoping import CustomerScopedQuerySet
from tests.conftest import ALL_PERSONAS, CUSTOMER_SCOPE, persona_user
from tests.factories import VisitFactory
from tests.sample_module.models import Ticket, VisitNote
from visits.models import Visit, VisitQuerySet

pytestmark = pytest.mark.django_db

# Who sees which customers of the book: CUSTOMER_SCOPE, and the two new personas.
SCOPE = {**CUSTOMER_SCOPE, "other_head": {"other"}, "inactive": set()}


@pytest.fixture
def tickets(book):
    return {key: Ticket.objects.create(customer=customer) for key, customer in vars(book).items()}


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_a_record_is_visible_exactly_when_its_customer_is(personas, org, book, tickets, persona):
    user = persona_user(personas, org, persona)
    customers = set(Customer.objects.visible_to(user).values_list("pk", flat=True))
    assert {k for k, c in vars(book).items() if c.pk in customers} == SCOPE[persona]
    visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
    assert {k for k, t in tickets.items() if t.pk in visible} == SCOPE[persona]


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_the_customer_may_be_a_path_away(personas, org, book, persona):
    notes = {
        key: VisitNote.objects.create(visit=VisitFactory(customer=customer))
        for key, customer in vars(book).items()
    }
    user = persona_user(personas, org, persona)
    visible = set(VisitNote.objects.visible_to(user).values_list("pk", flat=True))
    assert {k for k, n in notes.items() if n.pk in visible} == SCOPE[persona]


def test_a_record_follows_its_customer_when_handed_over(personas, book, tickets):
    from customers import services

    services.hand_over(
        actor=personas.head, customer_ids=[book.mine.pk], to_rm=personas.colleague, reason="调岗"
    )
    assert not Ticket.objects.visible_to(personas.rm).filter(pk=tickets["mine"].pk).exists()
    assert Ticket.objects.visible_to(personas.colleague).filter(pk=tickets["mine"].pk).exists()


def test_an_anonymous_user_sees_no_record(book, tickets):
    from django.contrib.auth.models import AnonymousUser

    assert not Ticket.objects.visible_to(AnonymousUser()).exists()


def test_an_admins_scope_is_no_join(personas, tickets):
    assert "customers_customer" not in str(Ticket.objects.visible_to(personas.admin).query)


def test_an_rms_scope_reads_the_assisted_customers_first_and_joins_no_table(
    personas, book, tickets, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the assisted customers' ids
        scoped = Ticket.objects.visible_to(personas.rm)
    sql = str(scoped.query)
    assert "JOIN" not in sql and "customers_customerassistant" not in sql
    with django_assert_num_queries(1):
        assert len(scoped) == 2


def test_visits_build_on_the_base_with_the_same_query(personas, book):
    assert issubclass(VisitQuerySet, CustomerScopedQuerySet)
    for user in (personas.rm, personas.head, personas.admin):
        expected = (
            Visit.objects.all()
            if user.is_admin
            else Visit.objects.filter(customer__in=Customer.objects.visible_to(user))
        )
        assert str(Visit.objects.visible_to(user).query) == str(expected.query)
