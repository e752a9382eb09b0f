"""The PgBouncer deployment the README describes, run for real: deploy/pgbouncer.ini.example in front
of the suite's PostgreSQL, on loopback, with the app's engines pointed at it.

The example is used as shipped but for the places it names (addresses, the auth file, where the
log goes) and, on PgBouncer older than 1.21 (Debian 12 ships 1.18), the one line its own comment
says to drop there, with ``DB_PREPARE_THRESHOLD=none`` set as it says. Its SCRAM login stays: the
clients authenticate to PgBouncer with a password; PgBouncer logs in to the trust-auth test server.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, make_url
from sqlmodel import Session

from services import auth, data_version
from services.calibration import status_counts
from services.coverage import coverage_matrix
from services.db import make_engine, upgrade_schema
from services.equipment import equipment_page
from services.filters import Filters
from services.kpis import kpi_summary
from tests import tiny_network
from tests.conftest import POSTGRES_URL, PostgresDatabases
from tests.page_support import PROJECT_ROOT
from tests.test_imports import GOOD_ROW, equipment_file, run_equipment

EXAMPLE = PROJECT_ROOT / "deploy" / "pgbouncer.ini.example"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
PASSWORD = "pgbouncer-test-password"
# PgBouncer refuses to run as root; CI runs as root, as .ci/with-postgres runs the server as postgres
AS_SERVICE_USER = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (DATABASE_URL)"),
    pytest.mark.skipif(
        not Path(PGBOUNCER).exists(), reason="needs PgBouncer: sudo apt-get install pgbouncer"
    ),
]


def pgbouncer_version() -> tuple[int, int]:
    found = re.search(
        r"PgBouncer (\d+)\.(\d+)",
        subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True, check=True).stdout,
    )
    assert found, "pgbouncer --version names no version"
    return int(found[1]), int(found[2])


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; the example must still hold ``old``, or this test reads another file."""
    assert old in text, f"deploy/pgbouncer.ini.example no longer says {old!r}"
    return text.replace(old, new)


def rendered_example(server_host: str, server_port: int, database: str, port: int, directory: Path) -> str:
    config = EXAMPLE.read_text(encoding="utf-8")
    config = replaced(
        config,
        "host=127.0.0.1 port=5432 dbname=metrology",
        f"host={server_host} port={server_port} dbname={database}",
    )
    config = replaced(config, "listen_port = 6432", f"listen_port = {port}")
    config = replaced(
        config, "auth_file = /etc/pgbouncer/userlist.txt", f"auth_file = {directory / 'userlist.txt'}"
    )
    if pgbouncer_version() < (1, 21):
        config = replaced(config, "max_prepared_statements = 200\n", "")
    # [pgbouncer] is the last section: where this run keeps its files
    return config + (
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\nunix_socket_dir =\n"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"PgBouncer exited: {log.read_text() if log.exists() else process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("PgBouncer did not listen within 15 s")


@pytest.fixture(scope="module")
def server_database(postgres: PostgresDatabases) -> Iterator[str]:
    """The tiny network on a new database, written directly to PostgreSQL (as the README says for
    schema upgrades and seeding), with the account the import runs as."""
    url = postgres.create()
    engine = make_engine(url)
    upgrade_schema(engine)
    with Session(engine) as session:
        tiny_network.build(session)
        auth.create_user(
            session, username="tq", password="Secret-1 long enough", role="center_staff", center_code="C-TQ"
        )
        session.commit()
    engine.dispose()
    yield url
    postgres.drop(url)


@pytest.fixture(scope="module")
def pgbouncer(server_database: str) -> Iterator[str]:
    """PgBouncer on a free loopback port with the example's settings; yields the app's URL through it."""
    # in /tmp itself: the postgres user may not enter pytest's own temp directories
    directory = Path(tempfile.mkdtemp(prefix="metrology-pgbouncer.", dir="/tmp"))
    server = make_url(server_database)
    port = free_port()
    (directory / "pgbouncer.ini").write_text(
        rendered_example(
            server.host or "127.0.0.1", server.port or 5432, str(server.database), port, directory
        ),
        encoding="utf-8",
    )
    (directory / "userlist.txt").write_text(f'"{server.username}" "{PASSWORD}"\n', encoding="utf-8")
    if AS_SERVICE_USER:
        shutil.chown(directory, "postgres")
        for file in directory.iterdir():
            shutil.chown(file, "postgres")
    process = subprocess.Popen([*AS_SERVICE_USER, PGBOUNCER, str(directory / "pgbouncer.ini")], cwd="/")
    try:
        wait_until_listening(port, process, directory / "pgbouncer.log")
        yield f"postgresql+psycopg://{server.username}:{PASSWORD}@127.0.0.1:{port}/metrology"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def through_pgbouncer(pgbouncer: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, Engine]]:
    """Two app instances' engines through PgBouncer, with the README's settings for it."""
    if pgbouncer_version() < (1, 21):
        monkeypatch.setenv("DB_PREPARE_THRESHOLD", "none")
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "8")
    instances = make_engine(pgbouncer), make_engine(pgbouncer)
    yield instances
    for engine in instances:
        engine.dispose()


