from django.dispatch import Signal

# Sent after customers moved to a new primary RM, with customer_ids, to_rm and actor, so that
# other modules (open reminders, planned visits) can follow the customer.
customers_handed_over = Signal()
