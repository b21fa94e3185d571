from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import SEGMENT_LENGTH, Branch, User
from crm.pagination import page_number, paginate
from crm.params import parse_id
from customers.models import Customer, Holding

from . import board as board_module
from . import checks, services
from .forms import CheckForm, ItemForm, MeasureForm, MeasureResultForm, MoveForm
from .models import (
    ACTIVE_STATES,
    LEVEL_NAMES,
    LOAN_CATEGORIES,
    BoardCount,
    CheckCount,
    Escalation,
    LedgerEntry,
    Level,
    LoanCheck,
    Measure,
    RiskSignal,
    Signal,
    WatchItem,
)

PAGE_SIZE = 50


def _id(raw):
    return None if raw in (None, "") else parse_id(raw)


# --- who may see what of a related party ----------------------------------------------------


def related_views(user, items):
    """For each derived item (a related party's warning), what ``user`` may read of where it
    comes from: ``{item id: {"visible": bool, "origin": item or None, "steps": [...],
    "circle": total or None}}``.

    Rule: the originating customer's name, level and figures show only when the user sees
    that customer (``Customer.objects.visible_to``); otherwise the item says "a related
    party has a warning" and nothing else. A step of the chain shows a name only for a
    customer the user sees; the circle's total exposure only when the user sees every
    customer in it. Three queries, whatever the number of items."""
    derived = [i for i in items if i.origin_id]
    if not derived:
        return {}
    chain_ids = {step[0] for i in derived for step in i.chain or []}
    origins = {
        o.pk: o
        for o in WatchItem.objects.filter(pk__in={i.origin_id for i in derived}).select_related(
            "customer"
        )
    }
    chain_ids |= {o.customer_id for o in origins.values()}
    circle = {}
    for pk, origin_id, customer_id, loans, guarantees in WatchItem.objects.filter(
        Q(pk__in=origins) | Q(origin_id__in=origins)
    ).values_list("pk", "origin_id", "customer_id", "exposure_loans", "exposure_guarantees"):
        circle.setdefault(origin_id or pk, []).append((customer_id, loans + guarantees))
        chain_ids.add(customer_id)
    names = dict(
        Customer.objects.visible_to(user).filter(pk__in=chain_ids).values_list("pk", "name")
    )
    found = {}
    for item in derived:
        origin = origins.get(item.origin_id)
        visible = origin is not None and origin.customer_id in names
        members = circle.get(item.origin_id, [])
        steps = [
            {"name": names.get(step[0]), "relation": step[1], "direction": step[2]}
            for step in item.chain or []
        ]
        found[item.pk] = {
            "visible": visible,
            "origin": origin if visible else None,
            "steps": steps,
            "circle": sum(t for _c, t in members)
            if members and all(c in names for c, _t in members)
            else None,
        }
    return found


# --- lists ---------------------------------------------------------------------------------


def _filters(request, user):
    """The list and board filters, each checked against its choices: a bad value reads as
    no filter, a bad id as 404."""
    get = request.GET
    return {
        "kind": get.get("kind") if get.get("kind") in WatchItem.Kind.values else "",
        "level": int(get["level"]) if get.get("level") in {"1", "2", "3"} else None,
        "state": get.get("state") if get.get("state") in [*WatchItem.State.values, "all"] else "",
        "signal": get.get("signal") if get.get("signal") in Signal.values else "",
        "rm": _id(get.get("rm")),
        "branch": _id(get.get("branch")),
    }


def _filtered(items, chosen, user):
    if chosen["kind"]:
        items = items.filter(kind=chosen["kind"])
    if chosen["level"]:
        items = items.filter(level=chosen["level"])
    if chosen["state"] == "all":
        pass
    elif chosen["state"]:
        items = items.filter(state=chosen["state"])
    else:
        items = items.filter(state__in=ACTIVE_STATES)
    if chosen["signal"]:
        items = items.filter(signals__contains=f",{chosen['signal']},")
    if chosen["rm"]:
        items = items.filter(owner_id=chosen["rm"])
    if chosen["branch"]:
        branch = Branch.objects.visible_to(user).filter(pk=chosen["branch"]).first()
        if branch is None:
            raise Http404
        items = items.filter(customer__branch__path__startswith=branch.path)
    return items


