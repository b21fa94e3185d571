"""The customer list's filters and search, shared by the list page, the export and the API."""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User
from crm.forms import quicken

from .birthdays import birthday_between_q
from .models import AssetTier, Customer, Holding, StarLevel, Tag

MAX_WINDOW_DAYS = 366
# What an unset choice filter reads as: 全部 / All, never Django's "---------".
ALL = _("All")
_RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")
_LATIN = re.compile(r"^[A-Za-z0-9]+$")


def search(queryset, q: str):
    """Find customers by name, full pinyin or initials, customer number, mobile or ID number.

    Every branch is a prefix match on an indexed column (see PERFORMANCE.md): digits look
    at mobile, customer number and ID number; Latin letters at pinyin, initials and customer
    number; Chinese characters at the name.
    """
    # Spaces and control characters are never part of a name or a number (PostgreSQL also
    # refuses a NUL in a query parameter).
    q = re.sub(r"[\s\x00-\x1f\x7f]+", "", q or "")
    if not q:
        return queryset
    if _RESIDENT_ID.match(q):
        return queryset.filter(id_number=q.upper())
    if q.isdigit():
        return queryset.filter(
            Q(mobile__startswith=q) | Q(customer_no__startswith=q) | Q(id_number__startswith=q)
        )
    if _LATIN.match(q):
        lower = q.lower()
        return queryset.filter(
            Q(name_pinyin__startswith=lower)
            | Q(name_initials__startswith=lower)
            | Q(customer_no__startswith=q.upper())
        )
    return queryset.filter(name__startswith=q)


SORTS = {
    "value": ["-monthly_avg_assets", "-id"],
    "name": ["name_pinyin", "id"],
    "customer_no": ["customer_no"],
    "updated": ["-updated_at", "-id"],
}


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    asset_tier = django_filters.ModelChoiceFilter(
        label=_("Asset tier"),
        queryset=AssetTier.objects.all(),
        to_field_name="code",
        empty_label=ALL,
    )
    star_level = django_filters.ChoiceFilter(
        label=_("Star level"), choices=StarLevel.choices, empty_label=ALL
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Customer.Kind.choices, empty_label=ALL
    )
    lifecycle_stage = django_filters.ChoiceFilter(
        label=_("Lifecycle stage"), choices=Customer.Lifecycle.choices, empty_label=ALL
    )
    risk_grade = django_filters.ChoiceFilter(
        label=_("Risk tolerance"), choices=Customer.RiskGrade.choices, empty_label=ALL
    )
    branch = django_filters.ModelChoiceFilter(
        label=_("Branch"),
        queryset=Branch.objects.none(),
        method="filter_branch",
        empty_label=ALL,
    )
    rm = django_filters.ModelChoiceFilter(
        label=_("Primary RM"),
        queryset=User.objects.none(),
        field_name="primary_rm",
        empty_label=ALL,
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("Tag"),
        queryset=Tag.objects.all(),
        field_name="tags",
        to_field_name="name",
        empty_label=ALL,
    )
    birthday_within = django_filters.NumberFilter(
        label=_("Birthday within (days)"),
        method="filter_birthday",
        min_value=0,
        max_value=MAX_WINDOW_DAYS,
    )
    maturing_within = django_filters.NumberFilter(
        label=_("A holding matures within (days)"),
        method="filter_maturing",
        min_value=0,
        max_value=MAX_WINDOW_DAYS,
    )
    not_visited_within = django_filters.NumberFilter(
        label=_("Not visited in (days)"),
        method="filter_not_visited",
        min_value=1,
        max_value=MAX_WINDOW_DAYS * 3,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort"),
        method="filter_sort",
        empty_label=None,
        choices=[
            ("", _("Assets, highest first")),
            ("name", _("Name (pinyin)")),
            ("customer_no", _("Customer number")),
            ("updated", _("Recently updated")),
        ],
    )

    class Meta:
        model = Customer
        fields = []

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = request.user
        self.filters["branch"].queryset = Branch.objects.visible_to(user)
        self.filters["rm"].queryset = User.objects.visible_to(user).filter(role=User.Role.RM)
        for name in ("birthday_within", "maturing_within"):
            self.form.fields[name].widget.attrs.update({"min": 0, "max": MAX_WINDOW_DAYS})
        for field in self.form.fields.values():
            quicken(field.widget)
            # The panel's controls look like every other form's: Bootstrap's, full width.
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = css

    @property
    def qs(self):
        queryset = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("sort"):
            queryset = queryset.order_by(*SORTS["value"])
        return queryset

    def filter_q(self, queryset, name, value):
        return search(queryset, value)

    def filter_branch(self, queryset, name, branch):
        subtree = list(Branch.objects.subtree(branch).values_list("id", flat=True))
        return queryset.filter(branch_id__in=subtree)

    def filter_birthday(self, queryset, name, days):
        today = timezone.localdate()
        return queryset.filter(birthday_between_q(today, today + timedelta(days=int(days))))

    def filter_maturing(self, queryset, name, days):
        today = timezone.localdate()
        maturing = Holding.objects.filter(
            customer=OuterRef("pk"),
            status=Holding.Status.ACTIVE,
            matures_on__gte=today,
            matures_on__lte=today + timedelta(days=int(days)),
        )
        return queryset.filter(Exists(maturing))

    def filter_not_visited(self, queryset, name, days):
        """No completed visit in the last N days (never visited included)."""
        Visit = apps.get_model("visits", "Visit")  # visits builds on customers, not the reverse
        recent = Visit.objects.filter(
            customer=OuterRef("pk"),
            status="completed",
            completed_at__gte=timezone.now() - timedelta(days=int(days)),
        )
        return queryset.filter(~Exists(recent))

    def filter_sort(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS["value"]))
