"""The Monday meeting pack (经营例会): what changed in a head's branches last week.

Figures come from the daily facts (last full week against the week before); the short lists
(tier moves, maturities) are read through ``visible_to(head)`` with a limit.
"""

from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Count, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from customers.models import Customer, Holding, TierChange

from .figures import Period, with_comparisons
from .models import PackDelivery, Scheme
from .scope import Scope
from .views import shown

PACK_MEASURES = [
    "customers",
    "customers_new",
    "tier_up",
    "tier_down",
    "avg_assets",
    "avg_deposits",
    "new_avg_deposits",
    "visits_done",
    "coverage",
    "pipeline_new",
    "pipeline_won",
    "pipeline_lost",
    "watch_new",
    "watch_escalated",
    "watch_closed",
    "complaints_received",
    "complaints_overdue",
]
LIST_LENGTH = 10


def last_week(day: date) -> Period:
    return Period.of("week", day - timedelta(days=7))


def ranking_moves(user, scheme, day) -> list[dict]:
    """RMs whose rank in their peer group moved between the end of the week before and the
    end of last week (visible RMs only)."""
    from .scorecards import visible_cards
    from .scoring import assess

    week = last_week(day)
    now = {c.rm_id: c for c in visible_cards(user, assess(scheme, week.end))}
    before = {
        c.rm_id: c for c in visible_cards(user, assess(scheme, week.start - timedelta(days=1)))
    }
    moves = []
    for rm_id, card in now.items():
        old = before.get(rm_id)
        if old and old.rank != card.rank:
            moves.append(
                {
                    "name": card.name,
                    "from": old.rank,
                    "to": card.rank,
                    "peers": card.peers,
                    "up": card.rank < old.rank,
                }
            )
    return sorted(moves, key=lambda m: m["to"] - m["from"])


def build_pack(user, branch, day: date) -> dict:
    week = last_week(day)
    scope = Scope(branch=branch)
    figures = [
        row
        for row in with_comparisons(scope.rows, week, external=scope.external)
        if row["measure"] in PACK_MEASURES and shown(row["measure"])
    ]
    customers = Customer.objects.visible_to(user)
    moves = list(
        TierChange.objects.filter(
            customer__in=customers, effective_on__gte=week.start, effective_on__lte=week.end
        )
        .select_related("customer")
        .order_by("-effective_on", "-id")[:LIST_LENGTH]
    )
    horizon = day + timedelta(days=30)
    maturing = Holding.objects.filter(
        customer__in=customers,
        status=Holding.Status.ACTIVE,
        matures_on__gte=day,
        matures_on__lte=horizon,
    )
    totals = maturing.aggregate(n=Count("id"), amount=Sum("amount"))
    biggest = list(maturing.select_related("customer", "product").order_by("-amount")[:LIST_LENGTH])
    scheme = Scheme.objects.filter(is_active=True).first()
    pipeline, retained = None, None
    if apps.is_installed("opportunities"):
        pipeline, retained = pipeline_section(user, week, maturing)
    complaints = complaints_section(user, day) if apps.is_installed("service") else None
    return {
        "complaints": complaints,
        "pipeline": pipeline,
        "retained": retained,
        "branch": branch,
        "week": week,
        "figures": figures,
        "tier_moves": moves,
        "maturities": {
            "count": totals["n"] or 0,
            "amount": totals["amount"] or 0,
            "biggest": biggest,
            "until": horizon,
        },
        "ranking": ranking_moves(user, scheme, day) if scheme else [],
        "day": day,
    }


