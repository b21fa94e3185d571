"""The history of every state machine: one generic table of moves (who, when, from, to, why).

One table serves every module (a watch item, an opportunity, a complaint), found by content
type and object id, so a module adds no history model and no migration for it. A module that
wants ``record.state_changes`` declares ``GenericRelation(StateChange)`` on its model.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StateChangeQuerySet(models.QuerySet):
    def of(self, obj):
        """The moves of one record, oldest first."""
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        return self.filter(content_type=content_type, object_id=obj.pk).order_by("at", "id")


class StateChange(models.Model):
    """One move of a record from one state to another, written by ``workflow.services.move``
    in the same transaction as the move itself: a row here means the move happened."""

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    from_state = models.CharField(_("from state"), max_length=30)
    to_state = models.CharField(_("to state"), max_length=30)
    # None: moved by the system (a scheduled job), never by an anonymous person.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("moved at"), default=timezone.now)
    why = models.JSONField(_("reason"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = StateChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"], name="state_change_record")
        ]

    def __str__(self):
        return f"{self.content_type_id}:{self.object_id} {self.from_state} → {self.to_state}"
