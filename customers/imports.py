"""Imports from core banking: customers, holdings and monthly balances, from .xlsx or .csv.

Rules:
- A file is all or nothing: every row is checked first; one bad row rejects the whole file
  with a report naming the row, the column and the reason, and nothing is written.
- Every row is checked completely in one pass: unreadable cells, the customer's rules
  (customers.validators, the same as the form's and the API's), lookups and duplicate keys
  are all reported together, sorted by row and then by column.
- Rows are upserted by their natural key (customer number; product and account number;
  customer and month), so importing the same file twice changes nothing.
- CSV files may be UTF-8, UTF-8 with BOM or GB18030 (what Excel writes in China).
- Headers may be Chinese or English (see COLUMNS below and the README's column reference).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from accounts.models import Branch, User
from crm.bulk import (
    Overlapped,
    copy_history,
    copy_rows,
    history_from_rows_sql,
    immediate_constraints,
    instance_rows,
    is_postgresql,
    prepared_copy,
    reserve_ids,
    rows_with_ids,
    send_copies,
    update_rows,
)

from . import validators
from .models import Assignment, Customer, Holding, MonthlyBalance, Product

CHUNK = 2000  # values per lookup query


class ImportRejected(Exception):
    """The file was refused; ``errors`` says where and why."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self):
        return _("Row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column or "—",
            "message": self.message,
        }


def sorted_errors(errors, header):
    """By row, then by the column's place in the file: a whole row's problem first, then its
    columns from left to right (a column the file lacks after them)."""
    place = {}
    for index, name in enumerate(header):
        place.setdefault(name, index)
    return sorted(
        errors, key=lambda e: (e.row, place.get(e.column, len(header)) if e.column else -1)
    )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    preview: list = field(default_factory=list)

    @property
    def rows(self):
        return self.created + self.updated + self.unchanged


# --- reading files ----------------------------------------------------------------------------


