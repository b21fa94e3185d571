import json
from datetime import timedelta
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from crm.htmx import is_htmx
from crm.pagination import page_number, paginate
from home.registry import CUSTOMER_360, render_panels
from jobs import services as job_services

from . import imports, job_kinds, services
from .birthdays import next_birthday
from .filters import CustomerFilter
from .forms import CustomerForm, HandoverForm
from .imports import IMPORTERS, ImportRejected, RowError
from .models import Customer, MonthlyBalance, Relation

LIST_PAGE_SIZE = 50
# An export stops here; the list page and the file say so (see customers/exports.py). An .xlsx
# sheet holds 1,048,575 rows under its header. Lists longer than EXPORT_IN_REQUEST_ROWS are
# written by a background job (minutes at the cap); shorter ones in the request (about 1.2 s
# at 5,000 rows on a small machine), so the usual export still downloads at once.
EXPORT_MAX_ROWS = 1_000_000
EXPORT_IN_REQUEST_ROWS = 5_000
# Filters folded under "more filters" on the list; search, tier, star and sort stay in view.
MORE_FILTERS = [
    "kind",
    "lifecycle_stage",
    "risk_grade",
    "branch",
    "rm",
    "tag",
    "birthday_within",
    "maturing_within",
    "not_visited_within",
]
MATURITY_HIGHLIGHT_DAYS = 30


def customers_for(request):
    """The user's customers, archived ones only for an admin who asks for them."""
    customers = Customer.objects.visible_to(request.user)
    if request.user.may_see_archived and request.GET.get("archived") == "1":
        return customers.filter(archived_at__isnull=False)
    return customers.active()


def filtered_customers(request):
    # Always bound, so that "no filters" validates and lists everyone in scope.
    customer_filter = CustomerFilter(request.GET, queryset=customers_for(request), request=request)
    return customer_filter, customer_filter.qs


@login_required
def customer_list(request):
    number = page_number(request.GET.get("page")) or 1  # a mangled page number means the first
    customer_filter, customers = filtered_customers(request)
    if not customer_filter.is_valid():
        if is_htmx(request):
            return HttpResponseBadRequest(_("Some filters are not valid."))
        page = paginate(Customer.objects.none(), 1, LIST_PAGE_SIZE)
    else:
        customers = customers.select_related("primary_rm", "branch", "asset_tier")
        page = paginate(customers, number, LIST_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    more_filters = [customer_filter.form[name] for name in MORE_FILTERS]
    context = {
        "filter": customer_filter,
        "more_filters": more_filters,
        "more_filters_used": any(request.GET.get(name) for name in MORE_FILTERS),
        "page_obj": page,
        "query": query.urlencode(),
        "showing_archived": request.GET.get("archived") == "1" and request.user.may_see_archived,
        "can_hand_over": request.user.may_hand_over,
        "export_max_rows": f"{EXPORT_MAX_ROWS:,}",
    }
    template = "customers/_results.html" if is_htmx(request) else "customers/list.html"
    return TemplateResponse(request, template, context)


def _relations(customer, user):
    """Relations read from both sides, with links only to customers the user may open."""
    rows = Relation.objects.filter(
        Q(from_customer=customer) | Q(to_customer=customer)
    ).select_related("from_customer", "to_customer")
    rows = list(rows)
    others = {
        r.to_customer_id if r.from_customer_id == customer.pk else r.from_customer_id for r in rows
    }
    openable = (
        set(Customer.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True))
        if others
        else set()
    )
    result = []
    for relation in rows:
        if relation.from_customer_id == customer.pk:
            other, label = relation.to_customer, Relation.INVERSE_LABELS[relation.kind]
        else:
            other, label = relation.from_customer, relation.get_kind_display()
        result.append(
            {"other": other, "label": label, "note": relation.note, "linked": other.pk in openable}
        )
    return result


