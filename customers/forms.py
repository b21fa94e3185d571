from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from crm.forms import StyledFormMixin

from . import validators
from .models import PROFILE_FIELDS, Customer, Tag
from .services import handover_targets


class RmChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return (
            f"{user.get_full_name() or user.username} · {user.branch.name if user.branch else ''}"
        )


class RmMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return RmChoiceField.label_from_instance(self, user)


class CustomerForm(StyledFormMixin, forms.ModelForm):
    """The customer file. Who holds it depends on the actor: an RM files customers as their
    own; a head or an admin picks the primary and assisting RMs among those they can see.

    The customer's rules (ID type and number, mobile, birth date, formulas) are the model's
    clean(), which calls customers.validators.check_customer like the API and the import."""

    primary_rm = RmChoiceField(queryset=User.objects.none(), label=_("Primary RM"))
    assistants = RmMultipleChoiceField(
        queryset=User.objects.none(), label=_("Assisting RMs"), required=False
    )
    # Wider than the stored 11 digits: "+86 138-1234-5678" is accepted and normalised.
    mobile = forms.CharField(label=_("mobile"), max_length=24, required=False)
    tag_names = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas, e.g. 高净值, 代发工资"),
    )

    class Meta:
        model = Customer
        fields = ["customer_no", *PROFILE_FIELDS]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "risk_assessed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "family_notes": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "customer_no": {"unique": _("A customer with this customer number already exists.")}
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        targets = handover_targets(actor).select_related("branch").order_by("username")
        if not actor.may_assign_rms:
            del self.fields["primary_rm"]
            del self.fields["assistants"]
        else:
            self.fields["primary_rm"].queryset = targets
            self.fields["assistants"].queryset = targets
        if self.instance.pk:
            self.fields["customer_no"].disabled = True
            if "assistants" in self.fields:
                self.initial["assistants"] = list(
                    self.instance.assistants.values_list("rm_id", flat=True)
                )
            self.initial["tag_names"] = ", ".join(t.name for t in self.instance.tags.all())

    def clean_mobile(self):
        mobile = self.cleaned_data.get("mobile", "")
        return validators.normalise_mobile(mobile) if mobile else ""

    def clean_tag_names(self):
        raw = self.cleaned_data.get("tag_names", "")
        names = [n.strip() for n in raw.replace("，", ",").split(",") if n.strip()]
        if any(len(n) > 30 for n in names):
            raise ValidationError(_("A tag has at most 30 characters."))
        return list(dict.fromkeys(names))

    def mobile_shared_with_others(self):
        """Whether another customer has this mobile number (a warning, not an error)."""
        mobile = self.cleaned_data.get("mobile")
        if not mobile:
            return False
        others = Customer.objects.filter(mobile=mobile)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        return others.exists()

    def tags(self):
        names = self.cleaned_data.get("tag_names", [])
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
        missing = [Tag(name=n) for n in names if n not in existing]
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        return list(Tag.objects.filter(name__in=names))


class HandoverForm(StyledFormMixin, forms.Form):
    from_rm = RmChoiceField(queryset=User.objects.none(), label=_("From RM"), required=False)
    to_rm = RmChoiceField(queryset=User.objects.none(), label=_("To RM"))
    whole_book = forms.BooleanField(
        label=_("Hand over the whole book of the RM above"), required=False
    )
    customers = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        targets = handover_targets(actor).select_related("branch").order_by("username")
        self.fields["to_rm"].queryset = targets
        # Any RM in scope can give customers away, including one already deactivated.
        self.fields["from_rm"].queryset = (
            User.objects.visible_to(actor)
            .filter(role=User.Role.RM)
            .select_related("branch")
            .order_by("username")
        )

    def clean_customers(self):
        raw = self.cleaned_data.get("customers", "")
        try:
            return [int(x) for x in raw.split(",") if x.strip()]
        except ValueError as error:
            raise ValidationError(_("The selection is not valid.")) from error

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("whole_book") and not cleaned.get("from_rm"):
            self.add_error("from_rm", _("Choose whose book to hand over."))
        if not cleaned.get("whole_book") and not cleaned.get("customers"):
            raise ValidationError(_("Select customers, or hand over a whole book."))
        if cleaned.get("from_rm") and cleaned.get("from_rm") == cleaned.get("to_rm"):
            self.add_error("to_rm", _("Choose a different RM."))
        return cleaned
