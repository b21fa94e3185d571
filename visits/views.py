import calendar as calendar_module
import re
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Branch, User
from crm.pagination import page_number, paginate
from crm.params import id_param
from customers.birthdays import next_birthday
from customers.filters import search
from customers.models import Customer, Holding
from home.registry import VISIT_BRIEF, render_panels

from . import feeds, services
from .forms import DiaryNoteForm, OutcomeForm, QuickLogForm, VisitForm
from .models import BROWSABLE_YEARS, CalendarFeed, CoverageRule, DiaryNote, Visit

LIST_PAGE_SIZE = 50
BRIEF_MATURITY_DAYS = 90
BRIEF_BIRTHDAY_DAYS = 30


# Deeper than this a list is not read page by page; the number would only overflow the SQL.
def page_param(request) -> int:
    """The page number; the shared paginator answers an empty page beyond the last one,
    however large the number."""
    return page_number(request.GET.get("page")) or 1


def day_param(request, name="day") -> date:
    """A day from the query string (today when absent); 404 when it is not a day within
    BROWSABLE_YEARS of today."""
    today = timezone.localdate()
    raw = request.GET.get(name, "")
    if raw == "":
        return today
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None
    if abs(day.year - today.year) > BROWSABLE_YEARS:
        raise Http404
    return day


def month_param(request) -> date:
    """The first day of the month asked for as ``YYYY-MM`` (this month when absent)."""
    raw = request.GET.get("month", "")
    if raw == "":
        return timezone.localdate().replace(day=1)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{1,2}", raw):
        raise Http404
    year, month = (int(x) for x in raw.split("-"))
    if not 1 <= month <= 12 or abs(year - timezone.localdate().year) > BROWSABLE_YEARS:
        raise Http404
    return date(year, month, 1)


def visits_for(user):
    return Visit.objects.visible_to(user).select_related("customer", "rm")


def _get_visit(request, pk):
    return get_object_or_404(visits_for(request.user), pk=pk)


@login_required
def visit_list(request):
    """Visits in the user's scope; an RM starts with their own, newest first."""
    visits = visits_for(request.user)
    status = request.GET.get("status")
    if status in Visit.Status.values:
        visits = visits.filter(status=status)
    mine = request.GET.get("mine", "1" if request.user.is_rm else "")
    if mine == "1":
        visits = visits.filter(rm=request.user)
    page = paginate(visits.order_by("-planned_start", "-id"), page_param(request), LIST_PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "visits/list.html",
        {
            "page_obj": page,
            "query": query.urlencode(),
            "statuses": Visit.Status.choices,
            "status": status,
            "mine": mine,
        },
    )


