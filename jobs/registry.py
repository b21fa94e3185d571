"""Kinds of job, contributed by the apps that own the work.

An app registers a kind in its ``AppConfig.ready`` (or a module it imports there)::

    jobs.registry.register("customers.import", _("Customer import"), run_import)

``run(job)`` does the work: it reads ``job.params`` and ``job.input_file``, calls
``jobs.services.report_progress`` as it goes, and returns an :class:`Outcome`; to refuse the
work with a message for the user (and optionally a report file) it raises :class:`JobFailed`.
The runner (``jobs.services.run_job``) records either; any other exception fails the job with
a generic message and is logged with its traceback.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


@dataclass
class Outcome:
    message: str = ""
    counts: dict = field(default_factory=dict)
    filename: str = ""  # the result's download name; empty when there is no file
    content: bytes = b""


class JobFailed(Exception):
    def __init__(self, message, *, filename="", content=b"", counts=None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.content = content
        self.counts = counts or {}


@dataclass(frozen=True)
class JobKind:
    key: str
    label: object
    run: object


KINDS: dict[str, JobKind] = {}


def register(key, label, run):
    KINDS[key] = JobKind(key, label, run)


def kind_label(key) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else _("Background job")
