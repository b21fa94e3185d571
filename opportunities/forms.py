from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.forms import StyledFormMixin
from customers.models import Customer, Product

from . import services
from .models import LostReason, Opportunity, Stage, TargetEntry

LINE_SLOTS = 3
ASSISTANT_SLOTS = 2


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, product):
        flag = " · 双录" if product.needs_dual_recording else ""
        return f"{product.name} ({product.risk_level}){flag}"


class RmChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class OpportunityForm(StyledFormMixin, forms.ModelForm):
    """An opportunity with up to three product lines and two assisting RMs. The rules are
    ``services.check_opportunity``, the same as the API's."""

    class Meta:
        model = Opportunity
        fields = [
            "title",
            "type",
            "expected_close_on",
            "next_step",
            "next_step_on",
            "probability",
            "source",
            "competitor",
            "mode",
            "owner_share",
        ]
        widgets = {
            "expected_close_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_step_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["expected_close_on"].required = True
        self.fields["next_step"].required = True
        self.fields["next_step_on"].required = True
        if not self.instance.pk:
            del self.fields["probability"]
        else:
            self.fields["probability"].help_text = _(
                "Set by the stage; change it within the stage if you know better."
            )
        products = Product.objects.filter(is_active=True).order_by("category", "code")
        lines = list(self.instance.lines.all()) if self.instance.pk else []
        for i in range(1, LINE_SLOTS + 1):
            line = lines[i - 1] if i <= len(lines) else None
            self.fields[f"product_{i}"] = ProductChoiceField(
                products, required=False, label=_("Product %(n)d") % {"n": i}
            )
            self.fields[f"amount_{i}"] = forms.DecimalField(
                label=_("Amount %(n)d") % {"n": i},
                required=False,
                min_value=0,
                max_digits=16,
                decimal_places=2,
            )
            self.fields[f"revenue_{i}"] = forms.DecimalField(
                label=_("Expected revenue %(n)d") % {"n": i},
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
            )
            self.fields[f"recorded_{i}"] = forms.BooleanField(
                label=_("Recorded on audio and video (双录)"), required=False
            )
            if line:
                self.initial.update(
                    {
                        f"product_{i}": line.product_id,
                        f"amount_{i}": line.amount,
                        f"revenue_{i}": line.expected_revenue,
                        f"recorded_{i}": line.dual_recorded,
                    }
                )
        rms = services.assistant_choices(customer, self.instance.owner_id or None)
        helpers = list(self.instance.assistants.all()) if self.instance.pk else []
        for i in range(1, ASSISTANT_SLOTS + 1):
            helper = helpers[i - 1] if i <= len(helpers) else None
            self.fields[f"assistant_{i}"] = RmChoiceField(
                rms, required=False, label=_("Assisting RM %(n)d") % {"n": i}
            )
            self.fields[f"share_{i}"] = forms.IntegerField(
                label=_("Credit of assisting RM %(n)d (%%)") % {"n": i},
                required=False,
                min_value=0,
                max_value=100,
            )
            if helper:
                self.initial.update({f"assistant_{i}": helper.rm_id, f"share_{i}": helper.share})

    def clean(self):
        data = super().clean()
        lines, assistants = [], []
        for i in range(1, LINE_SLOTS + 1):
            product = data.get(f"product_{i}")
            if product:
                lines.append(
                    (
                        product,
                        data.get(f"amount_{i}") or 0,
                        data.get(f"revenue_{i}") or 0,
                        data.get(f"recorded_{i}"),
                    )
                )
        if len({line[0].pk for line in lines}) < len(lines):
            self.add_error("product_2", _("Each product once."))
        for i in range(1, ASSISTANT_SLOTS + 1):
            rm = data.get(f"assistant_{i}")
            if rm:
                assistants.append((rm, data.get(f"share_{i}") or 0))
        self.lines, self.assistants = lines, assistants
        values = {**data, "assistants": assistants}
        if "probability" not in self.fields:
            values.pop("probability", None)
        for field, messages in services.check_opportunity(
            values, is_open=not self.instance.pk or self.instance.is_open
        ).items():
            target = field if field in self.fields else "assistant_1"
            if target in self.errors:
                continue  # already said (e.g. "this field is required")
            for message in messages:
                self.add_error(target, message)
        return data


class MoveForm(StyledFormMixin, forms.Form):
    stage = forms.ModelChoiceField(Stage.objects.all(), label=_("Move to"), to_field_name="code")
    lost_reason = forms.ModelChoiceField(
        LostReason.objects.filter(is_active=True), label=_("Why it was lost"), required=False
    )
    lost_note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["stage"].queryset = Stage.objects.filter(code__in=targets)


class TargetListForm(StyledFormMixin, forms.Form):
    NO_LOAN = "no_loan"
    MATURING = "maturing"
    FILTERS = [
        ("", _("The customer list's filter below")),
        (NO_LOAN, _("Corporate customers without a loan (无贷户)")),
        (MATURING, _("Maturities over 1,000,000 next month")),
    ]
    theme = forms.CharField(label=_("Theme"), max_length=100)
    deadline = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    preset = forms.ChoiceField(label=_("Customers"), choices=FILTERS, required=False)
    query = forms.CharField(
        label=_("Customer list filter"),
        max_length=300,
        required=False,
        help_text=_("The part after “?” of the customer list's address, e.g. kind=corporate."),
    )


class FeedbackForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TargetEntry
        fields = ["feedback", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["feedback"].required = True

    def clean(self):
        data = super().clean()
        if data.get("feedback") == TargetEntry.Feedback.NOT_INTERESTED and not data.get("note"):
            self.add_error("note", _("Say why the customer is not interested."))
        return data


class UserFilterField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


__all__ = ["FeedbackForm", "MoveForm", "OpportunityForm", "TargetListForm", "User"]
