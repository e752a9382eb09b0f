"""The whole database in one file and back: every table, accounts and audit included, on either engine.

A backup is a zip holding ``manifest.json`` (format, Alembic schema version, per table its columns,
row count and SHA-256) and ``tables/<name>.jsonl``, one JSON array per row in the manifest's column
order, rows ordered by primary key. Values are engine-neutral (dates and times in ISO 8601, floats
as JSON numbers, which round-trip every double exactly), so a SQLite backup restores into
PostgreSQL and back.

A restore goes only into an empty database (no tables, or the schema of the same version without a
single row), checks the whole file (sizes before unpacking, checksums, row counts, columns, every
value) before it writes anything, then writes every row in one transaction and, on PostgreSQL,
moves each id sequence past the restored ids. A checksum catches a damaged or edited file; it is
no signature: whoever may edit the file may recompute it, so backups are kept where only admins
reach them.

    python -m services.backup dump FILE [--database-url URL]
    python -m services.backup restore FILE --database-url URL
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Final

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, func, inspect, select, text, types
from sqlmodel import Session

from services import auth
from services.audit import record_change
from services.db import alembic_config, make_engine, refresh_statistics, upgrade_schema
from services.i18n import translate
from services.models import DataVersion

FORMAT: Final = "metrology-network-backup"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
VERSION_TABLE: Final = "alembic_version"
MAX_BACKUP_BYTES: Final = 200 * 1024 * 1024  # the file as uploaded
MAX_UNPACKED_BYTES: Final = 2 * 1024 * 1024 * 1024  # all members together, as the zip declares them
MAX_MEMBERS: Final = 200
MAX_MANIFEST_BYTES: Final = 1024 * 1024
INSERT_BATCH: Final = 1_000

# Told (rows done, rows in all) every INSERT_BATCH rows and at the end: a national backup is about
# two million rows, a dump of 20 s and a restore of minutes, which a person watches on a bar.
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    """The default listener: nobody watches."""


# Tables whose rows the migrations themselves write (the data version's single row): an empty
# database already holds them, and a restore replaces them with the backup's, last, so that the
# data version that the restore's own writes raise ends exactly as it was in the backup.
BOOKKEEPING_TABLES: Final = frozenset({DataVersion.__tablename__})


class BackupRefusal(Exception):
    """A backup or restore that cannot go ahead; ``key`` names the catalog message, ``params`` fill it."""

    def __init__(self, key: str, **params: str) -> None:
        self.key, self.params = key, dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return translate(self.key, lang, **self.params)


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int


@dataclass
class BackupSummary:
    schema_version: str
    tables: list[TableSummary] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


# --- the schema on each side ---------------------------------------------------------------------


def head_revision(engine: Engine) -> str:
    """The newest Alembic revision this code knows (the schema it builds)."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def _schema_version(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def _data_tables(connection: Connection) -> list[Table]:
    """Every table but Alembic's own, parents before children (foreign keys decide)."""
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def _primary_order(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


# --- values, engine-neutral ------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _instant(aware_column: bool) -> Any:
    """ISO text -> datetime for a column with or without a time zone; times without one are UTC.

    The app writes UTC times; PostgreSQL may keep them with their zone while SQLite keeps none,
    so a time crossing engines is the same instant, given or stripped of its UTC zone.
    """

    def read(text_value: str) -> datetime:
        moment = datetime.fromisoformat(text_value)
        if aware_column:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment

    return read


def _decoder(column_type: types.TypeEngine) -> Any:
    """A function reading a JSON value back into what the target column holds."""
    if isinstance(column_type, types.DateTime):
        return _instant(bool(getattr(column_type, "timezone", False)))
    if isinstance(column_type, types.Date):
        return date.fromisoformat
    if isinstance(column_type, types.Boolean):
        return bool
    if isinstance(column_type, types.Float | types.Numeric) and not isinstance(column_type, types.Integer):
        return float
    if isinstance(column_type, types.Integer):
        return int
    return str


# --- dump ------------------------------------------------------------------------------------------


def _table_lines(connection: Connection, table: Table) -> Iterator[bytes]:
    query = select(*table.columns).order_by(*_primary_order(table))
    for row in connection.execute(query.execution_options(yield_per=INSERT_BATCH)):
        yield (
            json.dumps([_encode(value) for value in row], ensure_ascii=False, separators=(",", ":")).encode()
            + b"\n"
        )


def dump(engine: Engine, target: IO[bytes], progress: Progress = _no_progress) -> BackupSummary:
    """Write every table of ``engine``'s database into ``target`` as one consistent snapshot."""
    isolation = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**isolation) as connection, connection.begin():
        version = _schema_version(connection)
        if version is None:
            raise BackupRefusal("backup.error.no_schema")
        summary = BackupSummary(schema_version=version)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": version,
            "engine": engine.dialect.name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": {},
        }
        tables = _data_tables(connection)
        # counted in the same snapshot as the rows, so the bar ends exactly at its total
        total = sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one() for table in tables
        )
        done = 0
        progress(done, total)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in tables:
                digest, rows = hashlib.sha256(), 0
                with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as member:
                    for line in _table_lines(connection, table):
                        member.write(line)
                        digest.update(line)
                        rows += 1
                        if rows % INSERT_BATCH == 0:
                            progress(done + rows, total)
                done += rows
                progress(done, total)
                manifest["tables"][table.name] = {
                    "columns": [column.name for column in table.columns],
                    "rows": rows,
                    "sha256": digest.hexdigest(),
                }
                summary.tables.append(TableSummary(table.name, rows))
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return summary


