"""Throwaway PostgreSQL and MariaDB servers for tests and benchmarks.

Each server lives in a fresh temporary directory, listens only on a unix socket there (no TCP
port, nothing reachable from outside), and is stopped and deleted on exit. Running as root, the
server runs as the distribution's service user (``postgres`` / ``mysql``), since neither server
runs as root. Binaries come from ``PATH`` or Debian's locations (``apt-get install postgresql
mariadb-server``, see ``bin/system-deps``); :func:`postgres_available` and
:func:`mariadb_available` say whether they are there, with the reason when not.

    with ScratchPostgres() as pg:
        pg.create_database("chinook")
        url = pg.url("chinook")      # postgresql://postgres@/chinook?host=/tmp/...&port=5432
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from streamflow.databases.errors import DatabaseError

__all__ = ["ScratchMariaDB", "ScratchPostgres", "mariadb_available", "postgres_available"]

_START_TIMEOUT = 60.0


def _find(names: tuple[str, ...], extra_globs: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    for pattern in extra_globs:
        matches = sorted(glob.glob(pattern), reverse=True)
        if matches:
            return matches[0]
    return None


def _service_user(name: str) -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError as exc:
        raise DatabaseError(f"running as root needs the {name!r} system user") from exc


def _as_user(user: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user.pw_name, "--", *argv] if user else argv


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DatabaseError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def postgres_available() -> str | None:
    """None if a scratch PostgreSQL can start here, else why not."""
    if not _find(("initdb",), ("/usr/lib/postgresql/*/bin/initdb",)):
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no 'postgres' user to run the server"
    return None


def mariadb_available() -> str | None:
    """None if a scratch MariaDB can start here, else why not."""
    if not _find(("mariadbd",), ("/usr/sbin/mariadbd", "/usr/sbin/mysqld")):
        return "MariaDB server binaries (mariadbd) are not installed"
    if not _find(("mariadb-install-db", "mysql_install_db")):
        return "mariadb-install-db is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("mysql")
        except KeyError:
            return "running as root, and there is no 'mysql' user to run the server"
    return None


class _Scratch:
    user_name = ""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"sf-{self.user_name}-"))
        self.user = _service_user(self.user_name)
        if self.user:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self.started = False

    def __enter__(self) -> Any:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ScratchPostgres(_Scratch):
    """A PostgreSQL server in a temporary directory, reached by its unix socket."""

    user_name = "postgres"
    port = 5432  # names the socket file; no TCP listener

    def start(self) -> None:
        initdb = _find(("initdb",), ("/usr/lib/postgresql/*/bin/initdb",))
        if not initdb:
            raise DatabaseError(postgres_available() or "initdb not found")
        self.bindir = Path(initdb).resolve().parent
        data = self.root / "data"
        _run(
            _as_user(
                self.user,
                [
                    str(self.bindir / "initdb"),
                    *("-D", str(data), "-A", "trust", "-U", "postgres"),
                    *("-E", "UTF8", "--locale=C", "--no-sync"),
                ],
            ),
            "initdb",
        )
        options = f"-k {self.root} -p {self.port} -c listen_addresses='' -c fsync=off"
        _run(
            _as_user(
                self.user,
                [
                    str(self.bindir / "pg_ctl"),
                    *("-D", str(data), "-o", options, "-l", str(self.root / "server.log")),
                    *("-w", "-t", str(int(_START_TIMEOUT)), "start"),
                ],
            ),
            "pg_ctl start",
        )
        self.started = True

    def stop(self) -> None:
        if self.started:
            self.started = False
            subprocess.run(
                _as_user(
                    self.user,
                    [
                        str(self.bindir / "pg_ctl"),
                        *("-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"),
                    ],
                ),
                capture_output=True,
                check=False,
            )
        super().stop()

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{dbname}?host={self.root}&port={self.port}"

    def admin(self, sql: str, dbname: str = "postgres") -> None:
        """Run ``sql`` as the superuser, autocommit (CREATE DATABASE, roles, grants)."""
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_reader(self, role: str = "reader") -> str:
        """A login role that may read every table and nothing else; returns its user name."""
        self.admin(f'CREATE ROLE "{role}" LOGIN')
        self.admin(f'GRANT pg_read_all_data TO "{role}"')
        return role


class ScratchMariaDB(_Scratch):
    """A MariaDB server in a temporary directory, reached by its unix socket.

    ``max_recursive_iterations`` is raised to its maximum so that an endless recursive CTE runs
    until a time limit stops it (MariaDB's default silently stops recursion at 1000 rows)."""

    user_name = "mysql"

    def start(self) -> None:
        install = _find(("mariadb-install-db", "mysql_install_db"))
        server = _find(("mariadbd",), ("/usr/sbin/mariadbd", "/usr/sbin/mysqld"))
        if not install or not server:
            raise DatabaseError(mariadb_available() or "MariaDB binaries not found")
        data = self.root / "data"
        user = ["--user=" + self.user.pw_name] if self.user else []
        _run(
            [
                install,
                *("--no-defaults", f"--datadir={data}", "--skip-test-db"),
                *("--auth-root-authentication-method=normal", *user),
            ],
            "mariadb-install-db",
        )
        self.socket = self.root / "mysqld.sock"
        self.process = subprocess.Popen(
            [
                server,
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.socket}",
                "--skip-networking",
                f"--pid-file={self.root / 'mysqld.pid'}",
                f"--log-error={self.root / 'error.log'}",
                "--innodb-buffer-pool-size=32M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
                "--max-recursive-iterations=4294967295",
                *user,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started = True
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "error.log").read_text(errors="replace")[-2000:]
                raise DatabaseError(f"mariadbd exited ({self.process.returncode}): {log}")
            if self.socket.exists():
                with contextlib.suppress(Exception):
                    self.admin("SELECT 1")
                    return
            time.sleep(0.05)
        raise DatabaseError(f"mariadbd did not start within {_START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        if self.started:
            self.started = False
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        super().stop()

    def params(self, database: str | None = None, user: str = "root") -> dict[str, Any]:
        out: dict[str, Any] = {"unix_socket": str(self.socket), "user": user, "password": ""}
        if database:
            out["database"] = database
        return out

    def url(self, database: str = "", user: str = "root") -> str:
        return f"mysql://{user}@localhost/{database}?unix_socket={self.socket}"

    def admin(self, sql: str) -> None:
        import pymysql

        conn = pymysql.connect(**self.params(), autocommit=True, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        self.admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return self.url(name)

    def create_reader(self, user: str = "reader") -> str:
        """A user with SELECT on every database and nothing else; returns its name."""
        self.admin(f"CREATE USER '{user}'@'localhost'")
        self.admin(f"GRANT SELECT ON *.* TO '{user}'@'localhost'")
        return user