def read_table(name: str, data: bytes) -> tuple[list[str], list[list], int]:
    """The header, the rows below it and the header's row number in an .xlsx or .csv file.

    Empty rows are kept (and skipped when checking), so that every row keeps the number the
    spreadsheet shows."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        # calamine (Rust) reads a sheet ten times faster than openpyxl, in less memory.
        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as error:  # a broken file raises many kinds
            raise ImportRejected(
                [RowError(1, "", _("This is not a readable .xlsx file."))]
            ) from error
    elif lower.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(decode_csv(data))))
    else:
        raise ImportRejected([RowError(1, "", _("Upload an .xlsx or a .csv file."))])
    start = next((i for i, r in enumerate(rows) if not is_empty(r)), None)
    if start is None:
        raise ImportRejected([RowError(1, "", _("The file is empty."))])
    header = [str(c).strip() if c is not None else "" for c in rows[start]]
    return header, rows[start + 1 :], start + 1


def is_empty(row) -> bool:
    if row and row[0] not in (None, ""):
        return False  # most rows: a fast exit
    return all(c in (None, "") for c in row)


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected(
        [RowError(1, "", _("The file is neither UTF-8 nor GB18030 text; save it as CSV again."))]
    )


# --- cell parsers: each returns the value or raises ValidationError ------------------------


def text(value, max_length=200):
    if type(value) is str:  # most cells: a fast exit (a file of 100,000 rows has 1.5 M)
        value = value.strip()
        if len(value) <= max_length and not value.endswith(".0"):
            return value
    value = "" if value is None else str(value).strip()
    if isinstance(value, str) and value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]  # a number Excel stored as a float
    if len(value) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length})
    return value


def plain_text(value):
    """Text that is not a spreadsheet formula (keys and codes of holdings and balances)."""
    return validators.refuse_formula(text(value))


def parse_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if len(raw) == 10 and raw[4] == raw[7] == "-":
        try:
            return date.fromisoformat(raw)  # the usual spelling, without strptime's cost
        except ValueError:
            pass
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValidationError(_("%(value)s is not a date; write it as 2026-10-31.") % {"value": raw})


def parse_month(value):
    if isinstance(value, datetime | date) or re.fullmatch(
        r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}", str(value or "").strip()
    ):
        day = parse_date(value)
        return day.replace(day=1) if day else None
    match = re.fullmatch(r"(\d{4})[-/.]?(\d{1,2})", str(value or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValidationError(
            _("%(value)s is not a month; write it as 2026-10.") % {"value": value}
        )
    return date(int(match[1]), int(match[2]), 1)


def parse_amount(value, required=True, digits=16):
    """A number with two decimals that fits a column of ``digits`` digits in all."""
    if value in (None, ""):
        if required:
            raise ValidationError(_("This column needs a value."))
        return Decimal("0")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as error:
        raise ValidationError(_("%(value)s is not a number.") % {"value": value}) from error
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** (digits - 2):
        raise ValidationError(_("%(value)s is not a number.") % {"value": value})
    return amount.quantize(Decimal("0.01"))


def choice(choices, aliases=None):
    """A parser for a choice column that accepts the code, the Chinese or the English label."""
    table = {}  # built on first use (translations are ready by then), in every language

    def lookup():
        if not table:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    for code, label in choices:
                        table[str(label).lower()] = code
            for code, _label in choices:
                table[str(code).lower()] = code
            for alias, code in (aliases or {}).items():
                table[alias.lower()] = code
        return table

    def parse(value):
        raw = text(value, 50)
        if not raw:
            return ""
        found = lookup().get(raw.lower())
        if found is None:
            allowed = "、".join(str(code) for code, _label in choices)
            raise ValidationError(
                _("%(value)s is not one of: %(allowed)s.") % {"value": raw, "allowed": allowed}
            )
        return found

    return parse


def yes_no(value):
    raw = text(value, 10).lower()
    if raw in ("", "0", "否", "n", "no", "false"):
        return False
    if raw in ("1", "是", "y", "yes", "true"):
        return True
    raise ValidationError(_("Write 是 or 否."))


# --- column specifications ---------------------------------------------------------------


@dataclass
class Column:
    name: str
    headers: tuple  # accepted header spellings; the first is the Chinese one
    parse: object = text
    required: bool = False


KIND_ALIASES = {
    "个人": "individual",
    "对私": "individual",
    "企业": "corporate",
    "对公": "corporate",
}
GENDER_ALIASES = {"男": "M", "女": "F", "male": "M", "female": "F"}
ID_TYPE_ALIASES = {"身份证": "resident_id", "居民身份证": "resident_id", "统一社会信用代码": "uscc"}

CUSTOMER_COLUMNS = [
    Column("customer_no", ("客户号", "customer_no"), required=True),
    Column("name", ("客户名称", "姓名", "name"), required=True),
    Column(
        "kind", ("客户类型", "kind"), choice(Customer.Kind.choices, KIND_ALIASES), required=True
    ),
    Column("primary_rm", ("主办客户经理", "primary_rm"), required=True),
    Column("branch", ("所属机构", "branch")),
    Column("gender", ("性别", "gender"), choice(Customer.Gender.choices, GENDER_ALIASES)),
    Column("birth_date", ("出生日期", "birth_date"), parse_date),
    Column("lunar_birthday", ("农历生日", "lunar_birthday"), yes_no),
    Column("id_type", ("证件类型", "id_type"), choice(Customer.IdType.choices, ID_TYPE_ALIASES)),
    Column("id_number", ("证件号码", "id_number")),
    Column("mobile", ("手机号码", "mobile")),
    Column("email", ("电子邮箱", "email")),
    Column("address", ("地址", "address")),
    Column("employer", ("工作单位", "employer")),
    Column("occupation", ("职业", "occupation")),
    Column("industry", ("行业", "industry")),
    Column("risk_grade", ("风险等级", "risk_grade"), choice(Customer.RiskGrade.choices)),
    Column("risk_assessed_on", ("风险评估日期", "risk_assessed_on"), parse_date),
    Column("lifecycle_stage", ("生命周期", "lifecycle_stage"), choice(Customer.Lifecycle.choices)),
    Column("source", ("客户来源", "source")),
]

HOLDING_COLUMNS = [
    Column("customer_no", ("客户号", "customer_no"), plain_text, required=True),
    Column("product", ("产品代码", "product_code"), plain_text, required=True),
    Column("account_no", ("账号", "account_no"), plain_text, required=True),
    Column("amount", ("金额", "amount"), parse_amount, required=True),
    Column("currency", ("币种", "currency"), plain_text),
    Column("opened_on", ("开立日期", "opened_on"), parse_date),
    Column("matures_on", ("到期日", "matures_on"), parse_date),
    Column("status", ("状态", "status"), choice(Holding.Status.choices)),
]

BALANCE_COLUMNS = [
    Column("customer_no", ("客户号", "customer_no"), plain_text, required=True),
    Column("month", ("月份", "month"), parse_month, required=True),
    Column(
        "avg_financial_assets",
        ("日均金融资产", "avg_financial_assets"),
        parse_amount,
        required=True,
    ),
    Column("avg_deposits", ("日均存款", "avg_deposits"), lambda v: parse_amount(v, required=False)),
    Column("avg_loans", ("日均贷款", "avg_loans"), lambda v: parse_amount(v, required=False)),
    # star_points is numeric(14, 2): a bigger number would fail when written, not here.
    Column(
        "star_points",
        ("星点值", "star_points"),
        lambda v: parse_amount(v, required=False, digits=14),
    ),
]


def column_positions(header, columns) -> tuple[dict, list]:
    """{column name: its index in the file}, and an error for each required column missing."""
    positions, errors = {}, []
    normalised = [h.strip().lower() for h in header]
    for column in columns:
        accepted = {a.lower() for a in column.headers}
        found = [i for i, h in enumerate(normalised) if h in accepted]
        if found:
            positions[column.name] = found[0]
        elif column.required:
            errors.append(RowError(1, column.headers[0], _("This required column is missing.")))
    return positions, errors


def parse_rows(header, rows, columns, positions, first_row=2):
    """Parse every cell of every row; returns (records, errors).

    Each record is ``(row_number, {column name: value})``; a cell that cannot be read is
    reported and left out of its row's values, and the row's other checks still run."""
    errors, records = [], []
    wanted = [
        (c.name, positions[c.name], c.parse, c.required) for c in columns if c.name in positions
    ]
    for offset in range(len(rows)):
        # Each raw row is let go once parsed, so a big file is not held twice in memory.
        row, rows[offset] = rows[offset], None
        if is_empty(row):
            continue
        number = offset + first_row
        values = {}
        for name, index, parse, required in wanted:
            raw = row[index] if index < len(row) else None
            try:
                value = parse(raw)
            except ValidationError as error:
                errors.append(RowError(number, header[index], " ".join(error.messages)))
                continue
            if required and value in ("", None):
                errors.append(RowError(number, header[index], _("This column needs a value.")))
                continue
            values[name] = value
        records.append((number, values))
    return records, errors


def find_duplicates(records, key, column_label, errors):
    seen = {}
    for number, values in records:
        value = key(values)
        if value is None:
            continue
        if value in seen:
            errors.append(
                RowError(number, column_label, _("Same key as row %(row)d.") % {"row": seen[value]})
            )
        else:
            seen[value] = number


def lookup(model, field_name, values, **filters):
    """{value: object} for the values present, fetched in chunks."""
    values = list({v for v in values if v})
    found = {}
    for start in range(0, len(values), CHUNK):
        batch = values[start : start + CHUNK]
        for obj in model.objects.filter(**{f"{field_name}__any_of": batch}, **filters):
            found[getattr(obj, field_name)] = obj
    return found


# --- the three importers ------------------------------------------------------------------


@dataclass
class Sheet:
    """A file's rows as parsed, with what the checks need to report on them."""

    header: list
    records: list
    errors: list
    label: dict  # column name → its header as the file spells it (or ours, if absent)
    present: set  # the columns the file has

    def failed(self, values, name) -> bool:
        """Whether the row's cell of this column could not be read (reported already)."""
        return name in self.present and name not in values

    def reject(self):
        raise ImportRejected(sorted_errors(self.errors, self.header))


