"""Pages of the pipeline: the RM's board and list, one opportunity, the head's review,
suggestions and target lists. Every read starts from ``visible_to(request.user)``."""

import io
import json
from datetime import timedelta
from urllib.parse import parse_qs

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Branch, User
from crm.pagination import page_number, paginate
from crm.params import parse_id
from customers.filters import CustomerFilter
from customers.models import Customer, Holding, Product
from visits.models import Visit
from workflow.models import StateChange

from . import nightly, review, services
from .forms import FeedbackForm, MoveForm, OpportunityForm, TargetListForm
from .models import (
    Opportunity,
    Stage,
    Suggestion,
    SuitabilityRefusal,
    TargetEntry,
    TargetList,
    Task,
)

BOARD_CARDS = 15
LIST_PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_id = parse_id


def _heads_only(user):
    if not (user.is_head or user.is_admin):
        raise Http404


# --- the RM's board and list ---------------------------------------------------------------


@login_required
def board(request):
    """A column per open stage (count, amount and the first cards); on a phone one stage at
    a time, chosen by tabs. An RM sees the opportunities they own; a head or an admin
    everything in scope. A fixed number of queries whatever the number of opportunities."""
    user = request.user
    scoped = Opportunity.objects.visible_to(user).open()
    if user.is_rm:
        scoped = scoped.filter(owner=user)
    stages = [s for s in Stage.objects.all() if not s.is_final]
    codes = [s.code for s in stages]
    current = request.GET.get("stage") or (codes[0] if codes else "")
    if current not in codes:
        raise Http404
    totals = {
        row["stage_id"]: row
        for row in scoped.values("stage_id")
        .annotate(n=Count("id"), amount=review.money("amount"))
        .order_by()
    }
    ordered = list(Stage.objects.all())
    columns = []
    for stage in stages:
        later = [s for s in ordered if s.order > stage.order]
        cards = list(
            scoped.filter(stage=stage)
            .select_related("customer")
            .order_by("expected_close_on", "id")[:BOARD_CARDS]
        )
        total = totals.get(stage.code, {})
        columns.append(
            {
                "stage": stage,
                "cards": cards,
                "count": total.get("n", 0),
                "amount": total.get("amount", 0),
                "current": stage.code == current,
                "next": later[0] if later else None,
            }
        )
    return TemplateResponse(
        request,
        "opportunities/board.html",
        {"columns": columns, "current": current, "stages": stages, "today": timezone.localdate()},
    )


@login_required
def opportunity_list(request):
    user = request.user
    qs = Opportunity.objects.visible_to(user)
    filters = {
        "stage": request.GET.get("stage", ""),
        "type": request.GET.get("type", ""),
        "source": request.GET.get("source", ""),
        "state": request.GET.get("state", "open"),
        "mine": request.GET.get("mine", "1" if user.is_rm else "0"),
    }
    if filters["stage"]:
        qs = qs.filter(stage_id=filters["stage"])
    if filters["type"] in Opportunity.Type.values:
        qs = qs.filter(type=filters["type"])
    if filters["source"] in Opportunity.Source.values:
        qs = qs.filter(source=filters["source"])
    if filters["state"] == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif filters["state"] == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if filters["mine"] == "1":
        qs = qs.filter(owner=user)
    page = paginate(
        qs.select_related("customer", "owner", "stage").order_by("expected_close_on", "id"),
        page_number(request.GET.get("page")) or 1,
        LIST_PAGE_SIZE,
    )
    return TemplateResponse(
        request,
        "opportunities/list.html",
        {
            "page_obj": page,
            "filters": filters,
            "stages": Stage.objects.all(),
            "types": Opportunity.Type.choices,
            "sources": Opportunity.Source.choices,
            "query": request.GET.copy(),
        },
    )


# --- one opportunity -----------------------------------------------------------------------


def _visible(request, pk):
    return get_object_or_404(
        Opportunity.objects.visible_to(request.user).select_related(
            "customer", "owner", "stage", "lost_reason"
        ),
        pk=_id(pk),
    )