@login_required
def visit_edit(request, pk=None):
    """Plan a visit (optionally for ?customer=ID), or change a planned one."""
    visit = None
    if pk is not None:
        visit = _get_visit(request, pk)
        if not visit.editable_by(request.user):
            raise PermissionDenied
    initial = {}
    customer_id = id_param(request, "customer")
    if visit is None and customer_id is not None:
        customer = Customer.objects.visible_to(request.user).filter(pk=customer_id).first()
        if customer:
            initial["customer"] = customer
    form = VisitForm(request.POST or None, instance=visit, initial=initial, actor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if visit is None:
            saved.rm = request.user
        services.save_visit(
            actor=request.user,
            visit=saved,
            companions=form.cleaned_data["companions"],
            materials=form.cleaned_data["materials"],
        )
        messages.success(request, _("Visit saved."))
        return redirect("visits-detail", pk=saved.pk)
    return TemplateResponse(
        request,
        "visits/form.html",
        {"form": form, "visit": visit, "overlaps": getattr(form, "overlaps", [])},
    )


@login_required
def visit_detail(request, pk):
    visit = _get_visit(request, pk)
    return TemplateResponse(
        request,
        "visits/detail.html",
        {
            "visit": visit,
            "companions": list(visit.companions.all()),
            "materials": list(visit.materials.all()),
            "needs": list(visit.needs.all()),
            "products": list(visit.products_discussed.all()),
            "can_edit": visit.editable_by(request.user),
            "started": visit.planned_start <= timezone.now(),
        },
    )


@login_required
def visit_complete(request, pk):
    """Log the outcome of a visit; a next-visit date plans the follow-up in the same step."""
    visit = _get_visit(request, pk)
    if not visit.editable_by(request.user):
        raise PermissionDenied
    form = OutcomeForm(request.POST or None, instance=visit, actor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        with transaction.atomic():
            services.complete_visit(
                actor=request.user,
                visit=saved,
                completed_at=form.cleaned_data["completed_at"],
                needs=form.need_tags(),
                products=form.cleaned_data["products_discussed"],
                plan_follow_up=form.cleaned_data["plan_follow_up"],
            )
            form.save_extras(request.user, visit=saved, customer=saved.customer)
        messages.success(request, _("Visit logged."))
        if saved.follow_up_id:
            messages.info(
                request,
                _("The next visit is on your calendar for %(day)s.") % {"day": saved.next_visit_on},
            )
        return redirect("visits-detail", pk=saved.pk)
    return TemplateResponse(
        request,
        "visits/complete.html",
        {"form": form, "visit": visit, "started": visit.planned_start <= timezone.now()},
    )


@login_required
@require_POST
def visit_cancel(request, pk):
    visit = _get_visit(request, pk)
    if not visit.editable_by(request.user) or not visit.is_planned:
        raise PermissionDenied
    visit.status = Visit.Status.CANCELLED
    visit._history_user = request.user
    visit.save(update_fields=["status"])
    messages.success(request, _("Visit cancelled."))
    return redirect("visits-detail", pk=visit.pk)


@login_required
def quick_log(request):
    """A completed visit logged from a phone: customer, channel, outcome, next date."""
    form = QuickLogForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        data = form.cleaned_data
        visit = Visit(
            customer=data["customer"],
            rm=request.user,
            channel=data["channel"],
            planned_start=now,
            planned_end=now,
            purpose=_("Logged after the fact"),
            summary=data["summary"],
            next_step=data["next_step"],
            next_visit_on=data["next_visit_on"],
            next_step_agreed=bool(data["next_visit_on"] or data["next_step"]),
        )
        with transaction.atomic():
            services.complete_visit(actor=request.user, visit=visit)
            form.save_extras(request.user, visit=visit, customer=visit.customer)
        messages.success(request, _("Visit logged."))
        if visit.follow_up_id:
            messages.info(
                request,
                _("The next visit is on your calendar for %(day)s.") % {"day": visit.next_visit_on},
            )
        return redirect("visits-calendar")
    return TemplateResponse(request, "visits/quick_log.html", {"form": form})


@login_required
def customer_options(request):
    """Suggestions for the customer box while typing (an htmx-filled datalist)."""
    # The box sends its own value: ?customer=… (or ?q=… from elsewhere).
    text = request.GET.get("customer") or request.GET.get("q") or ""
    if not text.strip():
        return TemplateResponse(request, "visits/_customer_options.html", {"customers": []})
    customers = search(Customer.objects.visible_to(request.user).active(), text.split()[0])
    rows = list(customers.order_by("name_pinyin", "id").only("customer_no", "name")[:15])
    return TemplateResponse(request, "visits/_customer_options.html", {"customers": rows})


@login_required
def visit_brief(request, pk):
    """One printable page before the meeting: who the customer is, what happened last,
    what matures soon, a coming birthday, and the preparation."""
    visit = _get_visit(request, pk)
    customer = Customer.objects.select_related("asset_tier", "primary_rm").get(pk=visit.customer_id)
    today = timezone.localdate()
    last_visits = list(
        Visit.objects.filter(customer=customer, status=Visit.Status.COMPLETED)
        .exclude(pk=visit.pk)
        .select_related("rm")
        .order_by("-completed_at")[:3]
    )
    maturing = list(
        Holding.objects.filter(
            customer=customer,
            status=Holding.Status.ACTIVE,
            matures_on__gte=today,
            matures_on__lte=today + timedelta(days=BRIEF_MATURITY_DAYS),
        )
        .select_related("product")
        .order_by("matures_on")
    )
    birthday = None
    if customer.birth_date:
        upcoming = next_birthday(customer.birth_date, customer.lunar_birthday, today)
        if upcoming and upcoming <= today + timedelta(days=BRIEF_BIRTHDAY_DAYS):
            birthday = upcoming
    return TemplateResponse(
        request,
        "visits/brief.html",
        {
            "visit": visit,
            "customer": customer,
            "last_visits": last_visits,
            "maturing": maturing,
            "birthday": birthday,
            "materials": list(visit.materials.all()),
            # What other modules add to the brief (watch items, opportunities): home.registry.
            "panels": render_panels(VISIT_BRIEF, request.user, visit=visit, customer=customer),
        },
    )


def _month_bounds(first):
    last = date(first.year, first.month, calendar_module.monthrange(first.year, first.month)[1])
    return first, last


def _week_bounds(day):
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def _aware(day, end=False):
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment, timezone.get_current_timezone())


MONTH_DAY_ROWS = 4


@login_required
def visit_calendar(request):
    """Month (default) or week view of the user's own visits, as author or companion."""
    view = "week" if request.GET.get("view") == "week" else "month"
    if view == "week":
        first, last = _week_bounds(day_param(request))
    else:
        first, last = _month_bounds(month_param(request))
    # Plain rows, not model objects: a busy RM's month holds hundreds of visits.
    visits = (
        Visit.objects.visible_to(request.user)
        .filter(planned_start__gte=_aware(first), planned_start__lte=_aware(last, end=True))
        .filter(Visit.of_user_q(request.user))
        .order_by("planned_start", "id")
        .values("id", "planned_start", "status", "customer__name")
    )
    by_day = {}
    for visit in visits:
        by_day.setdefault(timezone.localtime(visit["planned_start"]).date(), []).append(visit)
    if view == "week":
        weeks = [[first + timedelta(days=n) for n in range(7)]]
        shown = None
    else:
        weeks = calendar_module.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        shown = MONTH_DAY_ROWS  # the rest of a full day is one tap away, in its week
    days = [
        [
            (
                day,
                by_day.get(day, [])[:shown],
                max(0, len(by_day.get(day, [])) - (shown or 0)) if shown else 0,
                day.month == first.month,
            )
            for day in week
        ]
        for week in weeks
    ]
    today = timezone.localdate()
    # On a phone the month starts at today: the days before it are one tap away.
    hide_past = view == "month" and first <= today <= last
    earlier = sum(len(v) for d, v in by_day.items() if d < today) if hide_past else 0
    feed = CalendarFeed.for_user(request.user)
    return TemplateResponse(
        request,
        "visits/calendar.html",
        {
            "view": view,
            "first": first,
            "last": last,
            "weeks": days,
            "today": today,
            "hide_past": hide_past,
            "earlier": earlier,
            "month_is_empty": not any(
                d >= today or not hide_past for d in by_day if first <= d <= last
            ),
            "previous": (first - timedelta(days=1))
            if view == "month"
            else first - timedelta(days=7),
            "next": (last + timedelta(days=1)) if view == "month" else first + timedelta(days=7),
            "feed_url": request.build_absolute_uri(feeds.feed_path(feed)),
            "weekday_names": [
                formats.date_format(weeks[0][0] + timedelta(days=n), "D") for n in range(7)
            ],
        },
    )


@login_required
@require_POST
def regenerate_feed(request):
    CalendarFeed.for_user(request.user).regenerate()
    messages.success(
        request, _("Your calendar address has changed; subscribe again with the new one.")
    )
    return redirect("visits-calendar")


def calendar_feed(request, token):
    """The iCalendar feed behind a secret address: no login, the token is the key."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    body = feeds.render_feed(feed.user)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="crm.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def diary(request):
    """The work diary (工作日志): one RM's visits planned and done, day or week, with the
    notes of each day. An RM sees their own; a head picks any RM of their team."""
    team = User.objects.visible_to(request.user).filter(role=User.Role.RM).order_by("username")
    rm = request.user
    rm_id = id_param(request, "rm")
    if rm_id is not None:
        rm = get_object_or_404(team | User.objects.filter(pk=request.user.pk), pk=rm_id)
    view = "week" if request.GET.get("view") == "week" else "day"
    if view == "week":
        first, last = _week_bounds(day_param(request))
    else:
        first = last = day_param(request)
    can_write = rm.pk == request.user.pk
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        form = DiaryNoteForm(request.POST)
        if form.is_valid():
            DiaryNote.objects.update_or_create(
                rm=rm, day=form.cleaned_data["day"], defaults={"text": form.cleaned_data["text"]}
            )
            messages.success(request, _("Notes saved."))
            return redirect(f"{request.path}?{request.GET.urlencode()}")
    visits = (
        Visit.objects.visible_to(request.user)
        .filter(Visit.of_user_q(rm))
        .filter(planned_start__gte=_aware(first), planned_start__lte=_aware(last, end=True))
        .select_related("customer")
        .order_by("planned_start")
    )
    notes = {n.day: n.text for n in DiaryNote.objects.filter(rm=rm, day__range=(first, last))}
    days = []
    day = first
    by_day = {}
    for visit in visits:
        by_day.setdefault(timezone.localtime(visit.planned_start).date(), []).append(visit)
    while day <= last:
        done = [v for v in by_day.get(day, []) if v.status == Visit.Status.COMPLETED]
        days.append(
            {
                "day": day,
                "visits": by_day.get(day, []),
                "done": len(done),
                "note": notes.get(day, ""),
            }
        )
        day += timedelta(days=1)
    step = timedelta(days=7 if view == "week" else 1)
    return TemplateResponse(
        request,
        "visits/diary.html",
        {
            "diary_rm": rm,
            "team": list(team) if not request.user.is_rm else [],
            "view": view,
            "days": days,
            "first": first,
            "previous": first - step,
            "next": first + step,
            "can_write": can_write,
        },
    )


@login_required
def coverage(request):
    """Valuable customers nobody has visited for longer than their tier's rule allows,
    most valuable first; a head can narrow it to one RM of the team."""
    rules = list(CoverageRule.objects.select_related("asset_tier"))
    customers = Customer.objects.visible_to(request.user).active()
    team = User.objects.visible_to(request.user).filter(role=User.Role.RM).order_by("username")
    rm_id = id_param(request, "rm")
    if rm_id is not None:
        customers = customers.filter(primary_rm__in=team.filter(pk=rm_id))
    branches = Branch.objects.visible_to(request.user)
    branch_id = id_param(request, "branch")
    if branch_id is not None:
        branch = branches.filter(pk=branch_id).first()
        subtree = Branch.objects.subtree(branch) if branch else Branch.objects.none()
        customers = customers.filter(branch_id__in=list(subtree.values_list("pk", flat=True)))
    overdue = overdue_q(rules, timezone.now())
    rows = customers.filter(overdue) if rules else customers.none()
    page = paginate(
        rows.select_related("primary_rm", "asset_tier").order_by("-monthly_avg_assets", "-id"),
        page_param(request),
        LIST_PAGE_SIZE,
    )
    last_visits = dict(
        Visit.objects.filter(customer__in=[c.pk for c in page], status=Visit.Status.COMPLETED)
        .values("customer_id")
        .annotate(last=Max("completed_at"))
        .values_list("customer_id", "last")
    )
    for customer in page:
        customer.last_visit = last_visits.get(customer.pk)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "visits/coverage.html",
        {
            "page_obj": page,
            "rules": rules,
            "team": list(team) if not request.user.is_rm else [],
            "rm_id": "" if rm_id is None else str(rm_id),
            "branches": list(branches) if not request.user.is_rm else [],
            "branch_id": "" if branch_id is None else str(branch_id),
            "query": query.urlencode(),
        },
    )


def overdue_q(rules, now):
    """Customers covered by a rule whose last completed visit is older than its interval."""
    condition = Q(pk__in=[])
    for rule in rules:
        recent = Visit.objects.filter(
            customer=OuterRef("pk"),
            status=Visit.Status.COMPLETED,
            completed_at__gte=now - timedelta(days=rule.interval_days),
        )
        target = (
            Q(asset_tier_id=rule.asset_tier_id)
            if rule.asset_tier_id
            else Q(star_level=rule.star_level)
        )
        condition |= target & ~Exists(recent)
    return condition
