"""Reports and exports read from a real streaming replica, and from the primary while the
replica lags or is down (crm.replica)."""

import json
import subprocess
import sys

import pytest

from tests.deploy.stack import ROOT, Postgres, django_env, manage, wait_for

pytestmark = pytest.mark.deploy

REPORTS = ("/visits/coverage/", "/customers/export/", "export job")


@pytest.fixture(scope="module")
def pair(deploy_dir):
    primary = Postgres.primary(deploy_dir / "replica-test-primary")
    primary.sql("CREATE DATABASE crm")
    replica = primary.replica(deploy_dir / "replica-test-replica")
    env = django_env(
        DATABASE_URL=primary.url(),
        REPLICA_DATABASE_URL=replica.url(),
        REPLICA_MAX_LAG_SECONDS=2,
        REPLICA_CHECK_SECONDS=0,
        CELERY_TASK_ALWAYS_EAGER="true",
    )
    manage("migrate", "--noinput", env={**env, "REPLICA_DATABASE_URL": ""})
    run(env, "setup")
    try:
        yield primary, replica, env
    finally:
        replica.stop(mode="immediate")
        primary.stop(mode="immediate")


def run(env, phase):
    result = subprocess.run(
        [sys.executable, "-m", "tests.deploy.replica_probe", phase],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def caught_up(replica):
    return (
        replica.sql("SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()") == "t"
        and replica.sql("SELECT count(*) FROM accounts_user", database="crm") != "0"
    )


def assert_read_from(answers, where):
    other = "default" if where == "replica" else "replica"
    for report in REPORTS:
        answer = answers[report]
        assert answer["status"] in (200, "done"), (report, answer)
        assert answer[where] > 0 and answer[other] == 0, (report, answers)
    # A page that is not a report always reads from the primary.
    assert answers["/customers/"]["replica"] == 0, answers


def test_reports_read_from_the_replica_and_fall_back_when_it_lags_or_is_down(pair):
    primary, replica, env = pair
    assert replica.sql("SELECT pg_is_in_recovery()") == "t"  # a real standby
    wait_for(lambda: caught_up(replica), what="the replica to catch up")
    assert_read_from(run(env, "probe"), "replica")

    # Lagging: replay paused while the primary keeps writing.
    replica.sql("SELECT pg_wal_replay_pause()")
    primary.sql("UPDATE customers_customer SET notes = notes || '.'", database="crm")
    wait_for(
        lambda: (
            float(replica.sql("SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())"))
            > 3
        ),
        what="the replica to lag",
    )
    assert_read_from(run(env, "probe"), "default")
    replica.sql("SELECT pg_wal_replay_resume()")
    wait_for(lambda: caught_up(replica), what="the replica to catch up")
    assert_read_from(run(env, "probe"), "replica")

    # Down: the same pages answer from the primary.
    replica.stop()
    assert_read_from(run(env, "probe"), "default")
    replica.start()
    wait_for(lambda: caught_up(replica), what="the replica to come back")
    assert_read_from(run(env, "probe"), "replica")
