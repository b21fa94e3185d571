from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.forms import StyledFormMixin
from customers.models import Customer, Product
from home.registry import VISIT_OUTCOME, extra_fields, save_extras

from .models import (
    Material,
    NeedTag,
    Visit,
    overlap_warning,
    validate_completed_at,
    validate_next_visit_on,
    validate_visit_time,
)

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# Hides the options whose text does not contain what was typed; checked ones stay checked.
class CheckboxList(forms.CheckboxSelectMultiple):
    """Several choices as plain checkboxes that show their tick: no Ctrl key on a desktop, one
    tap each on a phone. A list longer than ``filter_from`` scrolls in its own box under a
    field that filters it while typing.

    Written in Python, like ``crm.forms.QuickSelect``: one template per option is slow for a
    product list. The Bootstrap class given by ``StyledFormMixin`` (``form-control``, which
    drew the checkboxes as empty pills) is replaced with ``form-check-input``."""

    filter_from = 8

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = [option for _group, group, _index in widget["optgroups"] for option in group]
        base_id = widget["attrs"].get("id") or f"id_{name}"
        invalid = " is-invalid" if "is-invalid" in widget["attrs"].get("class", "") else ""
        long = len(options) > self.filter_from
        parts = [format_html('<div class="check-list" id="{}" role="group">', base_id)]
        if long:
            parts.append(
                format_html(
                    '<input type="search" class="form-control form-control-sm mb-1" '
                    'placeholder="{}" aria-label="{}" data-testid="check-list-filter" '
                    # static/js/shell.js filters the list below as one types.
                    "data-filters-next>",
                    _("Type to filter"),
                    _("Type to filter"),
                )
            )
            parts.append(
                '<div class="check-list-options border rounded px-2 py-1 overflow-auto" '
                'style="max-height: 13rem">'
            )
        else:
            parts.append('<div class="check-list-options d-flex flex-wrap column-gap-3">')
        for option in options:
            option_id = option["attrs"].get("id") or f"{base_id}_{option['index']}"
            parts.append(
                format_html(
                    '<div class="form-check"><input class="form-check-input{}" type="checkbox" '
                    'name="{}" value="{}" id="{}"{}><label class="form-check-label" for="{}">'
                    "{}</label></div>",
                    invalid,
                    option["name"],
                    option["value"],
                    option_id,
                    mark_safe(" checked") if option["selected"] else "",
                    option_id,
                    option["label"],
                )
            )
        parts.append("</div></div>")
        return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped or fixed


