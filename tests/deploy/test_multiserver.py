"""The recipe for more machines, brought up on this one: nginx (Debian's, with the site file
of deploy/nginx/) in front of two gunicorn web servers started as deploy/systemd/ starts them,
two Celery workers and one beat on Redis, PostgreSQL. It shows that a session and an upload
work whichever server answers; that jobs, reminders and digests happen exactly once with two
workers; that stopping a web server or a worker loses no request and no job; and that /readyz
names the part that is down (the beat, Redis, PostgreSQL) and is well again once it is back.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.deploy.stack import (
    BIN,
    ROOT,
    Postgres,
    Process,
    django_env,
    free_port,
    manage,
    port_open,
    redis_server,
    wait_for,
)

pytestmark = pytest.mark.deploy

PASSWORD = "Multi-server-test-1"
ROWS_PER_IMPORT = 300
SETUP = (
    f"PASSWORD = {PASSWORD!r}\n"
    + """
from datetime import date, timedelta
from accounts.models import Branch, User
from tests.factories import CustomerFactory
from watchlists import services
from watchlists.models import Level, WatchItem
ho = Branch.objects.create(code="HO", name="总行", level=Branch.Level.HEAD_OFFICE)
b1 = Branch.objects.create(code="B1", name="分行", level=Branch.Level.BRANCH, parent=ho)
b1a = Branch.objects.create(code="B1A", name="支行", parent=b1)
for name, role, branch in (
    ("ms_admin", User.Role.ADMIN, ho), ("ms_head", User.Role.HEAD, b1), ("ms_rm", User.Role.RM, b1a)
):
    user = User(username=name, role=role, branch=branch, email=f"{name}@example.com")
    user.set_password(PASSWORD)
    user.save()
rm = User.objects.get(username="ms_rm")
today = date.today()
for n in range(10):
    day = today + timedelta(days=n)
    CustomerFactory(name=f"寿星{n}", primary_rm=rm, birth_date=day.replace(year=1980))
