import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Branch, User
from crm.api import validate_utc_offset
from customers.models import Customer

from . import services
from .models import CareAction, Gift, Ticket, validate_received_at


def _drf_error(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError({"non_field_errors": error.messages})


class TicketSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(
        source="ticket_type", choices=Ticket._meta.get_field("ticket_type").choices
    )
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), required=False, allow_null=True
    )
    handler = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.none(), required=False, allow_null=True
    )
    subject_rm = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.none(), required=False, allow_null=True
    )
    subject_unit = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.all(), required=False, allow_null=True
    )
    handling_unit = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "type",
            "customer",
            "contact_name",
            "contact_gender",
            "contact_phone",
            "channel",
            "category",
            "content",
            "state",
            "received_at",
            "due_at",
            "extensions",
            "service_level",
            "handler",
            "handling_unit",
            "subject_rm",
            "subject_unit",
            "promised_on",
            "cause_class",
            "upheld",
            "remedy",
            "root_cause",
            "answer",
            "satisfaction",
            "answered_at",
            "closed_at",
        ]
        read_only_fields = [
            "state",
            "due_at",
            "extensions",
            "service_level",
            "answered_at",
            "closed_at",
        ]
        extra_kwargs = {
            "received_at": {
                "validators": [validate_received_at],
                "help_text": _("Default: now. The time limit runs from here."),
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A customer outside the caller's scope reads as one that does not exist.
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()
            self.fields["handler"].queryset = User.objects.visible_to(request.user).filter(
                is_active=True
            )
            self.fields["subject_rm"].queryset = User.objects.filter(is_active=True)
        if self.instance is not None and not isinstance(self.instance, list):
            # Who the ticket is about and who handles it change by dispatch, not by update.
            for name in (
                "type",
                "customer",
                "handler",
                "subject_rm",
                "subject_unit",
                "received_at",
            ):
                self.fields[name].read_only = True

    def validate(self, attrs):
        if self.instance is None and not attrs.get("customer") and not attrs.get("contact_name"):
            raise serializers.ValidationError(
                {"contact_name": [_("Choose a customer, or write the name of the person.")]}
            )
        return attrs


class MoveSerializer(serializers.Serializer):
    # Nothing moves back to "received".
    to = serializers.ChoiceField(
        choices=[(v, label) for v, label in Ticket.State.choices if v != Ticket.State.RECEIVED]
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    handler = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("For a move to “dispatched”: whom to dispatch to."),
    )


class GiftDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TicketFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        field_name="ticket_type", choices=Ticket._meta.get_field("ticket_type").choices
    )
    handler = django_filters.CharFilter(field_name="handler__username")
    received_after = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", validators=[validate_utc_offset]
    )
    received_before = django_filters.IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", validators=[validate_utc_offset]
    )

    class Meta:
        model = Ticket
        fields = ["customer", "type", "state", "channel", "category", "cause_class", "handler"]


@extend_schema(tags=["tickets"])
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets in the caller's scope (see `Ticket.objects.visible_to`), by time left."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Ticket.objects.visible_to(self.request.user)
            .select_related("handler", "subject_rm")
            .order_by("due_at", "id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        ticket = Ticket(**data)
        ticket.handler = data.get("handler") or self.request.user
        try:
            serializer.instance = services.create_ticket(actor=self.request.user, ticket=ticket)
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    def perform_update(self, serializer):
        ticket = serializer.instance
        if not ticket.editable_by(self.request.user):
            raise exceptions.PermissionDenied
        serializer.save()

    @extend_schema(request=MoveSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the ticket to another state (`dispatched` with a `handler`)."""
        ticket = self.get_object()
        if not ticket.editable_by(request.user):
            raise exceptions.PermissionDenied
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data["to"] == Ticket.State.DISPATCHED:
                handler = data.get("handler")
                if handler is None:
                    raise exceptions.ValidationError(
                        {"handler": [_("Name the handler to dispatch to.")]}
                    )
                services.dispatch(actor=request.user, ticket=ticket, handler=handler)
            else:
                services.move_ticket(
                    actor=request.user, ticket=ticket, to=data["to"], note=data.get("note", "")
                )
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        ticket.refresh_from_db()
        return Response(TicketSerializer(ticket, context={"request": request}).data)


class CareActionSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CareAction
        fields = ["id", "customer", "kind", "occasion", "festival", "done_on", "cost", "note", "by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()


@extend_schema(tags=["care"])
class CareActionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Care actions about the customers in the caller's scope."""

    serializer_class = CareActionSerializer
    filterset_fields = ["customer", "kind", "occasion"]

    def get_queryset(self):
        return (
            CareAction.objects.visible_to(self.request.user)
            .select_related("by")
            .order_by("-done_on", "-id")
        )

    def perform_create(self, serializer):
        serializer.save(by=self.request.user)


class GiftSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    given = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_("Record it as given today; above the limit a head approves it first."),
    )

    class Meta:
        model = Gift
        fields = [
            "id",
            "customer",
            "item",
            "value",
            "occasion",
            "recorded_by",
            "recorded_at",
            "approved_by",
            "approved_at",
            "given_on",
            "given",
        ]
        read_only_fields = ["recorded_at", "approved_at", "given_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"].queryset = Customer.objects.visible_to(request.user).active()


@extend_schema(tags=["care"])
class GiftViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The gift ledger of the customers in the caller's scope."""

    serializer_class = GiftSerializer
    filterset_fields = ["customer"]

    def get_queryset(self):
        return (
            Gift.objects.visible_to(self.request.user)
            .select_related("recorded_by", "approved_by")
            .order_by("-recorded_at", "-id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        given = data.pop("given", False)
        try:
            serializer.instance = services.record_gift(
                actor=self.request.user, gift=Gift(**data), given=given
            )
        except DjangoValidationError as error:
            raise _drf_error(error) from None

    @extend_schema(request=GiftDecisionSerializer, responses=GiftSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A head approves a gift above the limit."""
        gift = self.get_object()
        GiftDecisionSerializer(data=request.data).is_valid(raise_exception=True)
        try:
            services.approve_gift(actor=request.user, gift=gift)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        return Response(GiftSerializer(gift, context={"request": request}).data)

    @extend_schema(request=GiftDecisionSerializer, responses=GiftSerializer)
    @action(detail=True, methods=["post"])
    def give(self, request, pk=None):
        """Record the gift as given (above the limit, only once approved)."""
        gift = self.get_object()
        GiftDecisionSerializer(data=request.data).is_valid(raise_exception=True)
        try:
            services.give_gift(actor=request.user, gift=gift)
        except DjangoValidationError as error:
            raise _drf_error(error) from None
        except DjangoPermissionDenied:
            raise exceptions.PermissionDenied from None
        return Response(GiftSerializer(gift, context={"request": request}).data)
