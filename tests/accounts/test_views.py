import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Branch, User
from tests.conftest import PERSONAS
from tests.factories import PASSWORD, UserFactory


def password_login(client, username, password):
    return client.post(reverse("accounts-login"), {"username": username, "password": password})


pytestmark = pytest.mark.django_db


def nav_names(response):
    return [item["name"] for item in response.context["nav_items"]]


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts-login"))


@pytest.mark.parametrize(
    ("persona", "template", "nav"),
    [
        (
            "rm",
            "home/rm.html",
            [
                "home",
                "customers-list",
                "visits-calendar",
                "watchlists-list",
                "opportunities-board",
                "service-list",
                "reminders-inbox",
                "reports-scorecard",
                "jobs-list",
            ],
        ),
        (
            "colleague",
            "home/rm.html",
            [
                "home",
                "customers-list",
                "visits-calendar",
                "watchlists-list",
                "opportunities-board",
                "service-list",
                "reminders-inbox",
                "reports-scorecard",
                "jobs-list",
            ],
        ),
        (
            "other_rm",
            "home/rm.html",
            [
                "home",
                "customers-list",
                "visits-calendar",
                "watchlists-list",
                "opportunities-board",
                "service-list",
                "reminders-inbox",
                "reports-scorecard",
                "jobs-list",
            ],
        ),
        (
            "head",
            "home/head.html",
            [
                "home",
                "accounts-users",
                "customers-list",
                "watchlists-board",
                "opportunities-review",
                "service-list",
                "reports-dashboard",
                "jobs-list",
            ],
        ),
        (
            "admin",
            "home/admin.html",
            [
                "home",
                "customers-list",
                "customers-import",
                "watchlists-board",
                "opportunities-review",
                "service-list",
                "accounts-users",
                "accounts-branches",
                "reports-dashboard",
                "jobs-list",
                "ops-tasks",
            ],
        ),
    ],
)
def test_each_role_has_its_home_page_and_navigation(client_for, persona, template, nav):
    response = client_for(persona).get(reverse("home"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    assert nav_names(response) == nav


def test_navigation_names_only_pages_that_exist(client_for):
    response = client_for("head").get(reverse("home"))
    items = {item["name"]: item for item in response.context["nav_items"]}
    assert items["home"]["url"] == "/" and items["home"]["active"]
    # Modules not built yet (pipeline, reports) leave no greyed-out entry.
    assert all(item["url"] for item in items.values())
    assert "disabled" not in response.content.decode()


def test_head_home_counts_only_their_team(client_for, personas):
    response = client_for("head").get(reverse("home"))
    assert response.context["team_count"] == 2  # rm and colleague, not other_rm
    assert [b.code for b in response.context["branches"]] == ["B1", "B1A", "B1A-O", "B1B"]


# --- users ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "visible"),
    [
        ("rm", 403, None),
        ("colleague", 403, None),
        ("other_rm", 403, None),
        ("head", 200, {"rm", "colleague", "head"}),
        ("admin", 200, {"rm", "colleague", "head", "other_rm", "other_head", "admin"}),
    ],
)
def test_user_list_is_the_team_for_heads_and_everyone_for_admins(
    client_for, persona, status, visible
):
    response = client_for(persona).get(reverse("accounts-users"))
    assert response.status_code == status
    if visible is not None:
        assert {u.username for u in response.context["page_obj"]} == visible


def test_user_list_filters_by_role(client_for):
    response = client_for("admin").get(reverse("accounts-users"), {"role": "head"})
    assert {u.username for u in response.context["page_obj"]} == {"head", "other_head"}


def test_user_list_query_count_does_not_grow_with_users(client_for, org):
    client = client_for("admin")
    client.get(reverse("accounts-users"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts-users"))
    UserFactory.create_batch(30, branch=org.b2a)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts-users"))
    assert len(many) == len(few) <= 8


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("rm", "rm", 200),
        ("rm", "colleague", 404),
        ("rm", "head", 404),
        ("colleague", "rm", 404),
        ("head", "rm", 200),
        ("head", "other_rm", 404),
        ("other_rm", "rm", 404),
        ("admin", "other_rm", 200),
    ],
)
def test_user_detail_follows_the_access_rule(client_for, personas, persona, target, status):
    pk = getattr(personas, target).pk
    assert client_for(persona).get(reverse("accounts-user-detail", args=[pk])).status_code == status


def test_missing_user_and_out_of_scope_user_answer_alike(client_for, personas):
    client = client_for("rm")
    missing = client.get(reverse("accounts-user-detail", args=[10**9]))
    hidden = client.get(reverse("accounts-user-detail", args=[personas.head.pk]))
    assert missing.status_code == hidden.status_code == 404


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("rm", "rm", 403),
        ("rm", "colleague", 404),
        ("colleague", "rm", 404),
        ("head", "rm", 403),
        ("head", "other_rm", 404),
        ("other_rm", "rm", 404),
        ("admin", "rm", 200),
    ],
)
def test_only_admins_edit_users(client_for, personas, persona, target, status):
    url = reverse("accounts-user-edit", args=[getattr(personas, target).pk])
    assert client_for(persona).get(url).status_code == status
    post = client_for(persona).post(url, {"username": "renamed"})
    assert post.status_code == (200 if status == 200 else status)
    assert not User.objects.filter(username="renamed").exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_admins_create_users(client_for, persona):
    response = client_for(persona).get(reverse("accounts-user-create"))
    assert response.status_code == (200 if persona == "admin" else 403)


