"""Demo organisation: a head office, two branches with sub-branches, and the demo logins."""

import random

from django.db import transaction
from faker import Faker

from .models import Branch, User

DEMO_PASSWORD = "crm-demo-2026"

# (code, name, level, parent code)
BRANCHES = [
    ("HO", "总行", Branch.Level.HEAD_OFFICE, None),
    ("BJ", "北京分行", Branch.Level.BRANCH, "HO"),
    ("BJ-HD", "北京海淀支行", Branch.Level.SUB_BRANCH, "BJ"),
    ("BJ-HD-ZGC", "中关村网点", Branch.Level.OUTLET, "BJ-HD"),
    ("BJ-CY", "北京朝阳支行", Branch.Level.SUB_BRANCH, "BJ"),
    ("SH", "上海分行", Branch.Level.BRANCH, "HO"),
    ("SH-PD", "上海浦东支行", Branch.Level.SUB_BRANCH, "SH"),
    ("SH-XH", "上海徐汇支行", Branch.Level.SUB_BRANCH, "SH"),
]

# (username, family name, given name, role, branch code, employee number)
LOGINS = [
    ("admin", "系统", "管理员", User.Role.ADMIN, "HO", "A0001"),
    ("head1", "刘", "洋", User.Role.HEAD, "BJ", "H1001"),
    ("head2", "陈", "静", User.Role.HEAD, "SH", "H2001"),
    ("rm1", "王", "芳", User.Role.RM, "BJ-HD", "R1001"),
    ("rm2", "李", "伟", User.Role.RM, "BJ-CY", "R1002"),
    ("rm3", "张", "敏", User.Role.RM, "SH-PD", "R2001"),
]

EXTRA_RMS_PER_SUB_BRANCH = 2


@transaction.atomic
def seed_organisation(*, seed: int = 1) -> dict:
    """Create or refresh the demo branches and users; safe to run again."""
    branches = {}
    for code, name, level, parent_code in BRANCHES:
        branch, _ = Branch.objects.update_or_create(
            code=code,
            defaults={"name": name, "level": level, "parent": branches.get(parent_code)},
        )
        branches[code] = branch

    users = []
    for username, last_name, first_name, role, branch_code, employee_no in LOGINS:
        users.append(
            _upsert_user(username, last_name, first_name, role, branches[branch_code], employee_no)
        )

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    sub_branches = [b for b in branches.values() if b.level == Branch.Level.SUB_BRANCH]
    for branch in sub_branches:
        for n in range(1, EXTRA_RMS_PER_SUB_BRANCH + 1):
            username = f"{branch.code.lower().replace('-', '_')}_rm{n}"
            users.append(
                _upsert_user(
                    username,
                    fake.last_name(),
                    fake.first_name(),
                    User.Role.RM,
                    branch,
                    f"R{rng.randrange(3000, 9999)}{n}{branch.pk}",
                )
            )
    return {"branches": len(branches), "users": len(users)}


def _upsert_user(username, last_name, first_name, role, branch, employee_no):
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "last_name": last_name,
            "first_name": first_name,
            "role": role,
            "branch": branch,
            "employee_no": employee_no,
            "email": f"{username}@example.com",
            "is_active": True,
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    return user
