"""The capability finder: hand-built cases with answers worked out on paper, then a brute-force
check over the whole seeded network."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from services import models as m
from services.filters import Filters
from services.finder import FinderQuery, closest_misses, find_capable_centers, finder_options
from services.units import UnitInputError, parse_quantity, parse_range, to_si, to_si_difference, ureg
from tests.conftest import SEED_DAY

HANOI = (21.0285, 105.8542)
HAI_PHONG = (20.8648, 106.6835)
HA_GIANG = (22.8233, 104.9836)
TODAY = Filters(as_of=date(2026, 1, 15))


# --------------------------------------------------------------------------------------------
# A tiny network: HN-A in Ha Noi, HP-B in Hai Phong, HG-C in Ha Giang (closed by the merger)
# --------------------------------------------------------------------------------------------
CAPABILITIES = {
    # name: (center, type, service, range_text, min_si, max_si, uncertainty value, unit, relative)
    "hn_gauge_cal": ("HN-A", "pressure_gauge", "calibration", "0–60 MPa", 0, 60e6, 0.05, "%", True),
    "hp_gauge_cal": ("HP-B", "pressure_gauge", "calibration", "0–40 MPa", 0, 40e6, 0.02, "%", True),
    "hp_gauge_ver": ("HP-B", "pressure_gauge", "verification", "0–100 MPa", 0, 100e6, 0.05, "MPa", False),
    "hn_gauge_ver": ("HN-A", "pressure_gauge", "verification", "0–60 MPa", 0, 60e6, 0.2, "%", True),
    "hg_gauge_cal": ("HG-C", "pressure_gauge", "calibration", "0–100 MPa", 0, 100e6, 0.01, "%", True),
    "hp_bp_ver": (
        "HP-B",
        "blood_pressure_meter",
        "verification",
        "0–300 mmHg",
        0,
        300 * 133.322387415,
        0.5,
        "mmHg",
        False,
    ),
    "hn_thermo_cal": (
        "HN-A",
        "thermometer",
        "calibration",
        "-40–400 degC",
        233.15,
        673.15,
        0.05,
        "degC",
        False,
    ),
    "hp_thermo_cal": (
        "HP-B",
        "thermometer",
        "calibration",
        "32–42 degC",
        305.15,
        315.15,
        0.02,
        "degC",
        False,
    ),
    "hn_dmm_cal": ("HN-A", "multimeter", "calibration", "-1000–1000 V", -1000, 1000, 0.01, "%", True),
    "hp_dmm_cal": ("HP-B", "multimeter", "calibration", "-1000–1000 V", -1000, 1000, 0.001, "V", False),
    "hn_hygro_cal": ("HN-A", "hygrometer", "calibration", "10–95 percent", 0.10, 0.95, 1.5, "percent", False),
}


@pytest.fixture
def finder(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        session.add(
            m.Province(
                key="31-2025",
                code="31",
                name_vi="Hải Phòng",
                name_en="Hai Phong",
                capital_vi="Hải Phòng",
                lat=HAI_PHONG[0],
                lon=HAI_PHONG[1],
                population_thousands=4061,
                valid_from=date(2025, 7, 1),
            )
        )
        session.flush()
        session.add(
            m.Province(
                key="01",
                code="01",
                name_vi="Hà Nội",
                name_en="Ha Noi",
                capital_vi="Hà Nội",
                lat=HANOI[0],
                lon=HANOI[1],
                population_thousands=8587,
            )
        )
        # the old Hai Phong shares code 31 but sits elsewhere here: the finder must use today's province
        session.add(
            m.Province(
                key="31",
                code="31",
                name_vi="Hải Phòng cũ",
                name_en="Old Hai Phong",
                capital_vi="-",
                lat=HA_GIANG[0],
                lon=HA_GIANG[1],
                population_thousands=2105,
                valid_to=date(2025, 6, 30),
                successor_key="31-2025",
            )
        )
        session.add(
            m.Province(
                key="02",
                code="02",
                name_vi="Hà Giang",
                name_en="Ha Giang",
                capital_vi="Hà Giang",
                lat=HA_GIANG[0],
                lon=HA_GIANG[1],
                population_thousands=900,
                valid_to=date(2025, 6, 30),
                successor_key="31-2025",
            )
        )
        for code, name in (("P", "Pressure"), ("T", "Temperature"), ("EM", "Electrical")):
            session.add(m.MeasurementField(code=code, name_vi=name, name_en=name))
        session.flush()
        for code, field, si_unit in (
            ("pressure", "P", "Pa"),
            ("temperature", "T", "K"),
            ("voltage", "EM", "V"),
            ("relative_humidity", "T", "dimensionless"),
        ):
            session.add(m.Quantity(code=code, field_code=field, name_vi=code, name_en=code, si_unit=si_unit))
        session.flush()
        for code, quantity in (
            ("pressure_gauge", "pressure"),
            ("blood_pressure_meter", "pressure"),
            ("thermometer", "temperature"),
            ("multimeter", "voltage"),
            ("hygrometer", "relative_humidity"),
        ):
            session.add(
                m.InstrumentType(
                    code=code, quantity_code=quantity, name_vi=f"{code} vi", name_en=f"{code} en"
                )
            )
        centers = {
            "HN-A": m.Center(
                code="HN-A",
                name_vi="Trung tâm A",
                name_en="Center A",
                kind="provincial_center",
                province_key="01",
                lat=HANOI[0],
                lon=HANOI[1],
                accreditation_no="VILAS 1",
            ),
            "HP-B": m.Center(
                code="HP-B",
                name_vi="Trung tâm B",
                name_en="Center B",
                kind="provincial_center",
                province_key="31-2025",
                lat=HAI_PHONG[0],
                lon=HAI_PHONG[1],
            ),
        }
        session.add_all(centers.values())
        session.flush()
        centers["HG-C"] = m.Center(
            code="HG-C",
            name_vi="Trung tâm C",
            name_en="Center C",
            kind="provincial_center",
            province_key="02",
            lat=HA_GIANG[0],
            lon=HA_GIANG[1],
            active_to=date(2025, 6, 30),
            successor_id=centers["HP-B"].id,
        )
        session.add(centers["HG-C"])
        session.flush()
        ids = {}
        for name, (
            center,
            kind,
            service,
            range_text,
            low,
            high,
            value,
            unit,
            relative,
        ) in CAPABILITIES.items():
            row = m.Capability(
                center_id=centers[center].id,
                instrument_type_code=kind,
                service=service,
                range_text=range_text,
                range_min_si=low,
                range_max_si=high,
                uncertainty_value=value,
                uncertainty_unit=unit,
                uncertainty_relative=relative,
                accredited=center == "HN-A",
            )
            session.add(row)
            session.flush()
            ids[name] = row.id
        session.commit()
    return engine, ids


def found(finder, **query: object) -> list[str]:  # type: ignore[no-untyped-def]
    engine, ids = finder
    names = {v: k for k, v in ids.items()}
    with Session(engine) as session:
        frame = find_capable_centers(session, TODAY, **query)  # type: ignore[arg-type]
    return [names[i] for i in frame["capability_id"]]


def missed(finder, **query: object) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    engine, ids = finder
    names = {v: k for k, v in ids.items()}
    with Session(engine) as session:
        frame = closest_misses(session, TODAY, **query)  # type: ignore[arg-type]
    return frame.assign(name=frame["capability_id"].map(names))


def one(finder, name: str, **query: object) -> pd.Series:  # type: ignore[no-untyped-def]
    engine, ids = finder
    with Session(engine) as session:
        frame = find_capable_centers(session, TODAY, **query)  # type: ignore[arg-type]
    return frame[frame["capability_id"] == ids[name]].iloc[0]


# --- matching -------------------------------------------------------------------------------
def test_range_must_be_contained_and_uncertainty_met_closed_centers_never_listed(finder) -> None:
    # 0–40 MPa misses 60 MPa; 0,2 % > 0,1 %; HP-B's absolute 0,05 MPa beats nothing at 0 MPa where
    # 0,1 % of the reading is 0; HG-C (0,01 %, 0–100 MPa) closed on 30/06/2025
    assert found(
        finder, instrument_type="pressure_gauge", range_text="0–60 MPa", uncertainty_text="0,1 %"
    ) == ["hn_gauge_cal"]


def test_a_finder_query_value_asks_the_same_as_its_keywords(finder) -> None:
    engine, ids = finder
    query = FinderQuery("50–60 MPa", instrument_type="pressure_gauge", uncertainty_text="0,1 %")
    keywords = {"instrument_type": "pressure_gauge", "range_text": "50–60 MPa", "uncertainty_text": "0,1 %"}
    with Session(engine) as session:
        by_value = find_capable_centers(session, TODAY, query)
        by_keywords = find_capable_centers(session, TODAY, **keywords)
        misses_by_value = closest_misses(session, TODAY, query=query)
        misses_by_keywords = closest_misses(session, TODAY, **keywords)
        with pytest.raises(TypeError, match="not both"):
            find_capable_centers(session, TODAY, query, service="calibration")
    assert set(by_value["capability_id"]) == {ids["hn_gauge_cal"], ids["hp_gauge_ver"]}
    assert by_value.equals(by_keywords)
    assert not misses_by_value.empty
    assert misses_by_value.equals(misses_by_keywords)


def test_absolute_capability_meets_a_relative_request_only_where_the_reading_is_large_enough(finder) -> None:
    # at 50 MPa 0,1 % is 0,05 MPa = HP-B's 0,05 MPa (equal passes); at 10 MPa it is 0,01 MPa (fails)
    assert set(
        found(finder, instrument_type="pressure_gauge", range_text="50–60 MPa", uncertainty_text="0,1 %")
    ) == {"hn_gauge_cal", "hp_gauge_ver"}
    assert found(
        finder, instrument_type="pressure_gauge", range_text="10–60 MPa", uncertainty_text="0,1 %"
    ) == ["hn_gauge_cal"]


def test_relative_capability_meets_an_absolute_request_only_where_the_reading_is_small_enough(finder) -> None:
    # HN-A 0,05 % at 60 MPa is 0,03 MPa (> 0,02 MPa asked); at 40 MPa it is 0,02 MPa (meets it);
    # HP-B 0,02 % at 40 MPa is 0,008 MPa; HP-B's absolute 0,05 MPa never meets 0,02 MPa
    assert (
        found(finder, instrument_type="pressure_gauge", range_text="0–60 MPa", uncertainty_text="20 kPa")
        == []
    )
    assert set(
        found(finder, instrument_type="pressure_gauge", range_text="0–40 MPa", uncertainty_text="0,02 MPa")
    ) == {"hn_gauge_cal", "hp_gauge_cal"}


def test_a_range_across_zero_is_also_checked_at_zero(finder) -> None:
    # ±10 V at 0,02 %: 0,002 V at both ends, but 0 V at zero where HP-B's absolute 0,001 V fails
    assert found(finder, instrument_type="multimeter", range_text="±10 V", uncertainty_text="0,02 %") == [
        "hn_dmm_cal"
    ]
    # 5–10 V: at 5 V 0,02 % is exactly 0,001 V
    assert set(
        found(finder, instrument_type="multimeter", range_text="5–10 V", uncertainty_text="0,02 %")
    ) == {"hn_dmm_cal", "hp_dmm_cal"}


def test_celsius_ranges_and_uncertainties_are_compared_as_kelvin_and_differences(finder) -> None:
    assert found(
        finder, instrument_type="thermometer", range_text="35–42 °C", uncertainty_text="0,03 °C"
    ) == ["hp_thermo_cal"]
    assert set(
        found(finder, instrument_type="thermometer", range_text="35–42 °C", uncertainty_text="0,05 K")
    ) == {"hn_thermo_cal", "hp_thermo_cal"}
    assert found(finder, instrument_type="thermometer", range_text="-20–50 °C") == ["hn_thermo_cal"]
    # 100 °F = 37,78 °C; 0,054 °F = 0,03 K
    assert found(
        finder, instrument_type="thermometer", range_text="95–100 °F", uncertainty_text="0,054 °F"
    ) == ["hp_thermo_cal"]
    # a relative temperature uncertainty is relative to the absolute temperature: 0,01 % of 308,15 K
    # is 0,0308 K, which HP-B's 0,02 K meets and HN-A's 0,05 K does not
    assert found(finder, instrument_type="thermometer", range_text="35–42 °C", uncertainty_text="0,01 %") == [
        "hp_thermo_cal"
    ]


def test_humidity_in_percent_rh_is_read_against_the_stored_ratio(finder) -> None:
    assert found(finder, instrument_type="hygrometer", range_text="20–80 %RH", uncertainty_text="2 %RH") == [
        "hn_hygro_cal"
    ]
    assert found(finder, instrument_type="hygrometer", range_text="20–80 %RH", uncertainty_text="1 %RH") == []
    assert found(finder, range_text="20–80 %RH") == ["hn_hygro_cal"]


def test_a_quantity_or_only_the_unit_selects_every_instrument_type_of_that_kind(finder) -> None:
    pressure = {"hn_gauge_cal", "hp_gauge_cal", "hp_gauge_ver", "hn_gauge_ver", "hp_bp_ver"}
    assert set(found(finder, quantity="pressure", range_text="0–30 kPa")) == pressure
    assert set(found(finder, range_text="0–30 kPa")) == pressure
    assert found(finder, range_text="0–10 kg") == []


def test_service_filter_keeps_only_that_service(finder) -> None:
    assert set(
        found(finder, instrument_type="pressure_gauge", range_text="0–60 MPa", service="verification")
    ) == {"hp_gauge_ver", "hn_gauge_ver"}


def test_a_verification_is_reported_designated_or_not_never_accredited(finder) -> None:
    engine, ids = finder
    with Session(engine) as session:
        designated = session.get(m.Capability, ids["hp_gauge_ver"])
        assert designated is not None
        designated.designated = True
        session.add(designated)
        session.commit()
        verification = find_capable_centers(
            session, TODAY, instrument_type="pressure_gauge", range_text="0–60 MPa", service="verification"
        )
        calibration = find_capable_centers(
            session, TODAY, instrument_type="pressure_gauge", range_text="0–40 MPa", service="calibration"
        )
    # HN-A's verification row says "accredited" (every HN-A row does here): a verification never is
    standing = dict(zip(verification["capability_id"], verification["recognition"], strict=True))
    assert standing == {ids["hp_gauge_ver"]: "designated", ids["hn_gauge_ver"]: "not_designated"}
    assert not verification["accredited"].any()
    assert dict(zip(verification["capability_id"], verification["designated"], strict=True)) == {
        ids["hp_gauge_ver"]: True,
        ids["hn_gauge_ver"]: False,
    }
    by_center = dict(zip(calibration["center_code"], calibration["recognition"], strict=True))
    assert by_center == {"HN-A": "accredited", "HP-B": "not_accredited"}
    assert not calibration["designated"].any()


def test_an_earlier_day_lists_the_center_active_then(finder) -> None:
    engine, ids = finder
    with Session(engine) as session:
        frame = find_capable_centers(
            session,
            Filters(as_of=date(2025, 1, 1)),
            instrument_type="pressure_gauge",
            range_text="0–100 MPa",
            uncertainty_text="0,1 %",
        )
    assert list(frame["capability_id"]) == [ids["hg_gauge_cal"]]


# --- order and distance ---------------------------------------------------------------------
def test_sorted_by_distance_then_by_uncertainty(finder) -> None:
    # from Hai Phong: HP-B (0 km) before HN-A (~88 km); within a center the smaller uncertainty at
    # the worst end first: HP-B 0,02 % × 40 MPa = 0,008 MPa < 0,05 MPa; HN-A 0,02 MPa < 0,08 MPa
    assert found(finder, instrument_type="pressure_gauge", range_text="0–40 MPa", near_province="31") == [
        "hp_gauge_cal",
        "hp_gauge_ver",
        "hn_gauge_cal",
        "hn_gauge_ver",
    ]
    # without a province, by uncertainty alone
    assert found(finder, instrument_type="pressure_gauge", range_text="0–40 MPa") == [
        "hp_gauge_cal",
        "hn_gauge_cal",
        "hp_gauge_ver",
        "hn_gauge_ver",
    ]


def test_distance_is_from_todays_province_capital(finder) -> None:
    row = one(
        finder, "hn_gauge_cal", instrument_type="pressure_gauge", range_text="0–40 MPa", near_province="31"
    )
    # Ha Noi to Hai Phong: 0,829° of longitude at 21° N ≈ 86,2 km and 0,164° of latitude ≈ 18,2 km
    assert row["distance_km"] == pytest.approx(88.1, abs=1.0)
    near = one(
        finder, "hp_gauge_cal", instrument_type="pressure_gauge", range_text="0–40 MPa", near_province="31"
    )
    assert near["distance_km"] == pytest.approx(0.0, abs=1e-6)
    without = one(finder, "hp_gauge_cal", instrument_type="pressure_gauge", range_text="0–40 MPa")
    assert math.isnan(without["distance_km"])


# --- what the user reads --------------------------------------------------------------------
def test_a_match_explains_itself_in_both_languages_in_the_typed_unit(finder) -> None:
    row = one(
        finder,
        "hp_gauge_ver",
        instrument_type="pressure_gauge",
        range_text="500–600 bar",
        uncertainty_text="0,1 %",
    )
    assert row["range_en"] == "0–1000 bar"
    assert row["range_vi"] == "0–1000 bar"
    assert row["uncertainty_vi"] == "0,05 MPa"
    assert parse_range(row["range_vi"]).high == parse_range(row["range_en"]).high == 1000 * ureg.bar
    # 0,1 % of 500 bar is 0,5 bar, exactly HP-B's 0,05 MPa: the tightest end
    assert row["explanation_en"] == (
        "At 500 bar its uncertainty is 0.5 bar, within the 0.5 bar (0.1 %) asked; "
        "its range 0–1000 bar contains 500–600 bar."
    )
    assert row["explanation_vi"] == (
        "Tại 500 bar, độ không đảm bảo đo 0,5 bar nằm trong mức 0,5 bar (0,1 %) yêu cầu; "
        "phạm vi 0–1000 bar bao trùm 500–600 bar."
    )
    plain = one(finder, "hp_gauge_ver", instrument_type="pressure_gauge", range_text="500–600 bar")
    assert plain["explanation_en"] == (
        "Range 0–1000 bar contains 500–600 bar; best uncertainty 0.05 MPa (no limit asked)."
    )


def test_closest_misses_say_why_in_the_users_unit_closest_first(finder) -> None:
    misses = missed(
        finder,
        instrument_type="pressure_gauge",
        range_text="0–100 MPa",
        uncertainty_text="0,1 %",
        service="calibration",
        near_province="31",
    )
    # HN-A calibration lacks only the top (40 % of the range uncovered), HP-B calibration lacks 60 %;
    # HP-B verification: wrong service and nothing at 0 MPa; HN-A verification fails all three
    assert list(misses["name"]) == ["hn_gauge_cal", "hp_gauge_cal", "hp_gauge_ver", "hn_gauge_ver"]
    assert list(misses["failures"]) == [1, 1, 2, 3]
    first = misses.iloc[0]
    assert first["explanation_en"] == "Center A (HN-A) covers up to 60 MPa; you asked 100 MPa."
    assert first["explanation_vi"] == "Trung tâm A (HN-A) chỉ đo đến 60 MPa; bạn cần 100 MPa."
    third = misses.iloc[2]
    assert third["explanation_en"] == (
        "Center B (HP-B) offers verification, not calibration. At 0 MPa, the best uncertainty of Center B (HP-B) "
        "is 0.05 MPa; you asked ≤ 0 MPa (0.1 %)."
    )
    assert bool(third["at_zero"]) is True
    assert "hg_gauge_cal" not in set(misses["name"])


def test_closest_misses_convert_back_to_celsius(finder) -> None:
    misses = missed(finder, instrument_type="thermometer", range_text="20–42 °C", uncertainty_text="0,03 °C")
    by_name = dict(zip(misses["name"], misses["explanation_en"], strict=True))
    assert by_name["hp_thermo_cal"] == "Center B (HP-B) covers only from 32 °C; you asked from 20 °C."
    assert by_name["hn_thermo_cal"] == (
        "At 42 °C, the best uncertainty of Center A (HN-A) is 0.05 °C; you asked ≤ 0.03 °C."
    )


def test_nobody_offering_the_type_leaves_no_closest_miss(finder) -> None:
    assert missed(finder, range_text="0–10 kg").empty


@pytest.mark.parametrize(
    ("query", "key", "bad"),
    [
        ({"instrument_type": "pressure_gauge", "range_text": "0–60 kg"}, "units.error.wrong_kind", "kg"),
        (
            {"quantity": "pressure", "range_text": "0–60 MPa", "uncertainty_text": "0,1 kg"},
            "units.error.wrong_kind",
            "kg",
        ),
        ({"instrument_type": "thermometer", "range_text": "35–42 bar"}, "units.error.wrong_kind", "bar"),
        (
            {"instrument_type": "pressure_gauge", "range_text": "sáu mươi MPa"},
            "units.error.no_number",
            "sáu mươi",
        ),
        (
            {"instrument_type": "pressure_gauge", "range_text": "60–0 MPa"},
            "units.error.low_above_high",
            "60–0",
        ),
        ({"instrument_type": "pressure_gauge", "range_text": "0–60 MPx"}, "units.error.unknown_unit", "MPx"),
        (
            {"instrument_type": "pressure_gauge", "range_text": "0–60 %"},
            "finder.error.relative_range",
            "0–60 %",
        ),
    ],
)
def test_unreadable_input_raises_a_translated_error_naming_the_text(
    finder, query, key: str, bad: str
) -> None:
    engine, _ = finder
    with Session(engine) as session, pytest.raises(UnitInputError) as error:
        find_capable_centers(session, TODAY, **query)
    assert error.value.key == key
    assert bad in error.value.message("vi") and bad in error.value.message("en")
    assert error.value.message("vi") != error.value.message("en")


def test_a_ratio_range_is_fine_for_a_unitless_quantity(finder) -> None:
    assert found(finder, instrument_type="hygrometer", range_text="20–80 %") == ["hn_hygro_cal"]
    assert found(finder, instrument_type="hygrometer", range_text="20–80 %", uncertainty_text="2 %RH") == [
        "hn_hygro_cal"
    ]
    # 1,5 points against 2 % of the reading: 0,4 points at 20 %RH
    assert found(finder, instrument_type="hygrometer", range_text="20–80 %", uncertainty_text="2 %") == []


def test_options_offer_types_with_a_typed_example_and_todays_provinces(finder) -> None:
    engine, _ = finder
    with Session(engine) as session:
        options = finder_options(session, TODAY)
    examples = options.instrument_types.set_index("code")["example_range"]
    assert examples["pressure_gauge"] == "0–100 MPa"  # the widest range offered
    assert examples["thermometer"] == "-40–400 °C"
    assert sorted(options.provinces["code"]) == ["01", "31"]
    assert set(options.quantities["code"]) == {"pressure", "temperature", "voltage", "relative_humidity"}


# --------------------------------------------------------------------------------------------
# Brute force over the seeded network
# --------------------------------------------------------------------------------------------
SEEDED_QUERIES = [
    {"instrument_type": "pressure_gauge", "range_text": "0–60 MPa", "uncertainty_text": "0,1 %"},
    {
        "instrument_type": "pressure_gauge",
        "range_text": "0–20 MPa",
        "service": "verification",
        "near_province": "31",
    },
    {"instrument_type": "pressure_gauge", "range_text": "10–30 MPa", "uncertainty_text": "15 kPa"},
    {
        "quantity": "pressure",
        "range_text": "0–200 mmHg",
        "uncertainty_text": "0,6 mmHg",
        "near_province": "01",
    },
    {"quantity": "temperature", "range_text": "35–42 °C", "uncertainty_text": "0,05 °C"},
    {"instrument_type": "industrial_thermometer", "range_text": "-20–100 °C", "uncertainty_text": "0,1 K"},
    {
        "instrument_type": "thermocouple",
        "range_text": "100–700 °C",
        "uncertainty_text": "1 °C",
        "near_province": "22",
    },
    {"range_text": "0,01–8 m³/h", "uncertainty_text": "0,3 %"},
    {"instrument_type": "truck_scale", "range_text": "0–60 t", "uncertainty_text": "0,05 %"},
    {"instrument_type": "hygrometer", "range_text": "20–80 %RH", "uncertainty_text": "1 %RH"},
    {"instrument_type": "ph_meter", "range_text": "0–7", "uncertainty_text": "0,02"},
    {"instrument_type": "digital_multimeter", "range_text": "10–500 V", "uncertainty_text": "0,02 %"},
    {
        "instrument_type": "analytical_balance",
        "range_text": "0–100 g",
        "uncertainty_text": "0,1 mg",
        "near_province": "37",
    },
    {"range_text": "10–1000 A", "uncertainty_text": "0,5 %", "service": "calibration"},
    {"instrument_type": "speed_radar", "range_text": "0–200 km/h", "uncertainty_text": "0,5 km/h"},
    {"instrument_type": "total_station", "range_text": "0–90 °", "near_province": "19"},
    {"instrument_type": "fuel_dispenser", "range_text": "5–40 L/min", "uncertainty_text": "0,1 %"},
    {"instrument_type": "blood_pressure_meter", "range_text": "50–250 mmHg", "uncertainty_text": "0,5 %"},
    # capability ranges end where their standards' do (piston gauges start at 0,1 MPa)
    {"instrument_type": "pressure_gauge", "range_text": "1–30 MPa", "uncertainty_text": "0,1 %"},
]


def brute_force(session: Session, query: dict[str, str]) -> tuple[set[int], set[int]]:
    """(matching, candidate) capability ids, recomputed row by row from plain SQL."""
    rows = (
        session.execute(
            text("""
        SELECT cap.id, cap.service, cap.range_min_si, cap.range_max_si, cap.uncertainty_value,
               cap.uncertainty_unit, cap.uncertainty_relative, it.code AS type_code, q.code AS quantity_code,
               q.si_unit,
               EXISTS (SELECT 1 FROM capability_standard cs JOIN equipment e ON e.id = cs.equipment_id
                       WHERE cs.capability_id = cap.id AND e.acquired_on <= :today AND e.status = 'in_service'
                         AND e.next_due_on >= :today) AS in_force
        FROM capability cap
        JOIN center c ON c.id = cap.center_id
        JOIN instrument_type it ON it.code = cap.instrument_type_code
        JOIN quantity q ON q.code = it.quantity_code
        WHERE c.active_to IS NULL OR c.active_to >= :today
    """),
            {"today": SEED_DAY},
        )
        .mappings()
        .all()
    )
    typed = query["range_text"]
    rh = "%RH" in typed
    expected = None
    for row in rows:
        if query.get("instrument_type") == row["type_code"] or query.get("quantity") == row["quantity_code"]:
            expected = row["si_unit"]
    if rh:
        rng = parse_range(typed)
        low, high = to_si(rng.low) / 100, to_si(rng.high) / 100
    else:
        rng = parse_range(typed, expected)
        low, high = rng.to_si()
    asked_relative, asked = None, None
    if query.get("uncertainty_text"):
        q = parse_quantity(query["uncertainty_text"], None if rh else (expected or str(rng.high.units)))
        if rh:
            asked_relative, asked = False, to_si(q) / 100
        else:
            asked_relative = str(q.units) in ("percent", "parts_per_million")
            asked = to_si(q) if asked_relative else to_si_difference(q)
    points = [low, high] + ([0.0] if low < 0 < high else [])
    close = 1e-9
    matching, candidates = set(), set()
    for row in rows:
        if query.get("instrument_type") and row["type_code"] != query["instrument_type"]:
            continue
        if query.get("quantity") and row["quantity_code"] != query["quantity"]:
            continue
        if not query.get("instrument_type") and not query.get("quantity"):
            if rh:
                if row["quantity_code"] != "relative_humidity":
                    continue
            elif ureg.Unit(row["si_unit"]).dimensionality != rng.high.dimensionality:
                continue
        candidates.add(row["id"])
        # a capability none of whose standards is in date on the seed day (its stored due date) is suspended
        if not row["in_force"]:
            continue
        if query.get("service") and row["service"] != query["service"]:
            continue
        if row["range_min_si"] > low + close * max(abs(low), abs(row["range_min_si"])):
            continue
        if high > row["range_max_si"] + close * max(abs(high), abs(row["range_max_si"])):
            continue
        if asked is not None:
            if row["uncertainty_relative"]:
                offered = [row["uncertainty_value"] / 100 * abs(x) for x in points]
            else:
                offered = [
                    to_si_difference(ureg.Quantity(row["uncertainty_value"], row["uncertainty_unit"]))
                ] * 3
            wanted = [asked * abs(x) if asked_relative else asked for x in points]
            if any(o > w + close * max(o, w) for o, w in zip(offered, wanted, strict=False)):
                continue
        matching.add(row["id"])
    return matching, candidates


def test_finder_equals_brute_force_over_the_seeded_network(seeded_engine: Engine) -> None:
    informative = 0
    with Session(seeded_engine) as session:
        for query in SEEDED_QUERIES:
            expected, candidates = brute_force(session, query)
            frame = find_capable_centers(session, Filters(as_of=SEED_DAY), **query)
            assert set(frame["capability_id"]) == expected, query
            assert len(frame) == len(expected), query
            misses = closest_misses(session, Filters(as_of=SEED_DAY), **query)
            assert set(misses["capability_id"]) == candidates - expected, query
            # nearest first, then the smallest uncertainty
            keys = list(zip(frame["distance_km"].fillna(0), frame["uncertainty_si"], strict=True))
            assert keys == sorted(keys), query
            informative += 0 < len(expected) < len(candidates)
    # the queries split the candidates (neither everything nor nothing matches) most of the time
    assert informative >= 10


def test_seeded_finder_lists_no_center_closed_by_the_merger(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        closed = {
            code for (code,) in session.execute(text("SELECT code FROM center WHERE active_to IS NOT NULL"))
        }
        frame = find_capable_centers(
            session, Filters(as_of=SEED_DAY), quantity="pressure", range_text="0–1 MPa"
        )
        misses = closest_misses(
            session,
            Filters(as_of=SEED_DAY),
            quantity="pressure",
            range_text="0–1 MPa",
            uncertainty_text="1 Pa",
        )
    assert closed and not (set(frame["center_code"]) | set(misses["center_code"])) & closed


def test_a_relative_capability_missing_an_absolute_request_shows_both_figures(finder) -> None:
    misses = missed(
        finder, instrument_type="pressure_gauge", range_text="0–60 MPa", uncertainty_text="20 kPa"
    )
    by_name = dict(zip(misses["name"], misses["explanation_en"], strict=True))
    # 0,05 % of 60 MPa = 30 kPa, shown in the kPa the user typed, with the stored 0,05 %
    assert by_name["hn_gauge_cal"] == (
        "At 60 MPa, the best uncertainty of Center A (HN-A) is 30 kPa (0.05 %); you asked ≤ 20 kPa."
    )
