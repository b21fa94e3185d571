import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Branch, User
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db


def codes(queryset):
    return sorted(queryset.values_list("code", flat=True))


def usernames(queryset):
    return sorted(queryset.values_list("username", flat=True))


def test_admin_sees_every_branch(org, personas):
    assert codes(Branch.objects.visible_to(personas.admin)) == codes(Branch.objects.all())


def test_head_sees_their_branch_and_everything_under_it(org, personas):
    assert codes(Branch.objects.visible_to(personas.head)) == ["B1", "B1A", "B1A-O", "B1B"]


def test_rm_sees_only_their_own_branch(org, personas):
    assert codes(Branch.objects.visible_to(personas.rm)) == ["B1A"]
    assert codes(Branch.objects.visible_to(personas.colleague)) == ["B1A"]
    assert codes(Branch.objects.visible_to(personas.other_rm)) == ["B2A"]


def test_admin_sees_every_user(personas):
    assert usernames(User.objects.visible_to(personas.admin)) == usernames(User.objects.all())


def test_head_sees_the_users_of_their_subtree_only(personas, org):
    outlet_rm = UserFactory(username="outlet_rm", branch=org.b1a_outlet)
    visible = usernames(User.objects.visible_to(personas.head))
    assert visible == ["colleague", "head", outlet_rm.username, "rm"]


def test_rm_sees_only_themself(personas):
    for name in ["rm", "colleague", "other_rm"]:
        with_self = User.objects.visible_to(getattr(personas, name))
        assert usernames(with_self) == [name]


def test_anonymous_and_inactive_users_see_nothing(personas):
    personas.head.is_active = False
    personas.head.save()
    for user in [AnonymousUser(), personas.head]:
        assert not Branch.objects.visible_to(user).exists()
        assert not User.objects.visible_to(user).exists()


def test_head_or_rm_without_branch_sees_nothing(db):
    head = UserFactory(role=User.Role.HEAD, branch=None)
    assert not Branch.objects.visible_to(head).exists()
    assert usernames(User.objects.visible_to(head)) == [head.username]


def test_subtree_reaches_any_depth(db):
    node = BranchFactory(code="L0", level=Branch.Level.HEAD_OFFICE)
    chain = [node]
    for depth in range(1, 8):
        node = BranchFactory(code=f"L{depth}", parent=node)
        chain.append(node)
    head = UserFactory(role=User.Role.HEAD, branch=chain[2])
    assert codes(Branch.objects.visible_to(head)) == [f"L{d}" for d in range(2, 8)]
    assert chain[7].depth == 7


def test_moving_a_branch_moves_its_subtree_and_the_heads_scope(org, personas):
    org.b1a.parent = org.b2
    org.b1a.save()
    org.b1a_outlet.refresh_from_db()
    assert org.b1a_outlet.path.startswith(org.b2.path)
    assert codes(Branch.objects.visible_to(personas.head)) == ["B1", "B1B"]
    assert "rm" in usernames(User.objects.visible_to(personas.other_head))
    assert "rm" not in usernames(User.objects.visible_to(personas.head))


def test_similar_ids_do_not_leak_into_a_subtree(db):
    # Paths 1/2/ and 1/23/ share a textual prefix without the separator.
    big = 10**8
    root = BranchFactory(pk=big, code="R", level=Branch.Level.HEAD_OFFICE)
    short = BranchFactory(pk=big + 2, code="S2", parent=root)
    BranchFactory(pk=(big + 2) * 10 + 3, code="S23", parent=root)
    head = UserFactory(role=User.Role.HEAD, branch=short)
    assert codes(Branch.objects.visible_to(head)) == ["S2"]


def test_role_decides_django_admin_access(personas):
    assert personas.admin.is_staff and personas.admin.is_superuser
    assert not personas.head.is_staff and not personas.rm.is_superuser
    personas.admin.role = User.Role.RM
    personas.admin.save(update_fields=["role"])
    personas.admin.refresh_from_db()
    assert not personas.admin.is_staff and not personas.admin.is_superuser


def test_createsuperuser_makes_an_admin(db):
    user = User.objects.create_superuser("root", "root@example.com", "x-long-password-1")
    assert user.role == User.Role.ADMIN and user.is_staff


def test_users_are_named_family_name_first(db):
    user = UserFactory(last_name="王", first_name="芳", username="wf")
    assert user.get_full_name() == "王芳"
    assert str(user) == "王芳 (wf)"
