"""Export of the customer list to .xlsx: the same scope and filters as the page.

The file is written with XlsxWriter in constant-memory mode (each row goes to a temporary file
as it is written), from plain tuples rather than model instances. A list of up to
``EXPORT_IN_REQUEST_ROWS`` customers is written in the request and downloads at once; a larger
one is a background job (``customers.export``, see ``job_kinds.py``): the user confirms, watches
its progress and downloads the file from the job's page. An export stops at
``EXPORT_MAX_ROWS`` (a sheet holds 1,048,575 rows under its header); the list page says so next
to the button, and the file's second sheet says whether this export reached it.
"""

import io
from types import SimpleNamespace

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jobs import services as job_services

from . import job_kinds, services
from .models import Customer, StarLevel, mask_id_number, mask_mobile
from .views import EXPORT_IN_REQUEST_ROWS, EXPORT_MAX_ROWS, filtered_customers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [
    "customer_no",
    "name",
    "kind",
    "id_type",
    "id_number",
    "mobile",
    "birth_date",
    "asset_tier__name",
    "asset_tier__name_en",
    "star_level",
    "monthly_avg_assets",
    "lifecycle_stage",
    "risk_grade",
    "branch__name",
    "primary_rm__last_name",
    "primary_rm__first_name",
    "primary_rm__username",
]


def may_see_full_values(user) -> bool:
    """Rule: only admins, who keep the archive, export full ID and mobile numbers."""
    return user.is_admin


def headers() -> list[str]:
    return [
        _("Customer number"),
        _("Name"),
        _("Kind"),
        _("ID type"),
        _("ID number"),
        _("Mobile"),
        _("Birth date"),
        _("Asset tier"),
        _("Star level"),
        _("Monthly average assets (CNY)"),
        _("Lifecycle stage"),
        _("Risk tolerance"),
        _("Branch"),
        _("Primary RM"),
    ]


def write_customers(sheet, rows, *, full: bool, formats: dict) -> int:
    """Write one row per customer below the headers; return how many were written.

    Every value but the birth date and the amount is written with ``write_string``, so a
    name such as ``=HYPERLINK(…)`` is shown as text and never run as a formula."""
    # Labels translated once, not once a row.
    kinds = {k: str(v) for k, v in Customer.Kind.choices}
    id_types = {k: str(v) for k, v in Customer.IdType.choices}
    stars = {k: str(v) for k, v in StarLevel.choices}
    stages = {k: str(v) for k, v in Customer.Lifecycle.choices}
    english = get_language() == "en"
    text = sheet.write_string
    count = 0
    for count, row in enumerate(rows, start=1):
        no, name, kind, id_type, id_number, mobile, birth, tier, tier_en, star, assets = row[:11]
        stage, risk, branch, rm_last, rm_first, rm_username = row[11:]
        text(count, 0, no)
        text(count, 1, name)
        text(count, 2, kinds.get(kind, kind))
        text(count, 3, id_types.get(id_type, id_type or ""))
        text(count, 4, id_number if full else mask_id_number(id_number))
        text(count, 5, mobile if full else mask_mobile(mobile))
        if birth:
            sheet.write_datetime(count, 6, birth, formats["date"])
        text(count, 7, (tier_en if english and tier_en else tier) or "")
        text(count, 8, stars.get(star, ""))
        sheet.write_number(count, 9, float(assets), formats["money"])
        text(count, 10, stages.get(stage, stage))
        text(count, 11, risk or "")
        text(count, 12, branch)
        text(count, 13, f"{rm_last}{rm_first}".strip() or rm_username)
    return count


def customers_to_export(user, query):
    """The user's list with the page's filters (``query``, a QueryDict), or None when the
    filters are not valid. The scope is the list page's: ``Customer.objects.visible_to``."""
    customer_filter, customers = filtered_customers(SimpleNamespace(user=user, GET=query))
    return customers if customer_filter.is_valid() else None


def write_export(*, user, query, progress=None) -> tuple[str, bytes, int]:
    """The .xlsx of ``user``'s filtered list, recorded as an export: (file name, content,
    customers written). Full ID and mobile numbers only for admins (``may_see_full_values``)."""
    customers = customers_to_export(user, query)
    full = may_see_full_values(user)
    # One row past the cap tells a capped export from one that fits exactly.
    rows = customers.values_list(*COLUMNS)[: EXPORT_MAX_ROWS + 1].iterator(chunk_size=5000)
    rows_within_cap = (row for _n, row in zip(range(EXPORT_MAX_ROWS), rows, strict=False))
    if progress is not None:
        rows_within_cap = _reporting(rows_within_cap, progress)

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    formats = {
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "bold": workbook.add_format({"bold": True}),
    }
    sheet = workbook.add_worksheet(_("Customers"))
    for column, header in enumerate(headers()):
        sheet.write_string(0, column, header, formats["bold"])
    sheet.freeze_panes(1, 0)
    written = write_customers(sheet, rows_within_cap, full=full, formats=formats)
    capped = written == EXPORT_MAX_ROWS and next(rows, None) is not None
    rows.close()  # release the database cursor now rather than at garbage collection

    now = timezone.localtime()
    about = workbook.add_worksheet(_("About this export"))
    about.set_column(0, 0, 80)
    lines = [
        _("Exported by %(user)s at %(time)s.")
        % {
            "user": user.get_full_name() or user.username,
            "time": now.strftime("%Y-%m-%d %H:%M"),
        },
        _("%(count)s customers.") % {"count": f"{written:,}"},
        _("An export holds at most %(cap)s customers.") % {"cap": f"{EXPORT_MAX_ROWS:,}"},
    ]
    if capped:
        lines.append(_("This export reached that limit: more customers match. Narrow the filters."))
        about.activate()  # the file opens on the warning
    if not full:
        lines.append(_("ID and mobile numbers are masked."))
    for number, line in enumerate(lines):
        about.write_string(number, 0, line)
    workbook.close()

    filters = {k: v for k, v in query.items() if v}
    services.record_export(user=user, filters=filters, row_count=written)
    return f"customers-{now.strftime('%Y%m%d-%H%M')}.xlsx", output.getvalue(), written


def _reporting(rows, progress, every=5000):
    for count, row in enumerate(rows, start=1):
        yield row
        if count % every == 0:
            progress(count)


@login_required
def export_customers(request):
    """A short list downloads at once; a longer one asks to be prepared as a background job
    (GET shows the question, POST starts the job)."""
    query = request.GET if request.method != "POST" else request.POST
    query = query.copy()
    query.pop("csrfmiddlewaretoken", None)
    customers = customers_to_export(request.user, query)
    if customers is None:
        return HttpResponseBadRequest(_("Some filters are not valid."))
    if request.method == "POST":
        job = job_services.start_job(
            owner=request.user, kind=job_kinds.EXPORT, params={"query": query.urlencode()}
        )
        return redirect("jobs-detail", job.pk)
    if customers[: EXPORT_IN_REQUEST_ROWS + 1].count() > EXPORT_IN_REQUEST_ROWS:
        context = {
            "query": query,
            "in_request": f"{EXPORT_IN_REQUEST_ROWS:,}",
            "cap": f"{EXPORT_MAX_ROWS:,}",
        }
        return TemplateResponse(request, "customers/export_job.html", context)
    filename, content, _written = write_export(user=request.user, query=query)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
