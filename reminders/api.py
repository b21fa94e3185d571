import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from crm.api_schema import ApiSchema

from .models import Reminder
from .views import RELATED

STATES = ["unread", "read", "done", "snoozed", "open"]


class ReminderSerializer(serializers.ModelSerializer):
    recipient = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    read = serializers.BooleanField(write_only=True, required=False)
    done = serializers.BooleanField(write_only=True, required=False)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "customer",
            "due_on",
            "remind_on",
            "recipient",
            "state",
            "message",
            "snoozed_until",
            "read",
            "done",
        ]
        read_only_fields = ["kind", "customer", "due_on", "remind_on"]

    def validate_snoozed_until(self, day):
        if day and day <= timezone.localdate():
            raise serializers.ValidationError(_("Choose a day after today to snooze until."))
        return day

    def update(self, reminder, validated_data):
        now = timezone.now()
        if validated_data.get("read"):
            reminder.read_at = reminder.read_at or now
        if "done" in validated_data:
            reminder.done_at = (reminder.done_at or now) if validated_data["done"] else None
        if "snoozed_until" in validated_data:
            reminder.snoozed_until = validated_data["snoozed_until"]
        reminder.save(update_fields=["read_at", "done_at", "snoozed_until"])
        return reminder


class ReminderFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter()
    since = django_filters.DateFilter(field_name="remind_on", lookup_expr="gte")
    until = django_filters.DateFilter(field_name="remind_on", lookup_expr="lte")
    state = django_filters.ChoiceFilter(choices=[(s, s) for s in STATES], method="filter_state")

    class Meta:
        model = Reminder
        fields = ["kind", "since", "until", "state"]

    def filter_state(self, queryset, name, value):
        today = timezone.localdate()
        if value == "done":
            return queryset.filter(done_at__isnull=False)
        if value == "snoozed":
            return queryset.filter(done_at__isnull=True, snoozed_until__gt=today)
        queryset = queryset.due(today)
        if value == "unread":
            return queryset.filter(read_at__isnull=True)
        if value == "read":
            return queryset.filter(read_at__isnull=False)
        return queryset


@extend_schema(tags=["reminders"])
class ReminderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own reminders. `PATCH` with `read`, `done` or `snoozed_until`."""

    schema = ApiSchema()
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Reminder.objects.visible_to(self.request.user)
            .select_related("recipient", *RELATED)
            .order_by("-remind_on", "kind", "id")
        )
