import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from customers.models import Customer

from . import checks, services
from .models import (
    ACTIVE_STATES,
    Level,
    LoanCheck,
    Measure,
    Signal,
    WatchItem,
    split_signals,
)
from .views import related_views


class SignalsField(serializers.ListField):
    child = serializers.ChoiceField(choices=Signal.choices)

    def to_representation(self, value):
        return split_signals(value) if isinstance(value, str) else list(value)


class WatchItemSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    signals = SignalsField(min_length=1)
    level = serializers.IntegerField(
        min_value=Level.ATTENTION,
        max_value=Level.SEVERE,
        help_text=gettext_lazy("1 attention (关注), 2 warning (预警), 3 severe (严重)."),
    )
    related = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "For an item opened because of a related party: where it comes from. The origin's "
            "customer and figures are given only when the caller may see that customer."
        )
    )

    class Meta:
        model = WatchItem
        fields = [
            "id",
            "customer",
            "kind",
            "level",
            "state",
            "signals",
            "source",
            "description",
            "owner",
            "review_on",
            "escalation_level",
            "exposure_loans",
            "exposure_guarantees",
            "exposure_deposits",
            "opened_at",
            "closed_at",
            "outcome",
            "exposure_reduced",
            "related",
        ]
        read_only_fields = [
            "state",
            "source",
            "escalation_level",
            "exposure_loans",
            "exposure_guarantees",
            "exposure_deposits",
            "opened_at",
            "closed_at",
            "outcome",
            "exposure_reduced",
        ]
        extra_kwargs = {"review_on": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["customer"].read_only = True

    def validate_review_on(self, day):
        if day and day < timezone.localdate():
            raise serializers.ValidationError(_("The review date cannot be in the past."))
        return day

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "visible": {"type": "boolean"},
                "message": {"type": "string"},
                "origin_item": {"type": "integer"},
                "origin_customer": {"type": "integer"},
                "origin_customer_name": {"type": "string"},
                "origin_level": {"type": "integer"},
                "chain": {"type": "array", "items": {"type": "string", "nullable": True}},
                "circle_exposure": {"type": "string", "nullable": True},
            },
        }
    )
    def get_related(self, item):
        if not item.origin_id:
            return None
        related = self.context.get("related")
        if related is None or item.pk not in related:
            related = related_views(self.context["request"].user, [item])
        view = related[item.pk]
        if not view["visible"]:
            return {
                "visible": False,
                "message": _("A related party has a warning."),
                "chain": [step["name"] for step in view["steps"]],
            }
        origin = view["origin"]
        return {
            "visible": True,
            "origin_item": origin.pk,
            "origin_customer": origin.customer_id,
            "origin_customer_name": origin.customer.name,
            "origin_level": origin.level,
            "chain": [step["name"] for step in view["steps"]],
            "circle_exposure": None if view["circle"] is None else str(view["circle"]),
        }


class MeasureSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.none())

    class Meta:
        model = Measure
        fields = ["id", "kind", "owner", "due_on", "done_on", "result"]
        read_only_fields = ["done_on"]

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        if item is not None:
            from .forms import owner_choices

            self.fields["owner"].queryset = owner_choices(item)


class WatchItemMoveSerializer(serializers.Serializer):
    # Every state but "open", to which nothing moves back.
    to = serializers.ChoiceField(choices=WatchItem.State.choices[1:])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    exposure_reduced = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class WatchItemFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__username")
    signal = django_filters.ChoiceFilter(
        choices=Signal.choices, method="filter_signal", label="signal"
    )
    active = django_filters.BooleanFilter(method="filter_active")
    branch = django_filters.NumberFilter(field_name="customer__branch_id")

    class Meta:
        model = WatchItem
        fields = ["customer", "kind", "level", "state", "owner", "signal", "active", "branch"]

    def filter_signal(self, queryset, name, value):
        return queryset.filter(signals__contains=f",{value},")

    def filter_active(self, queryset, name, value):
        return (
            queryset.filter(state__in=ACTIVE_STATES)
            if value
            else queryset.exclude(state__in=ACTIVE_STATES)
        )


