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
    """The table's secondary indexes (and, on PostgreSQL, its foreign keys) dropped while the rows
    go in and made again after, in the same transaction: building an index from a full table sorts
    once, where a million inserts each walk six B-trees in random order (a third of the national
    seed's write time on SQLite), and PostgreSQL checks a re-added foreign key with one join where
    it would fire a trigger per row and key (more server time than the whole COPY). Indexes that
    enforce a constraint stay; the names and definitions come back unchanged."""
    if connection.dialect.name == "sqlite":
        statements = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL"
            ),
            {"table": table.name},
        ).all()
        drops = [f'DROP INDEX "{name}"' for name, _sql in statements]
        creates = [sql for _name, sql in statements]
    elif connection.dialect.name == "postgresql":
        drops, creates = _postgresql_deferrable(connection, table)
        # the index builds sort in memory rather than in temporary files (the default is 64 MB)
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    else:
        yield
        return
    for statement in drops:
        connection.exec_driver_sql(statement)
    yield
    for statement in creates:
        connection.exec_driver_sql(statement)


def _postgresql_deferrable(connection: Connection, table: Table) -> tuple[list[str], list[str]]:
    """The DROP and the re-CREATE statements of the table's foreign keys, its unique constraints
    no foreign key leans on, and its indexes that back no constraint (the primary key stays)."""
    keys = connection.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint k "
            "WHERE conrelid = CAST(:table AS regclass) AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = k.conindid))) "
            "ORDER BY contype DESC, conname"
        ),
        {"table": f'"{table.name}"'},
    ).all()
    indexes = connection.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:table AS regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY c.relname"
        ),
        {"table": f'"{table.name}"'},
    ).all()
    drops = [f'ALTER TABLE "{table.name}" DROP CONSTRAINT "{name}"' for name, _definition in keys]
    drops += [f'DROP INDEX "{name}"' for name, _definition in indexes]
    creates = [definition for _name, definition in indexes]
    creates += [
        f'ALTER TABLE "{table.name}" ADD CONSTRAINT "{name}" {definition}' for name, definition in keys
    ]
    return drops, creates
