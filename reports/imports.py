"""The import of figures a bank keeps elsewhere (international settlement in USD,
intermediate-business income, interest collected), one row per RM and month, all or nothing,
with the archive imports' conventions (customers.imports): .csv (UTF-8, GBK, UTF-8 with BOM)
or .xlsx, every problem reported by row and column in the user's language."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from customers.imports import (
    Column,
    ImportRejected,
    ImportResult,
    RowError,
    find_duplicates,
    parse_amount,
    parse_month,
    plain_text,
    read_records,
)

from .models import ExternalFigure

FIGURES = [
    ("intl_settlement", ("国际结算量（美元）", "国际结算量", "intl_settlement")),
    ("intermediate_income", ("中间业务收入", "intermediate_income")),
    ("interest_collected", ("利息收入", "interest_collected")),
]
COLUMNS = [
    Column("rm", ("客户经理", "工号", "rm"), plain_text, required=True),
    Column("month", ("月份", "month"), parse_month, required=True),
    *[
        Column(code, headers, lambda v: parse_amount(v, required=False, digits=20))
        for code, headers in FIGURES
    ],
]


def import_external(*, name: str, data: bytes, actor, dry_run: bool = False) -> ImportResult:
    """Rows of (RM by employee number or login, month, figures); a figure left empty is not
    changed. Raises ImportRejected with every problem; writes nothing unless all rows pass."""
    sheet = read_records(name, data, COLUMNS)
    records, errors, label = sheet.records, sheet.errors, sheet.label
    find_duplicates(
        records,
        lambda v: (v["rm"], v["month"]) if "rm" in v and "month" in v else None,
        label["month"],
        errors,
    )
    keys = {v["rm"] for _n, v in records if v.get("rm")}
    rms = {}
    for user in User.objects.filter(
        Q(employee_no__in=keys) | Q(username__in=keys), role=User.Role.RM
    ):
        rms[user.username] = user
        if user.employee_no:
            rms[user.employee_no] = user
    rows = []
    for number, values in records:
        rm = rms.get(values.get("rm"))
        if "rm" in values and rm is None:
            errors.append(RowError(number, label["rm"], _("No RM has this employee number.")))
            continue
        if rm is not None and rm.branch_id is None:
            errors.append(RowError(number, label["rm"], _("This RM has no branch.")))
            continue
        given = [code for code, _h in FIGURES if code in sheet.present and values.get(code)]
        if rm is None or "month" not in values:
            continue
        for code in given:
            rows.append((rm, values["month"], code, values[code]))
    if not rows and not errors:
        errors.append(RowError(1, "", _("The file has no figures.")))
    if errors:
        raise ImportRejected(errors)
    existing = {
        (f.rm_id, f.month, f.measure): f
        for f in ExternalFigure.objects.filter(
            rm_id__in={r[0].pk for r in rows}, month__in={r[1] for r in rows}
        )
    }
    result = ImportResult()
    new, changed = [], []
    for rm, month, code, amount in rows:
        found = existing.get((rm.pk, month, code))
        if found is None:
            new.append(
                ExternalFigure(
                    rm=rm, branch_id=rm.branch_id, month=month, measure=code, amount=amount
                )
            )
        elif found.amount != amount:
            found.amount, found.branch_id = amount, rm.branch_id
            changed.append(found)
        else:
            result.unchanged += 1
    result.created, result.updated = len(new), len(changed)
    if not dry_run:
        with transaction.atomic():
            ExternalFigure.objects.bulk_create(new)
            ExternalFigure.objects.bulk_update(changed, ["amount", "branch"])
    return result
