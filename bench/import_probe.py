"""``python -m bench.import_probe FILE``: import FILE as an admin, report, roll back.

The file goes the way of the import page's confirm step: kept in the default storage, then
imported by the background job's function (``customers.job_kinds.run_import``, progress
reported per chunk), in this process rather than a worker so that it can be rolled back.
Prints one JSON line: rows, seconds (reading, checking and writing the file), rows per second
and the peak resident memory of this process (Django itself included).
"""

import json
import os
import resource
import sys
import time
from pathlib import Path


class Rollback(Exception):
    pass


def main(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from django.core.files.storage import default_storage
    from django.db import connection, transaction

    from accounts.models import User
    from customers.job_kinds import run_import
    from jobs.models import Job
    from jobs.services import store_upload

    admin = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
    stored = store_upload(filename=Path(path).name, content=Path(path).read_bytes())
    result = {}
    try:
        with transaction.atomic():
            job = Job.objects.create(
                owner=admin,
                kind="customers.import",
                state=Job.State.RUNNING,
                params={"kind": "customers"},
                input_file=stored,
                input_filename=Path(path).name,
            )
            started = time.perf_counter()
            outcome = run_import(job)
            # The foreign keys are checked at commit: run those checks now, inside the timing.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            counts = outcome.counts
            result = {"rows": counts["created"] + counts["updated"], "created": counts["created"]}
            raise Rollback
    except Rollback:
        pass
    finally:
        default_storage.delete(stored)
    result["seconds"] = round(seconds, 2)
    result["rows_per_second"] = round(result["rows"] / seconds)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
