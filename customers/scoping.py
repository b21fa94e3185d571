"""The scope of records that hang off a customer (a visit, a watch item, an opportunity, a
complaint): one queryset base, so that the rule is written once.

A module's model says where its customer is and builds its queryset on the base::

    class OpportunityQuerySet(CustomerScopedQuerySet):
        customer_field = "customer"  # the default; a path such as "visit__customer" works

    class Opportunity(models.Model):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
        objects = OpportunityQuerySet.as_manager()

Views then read ``get_object_or_404(Opportunity.objects.visible_to(request.user), pk=pk)``.
"""

from django.db import models

from .models import Customer


class CustomerScopedQuerySet(models.QuerySet):
    # The path from the model to its customer, as a lookup (``customer``, ``visit__customer``).
    customer_field = "customer"

    def visible_to(self, user):
        """The records a user may see.

        Rule: a record is visible exactly when its customer is visible to the user
        (``Customer.objects.visible_to``, the one definition of a user's customer scope). A
        record is part of its customer's file: when the customer is handed over, archived or
        restored, its records follow. Inactive and anonymous users see none.

        Performance: an admin's scope is every customer, so no semi-join is written for it.
        For the others the customer scope is a subquery built as ``Customer.visible_to``
        builds it (an RM's assisted customers are read first and sent as one array, see
        ``crm/lookups.py``), so PostgreSQL plans ``customer_id IN (scope)`` from the real
        size of the scope.
        """
        if user.is_authenticated and user.is_active and user.is_admin:
            return self.all()
        return self.filter(**{f"{self.customer_field}__in": Customer.objects.visible_to(user)})