def read_records(name, data, columns) -> Sheet:
    """Parsed rows and each column's header for reports. A required column missing rejects
    the file at once; every other problem is collected with the rows' other checks."""
    header, rows, header_row = read_table(name, data)
    positions, errors = column_positions(header, columns)
    if errors:
        raise ImportRejected(errors)
    records, errors = parse_rows(header, rows, columns, positions, header_row + 1)
    label = {
        c.name: header[positions[c.name]] if c.name in positions else c.headers[0] for c in columns
    }
    return Sheet(header, records, errors, label, set(positions))


def rule_errors(number, found: dict, label: dict) -> list:
    """RowErrors of one row from a rules function's ``{field: [messages]}``."""
    return [RowError(number, label[name], " ".join(messages)) for name, messages in found.items()]


def assign(obj, values: dict) -> None:
    """Set a row's new values, remembering whether any differs from what is stored."""
    obj._import_changed = any(getattr(obj, f) != v for f, v in values.items())
    for f, v in values.items():
        setattr(obj, f, v)


def summarise(objects) -> tuple[ImportResult, list, list]:
    """The result of a checked file, and which objects are new and which changed."""
    new = [o for o in objects if o.pk is None]
    changed = [o for o in objects if o.pk is not None and o._import_changed]
    result = ImportResult(
        created=len(new),
        updated=len(changed),
        unchanged=len(objects) - len(new) - len(changed),
        preview=objects[:20],
    )
    return result, new, changed


def no_progress(done: int, total: int) -> None:
    """What an importer calls after each chunk of rows when nobody watches (the commands)."""