def new_user_data(org, **overrides):
    data = {
        "username": "rm9",
        "last_name": "赵",
        "first_name": "磊",
        "email": "rm9@example.com",
        "role": "rm",
        "branch": org.b1b.pk,
        "employee_no": "R9001",
        "phone": "13800138000",
        "language": "zh-hans",
        "password1": "a-sound-passphrase-42",
        "password2": "a-sound-passphrase-42",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_user_who_can_log_in(client_for, org, client):
    response = client_for("admin").post(reverse("accounts-user-create"), new_user_data(org))
    created = User.objects.get(username="rm9")
    assert response.status_code == 302
    assert created.branch == org.b1b and created.role == User.Role.RM
    client.logout()
    assert password_login(client, "rm9", "a-sound-passphrase-42").status_code == 302


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"branch": ""}, "branch", "客户经理和行长必须属于一个机构。"),
        ({"employee_no": "E-TAKEN"}, "employee_no", "已有其他用户使用此员工编号。"),
        ({"phone": "not a phone"}, "phone", "请输入有效的电话号码。"),
        ({"password2": "different"}, "password2", "输入的两个密码不一致。"),
        ({"username": "rm"}, "username", "已存在一位使用该名字的用户。"),
    ],
)
def test_bad_user_input_is_refused_in_chinese_and_saves_nothing(
    client_for, personas, org, overrides, field, message
):
    personas.colleague.employee_no = "E-TAKEN"
    personas.colleague.save()
    before = User.objects.count()
    response = client_for("admin").post(
        reverse("accounts-user-create"), new_user_data(org, **overrides)
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_admin_cannot_lock_themself_out(client_for, personas):
    admin = personas.admin
    url = reverse("accounts-user-edit", args=[admin.pk])
    data = {
        "username": admin.username,
        "role": "rm",
        "branch": admin.branch_id,
        "language": "zh-hans",
        "is_active": "",
    }
    response = client_for("admin").post(url, data)
    errors = response.context["form"].errors
    assert "is_active" in errors and "role" in errors
    admin.refresh_from_db()
    assert admin.is_active and admin.is_admin


def test_admin_deactivates_a_user_who_then_cannot_log_in(client_for, personas, client):
    rm = personas.rm
    url = reverse("accounts-user-edit", args=[rm.pk])
    data = {"username": "rm", "role": "rm", "branch": rm.branch_id, "language": "zh-hans"}
    assert client_for("admin").post(url, data).status_code == 302
    rm.refresh_from_db()
    assert not rm.is_active
    client.logout()
    assert password_login(client, "rm", PASSWORD).status_code == 200  # the form again


# --- branches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("rm", ["B1A"]),
        ("colleague", ["B1A"]),
        ("other_rm", ["B2A"]),
        ("head", ["B1", "B1A", "B1A-O", "B1B"]),
        ("admin", ["HO", "B1", "B1A", "B1A-O", "B1B", "B2", "B2A"]),
    ],
)
def test_branch_list_shows_the_visible_tree_in_order(client_for, persona, visible):
    response = client_for(persona).get(reverse("accounts-branches"))
    assert response.status_code == 200
    assert [b.code for b in response.context["branches"]] == visible, [
        (b.code, b.path) for b in response.context["branches"]
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rm", 403), ("colleague", 403), ("other_rm", 404), ("head", 403), ("admin", 200)],
)
def test_only_admins_edit_branches(client_for, org, persona, status):
    url = reverse("accounts-branch-edit", args=[org.b1a.pk])
    assert client_for(persona).get(url).status_code == status
    client_for(persona).post(
        url, {"code": "B1A", "name": "改名", "level": "sub_branch", "parent": org.b1.pk}
    )
    org.b1a.refresh_from_db()
    assert (org.b1a.name == "改名") == (persona == "admin")