class CustomerPickField(forms.CharField):
    """A customer typed or picked from the suggestions: "C0000000123 张伟" or the number alone.

    Only customers the user may see are found; any other answer reads as "no such customer"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Customer"))
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(
            {
                "list": "customer-options",
                "autocomplete": "off",
                "autocapitalize": "none",
                "placeholder": _("Name, pinyin initials or mobile"),
                "hx-get": reverse_lazy("visits-customer-options"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#customer-options",
            }
        )
        self.queryset = Customer.objects.none()

    def prepare_value(self, value):
        if isinstance(value, Customer):
            return f"{value.customer_no} {value.name}"
        if isinstance(value, int):
            customer = Customer.objects.filter(pk=value).only("customer_no", "name").first()
            return f"{customer.customer_no} {customer.name}" if customer else ""
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        number = value.split()[0]
        customer = self.queryset.filter(customer_no=number).first()
        if customer is None:
            raise ValidationError(_("Choose one of your customers from the suggestions."))
        return customer


class VisitForm(StyledFormMixin, forms.ModelForm):
    """Plan a visit, or change one: who, when, where, why, and the preparation."""

    customer = CustomerPickField()
    companions = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, label=_("Companions"), widget=CheckboxList
    )
    materials = forms.ModelMultipleChoiceField(
        queryset=Material.objects.filter(is_active=True),
        required=False,
        label=_("Materials to bring"),
        widget=CheckboxList,
    )
    # Shown only when the time overlaps another visit: RMs do double-book on purpose.
    confirm_overlap = forms.BooleanField(
        label=_("Book it anyway"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Visit
        fields = [
            "customer",
            "channel",
            "planned_start",
            "planned_end",
            "place",
            "purpose",
            "companions",
            "objective",
            "expected_questions",
            "materials",
        ]
        widgets = {
            "planned_start": DATETIME_WIDGET,
            "planned_end": DATETIME_WIDGET,
            "objective": forms.Textarea(attrs={"rows": 2}),
            "expected_questions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()
        self.fields["companions"].queryset = (
            User.objects.filter(is_active=True, role__in=[User.Role.RM, User.Role.HEAD])
            .filter(branch__in=_colleague_branches(actor))
            .exclude(pk=actor.pk)
            .order_by("username")
        )
        for name in ("planned_start", "planned_end"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            self.fields[name].validators.append(validate_visit_time)
        if self.instance.pk:
            self.initial["customer"] = self.instance.customer

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The visit cannot end before it starts."))
        self.overlaps = []
        instance = self.instance
        moved = not instance.pk or (
            (cleaned.get("customer"), start, end)
            != (instance.customer, instance.planned_start, instance.planned_end)
        )
        if moved and not self.errors and not cleaned.get("confirm_overlap"):
            probe = Visit(
                pk=self.instance.pk,
                customer=cleaned.get("customer"),
                rm=self.instance.rm if self.instance.pk else self.actor,
                planned_start=start,
                planned_end=end,
            )
            self.overlaps = probe.overlaps(self.actor)
            if self.overlaps:
                field = self.fields["confirm_overlap"]
                field.widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
                self.add_error(
                    "confirm_overlap",
                    overlap_warning(self.overlaps)
                    + " "
                    + _("Tick “Book it anyway” and save again to keep both."),
                )
        return cleaned


def _colleague_branches(user):
    """Companions come from the user's own branch and the branches beside it under the same
    parent: the people who actually go along on a visit."""
    from accounts.models import Branch

    if user.branch_id is None:
        return Branch.objects.none()
    parent = user.branch.parent
    if parent is None:
        return Branch.objects.filter(pk=user.branch_id)
    return Branch.objects.subtree(parent)


class OutcomeExtrasMixin:
    """What other apps add to the outcome of a visit (a risk signal checklist, an
    opportunity): fields from ``home.registry.extra_fields(VISIT_OUTCOME, …)``, handed back
    to their apps by ``save_extras`` after the visit is saved. Visits names no module."""

    def add_extras(self, user, **subject):
        self.extras = extra_fields(VISIT_OUTCOME, user, **subject)
        self.fields.update(self.extras)  # the apps style their own widgets

    def save_extras(self, actor, **subject):
        values = {name: self.cleaned_data.get(name) for name in self.extras}
        save_extras(VISIT_OUTCOME, actor, values, **subject)


class OutcomeForm(OutcomeExtrasMixin, StyledFormMixin, forms.ModelForm):
    """Log how the visit went: the three tests of a good meeting and the next step."""

    need_names = forms.CharField(
        label=_("Needs discovered"),
        required=False,
        help_text=_("Separate with commas, e.g. 子女教育, 养老规划"),
    )
    products_discussed = forms.ModelMultipleChoiceField(
        queryset=Product.objects.filter(is_active=True).order_by("category", "code"),
        required=False,
        label=_("Products discussed"),
        widget=CheckboxList,
    )
    plan_follow_up = forms.BooleanField(
        label=_("Plan the next visit on that date"), required=False, initial=True
    )
    completed_at = forms.DateTimeField(
        label=_("Completed at"),
        help_text=_("When the visit actually ended; not before it started, not later than now."),
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    field_order = ["completed_at"]  # when it happened, then how it went

    class Meta:
        model = Visit
        fields = [
            "summary",
            "purpose_met",
            "value_given",
            "next_step_agreed",
            "next_step",
            "next_visit_on",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3}), "next_visit_on": DATE_WIDGET}

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_extras(actor, visit=self.instance, customer=self.instance.customer)
        self.fields["summary"].required = True
        self.initial["completed_at"] = timezone.localtime(
            self.instance.completed_at or timezone.now()
        )
        if self.instance.pk:
            self.initial["need_names"] = ", ".join(n.name for n in self.instance.needs.all())

    def clean_completed_at(self):
        completed_at = self.cleaned_data["completed_at"]
        validate_completed_at(self.instance, completed_at)
        return completed_at

    def clean_next_visit_on(self):
        day = self.cleaned_data.get("next_visit_on")
        validate_next_visit_on(day)
        return day

    def clean(self):
        cleaned = super().clean()
        if self.instance.status == Visit.Status.CANCELLED:
            raise ValidationError(_("A cancelled visit cannot be logged as completed."))
        return cleaned

    def need_tags(self):
        raw = self.cleaned_data.get("need_names", "")
        names = list(
            dict.fromkeys(n.strip() for n in raw.replace("，", ",").split(",") if n.strip())
        )
        NeedTag.objects.bulk_create([NeedTag(name=n[:30]) for n in names], ignore_conflicts=True)
        return list(NeedTag.objects.filter(name__in=[n[:30] for n in names]))


class QuickLogForm(OutcomeExtrasMixin, StyledFormMixin, forms.Form):
    """A completed visit from a phone in under a minute: who, how, what, and when next."""

    customer = CustomerPickField()
    channel = forms.ChoiceField(label=_("Channel"), choices=Visit.Channel.choices)
    summary = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    next_visit_on = forms.DateField(label=_("Next visit on"), required=False, widget=DATE_WIDGET)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()
        self.add_extras(actor, visit=None, customer=None)

    def clean_next_visit_on(self):
        day = self.cleaned_data.get("next_visit_on")
        validate_next_visit_on(day)
        return day


class DiaryNoteForm(forms.Form):
    day = forms.DateField()
    text = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
