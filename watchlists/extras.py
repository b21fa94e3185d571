"""The signal checklist on the visit outcome form and the quick log (``home.registry``
form extras): ticking a signal opens a watch item on the customer, or adds the visit as
evidence to its open one and raises its level when the RM says so."""

from django import forms
from django.utils.translation import gettext_lazy as _

from home.registry import VISIT_OUTCOME, register_form_extra
from visits.forms import CheckboxList

from .models import OBSERVED_SIGNALS, SIGNAL_LABELS, Level, WatchItem


def signal_fields(user, **subject):
    if user is None or not user.is_active:
        return None
    return {
        "signals": forms.MultipleChoiceField(
            label=_("Risk signals seen"),
            choices=[(str(s), SIGNAL_LABELS[s]) for s in OBSERVED_SIGNALS],
            required=False,
            widget=CheckboxList,
            help_text=_("Ticking one opens a watch item, or adds this visit to the open one."),
        ),
        "level": forms.TypedChoiceField(
            label=_("Warning level"),
            choices=[("", _("Keep the level")), *Level.choices],
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
    }


def save_signals(actor, values, *, visit=None, customer=None):
    from . import services

    signals = values.get("signals") or []
    if not signals or customer is None:
        return
    services.record_signals(
        actor=actor,
        customer=customer,
        signals=signals,
        source=WatchItem.Source.VISIT,
        level=values.get("level"),
        note=(visit.summary if visit is not None else "")[:500],
        visit_id=visit.pk if visit is not None else None,
    )


register_form_extra(
    key="watch", form=VISIT_OUTCOME, fields=signal_fields, save=save_signals, order=10
)
