"""Export of the customer list to .xlsx: the same scope and filters as the page."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from . import services
from .views import filtered_customers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 100_000


def may_see_full_values(user) -> bool:
    """Rule: only admins, who keep the archive, export full ID and mobile numbers."""
    return user.is_admin


def text_cell(sheet, value):
    """A cell that is always text: a value such as ``=HYPERLINK(…)`` is shown, never run."""
    cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
    cell.data_type = "s"
    return cell


@login_required
def export_customers(request):
    customer_filter, customers = filtered_customers(request)
    if not customer_filter.is_valid():
        return HttpResponseBadRequest(_("Some filters are not valid."))
    full = may_see_full_values(request.user)
    customers = customers.select_related("primary_rm", "branch", "asset_tier")[:MAX_EXPORT_ROWS]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    headers = [
        _("Customer number"),
        _("Name"),
        _("Kind"),
        _("ID type"),
        _("ID number"),
        _("Mobile"),
        _("Birth date"),
        _("Asset tier"),
        _("Star level"),
        _("Monthly average assets"),
        _("Lifecycle stage"),
        _("Risk tolerance"),
        _("Branch"),
        _("Primary RM"),
    ]
    sheet.append([text_cell(sheet, h) for h in headers])
    rows = 0
    for c in customers.iterator(chunk_size=2000):
        sheet.append(
            [
                text_cell(sheet, c.customer_no),
                text_cell(sheet, c.name),
                text_cell(sheet, c.get_kind_display()),
                text_cell(sheet, c.get_id_type_display()),
                text_cell(sheet, c.id_number if full else c.masked_id_number),
                text_cell(sheet, c.mobile if full else c.masked_mobile),
                c.birth_date,
                text_cell(sheet, c.asset_tier or ""),
                text_cell(sheet, c.get_star_level_display()),
                float(c.monthly_avg_assets),
                text_cell(sheet, c.get_lifecycle_stage_display()),
                text_cell(sheet, c.risk_grade),
                text_cell(sheet, c.branch.name),
                text_cell(sheet, c.primary_rm.get_full_name() or c.primary_rm.username),
            ]
        )
        rows += 1
    filters = {k: v for k, v in request.GET.items() if v}
    services.record_export(user=request.user, filters=filters, row_count=rows)
    response = HttpResponse(content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.xlsx"'
    workbook.save(response)
    return response