def import_customers(
    *, name: str, data: bytes, actor, dry_run: bool = False, progress=no_progress
) -> ImportResult:
    sheet = read_records(name, data, CUSTOMER_COLUMNS)
    records, errors, label = sheet.records, sheet.errors, sheet.label
    find_duplicates(records, lambda v: v.get("customer_no"), label["customer_no"], errors)
    rm_keys = {v.get("primary_rm") for _n, v in records}
    rms = {
        **lookup(User, "username", rm_keys, role=User.Role.RM),
        **lookup(User, "employee_no", rm_keys, role=User.Role.RM),
    }
    branches = lookup(Branch, "code", {v.get("branch") for _n, v in records})
    existing = lookup(Customer, "customer_no", {v.get("customer_no") for _n, v in records})
    taken_ids = _taken_id_numbers(records)

    if dry_run:
        return _check_customers(sheet, rms, branches, existing, taken_ids)[0]
    reason = _("Imported from %(file)s") % {"file": name}
    with transaction.atomic():
        # New customers are written chunk by chunk while the next rows are checked; a bad
        # row anywhere still rejects the whole file (ImportRejected rolls all of it back).
        # Foreign keys checked as each chunk is written (on the writer's time), not all at
        # once at commit; Django's own constraints are deferred again afterwards.
        immediate_constraints(True)
        try:
            writer = Overlapped()
            actor_id = actor.pk if actor is not None else None
            # Ids for every row that could be new, in one query: unused ones are a gap.
            ids = iter(reserve_ids(Customer, len(records)))
            try:
                result, changed = _check_customers(
                    sheet,
                    rms,
                    branches,
                    existing,
                    taken_ids,
                    write=lambda chunk: _write_new(writer, chunk, ids, actor_id, reason),
                    progress=progress,
                )
            finally:
                writer.close()
            _write_changed(changed, actor, reason)
            progress(len(records), len(records))
        finally:
            # Also after a rejected file, when an enclosing transaction goes on.
            immediate_constraints(False)
    return result


def _blank_customer_state() -> dict:
    state = Customer().__dict__.copy()
    del state["_state"]
    # Callable defaults (the creation time) are set when the row is written.
    for f in Customer._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            state[f.attname] = None
    return state


BLANK_CUSTOMER = _blank_customer_state()


def blank_customer(customer_no: str) -> Customer:
    """``Customer(customer_no=…)`` with every other field at its default, made without
    ``Model.__init__`` (a fifth of an import's checking time at 100,000 rows): a copy of
    the attributes of one blank customer, whose defaults are all immutable values."""
    customer = Customer.__new__(Customer)
    customer.__dict__.update(BLANK_CUSTOMER)
    customer._state = ModelState()
    customer.customer_no = customer_no
    return customer


def _check_customers(sheet, rms, branches, existing, taken_ids, write=None, progress=no_progress):
    """Check every row; hand the new customers' rows to ``write`` in chunks while no row has
    failed. Returns (result, changed customers), or raises ImportRejected."""
    records, errors, label = sheet.records, sheet.errors, sheet.label
    now = timezone.now()
    today = timezone.localdate()
    seen_ids = {}  # (ID type, ID number) → the first row that has it
    new, changed, preview, unchanged, created = [], [], [], 0, 0
    total = len(records)
    for index in range(total):
        if index and index % WRITE_CHUNK == 0:
            progress(index, total)
        # Let each parsed row go once its customer exists (memory, at 100,000 rows).
        (number, values), records[index] = records[index], None
        # Every problem of a row is reported, not only the first.
        row_errors = []
        rm = rms.get(values.get("primary_rm"))
        if "primary_rm" in values and (rm is None or not rm.is_active):
            row_errors.append(
                RowError(
                    number,
                    label["primary_rm"],
                    _("No active relationship manager has this username or employee number."),
                )
            )
        branch = rm.branch if rm else None
        if values.get("branch"):
            branch = branches.get(values["branch"])
            if branch is None:
                row_errors.append(RowError(number, label["branch"], _("No branch has this code.")))
        customer = existing.get(values.get("customer_no")) or blank_customer(
            values.get("customer_no", "")
        )
        row_errors += _apply_customer(
            customer, values, rm, branch, sheet, number, taken_ids, seen_ids, today
        )
        errors += row_errors
        if row_errors or rm is None or branch is None:
            continue
        if len(preview) < PREVIEW_ROWS:
            preview.append(customer)
        if customer.pk is None:
            # A new customer is kept as its plain rows, not as a model object (a fifth of
            # the memory at 100,000 rows).
            new.append(_new_customer_rows(customer, now))
            created += 1
            if write is not None and len(new) >= WRITE_CHUNK and not errors:
                write(new)
                new = []
        elif customer._import_changed:
            changed.append(customer)
        else:
            unchanged += 1
    if errors:
        sheet.reject()
    if write is not None and new:
        write(new)
    result = ImportResult(
        created=created, updated=len(changed), unchanged=unchanged, preview=preview
    )
    return result, changed


IMPORTED_CUSTOMER_FIELDS = [c.name for c in CUSTOMER_COLUMNS if c.name != "customer_no"]
UPDATED_CUSTOMER_FIELDS = IMPORTED_CUSTOMER_FIELDS + list(Customer.DERIVED_FIELDS) + ["updated_at"]
ASSIGNMENT_FIELDS = ["customer", "rm", "role", "started_at", "reason", "changed_by"]


PREVIEW_ROWS = 20
NEW_CUSTOMER_FIELDS = [f.name for f in Customer._meta.concrete_fields if f.name != "id"]
NEW_CUSTOMER_ATTNAMES = [Customer._meta.get_field(f).attname for f in NEW_CUSTOMER_FIELDS]


