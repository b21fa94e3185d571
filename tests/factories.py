import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import Branch, User

PASSWORD = "correct-horse-battery"


class BranchFactory(DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"B{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}支行")
    level = Branch.Level.SUB_BRANCH
    parent = None


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Faker("last_name", locale="zh_CN")
    first_name = factory.Faker("first_name", locale="zh_CN")
    role = User.Role.RM
    branch = factory.SubFactory(BranchFactory)
    language = "zh-hans"
    password = factory.django.Password(PASSWORD)

    class Params:
        # ``UserFactory(inactive=True)``: a user whose account was switched off (left the bank).
        inactive = factory.Trait(is_active=False)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = "customers.Product"
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = "time_deposit"
    risk_level = "R1"
    matures = True


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = "customers.Customer"
        skip_postgeneration_save = True

    customer_no = factory.Sequence(lambda n: f"T{n:09d}")
    kind = "individual"
    name = factory.Faker("name", locale="zh_CN")
    primary_rm = factory.SubFactory(UserFactory)
    branch = factory.LazyAttribute(lambda o: o.primary_rm.branch)
    mobile = factory.Sequence(lambda n: f"139{n:08d}")
    id_type = "resident_id"
    id_number = factory.Sequence(lambda n: _resident_id(n))


def _resident_id(n):
    from customers.validators import resident_id_check_char

    first17 = f"1101011990{(n // 28) % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class HoldingFactory(DjangoModelFactory):
    class Meta:
        model = "customers.Holding"

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    account_no = factory.Sequence(lambda n: f"62220{n:010d}")
    amount = 100000


class BalanceFactory(DjangoModelFactory):
    class Meta:
        model = "customers.MonthlyBalance"

    customer = factory.SubFactory(CustomerFactory)
    month = datetime.date(2026, 1, 1)
    avg_financial_assets = 0
    star_points = 0


class VisitFactory(DjangoModelFactory):
    class Meta:
        model = "visits.Visit"
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    rm = factory.LazyAttribute(lambda o: o.customer.primary_rm)
    channel = "on_site"
    planned_start = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    planned_end = factory.LazyAttribute(lambda o: o.planned_start + datetime.timedelta(hours=1))
    purpose = "了解理财需求"
