"""The reports API: figures of a measure for a period with 环比/同比/比年初, and scorecards.
Same scope as the pages (reports.scope, reports.scorecards): out of scope answers 404."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from . import measures as M
from . import scorecards
from .figures import GRAINS, parse_period, with_comparisons
from .scope import id_param, scope_for
from .scoring import scheme_period
from .views import shown

MEASURE_PARAMS = [
    OpenApiParameter("measure", str, description="A measure code; all measures when absent."),
    OpenApiParameter("grain", str, enum=list(GRAINS), description="Default: month."),
    OpenApiParameter("on", date, description="A day of the period; default today."),
    OpenApiParameter("branch", int, description="A branch of your subtree (heads, admins)."),
    OpenApiParameter("rm", int, description="An RM you may see."),
]


def _number(value):
    return None if value is None else str(value)


class MeasuresView(APIView):
    """Figures of the caller's scope (a branch's subtree or one RM) for a period."""

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
        on = request.query_params.get("on")
        if on:
            try:
                date.fromisoformat(on)
            except ValueError as error:
                raise exceptions.ValidationError({"on": [_("Enter a valid date.")]}) from error
        scope = scope_for(
            request.user,
            branch_id=id_param(request, "branch"),
            rm_id=id_param(request, "rm"),
        )
        period = parse_period(grain, on, timezone.localdate())
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

    @extend_schema(
        parameters=[
            OpenApiParameter("scheme", int, description="Default: the scheme of your line."),
            OpenApiParameter("on", date, description="A day of the assessment period."),
        ],
        responses={200: dict},
    )
    def get(self, request):
        on = request.query_params.get("on")
        try:
            day = date.fromisoformat(on) if on else timezone.localdate()
        except ValueError as error:
            raise exceptions.ValidationError({"on": [_("Enter a valid date.")]}) from error
        scheme = scorecards.scheme_for(request.user, id_param(request, "scheme"))
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