def _new_customer_rows(customer, now) -> tuple:
    """The table row of a new customer, without the id."""
    customer.created_at = customer.updated_at = now
    customer.derive_fields()
    return tuple(getattr(customer, a) for a in NEW_CUSTOMER_ATTNAMES)


WRITE_CHUNK = 5000


def _derived_rows_sql(ids, actor_id, reason, now) -> list[tuple[str, list]]:
    """The history rows and first primary assignments of the new customers with ``ids``,
    as ``INSERT … SELECT`` statements over the rows just stored: the server derives them,
    so they are neither built in Python nor sent a second time."""
    qn = connection.ops.quote_name
    where, params = rows_with_ids(ids)
    assignment = Assignment._meta
    columns = ", ".join(qn(assignment.get_field(f).column) for f in ASSIGNMENT_FIELDS)
    assignments = (
        f"INSERT INTO {qn(assignment.db_table)} ({columns}) "  # noqa: S608 (model names)
        f"SELECT {qn('id')}, {qn('primary_rm_id')}, %s, %s, %s, %s "
        f"FROM {qn(Customer._meta.db_table)} WHERE {where}"
    )
    return [
        history_from_rows_sql(
            Customer, ids, history_type="+", user_id=actor_id, reason=reason, when=now
        ),
        (assignments, [Assignment.Role.PRIMARY, now, reason, actor_id, *params]),
    ]


def _write_new(writer, new, ids, actor_id, reason):
    """Insert checked new customers with their history rows and first assignments.

    The customers' rows go by COPY (PostgreSQL); their history rows and assignments are
    derived from them by the server. The COPY data is prepared here and sent by the
    Overlapped writer, so the one connection that writes only waits for the server while
    the next rows are checked."""
    now = timezone.now()
    ids = [next(ids) for _ in new]
    rows = ((pk, *row) for pk, row in zip(ids, new, strict=True))
    derived = _derived_rows_sql(ids, actor_id, reason, now)
    fields = ["id", *NEW_CUSTOMER_FIELDS]
    if is_postgresql():
        writer.submit(send_copies, [prepared_copy(Customer, fields, rows)], derived)
    else:
        copy_rows(Customer, fields, rows)
        with connection.cursor() as cursor:
            for sql, params in derived:
                cursor.execute(sql, params)


def _write_changed(changed, actor, reason):
    """Update changed customers, with their history rows and, for a new primary RM, the
    handover's assignments."""
    if not changed:
        return
    now = timezone.now()
    for c in changed:
        c.updated_at = now
        c.derive_fields()
    attnames = [Customer._meta.get_field(f).attname for f in UPDATED_CUSTOMER_FIELDS]
    update_rows(
        Customer,
        UPDATED_CUSTOMER_FIELDS,
        [(c.pk, *(getattr(c, a) for a in attnames)) for c in changed],
    )
    copy_history(Customer, changed, history_type="~", user=actor, reason=reason, when=now)
    moved = [c for c in changed if c._import_old_rm and c._import_old_rm != c.primary_rm_id]
    Assignment.objects.filter(
        Q(customer__in=moved), role=Assignment.Role.PRIMARY, ended_at__isnull=True
    ).update(ended_at=now)
    copy_rows(
        Assignment,
        ASSIGNMENT_FIELDS,
        [
            (c.pk, c.primary_rm_id, Assignment.Role.PRIMARY, now, reason, actor and actor.pk)
            for c in moved
        ],
    )


NOT_IMPORTED = [
    f.name
    for f in Customer._meta.fields
    if f.name not in IMPORTED_CUSTOMER_FIELDS or f.name in ("primary_rm", "branch")
]


def _taken_id_numbers(records):
    """{(ID type, ID number): customer number} of the archive's customers who have one of the
    ID numbers in the file."""
    # As typed and in capitals: resident IDs and credit codes are stored in capitals, other
    # ID numbers as typed.
    numbers = list(
        {
            n
            for _n, v in records
            if v.get("id_number")
            for n in (v["id_number"], v["id_number"].upper())
        }
    )
    taken = {}
    for start in range(0, len(numbers), CHUNK):
        for customer_no, id_type, id_number in Customer.objects.filter(
            id_number__any_of=numbers[start : start + CHUNK]
        ).values_list("customer_no", "id_type", "id_number"):
            taken[(id_type, id_number)] = customer_no
    return taken


