"""The hand-written demo spec (data/spec/*.csv) is physically coherent: every standard template has
a better one in the network that can calibrate it (same quantity, covering range, TUR ≥ 4 by
``services.standard_fit``), certified reference materials come as lots, radiation stays at the
top, and the names and intervals follow the Circular and the 2025 merger."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from services.standard_fit import can_calibrate, covers_range, uncertainty_ratio
from services.units import to_si, ureg

SPEC = Path(__file__).resolve().parent.parent / "data" / "spec"
LEVELS = ("national", "institute", "reference", "working")
RADIATION_QUANTITIES = frozenset({"dose_equivalent_rate", "dose_equivalent"})
STANDARD_COLUMNS = [
    "quantity_code",
    "instrument_type_code",
    "level",
    "name_vi",
    "manufacturers",
    "model_prefix",
    "range_low",
    "range_high",
    "range_unit",
    "uncertainty",
    "uncertainty_unit",
    "calibration_interval_months",
    "crm",
    "reference",
]
MERGER_EVE = "2025-06-30"


def _read(name: str) -> list[dict[str, str]]:
    with (SPEC / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


@cache
def _standards() -> tuple[dict[str, Any], ...]:
    rows = []
    for line, row in enumerate(_read("standards"), start=2):
        unit = row["range_unit"]
        rows.append(
            {
                **row,
                "line": line,
                "crm": row["crm"] == "true",
                "quantity_code": row["quantity_code"],
                "range_min_si": to_si(ureg.Quantity(float(row["range_low"]), unit)),
                "range_max_si": to_si(ureg.Quantity(float(row["range_high"]), unit)),
                "uncertainty_value": float(row["uncertainty"]),
                "uncertainty_unit": row["uncertainty_unit"],
                "uncertainty_relative": row["uncertainty_unit"] == "%",
            }
        )
    return tuple(rows)


def _label(row: dict[str, Any]) -> str:
    return (
        f"line {row['line']}: {row['level']} {row['quantity_code']} '{row['name_vi']}' "
        f"({row['range_low']}–{row['range_high']} {row['range_unit']}, "
        f"U = {row['uncertainty']} {row['uncertainty_unit']})"
    )


def _non_crm(level: str) -> list[dict[str, Any]]:
    return [row for row in _standards() if row["level"] == level and not row["crm"]]


def _calibrated_by(item: dict[str, Any], levels: Iterable[str]) -> list[dict[str, Any]]:
    wanted = set(levels)
    return [s for s in _standards() if s["level"] in wanted and s is not item and can_calibrate(s, item)]


def _best_ratio(item: dict[str, Any], levels: Iterable[str]) -> str:
    """Why no standard fits: the best candidates of the same quantity, for the failure message."""
    wanted = set(levels)
    notes = []
    for standard in _standards():
        if standard["level"] in wanted and standard["quantity_code"] == item["quantity_code"]:
            ratio = uncertainty_ratio(standard, item)
            notes.append(
                f"line {standard['line']} covers={covers_range(standard, item)} "
                f"ratio={ratio if ratio is None else round(ratio, 2)}"
            )
    return "; ".join(notes) or "no standard of that quantity"


def _unserved(items: list[dict[str, Any]], levels: tuple[str, ...]) -> list[str]:
    return [
        f"{_label(item)} — {_best_ratio(item, levels)}" for item in items if not _calibrated_by(item, levels)
    ]


def test_standards_csv_has_the_agreed_columns_and_levels() -> None:
    with (SPEC / "standards.csv").open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == STANDARD_COLUMNS
    assert [_label(r) for r in _standards() if r["level"] not in LEVELS] == []
    assert {r["level"] for r in _standards()} == set(LEVELS)


def test_reference_column_is_true_exactly_when_the_level_is_not_working() -> None:
    wrong = [
        _label(r) for r in _standards() if r["reference"] != ("false" if r["level"] == "working" else "true")
    ]
    assert wrong == []


def test_every_standard_names_a_known_quantity_and_instrument_type() -> None:
    quantities = {row["code"] for row in _read("quantities")}
    types = {row["code"]: row for row in _read("instrument_types")}
    assert [_label(r) for r in _standards() if r["quantity_code"] not in quantities] == []
    assert [_label(r) for r in _standards() if r["instrument_type_code"] not in types] == []


def test_every_standard_has_a_positive_range_uncertainty_and_interval() -> None:
    wrong = [
        _label(r)
        for r in _standards()
        if not (
            r["range_min_si"] <= r["range_max_si"]
            and r["uncertainty_value"] > 0
            and int(r["calibration_interval_months"]) > 0
            and r["manufacturers"]
            and r["model_prefix"]
        )
    ]
    assert wrong == []


def test_working_standards_are_calibrated_by_a_reference_standard() -> None:
    assert _unserved(_non_crm("working"), ("reference",)) == []


def test_working_standards_are_calibrated_by_an_institute_or_national_standard() -> None:
    assert _unserved(_non_crm("working"), ("institute", "national")) == []


def test_working_standards_are_calibrated_by_a_national_standard_as_vmi_holds_working_ones_too() -> None:
    assert _unserved(_non_crm("working"), ("national",)) == []


def test_reference_standards_are_calibrated_by_an_institute_or_national_standard() -> None:
    assert _unserved(_non_crm("reference"), ("institute", "national")) == []


def test_reference_standards_are_calibrated_by_a_national_standard() -> None:
    assert _unserved(_non_crm("reference"), ("national",)) == []


def test_institute_standards_are_calibrated_by_a_national_standard() -> None:
    assert _unserved(_non_crm("institute"), ("national",)) == []


def test_the_institute_holds_a_better_standard_than_each_provincial_reference_standard() -> None:
    """Where the institute has standards of a quantity, one of them covers each reference standard's
    range with a smaller uncertainty at its top."""
    institutes = _non_crm("institute")
    quantities = {row["quantity_code"] for row in institutes}
    unmatched = [
        _label(reference)
        for reference in _non_crm("reference")
        if reference["quantity_code"] in quantities
        and not any(
            i["quantity_code"] == reference["quantity_code"]
            and covers_range(i, reference)
            and (uncertainty_ratio(i, reference) or 0) > 1
            for i in institutes
        )
    ]
    assert unmatched == []


@pytest.mark.parametrize(
    "word", ["Dung dịch chuẩn pH", "Dung dịch chuẩn độ dẫn điện", "Khí chuẩn", "Hỗn hợp khí chuẩn"]
)
def test_certified_reference_materials_are_flagged(word: str) -> None:
    named = [r for r in _standards() if r["name_vi"].startswith(word)]
    assert named
    assert [_label(r) for r in named if not r["crm"]] == []


def test_certified_reference_materials_are_chemistry_lots_never_national_standards() -> None:
    fields = {row["code"]: row["field_code"] for row in _read("quantities")}
    wrong = [
        _label(r)
        for r in _standards()
        if r["crm"] and (r["level"] == "national" or fields[r["quantity_code"]] != "QM")
    ]
    assert wrong == []
    assert any(r["crm"] for r in _standards())


def test_ionizing_radiation_has_only_national_and_reference_standards() -> None:
    radiation = [r for r in _standards() if r["quantity_code"] in RADIATION_QUANTITIES]
    assert {r["quantity_code"] for r in radiation} == RADIATION_QUANTITIES
    assert [_label(r) for r in radiation if r["level"] not in ("national", "reference")] == []


def test_every_legally_controlled_instrument_type_has_a_working_or_reference_standard() -> None:
    served = {r["instrument_type_code"] for r in _standards() if r["level"] in ("working", "reference")}
    legal = [row["code"] for row in _read("instrument_types") if row["legally_controlled"] == "true"]
    assert legal
    assert [code for code in legal if code not in served] == []


def test_every_instrument_type_keeps_a_standard_serving_it() -> None:
    served = {r["instrument_type_code"] for r in _standards() if r["level"] in ("working", "reference")}
    assert [row["code"] for row in _read("instrument_types") if row["code"] not in served] == []


def test_a_measuring_tape_has_no_periodic_verification_interval() -> None:
    (tape,) = (row for row in _read("instrument_types") if row["code"] == "measuring_tape")
    assert tape["verification_interval_months"] == "" and tape["interval_before_20241015"] == ""


@pytest.mark.parametrize(
    ("code", "now", "before"),
    [
        ("taximeter", "18", "12"),
        ("speed_radar", "24", "12"),
        ("water_meter_mechanical", "60", ""),
        ("water_meter_electronic", "36", ""),
        ("energy_meter_1phase", "60", ""),
        ("energy_meter_3phase", "24", ""),
        ("ev_meter_ac_ebike", "60", ""),
        ("ev_meter_ac_car", "36", ""),
        ("ev_meter_dc_car", "36", ""),
        ("fuel_dispenser", "12", ""),
        ("truck_scale", "12", ""),
        ("analytical_balance", "12", ""),
        ("technical_balance", "12", ""),
        ("breath_alcohol_analyser", "12", ""),
        ("blood_pressure_meter", "12", ""),
        ("clinical_thermometer_electronic", "6", ""),
        ("grain_moisture_meter", "12", ""),
        ("edm", "12", ""),
        ("total_station", "12", ""),
        ("levelling_instrument", "12", ""),
        ("water_depth_meter", "12", ""),
        ("current_transformer", "60", ""),
        ("voltage_transformer", "60", ""),
    ],
)
def test_verification_intervals_follow_the_circular(code: str, now: str, before: str) -> None:
    (row,) = (row for row in _read("instrument_types") if row["code"] == code)
    assert (row["verification_interval_months"], row["interval_before_20241015"]) == (now, before)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("speed_radar", "Phương tiện đo kiểm tra tốc độ phương tiện giao thông"),
        ("water_depth_meter", "Phương tiện đo độ sâu đáy nước"),
        ("ev_meter_ac_ebike", "Thiết bị đo điện năng xoay chiều sạc pin xe đạp điện, xe máy điện"),
        ("ev_meter_ac_car", "Thiết bị đo điện năng xoay chiều sạc pin xe ô tô điện"),
        ("ev_meter_dc_car", "Thiết bị đo điện năng một chiều sạc pin xe ô tô điện"),
    ],
)
def test_instrument_types_carry_the_circulars_own_names(code: str, name: str) -> None:
    (row,) = (row for row in _read("instrument_types") if row["code"] == code)
    assert row["name_vi"] == name


def test_labs_name_the_fields_they_work_in_and_other_centers_none() -> None:
    fields = {row["code"] for row in _read("fields")}
    centers = _read("centers")
    for center in centers:
        codes = [code for code in center["fields"].split("|") if code]
        if center["kind"] == "lab":
            assert codes and set(codes) <= fields, center["code"]
        else:
            assert codes == [], center["code"]
    radiation_labs = [c["code"] for c in centers if "RI" in c["fields"].split("|")]
    assert len(radiation_labs) <= 1


def test_former_names_belong_to_existing_centers_and_end_on_the_merger_eve() -> None:
    centers = {row["code"]: row for row in _read("centers")}
    names = _read("center_names")
    assert names
    assert [row["center_code"] for row in names if row["center_code"] not in centers] == []
    assert {row["valid_to"] for row in names} == {MERGER_EVE}
    assert [
        row["center_code"] for row in names if row["name_vi"] == centers[row["center_code"]]["name_vi"]
    ] == []


def test_renamed_centers_carry_the_name_of_their_new_province() -> None:
    centers = {row["code"]: row for row in _read("centers")}
    provinces = {row["key"]: row for row in _read("provinces")}
    renamed = {row["center_code"]: row for row in _read("center_names")}
    assert {"TTKT-15", "TTKT-24"} <= set(renamed)
    for code, old in renamed.items():
        center = centers[code]
        province = provinces[center["province_key"]]
        successor = provinces[province["successor_key"]] if province["successor_key"] else province
        assert successor["name_vi"] in center["name_vi"], code
        assert successor["name_en"] in center["name_en"], code
        assert province["name_vi"] in old["name_vi"], code


def test_surviving_centers_of_merged_provinces_keep_or_take_their_provinces_name() -> None:
    """Each center without a successor in a merged province carries the new province's name."""
    provinces = {row["key"]: row for row in _read("provinces")}
    for center in _read("centers"):
        if center["kind"] != "provincial_center" or center["successor_code"]:
            continue
        province = provinces[center["province_key"]]
        current = provinces[province["successor_key"]] if province["successor_key"] else province
        assert current["name_vi"] in center["name_vi"], center["code"]
