"""Run in a process of its own (crm.settings, DATABASE_URL and REPLICA_DATABASE_URL set) by
test_replica.py: ``setup`` makes an admin and customers on the primary; ``probe`` opens the
report pages and runs an export job, and prints which database served their customer reads."""

import json
import sys

import django

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

CUSTOMER_TABLE = '"customers_customer"'


class Recorder:
    """The SQL each connection runs (without connecting, unlike CaptureQueriesContext)."""

    def __init__(self):
        self.sql = {"default": [], "replica": []}

    def __enter__(self):
        self.wrappers = []
        for alias, seen in self.sql.items():

            def wrapper(execute, sql, params, many, context, seen=seen):
                seen.append(sql)
                return execute(sql, params, many, context)

            manager = connections[alias].execute_wrapper(wrapper)
            manager.__enter__()
            self.wrappers.append(manager)
        return self

    def __exit__(self, *exc):
        for manager in self.wrappers:
            manager.__exit__(*exc)

    def customer_reads(self):
        return {
            alias: sum(
                1 for sql in statements if CUSTOMER_TABLE in sql and sql.startswith("SELECT")
            )
            for alias, statements in self.sql.items()
        }


def setup():
    from accounts.models import User
    from tests.factories import BranchFactory, CustomerFactory, UserFactory

    head_office = BranchFactory(code="HO", name="总行", level="head_office")
    rm = UserFactory(username="probe_rm", role=User.Role.RM, branch=head_office)
    UserFactory(username="probe_admin", role=User.Role.ADMIN, branch=head_office)
    for n in range(5):
        CustomerFactory(name=f"客户{n}", primary_rm=rm, monthly_avg_assets=2_000_000 + n)
    return {"ok": True}


def probe():
    from accounts.models import User
    from jobs import services
    from jobs.models import Job

    setup_test_environment()
    admin = User.objects.get(username="probe_admin")
    client = Client()
    client.force_login(admin)
    answers = {}
    for url in ("/visits/coverage/", "/customers/export/", "/customers/"):
        with Recorder() as recorder:
            response = client.get(url)
        answers[url] = {"status": response.status_code, **recorder.customer_reads()}
    job = Job.objects.create(owner=admin, kind="customers.export", params={"query": ""})
    with Recorder() as recorder:
        state = services.run_job(job.pk, worker="probe")
    answers["export job"] = {"status": state, **recorder.customer_reads()}
    return answers


if __name__ == "__main__":
    print(json.dumps({"setup": setup, "probe": probe}[sys.argv[1]]()))
