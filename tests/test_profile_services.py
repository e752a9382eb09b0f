"""The center profile's services on the tiny hand-built network, where every answer is known.

Tiny network (tests/tiny_network.py) as of AS_OF = 15/01/2026: C-HG closed on 30/06/2025 and
merged into C-TQ, so C-TQ answers for C-HG's equipment, capabilities and agreements from then on.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services import models as m
from services.filters import Filters
from services.profile import (
    center_capabilities,
    center_cooperation,
    center_status_counts,
    center_summary,
    equipment_by_field,
    equipment_list,
    equipment_needing_attention,
    latest_utilization,
    monthly_utilization,
)
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

TQ = Filters(as_of=AS_OF, center="C-TQ")


@pytest.fixture
def tiny(engine: Engine) -> tuple[Engine, dict[str, int]]:
    """The tiny network plus monthly volumes, an accredited calibration of the closed center, and two events."""
    with Session(engine) as session:
        ids = tiny_network.build(session)
        session.add(
            m.Capability(
                center_id=ids["hg"],
                instrument_type_code="clinical_thermometer",
                service="calibration",
                range_text="32–42 °C",
                range_min_si=305.15,
                range_max_si=315.15,
                uncertainty_value=0.1,
                uncertainty_unit="K",
                annual_capacity=240,
                accredited=True,
            )
        )
        volumes = [
            (ids["tq"], "pressure_gauge", "verification", date(2025, 6, 1), 50),
            (ids["hg"], "clinical_thermometer", "calibration", date(2025, 6, 1), 10),
            (ids["tq"], "pressure_gauge", "verification", date(2025, 7, 1), 100),
            (ids["tq"], "pressure_gauge", "verification", date(2025, 12, 1), 110),
            (ids["tq"], "pressure_gauge", "verification", date(2026, 1, 1), 90),
            (ids["tq"], "pressure_gauge", "verification", date(2026, 2, 1), 500),  # after AS_OF
            (ids["imts"], "clinical_thermometer", "calibration", date(2026, 1, 1), 25),  # another center
        ]
        for center_id, type_code, service, month, count in volumes:
            session.add(
                m.ServiceVolume(
                    center_id=center_id,
                    instrument_type_code=type_code,
                    service=service,
                    month=month,
                    count=count,
                )
            )
        with_tq = m.Event(
            held_on=date(2025, 9, 1),
            place_vi="Tuyên Quang",
            place_en="Tuyen Quang",
            title_vi="Tập huấn",
            title_en="Training",
            kind="training",
        )
        imts_only = m.Event(
            held_on=date(2025, 10, 1),
            place_vi="Hà Nội",
            place_en="Ha Noi",
            title_vi="Đánh giá",
            title_en="Audit",
            kind="audit",
        )
        session.add_all([with_tq, imts_only])
        session.flush()
        session.add(m.EventParticipant(event_id=with_tq.id, center_id=ids["tq"]))
        session.add(m.EventParticipant(event_id=imts_only.id, center_id=ids["imts"]))
        session.commit()
    return engine, ids


def test_summary_of_a_successor_counts_its_predecessors_equipment(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        summary = center_summary(session, TQ)
    assert summary is not None
    assert (summary.code, summary.name_en, summary.kind) == (
        "C-TQ",
        "Tuyen Quang center",
        "provincial_center",
    )
    # three gauges/thermometers of its own plus C-HG's never-calibrated gauge
    assert summary.equipment == 4
    assert (summary.overdue, summary.due_soon, summary.never_calibrated) == (1, 1, 1)
    assert summary.in_date_share == pytest.approx(2 / 4)  # in date + due soon
    assert summary.reference_standards == 0
    assert [p.code for p in summary.predecessors] == ["C-HG"]
    assert summary.predecessors[0].merged_on == date(2025, 7, 1)
    assert summary.predecessors_merged
    # its own pressure-gauge verification (designated; its "accredited" flag counts for nothing) plus
    # C-HG's accredited thermometer calibration
    assert (summary.capabilities, summary.accredited_capabilities, summary.designated_capabilities) == (
        2,
        1,
        1,
    )
    assert summary.agreements == 2  # its signed one and C-HG's cancelled one
    assert summary.active and summary.successor_code is None


def test_summary_gives_both_provinces_and_the_successor_of_a_merged_center(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        before = center_summary(session, Filters(as_of=BEFORE_MERGER, center="C-HG"))
        after = center_summary(session, Filters(as_of=AS_OF, center="C-HG"))
    assert before is not None and after is not None
    assert (before.province_code, before.province_name_vi) == ("02", "Hà Giang")
    assert (before.province_today_code, before.province_today_name_vi) == ("08", "Tuyên Quang")
    assert (before.successor_code, before.active_to) == ("C-TQ", date(2025, 6, 30))
    assert before.active and before.equipment == 1
    # after the merger the closed center holds nothing of its own any more: its successor does
    assert not after.active and after.equipment == 0 and after.successor_code == "C-TQ"


def test_summary_of_no_or_an_unknown_center_is_none(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        assert center_summary(session, Filters(as_of=AS_OF)) is None
        assert center_summary(session, Filters(as_of=AS_OF, center="NOPE")) is None


def test_equipment_by_field_counts_in_sql_and_follows_the_field_filter(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        counts = equipment_by_field(session, TQ)
        pressure_only = equipment_by_field(session, Filters(as_of=AS_OF, center="C-TQ", field="P"))
    assert dict(zip(counts["field_code"], counts["equipment"], strict=True)) == {"P": 3, "T": 1}
    assert list(counts["reference_standards"]) == [0, 0]
    assert list(counts["working"]) == [3, 1]
    assert list(pressure_only["field_code"]) == ["P"]


def test_equipment_list_keeps_ranges_as_entered_and_the_holder(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        frame = equipment_list(session, TQ).set_index("equipment_id")
    assert set(frame.index) == {ids["overdue"], ids["due_soon"], ids["in_date"], ids["never"]}
    thermometer = frame.loc[ids["in_date"]]
    assert (thermometer["range_min"], thermometer["range_max"], thermometer["range_unit"]) == (32, 42, "degC")
    assert thermometer["range_min_si"] == pytest.approx(305.15)
    assert frame.loc[ids["never"], "holder_code"] == "C-HG"
    assert str(frame.loc[ids["overdue"], "status"]) == "overdue"
    assert frame.loc[ids["due_soon"], "days_to_due"] == 15


def test_status_counts_list_every_status(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        counts = center_status_counts(session, TQ)
        nobody = center_status_counts(session, Filters(as_of=AS_OF))
    assert dict(zip(counts["status"], counts["equipment"], strict=True)) == {
        "overdue": 1,
        "due_soon": 1,
        "in_date": 1,
        "never": 1,
    }
    assert list(nobody["equipment"]) == [0, 0, 0, 0]


def test_attention_list_is_most_urgent_first_without_in_date_equipment(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        frame = equipment_needing_attention(session, TQ)
    assert list(frame["equipment_id"]) == [ids["overdue"], ids["due_soon"], ids["never"]]


def test_capabilities_include_the_merged_center_and_follow_the_service_filter(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        everything = center_capabilities(session, TQ)
        verification = center_capabilities(
            session, Filters(as_of=AS_OF, center="C-TQ", service="verification")
        )
    assert sorted(
        zip(everything["holder_code"], everything["instrument_type_code"], everything["service"], strict=True)
    ) == [("C-HG", "clinical_thermometer", "calibration"), ("C-TQ", "pressure_gauge", "verification")]
    assert list(verification["annual_capacity"]) == [1200]
    # designated by the state; the row's "accredited" flag is never reported on a verification
    assert (list(verification["designated"]), list(verification["accredited"])) == ([True], [False])
    assert dict(zip(everything["service"], everything["recognition"], strict=True)) == {
        "verification": "designated",
        "calibration": "accredited",
    }


def test_utilization_is_monthly_volume_over_a_twelfth_of_annual_capacity(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        frame = monthly_utilization(session, TQ)
    assert list(frame["month"]) == [date(2025, 6, 1), date(2025, 7, 1), date(2025, 12, 1), date(2026, 1, 1)]
    assert list(frame["volume"]) == [60, 100, 110, 90]
    # June 2025: both centers open, (1200 + 240) / 12 = 120; from July only C-TQ's 1200 / 12 = 100
    assert list(frame["monthly_capacity"]) == pytest.approx([120, 100, 100, 100])
    assert list(frame["utilization"]) == pytest.approx([0.5, 1.0, 1.1, 0.9])
    latest = latest_utilization(frame)
    assert (latest.month, latest.volume, latest.utilization) == (date(2026, 1, 1), 90, pytest.approx(0.9))
    assert latest.average_12_months == pytest.approx(360 / 420)


def test_utilization_follows_the_service_filter(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        frame = monthly_utilization(session, Filters(as_of=AS_OF, center="C-TQ", service="calibration"))
    # only C-HG's thermometer calibration: 10 done against 240 / 12 = 20 in June 2025
    assert list(frame["volume"]) == [10]
    assert list(frame["utilization"]) == pytest.approx([0.5])


def test_cooperation_of_a_center_lists_its_agreements_and_events_only(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        cooperation = center_cooperation(session, TQ)
        nobody = center_cooperation(session, Filters(as_of=AS_OF))
    assert sorted(cooperation.agreements["title_en"]) == ["HG contract", "TQ contract"]
    assert dict(
        zip(cooperation.agreements["title_en"], cooperation.agreements["stage"].astype(str), strict=True)
    ) == {"TQ contract": "signed", "HG contract": "cancelled"}
    assert len(cooperation.stage_history) == 5
    assert list(cooperation.events["title_en"]) == ["Training"]
    assert nobody.agreements.empty and nobody.events.empty


def test_nothing_is_listed_without_a_center(tiny) -> None:
    engine, _ = tiny
    nobody = Filters(as_of=AS_OF)
    with Session(engine) as session:
        for service in (equipment_by_field, equipment_list, center_capabilities, monthly_utilization):
            frame = service(session, nobody)
            assert isinstance(frame, pd.DataFrame) and frame.empty, service.__name__
