"""Engine, sessions and schema upgrades for the database that DATABASE_URL names."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, inspect
from sqlmodel import Session, create_engine

from services import data_version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "metrology.db"


def database_url() -> str:
    """DATABASE_URL when set, else the embedded SQLite file under data/."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_PATH}"


# Connection pool of each app process on a server database (README, Deployment: pool size x instances
# must stay within PostgreSQL's max_connections). SQLite keeps SQLAlchemy's own choice for a file.
POOL_SETTINGS = {  # environment variable -> (create_engine argument, default, smallest allowed)
    "DB_POOL_SIZE": ("pool_size", 5, 1),
    "DB_MAX_OVERFLOW": ("max_overflow", 10, 0),
    "DB_POOL_TIMEOUT": ("pool_timeout", 30, 1),  # seconds a request waits for a free connection
    "DB_POOL_RECYCLE": ("pool_recycle", 1800, -1),  # seconds; PgBouncer or a firewall may drop idle ones
}


def pool_options(url: str) -> dict[str, int]:
    """create_engine's pool arguments from DB_POOL_* for a server database; none for SQLite."""
    if url.startswith("sqlite"):
        return {}
    options = {}
    for variable, (argument, default, smallest) in POOL_SETTINGS.items():
        raw = os.environ.get(variable, "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            raise ValueError(f"{variable}={raw!r}: expected a whole number >= {smallest}") from None
        if value < smallest:
            raise ValueError(f"{variable}={raw!r}: expected a whole number >= {smallest}")
        options[argument] = value
    return options


def driver_options(url: str) -> dict[str, int | None]:
    """psycopg's prepare_threshold from DB_PREPARE_THRESHOLD: ``none`` for a PgBouncer in transaction
    mode that does not track prepared statements (before 1.21, or without max_prepared_statements)."""
    raw = os.environ.get("DB_PREPARE_THRESHOLD", "").strip().lower()
    if not raw or not url.startswith("postgresql"):
        return {}
    if raw == "none":
        return {"prepare_threshold": None}
    if not raw.isdigit():
        raise ValueError(f"DB_PREPARE_THRESHOLD={raw!r}: expected a whole number >= 0 or none")
    return {"prepare_threshold": int(raw)}


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True, connect_args=driver_options(url), **pool_options(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _disable_postgresql_jit)
    data_version.install(engine)  # every write raises the number the caches are keyed on
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _disable_postgresql_jit(dbapi_connection, _record) -> None:
    """JIT compilation off for the app's sessions: a view's aggregate over the national equipment
    costs enough in the planner's eyes to be compiled with inlining and optimisation, and compiling
    took longer than running it (the equipment age profile: 1.97 s with JIT, 0.86 s without, in
    EXPLAIN ANALYZE); no query here runs long enough to win it back. A SET rather than a startup
    option, which PgBouncer refuses unless told to ignore it."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET outside a transaction lasts for the connection
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    cursor.close()
    dbapi_connection.autocommit = autocommit


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back everything on error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (creates it in an empty database)."""
    command.upgrade(alembic_config(engine), "head")


def refresh_statistics(engine: Engine) -> None:
    """After a bulk load on PostgreSQL: ANALYZE, so the planner knows the tables' sizes at once.

    Without it the first queries after seeding or a restore run on empty-table estimates until
    autovacuum gets round to them: the KPIs took 4.6 s instead of 0.8 s at scale 10 (nested loops
    over anti-joins the planner believed tiny). SQLite plans without statistics well enough.
    """
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def is_empty(engine: Engine) -> bool:
    """True when the schema has no centers yet, i.e. nothing has been seeded or imported."""
    from sqlalchemy import text

    if not inspect(engine).has_table("center"):
        return True
    with engine.connect() as connection:
        return connection.execute(text("SELECT COUNT(*) FROM center")).scalar_one() == 0
