"""The risk data import (``import_risk_signals FILE``): the same rules as the archive's
imports (customers/imports.py): all or nothing, every problem reported by row and column in
the user's language, .xlsx or .csv in UTF-8, UTF-8 with BOM or GB18030, Chinese or English
headers. Rows are upserted by (customer number, as-of date): the same file twice changes
nothing. The nightly rules then turn the data into watch items (``--evaluate`` at once)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.imports import (
    Column,
    ImportResult,
    RowError,
    choice,
    find_duplicates,
    lookup,
    parse_amount,
    parse_date,
    plain_text,
    read_records,
    text,
)
from customers.models import Customer

from .models import CLASSIFICATION_ALIASES, AccountStatus, RiskSignal, rating_rank


def parse_days(value):
    raw = text(value, 10).replace(",", "")
    if not raw:
        return 0
    try:
        days = int(float(raw))
    except ValueError as error:
        raise ValidationError(_("%(value)s is not a whole number.") % {"value": raw}) from error
    if days < 0 or days > 100000:
        raise ValidationError(_("%(value)s is not a whole number.") % {"value": raw})
    return days


def parse_classification(value):
    raw = text(value, 20).lower()
    if not raw:
        return None
    if raw not in CLASSIFICATION_ALIASES:
        raise ValidationError(
            _("%(value)s is not one of: %(allowed)s.")
            % {"value": raw, "allowed": "正常、关注、次级、可疑、损失"}
        )
    return CLASSIFICATION_ALIASES[raw]


def parse_rating(value):
    raw = text(value, 10).upper()
    if raw and rating_rank(raw) is None:
        raise ValidationError(_("%(value)s is not a credit rating (AAA … D).") % {"value": raw})
    return raw


ACCOUNT_ALIASES = {
    "正常": "normal",
    "冻结": "frozen",
    "久悬": "dormant",
    "睡眠": "dormant",
    "销户": "closed",
}

RISK_COLUMNS = [
    Column("customer_no", ("客户号", "customer_no"), plain_text, required=True),
    Column("as_of", ("数据日期", "as_of"), parse_date, required=True),
    Column("overdue_days", ("逾期天数", "overdue_days"), parse_days),
    Column(
        "overdue_principal",
        ("逾期本金", "overdue_principal"),
        lambda v: parse_amount(v, required=False),
    ),
    Column(
        "overdue_interest",
        ("欠息金额", "overdue_interest"),
        lambda v: parse_amount(v, required=False),
    ),
    Column("classification", ("五级分类", "classification"), parse_classification),
    Column("rating", ("外部评级", "rating"), parse_rating),
    Column(
        "account_status",
        ("账户状态", "account_status"),
        choice(AccountStatus.choices, ACCOUNT_ALIASES),
    ),
    Column("event", ("事件", "event"), lambda v: text(v, 300)),
]
FIELDS = [c.name for c in RISK_COLUMNS if c.name not in ("customer_no", "as_of")]


def import_risk_signals(*, name: str, data: bytes, actor=None, dry_run=False, progress=None):
    sheet = read_records(name, data, RISK_COLUMNS)
    records, errors, label = sheet.records, sheet.errors, sheet.label
    find_duplicates(
        records,
        lambda v: (v["customer_no"], v["as_of"]) if "customer_no" in v and "as_of" in v else None,
        label["as_of"],
        errors,
    )
    customers = lookup(Customer, "customer_no", {v.get("customer_no") for _n, v in records})
    existing = {
        (s.customer_id, s.as_of): s
        for s in RiskSignal.objects.filter(
            customer_id__in=[c.pk for c in customers.values()],
            as_of__in={v["as_of"] for _n, v in records if "as_of" in v},
        )
    }
    new, changed, unchanged = [], [], 0
    for number, values in records:
        customer = customers.get(values.get("customer_no"))
        if "customer_no" in values and customer is None:
            errors.append(RowError(number, label["customer_no"], _("No customer has this number.")))
            continue
        if (
            customer is None
            or "as_of" not in values
            or any(sheet.failed(values, f) for f in FIELDS)
        ):
            continue
        fields = {f: values.get(f, RiskSignal._meta.get_field(f).get_default()) for f in FIELDS}
        fields["rating_rank"] = rating_rank(fields["rating"])
        row = existing.get((customer.pk, values["as_of"]))
        if row is None:
            new.append(RiskSignal(customer=customer, as_of=values["as_of"], **fields))
        elif any(getattr(row, f) != v for f, v in fields.items()):
            for f, v in fields.items():
                setattr(row, f, v)
            changed.append(row)
        else:
            unchanged += 1
    if errors:
        sheet.reject()
    result = ImportResult(created=len(new), updated=len(changed), unchanged=unchanged)
    if not dry_run:
        with transaction.atomic():
            RiskSignal.objects.bulk_create(new, batch_size=2000)
            RiskSignal.objects.bulk_update(changed, [*FIELDS, "rating_rank"], batch_size=2000)
    return result
