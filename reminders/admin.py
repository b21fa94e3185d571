from django.contrib import admin

from customers.admin import AdminOnlyMixin

from .models import LeadTime


@admin.register(LeadTime)
class LeadTimeAdmin(AdminOnlyMixin, admin.ModelAdmin):
    """Admins set how many days ahead each kind of reminder comes; with no row for a kind
    the defaults apply (birthdays 3 and 0, maturities 30, 7 and 1 per maturing category)."""

    list_display = ["kind", "product_category", "days"]
    list_filter = ["kind"]
