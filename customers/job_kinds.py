"""The customer archive's background jobs: the write step of an import (and large exports).

Collected by the jobs app at start (``jobs.apps``), like ``admin.py`` by the Django admin.
"""

from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jobs import registry
from jobs.services import read_file, report_progress

from . import imports
from .imports import IMPORTERS, ImportRejected

IMPORT = "customers.import"
EXPORT = "customers.export"


def run_import(job):
    """Import the job's uploaded file (customers, holdings or balances, ``params["kind"]``)
    as its owner, all or nothing, in one transaction: a rejected file raises JobFailed with
    the problem report, and a worker killed mid-way leaves the database as it was."""
    importer, _columns = IMPORTERS[job.params["kind"]]
    name = job.input_filename
    data = read_file(job.input_file)
    try:
        result = importer(
            name=name,
            data=data,
            actor=job.owner,
            progress=lambda done, total: report_progress(job, done, total),
        )
    except ImportRejected as rejected:
        count = len(rejected.errors)
        report = {}
        if any(e.row > 1 for e in rejected.errors):
            report = {
                "filename": f"{Path(name).stem}-{_('problems')}.xlsx",
                "content": imports.error_report(name=name, data=data, errors=rejected.errors),
            }
        raise registry.JobFailed(
            ngettext(
                "The file was rejected: %(n)s problem. Nothing was imported.",
                "The file was rejected: %(n)s problems. Nothing was imported.",
                count,
            )
            % {"n": count},
            counts={"problems": count},
            **report,
        ) from rejected
    return registry.Outcome(
        message=_(
            "%(file)s imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
        )
        % {
            "file": name,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
        counts={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        },
    )


def run_export(job):
    """Write the owner's customer list with the filters they chose (``params["query"]``), in
    the owner's scope as it is when the job runs; the file is the job's result."""
    from django.http import QueryDict

    from .exports import customers_to_export, write_export

    query = QueryDict(job.params.get("query", ""))
    customers = customers_to_export(job.owner, query)
    if customers is None:
        raise registry.JobFailed(_("Some filters are not valid."))
    total = customers[: exports_cap() + 1].count()
    report_progress(job, 0, min(total, exports_cap()))
    filename, content, written = write_export(
        user=job.owner, query=query, progress=lambda done: report_progress(job, done)
    )
    return registry.Outcome(
        message=_("%(count)s customers.") % {"count": f"{written:,}"},
        counts={"customers": written},
        filename=filename,
        content=content,
    )


def exports_cap() -> int:
    from .views import EXPORT_MAX_ROWS

    return EXPORT_MAX_ROWS


registry.register(IMPORT, gettext_lazy("Import from core banking"), run_import)
registry.register(EXPORT, gettext_lazy("Export to Excel"), run_export)
