from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer, Holding, MonthlyBalance, Product
from customers.validators import normalise_mobile, normalise_resident_id, normalise_uscc

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        Customer.objects.order_by("customer_no").values_list(
            "customer_no", "name", "id_number", "primary_rm__username"
        )
    )


def test_demo_archive_is_deterministic_valid_and_useful(capsys):
    call_command("seed_demo", "--customers", "120", "--seed", "3")
    first = snapshot()
    assert len(first) == 120
    call_command("seed_demo", "--customers", "120", "--seed", "3")  # a rerun adds nothing
    assert snapshot() == first

    for customer in Customer.objects.all():
        normalise_mobile(customer.mobile)
        (normalise_uscc if customer.is_corporate else normalise_resident_id)(customer.id_number)
    assert MonthlyBalance.objects.count() == 120 * 12
    assert Product.objects.filter(category="credit_card", min_star_level__gt=0).exists()
    today = timezone.localdate()
    assert Holding.objects.filter(matures_on__range=(today, today + timedelta(days=30))).exists()
    assert Customer.objects.filter(asset_tier__isnull=False).exists()
    assert Customer.objects.filter(primary_rm__username="rm1").exists()


def test_demo_data_with_another_seed_differs():
    call_command("seed_demo", "--customers", "20", "--seed", "3")
    first = snapshot()
    Customer.objects.all().delete()
    call_command("seed_demo", "--customers", "20", "--seed", "4")
    assert snapshot() != first


def test_demo_visits_cover_a_year_and_plan_the_week_ahead():
    from visits.models import Visit

    call_command("seed_demo", "--customers", "200", "--seed", "3")
    today = timezone.localdate()
    done = Visit.objects.filter(status="completed")
    assert done.exists() and all(v.summary for v in done[:20])
    assert done.filter(planned_start__lt=timezone.now() - timedelta(days=180)).exists()
    planned = Visit.objects.filter(status="planned", rm__username="rm1")
    assert 5 <= planned.count() <= 8
    assert all(
        today <= timezone.localtime(v.planned_start).date() <= today + timedelta(days=6)
        for v in planned
    )
    before = Visit.objects.count()
    call_command("seed_demo", "--customers", "200", "--seed", "3")
    assert Visit.objects.count() == before


def test_organisation_grows_with_the_archive_so_books_stay_a_few_thousand():
    from accounts.demo import BOOK_SIZE, plan_size, seed_organisation
    from accounts.models import Branch, User

    assert plan_size(2000)[1] == 0  # the everyday demo keeps its small organisation
    subs, per_sub = plan_size(1_000_000)
    assert 190 <= subs * per_sub <= 220 and 1_000_000 / (subs * per_sub) <= BOOK_SIZE

    seed_organisation(customers=1_000_000)
    seed_organisation(customers=1_000_000)  # a rerun adds nothing
    assert 38 <= Branch.objects.count() <= 45
    rms = User.objects.filter(role=User.Role.RM)
    assert rms.count() == subs * per_sub
    beijing = Branch.objects.get(code="BJ")
    in_beijing = rms.filter(branch__path__startswith=beijing.path).count()
    assert 0.18 <= in_beijing / rms.count() <= 0.23  # head1's subtree: about 200,000 of 1 M
    assert User.objects.filter(role=User.Role.HEAD, branch__code="GZ").exists()
    # every generated user can log in with the demo password (hashed once, shared)
    assert User.objects.get(username="gz_head").check_password("crm-demo-2026")
