from django.dispatch import Signal

# Sent when a job's kind raised an unexpected error (not a JobFailed refusal), with ``job`` and
# ``exception``: operations records it for admins (the owner sees a plain message).
job_crashed = Signal()
