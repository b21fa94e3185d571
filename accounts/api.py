from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from .models import Branch, User


class BranchSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Branch
        fields = ["id", "code", "name", "level", "parent", "depth"]


class BranchBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name"]


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    branch = BranchBriefSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "role", "branch", "employee_no", "is_active"]


# What a user may change about themself through PATCH /api/me/.
WRITABLE = (
    "language",
    "remind_assisted",
    "wecom_userid",
    "remind_by_wecom",
    "remind_by_wecom_robot",
)


class MeSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    branch = BranchBriefSerializer(read_only=True)
    # Not an EmailField: a user without an address has "", which is no email address.
    email = serializers.CharField(
        read_only=True, help_text="The email address, or an empty string when there is none."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "role",
            "role_display",
            "branch",
            "employee_no",
            "email",
            "language",
            "remind_assisted",
            "wecom_userid",
            "remind_by_wecom",
            "remind_by_wecom_robot",
        ]
        read_only_fields = [f for f in fields if f not in WRITABLE]
        extra_kwargs = {
            "language": {"help_text": _("The language of the interface and of emails.")}
        }

    def validate(self, attrs):
        # The same rule as the Preferences page, on the user as the PATCH would leave them.
        user = User(**{f: getattr(self.instance, f) for f in WRITABLE}, branch=self.instance.branch)
        for field, value in attrs.items():
            setattr(user, field, value)
        errors = user.wecom_choice_errors()
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema(tags=["accounts"])
class MeView(generics.RetrieveUpdateAPIView):
    """The user behind the request. `PATCH` changes only the preferred language, whether to be
    reminded of the customers one assists (`remind_assisted`), the WeCom user id and the
    WeCom channels (`remind_by_wecom`, `remind_by_wecom_robot`)."""

    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return User.objects.select_related("branch").get(pk=self.request.user.pk)


@extend_schema(tags=["accounts"])
class BranchListView(generics.ListAPIView):
    """Branches the user may see: all for an admin, the subtree for a head, one's own for an RM."""

    serializer_class = BranchSerializer

    def get_queryset(self):
        return Branch.objects.visible_to(self.request.user).order_by("path")


@extend_schema(tags=["accounts"])
class UserListView(generics.ListAPIView):
    """Users the user may see: all for an admin, the subtree's for a head, oneself for an RM."""

    serializer_class = UserSerializer
    filterset_fields = ["role", "branch", "is_active"]

    def get_queryset(self):
        return User.objects.visible_to(self.request.user).select_related("branch").order_by("id")
