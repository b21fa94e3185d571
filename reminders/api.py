import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from . import services
from .models import Reminder

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

    @transaction.atomic
    def update(self, reminder, validated_data):
        """Through the same services as the inbox page: a snooze never reopens a done
        reminder, and repeating a request changes nothing more."""
        try:
            if validated_data.get("done") is False:
                services.reopen(reminder=reminder)
            if validated_data.get("read"):
                services.mark_read(reminder=reminder)
            if "snoozed_until" in validated_data:
                services.snooze(
                    reminder=reminder,
                    until=validated_data["snoozed_until"],
                    today=timezone.localdate(),
                )
            if validated_data.get("done"):
                services.mark_done(reminder=reminder)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"snoozed_until": error.messages}) from error
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
    """The caller's own reminders. `PATCH` with `read`, `done` or `snoozed_until` (a day
    after today; a done reminder is not snoozed). Repeating a request changes nothing more."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return (
            Reminder.objects.visible_to(self.request.user)
            .select_related("recipient")
            .for_display()
            .order_by("-remind_on", "kind", "id")
        )