@login_required
def customer_detail(request, pk):
    """The customer 360 page: one page, a fixed number of queries whatever the file holds."""
    customer = get_object_or_404(
        Customer.objects.visible_to(request.user).select_related(
            "primary_rm", "branch", "asset_tier"
        ),
        pk=pk,
    )
    services.record_sensitive_view(user=request.user, customer=customer)
    today = timezone.localdate()
    holdings = list(
        customer.holdings.select_related("product").order_by("status", "matures_on", "id")
    )
    for holding in holdings:
        holding.matures_soon = bool(
            holding.status == holding.Status.ACTIVE
            and holding.matures_on
            and today <= holding.matures_on <= today + timedelta(days=MATURITY_HIGHLIGHT_DAYS)
        )
    first_month = (today.replace(day=1) - timedelta(days=366)).replace(day=1)
    balances = list(
        MonthlyBalance.objects.filter(customer=customer, month__gte=first_month).order_by("month")
    )
    context = {
        "customer": customer,
        "assistants": [a.rm for a in customer.assistants.select_related("rm", "rm__branch")],
        "tags": list(customer.tags.all()),
        "contacts": list(customer.contacts.all()) if customer.is_corporate else [],
        "holdings": holdings,
        "balances": balances,
        "chart": {
            "labels": [b.month.strftime("%Y-%m") for b in balances],
            "assets": [float(b.avg_financial_assets) for b in balances],
        },
        "tier_changes": list(customer.tier_changes.all()[:12]),
        "relations": _relations(customer, request.user),
        "assignments": list(customer.assignments.select_related("rm", "changed_by")[:20]),
        "history": list(customer.history.select_related("history_user")[:20]),
        "next_birthday": next_birthday(customer.birth_date, customer.lunar_birthday, today)
        if customer.birth_date
        else None,
        "may": customer.permissions_for(request.user),
        # Sections other apps add (visits, reminders, later modules): see home.registry.
        "panels": render_panels(CUSTOMER_360, request.user, customer=customer),
    }
    return TemplateResponse(request, "customers/detail.html", context)