def test_admin_creates_a_branch_under_another(client_for, org):
    data = {"code": "B1B-O", "name": "望京网点", "level": "outlet", "parent": org.b1b.pk}
    assert client_for("admin").post(reverse("accounts-branch-create"), data).status_code == 302
    outlet = Branch.objects.get(code="B1B-O")
    assert outlet.path.startswith(org.b1b.path) and outlet.depth == 3


def test_a_branch_cannot_move_under_its_own_subtree(client_for, org):
    url = reverse("accounts-branch-edit", args=[org.b1.pk])
    data = {"code": "B1", "name": "北京分行", "level": "branch", "parent": org.b1a_outlet.pk}
    response = client_for("admin").post(url, data)
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    org.b1.refresh_from_db()
    assert org.b1.parent == org.ho


def test_bad_branch_code_is_refused(client_for, org):
    data = {"code": "有 空格", "name": "x", "level": "outlet", "parent": org.b1b.pk}
    response = client_for("admin").post(reverse("accounts-branch-create"), data)
    assert "只能使用字母、数字、- 和 _。" in response.context["form"].errors["code"]
    assert not Branch.objects.filter(name="x").exists()


# --- Django admin -------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [("rm", 302), ("head", 302), ("admin", 200)])
def test_only_admins_reach_the_django_admin(client_for, persona, status):
    assert client_for(persona).get(reverse("admin:accounts_user_changelist")).status_code == status


def test_django_admin_changelists_work(client_for, personas):
    client = client_for("admin")
    assert client.get(reverse("admin:accounts_branch_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:accounts_user_change", args=[personas.rm.pk])).status_code == 200
    )


def test_rm_home_lists_coming_birthdays_and_maturities_of_their_customers_only(client_for, book):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import HoldingFactory

    today = timezone.localdate()
    soon = (today + timedelta(days=2)).replace(year=1980)
    for customer in (book.mine, book.other, book.colleagues):
        customer.birth_date = soon
        customer.save()
        HoldingFactory(customer=customer, matures_on=today + timedelta(days=5))
    response = client_for("rm").get(reverse("home"))
    assert [c.pk for c in response.context["birthdays"]] == [book.mine.pk]
    assert [h.customer_id for h in response.context["maturing"]] == [book.mine.pk]
    assert response.context["birthdays"][0].next_birthday == today + timedelta(days=2)


def test_rm_home_query_count_does_not_grow(client_for, personas):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import CustomerFactory, HoldingFactory

    client = client_for("rm")
    today = timezone.localdate()

    def add(n):
        for _ in range(n):
            customer = CustomerFactory(primary_rm=personas.rm, birth_date=today.replace(year=1980))
            HoldingFactory(customer=customer, matures_on=today + timedelta(days=3))

    add(2)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    add(30)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)
