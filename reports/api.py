"""The reports API: figures of a measure for a period with 环比/同比/比年初, and scorecards.
Same scope as the pages (reports.scope, reports.scorecards): out of scope answers 404."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api_schema import ERROR_DESCRIPTIONS, ApiSchema

from . import measures as M
from . import scorecards
from .figures import FIRST_YEAR, GRAINS, LAST_YEAR, Period, with_comparisons
from .scope import scope_for
from .scoring import scheme_period
from .views import shown

MEASURE_PARAMS = [
    OpenApiParameter("measure", str, description="A measure code; all measures when absent."),
    OpenApiParameter("grain", str, enum=list(GRAINS), description="Default: month."),
    OpenApiParameter("on", date, description="A day of the period; default today."),
    OpenApiParameter("branch", int, description="A branch of your subtree (heads, admins)."),
    OpenApiParameter("rm", int, description="An RM you may see."),
]


class ScopedQuerySchema(ApiSchema):
    """These operations name a branch, an RM or a scheme in the query: out of the caller's
    scope (or missing) answers 404, as it would in the path."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            operation["responses"]["404"] = {
                **operation["responses"]["401"],
                "description": ERROR_DESCRIPTIONS["404"],
            }
        return operation


def whole_number(request, name) -> int | None:
    """An id from the query string: None when absent, 400 when it is not a whole number."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise exceptions.ValidationError({name: [_("Enter a whole number.")]})
    return int(raw)


def day_param(request) -> date | None:
    raw = request.query_params.get("on")
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as error:
        raise exceptions.ValidationError({"on": [_("Enter a valid date.")]}) from error
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise exceptions.ValidationError({"on": [_("Enter a valid date.")]})
    return day


def _number(value):
    return None if value is None else str(value)


class MeasuresView(APIView):
    """Figures of the caller's scope (a branch's subtree or one RM) for a period."""

    schema = ScopedQuerySchema()

    @extend_schema(parameters=MEASURE_PARAMS, responses={200: dict})
    def get(self, request):
        measure = request.query_params.get("measure")
        if measure and (measure not in M.BY_CODE or not shown(measure)):
            raise exceptions.ValidationError({"measure": [_("Unknown measure.")]})
        grain = request.query_params.get("grain") or "month"
        if grain not in GRAINS:
            raise exceptions.ValidationError(
                {"grain": [_("Use day, week, month, quarter or year.")]}
            )
        day = day_param(request) or timezone.localdate()
        scope = scope_for(
            request.user,
            branch_id=whole_number(request, "branch"),
            rm_id=whole_number(request, "rm"),
        )
        period = Period.of(grain, day)
        rows = [
            {
                "measure": r["measure"],
                "label": r["label"],
                "unit": r["unit"],
                "value": _number(r["value"]),
                "previous": _number(r["previous"]),
                "mom": _number(r["mom"]),
                "last_year": _number(r["last_year"]),
                "yoy": _number(r["yoy"]),
                "ytd": _number(r["ytd"]),
            }
            for r in with_comparisons(scope.rows, period, external=scope.external)
            if (not measure or r["measure"] == measure) and shown(r["measure"])
        ]
        return Response(
            {
                "grain": period.grain,
                "period": period.label(),
                "start": period.start,
                "end": period.end,
                "branch": scope.branch.pk if scope.branch else None,
                "rm": scope.rm.pk if scope.rm else None,
                "results": rows,
            }
        )


class ScorecardsView(APIView):
    """The caller's own scorecard (an RM) or those of the RMs in their subtree (a head)."""

    schema = ScopedQuerySchema()

    @extend_schema(
        parameters=[
            OpenApiParameter("scheme", int, description="Default: the scheme of your line."),
            OpenApiParameter("on", date, description="A day of the assessment period."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        day = day_param(request) or timezone.localdate()
        scheme = scorecards.scheme_for(request.user, whole_number(request, "scheme"))
        cards = scorecards.visible_cards(request.user, scorecards.assessment(scheme, day))
        period = scheme_period(scheme, day)
        return Response(
            {
                "scheme": scheme.pk,
                "period": period.label(),
                "results": [
                    {
                        "rm": c.rm_id,
                        "name": c.name,
                        "grade": c.grade,
                        "score": str(c.score),
                        "quality": str(c.quality),
                        "rank": c.rank,
                        "peers": c.peers,
                        "line_rank": c.line_rank,
                        "qualifies": c.qualifies,
                        "protected": c.protected,
                        "threshold_met": c.threshold,
                        "points_to_line": str(c.to_line) if c.to_line is not None else None,
                        "proposal": str(c.proposal),
                        "what_if": [
                            {
                                "measure": o["measure"],
                                "change": str(o["delta"]),
                                "rank": o["rank"],
                                "peers": o["peers"],
                            }
                            for o in c.what_if
                        ],
                        "groups": [
                            {"name": g.name, "points": str(p), "weight": str(w)}
                            for g, p, w in c.groups
                        ],
                    }
                    for c in sorted(cards, key=lambda c: (c.grade, c.rank, c.rm_id))
                ],
            }
        )