@login_required
def detail(request, pk):
    opportunity = _visible(request, pk)
    targets = Opportunity.workflow.targets_for(request.user, opportunity)
    history = list(StateChange.objects.of(opportunity).select_related("actor"))
    stages = {s.code: s for s in Stage.objects.all()}
    # Days spent in each stage, from the moves.
    days_in = []
    start, code = opportunity.created_at, None
    for change in history:
        code = change.from_state
        days_in.append((stages.get(code), (change.at - start).days))
        start = change.at
    if opportunity.is_open:
        days_in.append((opportunity.stage, (timezone.now() - start).days))
    return TemplateResponse(
        request,
        "opportunities/detail.html",
        {
            "opportunity": opportunity,
            "customer": opportunity.customer,
            "lines": list(opportunity.lines.select_related("product")),
            "assistants": list(opportunity.assistants.select_related("rm")),
            "history": history,
            "days_in": days_in,
            "changes": list(opportunity.changes.select_related("actor").order_by("-at")[:50]),
            "refusals": list(opportunity.refusals.select_related("actor", "product")[:20]),
            "tasks": list(opportunity.tasks.all()),
            "stages": stages,
            "editable": opportunity.editable_by(request.user),
            "move_form": MoveForm(targets=targets) if targets else None,
            "suitable": services.assessment_valid(opportunity.customer),
        },
    )


def _customer_for_create(request):
    customer_id = request.GET.get("customer") or request.POST.get("customer")
    if not customer_id:
        raise Http404
    return get_object_or_404(
        Customer.objects.visible_to(request.user).active(), pk=_id(customer_id)
    )


