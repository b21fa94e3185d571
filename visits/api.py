import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api_schema import ApiSchema
from customers.models import Customer

from . import services
from .models import Visit, validate_next_visit_on


class VisitSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    rm = serializers.SlugRelatedField(slug_field="username", read_only=True)
    outcome = serializers.CharField(source="summary", read_only=True)

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


class VisitFilter(django_filters.FilterSet):
    rm = django_filters.CharFilter(field_name="rm__username")
    start_after = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="lte")

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

    schema = ApiSchema()
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
        visit.summary = data["outcome"]
        visit.purpose_met = data["purpose_met"]
        visit.value_given = data["value_given"]
        visit.next_step_agreed = data["next_step_agreed"]
        visit.next_step = data.get("next_step", "")
        visit.next_visit_on = data.get("next_visit_on")
        services.complete_visit(actor=request.user, visit=visit)
        return Response(self.get_serializer(visit).data)
