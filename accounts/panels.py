"""What users and branches add to the composed pages: the head's team and branches, the
admin's counts and management shortcuts."""

from django.db.models import Count, Q

from home.registry import ADMIN_HOME, HEAD_HOME, register_panel

from .models import Branch, User


@register_panel(
    key="accounts-team-counts",
    slot=HEAD_HOME,
    template="accounts/panels/team_counts.html",
    roles={"head"},
    order=10,
)
def team_counts(user):
    """Active RMs and branches in the head's subtree: two COUNTs."""
    return {
        "team_count": User.objects.visible_to(user)
        .filter(role=User.Role.RM, is_active=True)
        .count(),
        "branch_count": Branch.objects.visible_to(user).count(),
    }


@register_panel(
    key="accounts-branches",
    slot=HEAD_HOME,
    template="accounts/panels/branches.html",
    roles={"head"},
    order=90,
)
def branches(user):
    """The head's branches in tree order with their active RMs: one query."""
    # Meta.ordering does not apply to aggregating queries: order explicitly.
    return {
        "branches": list(
            Branch.objects.visible_to(user)
            .annotate(
                rm_count=Count("users", filter=Q(users__role=User.Role.RM, users__is_active=True))
            )
            .order_by("path")
        )
    }


@register_panel(
    key="accounts-counts",
    slot=ADMIN_HOME,
    template="accounts/panels/counts.html",
    roles={"admin"},
    order=10,
)
def counts(user):
    """Active users per role and the number of branches: two queries."""
    by_role = dict(User.objects.filter(is_active=True).values_list("role").annotate(n=Count("id")))
    return {
        "role_counts": [(label, by_role.get(value, 0)) for value, label in User.Role.choices],
        "branch_count": Branch.objects.count(),
    }


@register_panel(
    key="accounts-manage",
    slot=ADMIN_HOME,
    template="accounts/panels/manage.html",
    roles={"admin"},
    order=30,
)
def manage(user):
    """Shortcuts to create users and branches: no query."""
    return {}
