"""No lost updates: two people editing the same equipment, on SQLite and PostgreSQL.

Each "person" is a Session of their own that loads the editor's rows (with versions) first and
saves later, the way two browser sessions of the data page do.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlmodel import Session

from services import auth, editing
from services.audit import LOCAL_TIME_ZONE
from tests import tiny_network
from tests.test_imports import fingerprint

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")
VIETNAM = ZoneInfo(LOCAL_TIME_ZONE)


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(
            session, username="tq", password="Secret-1 long enough", role="center_staff", center_code="C-TQ"
        )
        auth.create_user(session, username="boss", password="a long enough password", role="admin")
        session.commit()
    return ids


def opened_editor(engine: Engine, center_id: int) -> dict[int, int]:
    """The versions a person's editor holds: the rows as they were when the grid was drawn."""
    with Session(engine) as session:
        frame = editing.equipment_for_editing(session, center_id=center_id)
    return dict(zip(frame["id"], frame["version"], strict=True))


def save(
    engine: Engine, username: str, changes: dict[int, dict[str, object]], versions: dict[int, int]
) -> editing.EditResult:
    with Session(engine) as session:
        return editing.save_equipment_edits(
            session, username=username, center_code="C-TQ", changes=changes, base_versions=versions
        )


def stored(engine: Engine, equipment_id: int) -> tuple[object, ...]:
    with engine.connect() as connection:
        return tuple(
            connection.execute(
                text("SELECT model, status, version FROM equipment WHERE id = :id"), {"id": equipment_id}
            ).one()
        )


@pytest.mark.date_sensitive
def test_the_second_save_of_the_same_row_is_refused_naming_who_changed_it_and_when(
    engine: Engine, network: dict[str, int]
) -> None:
    staff_view, admin_view = opened_editor(engine, network["tq"]), opened_editor(engine, network["tq"])
    with time_machine.travel(datetime(2031, 3, 14, 9, 5, tzinfo=VIETNAM), tick=False):
        first = save(engine, "boss", {network["overdue"]: {"model": "X2"}}, admin_view)
    assert first.ok and first.changed == 1
    before = fingerprint(engine)
    second = save(engine, "tq", {network["overdue"]: {"model": "X3", "status": "repair"}}, staff_view)
    assert not second.ok and second.changed == 0
    assert [(p.serial, p.key, p.params["user"], p.params["at"]) for p in second.problems] == [
        ("OVERDUE-1", "concurrency.edit.stale", "boss", "14/03/2031 09:05")
    ]
    assert (
        second.problems[0]
        .message("vi")
        .startswith("Thiết bị OVERDUE-1 đã được boss thay đổi lúc 14/03/2031 09:05")
    )
    assert (
        second.problems[0]
        .message("en")
        .startswith("Equipment OVERDUE-1 was changed by boss at 14/03/2031 09:05")
    )
    assert fingerprint(engine) == before  # nothing written, not even an audit row
    assert stored(engine, network["overdue"]) == ("X2", "in_service", 2)


def test_a_stale_cell_sent_again_does_not_revert_the_other_persons_change(
    engine: Engine, network: dict[str, int]
) -> None:
    staff_view, admin_view = opened_editor(engine, network["tq"]), opened_editor(engine, network["tq"])
    assert save(engine, "boss", {network["overdue"]: {"model": "X2"}}, admin_view).ok
    # the staff member's grid still shows the old model; sending that old cell would have reverted X2
    for _ in range(2):
        again = save(engine, "tq", {network["overdue"]: {"model": "CPG1500"}}, staff_view)
        assert [p.key for p in again.problems] == ["concurrency.edit.stale"]
    assert stored(engine, network["overdue"]) == ("X2", "in_service", 2)


def test_one_stale_row_among_fresh_ones_saves_none_of_them(engine: Engine, network: dict[str, int]) -> None:
    staff_view, admin_view = opened_editor(engine, network["tq"]), opened_editor(engine, network["tq"])
    assert save(engine, "boss", {network["overdue"]: {"model": "X2"}}, admin_view).ok
    result = save(
        engine,
        "tq",
        {network["due_soon"]: {"model": "FRESH"}, network["overdue"]: {"model": "OLD"}},
        staff_view,
    )
    assert [p.serial for p in result.problems] == ["OVERDUE-1"]
    assert stored(engine, network["due_soon"])[::2] == ("CPG1500", 1)


def test_after_reloading_the_grid_the_second_person_saves_and_the_version_moves_on(
    engine: Engine, network: dict[str, int]
) -> None:
    staff_view, admin_view = opened_editor(engine, network["tq"]), opened_editor(engine, network["tq"])
    assert save(engine, "boss", {network["overdue"]: {"model": "X2"}}, admin_view).ok
    assert not save(engine, "tq", {network["overdue"]: {"status": "repair"}}, staff_view).ok
    reloaded = opened_editor(engine, network["tq"])
    assert reloaded[network["overdue"]] == 2
    assert save(engine, "tq", {network["overdue"]: {"status": "repair"}}, reloaded).ok
    assert stored(engine, network["overdue"]) == ("X2", "repair", 3)


def test_a_save_committed_between_reading_the_row_and_writing_it_is_caught_by_the_update(
    engine: Engine, network: dict[str, int]
) -> None:
    versions = opened_editor(engine, network["tq"])
    with Session(engine) as slow:
        # the slow session has read the row (its identity map holds version 1) ...
        assert slow.get(editing.Equipment, network["overdue"]).version == 1  # type: ignore[union-attr]
        # ... when another person's save commits
        assert save(
            engine, "boss", {network["overdue"]: {"model": "X2"}}, opened_editor(engine, network["tq"])
        ).ok
        result = editing.save_equipment_edits(
            slow,
            username="tq",
            center_code="C-TQ",
            changes={network["overdue"]: {"model": "X3"}},
            base_versions=versions,
        )
    assert [p.key for p in result.problems] == ["concurrency.edit.stale"]
    assert stored(engine, network["overdue"]) == ("X2", "in_service", 2)


def test_a_save_without_the_rows_version_is_refused(engine: Engine, network: dict[str, int]) -> None:
    before = fingerprint(engine)
    result = save(engine, "tq", {network["overdue"]: {"model": "X2"}}, {})
    assert [(p.serial, p.key) for p in result.problems] == [("OVERDUE-1", "concurrency.edit.no_version")]
    assert fingerprint(engine) == before
