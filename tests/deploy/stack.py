"""Real processes for the deployment tests: a PostgreSQL primary and its streaming replica,
Redis, gunicorn, Celery workers and beat, nginx, each on a free port of this machine, under
one temporary folder. Everything started here is stopped by its own handle (never by name)."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=60, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as error:  # not up yet
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def port_open(port) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def postgres_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_programs() -> list[str]:
    missing = []
    if postgres_bin() is None:
        missing.append("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup)")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        missing.append("nginx")
    return missing


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _own_for_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")


class Postgres:
    """A PostgreSQL cluster of its own: ``Postgres.primary(folder)`` or ``primary.replica()``."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"
        self.log = folder / "server.log"

    def _run(self, *command, check=True):
        return subprocess.run(
            _as_postgres([str(postgres_bin() / command[0]), *command[1:]]),
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    @classmethod
    def primary(cls, folder: Path) -> "Postgres":
        folder.mkdir(parents=True, exist_ok=True)
        _own_for_postgres(folder)
        cluster = cls(folder, free_port())
        cluster._run(
            "initdb",
            "-D",
            str(cluster.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\nmax_connections = 60\n"
            )
        with (cluster.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        cluster.start()
        return cluster

    def replica(self, folder: Path) -> "Postgres":
        """A streaming replica of this cluster (pg_basebackup -R), started."""
        folder.mkdir(parents=True, exist_ok=True)
        _own_for_postgres(folder)
        replica = Postgres(folder, free_port())
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-D",
            str(replica.data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        )
        with (replica.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nunix_socket_directories = '{folder}'\n")
        replica.start()
        return replica

    def start(self):
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port}",
            "start",
        )

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, database="crm") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database="postgres") -> str:
        result = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-tAc",
                statement,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result.stdout.strip()


class Process:
    """A long-running program with its output in a log file; stopped by its own pid."""

    def __init__(self, name, command, *, env, log: Path, cwd=ROOT):
        self.name, self.command, self.env, self.log, self.cwd = name, command, env, log, cwd
        self.popen = None

    def start(self):
        out = self.log.open("a")
        self.popen = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_output(self, text, timeout=90):
        def seen():
            assert self.running, f"{self.name} ended:\n{self.output()[-3000:]}"
            return text in self.output()

        wait_for(seen, timeout=timeout, what=f"{self.name} to say {text!r}")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.running:
            return
        os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def django_env(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings",
        # This checkout's code, whatever else the interpreter has installed.
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        LOG_FORMAT="json",
        **{key: str(value) for key, value in extra.items()},
    )
    return env


def manage(*args, env, timeout=600) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def redis_server(folder: Path, port: int | None = None) -> Process:
    port = port or free_port()
    process = Process(
        "redis",
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        env=dict(os.environ),
        log=folder / f"redis-{port}.log",
    )
    process.port = port
    process.start()
    wait_for(lambda: port_open(port), what="redis")
    return process


def get_json(url, timeout=10):
    import json

    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
