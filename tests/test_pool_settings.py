"""Each app process's connection pool on PostgreSQL comes from DB_POOL_*; SQLite is left alone."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from services.db import driver_options, make_engine, pool_options
from tests.conftest import POSTGRES_URL

SERVER_URL = "postgresql+psycopg://metrology@127.0.0.1:5432/metrology"


def test_server_database_pool_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "7")
    monkeypatch.setenv("DB_POOL_RECYCLE", "600")
    engine = make_engine(SERVER_URL)  # no connection is opened until first use
    assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._timeout, engine.pool._recycle) == (
        3,
        0,
        7,
        600,
    )
    engine.dispose()


def test_server_database_pool_defaults_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT", "DB_POOL_RECYCLE"):
        monkeypatch.delenv(variable, raising=False)
    assert pool_options(SERVER_URL) == {
        "pool_size": 5,
        "max_overflow": 10,
        "pool_timeout": 30,
        "pool_recycle": 1800,
    }


@pytest.mark.parametrize("raw", ["five", "0", "-2", "2.5"])
def test_a_bad_pool_size_names_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", raw)
    with pytest.raises(ValueError, match=r"^DB_POOL_SIZE=.*expected a whole number >= 1$"):
        pool_options(SERVER_URL)


def test_sqlite_ignores_the_pool_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DB_POOL_SIZE", "not a number")
    url = f"sqlite:///{tmp_path / 'pool.db'}"
    assert pool_options(url) == {}
    engine = make_engine(url)
    assert engine.dialect.name == "sqlite"
    engine.dispose()


def test_prepared_statements_can_be_turned_off_for_pgbouncer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "none")
    assert driver_options(SERVER_URL) == {"prepare_threshold": None}
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "0")
    assert driver_options(SERVER_URL) == {"prepare_threshold": 0}
    assert driver_options("sqlite:///metrology.db") == {}
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "off")
    with pytest.raises(
        ValueError, match=r"^DB_PREPARE_THRESHOLD='off': expected a whole number >= 0 or none$"
    ):
        driver_options(SERVER_URL)


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (DATABASE_URL)")
def test_every_app_connection_to_postgresql_runs_without_jit() -> None:
    """JIT compiling cost more than running the national aggregates; the setting must outlive the
    transaction, so a second checkout of the same pooled connection still has it off."""
    engine = make_engine(POSTGRES_URL)
    try:
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(text("SHOW jit")).scalar_one() == "off"
                connection.rollback()
    finally:
        engine.dispose()
