"""A throwaway PostgreSQL + PostGIS server for the tests, and the ``store_url`` fixture that runs
a store test on both engines.

One cluster per test session: ``initdb`` in a temporary folder, ``postgres`` on a free port of
127.0.0.1 (its socket in that folder, fsync off: nothing here must survive a crash of the
machine), one template database with PostGIS and the store's schema, and a fresh database per
test copied from it. PostgreSQL refuses to run as root, so under root (CI) the server runs as
the ``postgres`` system user (made by Debian's package, ``scripts/setup --test``). A server that
cannot start FAILS the tests that need it, naming why: CI must never skip the PostGIS half.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twin_dashboard.testing import free_port

START_TIMEOUT_S = 30
SUPERUSER = "postgres"
TEMPLATE = "twin_template"


def _bindir() -> Path:
    """Where Debian's server binaries are (``/usr/lib/postgresql/N/bin``), newest first."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "postgres").exists():
            return Path(candidate)
    found = shutil.which("postgres")
    if found:
        return Path(found).parent
    pytest.fail("PostgreSQL is not installed: run scripts/setup --test (it installs Debian's "
                "postgresql and postgresql-15-postgis-3)", pytrace=False)


class Cluster:
    """A running throwaway server; :meth:`new_database` gives each test its own database."""

    def __init__(self, durable: bool = False) -> None:
        self.durable = durable  # fsync on, as in production (benchmarks); off for the tests
        self.bindir = _bindir()
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="twin-pg-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._names = itertools.count(1)
        if self.as_root:
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)

    def _run_as(self) -> list[str]:
        return ["runuser", "-u", SUPERUSER, "--"] if self.as_root else []

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        data, log = self.folder / "data", self.folder / "server.log"
        init = subprocess.run(
            [*self._run_as(), str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
             "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
            capture_output=True, text=True, check=False)
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stderr or init.stdout}", pytrace=False)
        with open(log, "w") as out:
            if self.as_root:
                shutil.chown(log, SUPERUSER, SUPERUSER)
            self.proc = subprocess.Popen(
                [*self._run_as(), str(self.bindir / "postgres"), "-D", str(data),
                 "-p", str(self.port), "-k", str(self.folder), "-c", "listen_addresses=127.0.0.1",
                 *([] if self.durable else ["-c", "fsync=off", "-c", "synchronous_commit=off",
                                            "-c", "full_page_writes=off"])],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(log)
        self._make_template()

    def _wait_ready(self, log: Path) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError as err:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"PostgreSQL did not start on port {self.port} ({err}); its "
                                f"log:\n{log.read_text(errors='replace')[-2000:]}",
                                pytrace=False)
            time.sleep(0.1)

    def _make_template(self) -> None:
        from twin_dashboard.store.base import open_store

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        try:
            open_store(self.url(TEMPLATE)).close()  # PostGIS and the schema, once
        except Exception as err:  # noqa: BLE001 - named in the failure
            self.stop()
            pytest.fail(f"cannot create the PostGIS template ({err}): is "
                        f"postgresql-15-postgis-3 installed? (scripts/setup --test)",
                        pytrace=False)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        """A fresh database with PostGIS and the schema, empty; its URL."""
        name = f"t{next(self._names)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY WAL_LOG")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run([*self._run_as(), str(self.bindir / "pg_ctl"), "-D",
                            str(self.folder / "data"), "stop", "-m", "immediate", "-s"],
                           capture_output=True, check=False)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgis_cluster() -> Iterator[Cluster]:
    cluster = Cluster()
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty store, once on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    cluster: Cluster = request.getfixturevalue("postgis_cluster")
    url = cluster.new_database()
    yield url
    cluster.drop_database(url)


def raw_connection(store) -> tuple[Any, type[Exception]]:
    """A plain DB-API connection to a store's database (autocommit) and the error its driver
    raises, to prove what the database itself refuses whatever the app's code does."""
    if store.url.startswith("sqlite:"):
        return sqlite3.connect(store.path, isolation_level=None), sqlite3.DatabaseError
    import psycopg

    return psycopg.connect(store.url, autocommit=True), psycopg.DatabaseError