@login_required
def create(request):
    """New opportunity for a customer in scope, prefilled from where it was started: a
    maturing holding (``holding=``), a visit's outcome (``visit=``) or a category
    (``category=``)."""
    customer = _customer_for_create(request)
    if not services.may_create_for(request.user, customer):
        raise PermissionDenied
    params = request.GET if request.method == "GET" else request.POST
    holding = visit = None
    today = timezone.localdate()
    initial = {
        "expected_close_on": today + timedelta(days=30),
        "next_step_on": today + timedelta(days=3),
        "type": Opportunity.Type.GROW,
        "source": Opportunity.Source.OWN,
    }
    if params.get("holding"):
        holding = get_object_or_404(
            Holding.objects.select_related("product"), pk=_id(params["holding"]), customer=customer
        )
        initial.update(
            {
                "title": f"{holding.product.name} {_('matures')}",
                "type": Opportunity.Type.RETAIN,
                "source": Opportunity.Source.MATURITY,
                "expected_close_on": holding.matures_on or initial["expected_close_on"],
                "next_step": _("Call the customer about the maturity: renew or switch"),
                "product_1": holding.product_id,
                "amount_1": holding.amount,
            }
        )
    if params.get("visit"):
        visit = get_object_or_404(
            Visit.objects.visible_to(request.user), pk=_id(params["visit"]), customer=customer
        )
        initial.update(
            {
                "title": visit.purpose[:100],
                "source": Opportunity.Source.VISIT,
                "next_step": visit.next_step
                or _("Follow up: %(purpose)s") % {"purpose": visit.purpose},
                "next_step_on": visit.next_visit_on or initial["next_step_on"],
            }
        )
    if params.get("category") in Product.Category.values:
        initial.update(
            {
                "title": dict(Product.Category.choices)[params["category"]],
                "source": Opportunity.Source.SUGGESTION,
            }
        )
    form = OpportunityForm(
        request.POST or None, customer=customer, initial=initial, instance=Opportunity()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        opportunity = services.create_opportunity(
            actor=request.user,
            customer=customer,
            title=data["title"],
            type=data["type"],
            expected_close_on=data["expected_close_on"],
            next_step=data["next_step"],
            next_step_on=data["next_step_on"],
            source=data["source"],
            competitor=data["competitor"],
            mode=data["mode"],
            owner_share=data["owner_share"],
            lines=form.lines,
            assistants=form.assistants,
            visit=visit,
            holding=holding,
            category=params.get("category", "")
            if params.get("category") in Product.Category.values
            else "",
        )
        messages.success(request, _("Opportunity created."))
        return redirect("opportunities-detail", opportunity.pk)
    return TemplateResponse(
        request,
        "opportunities/form.html",
        {"form": form, "customer": customer, "holding": holding, "visit": visit},
    )


@login_required
def edit(request, pk):
    opportunity = _visible(request, pk)
    if not opportunity.editable_by(request.user):
        raise PermissionDenied
    form = OpportunityForm(
        request.POST or None, customer=opportunity.customer, instance=opportunity
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            name: form.cleaned_data[name] for name in form.Meta.fields if name in form.fields
        }
        fresh = Opportunity.objects.get(pk=opportunity.pk)
        services.update_opportunity(
            actor=request.user,
            opportunity=fresh,
            changes=changes,
            lines=form.lines,
            assistants=form.assistants,
        )
        messages.success(request, _("Saved."))
        return redirect("opportunities-detail", opportunity.pk)
    return TemplateResponse(
        request,
        "opportunities/form.html",
        {"form": form, "customer": opportunity.customer, "opportunity": opportunity},
    )


@login_required
@require_POST
def move(request, pk):
    """Move to another stage. A refusal (the suitability gate, a missing reason) is shown on
    the opportunity's page, in the user's language; nothing changes."""
    opportunity = _visible(request, pk)
    if not opportunity.editable_by(request.user):
        raise PermissionDenied
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.move_opportunity(
                actor=request.user,
                opportunity=opportunity,
                to=form.cleaned_data["stage"].code,
                lost_reason=form.cleaned_data["lost_reason"],
                lost_note=form.cleaned_data["lost_note"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Moved to “%(stage)s”.") % {"stage": form.cleaned_data["stage"].label},
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    back = request.POST.get("next", "")
    if back.startswith("/opportunities/?stage="):
        return redirect(back)
    return redirect("opportunities-detail", opportunity.pk)


@login_required
@require_POST
def task_done(request, pk):
    task = get_object_or_404(
        Task.objects.filter(
            opportunity__in=Opportunity.objects.visible_to(request.user)
        ).select_related("opportunity"),
        pk=_id(pk),
    )
    services.finish_task(actor=request.user, task=task)
    return redirect("opportunities-detail", task.opportunity_id)


# --- suggestions ---------------------------------------------------------------------------


@login_required
def suggestions(request):
    """The RM's gap suggestions, best first: the customers they are primary RM of."""
    user = request.user
    qs = Suggestion.objects.visible_to(user).live().select_related("customer")
    if user.is_rm:
        qs = qs.filter(customer__primary_rm=user)
    page = paginate(
        qs.order_by("rank", "-peer_share", "customer_id"),
        page_number(request.GET.get("page")) or 1,
        LIST_PAGE_SIZE,
    )
    return TemplateResponse(request, "opportunities/suggestions.html", {"page_obj": page})


def _suggestion(request, pk):
    return get_object_or_404(
        Suggestion.objects.visible_to(request.user).select_related("customer"), pk=_id(pk)
    )


@login_required
@require_POST
def suggestion_create(request, pk):
    """One click: an opportunity to grow the customer in the suggested category, with the
    category's least risky product on sale as its line."""
    suggestion = _suggestion(request, pk)
    customer = suggestion.customer
    if not services.may_create_for(request.user, customer):
        raise PermissionDenied
    product = (
        Product.objects.filter(category=suggestion.category, is_active=True)
        .order_by("risk_level", "code")
        .first()
    )
    today = timezone.localdate()
    label = dict(Product.Category.choices).get(suggestion.category, suggestion.category)
    opportunity = services.create_opportunity(
        actor=request.user,
        customer=customer,
        title=str(label),
        type=Opportunity.Type.GROW,
        expected_close_on=today + timedelta(days=60),
        next_step=_("Introduce %(category)s to the customer") % {"category": label},
        next_step_on=today + timedelta(days=3),
        source=Opportunity.Source.SUGGESTION,
        category=suggestion.category,
        lines=[(product, 0, 0, False)] if product else [],
    )
    nightly.dismiss_suggestion(actor=request.user, suggestion=suggestion)
    messages.success(request, _("Opportunity created."))
    return redirect("opportunities-detail", opportunity.pk)


@login_required
@require_POST
def suggestion_dismiss(request, pk):
    suggestion = _suggestion(request, pk)
    if not services.may_create_for(request.user, suggestion.customer):
        raise PermissionDenied
    nightly.dismiss_suggestion(actor=request.user, suggestion=suggestion)
    messages.success(request, _("Suggestion dismissed for 90 days."))
    back = request.POST.get("next", "")
    if back.startswith("/customers/") or back.startswith("/opportunities/"):
        return redirect(back)
    return redirect("opportunities-suggestions")


# --- the head's review ---------------------------------------------------------------------


@login_required
def pipeline_review(request):
    _heads_only(request.user)
    figures = review.build(request.user)
    stage_labels = [s.label for s in figures.stages if not s.is_final]
    chart = {
        "stages": stage_labels,
        "amounts": [
            float(figures.by_stage.get(s.code, review.Figures()).amount)
            for s in figures.stages
            if not s.is_final
        ],
        "counts": [
            figures.by_stage.get(s.code, review.Figures()).count
            for s in figures.stages
            if not s.is_final
        ],
        "reasons": [str(r) for r, _n in figures.lost_reasons],
        "reason_counts": [n for _r, n in figures.lost_reasons],
    }
    return TemplateResponse(
        request,
        "opportunities/review.html",
        {
            "review": figures,
            "stage_rows": [
                (s, figures.by_stage.get(s.code, review.Figures()))
                for s in figures.stages
                if not s.is_final
            ],
            "rm_rows": [
                (figures.users.get(pk), f)
                for pk, f in figures.by_rm.items()
                if figures.users.get(pk)
            ],
            "category_rows": [
                (review.category_label(code), f) for code, f in sorted(figures.by_category.items())
            ],
            "month_rows": sorted(figures.by_month.items()),
            "chart": chart,
            "change_kinds": [
                (kind, label, figures.changes.get(kind, 0))
                for kind, label in review.Change.Kind.choices
            ],
        },
    )


@login_required
def review_export(request):
    """The review as an .xlsx workbook: by stage, RM, category, close month, the week's
    changes and the stale list."""
    _heads_only(request.user)
    from openpyxl import Workbook

    figures = review.build(request.user)
    book = Workbook()
    sheet = book.active
    sheet.title = _("By stage")
    header = [_("Count"), _("Amount"), _("Weighted amount")]
    sheet.append([_("Stage"), *header])
    for stage in figures.stages:
        if not stage.is_final:
            f = figures.by_stage.get(stage.code, review.Figures())
            sheet.append([stage.label, f.count, float(f.amount), float(f.weighted)])
    sheet = book.create_sheet(_("By RM"))
    sheet.append([_("Relationship manager"), *header])
    for pk, f in figures.by_rm.items():
        user = figures.users.get(pk)
        name = (user.get_full_name() or user.username) if user else str(pk)
        sheet.append([name, f.count, float(f.amount), float(f.weighted)])
    sheet = book.create_sheet(_("By category"))
    sheet.append([_("Product category"), *header])
    for code, f in sorted(figures.by_category.items()):
        sheet.append(
            [str(review.category_label(code)), f.count, float(f.amount), float(f.weighted)]
        )
    sheet = book.create_sheet(_("By close month"))
    sheet.append([_("Month"), *header])
    for month, f in sorted(figures.by_month.items()):
        sheet.append([month.strftime("%Y-%m"), f.count, float(f.amount), float(f.weighted)])
    sheet = book.create_sheet(_("Changes this week"))
    sheet.append([_("When"), _("Change"), _("Customer"), _("Opportunity"), _("From"), _("To")])
    for change in figures.change_rows:
        sheet.append(
            [
                timezone.localtime(change.at).strftime("%Y-%m-%d %H:%M"),
                str(change.get_kind_display()),
                change.opportunity.customer.name,
                change.opportunity.title,
                change.old_value,
                change.new_value,
            ]
        )
    sheet = book.create_sheet(_("Stale"))
    sheet.append([_("Customer"), _("Opportunity"), _("Stage"), _("Next step date"), _("Owner")])
    for opp in figures.stale:
        sheet.append(
            [
                opp.customer.name,
                opp.title,
                opp.stage.label,
                opp.next_step_on.isoformat() if opp.next_step_on else "",
                opp.owner.username,
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="pipeline-review.xlsx"'
    return response


# --- target lists --------------------------------------------------------------------------


@login_required
def target_lists(request):
    lists = list(TargetList.objects.visible_to(request.user).order_by("-created_at")[:100])
    return TemplateResponse(
        request,
        "opportunities/targets.html",
        {"lists": lists, "may_create": request.user.is_head or request.user.is_admin},
    )


def _target_customers(request, form):
    """The customers a head's filter picks, in the head's scope."""
    base = Customer.objects.visible_to(request.user).active()
    preset = form.cleaned_data["preset"]
    today = timezone.localdate()
    if preset == TargetListForm.NO_LOAN:
        loans = Holding.objects.filter(
            status=Holding.Status.ACTIVE, product__category="business_loan"
        ).values("customer_id")
        return base.filter(kind=Customer.Kind.CORPORATE).exclude(pk__in=loans)
    if preset == TargetListForm.MATURING:
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        maturing = Holding.objects.filter(
            status=Holding.Status.ACTIVE,
            matures_on__gte=first,
            matures_on__lte=last,
            amount__gte=1_000_000,
        ).values("customer_id")
        return base.filter(pk__in=maturing)
    data = QueryDict(form.cleaned_data["query"].lstrip("?"))
    customer_filter = CustomerFilter(data, queryset=base, request=request)
    if not customer_filter.is_valid():
        raise ValidationError(_("The customer list filter is not valid."))
    return customer_filter.qs


@login_required
def target_create(request):
    user = request.user
    _heads_only(user)
    form = TargetListForm(request.POST or None, initial={"query": request.GET.get("query", "")})
    if request.method == "POST" and form.is_valid():
        try:
            customers = _target_customers(request, form)
        except ValidationError as error:
            form.add_error("query", error.messages[0])
        else:
            with transaction.atomic():
                target = TargetList.objects.create(
                    theme=form.cleaned_data["theme"],
                    deadline=form.cleaned_data["deadline"],
                    description=form.cleaned_data["query"]
                    or dict(TargetListForm.FILTERS).get(form.cleaned_data["preset"], ""),
                    created_by=user,
                )
                _add_entries(target, customers)
            messages.success(request, _("Target list created."))
            return redirect("opportunities-target-detail", target.pk)
    return TemplateResponse(request, "opportunities/target_form.html", {"form": form})


def _add_entries(target, customers):
    """One INSERT … SELECT: each customer goes to its primary RM."""
    picked = (
        customers.filter(primary_rm__isnull=False)
        .order_by()
        .values_list("id", "primary_rm_id", "branch_id")
    )
    sql, params = picked.query.sql_with_params()
    table = TargetEntry._meta.db_table
    with connection.cursor() as cursor:
        columns = "target_list_id, customer_id, rm_id, branch_id, feedback, note"
        tail = "picked WHERE true ON CONFLICT DO NOTHING"
        statement = (
            f"INSERT INTO {table} ({columns}) SELECT %s, picked.*, '', '' FROM ({sql}) {tail}"  # noqa: S608, E501
        )
        cursor.execute(statement, [target.pk, *params])


def coverage(user, target):
    """Names, answered, contacted and converted per branch of the user's subtree, each
    branch counting the names of the branches under it. Two queries."""
    entries = TargetEntry.objects.visible_to(user).filter(target_list=target)
    rows = (
        entries.values("branch_id")
        .annotate(
            names=Count("id"),
            answered=Count("id", filter=~Q(feedback="")),
            contacted=Count(
                "id",
                filter=Q(feedback__in=["contacted", "interested", "not_interested"]),
            ),
            converted=Count("id", filter=Q(feedback="interested")),
        )
        .order_by()
    )
    counts = {r["branch_id"]: r for r in rows}
    branches = list(Branch.objects.visible_to(user).order_by("path"))
    if not user.is_admin and not user.is_head:
        branches = [b for b in branches if b.pk in counts]
    paths = {b.pk: b.path for b in Branch.objects.filter(pk__in=counts)}
    result = []
    for branch in branches:
        total = {"names": 0, "answered": 0, "contacted": 0, "converted": 0}
        for branch_id, row in counts.items():
            if paths.get(branch_id, "").startswith(branch.path):
                for key in total:
                    total[key] += row[key]
        if not total["names"]:
            continue
        names = total["names"]
        result.append(
            {
                "branch": branch,
                **total,
                "coverage": round(100 * total["answered"] / names, 1),
                "contact_rate": round(100 * total["contacted"] / names, 1),
                "conversion": round(100 * total["converted"] / names, 1),
            }
        )
    return result


@login_required
def target_detail(request, pk):
    target = get_object_or_404(TargetList.objects.visible_to(request.user), pk=_id(pk))
    entries = TargetEntry.objects.visible_to(request.user).filter(target_list=target)
    if request.user.is_rm:
        entries = entries.filter(rm=request.user)
    page = paginate(
        entries.select_related("customer", "rm").order_by("feedback", "id"),
        page_number(request.GET.get("page")) or 1,
        LIST_PAGE_SIZE,
    )
    return TemplateResponse(
        request,
        "opportunities/target_detail.html",
        {"target": target, "page_obj": page, "coverage": coverage(request.user, target)},
    )


@login_required
def target_entry(request, pk):
    """Feedback on one name: the RM it went to (or a head, an admin) records it; "interested"
    opens an opportunity at once."""
    entry = get_object_or_404(
        TargetEntry.objects.visible_to(request.user).select_related("customer", "target_list"),
        pk=_id(pk),
    )
    user = request.user
    if not (entry.rm_id == user.pk or user.is_head or user.is_admin):
        raise PermissionDenied
    form = FeedbackForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            entry = form.save(commit=False)
            entry.answered_at = timezone.now()
            if entry.feedback == TargetEntry.Feedback.INTERESTED and entry.opportunity_id is None:
                today = timezone.localdate()
                entry.opportunity = services.create_opportunity(
                    actor=user,
                    customer=entry.customer,
                    title=entry.target_list.theme,
                    expected_close_on=max(entry.target_list.deadline, today) + timedelta(days=30),
                    next_step=entry.note or _("Follow up on the target list"),
                    next_step_on=today + timedelta(days=3),
                    source=Opportunity.Source.TARGET_LIST,
                    owner=entry.rm,
                )
            entry.save()
        messages.success(request, _("Feedback saved."))
        if entry.opportunity_id and entry.feedback == TargetEntry.Feedback.INTERESTED:
            return redirect("opportunities-detail", entry.opportunity_id)
        return redirect("opportunities-target-detail", entry.target_list_id)
    return TemplateResponse(
        request, "opportunities/target_entry.html", {"entry": entry, "form": form}
    )


__all__ = [
    "SuitabilityRefusal",
    "User",
    "json",
    "parse_qs",
    "reverse",
]
