"""Signals other modules receive; the service module imports none of them.

``retention_needed`` is sent (with ``sender=Ticket``) when a complaint comes from a customer
at the wealth tier or above, with the keyword arguments ``ticket``, ``customer`` and ``rm``
(the customer's primary RM). A receiver that takes over the retention follow-up (the
opportunities module opening an opportunity of type *retain*) returns a short label naming
itself (e.g. ``"opportunities"``), which is kept on the ticket (``retention_by``). When no
receiver returns a label, the service module plans a visit for the primary RM instead.
"""

from django.dispatch import Signal

retention_needed = Signal()