def _raise_validation(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        raise exceptions.ValidationError(error.message_dict) from None
    raise exceptions.ValidationError({"non_field_errors": error.messages}) from None


@extend_schema(tags=["watch items"])
class WatchItemViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Watch items of the customers in the caller's scope (`WatchItem.objects.visible_to`),
    most urgent first. Out of scope answers 404; visible but not changeable 403."""

    serializer_class = WatchItemSerializer
    filterset_class = WatchItemFilter
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return (
            WatchItem.objects.visible_to(self.request.user)
            .select_related("owner", "customer")
            .urgent_first()
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        context = {**self.get_serializer_context(), "related": related_views(request.user, page)}
        data = WatchItemSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        user = self.request.user
        customer = data["customer"]
        if not (user.is_admin or user.sees_branch_subtree or customer.primary_rm_id == user.pk):
            raise exceptions.PermissionDenied
        serializer.instance = services.open_item(
            actor=user,
            customer=customer,
            kind=data["kind"],
            level=data["level"],
            source=WatchItem.Source.RM if user.is_rm else WatchItem.Source.MANAGER,
            signals=data["signals"],
            description=data.get("description", ""),
            review_on=data.get("review_on"),
        )

    def perform_update(self, serializer):
        item = serializer.instance
        if not item.editable_by(self.request.user):
            raise exceptions.PermissionDenied
        services.update_item(actor=self.request.user, item=item, **serializer.validated_data)

    @extend_schema(methods=["GET"], responses=MeasureSerializer(many=True))
    @extend_schema(methods=["POST"], request=MeasureSerializer, responses={201: MeasureSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def measures(self, request, pk=None):
        """The item's measures; POST adds one (`kind`, `owner` username, `due_on`)."""
        item = self.get_object()
        if request.method == "GET":
            return Response(
                MeasureSerializer(item.measures.select_related("owner"), many=True).data
            )
        if not item.editable_by(request.user):
            raise exceptions.PermissionDenied
        serializer = MeasureSerializer(data=request.data, item=item)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["due_on"] < timezone.localdate():
            raise exceptions.ValidationError({"due_on": [_("The due date cannot be in the past.")]})
        measure = services.add_measure(actor=request.user, item=item, **data)
        return Response(MeasureSerializer(measure).data, status=201)

    @extend_schema(request=WatchItemMoveSerializer, responses=WatchItemSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the item to another state with a reason (closing needs one; `exited` needs
        `exposure_reduced`)."""
        item = self.get_object()
        serializer = WatchItemMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                services.move_item(actor=request.user, item=item, **serializer.validated_data)
        except DjangoValidationError as error:
            _raise_validation(error)
        item.refresh_from_db()
        return Response(self.get_serializer(item).data)


class LoanCheckSerializer(serializers.ModelSerializer):
    signals = SignalsField(required=False)
    result = serializers.ChoiceField(
        choices=LoanCheck.Result.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = LoanCheck
        fields = [
            "id",
            "customer",
            "holding",
            "kind",
            "due_on",
            "done_on",
            "result",
            "signals",
            "note",
        ]
        read_only_fields = fields


class CompleteSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=LoanCheck.Result.choices)
    signals = serializers.ListField(
        child=serializers.ChoiceField(choices=Signal.choices), required=False, default=list
    )
    level = serializers.IntegerField(
        min_value=Level.ATTENTION,
        max_value=Level.SEVERE,
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Raise the item to this level: 1 attention, 2 warning, 3 severe."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class LoanCheckFilter(django_filters.FilterSet):
    open = django_filters.BooleanFilter(field_name="done_on", lookup_expr="isnull")
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = LoanCheck
        fields = ["customer", "kind", "open", "due_before"]


@extend_schema(tags=["loan checks"])
class LoanCheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Post-loan checks and annual reviews of the customers in the caller's scope."""

    serializer_class = LoanCheckSerializer
    filterset_class = LoanCheckFilter

    def get_queryset(self):
        return LoanCheck.objects.visible_to(self.request.user).order_by("due_on", "id")

    @extend_schema(request=CompleteSerializer, responses=LoanCheckSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record the check; ticked signals open or update a watch item."""
        check = self.get_object()
        if not checks.may_complete(request.user, check):
            raise exceptions.PermissionDenied
        if not check.is_open:
            raise exceptions.ValidationError({"done_on": [_("This check is already recorded.")]})
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        checks.complete(actor=request.user, check=check, **serializer.validated_data)
        check.refresh_from_db()
        return Response(self.get_serializer(check).data)
