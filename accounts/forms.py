from django import forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from crm.forms import StyledFormMixin

from .models import Branch, User

USER_FIELDS = [
    "username",
    "last_name",
    "first_name",
    "email",
    "role",
    "branch",
    "employee_no",
    "phone",
    "language",
]


class _BranchChoicesMixin:
    """Offers only the branches the acting user may see."""

    def limit_branches(self, actor, field="branch"):
        self.fields[field].queryset = Branch.objects.visible_to(actor).order_by("path")
        self.fields[field].label_from_instance = lambda b: "\u3000" * b.depth + str(b)


class _UserFieldsMixin(_BranchChoicesMixin):
    def clean_employee_no(self):
        # The database constraint would report this against the whole form; say it here,
        # next to the field.
        employee_no = self.cleaned_data["employee_no"]
        taken = User.objects.filter(employee_no=employee_no).exclude(pk=self.instance.pk)
        if employee_no and taken.exists():
            raise forms.ValidationError(_("Another user has this employee number."))
        return employee_no


class UserCreateForm(StyledFormMixin, _UserFieldsMixin, BaseUserCreationForm):
    class Meta:
        model = User
        fields = USER_FIELDS

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_branches(actor)


class UserEditForm(StyledFormMixin, _UserFieldsMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = [*USER_FIELDS, "is_active"]
        labels = {"is_active": _("Active (may log in)")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.limit_branches(actor)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk == self.actor.pk:
            if cleaned.get("is_active") is False:
                self.add_error("is_active", _("You cannot deactivate yourself."))
            if cleaned.get("role") and cleaned["role"] != User.Role.ADMIN:
                self.add_error("role", _("You cannot take away your own admin role."))
        return cleaned


class BranchForm(StyledFormMixin, _BranchChoicesMixin, forms.ModelForm):
    class Meta:
        model = Branch
        fields = ["code", "name", "level", "parent"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_branches(actor, field="parent")
        if self.instance.pk:
            # A branch cannot move under itself or its own sub-branches.
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                path__startswith=self.instance.path
            )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=User._meta.get_field("language").choices)
    next = forms.CharField(required=False)


class PreferencesForm(StyledFormMixin, forms.ModelForm):
    """Reminders: about assisted customers too, and which channels besides the inbox and the
    email digest. A channel that cannot reach the user is shown switched off, with why."""

    class Meta:
        model = User
        fields = ["remind_assisted", "wecom_userid", "remind_by_wecom", "remind_by_wecom_robot"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance
        off = {
            "remind_by_wecom": (
                not user.wecom_app_available,
                _("Off: the admins have not set up WeCom messages yet."),
            ),
            "remind_by_wecom_robot": (
                not user.wecom_robot_available,
                _("Off: your team has no WeCom group robot yet."),
            ),
        }
        for name, (is_off, why) in off.items():
            if is_off:
                self.fields[name].disabled = True
                self.initial[name] = False
                self.fields[name].help_text = why

    def _post_clean(self):
        super()._post_clean()
        for field, message in self.instance.wecom_choice_errors().items():
            if field not in self.errors:
                self.add_error(field, message)
