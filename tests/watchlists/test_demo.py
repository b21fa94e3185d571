import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from customers.models import Customer, Relation
from watchlists.models import LoanCheck, WatchItem

pytestmark = pytest.mark.django_db


def test_demo_puts_about_three_percent_on_watch_and_reruns_add_nothing(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--customers", "400", "--seed", "3")
    counts = (WatchItem.objects.count(), LoanCheck.objects.count())
    on_watch = WatchItem.objects.values("customer").distinct().count()
    assert 0.02 <= on_watch / Customer.objects.count() <= 0.05
    assert {k for k in WatchItem.objects.values_list("kind", flat=True)} >= {"credit", "attrition"}
    assert set(WatchItem.objects.values_list("level", flat=True)) == {1, 2, 3}
    today = timezone.localdate()
    assert LoanCheck.objects.filter(done_on__isnull=True, due_on__lt=today).exists()
    assert LoanCheck.objects.filter(done_on__isnull=True, due_on__gte=today).exists()
    # The guarantee circle: three companies, a severe item on one, echoes on the others.
    circle = Relation.objects.filter(note="互保")
    assert circle.count() == 3
    companies = {r.from_customer_id for r in circle}
    echoes = WatchItem.objects.filter(source="related", customer__in=companies)
    assert echoes.count() == 2
    origin = echoes.first().origin
    assert origin.level == 3 and origin.customer_id in companies
    assert User.objects.filter(role=User.Role.RISK, username="risk1").exists()
    assert (tmp_path / "demo" / "risk-signals.csv").exists()
    call_command("seed_demo", "--customers", "400", "--seed", "3")
    assert (WatchItem.objects.count(), LoanCheck.objects.count()) == counts
    call_command("import_risk_signals", str(tmp_path / "demo" / "risk-signals.csv"), "--evaluate")
    assert WatchItem.objects.filter(rule="overdue").exists()