def _apply_customer(customer, values, rm, branch, sheet, number, taken_ids, seen_ids, today):
    """Check one row with the customer's rules (the same as the form's and the API's) and
    the field checks, then set its values on ``customer``; returns the row's errors."""
    label = sheet.label
    rules = {name: values[name] for name in validators.CUSTOMER_RULE_FIELDS if name in values}
    found = validators.check_customer(
        rules,
        id_taken=lambda id_type, id_number: (
            taken_ids.get((id_type, id_number), customer.customer_no) != customer.customer_no
        ),
        today=today,
    )
    errors = rule_errors(number, found, label)
    id_type, id_number = rules.get("id_type", ""), rules.get("id_number", "")
    if id_number and "id_number" not in found:
        first = seen_ids.setdefault((id_type, id_number), number)
        if first != number:
            errors.append(
                RowError(number, label["id_number"], _("Same key as row %(row)d.") % {"row": first})
            )
    new_values = {
        "name": values.get("name", ""),
        "kind": values.get("kind", ""),
        "primary_rm_id": rm.pk if rm else None,
        "branch_id": branch.pk if branch else None,
        "gender": values.get("gender", ""),
        "birth_date": values.get("birth_date"),
        "lunar_birthday": values.get("lunar_birthday", False),
        "id_type": id_type,
        "id_number": id_number,
        "mobile": rules.get("mobile", ""),
        "email": values.get("email", ""),
        "address": values.get("address", ""),
        "employer": values.get("employer", ""),
        "occupation": values.get("occupation", ""),
        "industry": values.get("industry", ""),
        "risk_grade": values.get("risk_grade", ""),
        "risk_assessed_on": values.get("risk_assessed_on"),
        "lifecycle_stage": values.get("lifecycle_stage")
        or customer.lifecycle_stage
        or Customer.Lifecycle.NEW,
        "source": values.get("source", ""),
    }
    customer._import_old_rm = customer.primary_rm_id
    assign(customer, new_values)
    for field_name, messages in clean_imported_fields(customer).items():
        # A cell already reported (unreadable, or against a rule) is not reported twice.
        if field_name in found or sheet.failed(values, field_name):
            continue
        errors.append(RowError(number, label.get(field_name, field_name), " ".join(messages)))
    return errors


def _imported_field_checks():
    checks = []
    for model_field in Customer._meta.fields:
        if model_field.name in NOT_IMPORTED:
            continue
        extra = [v for v in model_field.validators if not isinstance(v, MaxLengthValidator)]
        choices = None
        if model_field.choices:
            choices = {str(code) for code, _label in model_field.flatchoices}
        checks.append((model_field, model_field.attname, choices, bool(extra)))
    return checks


IMPORTED_FIELD_CHECKS = _imported_field_checks()


def clean_imported_fields(customer) -> dict[str, list[str]]:
    """What ``customer.clean_fields()`` would say about the imported fields, with the same
    messages, at a fraction of the cost: a field is run through Django's own ``clean()``
    only when one of its checks could fail (too long, not a choice, or a validator such as
    the e-mail one). An import checks 100,000 rows this way in about a second."""
    errors = {}
    for model_field, attname, choices, validated in IMPORTED_FIELD_CHECKS:
        value = getattr(customer, attname)
        if value in model_field.empty_values:
            if not model_field.blank:
                errors[model_field.name] = [str(model_field.error_messages["blank"])]
            continue
        suspect = (
            validated
            or (model_field.max_length is not None and len(str(value)) > model_field.max_length)
            or (choices is not None and str(value) not in choices)
        )
        if suspect:
            try:
                model_field.clean(value, customer)
            except ValidationError as error:
                errors[model_field.name] = error.messages
    return errors


