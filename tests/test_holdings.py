"""A past day is counted as it was: an item retired since was held then, one repaired since was in repair then.

On the hand-built network (tests/tiny_network.py, with its capability-standard links), on each engine.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select

from services import auth, editing
from services import models as m
from services.calibration import equipment_status
from services.capability_state import capability_states
from services.filters import Filters
from services.holdings import record_status_change
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

REPAIR_START, REPAIR_END = date(2025, 5, 1), date(2025, 5, 20)
IN_REPAIR = date(2025, 5, 10)
RETIRED_ON = date(2025, 12, 1)
SAVED_ON = date(2026, 1, 20)


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    """OVERDUE-1 (the only standard of C-TQ's verification) was in repair 01/05–19/05/2025 and is in
    service again; SOON-1 was retired on 01/12/2025, between BEFORE_MERGER and AS_OF."""
    with Session(engine) as session:
        ids = tiny_network.build(session)
        ids |= tiny_network.link_standards(session, ids)
        record_status_change(session, ids["overdue"], "in_service", "repair", REPAIR_START)
        record_status_change(session, ids["overdue"], "repair", "in_service", REPAIR_END)
        soon = session.get(m.Equipment, ids["due_soon"])
        assert soon is not None
        record_status_change(session, soon.id, soon.status, "retired", RETIRED_ON)  # type: ignore[arg-type]
        soon.status = "retired"
        session.add(soon)
        session.commit()
    return ids


def held(engine: Engine, day: date) -> set[int]:
    with Session(engine) as session:
        return set(equipment_status(session, Filters(as_of=day))["equipment_id"].astype(int))


def state(engine: Engine, day: date, capability_id: int) -> str:
    with Session(engine) as session:
        states = capability_states(session, Filters(as_of=day)).set_index("capability_id")
    return str(states.loc[capability_id, "state"])


def test_an_item_retired_since_is_held_on_the_days_before(engine: Engine, network: dict[str, int]) -> None:
    assert network["due_soon"] in held(engine, BEFORE_MERGER)
    assert network["due_soon"] in held(engine, RETIRED_ON - timedelta(days=1))
    assert network["due_soon"] not in held(engine, RETIRED_ON)
    assert network["due_soon"] not in held(engine, AS_OF)
    assert network["overdue"] in held(engine, IN_REPAIR)  # in repair is still held


def test_a_repair_that_ended_suspends_what_it_alone_supported_only_while_it_lasted(
    engine: Engine, network: dict[str, int]
) -> None:
    verification = network["tq_verification"]
    assert state(engine, date(2025, 4, 30), verification) == "at_risk"  # one standard, in date
    assert state(engine, IN_REPAIR, verification) == "suspended"
    assert state(engine, REPAIR_END, verification) == "at_risk"


def test_the_editor_records_when_a_status_changed(engine: Engine, network: dict[str, int]) -> None:
    """On a database of real records the change holds from today (the clock is set to 20/01/2026)."""
    with time_machine.travel(SAVED_ON, tick=False), Session(engine) as session:
        auth.create_user(
            session, username="tq", password="Secret-1 long enough", role="center_staff", center_code="C-TQ"
        )
        session.commit()
        rows = editing.equipment_for_editing(session, center_id=network["tq"])
        versions = dict(zip(rows["id"].astype(int), rows["version"].astype(int), strict=True))
        in_date = network["in_date"]
        result = editing.save_equipment_edits(
            session,
            username="tq",
            center_code="C-TQ",
            changes={in_date: {"status": "retired"}},
            base_versions={in_date: versions[in_date]},
        )
        assert result.ok, result.problems
        periods = session.exec(
            select(m.EquipmentStatusPeriod).where(m.EquipmentStatusPeriod.equipment_id == in_date)
        ).all()
    assert [(p.status, p.start_on, p.end_on) for p in periods] == [("retired", SAVED_ON, None)]
