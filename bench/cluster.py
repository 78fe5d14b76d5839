"""A throwaway PostgreSQL cluster and gunicorn servers that a test or the soak run owns.

The same semantics as shared/tools/pg-tmp: initdb under /tmp on a free port, trust auth, user
"postgres", listening on 127.0.0.1 only; when run as root the server runs as the postgres system
user (initdb refuses root). Everything started here is stopped by its own handle, never by name.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
GUNICORN = str(Path(PYTHON).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_pg_bin() -> Path | None:
    for name in ("initdb", "pg_ctl"):
        if shutil.which(name) is None:
            break
    else:
        return Path(shutil.which("initdb")).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class OwnedPostgres:
    """`start()`, `stop()`, `url(db)`, `destroy()`; `stop(mode="immediate")` simulates a crash."""

    def __init__(self, port: int | None = None, *, durable: bool = True):
        self.bin = find_pg_bin()
        if self.bin is None:
            raise RuntimeError("initdb not found (apt-get install postgresql)")
        self.port = port or free_port()
        self.root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix=f"scim-owned-pg-{self.port}-", dir="/tmp"))
        self.data = self.dir / "data"
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_owner(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                "max_connections = 200\n"
            )
            if not durable:  # faster, but a crash (stop(mode="immediate")) loses recent commits
                conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")

    def _as_owner(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.root:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self._as_owner(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.dir / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_owner(
            [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], check=False
        )

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'create database "{name}"')
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def app_env(database_url: str, **extra: str) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "massdriver_scim.settings.production",
            "SECRET_KEY": "soak-and-fault-tests-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def create_integration(env: dict, org: str, base_url: str) -> dict:
    """{"id", "url", "token"} of a new integration of a new organization."""
    return json.loads(
        manage(env, "scim_integration", "create", "--org", org, "--create-org", "--base-url", base_url)
    )


class Gunicorn:
    def __init__(
        self, env: dict, *, workers: int = 2, threads: int = 1, port: int | None = None, timeout: int = 30
    ):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"gunicorn-{self.port}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "massdriver_scim.wsgi",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                str(timeout),
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # Any answer means it is up (http.client: a redirect to https is not followed).
                probe = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                probe.request("GET", "/login/")
                probe.getresponse().read()
                probe.close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"gunicorn did not start; see {self.log.name}:\n{Path(self.log.name).read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
