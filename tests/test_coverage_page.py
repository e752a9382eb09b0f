"""The Calibration coverage services on the tiny network plus due dates placed on every bucket edge.

On top of tests/tiny_network.py (as of AS_OF = 15/01/2026):
- C-TQ gets gauges due in exactly 30, 31, 60, 61, 90 and 91 days; IMTS one due today and one due
  yesterday; the closed Hà Giang center one due in 30 days (it counts at C-TQ after the merger).
- A third legally controlled type (breath-alcohol analyser) that nobody verifies, and a verification
  capability for clinical thermometers at the closed Hà Giang center (served by C-TQ after the merger),
  recorded as "accredited" but not designated: a verification is never accredited, so it is merely offered.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services import models as m
from services.certificates import add_calibration
from services.coverage_page import (
    action_list,
    bucket_order,
    bucket_table,
    calendar_months,
    centers_in_view,
    due_bucket_counts,
    due_buckets,
    due_calendar,
    gaps_with_nearest,
    month_grid,
    service_matrix,
)
from services.filters import Filters
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

# Hà Nội → Tuyên Quang capitals, haversine on R = 6371 km, worked out by hand:
# Δφ = 0.7951°, Δλ = −0.6400°, a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) ≈ 7.517e-5,
# d = 2R·asin(√a) ≈ 110.5 km
HANOI_TO_TUYEN_QUANG_KM = 110.5


@pytest.fixture
def network(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        centers = {c.code: c for c in session.exec(select(m.Center)).all()}
        session.add(m.MeasurementField(code="QM", name_vi="Hóa lý", name_en="Physico-chemical", sort_order=3))
        session.flush()
        session.add(
            m.Quantity(
                code="alcohol", field_code="QM", name_vi="Nồng độ cồn", name_en="Alcohol", si_unit="mg/L"
            )
        )
        session.flush()
        session.add(
            m.InstrumentType(
                code="breath_alcohol",
                quantity_code="alcohol",
                name_vi="Máy đo nồng độ cồn",
                name_en="Breath-alcohol analyser",
                legally_controlled=True,
                verification_interval_months=12,
            )
        )
        session.add(
            m.Capability(
                center_id=centers["C-HG"].id,
                instrument_type_code="clinical_thermometer",
                service="verification",
                range_text="35–42 °C",
                range_min_si=308.15,
                range_max_si=315.15,
                uncertainty_value=0.1,
                uncertainty_unit="K",
                annual_capacity=500,
                accredited=True,
            )
        )
        session.flush()
        due_in = {
            "D+30": ("C-TQ", 30),
            "D+31": ("C-TQ", 31),
            "D+60": ("C-TQ", 60),
            "D+61": ("C-TQ", 61),
            "D+90": ("C-TQ", 90),
            "D+91": ("C-TQ", 91),
            "D+0": ("IMTS", 0),
            "D-1": ("IMTS", -1),
            "HG+30": ("C-HG", 30),
        }
        for number, (serial, (code, days)) in enumerate(due_in.items(), start=100):
            item = m.Equipment(
                center_id=centers[code].id,
                quantity_code="pressure",
                instrument_type_code="pressure_gauge",
                name="Áp kế",
                manufacturer="WIKA",
                model="CPG",
                serial_no=serial,
                range_min=0,
                range_max=1,
                range_unit="MPa",
                range_min_si=0,
                range_max_si=1e6,
                acquired_on=date(2020, 1, 1),
            )
            session.add(item)
            session.flush()
            add_calibration(
                session,
                m.CalibrationRecord(
                    equipment_id=item.id,
                    calibrated_on=date(2025, 12, 1),
                    due_on=AS_OF + timedelta(days=days),
                    provider_center_id=centers["IMTS"].id,
                    provider_name="IMTS",
                    certificate_no=f"IMTS-{number}",
                ),
            )
            ids[serial] = int(item.id)  # type: ignore[arg-type]
        session.commit()
    return engine, ids


def counts_by_center(engine: Engine, filters: Filters) -> dict[str, dict[str, int]]:
    with Session(engine) as session:
        frame = due_bucket_counts(session, filters)
    return {
        code: dict(zip(rows["bucket"], rows["equipment"], strict=True))
        for code, rows in frame.groupby("center_code")
    }


def test_buckets_follow_the_due_soon_window_then_60_and_90_days() -> None:
    assert [(b.code, b.from_days, b.to_days) for b in due_buckets(30)] == [
        ("overdue", None, -1),
        ("due_soon", 0, 30),
        ("due_by_60", 31, 60),
        ("due_by_90", 61, 90),
        ("in_date", 91, None),
        ("never", None, None),
    ]
    assert [(b.code, b.from_days, b.to_days) for b in due_buckets(7)][1:3] == [
        ("due_soon", 0, 7),
        ("due_by_60", 8, 60),
    ]
    assert bucket_order(60) == ["overdue", "due_soon", "due_by_90", "in_date", "never"]
    assert [(b.code, b.from_days) for b in due_buckets(180)][1:3] == [("due_soon", 0), ("in_date", 181)]


def test_every_bucket_edge_falls_on_the_right_side(network) -> None:
    engine, _ = network
    assert counts_by_center(engine, Filters(as_of=AS_OF)) == {
        # overdue: OVERDUE-1; due soon: SOON-1 (15 d), D+30, HG+30 (Hà Giang's, now C-TQ's);
        # 31–60: D+31, D+60; 61–90: D+61, D+90; in date: INDATE-1 (138 d), D+91; never: NEVER-1
        "C-TQ": {"overdue": 1, "due_soon": 3, "due_by_60": 2, "due_by_90": 2, "in_date": 2, "never": 1},
        # due yesterday is overdue, due today is due soon
        "IMTS": {"overdue": 1, "due_soon": 1},
    }


def test_a_shorter_window_moves_equipment_into_the_next_bucket(network) -> None:
    engine, _ = network
    ctq = counts_by_center(engine, Filters(as_of=AS_OF, due_window_days=7))["C-TQ"]
    # 8–60 days now holds SOON-1 (15), D+30, HG+30, D+31, D+60
    assert ctq == {"overdue": 1, "due_by_60": 5, "due_by_90": 2, "in_date": 2, "never": 1}


def test_bucket_counts_respect_the_province_and_field_filters(network) -> None:
    engine, _ = network
    assert set(counts_by_center(engine, Filters(as_of=AS_OF, province="01"))) == {"IMTS"}
    # only INDATE-1 is a thermometer (field T)
    assert counts_by_center(engine, Filters(as_of=AS_OF, field="T")) == {"C-TQ": {"in_date": 1}}
    assert counts_by_center(engine, Filters(as_of=AS_OF, field="QM")) == {}


def test_bucket_table_has_one_row_per_center_and_a_total(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        table = bucket_table(due_bucket_counts(session, Filters(as_of=AS_OF)), 30)
    assert list(table.columns) == [
        "center_code",
        "center_name_vi",
        "center_name_en",
        *bucket_order(30),
        "total",
    ]
    assert table.set_index("center_code")["total"].to_dict() == {"C-TQ": 11, "IMTS": 2}
    assert table.loc[table["center_code"] == "IMTS", "in_date"].item() == 0


@pytest.mark.date_sensitive
def test_action_list_is_overdue_and_due_soon_earliest_first(network) -> None:
    engine, ids = network
    with Session(engine) as session:
        todo = action_list(session, Filters(as_of=AS_OF))
    assert list(todo["equipment_id"]) == [
        ids["overdue"],
        ids["D-1"],
        ids["D+0"],
        ids["due_soon"],
        ids["D+30"],
        ids["HG+30"],
    ]
    assert list(todo["days_to_due"]) == [-45, -1, 0, 15, 30, 30]
    assert list(todo["status"].astype(str)) == [
        "overdue",
        "overdue",
        "due_soon",
        "due_soon",
        "due_soon",
        "due_soon",
    ]
    assert list(todo["center_code"]) == ["C-TQ", "IMTS", "IMTS", "C-TQ", "C-TQ", "C-TQ"]
    assert todo["type_name_en"].eq("Pressure gauge").all()


def test_action_list_uses_the_window_and_the_filters(network) -> None:
    engine, ids = network
    with Session(engine) as session:
        week = action_list(session, Filters(as_of=AS_OF, due_window_days=7))
        tuyen_quang = action_list(session, Filters(as_of=AS_OF, province="08"))
        nothing = action_list(session, Filters(as_of=AS_OF, field="QM"))
    assert list(week["equipment_id"]) == [ids["overdue"], ids["D-1"], ids["D+0"]]
    assert set(tuyen_quang["center_code"]) == {"C-TQ"} and len(tuyen_quang) == 4
    assert nothing.empty and "days_to_due" in nothing.columns


def test_action_list_on_a_past_day_reads_the_certificate_history(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        before = action_list(session, Filters(as_of=date(2025, 1, 20)))
    # on 20/01/2025 SOON-1 still ran on its 30/01/2024 certificate, due 30/01/2025: 10 days left;
    # OVERDUE-1 (certificate of 01/12/2024) was in date, the others had no certificate yet
    assert list(before["serial_no"]) == ["SOON-1"]
    assert before["days_to_due"].item() == 10
    assert before["due_on"].item() == date(2025, 1, 30)
    assert before["center_code"].item() == "C-TQ"


def test_matrix_has_every_center_and_type_cell_for_verification(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        matrix = service_matrix(session, Filters(as_of=AS_OF), service_code="verification")
    cells = {(r.center_code, r.instrument_type_code): r.cell for r in matrix.itertuples()}
    # every legally controlled type is a column, even the one nobody verifies
    assert cells == {
        ("C-TQ", "pressure_gauge"): "designated",
        ("C-TQ", "clinical_thermometer"): "offered",  # Hà Giang's capability, after the merger
        ("C-TQ", "breath_alcohol"): "none",
        ("IMTS", "pressure_gauge"): "none",
        ("IMTS", "clinical_thermometer"): "none",
        ("IMTS", "breath_alcohol"): "none",
    }


def test_a_verification_is_never_reported_as_accredited(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        matrix = service_matrix(session, Filters(as_of=AS_OF), service_code="verification")
        stored = session.exec(select(m.Capability).where(m.Capability.service == "verification")).all()
    # both verification rows say "accredited" in the table, as careless data entry would
    assert all(capability.accredited for capability in stored)
    assert not matrix["accredited"].any()
    assert "accredited" not in set(matrix["cell"])
    designated = matrix[matrix["designated"]]
    assert list(zip(designated["center_code"], designated["instrument_type_code"], strict=True)) == [
        ("C-TQ", "pressure_gauge")
    ]


def test_an_accredited_calibration_shows_as_accredited_and_never_as_designated(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        calibration = session.exec(select(m.Capability).where(m.Capability.service == "calibration")).one()
        calibration.accredited = True
        calibration.designated = True  # meaningless for a calibration: ignored
        session.add(calibration)
        session.commit()
        matrix = service_matrix(session, Filters(as_of=AS_OF), service_code="calibration")
    cells = dict(zip(matrix["center_code"], matrix["cell"], strict=True))
    assert cells == {"C-TQ": "none", "IMTS": "accredited"}
    assert not matrix["designated"].any()


def test_the_matrix_chart_names_designation_for_verification_and_accreditation_otherwise(network) -> None:
    from ui.charts_coverage import service_matrix_heatmap

    engine, _ = network
    with Session(engine) as session:
        verification = service_matrix(session, Filters(as_of=AS_OF), service_code="verification")
        calibration = service_matrix(session, Filters(as_of=AS_OF), service_code="calibration")

    def legend(chart) -> list[str]:  # type: ignore[no-untyped-def]
        spec = chart.to_dict()
        return next(
            layer["encoding"]["color"]["scale"]["domain"]
            for layer in spec["layer"]
            if "color" in layer.get("encoding", {})
        )

    assert legend(service_matrix_heatmap(verification, "verification", "vi")) == [
        "◆ Được chỉ định",
        "✓ Có cung cấp",
        "Không cung cấp",
    ]
    assert legend(service_matrix_heatmap(calibration, "calibration", "en")) == [
        "★ Accredited (VILAS)",
        "✓ Service offered",
        "Not offered",
    ]
    rows = next(
        iter(service_matrix_heatmap(verification, "verification", "en").to_dict()["datasets"].values())
    )
    labels = {(row["center_code"], row["instrument_type_code"]): row["cell_label"] for row in rows}
    assert labels[("C-TQ", "pressure_gauge")] == "◆ Designated"


def test_matrix_before_the_merger_shows_the_closed_center_itself(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        matrix = service_matrix(session, Filters(as_of=BEFORE_MERGER), service_code="verification")
    offered = matrix[matrix["cell"] != "none"]
    assert set(zip(offered["center_code"], offered["instrument_type_code"], strict=True)) == {
        ("C-TQ", "pressure_gauge"),
        ("C-HG", "clinical_thermometer"),
    }
    assert set(matrix["center_code"]) == {"IMTS", "C-TQ", "C-HG"}


def test_matrix_for_calibration_and_testing(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        calibration = service_matrix(session, Filters(as_of=AS_OF), service_code="calibration")
        testing = service_matrix(session, Filters(as_of=AS_OF), service_code="testing")
        hanoi = service_matrix(session, Filters(as_of=AS_OF, province="01"), service_code="calibration")
        with pytest.raises(ValueError):
            service_matrix(session, Filters(as_of=AS_OF), service_code="repair")
    # only thermometers are calibrated anywhere: one column; IMTS offers it without accreditation
    assert calibration[["center_code", "instrument_type_code", "cell", "annual_capacity"]].to_dict(
        "records"
    ) == [
        {
            "center_code": "C-TQ",
            "instrument_type_code": "clinical_thermometer",
            "cell": "none",
            "annual_capacity": 0,
        },
        {
            "center_code": "IMTS",
            "instrument_type_code": "clinical_thermometer",
            "cell": "offered",
            "annual_capacity": 300,
        },
    ]
    assert testing.empty
    assert list(hanoi["center_code"]) == ["IMTS"]


def test_centers_in_view_are_the_active_ones_of_the_province(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        assert list(centers_in_view(session, Filters(as_of=AS_OF))["code"]) == ["C-TQ", "IMTS"]
        assert list(centers_in_view(session, Filters(as_of=BEFORE_MERGER, province="02"))["code"]) == ["C-HG"]
        assert centers_in_view(session, Filters(as_of=AS_OF, province="02")).empty  # Hà Giang is gone


def test_gaps_name_the_nearest_center_and_its_distance(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        gaps = gaps_with_nearest(session, Filters(as_of=AS_OF))
    rows = {(r.region_code, r.instrument_type_code): r for r in gaps.itertuples()}
    # Tuyên Quang verifies gauges and (through Hà Giang's old center) thermometers; Hà Nội neither
    assert set(rows) == {
        ("01", "pressure_gauge"),
        ("01", "clinical_thermometer"),
        ("01", "breath_alcohol"),
        ("08", "breath_alcohol"),
    }
    for key in [("01", "pressure_gauge"), ("01", "clinical_thermometer")]:
        assert rows[key].nearest_center == "C-TQ"
        assert rows[key].nearest_name_en == "Tuyen Quang center"
        assert rows[key].distance_km == pytest.approx(HANOI_TO_TUYEN_QUANG_KM, abs=0.3)
    assert pd.isna(rows[("01", "breath_alcohol")].nearest_center)
    assert pd.isna(rows[("08", "breath_alcohol")].distance_km)
    assert list(gaps["region_code"]) == ["01", "01", "01", "08"]  # the more populous province first


@pytest.mark.date_sensitive
def test_calendar_counts_per_center_and_day(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        january = due_calendar(session, Filters(as_of=AS_OF), year=2026, month=1)
        february = due_calendar(session, Filters(as_of=AS_OF), year=2026, month=2)
        march_tq = due_calendar(session, Filters(as_of=AS_OF, center="C-TQ"), year=2026, month=3)
    assert january[["center_code", "due_on", "equipment"]].to_dict("records") == [
        {"center_code": "IMTS", "due_on": date(2026, 1, 14), "equipment": 1},
        {"center_code": "IMTS", "due_on": date(2026, 1, 15), "equipment": 1},
        {"center_code": "C-TQ", "due_on": date(2026, 1, 30), "equipment": 1},
    ]
    # D+30 and Hà Giang's HG+30 fall on the same day at the same (successor) center
    assert february[["center_code", "due_on", "equipment"]].to_dict("records") == [
        {"center_code": "C-TQ", "due_on": date(2026, 2, 14), "equipment": 2},
        {"center_code": "C-TQ", "due_on": date(2026, 2, 15), "equipment": 1},
    ]
    assert march_tq[["due_on", "equipment"]].to_dict("records") == [
        {"due_on": date(2026, 3, 16), "equipment": 1},
        {"due_on": date(2026, 3, 17), "equipment": 1},
    ]


def test_month_grid_places_days_on_weekdays_and_weeks(network) -> None:
    engine, _ = network
    with Session(engine) as session:
        february = due_calendar(session, Filters(as_of=AS_OF), year=2026, month=2)
    grid = month_grid(february, 2026, 2)
    assert len(grid) == 28
    first = grid.iloc[0]
    assert (first["weekday"], first["week"]) == (6, 1)  # 01/02/2026 is a Sunday: alone in week 1
    fourteenth = grid[grid["day"] == 14].iloc[0]
    assert (fourteenth["weekday"], fourteenth["week"], fourteenth["equipment"]) == (5, 3, 2)
    assert fourteenth["detail"] == "C-TQ (2)"
    assert grid["equipment"].sum() == 3
    empty = month_grid(february.iloc[0:0], 2026, 2)
    assert empty["equipment"].sum() == 0 and len(empty) == 28


def test_calendar_months_are_url_codes_around_the_day() -> None:
    assert calendar_months(date(2026, 1, 15), before=1, after=1) == ["2025-12", "2026-01", "2026-02"]
    assert len(calendar_months(date(2026, 1, 15))) == 37


def test_empty_database_gives_empty_frames(engine: Engine) -> None:
    with Session(engine) as session:
        filters = Filters(as_of=AS_OF)
        assert centers_in_view(session, filters).empty
        assert service_matrix(session, filters, service_code="verification").empty
        assert due_bucket_counts(session, filters).empty
        assert action_list(session, filters).empty
        assert gaps_with_nearest(session, filters).empty
        assert due_calendar(session, filters, year=2026, month=1).empty
