"""Read services against the tiny hand-built network, where every answer is known."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services.calibration import equipment_status, status_counts
from services.certificates import add_calibration
from services.cooperation import pipeline_counts
from services.coverage import coverage_gaps, coverage_matrix
from services.filters import Boundaries, Filters
from services.kpis import kpi_summary
from services.models import CalibrationRecord, Equipment
from services.network import great_circle_km
from services.overview import recent_changes
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER, HANOI, TUYEN_QUANG


@pytest.fixture
def tiny(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
    return engine, ids


def statuses(engine: Engine, filters: Filters) -> dict[int, str]:
    with Session(engine) as session:
        frame = equipment_status(session, filters)
    return dict(zip(frame["equipment_id"], frame["status"].astype(str), strict=True))


@pytest.mark.date_sensitive
def test_status_today_reads_overdue_due_soon_in_date_and_never(tiny) -> None:
    engine, ids = tiny
    assert statuses(engine, Filters(as_of=AS_OF)) == {
        ids["overdue"]: "overdue",
        ids["due_soon"]: "due_soon",
        ids["in_date"]: "in_date",
        ids["never"]: "never",
    }


def test_due_window_is_a_setting(tiny) -> None:
    engine, ids = tiny
    # due 30/01/2026 is 15 days away: outside a 7-day window it is simply in date
    assert statuses(engine, Filters(as_of=AS_OF, due_window_days=7))[ids["due_soon"]] == "in_date"


@pytest.mark.date_sensitive
def test_status_on_a_past_date_reads_the_history(tiny) -> None:
    engine, ids = tiny
    before = statuses(engine, Filters(as_of=BEFORE_MERGER))
    # the overdue gauge was calibrated 01/12/2024: in date on 01/06/2025; the 2025 thermometer did not exist yet
    assert before[ids["overdue"]] == "in_date"
    assert before[ids["in_date"]] == "never"
    assert before[ids["due_soon"]] == "in_date"


@pytest.mark.date_sensitive
def test_a_past_day_takes_the_later_recorded_of_two_certificates_of_one_day(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        for number, due in enumerate((date(2027, 3, 1), date(2025, 4, 1))):  # the second is recorded last
            session.add(
                CalibrationRecord(
                    equipment_id=ids["overdue"],
                    calibrated_on=date(2025, 3, 1),
                    due_on=due,
                    provider_name="IMTS",
                    certificate_no=f"SAME-DAY-{number}",
                )
            )
        session.commit()
        frame = equipment_status(session, Filters(as_of=BEFORE_MERGER)).set_index("equipment_id")
    gauge = frame.loc[ids["overdue"]]
    assert (gauge["last_calibrated_on"], gauge["due_on"], str(gauge["status"])) == (
        date(2025, 3, 1),
        date(2025, 4, 1),
        "overdue",
    )


def test_equipment_of_a_merged_center_counts_at_its_successor(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        after = status_counts(session, Filters(as_of=AS_OF))
        before = status_counts(session, Filters(as_of=BEFORE_MERGER))
    assert set(after["code"]) == {"C-TQ"}
    assert after["equipment"].sum() == 4
    assert dict(before.groupby("code")["equipment"].sum()) == {"C-TQ": 3, "C-HG": 1}


def test_recent_certificates_of_a_closed_center_count_in_one_row_at_its_successor(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        for number, item in enumerate((ids["never"], ids["in_date"])):  # C-HG's item, then C-TQ's
            add_calibration(
                session,
                CalibrationRecord(
                    equipment_id=item,
                    calibrated_on=date(2026, 1, 10 + number),
                    provider_center_id=ids["imts"],
                    provider_name="IMTS",
                    certificate_no=f"RECENT-{number}",
                ),
            )
        session.commit()
        recent = recent_changes(session, Filters(as_of=AS_OF))
    certificates = recent[recent["kind"] == "calibrations"]
    assert certificates[["center_code", "count", "on"]].values.tolist() == [["C-TQ", 2, date(2026, 1, 11)]]


def test_stored_due_dates_match_the_latest_certificate(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        for item in session.exec(select(Equipment)).all():
            records = session.exec(
                select(CalibrationRecord).where(CalibrationRecord.equipment_id == item.id)
            ).all()
            latest = max(records, key=lambda r: (r.calibrated_on, r.id), default=None)
            assert item.next_due_on == (latest.due_on if latest else None)
            assert item.last_calibrated_on == (latest.calibrated_on if latest else None)


def test_coverage_matrix_counts_local_centers_per_region(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        matrix = coverage_matrix(session, Filters(as_of=AS_OF))
    cells = {(r.region_code, r.instrument_type_code, r.service): r.centers for r in matrix.itertuples()}
    assert cells == {
        ("08", "pressure_gauge", "verification"): 1,
        ("01", "clinical_thermometer", "calibration"): 1,
    }


def test_gaps_are_legal_types_without_local_verification_with_nearest_center(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        gaps = coverage_gaps(session, Filters(as_of=AS_OF))
    found = {
        (g.region_code, g.instrument_type_code): tuple(
            None if pd.isna(v) else v for v in (g.nearest_center, g.distance_km)
        )
        for g in gaps.itertuples()
    }
    expected_km = round(great_circle_km(*HANOI, *TUYEN_QUANG), 1)
    assert found == {
        ("01", "pressure_gauge"): ("C-TQ", expected_km),
        ("01", "clinical_thermometer"): (None, None),  # nobody verifies it: calibration is not verification
        ("08", "clinical_thermometer"): (None, None),
    }
    assert 100 < expected_km < 130  # Hà Nội – Tuyên Quang is about 110 km as the crow flies


def test_boundaries_before_the_merger_show_the_old_provinces(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        gaps = coverage_gaps(session, Filters(as_of=AS_OF, boundaries=Boundaries.BEFORE_MERGER))
    assert sorted(set(gaps["region_code"])) == ["01", "02", "08"]


@pytest.mark.date_sensitive
def test_pipeline_counts_stage_on_the_day(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        now = pipeline_counts(session, Filters(as_of=AS_OF)).set_index("stage")["agreements"]
        early = pipeline_counts(session, Filters(as_of=date(2024, 8, 15))).set_index("stage")["agreements"]
    assert now.to_dict() == {
        "proposed": 0,
        "negotiating": 0,
        "signed": 1,
        "active": 0,
        "expired": 0,
        "cancelled": 1,
    }
    assert early.to_dict() == {
        "proposed": 1,
        "negotiating": 1,
        "signed": 0,
        "active": 0,
        "expired": 0,
        "cancelled": 0,
    }


@pytest.mark.date_sensitive
def test_kpi_summary_adds_up_the_tiny_network(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        kpis = kpi_summary(session, Filters(as_of=AS_OF))
    assert kpis.centers == 2  # IMTS and C-TQ; Hà Giang's center closed on 30/06/2025
    assert kpis.provinces == 2
    assert kpis.equipment == 4
    assert kpis.overdue == 1 and kpis.due_soon == 1 and kpis.never_calibrated == 1
    assert kpis.in_date_share == pytest.approx(2 / 4)
    assert kpis.capabilities == 2
    assert kpis.gaps == 3
    assert kpis.agreements_signed == 1


def test_province_filter_narrows_every_number(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        kpis = kpi_summary(session, Filters(as_of=AS_OF, province="01"))
    assert (kpis.centers, kpis.equipment, kpis.capabilities, kpis.gaps) == (1, 0, 1, 2)
