"""The risk data import as a job an admin watches (the same importer as the command)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.imports import ImportRejected
from jobs import registry
from jobs.services import read_file

from . import rules
from .imports import import_risk_signals

IMPORT = "watchlists.import_risk"
CREDIT_RULES = {"overdue", "downgrade", "account_status"}


def run_import(job):
    try:
        result = import_risk_signals(name=job.input_filename, data=read_file(job.input_file))
    except ImportRejected as rejected:
        raise registry.JobFailed(
            "; ".join(str(e) for e in rejected.errors[:20]),
            counts={"problems": len(rejected.errors)},
        ) from rejected
    found = rules.evaluate(keys=CREDIT_RULES)
    opened = sum(counts["opened"] for counts in found.values())
    return registry.Outcome(
        message=_(
            "%(created)d new, %(updated)d updated, %(unchanged)d unchanged; "
            "%(opened)d watch items opened."
        )
        % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "opened": opened,
        },
        counts={"created": result.created, "updated": result.updated, "opened": opened},
    )


registry.register(IMPORT, gettext_lazy("Risk data import"), run_import)
