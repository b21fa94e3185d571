from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User
from crm.forms import StyledFormMixin
from customers.models import Customer
from visits.forms import CustomerPickField

from .models import (
    CareAction,
    Event,
    Gift,
    Invitee,
    Rectification,
    Ticket,
    TicketEvent,
    TicketType,
    validate_received_at,
)
from .services import handler_error


def _user_label(user):
    return user.get_full_name() or user.username


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class TicketForm(StyledFormMixin, forms.ModelForm):
    """Take a ticket at the counter or from a phone: the few fields first, the handler is
    the taker unless another is chosen."""

    customer = CustomerPickField(required=False)
    handler = UserChoiceField(queryset=User.objects.none(), required=False, label=_("Handler"))
    subject_rm = UserChoiceField(
        queryset=User.objects.none(), required=False, label=_("Staff complained about")
    )

    class Meta:
        model = Ticket
        fields = [
            "ticket_type",
            "customer",
            "contact_name",
            "contact_gender",
            "contact_phone",
            "channel",
            "category",
            "content",
            "subject_rm",
            "subject_unit",
            "handler",
            "promised_on",
            "received_at",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "promised_on": forms.DateInput(attrs={"type": "date"}),
            "received_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        help_texts = {
            "contact_name": _("For someone who is not a customer yet."),
            "received_at": _("Empty: now. The time limit runs from here."),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()
        self.fields["handler"].queryset = User.objects.visible_to(actor).filter(is_active=True)
        self.fields["subject_rm"].queryset = User.objects.filter(is_active=True).order_by(
            "branch__path", "username"
        )
        self.fields["subject_unit"].queryset = Branch.objects.all()
        self.fields["ticket_type"].initial = TicketType.COMPLAINT
        self.fields["channel"].initial = Ticket.Channel.BRANCH
        self.fields["received_at"].required = False
        self.fields["received_at"].initial = None

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at") or timezone.now()
        validate_received_at(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer") and not cleaned.get("contact_name"):
            self.add_error("contact_name", _("Choose a customer, or write the name of the person."))
        handler = cleaned.get("handler") or self.actor
        probe = Ticket(
            ticket_type=cleaned.get("ticket_type") or TicketType.COMPLAINT,
            customer=cleaned.get("customer"),
            subject_rm=cleaned.get("subject_rm"),
            subject_unit=cleaned.get("subject_unit"),
            handling_unit=handler.branch,
        )
        error = handler_error(ticket=probe, handler=handler)
        if error:
            self.add_error("handler", error)
        return cleaned


class DispatchForm(StyledFormMixin, forms.Form):
    handler = UserChoiceField(queryset=User.objects.none(), label=_("Handler"))

    def __init__(self, *args, actor, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["handler"].queryset = User.objects.visible_to(actor).filter(is_active=True)

    def clean_handler(self):
        handler = self.cleaned_data["handler"]
        self.ticket.handling_unit = handler.branch
        error = handler_error(ticket=self.ticket, handler=handler)
        if error:
            raise forms.ValidationError(error)
        return handler


class ResolutionForm(StyledFormMixin, forms.ModelForm):
    """The outcome; cause class, whether it is justified and the root cause are asked of
    complaints only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.is_complaint:
            for name in ("cause_class", "upheld", "root_cause"):
                del self.fields[name]

    class Meta:
        model = Ticket
        fields = ["cause_class", "upheld", "remedy", "root_cause", "answer", "satisfaction"]
        widgets = {
            "remedy": forms.Textarea(attrs={"rows": 2}),
            "root_cause": forms.Textarea(attrs={"rows": 2}),
            "answer": forms.Textarea(attrs={"rows": 2}),
            "upheld": forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))]),
        }


class ExtendForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=30, required=False)
    customer_notice = forms.CharField(
        label=_("Notice to the customer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed for a second extension."),
    )


class TicketEventForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TicketEvent
        fields = ["kind", "note"]
        widgets = {"note": forms.TextInput()}


class RectificationForm(StyledFormMixin, forms.ModelForm):
    owner = UserChoiceField(queryset=User.objects.none(), label=_("Owner"))

    class Meta:
        model = Rectification
        fields = ["action", "owner", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.visible_to(actor).filter(is_active=True)


class CareActionForm(StyledFormMixin, forms.ModelForm):
    customer = CustomerPickField()

    class Meta:
        model = CareAction
        fields = ["customer", "kind", "occasion", "festival", "done_on", "cost", "note"]
        widgets = {"done_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()


class GiftForm(StyledFormMixin, forms.ModelForm):
    customer = CustomerPickField()
    given = forms.BooleanField(
        label=_("Given today"),
        required=False,
        help_text=_("Above the limit a head approves the gift first."),
    )

    class Meta:
        model = Gift
        fields = ["customer", "item", "value", "occasion"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()


class CustomerEventForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Event
        fields = ["name", "kind", "starts_at", "place"]
        widgets = {"starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}


class InviteForm(StyledFormMixin, forms.Form):
    customer = CustomerPickField()

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.visible_to(actor).active()


class AttendanceForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Invitee
        fields = ["attended", "follow_up"]
        widgets = {
            "attended": forms.Select(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))])
        }
