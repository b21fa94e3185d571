from django.dispatch import receiver

from customers.signals import customers_handed_over

from . import services


@receiver(customers_handed_over)
def reminders_follow_the_customer(sender, customer_ids, to_rm, **kwargs):
    services.follow_handover(customer_ids=customer_ids, to_rm=to_rm)
