import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api import validate_utc_offset
from customers.models import Customer

from . import services
from .models import (
    Visit,
    overlap_warning,
    validate_browsable_time,
    validate_completed_at,
    validate_next_visit_on,
    validate_visit_time,
)


class VisitSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    rm = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outcome = serializers.CharField(source="summary", read_only=True)
    confirm_overlap = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "A visit that overlaps another visit of the same RM or the same customer is "
            "refused unless this is true."
        ),
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "customer",
            "rm",
            "channel",
            "status",
            "planned_start",
            "planned_end",
            "place",
            "purpose",
            "objective",
            "expected_questions",
            "outcome",
            "purpose_met",
            "value_given",
            "next_step_agreed",
            "next_step",
            "next_visit_on",
            "completed_at",
            "follow_up",
            "confirm_overlap",
        ]
        read_only_fields = [
            "status",
            "purpose_met",
            "value_given",
            "next_step_agreed",
            "next_step",
            "next_visit_on",
            "completed_at",
            "follow_up",
        ]
        extra_kwargs = {
            "planned_start": {"validators": [validate_visit_time]},
            "planned_end": {"validators": [validate_visit_time]},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A customer outside the caller's scope reads as one that does not exist.
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()

    def validate(self, attrs):
        start = attrs.get("planned_start", getattr(self.instance, "planned_start", None))
        end = attrs.get("planned_end", getattr(self.instance, "planned_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"planned_end": [_("The visit cannot end before it starts.")]}
            )
        confirmed = attrs.pop("confirm_overlap", False)
        moved = self.instance is None or {"customer", "planned_start", "planned_end"} & set(attrs)
        if moved and not confirmed:
            request = self.context["request"]
            probe = Visit(
                pk=getattr(self.instance, "pk", None),
                customer=attrs.get("customer", getattr(self.instance, "customer", None)),
                rm=self.instance.rm if self.instance else request.user,
                planned_start=start,
                planned_end=end,
            )
            overlaps = probe.overlaps(request.user)
            if overlaps:
                raise serializers.ValidationError(
                    {
                        "confirm_overlap": [
                            overlap_warning(overlaps)
                            + " "
                            + _("Send confirm_overlap: true to book it anyway.")
                        ]
                    }
                )
        return attrs


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    purpose_met = serializers.BooleanField(default=False)
    value_given = serializers.BooleanField(default=False)
    next_step_agreed = serializers.BooleanField(default=False)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=200)
    next_visit_on = serializers.DateField(
        required=False, allow_null=True, validators=[validate_next_visit_on]
    )
    completed_at = serializers.DateTimeField(
        required=False,
        help_text=_("When the visit actually ended (default: now); not before its start."),
    )


class VisitFilter(django_filters.FilterSet):
    rm = django_filters.CharFilter(field_name="rm__username")
    start_after = django_filters.IsoDateTimeFilter(
        field_name="planned_start",
        lookup_expr="gte",
        validators=[validate_browsable_time, validate_utc_offset],
    )
    start_before = django_filters.IsoDateTimeFilter(
        field_name="planned_start",
        lookup_expr="lte",
        validators=[validate_browsable_time, validate_utc_offset],
    )

    class Meta:
        model = Visit
        fields = ["customer", "rm", "status", "channel", "start_after", "start_before"]


@extend_schema(tags=["visits"])
class VisitViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Visits of the customers in the caller's scope (see `Visit.objects.visible_to`)."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def get_queryset(self):
        return (
            Visit.objects.visible_to(self.request.user)
            .select_related("rm")
            .order_by("-planned_start", "-id")
        )

    def perform_create(self, serializer):
        visit = Visit(**serializer.validated_data, rm=self.request.user)
        serializer.instance = services.save_visit(actor=self.request.user, visit=visit)

    def perform_update(self, serializer):
        visit = serializer.instance
        if not visit.editable_by(self.request.user):
            raise exceptions.PermissionDenied
        for field, value in serializer.validated_data.items():
            setattr(visit, field, value)
        services.save_visit(actor=self.request.user, visit=visit)

    @extend_schema(request=OutcomeSerializer, responses=VisitSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Log the outcome; a `next_visit_on` date plans the follow-up visit."""
        visit = self.get_object()
        if not visit.editable_by(request.user):
            raise exceptions.PermissionDenied
        if visit.status == Visit.Status.CANCELLED:
            raise exceptions.ValidationError(
                {"status": [_("A cancelled visit cannot be logged as completed.")]}
            )
        outcome = OutcomeSerializer(data=request.data)
        outcome.is_valid(raise_exception=True)
        data = outcome.validated_data
        # A correction of a logged visit keeps its completion time unless a new one is sent.
        completed_at = data.get("completed_at") or visit.completed_at or timezone.now()
        try:
            validate_completed_at(visit, completed_at)
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"completed_at": error.messages}) from None
        visit.summary = data["outcome"]
        visit.purpose_met = data["purpose_met"]
        visit.value_given = data["value_given"]
        visit.next_step_agreed = data["next_step_agreed"]
        visit.next_step = data.get("next_step", "")
        visit.next_visit_on = data.get("next_visit_on")
        services.complete_visit(actor=request.user, visit=visit, completed_at=completed_at)
        return Response(self.get_serializer(visit).data)
