"""Backup and restore: the whole database, row for row, on either engine and across them; refusals.

The seeded network is dumped, restored into a new database, given an account, an audit row and a
merged center (so accounts, audit and self-references travel too), dumped again and restored into
a third database on each engine; every table of the last two must hold exactly the same rows.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, func, inspect, select
from sqlmodel import Session

from services import backup
from services.audit import record_change
from services.db import make_engine, upgrade_schema
from services.models import AuditLog, Center, User
from tests.conftest import ENGINES, _new_database_url

PAIRS = [(source, target) for source in ENGINES for target in ENGINES]


@pytest.fixture
def new_databases(tmp_path: Path, postgres) -> Iterator:  # type: ignore[no-untyped-def]
    """Makes brand-new, schema-less databases on either engine; drops the PostgreSQL ones after."""
    made: list[tuple[str, Engine]] = []

    def make(kind: str) -> Engine:
        url = _new_database_url(kind, tmp_path, postgres)
        engine = make_engine(url)
        made.append((url, engine))
        return engine

    yield make
    for url, engine in made:
        engine.dispose()
        if url.startswith("postgresql"):
            postgres.drop(url)


@pytest.fixture(scope="module")
def seeded_backup(seeded_urls: dict[str, str]) -> bytes:
    engine = make_engine(seeded_urls["sqlite"])
    try:
        return backup.dump_bytes(engine)[0]
    finally:
        engine.dispose()


def same_instant(value: object) -> object:
    """A time as UTC without a zone: PostgreSQL may return the app's UTC times with their zone."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def every_row(engine: Engine) -> dict[str, list[tuple]]:
    """Each table's rows in primary-key order, columns by name (so engine column order does not matter)."""
    metadata = MetaData()
    metadata.reflect(engine)
    rows: dict[str, list[tuple]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            names = sorted(column.name for column in table.columns)
            order = list(table.primary_key.columns) or list(table.columns)
            rows[table.name] = [
                tuple(same_instant(row._mapping[name]) for name in names)
                for row in connection.execute(select(table).order_by(*order))
            ]
    return rows


def add_account_audit_and_merger(engine: Engine) -> None:
    """Rows the demo seed lacks: an audit row, a new account, a center pointing to a successor."""
    with Session(engine) as session:
        center = session.exec(select(Center).where(Center.code == "TTKT-31")).scalars().first()  # type: ignore[call-overload]
        successor = Center(
            code="ZZ-NEW",
            name_vi="Trung tâm mới",
            name_en="New center",
            kind="lab",
            province_key=center.province_key,
            lat=center.lat,
            lon=center.lon,
        )
        session.add(successor)
        session.flush()
        center.successor_id = successor.id  # points to a higher id: restored in two passes
        session.add(
            User(
                username="restored.staff",
                role="center_staff",
                center_id=center.id,
                email="staff@example.invalid",
            )
        )
        record_change(
            session,
            username="admin",
            table_name="center",
            row_id=center.id,
            action="update",
            before={"successor_id": None},
            after={"successor_id": successor.id},
            center_id=center.id,
            at=datetime(2026, 11, 30, 8, 15, 42, 123456, tzinfo=UTC),
        )
        session.commit()


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_a_restore_holds_every_row_of_every_table_exactly(
    seeded_backup: bytes,
    new_databases,
    source_kind: str,
    target_kind: str,  # type: ignore[no-untyped-def]
) -> None:
    source = new_databases(source_kind)
    backup.restore(source, seeded_backup)
    add_account_audit_and_merger(source)
    data, dumped = backup.dump_bytes(source)
    target = new_databases(target_kind)
    restored = backup.restore(target, data)

    expected = every_row(source)
    assert every_row(target) == expected
    assert {t.name: t.rows for t in restored.tables} == {t.name: t.rows for t in dumped.tables}
    assert {t.name: t.rows for t in dumped.tables} == {
        name: len(rows) for name, rows in expected.items() if name != backup.VERSION_TABLE
    }
    assert len(expected["audit_log"]) == 1 and len(expected["equipment"]) > 1000
    assert restored.schema_version == backup.head_revision(target)


@pytest.mark.parametrize("kind", ENGINES)
def test_dump_and_restore_tell_their_progress_in_rows_up_to_the_whole(
    seeded_urls: dict[str, str],
    new_databases,
    kind: str,  # type: ignore[no-untyped-def]
) -> None:
    dumped: list[tuple[int, int]] = []
    restored: list[tuple[int, int]] = []
    source = make_engine(seeded_urls[kind])
    try:
        data, summary = backup.dump_bytes(source, lambda done, total: dumped.append((done, total)))
    finally:
        source.dispose()
    backup.restore(new_databases(kind), data, lambda done, total: restored.append((done, total)))
    for calls in (dumped, restored):
        done = [d for d, _ in calls]
        assert {total for _, total in calls} == {summary.total_rows}
        assert done[0] == 0 and done[-1] == summary.total_rows and done == sorted(done)
        # a step every INSERT_BATCH rows at most: a bar that moves, not one that jumps at the end
        assert max(b - a for a, b in zip(done, done[1:], strict=False)) <= backup.INSERT_BATCH
    assert summary.total_rows > 20 * backup.INSERT_BATCH


@pytest.mark.parametrize("kind", ENGINES)
def test_new_rows_after_a_restore_take_the_next_free_id(
    seeded_backup: bytes, new_databases, kind: str
) -> None:  # type: ignore[no-untyped-def]
    target = new_databases(kind)
    backup.restore(target, seeded_backup)
    with Session(target) as session:
        largest = session.execute(select(func.max(AuditLog.id))).scalar() or 0
        largest_center = session.execute(select(func.max(Center.id))).scalar()
        entry = record_change(session, username="admin", table_name="center", row_id=1, action="update")
        center = Center(code="ZZ-NEXT", name_vi="x", name_en="x", kind="lab", province_key="31", lat=0, lon=0)
        session.add(center)
        session.commit()
        assert entry.id == largest + 1
        assert center.id == largest_center + 1


def rewritten(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """The backup with ``change(name, content) -> content`` applied to each member."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return buffer.getvalue()


def with_manifest(data: bytes, **fields: object) -> bytes:
    def change(name: str, content: bytes) -> bytes:
        if name != backup.MANIFEST:
            return content
        return json.dumps({**json.loads(content), **fields}).encode()

    return rewritten(data, change)


def tampered_equipment(name: str, content: bytes) -> bytes:
    return content.replace(b"in_service", b"retired", 1) if name == "tables/equipment.jsonl" else content


def resealed_with_a_bad_row(data: bytes) -> bytes:
    """An equipment row that is not a row of that table, under a checksum recomputed to match."""
    source = zipfile.ZipFile(io.BytesIO(data))
    lines = source.read("tables/equipment.jsonl").split(b"\n")
    lines[5] = b'["not", "a", "row"]'
    member = b"\n".join(lines)
    manifest = json.loads(source.read(backup.MANIFEST))
    manifest["tables"]["equipment"]["sha256"] = hashlib.sha256(member).hexdigest()
    return rewritten(
        data,
        lambda name, content: (
            member
            if name == "tables/equipment.jsonl"
            else json.dumps(manifest).encode()
            if name == backup.MANIFEST
            else content
        ),
    )


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(backup.MANIFEST, json.dumps({"format": backup.FORMAT, "format_version": 1}))
        with archive.open("tables/padding.jsonl", "w", force_zip64=True) as member:
            block = b"\0" * (16 * 1024 * 1024)
            for _ in range(backup.MAX_UNPACKED_BYTES // len(block) + 1):
                member.write(block)
    return buffer.getvalue()


REFUSALS = {
    "not_a_backup": lambda data: b"PK\x03\x04 not really a zip" + data[:100],
    "not_a_backup_json": lambda data: rewritten(data, lambda n, c: b"{}" if n == backup.MANIFEST else c),
    "schema_version": lambda data: with_manifest(data, schema_version="0001_initial_schema"),
    "checksum": lambda data: rewritten(data, tampered_equipment),
    "format_version": lambda data: with_manifest(data, format_version=99),
    "truncated": lambda data: data[: len(data) // 2],
    "bad_row": resealed_with_a_bad_row,
    "unpacked_too_big": lambda data: zip_bomb(),
}
EXPECTED_KEY = {"not_a_backup_json": "not_a_backup", "truncated": "not_a_backup"}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_damaged_or_foreign_file_is_refused_and_writes_nothing(
    seeded_backup: bytes,
    new_databases,
    case: str,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    # a bomb past the real 2 GB cap would take a minute to build; the rule is the same at 64 MB
    monkeypatch.setattr(backup, "MAX_UNPACKED_BYTES", 64 * 1024 * 1024)
    target = new_databases("sqlite")
    upgrade_schema(target)
    before = every_row(target)
    with pytest.raises(backup.BackupRefusal) as refusal:
        backup.restore(target, REFUSALS[case](seeded_backup))
    assert refusal.value.key == f"backup.error.{EXPECTED_KEY.get(case, case)}"
    vi, en = refusal.value.message("vi"), refusal.value.message("en")
    assert vi != en and "backup.error" not in vi + en
    assert every_row(target) == before


@pytest.mark.parametrize("kind", ENGINES)
def test_a_database_holding_rows_is_never_overwritten(seeded_backup: bytes, new_databases, kind: str) -> None:  # type: ignore[no-untyped-def]
    target = new_databases(kind)
    backup.restore(target, seeded_backup)
    before = every_row(target)
    with pytest.raises(backup.BackupRefusal) as refusal:
        backup.restore(target, seeded_backup)
    assert refusal.value.key == "backup.error.target_not_empty"
    assert "Cơ sở dữ liệu đích" in refusal.value.message("vi")
    assert every_row(target) == before


def test_a_tampered_file_is_refused_before_a_brand_new_database_gets_any_row(
    seeded_backup: bytes,
    new_databases,  # type: ignore[no-untyped-def]
) -> None:
    target = new_databases("sqlite")
    with pytest.raises(backup.BackupRefusal):
        backup.restore(target, rewritten(seeded_backup, tampered_equipment))
    assert not inspect(target).get_table_names()  # not even the schema was built


def test_the_command_dumps_and_restores_and_refuses_a_second_restore(
    seeded_urls: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "network.zip"
    assert backup.main(["dump", str(file), "--database-url", seeded_urls["sqlite"]]) == 0
    target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    assert backup.main(["restore", str(file), "--database-url", target_url]) == 0
    assert backup.main(["--lang", "vi", "restore", str(file), "--database-url", target_url]) == 2
    output = capsys.readouterr()
    assert "network.zip" in output.out and "Cơ sở dữ liệu đích" in output.err
    rows = re.search(r"Wrote (\d+) rows", output.out)
    assert (
        rows and "dump: 100%" in output.err and f"{rows[1]}/{rows[1]} [" in output.err
    )  # the bar ended full
    source, target = make_engine(seeded_urls["sqlite"]), make_engine(target_url)
    try:
        assert every_row(target) == every_row(source)
        assert not inspect(target).has_table("nothing") and not list(tmp_path.glob("*.partial"))
    finally:
        source.dispose()
        target.dispose()
