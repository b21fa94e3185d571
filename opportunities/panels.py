"""What opportunities add to the composed pages: the RM's next steps and maturities worth a
call on the home page, the customer's opportunities, suitability and suggestions on the 360
page, and a "new opportunity from this visit" button on the visit brief."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Branch
from customers.models import Customer, Holding
from home.registry import CUSTOMER_360, HEAD_HOME, RM_HOME, VISIT_BRIEF, register_panel

from . import nightly, review, services
from .models import Change, Opportunity, PipelineFigure, Suggestion

PANEL_ROWS = 5


def _uncovered_maturities(holdings):
    """Holdings with no retention opportunity yet for their maturity date."""
    covered = Opportunity.objects.filter(
        holding_id=OuterRef("pk"), holding_matures_on=OuterRef("matures_on")
    )
    return holdings.filter(~Exists(covered))


@register_panel(
    key="opportunities-rm",
    slot=RM_HOME,
    template="opportunities/panels/rm_home.html",
    roles={"rm"},
    order=22,
)
def rm_pipeline(user):
    """The RM's next steps due (overdue first) and maturities worth a retention call that
    have no opportunity yet: two queries, a few rows each."""
    today = timezone.localdate()
    due = list(
        Opportunity.objects.visible_to(user)
        .open()
        .filter(owner=user, next_step_on__lte=today + timedelta(days=1))
        .select_related("customer")
        .order_by("next_step_on", "id")[:PANEL_ROWS]
    )
    maturing = list(
        _uncovered_maturities(
            Holding.objects.filter(
                # From the RM's own book (their scope), not from the bank's maturities: at a
                # million customers the join the other way read every maturing holding.
                customer__in=Customer.objects.visible_to(user).active().filter(primary_rm=user),
                status=Holding.Status.ACTIVE,
                matures_on__gte=today,
                matures_on__lte=today + timedelta(days=nightly.maturity_window_days()),
                amount__gte=nightly.maturity_min_amount(),
                product__category__in=nightly.RETENTION_CATEGORIES,
            )
        )
        .select_related("customer", "product")
        .order_by("matures_on", "id")[:PANEL_ROWS]
    )
    return {"due_opportunities": due, "uncovered_maturities": maturing, "today": today}


@register_panel(
    key="opportunities-head",
    slot=HEAD_HOME,
    template="opportunities/panels/head_home.html",
    roles={"head"},
    order=25,
)
def head_week(user):
    """The seven days' new, won and lost opportunities in the head's subtree, from last
    night's figures (``PipelineFigure`` week rows, as the pipeline review reads them): one
    small grouped read, whatever the number of opportunities. Counting them live read every
    change of the week against the whole subtree (over a second at a million customers)."""
    latest = PipelineFigure.objects.order_by("-day").values("day")[:1]
    figures = PipelineFigure.objects.filter(
        kind=PipelineFigure.Kind.WEEK,
        day=Subquery(latest),
        branch__in=Branch.objects.visible_to(user),
    )
    counts = dict(
        figures.values("stage_id").annotate(n=Sum("n")).order_by().values_list("stage_id", "n")
    )
    return {
        "week_new": counts.get(Change.Kind.CREATED, 0),
        "week_won": counts.get(Change.Kind.WON, 0),
        "week_lost": counts.get(Change.Kind.LOST, 0),
    }


@register_panel(
    key="opportunities-customer",
    slot=CUSTOMER_360,
    template="opportunities/panels/customer.html",
    order=55,
)
def customer_opportunities(user, *, customer):
    """The customer's open opportunities, its risk assessment and its live gap suggestions,
    with buttons to create an opportunity: three queries (four for an assisting RM)."""
    opportunities = list(
        Opportunity.objects.filter(customer=customer)
        .open()
        .select_related("stage", "owner")
        .order_by("expected_close_on", "id")[:10]
    )
    suggestions = list(Suggestion.objects.filter(customer=customer).live().order_by("rank")[:3])
    return {
        "opportunities": opportunities,
        "suggestions": suggestions,
        "assessment_valid": services.assessment_valid(customer),
        "may_create": services.may_create_for(user, customer),
    }


@register_panel(
    key="opportunities-visit",
    slot=VISIT_BRIEF,
    template="opportunities/panels/visit.html",
    order=55,
)
def visit_opportunities(user, *, visit, customer):
    """The customer's open opportunities to talk about, and a button to record a need found
    on this visit as an opportunity (prefilled from the visit's outcome)."""
    return {
        "opportunities": list(
            Opportunity.objects.filter(customer=customer)
            .open()
            .select_related("stage")
            .order_by("expected_close_on", "id")[:5]
        ),
        "may_create": services.may_create_for(user, customer),
    }


__all__ = ["review"]