def _filter_context(user, chosen):
    return {
        "chosen": chosen,
        "kinds": WatchItem.Kind.choices,
        "levels": Level.choices,
        "states": WatchItem.State.choices,
        "signals": Signal.choices,
        "branches": list(Branch.objects.visible_to(user).only("id", "name", "path"))
        if user.sees_branch_subtree or user.is_admin
        else [],
        "rms": list(
            User.objects.visible_to(user)
            .filter(role=User.Role.RM, is_active=True)
            .only("id", "username", "first_name", "last_name")[:200]
        )
        if user.sees_branch_subtree or user.is_admin
        else [],
    }


@login_required
def watchlist(request):
    """My watchlist: the items of the customers I see, most urgent first."""
    chosen = _filters(request, request.user)
    items = _filtered(WatchItem.objects.visible_to(request.user), chosen, request.user)
    page = paginate(
        items.select_related("customer", "owner").urgent_first(),
        page_number(request.GET.get("page")) or 1,
        PAGE_SIZE,
    )
    return TemplateResponse(
        request,
        "watchlists/list.html",
        {
            "page_obj": page,
            "related": related_views(request.user, page.object_list),
            "today": timezone.localdate(),
            **_filter_context(request.user, chosen),
        },
    )


def _may_see_board(user):
    return user.is_active and (user.sees_branch_subtree or user.is_admin)


def _full_name(user_field: str):
    """A user's name as people read it on the board (姓 + 名), not their login."""
    return Concat(F(f"{user_field}__last_name"), F(f"{user_field}__first_name"))


def _board_counts(user, chosen, branch_ids, today):
    """{(branch id, level): items}, [(owner name, overdue reviews)], {new, closed} and
    [(RM name, overdue checks)]: from the snapshot (``board.py``), or from the items
    themselves when a signal is chosen (a signal is not a dimension of the snapshot)."""
    if chosen["signal"]:
        items = _filtered(WatchItem.objects.visible_to(user), chosen, user)
        heat = {
            (b, lv): n
            for b, lv, n in items.order_by()
            .values_list("customer__branch_id", "level")
            .annotate(n=Count("id"))
        }
        reviews = list(
            items.filter(review_on__lt=today)
            .order_by()
            .values_list(_full_name("owner"))
            .annotate(n=Count("id"))
            .order_by("-n")[:20]
        )
        week = today - timedelta(days=7)
        signal = Q(signals__contains=f",{chosen['signal']},")
        scoped = WatchItem.objects.visible_to(user).filter(signal)
        counts = scoped.aggregate(
            new=Count("id", filter=Q(opened_at__date__gt=week)),
            closed=Count("id", filter=Q(closed_at__date__gt=week)),
        )
    else:
        rows = BoardCount.objects.filter(branch_id__in=branch_ids)
        if chosen["kind"]:
            rows = rows.filter(kind=chosen["kind"])
        if chosen["level"]:
            rows = rows.filter(level=chosen["level"])
        if chosen["state"] and chosen["state"] != "all":
            rows = rows.filter(state=chosen["state"])
        if chosen["rm"]:
            rows = rows.filter(owner_id=chosen["rm"])
        heat = {
            (b, lv): n
            for b, lv, n in rows.order_by()
            .values_list("branch_id", "level")
            .annotate(n=Sum("items"))
            if n
        }
        reviews = list(
            rows.filter(overdue_reviews__gt=0)
            .order_by()
            .values_list(_full_name("owner"))
            .annotate(n=Sum("overdue_reviews"))
            .order_by("-n")[:20]
        )
        counts = rows.aggregate(new=Sum("opened_this_week"), closed=Sum("closed_this_week"))
    checks = CheckCount.objects.filter(branch_id__in=branch_ids)
    if chosen["rm"]:
        checks = checks.filter(rm_id=chosen["rm"])
    overdue_checks = list(
        checks.order_by()
        .values_list(_full_name("rm"))
        .annotate(n=Sum("overdue"))
        .order_by("-n")[:20]
    )
    week_counts = {"new": counts["new"] or 0, "closed": counts["closed"] or 0}
    return heat, reviews, week_counts, overdue_checks


