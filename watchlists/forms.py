from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from crm.forms import StyledFormMixin
from visits.forms import DATE_WIDGET, CheckboxList

from .models import OBSERVED_SIGNALS, SIGNAL_LABELS, Level, LoanCheck, Measure, Signal, WatchItem


def signal_field(required=False, all_signals=False):
    signals = Signal.values if all_signals else OBSERVED_SIGNALS
    return forms.MultipleChoiceField(
        label=_("Signals"),
        choices=[(str(s), SIGNAL_LABELS[s]) for s in signals],
        required=required,
        widget=CheckboxList,
    )


class ItemForm(StyledFormMixin, forms.Form):
    """Open a watch item, or change one: a few taps on a phone."""

    kind = forms.ChoiceField(
        label=pgettext_lazy("watch item", "Kind"), choices=WatchItem.Kind.choices
    )
    level = forms.TypedChoiceField(
        label=pgettext_lazy("watch item", "Level"), choices=Level.choices, coerce=int
    )
    signals = signal_field(required=True, all_signals=True)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    review_on = forms.DateField(label=_("Review on"), required=False, widget=DATE_WIDGET)

    def clean_review_on(self):
        day = self.cleaned_data.get("review_on")
        if day and day < timezone.localdate():
            raise forms.ValidationError(_("The review date cannot be in the past."))
        return day


def owner_choices(item):
    """Who can own a measure: the item's owner, the customer's RMs and the people of the
    customer's branch (heads, risk managers and RMs there)."""
    users = User.objects.filter(is_active=True).filter(
        pk__in=[item.owner_id, item.customer.primary_rm_id]
    ) | User.objects.filter(is_active=True, branch_id=item.customer.branch_id)
    return users.distinct().order_by("username")


class MeasureForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=Measure.Kind.choices)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE_WIDGET)

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(item)
        self.initial.setdefault("owner", item.owner_id)

    def clean_due_on(self):
        day = self.cleaned_data["due_on"]
        if day < timezone.localdate():
            raise forms.ValidationError(_("The due date cannot be in the past."))
        return day


class MeasureResultForm(StyledFormMixin, forms.Form):
    result = forms.CharField(
        label=_("Result"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveForm(StyledFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=WatchItem.State.choices)
    reason = forms.CharField(
        label=_("Reason or outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    exposure_reduced = forms.DecimalField(
        label=_("Exposure reduced (CNY)"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )


class CheckForm(StyledFormMixin, forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=LoanCheck.Result.choices)
    signals = signal_field()
    level = forms.TypedChoiceField(
        label=_("Warning level"),
        choices=[("", _("Keep the level")), *Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
