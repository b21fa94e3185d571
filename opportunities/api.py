"""The opportunities API: opportunities (list, create, detail, update, move), stages, target
lists and their feedback, and a customer's gap suggestions. Scope as everywhere: records of
customers outside the caller's scope answer 404; visible but not editable 403."""

from datetime import timedelta

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from customers.models import Customer, Product

from . import services
from .models import LostReason, Opportunity, Stage, Suggestion, TargetEntry, TargetList


def _drf_errors(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


class LineSerializer(serializers.Serializer):
    product = serializers.SlugRelatedField(
        slug_field="code", queryset=Product.objects.filter(is_active=True)
    )
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    expected_revenue = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, default=0
    )
    dual_recorded = serializers.BooleanField(required=False, default=False)


class AssistantSerializer(serializers.Serializer):
    rm = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.none())
    share = serializers.IntegerField(min_value=0, max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rm"].queryset = User.objects.filter(is_active=True)


class OpportunitySerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    stage = serializers.CharField(source="stage_id", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    lines = LineSerializer(many=True, required=False)
    assistants = AssistantSerializer(many=True, required=False)
    lost_reason = serializers.CharField(source="lost_reason.name", read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "title",
            "type",
            "stage",
            "amount",
            "probability",
            "weighted_amount",
            "expected_revenue",
            "expected_close_on",
            "next_step",
            "next_step_on",
            "source",
            "competitor",
            "mode",
            "owner_share",
            "owner",
            "assistants",
            "lines",
            "close_pushes",
            "lost_reason",
            "lost_note",
            "created_at",
            "closed_at",
        ]
        read_only_fields = [
            "amount",
            "weighted_amount",
            "expected_revenue",
            "close_pushes",
            "lost_note",
            "created_at",
            "closed_at",
        ]
        extra_kwargs = {
            "expected_close_on": {"required": True, "allow_null": False},
            "next_step_on": {"required": True, "allow_null": False},
            "next_step": {"required": True, "allow_blank": False},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["customer"].read_only = True

    def to_representation(self, obj):
        data = super().to_representation(obj)
        data["lines"] = [
            {
                "product": line.product.code,
                "amount": str(line.amount),
                "expected_revenue": str(line.expected_revenue),
                "dual_recorded": line.dual_recorded,
            }
            for line in obj.lines.all()
        ]
        data["assistants"] = [{"rm": a.rm.username, "share": a.share} for a in obj.assistants.all()]
        return data

    def validate(self, attrs):
        instance = self.instance
        values = {
            name: attrs.get(name, getattr(instance, name, None))
            for name in ("expected_close_on", "next_step", "next_step_on", "mode", "probability")
        }
        values["owner_share"] = attrs.get("owner_share", getattr(instance, "owner_share", 100))
        if "assistants" in attrs:
            values["assistants"] = [(a["rm"], a["share"]) for a in attrs["assistants"]]
        elif instance is not None:
            values["assistants"] = [(a.rm, a.share) for a in instance.assistants.all()]
        if values["mode"] is None:
            values["mode"] = Opportunity.Mode.ALONE
        errors = services.check_opportunity(values, is_open=instance is None or instance.is_open)
        customer = attrs.get("customer") or getattr(instance, "customer", None)
        allowed = (
            {
                u.pk
                for u in services.assistant_choices(customer, getattr(instance, "owner_id", None))
            }
            if customer
            else set()
        )
        if any(rm.pk not in allowed for rm, _share in values.get("assistants", [])) and (
            "assistants" in attrs
        ):
            errors.setdefault("assistants", []).append(
                _("An assisting RM must be the customer's primary or assisting RM.")
            )
        products = [line["product"].pk for line in attrs.get("lines", [])]
        if len(set(products)) < len(products):
            errors.setdefault("lines", []).append(_("Each product once."))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class OpportunityMoveSerializer(serializers.Serializer):
    stage = serializers.SlugRelatedField(slug_field="code", queryset=Stage.objects.all())
    lost_reason = serializers.PrimaryKeyRelatedField(
        queryset=LostReason.objects.filter(is_active=True), required=False, allow_null=True
    )
    lost_note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class OpportunityFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="owner__username")
    stage = django_filters.ModelChoiceFilter(queryset=Stage.objects.all())
    is_open = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull")
    close_before = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="lte")
    close_after = django_filters.DateFilter(field_name="expected_close_on", lookup_expr="gte")

    class Meta:
        model = Opportunity
        fields = ["customer", "owner", "stage", "type", "source", "is_open"]


@extend_schema(tags=["opportunities"])
class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities of the customers in the caller's scope (``Opportunity.objects.visible_to``).
    Create as the customer's primary or assisting RM, a head or an admin; change and move as
    the owner, a head or an admin."""

    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Opportunity.objects.visible_to(self.request.user)
            .select_related("owner", "lost_reason")
            .prefetch_related("lines__product", "assistants__rm")
            .order_by("expected_close_on", "id")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        customer = data["customer"]
        try:
            serializer.instance = services.create_opportunity(
                actor=self.request.user,
                customer=customer,
                title=data["title"],
                type=data.get("type", Opportunity.Type.GROW),
                expected_close_on=data["expected_close_on"],
                next_step=data["next_step"],
                next_step_on=data["next_step_on"],
                source=data.get("source", Opportunity.Source.OWN),
                competitor=data.get("competitor", ""),
                mode=data.get("mode", Opportunity.Mode.ALONE),
                owner_share=data.get("owner_share", 100),
                lines=[
                    (
                        line["product"],
                        line["amount"],
                        line["expected_revenue"],
                        line["dual_recorded"],
                    )
                    for line in data.get("lines", [])
                ],
                assistants=[(a["rm"], a["share"]) for a in data.get("assistants", [])],
            )
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied from None

    def perform_update(self, serializer):
        opportunity = serializer.instance
        if not opportunity.editable_by(self.request.user):
            raise exceptions.PermissionDenied
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        assistants = data.pop("assistants", None)
        data.pop("customer", None)
        services.update_opportunity(
            actor=self.request.user,
            opportunity=opportunity,
            changes=data,
            lines=None
            if lines is None
            else [
                (
                    line["product"],
                    line["amount"],
                    line.get("expected_revenue", 0),
                    line.get("dual_recorded", False),
                )
                for line in lines
            ],
            assistants=None if assistants is None else [(a["rm"], a["share"]) for a in assistants],
        )
        serializer.instance = self.get_queryset().get(pk=opportunity.pk)

    @extend_schema(request=OpportunityMoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move to another stage. Refused with 400 and a field error (nothing changes) when a
        product line does not suit the customer's risk tolerance, a 双录 line is not ticked
        before "won", or "lost" has no reason."""
        opportunity = self.get_object()
        if not opportunity.editable_by(request.user):
            raise exceptions.PermissionDenied
        body = OpportunityMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.move_opportunity(
                actor=request.user,
                opportunity=opportunity,
                to=data["stage"].code,
                lost_reason=data.get("lost_reason"),
                lost_note=data.get("lost_note", ""),
            )
        except DjangoValidationError as error:
            raise _drf_errors(error) from None
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied from None
        return Response(self.get_serializer(self.get_queryset().get(pk=opportunity.pk)).data)


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = [
            "code",
            "name",
            "name_en",
            "order",
            "probability",
            "stale_days",
            "is_final",
            "is_won",
            "checks_suitability",
        ]


@extend_schema(tags=["opportunities"])
class StageListView(generics.ListAPIView):
    """The stages of the pipeline, in order."""

    serializer_class = StageSerializer
    pagination_class = None
    queryset = Stage.objects.all()


class SuggestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suggestion
        fields = ["id", "customer", "category", "rank", "peer_share", "computed_on"]


@extend_schema(tags=["opportunities"])
class CustomerSuggestionsView(generics.ListAPIView):
    """A customer's live gap suggestions, best first (dismissed ones are left out)."""

    serializer_class = SuggestionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        customer = get_object_or_404(
            Customer.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        return Suggestion.objects.filter(customer=customer).live().order_by("rank")


class TargetListSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TargetList
        fields = ["id", "theme", "deadline", "description", "created_by", "created_at"]


class TargetEntrySerializer(serializers.ModelSerializer):
    rm = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TargetEntry
        fields = [
            "id",
            "target_list",
            "customer",
            "rm",
            "feedback",
            "note",
            "answered_at",
            "opportunity",
        ]
        read_only_fields = ["target_list", "customer", "answered_at", "opportunity"]

    def validate(self, attrs):
        feedback = attrs.get("feedback", getattr(self.instance, "feedback", ""))
        note = attrs.get("note", getattr(self.instance, "note", ""))
        if not feedback:
            raise serializers.ValidationError({"feedback": [_("Choose the feedback.")]})
        if feedback == TargetEntry.Feedback.NOT_INTERESTED and not note:
            raise serializers.ValidationError(
                {"note": [_("Say why the customer is not interested.")]}
            )
        return attrs


@extend_schema(tags=["opportunities"])
class TargetListViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Target lists with a name in the caller's scope."""

    serializer_class = TargetListSerializer

    def get_queryset(self):
        return (
            TargetList.objects.visible_to(self.request.user)
            .select_related("created_by")
            .order_by("-created_at", "-id")
        )


@extend_schema(tags=["opportunities"])
class TargetEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The names of target lists in the caller's scope, and their feedback: the RM a name
    went to, a head or an admin records it; "interested" opens an opportunity."""

    serializer_class = TargetEntrySerializer
    filterset_fields = ["target_list", "feedback"]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return (
            TargetEntry.objects.visible_to(self.request.user)
            .select_related("rm", "target_list", "customer")
            .order_by("id")
        )

    def perform_update(self, serializer):
        entry = serializer.instance
        user = self.request.user
        if not (entry.rm_id == user.pk or user.is_head or user.is_admin):
            raise exceptions.PermissionDenied
        with transaction.atomic():
            entry = serializer.save(answered_at=timezone.now())
            if entry.feedback == TargetEntry.Feedback.INTERESTED and entry.opportunity_id is None:
                today = timezone.localdate()
                entry.opportunity = services.create_opportunity(
                    actor=user,
                    customer=entry.customer,
                    title=entry.target_list.theme,
                    expected_close_on=max(entry.target_list.deadline, today) + timedelta(days=30),
                    next_step=entry.note or str(_("Follow up on the target list")),
                    next_step_on=today + timedelta(days=3),
                    source=Opportunity.Source.TARGET_LIST,
                    owner=entry.rm,
                )
                entry.save(update_fields=["opportunity"])
