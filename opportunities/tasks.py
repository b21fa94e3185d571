from celery import shared_task

from . import nightly


@shared_task
def create_maturity_opportunities():
    """Nightly: maturities within the window become retention opportunities."""
    return nightly.create_maturity_opportunities()


@shared_task
def compute_suggestions():
    """Nightly: each customer's gap suggestions."""
    return nightly.compute_suggestions()


@shared_task
def snapshot_pipeline():
    """Nightly: the pipeline added up per branch and owner, for the heads' review."""
    return nightly.snapshot_pipeline()
