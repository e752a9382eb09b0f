"""One number for the whole database that every write raises in its own transaction.

Every app process keys its caches on this number (``ui.data``), so a write in one instance is
seen by every instance on its next rerun, and nothing waits for a cache to expire.

The number is raised by an engine event (``install``, called by ``services.db.make_engine``)
rather than by each write path: every INSERT, UPDATE or DELETE statement a connection runs —
ORM flushes, ORM bulk statements, Core statements such as the seeder's — first raises the
number once per transaction on the same connection, so it commits or rolls back with the
write. A refused write runs no statement and a rolled-back one leaves the number as it was.

Not counted (they change nothing a cached view shows, and a script hammering the login form
must not empty every cache of every instance): the login throttle's bookkeeping and the audit
rows that record login attempts. The audit log itself is read live, never from a cache.
Statements sent as raw SQL text or through the driver (e.g. PostgreSQL COPY) are not seen:
such a path calls ``bump`` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, event, select, update
from sqlalchemy.sql.dml import Delete, Insert, Update, UpdateBase
from sqlmodel import SQLModel

from services.models import AuditLog, DataVersion, LoginThrottle

ROW_ID = 1
_TABLE = DataVersion.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ on table=True classes at class creation but does not declare it
_READ = select(_TABLE.c.version, _TABLE.c.lineage).where(_TABLE.c.id == ROW_ID)
_BUMP = update(_TABLE).where(_TABLE.c.id == ROW_ID).values(version=_TABLE.c.version + 1)
_UNCOUNTED_TABLES = frozenset({_TABLE.name, LoginThrottle.__tablename__})
_AUDIT_TABLE = AuditLog.__tablename__
# audit rows of actions that change nothing a view shows: login, login_failed, login_disabled,
# login_demo_password (services.auth), and an administrator's backup download (services.backup).
# A restore's row still counts: restoring into the app's own empty database changes what it shows.
_UNCOUNTED_ACTIONS = ("login", "backup_download")
_BUMPED_IN = "data_version_bumped_in"  # connection.info: the transaction that already raised it


def read(connection: Connection) -> int:
    """The current number (one primary-key lookup); 0 on a database without the row."""
    row = connection.execute(_READ).first()
    return int(row.version) if row else 0


def current(engine: Engine) -> int:
    with engine.connect() as connection:
        return read(connection)


def current_stamp(engine: Engine) -> str:
    """``lineage:number``, what caches are keyed on (the same single-row lookup as ``read``).

    The number alone would repeat when a database is created again at the same address (it
    restarts at 1), and a long-running process would serve its views of the old database."""
    with engine.connect() as connection:
        row = connection.execute(_READ).first()
    return f"{row.lineage}:{row.version}" if row else "none:0"


def bump(connection: Connection) -> None:
    """Raise the number in the connection's transaction (at most once per transaction)."""
    transaction = connection.get_transaction()
    if transaction is not None and connection.info.get(_BUMPED_IN) is transaction:
        return
    connection.execute(_BUMP)
    # read again: before a connection's first statement its transaction has not begun yet
    connection.info[_BUMPED_IN] = connection.get_transaction()


def install(engine: Engine) -> None:
    """Make every counted write on ``engine`` raise the number (idempotent)."""
    if not event.contains(engine, "before_execute", _before_execute):
        event.listen(engine, "before_execute", _before_execute)
        event.listen(engine, "rollback_savepoint", _forget_bump)  # the savepoint took the bump with it
        event.listen(engine, "commit", _forget_bump)
        event.listen(engine, "rollback", _forget_bump)


def _forget_bump(connection: Connection, *_args: Any) -> None:
    connection.info.pop(_BUMPED_IN, None)


def _before_execute(
    connection: Connection,
    statement: Any,
    multiparams: Sequence[Any],
    params: Mapping[str, Any],
    execution_options: Mapping[str, Any],
) -> None:
    if not isinstance(statement, UpdateBase):
        return
    if _counts(statement, multiparams, params):
        bump(connection)


def _counts(statement: UpdateBase, multiparams: Sequence[Any], params: Mapping[str, Any]) -> bool:
    if not isinstance(statement, Insert | Update | Delete):
        return True  # an unknown kind of write: count it rather than miss it
    table = getattr(statement.table, "name", None)
    if table not in SQLModel.metadata.tables or table in _UNCOUNTED_TABLES:
        return False  # Alembic's own bookkeeping (alembic_version) is not the app's data
    if table == _AUDIT_TABLE and isinstance(statement, Insert):
        return not _only_uncounted_rows(statement, multiparams, params)
    return True


def _only_uncounted_rows(statement: Insert, multiparams: Sequence[Any], params: Mapping[str, Any]) -> bool:
    """True when every audit row the INSERT adds records a login attempt or a backup download."""
    rows: list[Mapping[str, Any]] = []
    for item in multiparams:
        rows.extend(item if isinstance(item, list | tuple) else [item])
    if params:
        rows.append(params)
    if not rows:  # values given in the statement itself
        compiled_values = statement.compile().params
        rows = [compiled_values]
    actions = [row.get("action") if isinstance(row, Mapping) else None for row in rows]
    return all(isinstance(action, str) and action.startswith(_UNCOUNTED_ACTIONS) for action in actions)