@login_required
def customer_edit(request, pk=None):
    customer = None
    if pk is not None:
        customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
        if not customer.editable_by(request.user):
            raise PermissionDenied
    form = CustomerForm(request.POST or None, instance=customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if request.user.may_assign_rms:
            saved.primary_rm = form.cleaned_data["primary_rm"]
            assistants = form.cleaned_data["assistants"]
        else:
            if customer is None:
                saved.primary_rm = request.user
            assistants = None  # RMs do not choose who assists them
        saved.branch_id = saved.primary_rm.branch_id
        services.save_customer(
            actor=request.user, customer=saved, assistants=assistants, tags=form.tags()
        )
        messages.success(request, _("Customer %(name)s saved.") % {"name": saved.name})
        if form.mobile_shared_with_others():
            messages.warning(
                request,
                _("Another customer in the archive has the same mobile number; please check it."),
            )
        return redirect("customers-detail", pk=saved.pk)
    return TemplateResponse(request, "customers/form.html", {"form": form, "customer": customer})


def _archived_message(user, name):
    """Where an archived file can be found again, for the one who archived it."""
    if user.may_see_archived:
        return _(
            "%(name)s archived. To restore it, open Customer archive › Archived, then the "
            "customer, then Restore."
        ) % {"name": name}
    return _(
        "%(name)s archived. Only an admin can restore it, from Customer archive › Archived."
    ) % {"name": name}


@login_required
def customer_archive(request, pk):
    """Archive in two steps: the page asks first (no script needed), the POST archives."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    if not customer.archivable_by(request.user):
        raise PermissionDenied
    if request.method == "POST":
        services.archive(actor=request.user, customer=customer)
        messages.success(request, _archived_message(request.user, customer.name))
        return redirect("customers-list")
    return TemplateResponse(request, "customers/archive.html", {"customer": customer})


@login_required
@require_POST
def customer_restore(request, pk):
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    if not customer.restorable_by(request.user):
        raise PermissionDenied
    services.restore(actor=request.user, customer=customer)
    messages.success(request, _("%(name)s restored.") % {"name": customer.name})
    return redirect("customers-detail", pk=customer.pk)


@login_required
def customer_delete(request, pk):
    """Admins only, and only after typing the customer number: holdings, balances and
    relations go with the file, and the page says how many. Change history is kept."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    if not customer.deletable_by(request.user):
        raise PermissionDenied
    counts = {
        "holdings": customer.holdings.count(),
        "balances": customer.balances.count(),
        "relations": Relation.objects.filter(
            Q(from_customer=customer) | Q(to_customer=customer)
        ).count(),
    }
    error = None
    if request.method == "POST":
        name = customer.name
        try:
            services.delete_customer(
                actor=request.user, customer=customer, confirmation=request.POST.get("confirm", "")
            )
        except ValidationError as refusal:
            error = " ".join(refusal.message_dict["confirm"])
        else:
            messages.success(request, _("%(name)s deleted.") % {"name": name})
            return redirect(reverse("customers-list") + "?archived=1")
    return TemplateResponse(
        request, "customers/delete.html", {"customer": customer, "counts": counts, "error": error}
    )


HANDOVER_SHOWN = 200  # customers listed on the handover page and on its result


def _sole_holder(customers):
    """The primary RM of all these customers, when they share one."""
    holders = set(customers.values_list("primary_rm_id", flat=True).order_by().distinct()[:2])
    return holders.pop() if len(holders) == 1 else None


@login_required
def handover(request):
    """Move one customer, a selection or a whole book to another RM (heads and admins).

    "From" is filled in from the selected customers when they share a primary RM, and that
    RM is not offered as the receiver. After the move the page lists what moved."""
    if not request.user.may_hand_over:
        raise PermissionDenied
    if request.method == "GET" and "done" in request.GET:
        return _handover_done(request)
    # One customer from its page, or the boxes ticked on the list: ?customers=1&customers=2
    picked = [c for value in request.GET.getlist("customers") for c in value.split(",")]
    picked = [c.strip() for c in picked if c.strip().isdigit()]
    data = request.POST if request.method == "POST" else None
    raw = (data or {}).get("customers", ",".join(picked))
    selected_ids = [int(x) for x in str(raw).split(",") if x.strip().isdigit()]
    chosen = Customer.objects.visible_to(request.user).active().filter(pk__in=selected_ids)
    selected = list(chosen.select_related("primary_rm").order_by("name", "pk")[:HANDOVER_SHOWN])
    holder = _sole_holder(chosen) if selected else None
    initial = {}
    if picked:
        initial["customers"] = ",".join(picked)
    if holder:
        initial["from_rm"] = holder
    elif request.GET.get("from", "").isdigit():
        initial["from_rm"] = request.GET["from"]
    form = HandoverForm(data, initial=initial, actor=request.user)
    # The current holder is not a receiver: the selection's, or the RM whose book is given.
    giver = holder
    if giver is None:
        given = form["from_rm"].value()
        giver = int(given) if str(given or "").isdigit() else None
    if giver is not None:
        form.fields["to_rm"].queryset = form.fields["to_rm"].queryset.exclude(pk=giver)
    if form.is_bound and form.is_valid():
        from_rm = form.cleaned_data["from_rm"]
        if form.cleaned_data["whole_book"]:
            ids = list(
                Customer.objects.visible_to(request.user)
                .active()
                .filter(primary_rm=from_rm)
                .values_list("pk", flat=True)
            )
        else:
            ids = form.cleaned_data["customers"]
        to_rm = form.cleaned_data["to_rm"]
        try:
            moved = services.hand_over(
                actor=request.user,
                customer_ids=ids,
                to_rm=to_rm,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # What moved is shown after the redirect: kept in the session, not in the address.
            request.session["handover_done"] = {
                "to_rm": to_rm.pk,
                "count": len(moved),
                "ids": moved[:HANDOVER_SHOWN],
            }
            return redirect(reverse("customers-handover") + "?done=1")
    return TemplateResponse(
        request, "customers/handover.html", {"form": form, "selected": selected}
    )


def _handover_done(request):
    done = request.session.get("handover_done")
    if not done:
        return redirect("customers-handover")
    to_rm = User.objects.visible_to(request.user).filter(pk=done["to_rm"]).first()
    moved = list(
        Customer.objects.visible_to(request.user)
        .filter(pk__in=done["ids"])
        .select_related("primary_rm", "branch")
        .order_by("name", "pk")
    )
    context = {
        "summary": _("%(count)d customers handed over to %(rm)s.")
        % {"count": done["count"], "rm": to_rm or "—"},
        "moved": moved,
        "more": done["count"] - len(moved),
    }
    return TemplateResponse(request, "customers/handover.html", context)


MAX_IMPORT_BYTES = 50 * 1024 * 1024
# A checked file waits this long for its confirmation, and a rejected one's report this long
# for its download; the files themselves go with the jobs' retention (jobs.services).
UPLOAD_TOKEN_SECONDS = 24 * 3600


def upload_token(user, **kept) -> str:
    """A signed note of a file kept in storage for ``user``: only that user can redeem it."""
    return signing.dumps({"user": user.pk, **kept}, salt="customers-import", compress=True)


def redeem_upload_token(user, token: str) -> dict | None:
    """What ``upload_token`` kept, or None when the token is not this user's, was altered, or
    is older than a day."""
    try:
        kept = signing.loads(token, salt="customers-import", max_age=UPLOAD_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    return kept if kept.get("user") == user.pk else None


@login_required
def import_page(request):
    """Admins load customers, holdings or balances: check the file first (in the request),
    then confirm; the write runs as a background job with progress (jobs app)."""
    if not request.user.is_admin:
        raise PermissionDenied
    kind = request.POST.get("kind") or request.GET.get("kind") or "customers"
    if kind not in IMPORTERS:
        kind = "customers"
    importer, columns = IMPORTERS[kind]
    context = {"kind": kind, "kinds": IMPORT_KINDS, "columns": columns}
    step = request.POST.get("step")
    if step == "check":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [RowError(1, "", _("Choose a file to import."))]
        elif upload.size > MAX_IMPORT_BYTES:
            context["errors"] = [RowError(1, "", _("The file is larger than 50 MB; split it."))]
        else:
            data = upload.read()
            try:
                context["result"] = importer(
                    name=upload.name, data=data, actor=request.user, dry_run=True
                )
            except ImportRejected as rejected:
                context["errors"] = rejected.errors
                context["report"] = keep_error_report(request.user, upload.name, data, rejected)
            else:
                stored = job_services.store_upload(filename=upload.name, content=data)
                token = upload_token(request.user, file=stored, name=upload.name, kind=kind)
                context.update(token=token, file_name=upload.name)
    elif step == "confirm":
        kept = redeem_upload_token(request.user, request.POST.get("token", ""))
        if (
            kept is None
            or kept.get("kind") != kind
            or not default_storage.exists(kept.get("file", ""))
        ):
            messages.error(request, _("That upload has expired; choose the file again."))
            return redirect(reverse("customers-import") + f"?kind={kind}")
        job = job_services.start_job(
            owner=request.user,
            kind=job_kinds.IMPORT,
            params={"kind": kind},
            input_file=kept["file"],
            input_filename=kept["name"],
        )
        return redirect("jobs-detail", job.pk)
    return TemplateResponse(request, "customers/import.html", context)


def keep_error_report(user, name: str, data: bytes, rejected) -> str | None:
    """Keep a rejected file and its problems in storage for import_report; returns the
    report's token, or None when no row was checked (an unreadable file, a missing column)."""
    if not any(e.row > 1 for e in rejected.errors):
        return None
    problems = [[e.row, e.column, e.message] for e in rejected.errors]
    return upload_token(
        user,
        name=name,
        file=job_services.store_upload(filename=name, content=data),
        errors=job_services.store_upload(
            filename="errors.json", content=json.dumps(problems, ensure_ascii=False).encode()
        ),
    )


@login_required
def import_report(request, token):
    """The full list of a rejected file's problems, as the file itself with a column added
    (.xlsx). Only the admin who uploaded the file gets it, for a day."""
    if not request.user.is_admin:
        raise PermissionDenied
    kept = redeem_upload_token(request.user, token)
    if kept is None or "errors" not in kept:
        raise Http404
    try:
        data = job_services.read_file(kept["file"])
        problems = json.loads(job_services.read_file(kept["errors"]))
    except FileNotFoundError as error:  # removed with the jobs' files
        raise Http404 from error
    errors = [RowError(row, column, message) for row, column, message in problems]
    report = imports.error_report(name=kept["name"], data=data, errors=errors)
    response = HttpResponse(report, content_type=imports.XLSX)
    filename = f"{Path(kept['name']).stem}-{_('problems')}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
def import_template(request, kind):
    """A blank file to fill in for an import kind: the headers and one example row."""
    if not request.user.is_admin:
        raise PermissionDenied
    if kind not in IMPORTERS:
        raise Http404
    response = HttpResponse(imports.blank_template(kind), content_type=imports.XLSX)
    filename = f"{_('import template')}-{dict(IMPORT_KINDS)[kind]}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


IMPORT_KINDS = [
    ("customers", gettext_lazy("Customers")),
    ("holdings", gettext_lazy("Holdings")),
    ("balances", gettext_lazy("Monthly balances")),
]