# A severe watch item whose review is long overdue: the nightly run escalates it one level.
services.open_item(
    actor=rm, customer=CustomerFactory(name="风险客户", primary_rm=rm), kind=WatchItem.Kind.CREDIT,
    level=Level.SEVERE, source=WatchItem.Source.RM, signals=["large_flow"],
    review_on=today - timedelta(days=20), measure=("call", rm, today - timedelta(days=15)),
)
"""
)


def unit_command(unit: str, **values) -> list[str]:
    """The ExecStart of a shipped systemd unit, with %i and ${…} filled in, run from the
    interpreter running the tests instead of /srv/crm/.venv."""
    text = (ROOT / "deploy" / "systemd" / unit).read_text()
    (line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    command = line.removeprefix("ExecStart=")
    for name, value in values.items():
        command = command.replace(name, str(value))
    assert "${" not in command and "%i" not in command, command
    words = shlex.split(command)
    words[0] = str(BIN / Path(words[0]).name)
    return words


def nginx_site(web_ports, https_port, http_port, static_root, cert, key) -> str:
    site = (ROOT / "deploy" / "nginx" / "crm.conf").read_text()
    replacements = {
        "server 127.0.0.1:8001 ": f"server 127.0.0.1:{web_ports[0]} ",
        "server 127.0.0.1:8002 ": f"server 127.0.0.1:{web_ports[1]} ",
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/ssl/certs/crm.example.com.pem": str(cert),
        "/etc/ssl/private/crm.example.com.key": str(key),
        "/srv/crm/var/staticfiles/": f"{static_root}/",
    }
    for old, new in replacements.items():
        assert old in site, f"the shipped nginx site no longer has {old!r}"
        site = site.replace(old, new)
    return site


class Stack:
    pass


@pytest.fixture(scope="module")
def stack(deploy_dir):
    folder = deploy_dir / "multiserver"
    folder.mkdir()
    folder.chmod(0o755)
    logs = folder / "logs"
    logs.mkdir()
    s = Stack()
    s.logs = logs
    s.postgres = Postgres.primary(folder / "postgres")
    s.postgres.sql("CREATE DATABASE crm")
    s.redis = redis_server(folder)
    static_root = folder / "static"
    s.media = folder / "files"
    s.media.mkdir()
    s.env = django_env(
        DJANGO_ENV="production",
        SECRET_KEY="multi-server-test-" + "k" * 48,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO",
        SECURE_HSTS_SECONDS=0,
        DATABASE_URL=s.postgres.url(),
        CELERY_BROKER_URL=f"redis://127.0.0.1:{s.redis.port}/0",
        JOBS_CACHE_URL=f"redis://127.0.0.1:{s.redis.port}/1",
        MEDIA_ROOT=s.media,
        STATIC_ROOT=static_root,
        EMAIL_URL="consolemail://",
        BEAT_HEARTBEAT_SECONDS=1,
        BEAT_SILENCE_SECONDS=6,
        READYZ_TIMEOUT_SECONDS=2,
        JOB_STALE_SECONDS=600,
        WEB_WORKERS=1,
        WEB_THREADS=4,
        WORKER_CONCURRENCY=1,
    )
    manage("migrate", "--noinput", env=s.env)
    manage("collectstatic", "--noinput", env=s.env)
    manage("shell", "-c", SETUP, env=s.env)
    static_root.chmod(0o755)

    s.web_ports = [free_port(), free_port()]
    s.web = [
        Process(
            f"web{n}",
            unit_command(
                "crm-web@.service", **{"%i": port, "${WEB_WORKERS}": 1, "${WEB_THREADS}": 4}
            ),
            env=s.env,
            log=logs / f"web{n}.log",
        )
        for n, port in enumerate(s.web_ports, start=1)
    ]
    s.workers = [
        Process(
            f"worker{n}",
            unit_command(
                "crm-worker@.service", **{"%i": n, "%H": "test", "${WORKER_CONCURRENCY}": 1}
            ),
            env=s.env,
            log=logs / f"worker{n}.log",
        )
        for n in (1, 2)
    ]
    s.beat = Process("beat", unit_command("crm-beat.service"), env=s.env, log=logs / "beat.log")
    for process in (*s.web, *s.workers, s.beat):
        process.start()

    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    s.https_port, http_port = free_port(), free_port()
    (folder / "site.conf").write_text(
        nginx_site(s.web_ports, s.https_port, http_port, static_root, cert, key)
    )
    for temp in ("client_body", "proxy"):
        (folder / temp).mkdir()
        (folder / temp).chmod(0o777)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {logs}/nginx-error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n  include /etc/nginx/mime.types;\n"
        f"  access_log {logs}/nginx-access.log;\n"
        f"  client_body_temp_path {folder}/client_body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/proxy;\n  uwsgi_temp_path {folder}/proxy;\n"
        f"  scgi_temp_path {folder}/proxy;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    s.nginx = Process(
        "nginx",
        [
            "/usr/sbin/nginx",
            "-p",
            str(folder),
            "-c",
            str(folder / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        env=dict(os.environ),
        log=logs / "nginx.log",
    ).start()
    s.url = f"https://127.0.0.1:{s.https_port}"
    s.cert = str(cert)
    try:
        wait_for(lambda: port_open(s.https_port), what="nginx")
        for port in s.web_ports:
            wait_for(lambda port=port: port_open(port), what=f"gunicorn on {port}")
        for worker in s.workers:
            worker.wait_for_output(" ready.")
        yield s
    finally:
        for process in (s.nginx, *s.web, *s.workers, s.beat):
            process.stop()
        s.redis.stop()
        s.postgres.stop(mode="immediate")
        for path in sorted(logs.iterdir()):
            print(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")


def client(stack):
    """Talks to nginx over HTTPS, trusting the test's own certificate (and nothing from the
    environment: no proxy, no other CA bundle)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = stack.cert
    return session


def browser(stack, username):
    """A logged-in session through nginx, as a browser keeps it (cookies, the Referer)."""
    session = client(stack)
    page = session.get(f"{stack.url}/accounts/login/", timeout=30)
    assert page.status_code == 200
    session.post(
        f"{stack.url}/accounts/login/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{stack.url}/accounts/login/"},
        timeout=30,
    ).raise_for_status()
    return session


def post(session, stack, path, data=None, files=None):
    return session.post(
        f"{stack.url}{path}",
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], **(data or {})},
        files=files,
        headers={"Referer": f"{stack.url}{path}"},
        timeout=60,
        allow_redirects=False,
    )


def served_by(stack, request_ids) -> dict:
    """Which web server wrote the access line of each request id."""
    where = {}
    for process in stack.web:
        for line in process.output().splitlines():
            if '"crm.access"' in line:
                entry = json.loads(line)
                if entry["request_id"] in request_ids:
                    where[entry["request_id"]] = process.name
    return where


def import_file(n) -> bytes:
    rows = ["customer_no,name,kind,primary_rm"]
    rows += [f"MS{n}-{i:05d},客户{n}-{i},individual,ms_rm" for i in range(ROWS_PER_IMPORT)]
    return ("\n".join(rows) + "\n").encode()


def start_import(session, stack, n) -> int:
    name = f"import-{n}.csv"
    checked = post(
        session,
        stack,
        "/customers/import/",
        {"step": "check", "kind": "customers"},
        files={"file": (name, import_file(n), "text/csv")},
    )
    assert checked.status_code == 200, checked.text[-2000:]
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    confirmed = post(
        session,
        stack,
        "/customers/import/",
        {"step": "confirm", "kind": "customers", "token": token},
    )
    assert confirmed.status_code == 302, confirmed.text[-2000:]
    return int(re.search(r"/jobs/(\d+)/", confirmed.headers["Location"]).group(1))


