import io
from datetime import date, datetime, time, timedelta

import xlsxwriter
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import Branch, User
from crm.params import id_param
from customers.imports import ImportRejected, RowError
from customers.models import AssetTier, Customer, StarLevel

from . import measures as M
from . import scorecards, services
from .caching import remember
from .figures import FIRST_YEAR, GRAINS, LAST_YEAR, figures, parse_period, trend, with_comparisons
from .models import (
    BranchDay,
    Breakdown,
    FrozenScore,
    Grade,
    GradeRecord,
    PeriodClose,
    RmDay,
    Scheme,
    StaffingRule,
)
from .scope import scope_for
from .scoring import scheme_period

# The columns of the per-unit and per-RM tables.
TABLE_MEASURES = [
    "customers",
    "avg_assets",
    "avg_deposits",
    "avg_loans",
    "new_avg_deposits",
    "visits_done",
    "coverage",
    "pipeline_won",
    "watch_open",
    "complaints_received",
]
GRAIN_LABELS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}


def shown(code: str) -> bool:
    module = M.BY_CODE[code].module
    return not module or apps.is_installed(module)


def table_columns():
    return [M.BY_CODE[c] for c in TABLE_MEASURES if shown(c)]


def breadcrumbs(user, branch):
    """The branch's ancestors the user may open, from the top down."""
    from .snapshots import ancestors

    ids = ancestors(branch.path)
    visible = set(Branch.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    names = dict(Branch.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [(pk, names[pk]) for pk in ids if pk in visible]


def dashboard_context(request):
    """The scope (checked for the user), the period, and its figures. The figures of a scope
    and period change only when a snapshot is written: they are kept in the cache under
    the latest snapshot's time, so a page view after the first reads no facts."""
    user = request.user
    scope = scope_for(user, branch_id=id_param(request, "branch"), rm_id=id_param(request, "rm"))
    period = parse_period(request.GET.get("grain"), request.GET.get("on"), timezone.localdate())
    name = f"dash:{scope.params()}:{period.grain}:{period.start}:{translation.get_language()}"
    cached = remember(name, lambda: compute_dashboard(scope, period))
    summary, columns, units, rms, chart_data = cached
    return scope, period, summary, columns, units, rms, chart_data


def compute_dashboard(scope, period):
    summary = [
        row
        for row in with_comparisons(scope.rows, period, external=scope.external)
        if shown(row["measure"])
    ]
    units, rms = [], []
    columns = table_columns()
    if scope.branch is not None:
        children = list(Branch.objects.filter(parent=scope.branch).order_by("path"))
        by_branch = figures(
            BranchDay.objects.filter(branch__in=children), period, group=("branch",)
        )
        units = [
            {
                "id": b.pk,
                "name": b.name,
                "values": [(by_branch.get(b.pk, {}).get(c.code), c.unit) for c in columns],
            }
            for b in children
        ]
        team = list(
            User.objects.filter(branch=scope.branch, role=User.Role.RM).order_by("username")
        )
        by_rm = figures(RmDay.objects.filter(rm__in=team), period, group=("rm",))
        rms = [
            {
                "id": u.pk,
                "name": str(u),
                "values": [(by_rm.get(u.pk, {}).get(c.code), c.unit) for c in columns],
            }
            for u in team
        ]
    return summary, columns, units, rms, charts(scope, period, summary)


def charts(scope, period, summary):
    values = {row["measure"]: row["value"] for row in summary}
    # The mix as last taken on or before the period's end (it is taken on month ends and on
    # the last days of each run, not every day).
    day = Breakdown.objects.filter(day__lte=period.end).aggregate(m=Max("day"))["m"]
    mix = Breakdown.objects.filter(day=day, dimension__in=["tier", "star", "stage"])
    if scope.rm is not None:
        mix = mix.filter(rm=scope.rm)
    else:
        mix = mix.filter(branch_id__in=Branch.objects.subtree(scope.branch).values("pk"))
    counts = {}
    for dimension, key, value in (
        mix.values("dimension", "key").annotate(v=Sum("value")).values_list("dimension", "key", "v")
    ):
        counts.setdefault(dimension, {})[key] = float(value)
    tier_names = {str(pk): name for pk, name in AssetTier.objects.values_list("pk", "name")}
    tier_names[""] = _("No tier")
    star_names = {str(v): str(label) for v, label in StarLevel.choices}
    stage_names = {}
    if counts.get("stage") and apps.is_installed("opportunities"):
        from opportunities.models import Stage

        stage_names = dict(Stage.objects.values_list("code", "name"))
    assets = trend(scope.rows, period, "avg_assets")
    deposits = trend(scope.rows, period, "avg_deposits")
    return {
        "trend": {
            "labels": [label for label, _v in assets],
            "series": [
                {
                    "label": str(M.BY_CODE["avg_assets"].label),
                    "data": [float(v) for _l, v in assets],
                },
                {
                    "label": str(M.BY_CODE["avg_deposits"].label),
                    "data": [float(v) for _l, v in deposits],
                },
            ],
        },
        "tiers": {
            "labels": [tier_names.get(k, k) for k in counts.get("tier", {})],
            "data": list(counts.get("tier", {}).values()),
        },
        "stars": {
            "labels": [star_names.get(k, k) for k in counts.get("star", {})],
            "data": list(counts.get("star", {}).values()),
        },
        "stages": {
            "labels": [stage_names.get(k, k) for k in counts.get("stage", {})],
            "data": list(counts.get("stage", {}).values()),
        },
        "channels": {
            "labels": [str(M.BY_CODE[c].label) for c in M.VISIT_CHANNEL_MEASURES.values()],
            "data": [float(values.get(c) or 0) for c in M.VISIT_CHANNEL_MEASURES.values()],
        },
    }


@login_required
def dashboard(request):
    """The figures of a branch (its whole subtree) or of one RM for a period, with 环比,
    同比 and 比年初, the sub-branches and RMs below it, and the RM's customers."""
    scope, period, summary, columns, units, rms, chart_data = dashboard_context(request)
    export = request.GET.get("export")
    if export:
        return export_table(export, scope, period, summary, columns, units, rms)
    customers = []
    if scope.rm is not None:
        customers = list(
            Customer.objects.visible_to(request.user)
            .filter(primary_rm=scope.rm, archived_at__isnull=True)
            .select_related("asset_tier")
            .order_by("-monthly_avg_assets", "-id")[:20]
        )
    branch = scope.branch or scope.rm.branch
    crumbs = breadcrumbs(request.user, branch) if branch and not request.user.is_rm else []
    query = request.GET.copy()
    query.pop("export", None)
    return TemplateResponse(
        request,
        "reports/dashboard.html",
        {
            "scope": scope,
            "period": period,
            "previous": period.previous(),
            "next": type(period).of(period.grain, period.end + timedelta(days=1)),
            "grains": [(g, GRAIN_LABELS[g]) for g in GRAINS],
            "summary": summary,
            "columns": columns,
            "units": units,
            "rms": rms,
            "customers": customers,
            "crumbs": crumbs,
            "charts": chart_data,
            "query": query.urlencode(),
        },
    )


def export_table(which, scope, period, summary, columns, units, rms):
    """One table of the dashboard as an .xlsx file."""
    if which == "summary":
        header = [
            pgettext("report", "Measure"),
            _("Value"),
            _("On last period (环比)"),
            _("On last year (同比)"),
            _("Since the year start (比年初)"),
        ]
        rows = [[r["label"], r["value"], r["mom"], r["yoy"], r["ytd"]] for r in summary]
    elif which in ("units", "rms"):
        header = [_("Name")] + [str(c.label) for c in columns]
        rows = [
            [r["name"], *(v for v, _unit in r["values"])]
            for r in (units if which == "units" else rms)
        ]
    else:
        raise Http404
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(period.label())
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, header, bold)
    for n, row in enumerate(rows, start=1):
        sheet.write_row(
            n, 0, [float(v) if v is not None and not isinstance(v, str) else v for v in row]
        )
    book.close()
    name = f"{which}-{period.label()}.xlsx"
    response = HttpResponse(
        output.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ---------------------------------------------------------------------------------------------
# Scorecards and rankings


def _assessment_day(request):
    raw = request.GET.get("on", "")
    try:
        day = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError as error:
        raise Http404 from error
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Http404
    return day


@login_required
def scorecard(request):
    """An RM's scorecard: groups and indicators, rank in the peer group, distance to the
    60 % line and to the threshold, and what would change the rank."""
    rm_id = id_param(request, "rm")
    scheme = scorecards.scheme_for(request.user, id_param(request, "scheme"), rm_id)
    day = _assessment_day(request)
    card = scorecards.card_of(request.user, scheme, rm_id, day)
    return TemplateResponse(
        request,
        "reports/scorecard.html",
        {
            "scheme": scheme,
            "schemes": Scheme.objects.filter(is_active=True),
            "period": scheme_period(scheme, day),
            "card": card,
            "grades": GradeRecord.objects.filter(rm_id=card.rm_id).order_by("-since", "-id")[:10],
        },
    )


@login_required
def ranking(request):
    """The ranking of each peer group, cut to the RMs of the head's subtree; .xlsx export."""
    if request.user.is_rm:
        raise Http404
    scheme = scorecards.scheme_for(request.user, id_param(request, "scheme"))
    day = _assessment_day(request)
    cards = scorecards.visible_cards(request.user, scorecards.assessment(scheme, day))
    groups = {}
    for card in sorted(cards, key=lambda c: (c.grade, c.level, c.rank, c.name)):
        groups.setdefault((card.grade, card.level), []).append(card)
    names = dict(
        Branch.objects.filter(pk__in={c.branch_id for c in cards}).values_list("pk", "name")
    )
    grade_names = dict(Grade.choices)
    level_names = dict(Branch.Level.choices)
    peer_groups = [
        {
            "title": f"{grade_names.get(grade, grade)} · {level_names.get(level, level)}",
            "cards": [(c, names.get(c.branch_id, "")) for c in members],
        }
        for (grade, level), members in groups.items()
    ]
    if request.GET.get("export") == "xlsx":
        return ranking_export(scheme, scheme_period(scheme, day), peer_groups)
    return TemplateResponse(
        request,
        "reports/ranking.html",
        {
            "scheme": scheme,
            "schemes": Scheme.objects.filter(is_active=True),
            "period": scheme_period(scheme, day),
            "peer_groups": peer_groups,
            "on": request.GET.get("on", ""),
        },
    )


def ranking_export(scheme, period, peer_groups):
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(period.label())
    bold = book.add_format({"bold": True})
    sheet.write_row(
        0,
        0,
        [
            _("Peer group"),
            _("Rank"),
            _("Peers"),
            _("RM"),
            _("Branch"),
            _("Score"),
            _("Quality score"),
            _("Threshold met"),
            _("Qualifies"),
            _("Proposal"),
        ],
        bold,
    )
    row = 1
    proposals = dict(FrozenScore.Proposal.choices)
    for group in peer_groups:
        for card, branch in group["cards"]:
            sheet.write_row(
                row,
                0,
                [
                    group["title"],
                    card.rank,
                    card.peers,
                    card.name,
                    branch,
                    float(card.score),
                    float(card.quality),
                    _("Yes") if card.threshold else _("No"),
                    _("Yes") if card.qualifies else _("No"),
                    str(proposals.get(card.proposal, "")),
                ],
            )
            row += 1
    book.close()
    response = HttpResponse(
        output.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="ranking-{period.label()}.xlsx"'
    return response


@login_required
def monday(request):
    """The Monday meeting pack of a branch (default: the head's own), or its A4 print."""
    from .monday import build_pack

    if request.user.is_rm:
        raise Http404
    scope = scope_for(request.user, branch_id=id_param(request, "branch"))
    pack = build_pack(request.user, scope.branch, timezone.localdate())
    template = "reports/monday_print.html" if request.GET.get("print") else "reports/monday.html"
    return TemplateResponse(request, template, {"pack": pack})


# ---------------------------------------------------------------------------------------------
# Closing a period (head-office admins)


def _admin_only(request):
    if not services.may_close(request.user):
        raise Http404


@login_required
def periods(request):
    """Closed periods, and the form that closes one."""
    _admin_only(request)
    error = ""
    if request.method == "POST":
        scheme = Scheme.objects.filter(pk=id_param_post(request, "scheme")).first()
        try:
            day = date.fromisoformat(request.POST.get("on", ""))
        except ValueError:
            day = None
        if scheme is None or day is None:
            error = _("Choose a scheme and a day of the period.")
        else:
            try:
                close = services.close_period(scheme=scheme, day=day, actor=request.user)
            except ValidationError as refused:
                error = refused.messages[0]
            else:
                return redirect("reports-period", pk=close.pk)
    return TemplateResponse(
        request,
        "reports/periods.html",
        {
            "schemes": Scheme.objects.filter(is_active=True),
            "closes": PeriodClose.objects.select_related("scheme", "closed_by").order_by(
                "-period_start"
            )[:50],
            "error": error,
        },
    )


def id_param_post(request, name):
    raw = request.POST.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None


@login_required
def period(request, pk):
    """A closed period's frozen scores and proposed grade moves, to approve."""
    _admin_only(request)
    close = get_object_or_404(PeriodClose.objects.select_related("scheme"), pk=pk)
    if request.method == "POST":
        ids = [int(x) for x in request.POST.getlist("score") if x.isdigit()]
        for score in FrozenScore.objects.filter(close=close, pk__in=ids):
            services.approve(score=score, actor=request.user, reason=request.POST.get("reason", ""))
        return redirect("reports-period", pk=close.pk)
    scores = (
        FrozenScore.objects.filter(close=close)
        .select_related("rm", "approved_by")
        .order_by("grade", "rank", "rm__username")
    )
    return TemplateResponse(request, "reports/period.html", {"close": close, "scores": scores})


# ---------------------------------------------------------------------------------------------
# External figures import and the staffing check


@login_required
def external_import(request):
    """Admins load the monthly figures kept elsewhere; all or nothing."""
    from .imports import COLUMNS, import_external

    if not request.user.is_admin:
        raise Http404
    context = {"columns": COLUMNS}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [RowError(1, "", _("Choose a file to import."))]
        else:
            try:
                result = import_external(name=upload.name, data=upload.read(), actor=request.user)
            except ImportRejected as rejected:
                context["errors"] = rejected.errors
            else:
                messages.success(
                    request,
                    _("%(created)d figures added, %(updated)d changed, %(unchanged)d unchanged.")
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("reports-import")
    return TemplateResponse(request, "reports/import.html", context)


@login_required
def staffing(request):
    """Outlets with fewer RMs than the bank's minimum for their level (StaffingRule)."""
    if request.user.is_rm:
        raise Http404
    rules = dict(StaffingRule.objects.values_list("level", "minimum"))
    branches = list(
        Branch.objects.visible_to(request.user).filter(level__in=list(rules)).order_by("path")
    )
    counts = dict(
        User.objects.filter(role=User.Role.RM, is_active=True, branch__in=branches)
        .values("branch")
        .annotate(n=Count("id"))
        .values_list("branch", "n")
    )
    short = [
        {"branch": b, "rms": counts.get(b.pk, 0), "minimum": rules[b.level]}
        for b in branches
        if counts.get(b.pk, 0) < rules[b.level]
    ]
    return TemplateResponse(
        request, "reports/staffing.html", {"short": short, "checked": len(branches)}
    )


# ---------------------------------------------------------------------------------------------
# The live "today" board

# Modules add columns to the board: key -> (label, function(user, team ids, today) -> {rm: n}).
TODAY_COLUMNS: dict = {}


@login_required
def today(request):
    """Now, for a head: RMs with visits today, overdue reminders and, with the modules,
    escalated warnings and complaints near their time limit. Counts only, from the live
    tables, each one indexed query over the head's scope."""
    from reminders.models import Reminder
    from visits.models import Visit

    if request.user.is_rm:
        raise Http404
    day = timezone.localdate()
    team = {
        u.pk: u
        for u in User.objects.visible_to(request.user).filter(role=User.Role.RM, is_active=True)
    }
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    visits = dict(
        Visit.objects.visible_to(request.user)
        .filter(planned_start__gte=start, planned_start__lt=start + timedelta(days=1))
        .exclude(status=Visit.Status.CANCELLED)
        .values("rm")
        .annotate(n=Count("id"))
        .values_list("rm", "n")
    )
    overdue = dict(
        Reminder.objects.filter(
            recipient_id__in=list(team),
            customer__in=Customer.objects.visible_to(request.user),
            done_at__isnull=True,
            due_on__lt=day,
        )
        .values("recipient")
        .annotate(n=Count("id"))
        .values_list("recipient", "n")
    )
    columns = [(_("Visits today"), visits), (_("Overdue reminders"), overdue)]
    from .module_providers import today_columns

    for label, count in {**today_columns(), **TODAY_COLUMNS}.values():
        columns.append((label, count(request.user, list(team), day)))
    ids = sorted(
        {rm for _label, counts in columns for rm in counts if rm in team},
        key=lambda pk: str(team[pk]),
    )
    rows = [(team[pk], [counts.get(pk, 0) for _label, counts in columns]) for pk in ids]
    return TemplateResponse(
        request,
        "reports/today.html",
        {"labels": [label for label, _c in columns], "rows": rows, "day": day},
    )
