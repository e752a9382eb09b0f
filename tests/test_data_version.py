"""The data version: every write raises it in its own transaction; refused, rolled-back and
login-bookkeeping writes leave it alone. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, event, insert, update
from sqlmodel import Session, select

from services import auth, backup, data_version, editing
from services.audit import record_change
from services.bulk_insert import bulk_insert
from services.models import AuditLog, Center, DatasetInfo, Equipment, LoginThrottle
from services.seed import seed
from tests import tiny_network
from tests.conftest import SEED_DAY
from tests.test_imports import GOOD_ROW, equipment_file, run_equipment

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")
ATTEMPT = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(
            session, username="tq", password="Secret-1 long enough", role="center_staff", center_code="C-TQ"
        )
        auth.create_user(session, username="reader", password="a long enough password", role="viewer")
        session.commit()
    return ids


def test_a_new_schema_starts_at_one(engine: Engine) -> None:
    assert data_version.current(engine) == 1


def test_a_database_created_again_at_the_same_address_is_a_new_lineage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Caches are keyed on lineage and number: a database dropped and created again restarts at 1,
    and a running process must not serve its views of the old database under that number."""
    from services.db import make_engine, upgrade_schema

    url = f"sqlite:///{tmp_path / 'again.db'}"
    stamps = []
    for _ in range(2):
        database = make_engine(url)
        upgrade_schema(database)
        stamps.append(data_version.current_stamp(database))
        database.dispose()
        (tmp_path / "again.db").unlink()
    assert stamps[0].endswith(":1") and stamps[1].endswith(":1")
    assert stamps[0] != stamps[1]


def test_seeding_raises_it(engine: Engine) -> None:
    seed(engine, scale=1, as_of=SEED_DAY)
    assert data_version.current(engine) == 2  # one transaction, one step


def test_an_import_raises_it_once(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW))
    assert result.ok and result.written == 1
    assert data_version.current(engine) == before + 1


def test_an_invalid_file_or_a_dry_run_leaves_it(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    assert not run_equipment(engine, b"not,a,valid\nfile\n").ok
    assert run_equipment(engine, equipment_file(GOOD_ROW), dry_run=True).ok
    assert data_version.current(engine) == before


def test_an_import_the_user_may_not_make_leaves_it(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW), username="reader")
    assert not result.ok and result.written == 0
    assert data_version.current(engine) == before


def _save(engine: Engine, username: str, equipment_id: int) -> editing.EditResult:
    with Session(engine) as session:
        version = session.get(Equipment, equipment_id).version  # type: ignore[union-attr]
        return editing.save_equipment_edits(
            session,
            username=username,
            center_code="C-TQ",
            changes={equipment_id: {"model": "X2"}},
            base_versions={equipment_id: version},
        )


