from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("service/_clock.html")
def clock(ticket, now=None):
    """The ticket's clock as a badge: time left (red within a day), time past the limit, or
    whether it was answered in time."""
    now = now or timezone.now()
    if not ticket.is_running:
        late = ticket.answered_at and ticket.answered_at > ticket.due_at
        return {
            "text": _("answered late") if late else _("answered in time"),
            "style": "warning" if late else "success",
            "due_at": ticket.due_at,
        }
    left = ticket.due_at - now
    seconds = abs(int(left.total_seconds()))
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    span = (
        _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
        if days
        else _("%(hours)sh") % {"hours": hours}
    )
    if left.total_seconds() < 0:
        return {
            "text": _("%(span)s past the limit") % {"span": span},
            "style": "danger",
            "due_at": ticket.due_at,
        }
    style = "danger" if days < 1 else "warning" if days < 3 else "secondary"
    return {"text": _("%(span)s left") % {"span": span}, "style": style, "due_at": ticket.due_at}