def import_holdings(
    *, name: str, data: bytes, actor, dry_run: bool = False, progress=no_progress
) -> ImportResult:
    sheet = read_records(name, data, HOLDING_COLUMNS)
    records, errors, label = sheet.records, sheet.errors, sheet.label
    find_duplicates(
        records,
        lambda v: (v["product"], v["account_no"]) if "product" in v and "account_no" in v else None,
        label["account_no"],
        errors,
    )
    customers = lookup(Customer, "customer_no", {v.get("customer_no") for _n, v in records})
    products = lookup(Product, "code", {v.get("product") for _n, v in records})
    # Every holding of these accounts, whoever holds it: an account of a customer who is not
    # in the file is refused here, not by the unique constraint when writing.
    existing = {}
    accounts = list({v["account_no"] for _n, v in records if "account_no" in v})
    product_ids = [p.pk for p in products.values()]
    for start in range(0, len(accounts) if product_ids else 0, CHUNK):
        for h in Holding.objects.filter(
            product_id__in=product_ids, account_no__in=accounts[start : start + CHUNK]
        ):
            existing[(h.product_id, h.account_no)] = h
    holdings = []
    for number, values in records:
        row_errors = rule_errors(number, validators.check_holding(values), label)
        customer = customers.get(values.get("customer_no"))
        if "customer_no" in values and customer is None:
            row_errors.append(
                RowError(number, label["customer_no"], _("No customer has this number."))
            )
        product = products.get(values.get("product"))
        if "product" in values and product is None:
            row_errors.append(RowError(number, label["product"], _("No product has this code.")))
        holding = None
        if product is not None and "account_no" in values:
            holding = existing.get((product.pk, values["account_no"])) or Holding(
                product=product, account_no=values["account_no"]
            )
            if customer is not None and holding.pk and holding.customer_id != customer.pk:
                row_errors.append(
                    RowError(
                        number, label["account_no"], _("This account belongs to another customer.")
                    )
                )
        errors += row_errors
        if row_errors or customer is None or holding is None or "amount" not in values:
            continue
        assign(
            holding,
            {
                "customer_id": customer.pk,
                "amount": values["amount"],
                "currency": (values.get("currency") or "CNY").upper()[:3],
                "opened_on": values.get("opened_on"),
                "matures_on": values.get("matures_on"),
                "status": values.get("status") or Holding.Status.ACTIVE,
            },
        )
        holdings.append(holding)
    if errors:
        sheet.reject()
    result, new, changed = summarise(holdings)
    if not dry_run:
        reason = _("Imported from %(file)s") % {"file": name}
        now = timezone.now()

        def write_new(chunk):
            for holding, pk in zip(chunk, reserve_ids(Holding, len(chunk)), strict=True):
                holding.pk = pk
            copy_rows(
                Holding,
                ["id", *NEW_HOLDING_FIELDS],
                instance_rows(chunk, ["id", *NEW_HOLDING_FIELDS]),
            )
            copy_history(Holding, chunk, history_type="+", user=actor, reason=reason, when=now)

        def write_changed(chunk):
            update_rows(Holding, HOLDING_FIELDS, instance_rows(chunk, ["id", *HOLDING_FIELDS]))
            copy_history(Holding, chunk, history_type="~", user=actor, reason=reason, when=now)

        with transaction.atomic():
            done = write_in_chunks(new, write_new, progress, result.unchanged, result.rows)
            write_in_chunks(changed, write_changed, progress, done, result.rows)
    return result


HOLDING_FIELDS = ["customer", "amount", "currency", "opened_on", "matures_on", "status"]
NEW_HOLDING_FIELDS = ["product", "account_no", *HOLDING_FIELDS]


def write_in_chunks(rows: list, write, progress, done: int, total: int) -> int:
    """Hand ``rows`` to ``write`` WRITE_CHUNK at a time, reporting progress after each chunk
    (``done`` rows were dealt with before); returns how many rows are done after them."""
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start : start + WRITE_CHUNK]
        write(chunk)
        done += len(chunk)
        progress(done, total)
    return done


def import_balances(
    *, name: str, data: bytes, actor, dry_run: bool = False, progress=no_progress
) -> ImportResult:
    sheet = read_records(name, data, BALANCE_COLUMNS)
    records, errors, label = sheet.records, sheet.errors, sheet.label
    find_duplicates(
        records,
        lambda v: (v["customer_no"], v["month"]) if "customer_no" in v and "month" in v else None,
        label["month"],
        errors,
    )
    customers = lookup(Customer, "customer_no", {v.get("customer_no") for _n, v in records})
    # Only the months the file has, of its customers, as plain rows: (id, amounts) by key.
    existing = {}
    ids = [c.pk for c in customers.values()]
    months = list({v["month"] for _n, v in records if "month" in v})
    for start in range(0, len(ids) if months else 0, CHUNK):
        stored = MonthlyBalance.objects.filter(
            customer_id__in=ids[start : start + CHUNK], month__in=months
        ).values_list("id", "customer_id", "month", *validators.BALANCE_AMOUNTS)
        for pk, customer_id, month, *amounts in stored:
            existing[(customer_id, month)] = (pk, tuple(amounts))
    new, changed, unchanged = [], [], 0
    today = timezone.localdate()
    for number, values in records:
        row_errors = rule_errors(number, validators.check_balance(values, today), label)
        customer = customers.get(values.get("customer_no"))
        if "customer_no" in values and customer is None:
            row_errors.append(
                RowError(number, label["customer_no"], _("No customer has this number."))
            )
        errors += row_errors
        required = ("month", "avg_financial_assets")
        if row_errors or customer is None or any(k not in values for k in required):
            continue
        amounts = tuple(values.get(k, Decimal("0")) for k in validators.BALANCE_AMOUNTS)
        stored = existing.get((customer.pk, values["month"]))
        if stored is None:
            new.append((customer.pk, values["month"], *amounts))
        elif stored[1] != amounts:
            changed.append((stored[0], *amounts))
        else:
            unchanged += 1
    if errors:
        sheet.reject()
    result = ImportResult(created=len(new), updated=len(changed), unchanged=unchanged)
    if not dry_run:
        fields = list(validators.BALANCE_AMOUNTS)
        with transaction.atomic():
            done = write_in_chunks(
                new,
                lambda chunk: copy_rows(MonthlyBalance, ["customer", "month", *fields], chunk),
                progress,
                unchanged,
                result.rows,
            )
            write_in_chunks(
                changed,
                lambda chunk: update_rows(MonthlyBalance, fields, chunk),
                progress,
                done,
                result.rows,
            )
    return result


