"""Demo organisation: a head office, branches with sub-branches, and the demo logins.

The organisation grows with the archive so that books stay the size of a real RM's (a few
thousand customers): ``seed_demo --customers 1000000`` gives 41 branches and about 200 RMs,
and head1's Beijing subtree holds about a fifth of the customers.
"""

import math
import random

from django.contrib.auth.hashers import make_password
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

# At scale: customers per RM, RMs per sub-branch, and the cities added beyond Beijing and
# Shanghai. Sub-branches are spread evenly over the five cities.
BOOK_SIZE = 5000
RMS_PER_SUB_BRANCH = 6
SCALE_CITIES = [("GZ", "广州分行", "广州"), ("SZ", "深圳分行", "深圳"), ("HZ", "杭州分行", "杭州")]
DISTRICTS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def plan_size(customers: int) -> tuple[int, int]:
    """(sub-branches, RMs per sub-branch) for an archive of ``customers``."""
    base_subs = sum(1 for b in BRANCHES if b[2] == Branch.Level.SUB_BRANCH)
    named = sum(1 for login in LOGINS if login[3] == User.Role.RM)
    base_rms = named + base_subs * EXTRA_RMS_PER_SUB_BRANCH
    wanted = math.ceil(customers / BOOK_SIZE)
    if wanted <= base_rms:
        return base_subs, 0
    subs = max(base_subs, math.ceil(wanted / RMS_PER_SUB_BRANCH))
    return subs, math.ceil(wanted / subs)


def is_scaled(customers: int) -> bool:
    return plan_size(customers)[1] > 0


@transaction.atomic
def seed_organisation(*, seed: int = 1, customers: int = 0) -> dict:
    """Create or refresh the demo branches and users; safe to run again."""
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    branches = {}
    for code, name, level, parent_code in BRANCHES:
        branches[code] = _upsert_branch(code, name, level, branches.get(parent_code))

    users = []
    for username, last_name, first_name, role, branch_code, employee_no in LOGINS:
        users.append(
            _upsert_user(
                username, last_name, first_name, role, branches[branch_code], employee_no, password
            )
        )

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    sub_count, rms_per_sub = plan_size(customers)
    subs = [b for b in branches.values() if b.level == Branch.Level.SUB_BRANCH]
    if rms_per_sub:
        subs += _scale_branches(branches, sub_count - len(subs))
        for code, _name, city in SCALE_CITIES:
            head = f"{code.lower()}_head"
            users.append(
                _upsert_user(
                    head, city, "行长", User.Role.HEAD, branches[code], f"H{code}01", password
                )
            )
    for branch in subs:
        extra = EXTRA_RMS_PER_SUB_BRANCH
        if rms_per_sub:
            named = sum(1 for u in users if u.role == User.Role.RM and u.branch_id == branch.pk)
            extra = max(0, rms_per_sub - named)
        for n in range(1, extra + 1):
            username = f"{branch.code.lower().replace('-', '_')}_rm{n}"
            users.append(
                _upsert_user(
                    username,
                    fake.last_name(),
                    fake.first_name(),
                    User.Role.RM,
                    branch,
                    f"R{rng.randrange(3000, 9999)}{n}{branch.pk}",
                    password,
                )
            )
    return {"branches": len(branches), "users": len(users)}


def _scale_branches(branches: dict, missing: int) -> list[Branch]:
    """Add ``missing`` sub-branches, each to the city that has the fewest so far."""
    cities = [("BJ", None, "北京"), ("SH", None, "上海"), *SCALE_CITIES]
    for code, name, _city in SCALE_CITIES:
        branches[code] = _upsert_branch(code, name, Branch.Level.BRANCH, branches["HO"])
    subs = {
        code: sum(1 for b in branches.values() if b.parent_id == branches[code].pk)
        for code, _name, _city in cities
    }
    added = []
    for _ in range(missing):
        code, _name, city = min(cities, key=lambda c: subs[c[0]])
        subs[code] += 1
        number = subs[code]
        district = DISTRICTS[(number - 1) % len(DISTRICTS)]
        branch = _upsert_branch(
            f"{code}-S{number:02d}",
            f"{city}第{district}支行",
            Branch.Level.SUB_BRANCH,
            branches[code],
        )
        branches[branch.code] = branch
        added.append(branch)
    return added


def _upsert_branch(code, name, level, parent):
    branch, _ = Branch.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent}
    )
    return branch


def _upsert_user(username, last_name, first_name, role, branch, employee_no, password):
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
            "password": password,
        },
    )
    return user