@login_required
def board(request):
    """The branch board for heads, risk managers and admins: active items by level and
    sub-branch (a heat map), items escalated to me, overdue reviews and checks by RM, and
    this week's new and closed items. The figures come from the board snapshot of the
    branches the user sees (``board.py``); the items escalated to the user are live, through
    ``WatchItem.objects.visible_to``."""
    user = request.user
    if not _may_see_board(user):
        raise PermissionDenied
    chosen = _filters(request, user)
    today = timezone.localdate()
    visible_branches = list(Branch.objects.visible_to(user).values_list("id", "name", "path"))
    branch_ids = [pk for pk, _n, _p in visible_branches]
    if chosen["branch"]:
        if chosen["branch"] not in branch_ids:
            raise Http404
        chosen_path = next(p for pk, _n, p in visible_branches if pk == chosen["branch"])
        branch_ids = [pk for pk, _n, p in visible_branches if p.startswith(chosen_path)]
    # Rows of the heat map: the branches right under the user's own (or the roots for an
    # admin without a branch); a branch counts under the row whose subtree holds it.
    top = user.branch.path if user.branch_id else ""
    depth = len(top) + SEGMENT_LENGTH if top else SEGMENT_LENGTH
    rows = [(pk, name, path) for pk, name, path in visible_branches if len(path) == depth]
    if top:
        rows.insert(0, (user.branch_id, user.branch.name, top))
    row_of_path = {path: pk for pk, _n, path in rows}
    path_of = {pk: path for pk, _n, path in visible_branches}
    if board_module.taken_at() is None:
        board_module.refresh()  # the first view ever: the job has not run yet
    heat_counts, overdue_reviews, week_counts, overdue_checks = _board_counts(
        user, chosen, branch_ids, today
    )
    heat = {pk: dict.fromkeys(Level.values, 0) for pk, _n, _p in rows}
    for (branch_id, level), count in heat_counts.items():
        path = path_of.get(branch_id, "")
        key = row_of_path.get(path[:depth]) if len(path) >= depth else None
        key = key or row_of_path.get(top)
        if key in heat:
            heat[key][level] += count
    most = max([n for cells in heat.values() for n in cells.values()] or [0]) or 1
    heat_rows = [
        {
            "branch_id": pk,
            "name": name,
            "cells": [
                {"level": lv, "n": heat[pk][lv], "alpha": round(heat[pk][lv] / most, 2)}
                for lv in Level.values
            ],
        }
        for pk, name, _p in rows
    ]
    escalated = list(
        WatchItem.objects.visible_to(user)
        .active()
        .filter(escalated_to=user)
        .select_related("customer", "owner")
        .urgent_first()[:20]
    )
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "watchlists/board.html",
        {
            "heat_rows": heat_rows,
            "escalated": escalated,
            "overdue_reviews": overdue_reviews,
            "overdue_checks": overdue_checks,
            "week": week_counts,
            "taken_at": board_module.taken_at(),
            "related": related_views(user, escalated),
            "list_query": query.urlencode(),
            "today": today,
            **_filter_context(user, chosen),
        },
    )


# --- one item ------------------------------------------------------------------------------


def _get_item(request, pk):
    return get_object_or_404(
        WatchItem.objects.visible_to(request.user).select_related("customer", "owner"), pk=pk
    )


def _get_customer(request, pk):
    return get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)


@login_required
def item_create(request):
    """Open an item on a customer I see (``?customer=``): from the customer's page."""
    customer = _get_customer(request, _id(request.GET.get("customer")) or 0)
    if customer.is_archived or not (
        request.user.is_admin
        or request.user.sees_branch_subtree
        or customer.primary_rm_id == request.user.pk
    ):
        raise PermissionDenied
    form = ItemForm(request.POST or None, initial={"kind": "credit", "level": Level.ATTENTION})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = services.open_item(
            actor=request.user,
            customer=customer,
            kind=data["kind"],
            level=data["level"],
            source=WatchItem.Source.RM if request.user.is_rm else WatchItem.Source.MANAGER,
            signals=data["signals"],
            description=data["description"],
            review_on=data["review_on"],
        )
        messages.success(request, _("Watch item opened."))
        return redirect("watchlists-detail", pk=item.pk)
    return TemplateResponse(request, "watchlists/form.html", {"form": form, "customer": customer})


