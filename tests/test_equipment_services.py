"""Equipment services on the tiny network plus five hand-placed pieces, where every answer is known.

As of AS_OF = 15/01/2026, in scope (acquired by then, not retired):
  C-TQ (after the merger, incl. Hà Giang's NEVER-1):
    OVERDUE-1, SOON-1, NEVER-1   pressure 0–60 MPa, gauge, 01/01/2020
    INDATE-1                     temperature 32–42 °C, thermometer, 01/01/2020
    BAR-1                        pressure 1–700 bar, no type, 14/01/2010 (16 years), reference, never calibrated
  IMTS:
    TEMP-REF-1  temperature −50–420 °C, no type, 01/06/2025, reference, under repair, calibrated 10/06/2025
    EDGE-3Y     pressure 0–60 MPa, gauge, 15/01/2023 (exactly 3 years)
    EDGE-2Y     pressure 0–60 MPa, gauge, 16/01/2023 (2 years, 364 days)
    VAC-1       pressure −100–0 kPa, vacuum gauge, 01/01/2021 (5 years)
  never counted: RETIRED-1 (retired), FUTURE-1 (bought 01/03/2026).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services import models as m
from services.certificates import add_calibration
from services.equipment import (
    LOG_FLOOR_FRACTION,
    SORT_KEYS,
    age_band_of,
    age_profile,
    equipment_by_center_field,
    equipment_page,
    equipment_summary,
    equipment_table,
    measurement_ranges,
)
from services.filters import Boundaries, Filters
from services.holdings import record_status_change
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

NOW = Filters(as_of=AS_OF)
ALL_SERIALS = [
    "BAR-1",
    "EDGE-2Y",
    "EDGE-3Y",
    "INDATE-1",
    "NEVER-1",
    "OVERDUE-1",
    "SOON-1",
    "TEMP-REF-1",
    "VAC-1",
]


@pytest.fixture
def tiny(engine: Engine) -> Engine:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        session.add(
            m.InstrumentType(
                code="vacuum_gauge", quantity_code="pressure", name_vi="Chân không kế", name_en="Vacuum gauge"
            )
        )
        session.flush()

        def add(center: str, serial: str, **values: object) -> m.Equipment:
            item = m.Equipment(center_id=ids[center], serial_no=serial, model="X", **values)  # type: ignore[arg-type]
            session.add(item)
            session.flush()
            record_status_change(session, item.id, None, item.status, item.acquired_on)  # type: ignore[arg-type]
            return item

        pressure = {
            "quantity_code": "pressure",
            "range_min": 0,
            "range_max": 60,
            "range_unit": "MPa",
            "range_min_si": 0,
            "range_max_si": 60e6,
        }
        add(
            "tq",
            "BAR-1",
            name="Áp kế piston",
            manufacturer="Druck",
            quantity_code="pressure",
            range_min=1,
            range_max=700,
            range_unit="bar",
            range_min_si=1e5,
            range_max_si=7e7,
            is_reference_standard=True,
            acquired_on=date(2010, 1, 14),
        )
        reference = add(
            "imts",
            "TEMP-REF-1",
            name="Nhiệt kế chuẩn platin",
            manufacturer="Fluke",
            quantity_code="temperature",
            range_min=-50,
            range_max=420,
            range_unit="degC",
            range_min_si=223.15,
            range_max_si=693.15,
            uncertainty_value=0.02,
            uncertainty_unit="K",
            is_reference_standard=True,
            acquired_on=date(2025, 6, 1),
            status="repair",
        )
        add(
            "imts",
            "EDGE-3Y",
            name="Áp kế chuẩn",
            manufacturer="WIKA",
            instrument_type_code="pressure_gauge",
            acquired_on=date(2023, 1, 15),
            **pressure,
        )
        add(
            "imts",
            "EDGE-2Y",
            name="Áp kế chuẩn",
            manufacturer="WIKA",
            instrument_type_code="pressure_gauge",
            acquired_on=date(2023, 1, 16),
            **pressure,
        )
        add(
            "imts",
            "VAC-1",
            name="Chân không kế",
            manufacturer="WIKA",
            instrument_type_code="vacuum_gauge",
            quantity_code="pressure",
            range_min=-100,
            range_max=0,
            range_unit="kPa",
            range_min_si=-1e5,
            range_max_si=0,
            acquired_on=date(2021, 1, 1),
        )
        add_calibration(
            session,
            m.CalibrationRecord(
                equipment_id=reference.id,
                calibrated_on=date(2025, 6, 10),
                provider_name="VMI",
                certificate_no="VMI-0001",
            ),
        )
        session.commit()
    return engine


def call(engine: Engine, service, filters: Filters = NOW, **options):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return service(session, filters, **options)


def serials(frame: pd.DataFrame) -> list[str]:
    return list(frame["serial_no"])


# -- KPIs -----------------------------------------------------------------------------------------
def test_summary_counts_equipment_in_use_references_fields_and_median_age(tiny: Engine) -> None:
    summary = call(tiny, equipment_summary)
    assert summary.equipment == 9
    assert summary.reference_standards == 2  # BAR-1 and TEMP-REF-1
    assert summary.fields_covered == 2  # pressure and temperature
    # nine acquisition dates; the 5th is 01/01/2020, 2 206 days before 15/01/2026
    assert summary.median_age_years == pytest.approx(2206 / 365.25)


def test_median_of_an_even_count_averages_the_two_middle_ages(tiny: Engine) -> None:
    summary = call(tiny, equipment_summary, Filters(as_of=AS_OF, field="T"))
    assert summary.equipment == 2 and summary.fields_covered == 1 and summary.reference_standards == 1
    # 01/01/2020 (2 206 days) and 01/06/2025 (228 days)
    assert summary.median_age_years == pytest.approx((2206 + 228) / 2 / 365.25)


def test_summary_of_nothing_has_no_median(tiny: Engine) -> None:
    summary = call(tiny, equipment_summary, Filters(as_of=date(2009, 1, 1)))
    assert (summary.equipment, summary.reference_standards, summary.fields_covered) == (0, 0, 0)
    assert summary.median_age_years is None


def test_services_answer_an_empty_database_with_empty_frames(engine: Engine) -> None:
    assert call(engine, equipment_summary).equipment == 0
    assert call(engine, equipment_by_center_field).empty
    assert call(engine, measurement_ranges).empty
    assert call(engine, age_profile).empty
    rows, total = call(engine, equipment_page)
    assert rows.empty and total == 0
    assert call(engine, equipment_table).empty


# -- (a) by center × field -----------------------------------------------------------------------
def by_center_field(frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    return {(r.center_code, r.field_code): r.equipment for r in frame.itertuples()}


def test_equipment_by_center_and_field_counts_merged_centers_at_their_successor(tiny: Engine) -> None:
    frame = call(tiny, equipment_by_center_field)
    assert by_center_field(frame) == {("C-TQ", "P"): 4, ("C-TQ", "T"): 1, ("IMTS", "P"): 3, ("IMTS", "T"): 1}
    assert list(frame["center_code"].drop_duplicates()) == ["C-TQ", "IMTS"]  # biggest first
    assert set(frame["field_name_en"]) == {"Pressure", "Temperature"}


def test_before_the_merger_hà_giang_keeps_its_own_equipment(tiny: Engine) -> None:
    frame = call(tiny, equipment_by_center_field, Filters(as_of=BEFORE_MERGER))
    # TEMP-REF-1 was acquired on BEFORE_MERGER itself: it counts
    assert by_center_field(frame) == {
        ("C-TQ", "P"): 3,
        ("C-TQ", "T"): 1,
        ("C-HG", "P"): 1,
        ("IMTS", "P"): 3,
        ("IMTS", "T"): 1,
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(as_of=AS_OF, field="P"), {("C-TQ", "P"): 4, ("IMTS", "P"): 3}),
        (Filters(as_of=AS_OF, province="08"), {("C-TQ", "P"): 4, ("C-TQ", "T"): 1}),
        (Filters(as_of=AS_OF, center="IMTS", field="T"), {("IMTS", "T"): 1}),
        (Filters(as_of=AS_OF, instrument_type="pressure_gauge"), {("C-TQ", "P"): 3, ("IMTS", "P"): 2}),
        (Filters(as_of=AS_OF, province="02", boundaries=Boundaries.BEFORE_MERGER), {}),
        (
            Filters(as_of=BEFORE_MERGER, province="02", boundaries=Boundaries.BEFORE_MERGER),
            {("C-HG", "P"): 1},
        ),
    ],
)
def test_filters_narrow_the_center_field_counts(tiny: Engine, filters: Filters, expected: dict) -> None:
    assert by_center_field(call(tiny, equipment_by_center_field, filters)) == expected


# -- (b) ranges in SI ------------------------------------------------------------------------------
def intervals(frame: pd.DataFrame) -> dict[tuple[str, str], pd.Series]:
    return {(row["center_code"], row["key"]): row for _, row in frame.iterrows()}


def test_ranges_take_the_lowest_and_highest_si_value_per_center_and_quantity(tiny: Engine) -> None:
    frame = call(tiny, measurement_ranges)
    found = intervals(frame)
    assert set(found) == {
        ("C-TQ", "pressure"),
        ("C-TQ", "temperature"),
        ("IMTS", "pressure"),
        ("IMTS", "temperature"),
    }
    tq_pressure = found[("C-TQ", "pressure")]
    assert (tq_pressure["low_si"], tq_pressure["high_si"]) == (0, 7e7)  # 0 MPa and 700 bar
    assert tq_pressure["equipment"] == 4
    assert tq_pressure["si_unit"] == "Pa"
    assert tq_pressure["unit"] == "MPa" and tq_pressure["units"] == "MPa, bar"  # three in MPa, one in bar
    assert tq_pressure["low"] == pytest.approx(0) and tq_pressure["high"] == pytest.approx(70)
    # temperatures are intervals in kelvin: −50 °C is 223.15 K, no clamping needed
    imts_temperature = found[("IMTS", "temperature")]
    assert (imts_temperature["low_si"], imts_temperature["high_si"]) == (223.15, 693.15)
    assert imts_temperature["si_unit_text"] == "K"
    assert imts_temperature["low"] == pytest.approx(-50) and imts_temperature["high"] == pytest.approx(420)
    assert not imts_temperature["low_clamped"] and imts_temperature["plot_low"] == 223.15
    assert found[("C-TQ", "temperature")]["low"] == pytest.approx(32)


def test_a_range_from_zero_or_below_is_drawn_from_a_fraction_of_its_top(tiny: Engine) -> None:
    found = intervals(call(tiny, measurement_ranges))
    imts_pressure = found[("IMTS", "pressure")]
    assert imts_pressure["low_si"] == -1e5  # the vacuum gauge's −100 kPa
    assert imts_pressure["low_clamped"] and imts_pressure["drawable"]
    assert imts_pressure["plot_low"] == pytest.approx(60e6 * LOG_FLOOR_FRACTION)
    assert imts_pressure["plot_high"] == 60e6
    assert imts_pressure["low"] == pytest.approx(-0.1)  # shown in MPa, the unit of two of its three


def test_ranges_by_instrument_type_skip_untyped_equipment_and_flag_undrawable_intervals(tiny: Engine) -> None:
    found = intervals(call(tiny, measurement_ranges, by="instrument_type"))
    assert set(found) == {
        ("C-TQ", "pressure_gauge"),
        ("C-TQ", "clinical_thermometer"),
        ("IMTS", "pressure_gauge"),
        ("IMTS", "vacuum_gauge"),
    }
    assert found[("C-TQ", "pressure_gauge")]["equipment"] == 3  # BAR-1 has no instrument type
    vacuum = found[("IMTS", "vacuum_gauge")]
    assert (vacuum["low_si"], vacuum["high_si"]) == (-1e5, 0)
    assert not vacuum["drawable"] and pd.isna(vacuum["plot_low"])
    assert found[("C-TQ", "clinical_thermometer")]["name_en"] == "Clinical thermometer"


def test_ranges_respect_filters(tiny: Engine) -> None:
    frame = call(tiny, measurement_ranges, Filters(as_of=AS_OF, province="01", field="T"))
    assert list(zip(frame["center_code"], frame["key"], strict=True)) == [("IMTS", "temperature")]


# -- (c) age profile ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("acquired", "band"),
    [
        (date(2026, 1, 15), "0_2"),
        (date(2023, 1, 16), "0_2"),
        (date(2023, 1, 15), "3_5"),
        (date(2020, 1, 16), "3_5"),
        (date(2020, 1, 15), "6_10"),
        (date(2015, 1, 15), "11_15"),
        (date(2010, 1, 16), "11_15"),
        (date(2010, 1, 15), "over_15"),
    ],
)
def test_age_bands_count_completed_years(acquired: date, band: str) -> None:
    assert age_band_of(acquired, AS_OF) == band


@pytest.mark.date_sensitive
def test_age_profile_counts_by_band_operating_status_and_calibration_status(tiny: Engine) -> None:
    frame = call(tiny, age_profile)
    found = {(r.age_band, r.status, r.calibration_status): r.equipment for r in frame.itertuples()}
    assert found == {
        ("0_2", "in_service", "never"): 1,  # EDGE-2Y
        ("0_2", "repair", "in_date"): 1,  # TEMP-REF-1, due 10/06/2026
        ("3_5", "in_service", "never"): 2,  # EDGE-3Y (exactly three years) and VAC-1
        ("6_10", "in_service", "overdue"): 1,
        ("6_10", "in_service", "due_soon"): 1,
        ("6_10", "in_service", "in_date"): 1,
        ("6_10", "in_service", "never"): 1,
        ("over_15", "in_service", "never"): 1,  # BAR-1, 16 years
    }
    assert list(frame["band_order"]) == sorted(frame["band_order"])


def test_age_profile_sql_bands_agree_with_the_python_rule(tiny: Engine) -> None:
    table = call(tiny, equipment_table)
    expected = table["acquired_on"].map(lambda day: age_band_of(day, AS_OF)).value_counts().to_dict()
    assert call(tiny, age_profile).groupby("age_band")["equipment"].sum().to_dict() == expected


# -- (d) the table ------------------------------------------------------------------------------
def test_pages_are_cut_in_sql_after_sorting(tiny: Engine) -> None:
    first, total = call(
        tiny, equipment_page, sort="serial_no", descending=False, page=1, page_size=4, search=None
    )
    third, _ = call(
        tiny, equipment_page, sort="serial_no", descending=False, page=3, page_size=4, search=None
    )
    assert total == 9
    assert serials(first) == ALL_SERIALS[:4]
    assert serials(third) == ["VAC-1"]
    beyond, total_beyond = call(tiny, equipment_page, sort="serial_no", page=4, page_size=4)
    assert beyond.empty and total_beyond == 9


def test_descending_sort_and_the_whole_table_in_the_same_order(tiny: Engine) -> None:
    first, _ = call(tiny, equipment_page, sort="serial_no", descending=True, page=1, page_size=4)
    assert serials(first) == ALL_SERIALS[::-1][:4]
    assert serials(call(tiny, equipment_table, sort="serial_no", descending=True)) == ALL_SERIALS[::-1]


def test_pages_together_hold_every_row_once_for_every_sort_key(tiny: Engine) -> None:
    for key in SORT_KEYS:
        for descending in (False, True):
            pages = [
                call(tiny, equipment_page, sort=key, descending=descending, page=n, page_size=2)[0]
                for n in range(1, 6)
            ]
            assert sorted(serial for page in pages for serial in serials(page)) == ALL_SERIALS, key


def test_sorting_by_center_uses_the_center_answering_today(tiny: Engine) -> None:
    rows = call(tiny, equipment_table, sort="center")
    assert list(rows["center_code"]) == ["C-TQ"] * 5 + ["IMTS"] * 4
    assert rows.set_index("serial_no").loc["NEVER-1", "center_code"] == "C-TQ"  # Hà Giang's, after the merger


@pytest.mark.date_sensitive
def test_sorting_by_calibration_status_puts_the_most_urgent_first(tiny: Engine) -> None:
    rows = call(tiny, equipment_table, sort="calibration_status")
    assert list(rows["calibration_status"]) == ["overdue", "due_soon", "in_date", "in_date"] + ["never"] * 5
    assert list(rows["serial_no"][:4]) == ["OVERDUE-1", "SOON-1", "INDATE-1", "TEMP-REF-1"]


def test_missing_due_dates_sort_last_in_both_directions(tiny: Engine) -> None:
    ascending = call(tiny, equipment_table, sort="next_due_on")
    descending = call(tiny, equipment_table, sort="next_due_on", descending=True)
    # due: OVERDUE-1 01/12/2025, SOON-1 30/01/2026, TEMP-REF-1 10/06/2026, INDATE-1 02/06/2026
    assert serials(ascending)[:4] == ["OVERDUE-1", "SOON-1", "INDATE-1", "TEMP-REF-1"]
    assert serials(descending)[:4] == ["TEMP-REF-1", "INDATE-1", "SOON-1", "OVERDUE-1"]
    assert ascending["next_due_on"][4:].isna().all() and descending["next_due_on"][4:].isna().all()


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("áp kế", {"OVERDUE-1", "SOON-1", "INDATE-1", "NEVER-1", "BAR-1", "EDGE-3Y", "EDGE-2Y"}),
        ("ÁP KẾ", {"OVERDUE-1", "SOON-1", "INDATE-1", "NEVER-1", "BAR-1", "EDGE-3Y", "EDGE-2Y"}),
        ("fluke", {"TEMP-REF-1"}),
        ("c-tq", {"OVERDUE-1", "SOON-1", "INDATE-1", "NEVER-1", "BAR-1"}),
        ("vac", {"VAC-1"}),
        ("  edge-2y ", {"EDGE-2Y"}),
        ("50%", set()),
        ("_", set()),
    ],
)
def test_search_matches_name_manufacturer_serial_or_center_ignoring_case(
    tiny: Engine, search: str, expected: set[str]
) -> None:
    rows, total = call(tiny, equipment_page, sort="serial_no", page=1, page_size=50, search=search)
    assert set(serials(rows)) == expected
    assert total == len(expected)


def test_table_rows_read_like_the_register(tiny: Engine) -> None:
    rows = call(tiny, equipment_table, lang="vi", sort="serial_no").set_index("serial_no")
    reference = rows.loc["TEMP-REF-1"]
    assert reference["center_code"] == "IMTS"
    assert reference["range"] == "-50–420 °C"
    assert reference["uncertainty"] == "0,02 K"
    assert reference["field"] == "Nhiệt độ" and reference["quantity"] == "Nhiệt độ"
    assert bool(reference["is_reference_standard"]) and reference["status"] == "repair"
    assert reference["last_calibrated_on"] == date(2025, 6, 10)
    assert reference["next_due_on"] == date(2026, 6, 10)
    assert reference["calibration_status"] == "in_date"
    assert rows.loc["OVERDUE-1", "range"] == "0–60 MPa"
    assert rows.loc["BAR-1", "range"] == "1–700 bar"
    english = call(tiny, equipment_table, lang="en").set_index("serial_no")
    assert english.loc["TEMP-REF-1", "field"] == "Temperature"
    assert english.loc["TEMP-REF-1", "uncertainty"] == "0.02 K"


def test_table_respects_filters_and_past_dates(tiny: Engine) -> None:
    rows = call(
        tiny,
        equipment_table,
        Filters(as_of=BEFORE_MERGER, province="02", boundaries=Boundaries.BEFORE_MERGER),
    )
    assert serials(rows) == ["NEVER-1"] and list(rows["center_code"]) == ["C-HG"]
    # on 01/06/2025 the thermometer's 02/06/2025 certificate did not exist yet
    before = call(tiny, equipment_table, Filters(as_of=BEFORE_MERGER)).set_index("serial_no")
    assert before.loc["INDATE-1", "calibration_status"] == "never"
    assert before.loc["OVERDUE-1", "calibration_status"] == "in_date"


def test_unknown_sort_key_and_bad_pages_are_refused(tiny: Engine) -> None:
    with pytest.raises(ValueError):
        call(tiny, equipment_page, sort="serial_no; DROP TABLE equipment")
    with pytest.raises(ValueError):
        call(tiny, equipment_page, page=0)