IMPORTERS = {
    "customers": (import_customers, CUSTOMER_COLUMNS),
    "holdings": (import_holdings, HOLDING_COLUMNS),
    "balances": (import_balances, BALANCE_COLUMNS),
}


# --- the error report and the blank templates ---------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FAULT_FILL = PatternFill("solid", fgColor="FFC7CE")


def _report_cell(sheet, value, fault=False):
    if type(value) is float and value.is_integer():
        value = int(value)  # how calamine hands whole numbers over
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text stays text: "=HYPERLINK(…)" is shown, never run
    if fault:
        cell.fill = FAULT_FILL
    return cell


def error_report(*, name: str, data: bytes, errors) -> bytes:
    """A rejected file as .xlsx: its rows where they were, each with its problems in a last
    column and the cells at fault shaded, so that it can be corrected in place and imported
    again (the importers ignore the extra column)."""
    header, rows, header_row = read_table(name, data)
    place = {}
    for index, column in enumerate(header):
        place.setdefault(column, index)
    by_row = {}
    for error in errors:
        by_row.setdefault(max(error.row, header_row), []).append(error)
    width = max([len(header), *(len(r) for r in rows)])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Problems"))
    sheet.freeze_panes = f"A{header_row + 1}"
    for _empty in range(header_row - 1):
        sheet.append([])
    for number, row in enumerate([header, *rows], start=header_row):
        found = by_row.get(number, [])
        faulty = {place[e.column] for e in found if e.column in place}
        cells = [_report_cell(sheet, v, i in faulty) for i, v in enumerate(row)]
        cells += [None] * (width - len(row))
        lines = [f"{e.column}: {e.message}" if e.column else e.message for e in found]
        if number == header_row:
            lines.insert(0, _("Problems"))
        cells.append(_report_cell(sheet, "\n".join(lines)))
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# The example rows name the demo's data (manage.py seed_demo): on the demo, a template imports
# as it is; elsewhere, the RM, the customer number and the product are replaced by real ones.
EXAMPLE_RM = "rm1"
EXAMPLE_CUSTOMER_NO = "C0000000001"
EXAMPLE_PRODUCT = "TD-1Y"


def template_example(kind: str) -> dict:
    """The example row of a kind's template: {column name: cell text}."""
    with translation.override("zh-hans"):
        if kind == "customers":
            first17 = "11010819850302123"
            return {
                "customer_no": "K2026000001",
                "name": "张三",
                "kind": "个人",
                "primary_rm": EXAMPLE_RM,
                "branch": "",
                "gender": "男",
                "birth_date": "1985-03-02",
                "lunar_birthday": "否",
                "id_type": "居民身份证",
                "id_number": first17 + validators.resident_id_check_char(first17),
                "mobile": "13800138000",
                "email": "zhangsan@example.com",
                "address": "北京市海淀区中关村大街1号",
                "employer": "北京星辰科技有限公司",
                "occupation": "工程师",
                "industry": "信息技术",
                "risk_grade": "C3",
                "risk_assessed_on": "2026-01-10",
                "lifecycle_stage": str(Customer.Lifecycle.NEW.label),
                "source": "网点营销",
            }
        if kind == "holdings":
            return {
                "customer_no": EXAMPLE_CUSTOMER_NO,
                "product": EXAMPLE_PRODUCT,
                "account_no": "6222020200000000001",
                "amount": "100000.00",
                "currency": "CNY",
                "opened_on": "2026-01-15",
                "matures_on": "2027-01-15",
                "status": str(Holding.Status.ACTIVE.label),
            }
        last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
        return {
            "customer_no": EXAMPLE_CUSTOMER_NO,
            "month": f"{last_month:%Y-%m}",
            "avg_financial_assets": "250000.00",
            "avg_deposits": "200000.00",
            "avg_loans": "0.00",
            "star_points": "120",
        }


def blank_template(kind: str) -> bytes:
    """A kind's import file to fill in (.xlsx): our headers, one example row, and every
    column formatted as text, so that ID and account numbers keep all their digits."""
    _importer, columns = IMPORTERS[kind]
    example = template_example(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(dict(IMPORT_KIND_TITLES)[kind])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, 2.2 * len(column.headers[0]) + 4)
        sheet.column_dimensions[letter].number_format = "@"
        for row, value in ((1, column.headers[0]), (2, example[column.name])):
            cell = sheet.cell(row=row, column=index, value=value)
            cell.data_type, cell.number_format = "s", "@"
            if row == 1:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


IMPORT_KIND_TITLES = [
    ("customers", gettext_lazy("Customers")),
    ("holdings", gettext_lazy("Holdings")),
    ("balances", gettext_lazy("Monthly balances")),
]
