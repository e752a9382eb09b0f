"""Real databases for the tests: a SQLite file always, PostgreSQL when DATABASE_URL names one.

In CI (CI=true) PostgreSQL is required: `.ci/run` starts a throwaway server and exports
DATABASE_URL, and a run without it fails instead of silently testing one engine.
"""

from __future__ import annotations

import os
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
POSTGRES_URL = os.environ.get("DATABASE_URL", "") if "postgresql" in os.environ.get("DATABASE_URL", "") else ""
IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALL_HINT = "sudo apt-get install postgresql chromium  (then run `make test` again)"
# The demo network of every test is seeded as of this day, and the app shows it by default (the
# seeder records it), so what a test expects never depends on the day it runs.
SEED_DAY = date(2026, 11, 30)
# METROLOGY_TEST_TODAY=YYYY-MM-DD runs every test with the clock travelled to that day, to prove
# the suite does not depend on the real one (tests/test_clock_independence.py sets it).
TEST_TODAY = os.environ.get("METROLOGY_TEST_TODAY", "")

ENGINES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


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
        return [f"database engines: sqlite + postgresql ({make_url(POSTGRES_URL).render_as_string()})", *clock]
    return [f"database engines: sqlite only — for PostgreSQL too: {INSTALL_HINT}, or set DATABASE_URL", *clock]


class PostgresDatabases:
    """Creates a throwaway database per use on the server DATABASE_URL names."""

    def __init__(self, url: str) -> None:
        self.admin_url = make_url(url).set(drivername="postgresql+psycopg")
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create(self) -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
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


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A brand-new database with no schema, on each engine."""
    url = _new_database_url(request.param, tmp_path, postgres)
    yield url
    if request.param == "postgresql":
        make_engine(url).dispose()
        postgres.drop(url)


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    """An empty database with the schema at Alembic head, on each engine."""
    database = make_engine(empty_database_url)
    upgrade_schema(database)
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