def sql(stack, statement) -> str:
    return stack.postgres.sql(statement, database="crm")


def jobs_ended(stack, ids) -> bool:
    listed = ",".join(map(str, ids))
    return sql(
        stack,
        f"SELECT count(*) FROM jobs_job WHERE id IN ({listed}) AND state IN ('done', 'failed')",
    ) == str(len(ids))


def shell(stack, code):
    return manage("shell", "-c", code, env=stack.env)


def test_static_files_come_from_nginx_and_pages_over_https_only(stack):
    session = client(stack)
    css = session.get(f"{stack.url}/static/css/crm.css", timeout=10)
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]
    assert session.get(f"{stack.url}/healthz", timeout=10).json() == {"status": "ok"}
    # X-Forwarded-Proto from nginx: Django knows the request was HTTPS (no redirect loop).
    assert session.get(f"{stack.url}/accounts/login/", timeout=10).status_code == 200


def test_a_session_and_an_upload_work_whichever_server_answers(stack):
    rm = browser(stack, "ms_rm")
    ids = []
    for n in range(10):
        response = rm.get(f"{stack.url}/", headers={"X-Request-ID": f"session-{n}"}, timeout=30)
        assert response.status_code == 200 and "ms_rm" in response.text
        ids.append(f"session-{n}")
    assert set(served_by(stack, ids).values()) == {"web1", "web2"}

    admin = browser(stack, "ms_admin")
    job = start_import(admin, stack, 0)  # checked on one server, confirmed on the other
    wait_for(lambda: jobs_ended(stack, [job]), timeout=120, what="the import")
    assert sql(stack, f"SELECT state FROM jobs_job WHERE id = {job}") == "done"
    assert sql(
        stack, "SELECT count(*) FROM customers_customer WHERE customer_no LIKE 'MS0-%'"
    ) == str(ROWS_PER_IMPORT)
    page = admin.get(f"{stack.url}/jobs/{job}/", timeout=30)
    assert page.status_code == 200


def test_an_upload_past_the_limit_is_refused_by_nginx(stack):
    admin = browser(stack, "ms_admin")
    response = post(
        admin,
        stack,
        "/customers/import/",
        {"step": "check"},
        files={"file": ("big.csv", b"x" * (52 * 1024 * 1024), "text/csv")},
    )
    assert response.status_code == 413


def test_jobs_reminders_escalations_and_digests_happen_once_with_two_workers(stack):
    admin = browser(stack, "ms_admin")
    jobs = [start_import(admin, stack, n) for n in range(1, 7)]
    wait_for(lambda: jobs_ended(stack, jobs), timeout=240, what="the imports")
    listed = ",".join(map(str, jobs))
    assert (
        sql(stack, f"SELECT count(*) FROM jobs_job WHERE id IN ({listed}) AND state = 'done'")
        == "6"
    )
    assert sql(
        stack,
        "SELECT count(*) FROM customers_customer WHERE customer_no LIKE 'MS_-%' "
        "AND customer_no NOT LIKE 'MS0-%'",
    ) == str(6 * ROWS_PER_IMPORT)
    workers = sql(
        stack,
        f"SELECT string_agg(DISTINCT split_part(worker, '@', 1), ',') "
        f"FROM jobs_job WHERE id IN ({listed})",
    )
    assert set(workers.split(",")) == {"worker1", "worker2"}

    # The morning's reminders and digests, sent twice at once: each worker takes one.
    before = int(sql(stack, "SELECT count(*) FROM reminders_reminder"))
    shell(stack, "from reminders.tasks import generate_daily_reminders as t; t.delay(); t.delay()")
    wait_for(
        lambda: int(sql(stack, "SELECT count(*) FROM reminders_reminder")) > before,
        timeout=60,
        what="reminders",
    )
    time.sleep(3)
    made = int(sql(stack, "SELECT count(*) FROM reminders_reminder"))
    shell(stack, "from reminders.tasks import generate_daily_reminders as t; t.delay()")
    time.sleep(3)
    assert int(sql(stack, "SELECT count(*) FROM reminders_reminder")) == made
    assert made == int(
        sql(
            stack,
            "SELECT count(DISTINCT (kind, subject_key, due_on, lead_days, "
            "recipient_id)) FROM reminders_reminder",
        )
    )

    # The nightly watchlist run (rules, checks, escalation), twice at once: one climb.
    shell(stack, "from watchlists.tasks import nightly as t; t.delay(); t.delay()")
    wait_for(
        lambda: sql(stack, "SELECT count(*) FROM watchlists_escalation") != "0",
        timeout=60,
        what="the escalation",
    )
    time.sleep(3)
    assert sql(stack, "SELECT count(*) FROM watchlists_escalation") == "1"
    assert sql(stack, "SELECT escalation_level FROM watchlists_watchitem") == "1"

    shell(stack, "from reminders.tasks import send_daily_digests as t; t.delay(); t.delay()")
    wait_for(
        lambda: (
            sql(stack, "SELECT count(*) FROM reminders_digest WHERE sent_at IS NOT NULL") != "0"
        ),
        timeout=60,
        what="digests",
    )
    time.sleep(3)
    # One email per user who has something due (the RM; the head, to whom the item climbed).
    for user in ("ms_rm", "ms_head"):
        digests = sql(
            stack,
            "SELECT count(*) FROM reminders_digest d JOIN accounts_user u ON u.id = d.user_id "
            f"WHERE u.username = '{user}' AND d.sent_at IS NOT NULL",
        )
        emails = sum(w.output().count(f"To: {user}@example.com") for w in stack.workers)
        assert (user, emails) == (user, int(digests))
        assert emails <= 1
    assert sum(w.output().count("To: ms_rm@example.com") for w in stack.workers) == 1