def test_an_editor_save_raises_it_and_a_refused_one_does_not(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    refused = _save(engine, "reader", network["overdue"])
    assert not refused.ok and data_version.current(engine) == before
    saved = _save(engine, "tq", network["overdue"])
    assert saved.ok and saved.changed == 1
    assert data_version.current(engine) == before + 1


def test_account_changes_raise_it(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    with Session(engine) as session:
        auth.set_role(session, username="reader", role="admin")
        session.commit()
    with Session(engine) as session:
        auth.set_disabled(session, username="tq", disabled=True)
        session.commit()
    assert data_version.current(engine) == before + 2


def test_an_audit_row_of_a_change_raises_it(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    with Session(engine) as session:
        record_change(
            session,
            username="tq",
            table_name="equipment",
            row_id=1,
            action="update",
            before={"model": "A"},
            after={"model": "B"},
        )
        session.commit()
    assert data_version.current(engine) == before + 1


def test_login_bookkeeping_leaves_it(engine: Engine, network: dict[str, int]) -> None:
    """Failed logins, throttling and a successful login change nothing a cached view shows."""
    before = data_version.current(engine)
    with Session(engine) as session:
        for _ in range(6):  # the sixth is held back (five free guesses per account)
            auth.log_in(session, "tq", "wrong password", client="203.0.113.7", now=ATTEMPT)
        assert auth.log_in(session, "tq", "wrong password", now=ATTEMPT).refusal == "throttled"
        assert (
            auth.log_in(session, "nobody", "wrong password", client="203.0.113.7", now=ATTEMPT).refusal
            == "failed"
        )
    with Session(engine) as session:
        later = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
        assert auth.log_in(session, "tq", "Secret-1 long enough", client="198.51.100.1", now=later).user
    with engine.begin() as connection:  # account:nobody and client:203.0.113.7 are left
        assert connection.execute(delete(LoginThrottle)).rowcount == 2
    assert data_version.current(engine) == before


def test_a_backup_download_leaves_it_and_is_audited(engine: Engine, network: dict[str, int]) -> None:
    """A download changes nothing a view shows: every session's caches stay warm."""
    with Session(engine) as session:
        auth.create_user(session, username="boss", password="a long enough password", role="admin")
        session.commit()
    before = data_version.current(engine)
    with Session(engine) as session:
        assert backup.dump_as(session, engine, actor="boss")
    assert data_version.current(engine) == before
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action).where(AuditLog.username == "boss")).all()
    assert "backup_download" in actions


def test_a_rolled_back_transaction_leaves_it(engine: Engine, network: dict[str, int]) -> None:
    before = data_version.current(engine)
    with Session(engine) as session:
        session.add(DatasetInfo(key="note", value="undone"))
        session.flush()
        session.rollback()
    with engine.connect() as connection:
        connection.execute(update(Center).values(name_en="renamed"))
        connection.rollback()
    assert data_version.current(engine) == before


def test_bulk_and_core_statements_raise_it_once_per_transaction(
    engine: Engine, network: dict[str, int]
) -> None:
    before = data_version.current(engine)
    with Session(engine) as session:
        session.execute(update(Center).where(Center.code == "C-TQ").values(name_en="Tuyen Quang centre"))
        session.execute(update(Center).where(Center.code == "C-TQ").values(name_en="Tuyen Quang center"))
        session.commit()
    with engine.begin() as connection:
        connection.execute(
            insert(DatasetInfo), [{"key": "note", "value": "one"}, {"key": "other", "value": "two"}]
        )
    assert data_version.current(engine) == before + 2


def test_writes_on_a_connection_that_begins_by_itself_raise_it_once(
    engine: Engine, network: dict[str, int]
) -> None:
    before = data_version.current(engine)
    with engine.connect() as connection:  # no begin(): the first statement starts the transaction
        connection.execute(update(Center).where(Center.code == "C-TQ").values(name_en="one"))
        connection.execute(update(Center).where(Center.code == "C-TQ").values(name_en="two"))
        connection.commit()
    assert data_version.current(engine) == before + 1


def test_a_bulk_write_through_the_driver_raises_it(engine: Engine) -> None:
    """COPY / executemany run on the DBAPI connection, out of the engine's sight: bulk_insert says so itself."""
    before = data_version.current(engine)
    with engine.begin() as connection:
        written = list(
            bulk_insert(
                connection,
                DatasetInfo.__table__,
                ["key", "value"],  # type: ignore[attr-defined]
                [("a", "1"), ("b", "2")],
            )
        )
    assert written[-1] == 2
    assert data_version.current(engine) == before + 1


def test_a_savepoint_rolled_back_does_not_swallow_the_next_write(
    engine: Engine, network: dict[str, int]
) -> None:
    before = data_version.current(engine)
    with engine.begin() as connection:
        savepoint = connection.begin_nested()
        connection.execute(update(Center).values(name_en="undone"))
        savepoint.rollback()
        connection.execute(update(Center).where(Center.code == "C-TQ").values(name_en="kept"))
    assert data_version.current(engine) == before + 1


def test_reading_it_is_one_primary_key_lookup(seeded_engine: Engine) -> None:
    statements: list[str] = []

    def remember(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(seeded_engine, "before_cursor_execute", remember)
    try:
        version = data_version.current(seeded_engine)
    finally:
        event.remove(seeded_engine, "before_cursor_execute", remember)
    assert version >= 2  # the seeded database was written once
    assert len(statements) == 1
    assert "FROM data_version" in statements[0] and "WHERE data_version.id =" in statements[0]
