"""Rules that have one home now: the latest row as of a day, 'in force on the day', the type and
field lists, checked on the hand-built network where every answer is worked out on paper."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select
from sqlmodel import Session

from services import models as m
from services.capability_state import in_force
from services.filter_choices import INSTRUMENT_TYPE_COLUMNS, instrument_types, measurement_fields
from services.filters import Filters
from services.latest import latest_rows
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER


def test_the_latest_row_per_key_is_the_newest_on_or_before_the_day(engine: Engine) -> None:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        stages = latest_rows(
            m.AgreementEvent.agreement_id,
            m.AgreementEvent.changed_on,
            m.AgreementEvent.id,
            date(2024, 8, 15),
            m.AgreementEvent.stage,
        )
        on_15_08_2024 = sorted(session.execute(select(stages.c.stage)).scalars())
        certificates = latest_rows(
            m.CalibrationRecord.equipment_id,
            m.CalibrationRecord.calibrated_on,
            m.CalibrationRecord.id,
            AS_OF,
            m.CalibrationRecord.calibrated_on,
            where=(m.CalibrationRecord.equipment_id == ids["due_soon"],),
        )
        due_soon = session.execute(select(certificates)).all()
    # the signed contract was negotiating (20/07), the cancelled one only proposed (01/08)
    assert on_15_08_2024 == ["negotiating", "proposed"]
    # SOON-1 has certificates of 30/01/2024 and 30/01/2025: the later one answers
    assert due_soon == [(ids["due_soon"], date(2025, 1, 30))]


def test_without_recorded_links_every_capability_is_in_force(engine: Engine) -> None:
    with Session(engine) as session:
        tiny_network.build(session)
        counted = (
            session.execute(select(m.Capability.id).where(in_force(session, Filters(as_of=AS_OF))))
            .scalars()
            .all()
        )
        assert len(counted) == 2


def test_with_links_a_capability_on_an_overdue_standard_is_not_in_force(engine: Engine) -> None:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        tiny_network.link_standards(session, ids)
        verification = session.execute(
            select(m.Capability.id).where(
                m.Capability.center_id == ids["tq"], m.Capability.service == "verification"
            )
        ).scalar_one()

        def counted(day: date) -> set[int]:
            query = select(m.Capability.id).where(in_force(session, Filters(as_of=day)))
            return set(session.execute(query).scalars())

        # OVERDUE-1 is in date before the merger and overdue on AS_OF
        assert verification in counted(BEFORE_MERGER)
        assert verification not in counted(AS_OF)


def test_type_and_field_lists_narrow_to_the_filters(engine: Engine) -> None:
    with Session(engine) as session:
        tiny_network.build(session)
        every = instrument_types(session)
        pressure = instrument_types(session, Filters(as_of=AS_OF, field="P"))
        one = instrument_types(session, Filters(as_of=AS_OF, instrument_type="clinical_thermometer"))
        fields = measurement_fields(session)
    assert list(every.columns) == INSTRUMENT_TYPE_COLUMNS
    assert set(pressure["field_code"]) == {"P"} and "pressure_gauge" in set(pressure["code"])
    assert len(pressure) < len(every)
    assert list(one["code"]) == ["clinical_thermometer"]
    assert list(fields["sort_order"]) == sorted(fields["sort_order"])