def test_stopping_a_web_server_loses_no_request(stack):
    rm = browser(stack, "ms_rm")
    statuses, errors = [], []

    def keep_asking():
        for n in range(120):
            try:
                if n % 3 == 2:  # a POST too: the language switch
                    response = post(rm, stack, "/accounts/language/", {"language": "en"})
                else:
                    response = rm.get(f"{stack.url}/customers/", timeout=30)
                statuses.append(response.status_code)
            except requests.RequestException as error:
                errors.append(repr(error))

    asking = threading.Thread(target=keep_asking)
    asking.start()
    wait_for(lambda: len(statuses) >= 20, what="requests under way")
    stack.web[0].stop(signal.SIGTERM)  # as systemctl stop does
    asking.join(timeout=300)
    try:
        assert errors == []
        assert len(statuses) == 120
        assert set(statuses) <= {200, 302}, sorted(set(statuses))
    finally:
        stack.web[0].start()
        wait_for(lambda: port_open(stack.web_ports[0]), what="web1 again")


def test_stopping_a_worker_loses_no_job(stack):
    admin = browser(stack, "ms_admin")
    jobs = [start_import(admin, stack, n) for n in range(7, 12)]
    listed = ",".join(map(str, jobs))
    wait_for(
        lambda: (
            sql(
                stack,
                f"SELECT count(*) FROM jobs_job WHERE id IN ({listed}) AND worker LIKE 'worker1@%'",
            )
            != "0"
        ),
        timeout=120,
        what="worker1 to take a job",
    )
    stack.workers[0].stop(signal.SIGTERM)  # warm shutdown, as systemctl stop does
    try:
        wait_for(lambda: jobs_ended(stack, jobs), timeout=300, what="every job")
        assert sql(
            stack, f"SELECT count(*) FROM jobs_job WHERE id IN ({listed}) AND state = 'done'"
        ) == str(len(jobs))
        assert sql(
            stack, "SELECT count(*) FROM customers_customer WHERE customer_no ~ '^MS(7|8|9|10|11)-'"
        ) == str(len(jobs) * ROWS_PER_IMPORT)
    finally:
        stack.workers[0].start()
        stack.workers[0].wait_for_output(" ready.")


def readyz(stack):
    response = client(stack).get(f"{stack.url}/readyz", timeout=30)
    return response.status_code, response.json()


def ready_again(stack):
    return readyz(stack)[0] == 200


def failing(stack, part):
    status, body = readyz(stack)
    return status == 503 and part in body["failing"] and body


def test_readyz_names_the_part_that_is_down_and_recovers(stack):
    wait_for(
        lambda: readyz(stack)[1]["checks"]["workers"]["answering"] == 2,
        timeout=60,
        what="/readyz to see both workers",
    )
    assert ready_again(stack)

    stack.beat.stop()
    body = wait_for(lambda: failing(stack, "beat"), timeout=30, what="the beat to be missed")
    assert body["failing"] == ["beat"]
    stack.beat.start()
    wait_for(lambda: ready_again(stack), timeout=60, what="the beat back")

    stack.redis.stop()
    body = wait_for(lambda: failing(stack, "broker"), timeout=30, what="Redis to be missed")
    assert "database" not in body["failing"]
    stack.redis.start()
    wait_for(lambda: port_open(stack.redis.port), what="redis")
    wait_for(lambda: ready_again(stack), timeout=120, what="Redis back")

    stack.postgres.stop()
    body = wait_for(lambda: failing(stack, "database"), timeout=30, what="PostgreSQL missed")
    assert "broker" not in body["failing"]
    stack.postgres.start()
    wait_for(lambda: ready_again(stack), timeout=120, what="PostgreSQL back")
