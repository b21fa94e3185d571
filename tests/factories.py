import factory
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
