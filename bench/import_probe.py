"""``python -m bench.import_probe FILE``: import FILE as an admin, report, roll back.

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
    from django.db import connection, transaction

    from accounts.models import User
    from customers.imports import import_customers

    admin = User.objects.filter(role=User.Role.ADMIN).order_by("pk").first()
    data = Path(path).read_bytes()
    result = {}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            outcome = import_customers(name=Path(path).name, data=data, actor=admin)
            # The foreign keys are checked at commit: run those checks now, inside the timing.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            result = {"rows": outcome.created + outcome.updated, "created": outcome.created}
            raise Rollback
    except Rollback:
        pass
    result["seconds"] = round(seconds, 2)
    result["rows_per_second"] = round(result["rows"] / seconds)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
