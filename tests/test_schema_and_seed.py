"""Migrations build the schema from nothing; the seeder is deterministic and grows with --scale."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, inspect, text
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, select

from services import models as m
from services.dataset import default_as_of, demo_as_of
from services.db import make_engine, upgrade_schema
from services.seed import seed
from tests import conftest

SEED_DAY = date(2026, 11, 1)
TABLES = sorted(SQLModel.metadata.tables)


def table_rows(engine: Engine, table: str) -> list[tuple]:
    """Every row of a table in primary-key order, for exact comparisons."""
    metadata_table = SQLModel.metadata.tables[table]
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(select_rows(metadata_table).order_by(*metadata_table.primary_key))
        ]


def test_upgrade_from_empty_creates_every_table_with_indexes(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade_schema(engine)
    inspector = inspect(engine)
    assert set(TABLES) <= set(inspector.get_table_names())
    indexed = {column for index in inspector.get_indexes("equipment") for column in index["column_names"]}
    assert {"center_id", "quantity_code", "next_due_on", "status"} <= indexed
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    upgrade_schema(engine)  # a second upgrade is a no-op, not an error
    engine.dispose()


def test_seeder_is_deterministic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.demo.equipment import network_items

    first, second = (make_engine(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db"))
    seed(first, as_of=SEED_DAY)
    network_items.cache_clear()  # the second network is drawn again, not taken from the first
    seed(second, as_of=SEED_DAY)
    for table in TABLES:
        # accounts carry salted hashes; each database's data version has its own random lineage
        if table in ("app_user", "alembic_version", "data_version"):
            continue
        assert table_rows(first, table) == table_rows(second, table), table


def test_scale_grows_equipment_and_history(tmp_path) -> None:  # type: ignore[no-untyped-def]
    small, large = (make_engine(f"sqlite:///{tmp_path / name}") for name in ("s.db", "l.db"))
    counts_small = seed(small, scale=1, as_of=SEED_DAY)
    counts_large = seed(large, scale=3, as_of=SEED_DAY)
    # each center's kit grows threefold; VMI's and IMTS's top standards exist once at any scale
    assert 2.6 * counts_small["equipment"] <= counts_large["equipment"] <= 3.4 * counts_small["equipment"]
    assert counts_large["calibration_record"] > 2.5 * counts_small["calibration_record"]
    assert counts_large["center"] == counts_small["center"]


def test_seeding_a_database_with_data_is_refused(engine: Engine) -> None:
    seed(engine, as_of=SEED_DAY)
    with pytest.raises(RuntimeError, match="already holds data"):
        seed(engine, as_of=SEED_DAY)


def test_seeded_due_dates_follow_intervals_and_match_history(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        latest = (
            select(
                m.CalibrationRecord.equipment_id, func.max(m.CalibrationRecord.calibrated_on).label("last")
            )
            .group_by(m.CalibrationRecord.equipment_id)
            .subquery()
        )
        rows = session.exec(  # type: ignore[call-overload]
            select(
                m.Equipment.last_calibrated_on, m.Equipment.next_due_on, latest.c.last, m.CalibrationRecord
            )
            .join(latest, latest.c.equipment_id == m.Equipment.id)
            .join(
                m.CalibrationRecord,
                (m.CalibrationRecord.equipment_id == m.Equipment.id)
                & (m.CalibrationRecord.calibrated_on == latest.c.last),
            )
        ).all()
        assert rows
        for last_on, next_due, last, record in rows:
            assert last_on == last
            assert next_due == record.due_on
        passed = session.exec(
            select(m.CalibrationRecord, m.Equipment)
            .join(m.Equipment, m.Equipment.id == m.CalibrationRecord.equipment_id)
            .where(m.CalibrationRecord.result == "pass")
            .limit(200)
        ).all()
        for record, equipment in passed:
            months = (
                (record.due_on.year - record.calibrated_on.year) * 12
                + record.due_on.month
                - record.calibrated_on.month
            )
            assert months == equipment.calibration_interval_months


def test_seed_holds_the_real_ha_long_facts(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        real_events = session.exec(select(m.Event).where(m.Event.is_demo == False)).all()  # noqa: E712
        hai_phong = session.exec(
            select(m.Agreement)
            .join(m.Center, m.Center.id == m.Agreement.center_id)
            .where(m.Center.code == "TTKT-31")
        ).one()
    assert {(e.held_on, e.kind) for e in real_events} == {
        (date(2024, 6, 14), "conference"),
        (date(2024, 6, 14), "signing"),
    }
    assert all("Hạ Long" in e.place_vi for e in real_events)
    assert hai_phong.signed_on == date(2024, 6, 14) and not hai_phong.is_demo


@pytest.mark.date_sensitive
def test_seed_records_the_day_it_describes(seeded_engine: Engine, engine: Engine) -> None:
    with Session(seeded_engine) as session:
        assert demo_as_of(session) == conftest.SEED_DAY
        assert default_as_of(session, date(2031, 3, 14)) == conftest.SEED_DAY
    with Session(engine) as session:  # no demo network: a view defaults to today
        assert demo_as_of(session) is None
        assert default_as_of(session, date(2031, 3, 14)) == date(2031, 3, 14)


@pytest.mark.date_sensitive
def test_seed_has_overdue_and_bigger_provinces_hold_more(seeded_engine: Engine) -> None:
    with seeded_engine.connect() as connection:
        overdue = connection.execute(
            text("SELECT COUNT(*) FROM equipment WHERE status != 'retired' AND next_due_on < :today"),
            {"today": conftest.SEED_DAY},
        ).scalar_one()
        per_center = dict(
            connection.execute(
                text(
                    "SELECT c.code, COUNT(*) FROM equipment e JOIN center c ON c.id = e.center_id GROUP BY c.code"
                )
            ).all()
        )
    assert overdue > 0
    assert per_center["TTKT-01"] > per_center["TTKT-12"]  # Hà Nội holds more than Lai Châu


def test_the_seeders_progress_draws_one_bar_per_stage(tmp_path, monkeypatch, cheap_password_hashes) -> None:  # type: ignore[no-untyped-def]
    """Issue 10: a bar per stage (building the network, then each table), never a new one per update."""
    import tqdm

    from services import seed as seeder

    made: list[str] = []

    class CountedBar(tqdm.tqdm):  # type: ignore[type-arg]
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            made.append(kwargs["desc"].strip())
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm, "tqdm", CountedBar)
    seeder.main(["--database-url", f"sqlite:///{tmp_path / 'bars.db'}", "--as-of", "2026-11-30"])
    tables = [str(table.__tablename__) for table in seeder.INSERT_ORDER]
    assert made == ["building the network", *tables]


def test_the_seed_builds_again_every_index_it_defers(tmp_path, cheap_password_hashes) -> None:  # type: ignore[no-untyped-def]
    """The bulk tables' indexes are dropped during the load on SQLite and rebuilt: the schema after
    a seed has exactly the indexes of a freshly upgraded one, and they are used."""
    indexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade_schema(fresh)
    seeded = make_engine(f"sqlite:///{tmp_path / 'seeded.db'}")
    seed(seeded, as_of=date(2026, 11, 30))
    with fresh.connect() as a, seeded.connect() as b:
        expected = a.execute(text(indexes)).all()
        assert b.execute(text(indexes)).all() == expected
        assert any(name == "ix_calibration_record_equipment_id" for name, _ in expected)
        plan = b.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM calibration_record WHERE equipment_id = 7"
        ).all()
        assert "ix_calibration_record_equipment_id" in str(plan)
        assert b.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    fresh.dispose()
    seeded.dispose()
