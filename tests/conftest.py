"""Real databases for the tests: a SQLite file always, PostgreSQL when DATABASE_URL names one.

In CI (CI=true) PostgreSQL is required: `.ci/run` starts a throwaway server and exports
DATABASE_URL, and a run without it fails instead of silently testing one engine.

`make test` runs the suite on one pytest-xdist worker per core with ``--dist loadfile``. Each
worker is a process of its own with its own session fixtures (the demo network is seeded once per
worker and engine) and its own temporary directory (xdist gives each worker a ``popen-gwN``
basetemp), and its PostgreSQL databases carry its name. See ``pytest_xdist_make_scheduler`` for
which tests share a worker.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from services.db import make_engine, upgrade_schema
from services.seed import seed

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = (
    os.environ.get("DATABASE_URL", "") if "postgresql" in os.environ.get("DATABASE_URL", "") else ""
)
IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALL_HINT = "sudo apt-get install postgresql chromium  (then run `make test` again)"
# The demo network of every test is seeded as of this day, and the app shows it by default (the
# seeder records it), so what a test expects never depends on the day it runs.
SEED_DAY = date(2026, 11, 30)
# METROLOGY_TEST_TODAY=YYYY-MM-DD runs every test with the clock travelled to that day, to prove
# the suite does not depend on the real one (tests/test_clock_independence.py sets it).
TEST_TODAY = os.environ.get("METROLOGY_TEST_TODAY", "")

ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
# "gw0", "gw1"… under pytest-xdist, "main" in a run without it
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BROWSER_TESTS = "tests/browser/"


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: runs with -p no:xdist too
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadfile``, except that the browser journeys count as one file.

    A test file goes to one worker as a whole, so its module-scoped fixtures (a database seeded
    at scale 10, the exports built once) are built once; all browser journeys go to one worker,
    so one seeded database, one ``streamlit run`` server and one Chromium serve them. New test
    files need nothing special. (Not ``--dist loadgroup`` with marks: with pytest 9.2 xdist 3.8
    silently ignores the groups, pytest-dev/pytest-xdist#1386.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedResourcesScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return BROWSER_TESTS if nodeid.startswith(BROWSER_TESTS) else super()._split_scope(nodeid)

    return SharedResourcesScheduling(config, log)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def clock_travelled_to_the_test_day() -> Iterator[None]:
    """With METROLOGY_TEST_TODAY set, today is that day (the clock keeps ticking from midnight)."""
    if not TEST_TODAY:
        yield
        return
    import time_machine

    with time_machine.travel(date.fromisoformat(TEST_TODAY), tick=True):
        yield


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not POSTGRES_URL:
        pytest.exit("CI=true but DATABASE_URL does not name a PostgreSQL server; .ci/run must start one.", 3)


def pytest_report_header() -> list[str]:
    clock = [f"clock travelled to {TEST_TODAY} (METROLOGY_TEST_TODAY)"] if TEST_TODAY else []
    if POSTGRES_URL:
        return [
            f"database engines: sqlite + postgresql ({make_url(POSTGRES_URL).render_as_string()})",
            *clock,
        ]
    return [
        f"database engines: sqlite only — for PostgreSQL too: {INSTALL_HINT}, or set DATABASE_URL",
        *clock,
    ]


class PostgresDatabases:
    """Creates a throwaway database per use on the server DATABASE_URL names."""

    def __init__(self, url: str) -> None:
        self.admin_url = make_url(url).set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self, template: str | None = None) -> str:
        """A new database: empty, or a copy of the database ``template`` names (nobody may be connected to it)."""
        name = f"test_{WORKER}_{uuid.uuid4().hex[:12]}"  # the worker's name says whose a leftover is
        copy_of = f' TEMPLATE "{make_url(template).database}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases | None]:
    yield PostgresDatabases(POSTGRES_URL) if POSTGRES_URL else None


def _new_database_url(kind: str, directory: Path, postgres: PostgresDatabases | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"
    assert postgres is not None
    return postgres.create()


class SchemaTemplates:
    """Per engine, one database migrated to Alembic head; a test's database starts as a copy of it.

    Running the migrations costs about a second per database on a busy machine, and hundreds of
    tests ask for a fresh schema. A copy of the migrated file (SQLite) or ``CREATE DATABASE …
    TEMPLATE`` (PostgreSQL) gives the same schema, rows and Alembic version in a fraction of that.
    The migrations still run here, and from an empty database in tests/test_schema_and_seed.py.
    """

    def __init__(self, directory: Path, postgres: PostgresDatabases | None) -> None:
        self.directory = directory
        self.postgres = postgres
        self.templates: dict[str, str] = {}

    def new_database_url(self, kind: str, directory: Path) -> str:
        """A new database with the schema at head, in ``directory`` for SQLite."""
        template = self._template(kind)
        if kind == "sqlite":
            url = _new_database_url(kind, directory, None)
            shutil.copyfile(str(make_url(template).database), str(make_url(url).database))
            return url
        assert self.postgres is not None
        return self.postgres.create(template=template)

    def _template(self, kind: str) -> str:
        if kind not in self.templates:
            url = _new_database_url(kind, self.directory, self.postgres)
            database = make_engine(url)
            upgrade_schema(database)
            database.dispose()  # a PostgreSQL template must have no connections when it is copied
            self.templates[kind] = url
        return self.templates[kind]

    def drop_all(self) -> None:
        if self.postgres and "postgresql" in self.templates:
            self.postgres.drop(self.templates["postgresql"])


@pytest.fixture(scope="session")
def schema_templates(tmp_path_factory: pytest.TempPathFactory, postgres) -> Iterator[SchemaTemplates]:  # type: ignore[no-untyped-def]
    templates = SchemaTemplates(tmp_path_factory.mktemp("schema-templates"), postgres)
    yield templates
    templates.drop_all()


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A brand-new database with no schema, on each engine.

    In a test that also uses ``engine`` this is the URL of the engine's database, which then has
    the schema (a copy of the migrated template is made instead of an empty database).
    """
    if "engine" in request.fixturenames:
        templates: SchemaTemplates = request.getfixturevalue("schema_templates")
        url = templates.new_database_url(request.param, tmp_path)
    else:
        url = _new_database_url(request.param, tmp_path, postgres)
    yield url
    if request.param == "postgresql":
        postgres.drop(url)


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    """A new database with the schema at Alembic head, on each engine (``empty_database_url`` is its URL)."""
    database = make_engine(empty_database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def seeded_urls(tmp_path_factory: pytest.TempPathFactory, postgres) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """The demo network seeded once per engine for the whole run (tests only read it)."""
    directory = tmp_path_factory.mktemp("seeded")
    urls = {kind: _new_database_url(kind, directory, postgres) for kind in ENGINES}
    for url in urls.values():
        database = make_engine(url)
        seed(database, scale=1, as_of=SEED_DAY)
        database.dispose()
    yield urls
    if postgres and "postgresql" in urls:
        postgres.drop(urls["postgresql"])


@pytest.fixture(params=ENGINES)
def seeded_engine(request: pytest.FixtureRequest, seeded_urls: dict[str, str]) -> Iterator[Engine]:
    database = make_engine(seeded_urls[request.param])
    yield database
    database.dispose()


@pytest.fixture
def app_database(seeded_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the app at the seeded SQLite file, with Streamlit's caches empty."""
    monkeypatch.setenv("DATABASE_URL", seeded_urls["sqlite"])
    st.cache_data.clear()
    st.cache_resource.clear()
    yield seeded_urls["sqlite"]
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id (and scrypt for old hashes), at a cost that keeps tests that create many accounts quick."""
    from services import auth

    monkeypatch.setattr(auth, "ARGON2_TIME_COST", 1)
    monkeypatch.setattr(auth, "ARGON2_MEMORY_KIB", 64)
    monkeypatch.setattr(auth, "ARGON2_PARALLELISM", 1)
    monkeypatch.setattr(auth, "SCRYPT_N", 2**4)


@pytest.fixture(autouse=True)
def error_details_for_developers() -> Iterator[None]:
    """Page tests report the real exception: .streamlit/config.toml hides it from users ("none"),
    which would leave a failing AppTest with only "This app has encountered an error"."""
    from streamlit import config

    shown = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    yield
    config.set_option("client.showErrorDetails", shown)
