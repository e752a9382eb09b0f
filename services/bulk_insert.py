"""Write many rows fast inside an open SQLAlchemy transaction: COPY on PostgreSQL (psycopg's
``cursor.copy``), the driver's ``executemany`` on SQLite.

SQLAlchemy's ``insert()`` with a list of dicts binds every value through its type machinery, which
costs more than the seeder's whole generation at national scale; here rows are plain tuples in a
fixed column order, written on the transaction's own DBAPI connection, so they commit or roll back
with everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import ColumnDefault, Connection, Date, Table, text

from services import data_version


def _scalar_defaults(table: Table, columns: Sequence[str]) -> dict[str, Any]:
    """Python-side scalar defaults of the columns the rows leave out (server defaults fill the rest)."""
    missing = [c for c in table.columns if c.name not in columns and c.default is not None]
    return {
        c.name: c.default.arg for c in missing if isinstance(c.default, ColumnDefault) and c.default.is_scalar
    }


def bulk_insert(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    chunk: int = 20000,
) -> Iterable[int]:
    """Insert ``rows`` (tuples in ``columns`` order); yields the running count after each chunk."""
    defaults = _scalar_defaults(table, columns)
    names = [*columns, *defaults]
    extra = tuple(defaults.values())
    data_version.bump(connection)  # the driver's COPY / executemany bypass the engine's write event
    raw = connection.connection.dbapi_connection
    if raw is None:
        raise RuntimeError("The connection has no DBAPI connection to write on.")
    cursor = raw.cursor()
    written = 0
    try:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in names)
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row + extra if extra else row)
                    written += 1
                    if written % chunk == 0:
                        yield written
        else:
            dates = [i for i, name in enumerate(names) if isinstance(table.columns[name].type, Date)]
            sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})'
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(_sqlite_row(row + extra if extra else row, dates))
                if len(batch) == chunk:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    batch.clear()
                    yield written
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
    finally:
        cursor.close()
    yield written


def _sqlite_row(row: tuple[Any, ...], dates: list[int]) -> tuple[Any, ...]:
    """Dates as the ISO text SQLAlchemy stores on SQLite (the driver's own date adapter is deprecated)."""
    if not dates:
        return row
    values = list(row)
    for i in dates:
        value = values[i]
        if isinstance(value, date):
            values[i] = value.isoformat()
    return tuple(values)


@contextmanager
def indexes_deferred(connection: Connection, table: Table) -> Iterator[None]:
    """On SQLite, the table's secondary indexes dropped while the rows go in and built again after,
    in the same transaction: building an index from a full table sorts once, where a million inserts
    each walk six B-trees in random order (a third of the national seed's write time). Indexes that
    enforce a constraint (SQLite's automatic ones have no SQL) stay. Elsewhere nothing changes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    indexes = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
        ),
        {"table": table.name},
    ).all()
    for name, _sql in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in indexes:
        connection.exec_driver_sql(sql)
