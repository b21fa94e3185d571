import io
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.models import Branch
from crm.pagination import paginate
from crm.params import parse_id
from customers.models import AssetTier
from visits.views import page_param
from workflow.models import StateChange

from . import services
from .care import CARE_LIST_DAYS, CARE_LIST_ROWS, birthday_care, care_customers, festivals_between
from .forms import (
    AttendanceForm,
    CareActionForm,
    CustomerEventForm,
    DispatchForm,
    ExtendForm,
    GiftForm,
    InviteForm,
    RectificationForm,
    ResolutionForm,
    TicketEventForm,
    TicketForm,
)
from .models import (
    CareAction,
    Event,
    Gift,
    GiftPolicy,
    Invitee,
    Rectification,
    ServiceLevel,
    Ticket,
    TicketAlert,
    TicketExtension,
    TicketType,
)

LIST_PAGE_SIZE = 50
ALERT_ROWS = 10


def tickets_for(user):
    """Every ticket page starts here (``Ticket.objects.visible_to``)."""
    return Ticket.objects.visible_to(user)


def get_ticket(request, pk) -> Ticket:
    """The ticket if the user may see it; 404 otherwise, exactly as if it did not exist."""
    return get_object_or_404(
        tickets_for(request.user).select_related(
            "customer", "handler", "received_by", "handling_unit", "subject_rm", "subject_unit"
        ),
        pk=pk,
    )


def _editable(request, ticket):
    if not ticket.editable_by(request.user):
        raise PermissionDenied


def _form_errors(request, error: ValidationError):
    for messages_ in (
        error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]
    ):
        for message in messages_:
            messages.error(request, message)


@login_required
def ticket_list(request):
    """My tickets (I handle them) or my team's (handled in my unit, or under my branch for a
    head), open ones by time left; ``all`` adds answered and closed ones."""
    user = request.user
    view = request.GET.get("view") or ("team" if user.is_head or user.is_admin else "mine")
    if view not in ("mine", "team"):
        raise Http404
    tickets = tickets_for(user)
    if view == "mine":
        tickets = tickets.filter(handler=user)
    elif not user.is_admin:
        if user.is_head:
            units = list(Branch.objects.visible_to(user).values_list("id", flat=True))
            tickets = tickets.filter(handling_unit_id__in=units)
        else:
            tickets = tickets.filter(handling_unit_id=user.branch_id)
    state = request.GET.get("state", "open")
    if state == "open":
        tickets = tickets.open()
    elif state in Ticket.State.values:
        tickets = tickets.filter(state=state)
    elif state != "all":
        raise Http404
    ticket_type = request.GET.get("type", "")
    if ticket_type:
        if ticket_type not in TicketType.values:
            raise Http404
        tickets = tickets.filter(ticket_type=ticket_type)
    page = paginate(
        tickets.select_related("customer", "handler").order_by("due_at", "id"),
        page_param(request),
        LIST_PAGE_SIZE,
    )
    # The user's latest alerts about tickets still running and still in their scope.
    recent = list(
        TicketAlert.objects.filter(
            recipient=user, created_at__gte=timezone.now() - timedelta(days=7)
        )
        .order_by("-created_at", "-id")
        .values_list("pk", "ticket_id")[:ALERT_ROWS]
    )
    shown = set(
        tickets_for(user)
        .filter(pk__in={ticket_id for _pk, ticket_id in recent}, state__in=Ticket.RUNNING_STATES)
        .values_list("pk", flat=True)
    )
    alerts = list(
        TicketAlert.objects.filter(
            pk__in=[pk for pk, ticket_id in recent if ticket_id in shown]
        ).order_by("-created_at", "-id")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "service/list.html",
        {
            "page_obj": page,
            "query": query.urlencode(),
            "view": view,
            "state": state,
            "ticket_type": ticket_type,
            "types": TicketType.choices,
            "states": Ticket.State.choices,
            "alerts": alerts,
            "now": timezone.now(),
        },
    )