def test_every_server_connection_pgbouncer_lends_runs_without_jit(pgbouncer: str) -> None:
    """connect_query, not the app's own SET: plain clients, each in an open transaction at once, so
    PgBouncer must lend each its own server connection."""
    url = make_url(pgbouncer).set(drivername="postgresql")
    clients = [
        psycopg.connect(url.render_as_string(hide_password=False), prepare_threshold=None) for _ in range(3)
    ]
    try:
        seen = [
            client.execute("SELECT pg_backend_pid(), current_setting('jit')").fetchone() for client in clients
        ]
    finally:
        for client in clients:
            client.close()
    assert len({pid for pid, _ in seen}) == 3, seen  # three server connections, all of them lent at once
    assert {jit for _, jit in seen} == {"off"}


def test_the_app_reads_through_pgbouncer_what_it_reads_from_postgresql(
    server_database: str, through_pgbouncer: tuple[Engine, Engine]
) -> None:
    """Each service 24 times (more than psycopg's prepare threshold, 5) over pooled connections that
    PgBouncer lends per transaction, with the README's settings for this PgBouncer: the same frames
    as straight from the server."""
    direct = make_engine(server_database)
    filters = Filters(as_of=tiny_network.AS_OF)

    def views(session: Session) -> list[object]:
        table, matching = equipment_page(session, filters)
        return [
            kpi_summary(session, filters),
            status_counts(session, filters).to_dict("records"),
            coverage_matrix(session, filters).to_dict("records"),
            table.to_dict("records"),
            matching,
        ]

    def views_through(instance: Engine) -> list[object]:
        with Session(instance) as session:
            return views(session)

    try:
        with Session(direct) as session:
            expected = views(session)
        # four at once over both instances' pools, so PgBouncer lends its server connections in turn
        with ThreadPoolExecutor(max_workers=4) as pool:
            seen = list(pool.map(views_through, [engine for _ in range(12) for engine in through_pgbouncer]))
    finally:
        direct.dispose()
    assert all(views == expected for views in seen)
    assert expected[-1] == 4 and len(expected[1]) > 0  # the tiny network's four items held on the day


def test_an_import_through_one_instance_is_seen_by_the_other(
    through_pgbouncer: tuple[Engine, Engine],
) -> None:
    first, second = through_pgbouncer
    before = data_version.current(second)
    result = run_equipment(first, equipment_file(GOOD_ROW))
    assert result.ok and result.written == 1
    assert data_version.current(second) == before + 1
    with Session(second) as session:
        _, matching = equipment_page(
            session, Filters(as_of=tiny_network.AS_OF, center="C-TQ"), search="NEW-1"
        )
    assert matching == 1