def dump_bytes(engine: Engine, progress: Progress = _no_progress) -> tuple[bytes, BackupSummary]:
    buffer = io.BytesIO()
    summary = dump(engine, buffer, progress)
    return buffer.getvalue(), summary


# --- reading a backup, every limit before work -------------------------------------------------------


def _open_archive(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupRefusal("backup.error.too_big", limit=f"{MAX_BACKUP_BYTES // 1024 // 1024} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise BackupRefusal("backup.error.not_a_backup") from None
    if len(members) > MAX_MEMBERS:
        raise BackupRefusal("backup.error.too_many_members", count=str(len(members)), limit=str(MAX_MEMBERS))
    # zipfile never unpacks a member past its declared size, so the declared sizes bound the work
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise BackupRefusal("backup.error.unpacked_too_big", limit=f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB")
    return archive


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise BackupRefusal("backup.error.not_a_backup") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise BackupRefusal("backup.error.corrupt", member=MANIFEST)
    try:
        manifest = json.loads(archive.read(info))
    except (ValueError, zipfile.BadZipFile, OSError, EOFError):
        raise BackupRefusal("backup.error.corrupt", member=MANIFEST) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefusal("backup.error.not_a_backup")
    if manifest.get("format_version") != FORMAT_VERSION or not isinstance(manifest.get("tables"), dict):
        raise BackupRefusal(
            "backup.error.format_version",
            found=str(manifest.get("format_version")),
            expected=str(FORMAT_VERSION),
        )
    return manifest


def _member_lines(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    try:
        with archive.open(f"tables/{name}.jsonl") as member:
            yield from member
    except KeyError:
        raise BackupRefusal("backup.error.missing_table", table=name) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise BackupRefusal("backup.error.corrupt", member=f"tables/{name}.jsonl") from None


def _decoded_rows(archive: zipfile.ZipFile, table: Table, entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The rows of one table, each checked against the target's columns (raises on the first flaw)."""
    columns = [table.columns[name] for name in entry["columns"]]
    decoders = [_decoder(column.type) for column in columns]
    member = f"tables/{table.name}.jsonl"
    for number, line in enumerate(_member_lines(archive, table.name), start=1):
        try:
            values = json.loads(line)
            if not isinstance(values, list) or len(values) != len(columns):
                raise ValueError
            yield {
                column.name: None if value is None else decode(value)
                for column, decode, value in zip(columns, decoders, values, strict=True)
            }
        except (ValueError, TypeError):
            raise BackupRefusal("backup.error.bad_row", member=member, row=str(number)) from None


def _check_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    """Every member whole: its checksum and its line count as the manifest says (no database needed)."""
    for name, entry in sorted(manifest["tables"].items()):
        if not isinstance(entry, dict):
            raise BackupRefusal("backup.error.corrupt", member=MANIFEST)
        digest, rows = hashlib.sha256(), 0
        for line in _member_lines(archive, name):
            digest.update(line)
            rows += 1
        if digest.hexdigest() != entry.get("sha256"):
            raise BackupRefusal("backup.error.checksum", table=name)
        if rows != entry.get("rows"):
            raise BackupRefusal(
                "backup.error.row_count", table=name, found=str(rows), expected=str(entry.get("rows"))
            )


def _check_tables(archive: zipfile.ZipFile, manifest: dict[str, Any], tables: list[Table]) -> None:
    """The target has the backup's tables and columns. (Each value is read as it is inserted: a value
    that does not read as its column's type refuses the file inside the restore's one transaction.)"""
    expected = {table.name for table in tables}
    found = set(manifest["tables"])
    if found != expected:
        missing, extra = sorted(expected - found), sorted(found - expected)
        raise BackupRefusal(
            "backup.error.tables_differ", missing=", ".join(missing) or "—", extra=", ".join(extra) or "—"
        )
    for table in tables:
        entry = manifest["tables"][table.name]
        if sorted(entry.get("columns", [])) != sorted(column.name for column in table.columns):
            raise BackupRefusal("backup.error.columns_differ", table=table.name)


def inspect_backup(data: bytes) -> BackupSummary:
    """What a backup holds (schema version, rows per table), from its manifest, after the size limits."""
    manifest = _read_manifest(_open_archive(data))
    return BackupSummary(
        str(manifest.get("schema_version")),
        [TableSummary(name, int(entry.get("rows", 0))) for name, entry in sorted(manifest["tables"].items())],
    )


# --- restore ---------------------------------------------------------------------------------------


def _ready_target(engine: Engine, schema_version: str) -> None:
    """Refuse a target holding any row or another schema; build the schema in a database with none."""
    with engine.connect() as connection:
        version = _schema_version(connection)
        has_tables = bool([name for name in inspect(connection).get_table_names() if name != VERSION_TABLE])
        if version is None and has_tables:
            raise BackupRefusal("backup.error.target_not_empty", table="—")
        if version is not None:
            if version != schema_version:
                raise BackupRefusal("backup.error.schema_version", found=schema_version, expected=version)
            for table in _data_tables(connection):
                if (
                    table.name not in BOOKKEEPING_TABLES
                    and connection.execute(select(func.count()).select_from(table)).scalar_one()
                ):
                    raise BackupRefusal("backup.error.target_not_empty", table=table.name)
            return
    if schema_version != head_revision(engine):
        raise BackupRefusal(
            "backup.error.schema_version", found=schema_version, expected=head_revision(engine)
        )
    upgrade_schema(engine)


def _self_references(table: Table) -> list[str]:
    """Columns pointing into their own table (a center's successor): filled in after every row is in."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _insert_table(
    connection: Connection, archive: zipfile.ZipFile, table: Table, entry: dict[str, Any], inserted: Progress
) -> None:
    """Insert the table's rows in batches, telling ``inserted`` (rows of this table, its rows) after each."""
    later = _self_references(table)
    keys = [column.name for column in _primary_order(table)]
    batch: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    rows = 0
    for row in _decoded_rows(archive, table, entry):
        if later and any(row[name] is not None for name in later):
            pending.append({**{f"key_{k}": row[k] for k in keys}, **{f"ref_{n}": row[n] for n in later}})
            row = {**row, **dict.fromkeys(later)}
        batch.append(row)
        if len(batch) >= INSERT_BATCH:
            connection.execute(table.insert(), batch)
            rows += len(batch)
            inserted(rows, entry["rows"])
            batch = []
    if batch:
        connection.execute(table.insert(), batch)
        rows += len(batch)
        inserted(rows, entry["rows"])
    if pending:
        update = (
            table.update()
            .where(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
            .values({name: bindparam(f"ref_{name}") for name in later})
        )
        connection.execute(update, pending)


def _reset_sequences(connection: Connection, tables: list[Table]) -> None:
    """On PostgreSQL, the next id of every serial column follows the restored ones."""
    if connection.dialect.name != "postgresql":
        return  # SQLite's next rowid is always one past the largest
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, types.Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            ).scalar()
            if sequence:
                connection.execute(
                    text(
                        f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 1), '
                        f'(SELECT MAX("{column.name}") FROM "{table.name}") IS NOT NULL)'
                    ),
                    {"s": sequence},
                )


def restore(engine: Engine, data: bytes, progress: Progress = _no_progress) -> BackupSummary:
    """Load a backup into the empty database of ``engine``, every row or none."""
    archive = _open_archive(data)
    manifest = _read_manifest(archive)
    schema_version = str(manifest.get("schema_version"))
    _check_members(archive, manifest)  # a damaged file is refused before the target is touched
    _ready_target(engine, schema_version)
    with engine.connect() as connection:
        tables = _data_tables(connection)
    _check_tables(archive, manifest, tables)
    summary = BackupSummary(schema_version)
    ordinary = [table for table in tables if table.name not in BOOKKEEPING_TABLES]
    bookkeeping = [table for table in tables if table.name in BOOKKEEPING_TABLES]
    total = sum(int(manifest["tables"][table.name]["rows"]) for table in tables)
    done = 0
    progress(done, total)

    def inserted(rows: int, _of: int) -> None:
        progress(done + rows, total)

    with engine.begin() as connection:
        for table in ordinary:
            # a concurrent writer may have filled the target since the check: refuse, write nothing
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise BackupRefusal("backup.error.target_not_empty", table=table.name)
            _insert_table(connection, archive, table, manifest["tables"][table.name], inserted)
            done += int(manifest["tables"][table.name]["rows"])
        for table in bookkeeping:
            connection.execute(table.delete())
            _insert_table(connection, archive, table, manifest["tables"][table.name], inserted)
            done += int(manifest["tables"][table.name]["rows"])
        _reset_sequences(connection, tables)
    refresh_statistics(engine)
    summary.tables = [
        TableSummary(table.name, int(manifest["tables"][table.name]["rows"])) for table in tables
    ]
    return summary


# --- for a person in the app: administrators only ------------------------------------------------


def _require_admin(session: Session, actor: str) -> None:
    """Refuse anyone but an active administrator, asked of the app's database at the moment of the call
    (a page's check alone would let any caller of the service through)."""
    user = auth.signed_in_user(session, actor)
    if user is None or not user.is_admin:
        raise BackupRefusal("backup.error.admins_only", user=actor[:64] or "—")


def dump_as(session: Session, engine: Engine, *, actor: str, progress: Progress = _no_progress) -> bytes:
    """The backup an administrator downloads (it holds the password hashes); audited in the app's database."""
    _require_admin(session, actor)
    data, summary = dump_bytes(engine, progress)
    record_change(
        session,
        username=actor,
        table_name="backup",
        row_id="—",
        action="backup_download",
        after={"rows": summary.total_rows, "schema_version": summary.schema_version},
    )
    session.commit()
    return data


def restore_as(
    session: Session, target: Engine, data: bytes, *, actor: str, progress: Progress = _no_progress
) -> BackupSummary:
    """``restore`` into ``target`` by an administrator of the app whose database ``session`` reads.

    The audit row goes into the app's database, never the target's, whose rows stay exactly the
    backup's.
    """
    _require_admin(session, actor)
    summary = restore(target, data, progress)
    record_change(
        session,
        username=actor,
        table_name="backup",
        row_id="—",
        action="backup_restore",
        after={
            "target": target.url.render_as_string(hide_password=True),
            "rows": summary.total_rows,
            "schema_version": summary.schema_version,
        },
    )
    session.commit()
    return summary


# --- command line ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.backup", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dump_command = commands.add_parser("dump", help="write the whole database into FILE")
    dump_command.add_argument("file", type=Path)
    dump_command.add_argument("--database-url", default=None)
    restore_command = commands.add_parser("restore", help="load FILE into an empty database")
    restore_command.add_argument("file", type=Path)
    restore_command.add_argument("--database-url", required=True)
    parser.add_argument("--lang", default="en", choices=["vi", "en"])
    args = parser.parse_args(argv)
    from tqdm import tqdm

    engine = make_engine(args.database_url)
    bar = tqdm(total=0, desc=args.command, unit="rows", file=sys.stderr)

    def show(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()

    try:
        if args.command == "dump":
            partial = args.file.with_name(args.file.name + ".partial")
            try:
                with partial.open("wb") as target:
                    summary = dump(engine, target, show)
            except BaseException:
                partial.unlink(missing_ok=True)  # a failed dump never leaves a file that looks whole
                raise
            partial.replace(args.file)
        else:
            if args.file.stat().st_size > MAX_BACKUP_BYTES:
                raise BackupRefusal("backup.error.too_big", limit=f"{MAX_BACKUP_BYTES // 1024 // 1024} MB")
            summary = restore(engine, args.file.read_bytes(), show)
    except BackupRefusal as refusal:
        bar.close()
        print(refusal.message(args.lang), file=sys.stderr)
        return 2
    finally:
        bar.close()
        engine.dispose()
    verb = "backup.cli.dumped" if args.command == "dump" else "backup.cli.restored"
    print(
        translate(
            verb,
            args.lang,
            rows=str(summary.total_rows),
            tables=str(len(summary.tables)),
            version=summary.schema_version,
            file=str(args.file),
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