@login_required
def ticket_create(request):
    """Take a ticket (for ?customer=ID from the 360 page): one short form, then its page."""
    initial = {}
    raw = request.GET.get("customer", "")
    if raw:
        parse_id(raw)  # 404 for what is not an id
        from customers.models import Customer

        customer = Customer.objects.visible_to(request.user).active().filter(pk=raw).first()
        if customer:
            initial["customer"] = customer
    form = TicketForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        ticket = form.save(commit=False)
        ticket.handler = form.cleaned_data.get("handler") or request.user
        try:
            ticket = services.create_ticket(actor=request.user, ticket=ticket)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Ticket #%(id)s taken.") % {"id": ticket.pk})
            return redirect("service-detail", ticket.pk)
    return TemplateResponse(request, "service/form.html", {"form": form})


@login_required
def ticket_detail(request, pk):
    ticket = get_ticket(request, pk)
    user = request.user
    editable = ticket.editable_by(user)
    extensions = list(ticket.extension_rows.select_related("requested_by", "approved_by"))
    pending = next((e for e in extensions if e.approved_at is None and e.number == 2), None)
    return TemplateResponse(
        request,
        "service/detail.html",
        {
            "ticket": ticket,
            "editable": editable,
            "targets": [
                (target, Ticket.workflow.label(target))
                for target in Ticket.workflow.targets_for(user, ticket)
            ]
            if editable
            else [],
            "extensions": extensions,
            "pending_extension": pending,
            "may_approve": pending is not None
            and services.may_approve(user, ticket)
            and user.pk != pending.requested_by_id,
            "events": list(ticket.events.select_related("by")),
            "rectifications": list(ticket.rectifications.select_related("owner")),
            "history": [
                (change, Ticket.workflow.label(change.to_state))
                for change in StateChange.objects.of(ticket).select_related("actor")
            ],
            "dispatch_form": DispatchForm(actor=user, ticket=ticket),
            "resolution_form": ResolutionForm(instance=ticket),
            "extend_form": ExtendForm(),
            "event_form": TicketEventForm(),
            "rectification_form": RectificationForm(actor=user),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def ticket_move(request, pk):
    ticket = get_ticket(request, pk)
    _editable(request, ticket)
    try:
        services.move_ticket(
            actor=request.user,
            ticket=ticket,
            to=request.POST.get("to", ""),
            note=request.POST.get("note", "")[:500],
        )
    except ValidationError as error:
        _form_errors(request, error)
    else:
        messages.success(
            request, _("Moved to “%(state)s”.") % {"state": ticket.get_state_display()}
        )
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def ticket_dispatch(request, pk):
    ticket = get_ticket(request, pk)
    _editable(request, ticket)
    form = DispatchForm(request.POST, actor=request.user, ticket=ticket)
    if form.is_valid():
        try:
            services.dispatch(
                actor=request.user, ticket=ticket, handler=form.cleaned_data["handler"]
            )
        except ValidationError as error:
            _form_errors(request, error)
        else:
            messages.success(request, _("Dispatched."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def ticket_resolution(request, pk):
    ticket = get_ticket(request, pk)
    _editable(request, ticket)
    form = ResolutionForm(request.POST, instance=ticket)
    if form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def ticket_extend(request, pk):
    ticket = get_ticket(request, pk)
    _editable(request, ticket)
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            extension = services.extend(
                actor=request.user,
                ticket=ticket,
                reason=form.cleaned_data["reason"],
                days=form.cleaned_data.get("days"),
                customer_notice=form.cleaned_data.get("customer_notice", ""),
            )
        except ValidationError as error:
            _form_errors(request, error)
        else:
            if extension.applied_at:
                messages.success(request, _("The time limit was extended."))
            else:
                messages.info(request, _("The second extension waits for a head's approval."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def extension_approve(request, pk):
    extension = get_object_or_404(
        TicketExtension.objects.filter(ticket__in=tickets_for(request.user)), pk=pk
    )
    try:
        services.approve_extension(actor=request.user, extension=extension)
    except ValidationError as error:
        _form_errors(request, error)
    else:
        messages.success(request, _("The second extension is approved."))
    return redirect("service-detail", extension.ticket_id)


@login_required
@require_POST
def ticket_event(request, pk):
    ticket = get_ticket(request, pk)
    form = TicketEventForm(request.POST)
    if form.is_valid():
        services.log_event(actor=request.user, ticket=ticket, **form.cleaned_data)
        messages.success(request, _("Logged."))
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def rectification_add(request, pk):
    ticket = get_ticket(request, pk)
    _editable(request, ticket)
    form = RectificationForm(request.POST, actor=request.user)
    if form.is_valid():
        services.add_rectification(actor=request.user, ticket=ticket, **form.cleaned_data)
        messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("service-detail", ticket.pk)


@login_required
@require_POST
def rectification_done(request, pk):
    rectification = get_object_or_404(
        Rectification.objects.filter(ticket__in=tickets_for(request.user)), pk=pk
    )
    user = request.user
    if not (rectification.owner_id == user.pk or user.is_head or user.is_admin):
        raise PermissionDenied
    services.finish_rectification(actor=user, rectification=rectification)
    return redirect("service-detail", rectification.ticket_id)


# --- statistics -----------------------------------------------------------------------------


def month_param(request) -> date:
    raw = request.GET.get("month", "")
    today = timezone.localdate()
    if not raw:
        return today.replace(day=1)
    try:
        year, month = (int(part) for part in raw.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise Http404 from None
    if abs(start.year - today.year) > 10:
        raise Http404
    return start


def monthly_statistics(user, start: date) -> dict:
    """Complaints received in the month, in the user's scope, counted by type, cause class,
    channel, business category, service level and time-limit breaches: one grouped query."""
    end = (start + timedelta(days=32)).replace(day=1)
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end, time.min))
    received = Q(received_at__gte=since, received_at__lt=until)
    now = timezone.now()
    # The tickets about visible customers as a semi-join on the scope, and the walk-ins
    # through the list's rule: together exactly ``tickets_for(user)``, counted cheaply.
    rows = []
    for tickets in (
        Ticket.objects.about_visible_customers(user).filter(received),
        tickets_for(user).filter(received, customer__isnull=True),
    ):
        rows += (
            tickets.values("ticket_type", "cause_class", "channel", "category", "service_level")
            .annotate(
                n=Count("id"),
                late=Count(
                    "id",
                    filter=Q(answered_at__gt=F("due_at"))
                    | Q(answered_at__isnull=True, due_at__lt=now),
                ),
            )
            .order_by()
        )
    labels = {
        "ticket_type": dict(TicketType.choices),
        "cause_class": {"": _("Not classified"), **dict(Ticket.CauseClass.choices)},
        "channel": dict(Ticket.Channel.choices),
        "category": dict(Ticket.Category.choices),
        "service_level": dict(ServiceLevel.choices),
    }
    headings = {
        "ticket_type": _("Type"),
        "cause_class": _("Cause class"),
        "channel": pgettext("ticket", "Channel"),
        "category": _("Business category"),
        "service_level": _("Service level"),
    }
    tables = []
    for dimension, names in labels.items():
        counts, late = {}, {}
        for row in rows:
            if dimension == "cause_class" and row["ticket_type"] != TicketType.COMPLAINT:
                continue
            key = row[dimension]
            counts[key] = counts.get(key, 0) + row["n"]
            late[key] = late.get(key, 0) + row["late"]
        tables.append(
            {
                "key": dimension,
                "heading": headings[dimension],
                "rows": [
                    {"label": str(names.get(k, k)), "count": counts[k], "late": late[k]}
                    for k in sorted(counts, key=lambda k: -counts[k])
                ],
            }
        )
    total = sum(row["n"] for row in rows)
    breaches = sum(row["late"] for row in rows)
    return {"tables": tables, "total": total, "breaches": breaches, "end": end}


@login_required
def statistics(request):
    start = month_param(request)
    stats = monthly_statistics(request.user, start)
    if request.GET.get("format") == "xlsx":
        return _xlsx(request, start, stats)
    chart = {
        t["key"]: {
            "labels": [r["label"] for r in t["rows"]],
            "counts": [r["count"] for r in t["rows"]],
        }
        for t in stats["tables"]
    }
    previous = (start - timedelta(days=1)).replace(day=1)
    return TemplateResponse(
        request,
        "service/stats.html",
        {
            **stats,
            "month": start,
            "previous": previous.strftime("%Y-%m"),
            "next": stats["end"].strftime("%Y-%m"),
            "chart": chart,
        },
    )


def _xlsx(request, start, stats) -> HttpResponse:
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet(start.strftime("%Y-%m"))
    bold = workbook.add_format({"bold": True})
    row = 0
    sheet.write(
        row, 0, _("Tickets received in %(month)s") % {"month": start.strftime("%Y-%m")}, bold
    )
    row += 1
    sheet.write(row, 0, _("Total"))
    sheet.write_number(row, 1, stats["total"])
    row += 1
    sheet.write(row, 0, _("Past the time limit"))
    sheet.write_number(row, 1, stats["breaches"])
    row += 2
    for table in stats["tables"]:
        sheet.write(row, 0, str(table["heading"]), bold)
        sheet.write(row, 1, _("Tickets"), bold)
        sheet.write(row, 2, _("Past the time limit"), bold)
        row += 1
        for line in table["rows"]:
            sheet.write_string(row, 0, line["label"])
            sheet.write_number(row, 1, line["count"])
            sheet.write_number(row, 2, line["late"])
            row += 1
        row += 1
    sheet.set_column(0, 0, 28)
    workbook.close()
    response = HttpResponse(
        output.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="complaints-{start.strftime("%Y-%m")}.xlsx"'
    )
    return response


# --- care -----------------------------------------------------------------------------------


@login_required
def care_list(request):
    """The user's care list: festivals and birthdays in the next days, the most valuable
    customers first, optionally from a tier up."""
    today = timezone.localdate()
    start = today
    raw = request.GET.get("day", "")
    if raw:
        try:
            start = date.fromisoformat(raw)
        except ValueError:
            raise Http404 from None
        if abs((start - today).days) > 800:
            raise Http404
    end = start + timedelta(days=CARE_LIST_DAYS)
    tier = None
    tier_code = request.GET.get("tier", "")
    if tier_code:
        tier = AssetTier.objects.filter(code=tier_code).first()
        if tier is None:
            raise Http404
    festivals = [
        {
            "festival": f,
            "customers": list(care_customers(request.user, festival=f, tier=tier)[:CARE_LIST_ROWS]),
        }
        for f in festivals_between(start, end)
    ]
    birthdays, contacts = birthday_care(request.user, start, end, tier=tier)
    return TemplateResponse(
        request,
        "service/care.html",
        {
            "start": start,
            "end": end,
            "festivals": festivals,
            "birthdays": list(birthdays[:CARE_LIST_ROWS]),
            "contacts": list(contacts[:CARE_LIST_ROWS]),
            "tiers": list(AssetTier.objects.all()),
            "tier": tier_code,
            "actions": list(
                CareAction.objects.visible_to(request.user)
                .filter(by=request.user)
                .select_related("customer")[:20]
            ),
        },
    )


@login_required
def care_action_create(request):
    form = CareActionForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        action = form.save(commit=False)
        action.by = request.user
        action.save()
        messages.success(request, _("Saved."))
        return redirect("service-care")
    return TemplateResponse(request, "service/care_form.html", {"form": form})


@login_required
def gift_ledger(request):
    """The gift ledger in the user's scope, and each customer's total of the year (what an
    auditor reads)."""
    today = timezone.localdate()
    raw = request.GET.get("year", "")
    year = today.year
    if raw:
        if not raw.isdigit() or abs(int(raw) - today.year) > 10:
            raise Http404
        year = int(raw)
    gifts = Gift.objects.visible_to(request.user).select_related(
        "customer", "recorded_by", "approved_by"
    )
    page = paginate(gifts.order_by("-recorded_at", "-id"), page_param(request), LIST_PAGE_SIZE)
    return TemplateResponse(
        request,
        "service/gifts.html",
        {
            "page_obj": page,
            "query": "",
            "year": year,
            "totals": list(Gift.objects.visible_to(request.user).yearly_totals(year)[:100]),
            "limit": GiftPolicy.current().approval_above,
            "may_approve": request.user.is_head or request.user.is_admin,
        },
    )


@login_required
def gift_create(request):
    form = GiftForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        gift = form.save(commit=False)
        try:
            services.record_gift(actor=request.user, gift=gift, given=form.cleaned_data["given"])
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("service-gifts")
    return TemplateResponse(
        request,
        "service/gift_form.html",
        {"form": form, "limit": GiftPolicy.current().approval_above},
    )


def _get_gift(request, pk) -> Gift:
    return get_object_or_404(Gift.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def gift_approve(request, pk):
    gift = _get_gift(request, pk)
    services.approve_gift(actor=request.user, gift=gift)
    messages.success(request, _("The gift is approved."))
    return redirect("service-gifts")


@login_required
@require_POST
def gift_give(request, pk):
    gift = _get_gift(request, pk)
    try:
        services.give_gift(actor=request.user, gift=gift)
    except ValidationError as error:
        _form_errors(request, error)
    else:
        messages.success(request, _("Recorded as given."))
    return redirect("service-gifts")


# --- events ---------------------------------------------------------------------------------


@login_required
def event_list(request):
    """Salons and forums the user may see (``Event.objects.visible_to``), newest first; a new
    one is organised by the user for their branch."""
    form = CustomerEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = form.save(commit=False)
        event.organiser = request.user
        event.branch_id = request.user.branch_id
        if event.branch_id is None:
            raise PermissionDenied
        event.save()
        return redirect("service-event-detail", event.pk)
    page = paginate(
        Event.objects.visible_to(request.user).order_by("-starts_at", "-id"),
        page_param(request),
        LIST_PAGE_SIZE,
    )
    return TemplateResponse(
        request, "service/events.html", {"page_obj": page, "query": "", "form": form}
    )


def _get_event(request, pk) -> Event:
    return get_object_or_404(Event.objects.visible_to(request.user), pk=pk)


@login_required
def event_detail(request, pk):
    """An event and its invitees in the user's customer scope; invite a customer."""
    event = _get_event(request, pk)
    form = InviteForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        Invitee.objects.get_or_create(event=event, customer=form.cleaned_data["customer"])
        return redirect("service-event-detail", event.pk)
    invitees = list(
        Invitee.objects.visible_to(request.user)
        .filter(event=event)
        .select_related("customer")
        .order_by("customer__name_pinyin", "id")
    )
    return TemplateResponse(
        request,
        "service/event_detail.html",
        {
            "event": event,
            "form": form,
            "invitees": [(i, AttendanceForm(instance=i, prefix=f"i{i.pk}")) for i in invitees],
        },
    )


@login_required
@require_POST
def invitee_update(request, pk):
    """Record attendance and the follow-up of one invitee (in the user's customer scope)."""
    invitee = get_object_or_404(
        Invitee.objects.visible_to(request.user).filter(
            event__in=Event.objects.visible_to(request.user)
        ),
        pk=pk,
    )
    form = AttendanceForm(request.POST, instance=invitee, prefix=f"i{invitee.pk}")
    if form.is_valid():
        invitee = form.save(commit=False)
        if invitee.follow_up and invitee.followed_up_at is None:
            invitee.followed_up_at = timezone.now()
        invitee.save()
        messages.success(request, _("Saved."))
    return redirect("service-event-detail", invitee.event_id)