def pipeline_section(user, week, maturing):
    """Last week's pipeline moves (new, advanced, slipped, won, lost with reasons) of the
    head's opportunities, and how many maturing holdings already have an open retention
    opportunity."""
    from django.db.models import Exists, OuterRef

    from opportunities.models import Change, Opportunity

    opportunities = Opportunity.objects.visible_to(user)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(week.start, time.min), tz)
    changes = Change.objects.filter(
        opportunity__in=opportunities, at__gte=start, at__lt=start + timedelta(days=7)
    )
    counts = dict(changes.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    kinds = [
        (Change.Kind.CREATED, _("New")),
        (Change.Kind.ADVANCED, _("Advanced")),
        (Change.Kind.CLOSE_PUSHED, _("Slipped")),
        (Change.Kind.WON, _("Won")),
        (Change.Kind.LOST, _("Lost")),
    ]
    lost = list(
        changes.filter(kind=Change.Kind.LOST)
        .select_related("opportunity__customer", "opportunity__lost_reason")
        .order_by("-at")[:LIST_LENGTH]
    )
    retained = maturing.filter(
        Exists(Opportunity.objects.filter(holding=OuterRef("pk"), closed_at__isnull=True))
    ).count()
    return {
        "counts": [(label, counts.get(kind, 0)) for kind, label in kinds],
        "lost": lost,
    }, retained


def complaints_section(user, day):
    """Complaints of the head's customers still unanswered with their time limit in the
    coming week (or past): how many, and the nearest few."""
    from service.models import Ticket, TicketType

    tz = timezone.get_current_timezone()
    limit = timezone.make_aware(datetime.combine(day + timedelta(days=7), time.min), tz)
    near = Ticket.objects.filter(
        ticket_type=TicketType.COMPLAINT,
        customer__in=Customer.objects.visible_to(user),
        answered_at__isnull=True,
        closed_at__isnull=True,
        due_at__lt=limit,
    )
    return {
        "count": near.count(),
        "nearest": list(near.select_related("customer").order_by("due_at")[:LIST_LENGTH]),
    }


def pack_text(pack) -> str:
    """The pack as a short message (WeCom, the email's text): figures only, no customer."""
    from .templatetags.reports import figure

    lines = [
        _("Meeting pack %(branch)s, week %(week)s")
        % {"branch": pack["branch"].name, "week": pack["week"].label()}
    ]
    for row in pack["figures"]:
        change = row["mom"]
        sign = "+" if change is not None and change > 0 else ""
        lines.append(
            f"{row['label']}: {figure(row['value'], row['unit'])}"
            + (f" ({sign}{figure(change, row['unit'])})" if change is not None else "")
        )
    lines.append(
        _("Maturing in the next 30 days: %(count)s holdings, %(amount)s CNY")
        % {
            "count": pack["maturities"]["count"],
            "amount": figure(pack["maturities"]["amount"], "CNY"),
        }
    )
    return "\n".join(lines)


def send_packs(day: date | None = None) -> int:
    """Every active head gets the pack by email (and WeCom if they chose it); once a week
    each, whoever claims the delivery sends it. Returns how many were sent."""
    from notifications.channels import CHANNELS

    day = day or timezone.localdate()
    week = last_week(day).start
    heads = list(User.objects.filter(role=User.Role.HEAD, is_active=True, branch__isnull=False))
    rows = []
    for head in heads:
        if head.email:
            rows.append(PackDelivery(user=head, channel="email", week=week))
        if head.remind_by_wecom and head.wecom_userid and "wecom" in CHANNELS:
            rows.append(PackDelivery(user=head, channel="wecom", week=week))
    PackDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    sent = 0
    for delivery in PackDelivery.objects.filter(week=week, sent_at__isnull=True).select_related(
        "user__branch"
    ):
        if not PackDelivery.objects.filter(pk=delivery.pk, claimed_at__isnull=True).update(
            claimed_at=timezone.now()
        ):
            continue
        head = delivery.user
        try:
            with translation.override(head.language):
                pack = build_pack(head, head.branch, day)
                text = pack_text(pack)
                if delivery.channel == "email":
                    html = render_to_string("reports/monday_email.html", {"pack": pack})
                    send_mail(
                        text.splitlines()[0],
                        text,
                        settings.DEFAULT_FROM_EMAIL,
                        [head.email],
                        html_message=html,
                    )
                else:
                    CHANNELS[delivery.channel].send(delivery, text)
        except Exception as error:  # release the claim: the next run tries again
            PackDelivery.objects.filter(pk=delivery.pk).update(
                claimed_at=None, last_error=str(error)
            )
            continue
        PackDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now(), last_error="")
        sent += 1
    return sent