@login_required
def item_detail(request, pk):
    item = _get_item(request, pk)
    user = request.user
    measures = list(item.measures.select_related("owner").order_by("done_on", "due_on", "id"))
    return TemplateResponse(
        request,
        "watchlists/detail.html",
        {
            "item": item,
            "measures": measures,
            "open_measures": [m for m in measures if m.done_on is None],
            "escalations": list(item.escalations.select_related("to_user")),
            "ledger": list(item.ledger.select_related("by")[:50]),
            "related": related_views(user, [item]).get(item.pk),
            "derived_count": item.derived.filter(state__in=ACTIVE_STATES).count(),
            "can_edit": item.editable_by(user),
            "targets": [
                (t, WatchItem.workflow.label(t)) for t in WatchItem.workflow.targets_for(user, item)
            ],
            "measure_form": MeasureForm(
                item=item, initial={"due_on": timezone.localdate() + timedelta(days=3)}
            ),
            "move_form": MoveForm(),
            "edit_form": ItemForm(
                initial={
                    "kind": item.kind,
                    "level": item.level,
                    "signals": item.signal_list,
                    "description": item.description,
                    "review_on": item.review_on,
                }
            ),
            "level_names": LEVEL_NAMES,
            "today": timezone.localdate(),
        },
    )


def _editable(request, pk):
    item = _get_item(request, pk)
    if not item.editable_by(request.user):
        raise PermissionDenied
    return item


