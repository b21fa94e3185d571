from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User

from . import services, validators
from .filters import CustomerFilter
from .models import PROFILE_FIELDS, Customer, Holding, Product, Relation


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)


class CustomerSerializer(serializers.ModelSerializer):
    """A customer. In lists ID and mobile numbers are masked; a single customer shows them in
    full to those in scope, and that view is recorded."""

    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    primary_rm = UsernameField(queryset=User.objects.none(), required=False)
    assisting_rms = serializers.SerializerMethodField()
    asset_tier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    # Wider than the stored 11 digits: "+86 138-1234-5678" is accepted and normalised.
    mobile = serializers.CharField(max_length=24, required=False, allow_blank=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "customer_no",
            *PROFILE_FIELDS,
            "branch",
            "primary_rm",
            "assisting_rms",
            "asset_tier",
            "star_level",
            "monthly_avg_assets",
            "tags",
            "updated_at",
        ]
        read_only_fields = ["star_level", "monthly_avg_assets", "updated_at"]
        # The unique ID number is one of the customer's rules in validate(), with the form's
        # message; DRF's own check of the constraint would answer first, in other words.
        validators = []

    def __init__(self, *args, masked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.masked = masked
        request = self.context.get("request")
        if request is not None:
            self.fields["primary_rm"].queryset = services.handover_targets(request.user)

    def get_assisting_rms(self, customer) -> list[str]:
        return [a.rm.username for a in customer.assistants.all()]

    def to_representation(self, customer):
        data = super().to_representation(customer)
        if self.masked:
            data["id_number"] = customer.masked_id_number
            data["mobile"] = customer.masked_mobile
        return data

    def validate_mobile(self, value):
        return validators.normalise_mobile(value) if value else ""

    def validate(self, attrs):
        """The customer's rules, the same as the form's and the import's
        (customers.validators.check_customer), on the values after this change."""
        instance = self.instance
        values = {
            name: attrs.get(name, getattr(instance, name) if instance else None)
            for name in validators.CUSTOMER_RULE_FIELDS
        }
        errors = validators.check_customer(
            values,
            id_taken=lambda id_type, id_number: validators.id_number_in_use(
                id_type, id_number, exclude_pk=instance.pk if instance else None
            ),
        )
        if errors:
            raise serializers.ValidationError(errors)
        for name in ("id_number", "mobile"):
            if name in attrs:
                attrs[name] = values[name]
        return attrs


class HoldingSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    category = serializers.CharField(source="product.category", read_only=True)

    class Meta:
        model = Holding
        fields = [
            "id",
            "product",
            "product_name",
            "category",
            "account_no",
            "amount",
            "currency",
            "opened_on",
            "matures_on",
            "status",
        ]


class RelationSerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        allow_null=True,
        help_text="The related customer's id when the caller may open them, otherwise null.",
    )
    name = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    direction = serializers.ChoiceField(choices=["from", "to"])


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "code", "name", "category", "risk_level", "matures", "is_active"]


@extend_schema(tags=["customers"])
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "q", str, description="Name, pinyin, initials, mobile, ID or customer number"
            )
        ]
    )
)
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers in the caller's scope (see `Customer.objects.visible_to`)."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def get_queryset(self):
        return (
            Customer.objects.visible_to(self.request.user)
            .active()
            .select_related("branch", "primary_rm", "asset_tier")
            .prefetch_related("assistants__rm", "tags")
            .order_by("-monthly_avg_assets", "-id")
        )

    def filter_queryset(self, queryset):
        # The list's filters choose customers; a single customer, its holdings and its
        # relations are found by id alone (``?q=`` on holdings must not hide the customer).
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("masked", self.action == "list")
        return super().get_serializer(*args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        customer = self.get_object()
        services.record_sensitive_view(user=request.user, customer=customer)
        return Response(self.get_serializer(customer).data)

    def perform_create(self, serializer):
        user = self.request.user
        primary = serializer.validated_data.pop("primary_rm", None)
        if not user.may_assign_rms:
            primary = user
        elif primary is None:
            raise exceptions.ValidationError({"primary_rm": [_("Choose the primary RM.")]})
        customer = Customer(
            **serializer.validated_data, primary_rm=primary, branch_id=primary.branch_id
        )
        serializer.instance = services.save_customer(actor=user, customer=customer, assistants=[])

    def perform_update(self, serializer):
        user = self.request.user
        customer = serializer.instance
        if not customer.editable_by(user):
            raise exceptions.PermissionDenied
        primary = serializer.validated_data.pop("primary_rm", None)
        if (
            "customer_no" in serializer.validated_data
            and serializer.validated_data["customer_no"] != customer.customer_no
        ):
            raise exceptions.ValidationError(
                {"customer_no": [_("The customer number cannot change.")]}
            )
        for field, value in serializer.validated_data.items():
            setattr(customer, field, value)
        if primary is not None and user.may_assign_rms:
            customer.primary_rm = primary
            customer.branch_id = primary.branch_id
        services.save_customer(actor=user, customer=customer, assistants=None)

    @extend_schema(responses=HoldingSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def holdings(self, request, pk=None):
        customer = self.get_object()
        rows = customer.holdings.select_related("product").order_by("matures_on", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HoldingSerializer(page, many=True).data)

    @extend_schema(responses=RelationSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def relations(self, request, pk=None):
        """Relations read from this customer's side. Like the 360 page, a related customer the
        caller may not open here is named without their id."""
        customer = self.get_object()
        rows = list(
            Relation.objects.filter(
                Q(from_customer=customer) | Q(to_customer=customer)
            ).select_related("from_customer", "to_customer")
        )
        others = {
            r.to_customer_id if r.from_customer_id == customer.pk else r.from_customer_id
            for r in rows
        }
        openable = (
            set(
                Customer.objects.visible_to(request.user)
                .active()
                .filter(pk__in=others)
                .values_list("pk", flat=True)
            )
            if others
            else set()
        )
        data = []
        for r in rows:
            outgoing = r.from_customer_id == customer.pk
            other = r.to_customer if outgoing else r.from_customer
            data.append(
                {
                    "customer": other.pk if other.pk in openable else None,
                    "name": other.name,
                    "kind": r.kind,
                    "label": str(
                        Relation.INVERSE_LABELS[r.kind] if outgoing else r.get_kind_display()
                    ),
                    "direction": "to" if outgoing else "from",
                }
            )
        return Response(RelationSerializer(data, many=True).data)


@extend_schema(tags=["customers"])
class ProductListView(generics.ListAPIView):
    """The product catalogue (not customer data: every logged-in user may read it)."""

    serializer_class = ProductSerializer
    queryset = Product.objects.order_by("category", "code")
    filterset_fields = ["category", "risk_level", "is_active"]