@login_required
@require_POST
def item_update(request, pk):
    item = _editable(request, pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.update_item(
            actor=request.user,
            item=item,
            kind=data["kind"],
            level=data["level"],
            signals=data["signals"],
            description=data["description"],
            review_on=data["review_on"] or item.review_on,
        )
        messages.success(request, _("Watch item saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("watchlists-detail", pk=item.pk)


@login_required
@require_POST
def measure_add(request, pk):
    item = _editable(request, pk)
    form = MeasureForm(request.POST, item=item)
    if form.is_valid():
        services.add_measure(actor=request.user, item=item, **form.cleaned_data)
        messages.success(request, _("Measure added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("watchlists-detail", pk=item.pk)


@login_required
@require_POST
def measure_log(request, pk):
    measure = get_object_or_404(
        Measure.objects.visible_to(request.user).select_related("item__customer"), pk=pk
    )
    if not measure.item.editable_by(request.user):
        raise PermissionDenied
    form = MeasureResultForm(request.POST)
    if form.is_valid():
        services.log_measure(
            actor=request.user, measure=measure, result=form.cleaned_data["result"]
        )
        messages.success(request, _("Result logged."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("watchlists-detail", pk=measure.item_id)


@login_required
@require_POST
def item_move(request, pk):
    item = _get_item(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("watchlists-detail", pk=item.pk)
    try:
        services.move_item(
            actor=request.user,
            item=item,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
            exposure_reduced=form.cleaned_data["exposure_reduced"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Watch item moved."))
    return redirect("watchlists-detail", pk=item.pk)


# --- the customer's ledger and credit file --------------------------------------------------


def ledger_lines(customer, limit=200):
    """The monitoring ledger (监测台账) of one customer, newest first: signals and item
    events, checks, measures and escalations merged by date; four queries."""
    lines = []
    for entry in LedgerEntry.objects.filter(customer=customer).select_related("by")[:limit]:
        lines.append(
            {"on": entry.on, "kind": entry.get_kind_display(), "entry": entry, "type": "entry"}
        )
    for check in LoanCheck.objects.filter(customer=customer).order_by("-due_on")[:limit]:
        lines.append(
            {
                "on": check.done_on or check.due_on,
                "kind": check.get_kind_display(),
                "check": check,
                "type": "check",
            }
        )
    for m in (
        Measure.objects.filter(item__customer=customer)
        .select_related("owner")
        .order_by("-due_on")[:limit]
    ):
        lines.append(
            {
                "on": m.done_on or m.due_on,
                "kind": m.get_kind_display(),
                "measure": m,
                "type": "measure",
            }
        )
    for e in Escalation.objects.filter(item__customer=customer).select_related("to_user")[:limit]:
        lines.append(
            {
                "on": e.on,
                "kind": _("Escalated"),
                "escalation": e,
                "type": "escalation",
                "level_name": LEVEL_NAMES.get(e.level),
            }
        )
    lines.sort(key=lambda line: line["on"], reverse=True)
    return lines[:limit]


@login_required
def ledger(request, customer_pk):
    customer = _get_customer(request, customer_pk)
    return TemplateResponse(
        request,
        "watchlists/ledger.html",
        {"customer": customer, "lines": ledger_lines(customer), "today": timezone.localdate()},
    )


@login_required
def credit_file(request, customer_pk):
    """The printable credit file (A4): facilities, exposure, classification history, checks
    and warnings."""
    customer = _get_customer(request, customer_pk)
    holdings = list(
        Holding.objects.filter(customer=customer, status=Holding.Status.ACTIVE)
        .select_related("product")
        .order_by("product__category", "id")
    )
    loans = [h for h in holdings if h.product.category in LOAN_CATEGORIES]
    items = list(
        WatchItem.objects.filter(customer=customer)
        .select_related("owner")
        .order_by("-opened_at")[:50]
    )
    return TemplateResponse(
        request,
        "watchlists/credit_file.html",
        {
            "customer": customer,
            "loans": loans,
            "others": [h for h in holdings if h.product.category not in LOAN_CATEGORIES],
            "loan_total": sum(h.amount for h in loans),
            "signals": list(RiskSignal.objects.filter(customer=customer)[:24]),
            "checks": list(
                LoanCheck.objects.filter(customer=customer)
                .select_related("holding__product", "done_by")
                .order_by("-due_on")[:30]
            ),
            "items": items,
            "related": related_views(request.user, items),
            "today": timezone.localdate(),
        },
    )


# --- checks ----------------------------------------------------------------------------------


@login_required
def check_list(request):
    """Open checks of the customers I see, overdue first."""
    today = timezone.localdate()
    rows = LoanCheck.objects.visible_to(request.user).filter(done_on__isnull=True)
    if request.GET.get("overdue") == "1":
        rows = rows.filter(due_on__lt=today)
    page = paginate(
        rows.select_related("customer", "holding__product").order_by("due_on", "id"),
        page_number(request.GET.get("page")) or 1,
        PAGE_SIZE,
    )
    return TemplateResponse(request, "watchlists/checks.html", {"page_obj": page, "today": today})


@login_required
def check_detail(request, pk):
    check = get_object_or_404(
        LoanCheck.objects.visible_to(request.user).select_related("customer", "holding__product"),
        pk=pk,
    )
    may = checks.may_complete(request.user, check) and check.is_open
    form = CheckForm(request.POST or None)
    if request.method == "POST":
        if not may:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            checks.complete(
                actor=request.user,
                check=check,
                result=data["result"],
                signals=data["signals"],
                note=data["note"],
                level=data["level"],
            )
            messages.success(request, _("Check recorded."))
            return redirect("watchlists-check", pk=check.pk)
    return TemplateResponse(
        request,
        "watchlists/check.html",
        {"check": check, "form": form, "may_complete": may, "today": timezone.localdate()},
    )


# --- the risk data import (admins) ----------------------------------------------------------

MAX_IMPORT_BYTES = 50 * 1024 * 1024


@login_required
def risk_import(request):
    """Admins load a risk data file: it is checked whole in the request (every problem by
    row and column, nothing written), then written by a background job that also runs the
    credit rules (``job_kinds``)."""
    from customers.imports import ImportRejected, RowError
    from jobs import services as job_services

    from . import job_kinds
    from .imports import RISK_COLUMNS, import_risk_signals

    if not request.user.is_admin:
        raise PermissionDenied
    context = {"columns": RISK_COLUMNS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [RowError(1, "", _("Choose a file to import."))]
        elif upload.size > MAX_IMPORT_BYTES:
            context["errors"] = [RowError(1, "", _("The file is larger than 50 MB; split it."))]
        else:
            data = upload.read()
            try:
                import_risk_signals(name=upload.name, data=data, dry_run=True)
            except ImportRejected as rejected:
                context["errors"] = rejected.errors[:200]
            else:
                stored = job_services.store_upload(filename=upload.name, content=data)
                job = job_services.start_job(
                    owner=request.user,
                    kind=job_kinds.IMPORT,
                    input_file=stored,
                    input_filename=upload.name,
                )
                return redirect("jobs-detail", job.pk)
    return TemplateResponse(request, "watchlists/import.html", context)
