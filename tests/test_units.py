"""Rules for reading, checking and converting typed quantities (services.units)."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.i18n import format_number, translate
from services.units import (
    MeasurementRange,
    UnitInputError,
    display_unit,
    from_si,
    from_si_difference,
    is_relative,
    parse_quantity,
    parse_range,
    si_unit_of,
    to_si,
    to_si_difference,
    ureg,
)

ROOT = Path(__file__).resolve().parent.parent
FAST = settings(max_examples=100, deadline=None)


def si(value: float) -> object:
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def messages(err: pytest.ExceptionInfo[UnitInputError]) -> tuple[str, str]:
    return err.value.message("vi"), err.value.message("en")


# --- quantities: every input form -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_si", "si_unit"),
    [
        ("600 bar", 6e7, "Pa"),
        ("0,5 %", 0.005, "1"),
        ("0.5%", 0.005, "1"),
        ("2 m³/h", 2 / 3600, "m**3/s"),
        ("2 m3/h", 2 / 3600, "m**3/s"),
        ("2 m^3/h", 2 / 3600, "m**3/s"),
        ("220 V", 220.0, "V"),
        ("10 kg", 10.0, "kg"),
        ("1,5 kWh", 5.4e6, "J"),
        ("1 kW·h", 3.6e6, "J"),
        ("5 mL", 5e-6, "m**3"),
        ("5 L", 5e-3, "m**3"),
        ("5 lít", 5e-3, "m**3"),
        ("120 km/h", 120 / 3.6, "m/s"),
        ("0.25 mg/L", 2.5e-4, "kg/m**3"),
        ("1,6 MPa", 1.6e6, "Pa"),
        ("250 kPa", 2.5e5, "Pa"),
        ("101325 Pa", 101325.0, "Pa"),
        ("760 mmHg", 101325.0144354, "Pa"),
        ("10 Mpa", 1e7, "Pa"),
        ("5 A", 5.0, "A"),
        ("100 Ω", 100.0, "ohm"),
        ("100 ohm", 100.0, "ohm"),
        ("4,7 kΩ", 4700.0, "ohm"),
        ("500 mg", 5e-4, "kg"),
        ("20 g", 0.02, "kg"),
        ("40 t", 4e4, "kg"),
        ("500 lux", 500.0, "lx"),
        ("50 Hz", 50.0, "Hz"),
        ("2 s⁻¹", 2.0, "Hz"),
        ("3 µm", 3e-6, "m"),
        ("3 μm", 3e-6, "m"),
        ("2 m²", 2.0, "m**2"),
        ("9,81 m/s²", 9.81, "m/s**2"),
        ("10 kN", 1e4, "N"),
        ("30 s", 30.0, "s"),
        ("2 ppm", 2e-6, "1"),
        ("60 %RH", 60.0, "%RH"),
        ("85 dB", 85.0, "dB"),
        ("85 dB(A)", 85.0, "dB"),
        ("25 °C", 298.15, "K"),
        ("25 ℃", 298.15, "K"),
        ("25 ºC", 298.15, "K"),
        ("25 oC", 298.15, "K"),
        ("25 độ C", 298.15, "K"),
        ("25 °c", 298.15, "K"),
        ("0,5 °C/min", 0.5 / 60, "K/s"),
        ("5 mmH2O", 49.03325, "Pa"),
        ("60 rpm", 6.283185307179586, "rad/s"),
        ("30 °", 0.5235987755982988, "rad"),
        ("−20 °C", 253.15, "K"),
        ("300 K", 300.0, "K"),
    ],
)
def test_every_typed_form_converts_to_its_canonical_si_value(
    text: str, expected_si: float, si_unit: str
) -> None:
    q = parse_quantity(text)
    assert to_si(q) == pytest.approx(expected_si, rel=1e-9)
    assert si_unit_of(q) == si_unit


@pytest.mark.parametrize(
    ("text", "expected_kg"),
    [
        ("1,5 kg", 1.5),
        ("0,5 kg", 0.5),
        ("1,500 kg", 1.5),
        ("1.500,5 kg", 1500.5),
        ("1.234.567,25 kg", 1234567.25),
    ],
)
def test_vietnamese_decimal_comma_is_a_decimal_point(text: str, expected_kg: float) -> None:
    assert to_si(parse_quantity(text)) == si(expected_kg)


@pytest.mark.parametrize(
    ("text", "expected_kg"),
    [("1,500.5 kg", 1500.5), ("1,234,567.25 kg", 1234567.25), ("1.500.5 kg", None)],
)
def test_when_both_separators_appear_the_last_one_is_the_decimal_separator(
    text: str, expected_kg: float | None
) -> None:
    if expected_kg is None:
        with pytest.raises(UnitInputError):
            parse_quantity(text)
    else:
        assert to_si(parse_quantity(text)) == si(expected_kg)


@pytest.mark.parametrize(
    ("text", "expected_kg"),
    [("1.500.000 kg", 1_500_000.0), ("1,500,000 kg", 1_500_000.0)],
)
def test_a_repeated_separator_groups_thousands(text: str, expected_kg: float) -> None:
    assert to_si(parse_quantity(text)) == si(expected_kg)


@pytest.mark.parametrize(("text", "expected_kg"), [("0.5 kg", 0.5), ("1.500 kg", 1.5)])
def test_a_single_dot_alone_is_a_decimal_point(text: str, expected_kg: float) -> None:
    assert to_si(parse_quantity(text)) == si(expected_kg)


def test_a_single_dot_is_a_thousands_group_when_the_text_also_writes_a_decimal_comma() -> None:
    r = parse_range("1.500 … 2.000,5 kg")
    assert r.to_si() == (si(1500.0), si(2000.5))


def test_no_break_space_groups_thousands() -> None:
    assert to_si(parse_quantity("1\u00a0500,5 kg")) == si(1500.5)


@pytest.mark.parametrize(
    ("text", "expected_m"),
    [("1,5e-3 m", 1.5e-3), ("1.5E3 m", 1500.0), ("1,5·10⁻³ m", 1.5e-3), ("2 x 10^3 m", 2000.0)],
)
def test_scientific_notation_is_read(text: str, expected_m: float) -> None:
    assert to_si(parse_quantity(text)) == si(expected_m)


@pytest.mark.parametrize("text", ["±0,05 °C", "± 0,05 °C", "+/-0,05 °C", "0,05 °C"])
def test_plus_minus_prefix_is_dropped_and_the_magnitude_kept(text: str) -> None:
    q = parse_quantity(text)
    assert q.magnitude == pytest.approx(0.05)
    assert to_si_difference(q) == pytest.approx(0.05)


def test_unicode_minus_is_a_minus_sign() -> None:
    assert parse_quantity("−5 kPa").magnitude == -5.0


def test_bare_number_without_expected_unit_is_a_plain_number() -> None:
    q = parse_quantity("1,5")
    assert q.dimensionless
    assert to_si(q) == si(1.5)


def test_bare_number_takes_a_dimensionless_expected_unit() -> None:
    q = parse_quantity("5", "%")
    assert to_si(q) == si(0.05)


# --- expected units --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected_unit"),
    [
        ("600 bar", "Pa"),
        ("25 °C", "K"),
        ("2 m³/h", "m**3/s"),
        ("10 kg", "kg"),
        ("5 mL", "m**3"),
        ("0.25 mg/L", "kg/m**3"),
        ("220 V", "V"),
    ],
)
def test_value_of_the_expected_dimensionality_is_accepted(text: str, expected_unit: str) -> None:
    q = parse_quantity(text, expected_unit)
    assert q.dimensionality == ureg.Unit(expected_unit).dimensionality


@pytest.mark.parametrize("expected_unit", ["Pa", "K", "m**3/s", "kg"])
def test_relative_value_is_accepted_for_any_expected_unit(expected_unit: str) -> None:
    q = parse_quantity("0,5 %", expected_unit)
    assert is_relative(q)
    assert to_si(q) == si(0.005)


@pytest.mark.parametrize(
    ("text", "relative"),
    [
        ("0,5 %", True),
        ("2 ppm", True),
        ("1,5", True),
        ("5 kg", False),
        ("60 %RH", False),
        ("85 dB", False),
    ],
)
def test_only_ratios_are_relative(text: str, relative: bool) -> None:
    assert is_relative(parse_quantity(text)) is relative


# --- conversions ------------------------------------------------------------------------------


def test_temperature_is_absolute_in_to_si_and_a_difference_in_to_si_difference() -> None:
    q = parse_quantity("±0,05 °C")
    assert to_si(q) == si(273.2)
    assert to_si_difference(q) == pytest.approx(0.05, rel=1e-12)
    assert to_si_difference(parse_quantity("0,05 K")) == pytest.approx(0.05, rel=1e-12)
    assert to_si_difference(parse_quantity("0,9 °F")) == pytest.approx(0.5, rel=1e-12)


def test_non_temperature_difference_equals_to_si() -> None:
    q = parse_quantity("0,2 kPa")
    assert to_si_difference(q) == to_si(q) == si(200.0)


@pytest.mark.parametrize(
    ("value_si", "unit", "expected"),
    [
        (298.15, "°C", 25.0),
        (298.15, "degC", 25.0),
        (0.0, "°C", -273.15),
        (1e5, "bar", 1.0),
        (2 / 3600, "m³/h", 2.0),
        (0.005, "%", 0.5),
        (5.4e6, "kWh", 1.5),
        (60.0, "%RH", 60.0),
        (85.0, "dB", 85.0),
    ],
)
def test_from_si_converts_back_to_the_display_unit(value_si: float, unit: str, expected: float) -> None:
    assert from_si(value_si, unit) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_from_si_difference_keeps_temperature_differences_without_offset() -> None:
    assert from_si_difference(0.05, "°C") == pytest.approx(0.05, rel=1e-12)
    assert from_si_difference(0.5, "°F") == pytest.approx(0.9, rel=1e-12)


@pytest.mark.parametrize(
    ("unit", "si_unit"),
    [
        ("MPa", "Pa"),
        ("°C", "K"),
        ("m³/h", "m**3/s"),
        ("mg/L", "kg/m**3"),
        ("kWh", "J"),
        ("%", "1"),
    ],
)
def test_si_unit_of_accepts_unit_strings(unit: str, si_unit: str) -> None:
    assert si_unit_of(unit) == si_unit
    assert from_si(1.0, si_unit) == pytest.approx(1.0)


def test_display_unit_writes_units_as_people_do() -> None:
    assert display_unit("m**3/h") == "m³/h"
    assert display_unit("degC") == "°C"


# --- ranges -----------------------------------------------------------------------------------

MPA = 1e6


@pytest.mark.parametrize(
    ("text", "low_si", "high_si", "unit"),
    [
        ("0–60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0-60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 - 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 — 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 ... 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0...60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 … 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 ~ 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("(0 ÷ 60) MPa", 0.0, 60 * MPA, "MPa"),
        ("0 đến 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("từ 0 đến 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("from 0 to 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("0 to 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("≤ 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("<= 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("đến 60 MPa", 0.0, 60 * MPA, "MPa"),
        ("60 MPa", 60 * MPA, 60 * MPA, "MPa"),
        ("0 kPa – 6 MPa", 0.0, 6 * MPA, "MPa"),
        ("0,6 … 1,6 MPa", 0.6 * MPA, 1.6 * MPA, "MPa"),
        ("-20 - 150 °C", 253.15, 423.15, "°C"),
        ("-20-150 °C", 253.15, 423.15, "°C"),
        ("-20…150 °C", 253.15, 423.15, "°C"),
        ("-20 … 150 °C", 253.15, 423.15, "°C"),
        ("−20 – 150 °C", 253.15, 423.15, "°C"),
        ("-20 - -5 °C", 253.15, 268.15, "°C"),
        ("≤ 60 °C", 273.15, 333.15, "°C"),
        ("±10 V", -10.0, 10.0, "V"),
        ("0 – 2 m³/h", 0.0, 2 / 3600, "m³/h"),
        ("30 – 130 dB(A)", 30.0, 130.0, "dB(A)"),
    ],
)
def test_every_range_form_gives_both_ends_in_si(text: str, low_si: float, high_si: float, unit: str) -> None:
    r = parse_range(text)
    assert r.to_si() == (pytest.approx(low_si, rel=1e-9), pytest.approx(high_si, rel=1e-9))
    assert r.unit == unit


def test_dash_right_before_the_second_number_separates_the_ends() -> None:
    assert parse_range("0 -60 MPa").to_si() == (0.0, si(60 * MPA))


def test_single_value_range_has_equal_ends() -> None:
    r = parse_range("60 MPa")
    assert r.low == r.high


def test_one_sided_range_starts_at_zero_in_the_same_unit() -> None:
    r = parse_range("≤ 60 °C")
    assert r.low.magnitude == 0.0
    assert r.low.units == r.high.units == ureg.Unit("degC")


def test_range_keeps_the_unit_of_each_end() -> None:
    r = parse_range("0 kPa – 6 MPa")
    assert r.low.units == ureg.Unit("kPa")
    assert r.high.units == ureg.Unit("MPa")


def test_range_contains_values_and_sub_ranges_in_si() -> None:
    outer = parse_range("0 – 6 MPa")
    assert outer.contains(parse_quantity("60 bar"))
    assert not outer.contains(parse_quantity("61 bar"))
    assert outer.contains(parse_range("0 – 100 kPa"))
    assert not outer.contains(parse_quantity("5 kg"))
    assert outer.si_unit == "Pa"


def test_range_with_expected_unit_checks_the_dimensionality() -> None:
    assert parse_range("-20 … 150 °C", "K").to_si()[0] == si(253.15)
    with pytest.raises(UnitInputError) as err:
        parse_range("0 – 60 kg", "Pa")
    vi, en = messages(err)
    assert "áp suất" in vi and '"kg"' in vi
    assert "pressure" in en and '"kg"' in en


def test_range_is_a_frozen_dataclass() -> None:
    r = parse_range("0 – 60 MPa")
    assert isinstance(r, MeasurementRange)
    with pytest.raises(AttributeError):
        r.unit = "bar"  # type: ignore[misc]


# --- errors: specific messages in both languages ---------------------------------------------


def test_error_carries_a_key_params_and_the_english_text() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("5 foo")
    e = err.value
    assert isinstance(e, ValueError)
    assert e.key.startswith("units.")
    assert str(e) == e.message("en")
    for lang in ("vi", "en"):
        assert translate(e.key, lang, **e.params) == e.message(lang)
        assert e.message(lang) != e.key


def test_unknown_unit_names_the_unit_and_the_text() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("5 foo")
    vi, en = messages(err)
    assert vi.startswith('Không nhận ra đơn vị "foo" trong "5 foo".')
    assert "600 bar, 0,5 %, 2 m³/h" in vi
    assert en.startswith('Unknown unit "foo" in "5 foo".')
    assert "600 bar, 0.5 %, 2 m³/h" in en


def test_unknown_unit_in_a_range_names_the_unit() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_range("0 – 60 foo")
    vi, en = messages(err)
    assert '"foo"' in vi and '"0 – 60 foo"' in vi
    assert '"foo"' in en and '"0 – 60 foo"' in en


@pytest.mark.parametrize("text", ["MPa", "abc", "±", "không có số"])
def test_text_without_a_number_is_rejected(text: str) -> None:
    for parse in (parse_quantity, parse_range):
        with pytest.raises(UnitInputError) as err:
            parse(text)
        vi, en = messages(err)
        assert vi.startswith(f'Không tìm thấy số trong "{text}"')
        assert en.startswith(f'No number found in "{text}"')


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_input_is_rejected(text: str) -> None:
    for parse in (parse_quantity, parse_range):
        with pytest.raises(UnitInputError) as err:
            parse(text)
        vi, en = messages(err)
        assert vi.startswith("Chưa nhập giá trị")
        assert en.startswith("Nothing was entered")


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("60 – 0 MPa", "60 MPa", "0 MPa"),
        ("150 … -20 °C", "150 °C", "-20 °C"),
        ("≤ -5 °C", "0 °C", "-5 °C"),
    ],
)
def test_range_with_low_above_high_is_rejected(text: str, low: str, high: str) -> None:
    with pytest.raises(UnitInputError) as err:
        parse_range(text)
    vi, en = messages(err)
    expected_vi = f'Phạm vi đo "{text}" có giá trị đầu {low} lớn hơn giá trị cuối {high}.'
    assert vi == expected_vi
    assert f'"{text}"' in en and low in en and high in en and "above" in en


def test_low_above_high_is_judged_in_si_across_units() -> None:
    with pytest.raises(UnitInputError):
        parse_range("1 MPa – 500 kPa")
    assert parse_range("500 kPa – 1 MPa").to_si() == (si(5e5), si(1e6))


@pytest.mark.parametrize(
    ("text", "expected_unit", "unit", "kind_vi", "kind_en"),
    [
        ("10 kg", "Pa", "kg", "áp suất", "pressure"),
        ("10 bar", "K", "bar", "nhiệt độ", "temperature"),
        ("5 m", "kg", "m", "khối lượng", "mass"),
        ("5 kg", "m", "kg", "chiều dài", "length"),
        ("5 kg", "m**3", "kg", "thể tích", "volume"),
        ("5 m3", "m**3/s", "m3", "lưu lượng", "flow"),
        ("5 A", "V", "A", "điện áp", "electric potential"),
        ("5 V", "A", "V", "dòng điện", "current"),
        ("5 V", "ohm", "V", "điện trở", "resistance"),
        ("5 W", "J", "W", "năng lượng", "energy"),
        ("5 m", "m/s", "m", "tốc độ", "speed"),
        ("5 mg", "kg/m**3", "mg", "nồng độ", "concentration"),
        ("5 Hz", "s", "Hz", "thời gian", "time"),
        ("5 s", "Hz", "s", "tần số", "frequency"),
        ("5 kg", "N", "kg", "lực", "force"),
        ("5 W", "lx", "W", "độ rọi", "illuminance"),
        ("85 dB", "Pa", "dB", "áp suất", "pressure"),
        ("60 %RH", "%", "%RH", "tỉ số", "ratio"),
    ],
)
def test_wrong_kind_of_unit_names_the_unit_and_the_expected_kind(
    text: str, expected_unit: str, unit: str, kind_vi: str, kind_en: str
) -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity(text, expected_unit)
    vi, en = messages(err)
    assert f'"{unit}" không phải đơn vị {kind_vi}' in vi
    assert f'"{text}"' in vi
    assert f'"{unit}" is not a unit of {kind_en}' in en
    assert f'"{text}"' in en


def test_wrong_kind_also_says_what_the_unit_measures() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("10 kg", "Pa")
    vi, en = messages(err)
    assert "khối lượng" in vi and "MPa" in vi
    assert "mass" in en and "MPa" in en


def test_unnamed_kind_falls_back_to_the_dimensionality() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("5 kg", "kg*m")
    vi, en = messages(err)
    assert "[length]" in vi and "[mass]" in vi
    assert "[length]" in en and "[mass]" in en


@pytest.mark.parametrize(
    ("expected_unit", "kind_vi", "kind_en"),
    [("Pa", "áp suất", "pressure"), ("K", "nhiệt độ", "temperature"), ("dB", "mức", "level")],
)
def test_bare_number_when_a_unit_is_expected_is_rejected(
    expected_unit: str, kind_vi: str, kind_en: str
) -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("10", expected_unit)
    vi, en = messages(err)
    assert vi.startswith(f'"10" thiếu đơn vị {kind_vi}')
    assert en.startswith(f'"10" has no unit of {kind_en}')


def test_badly_grouped_number_is_rejected_with_the_number_quoted() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity("1.50.0 kg")
    vi, en = messages(err)
    assert 'Không đọc được số "1.50.0" trong "1.50.0 kg"' in vi
    assert 'Cannot read the number "1.50.0" in "1.50.0 kg"' in en


@pytest.mark.parametrize("text", ["60 MPa 5", "MPa 60", "0-60 MPa"])
def test_more_than_one_value_or_text_before_the_number_is_not_a_quantity(text: str) -> None:
    with pytest.raises(UnitInputError) as err:
        parse_quantity(text)
    vi, en = messages(err)
    assert vi.startswith(f'Không đọc được "{text}" thành một giá trị đo')
    assert en.startswith(f'Cannot read "{text}" as one measured value')


@pytest.mark.parametrize("text", ["0 60 MPa", "0 – 30 – 60 MPa", "about 0 – 60 MPa", "≥ 60 MPa"])
def test_unreadable_range_is_rejected(text: str) -> None:
    with pytest.raises(UnitInputError) as err:
        parse_range(text)
    vi, en = messages(err)
    assert vi.startswith(f'Không đọc được phạm vi đo "{text}"')
    assert en.startswith(f'Cannot read the range "{text}"')


def test_range_ends_of_different_kinds_are_rejected() -> None:
    with pytest.raises(UnitInputError) as err:
        parse_range("0 kPa – 5 °C")
    vi, en = messages(err)
    assert '"kPa"' in vi and '"°C"' in vi and "khác loại" in vi
    assert '"kPa"' in en and '"°C"' in en and "different kinds" in en


def test_long_input_is_shortened_in_messages() -> None:
    text = "5 " + "x" * 500
    with pytest.raises(UnitInputError) as err:
        parse_quantity(text)
    assert len(err.value.message("en")) < 300


def test_bad_expected_unit_is_a_programming_error_not_a_user_error() -> None:
    with pytest.raises(ValueError) as err:
        parse_quantity("5 kg", "not_a_unit")
    assert not isinstance(err.value, UnitInputError)


# --- catalogs and module hygiene -------------------------------------------------------------


def _placeholders(text: str) -> set[str]:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return {name.removesuffix("_vi").removesuffix("_en") for name in names}


def test_both_catalogs_have_the_same_units_keys_and_placeholders() -> None:
    vi = json.loads((ROOT / "locales/vi/units.json").read_text(encoding="utf-8"))
    en = json.loads((ROOT / "locales/en/units.json").read_text(encoding="utf-8"))
    assert vi.keys() == en.keys()
    assert all(key.startswith("units.") for key in vi)
    for key in vi:
        assert _placeholders(vi[key]) == _placeholders(en[key]), key
        assert "_en}" not in vi[key] and "_vi}" not in en[key], key
    assert all(not text.isascii() for key, text in vi.items() if key.startswith("units.error."))


def test_units_module_never_imports_streamlit() -> None:
    tree = ast.parse((ROOT / "services/units.py").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not any(name.split(".")[0] == "streamlit" for name in imported)


def test_there_is_one_shared_registry() -> None:
    assert isinstance(ureg, pint.UnitRegistry)
    assert parse_quantity("5 kg")._REGISTRY is ureg


# --- properties -------------------------------------------------------------------------------

# unit as typed, SI factor, SI offset (si = value * factor + offset)
UNITS = [
    ("kPa", 1e3, 0.0),
    ("°C", 1.0, 273.15),
    ("m³/h", 1 / 3600, 0.0),
    ("kg", 1.0, 0.0),
    ("mL", 1e-6, 0.0),
    ("kWh", 3.6e6, 0.0),
    ("%", 0.01, 0.0),
    ("mg/L", 1e-3, 0.0),
]
finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@FAST
@given(value=finite, unit=st.sampled_from(UNITS), decimals=st.integers(min_value=1, max_value=4))
def test_vietnamese_and_english_number_styles_round_trip_to_the_same_si_value(
    value: float, unit: tuple[str, float, float], decimals: int
) -> None:
    name, factor, offset = unit
    vi_text = format_number(value, "vi", decimals)
    en_text = format_number(value, "en", decimals)
    written = float(en_text.replace(",", ""))
    assert abs(written - value) <= 10.0**-decimals
    vi_si = to_si(parse_quantity(f"{vi_text} {name}"))
    en_si = to_si(parse_quantity(f"{en_text} {name}"))
    assert vi_si == en_si
    assert vi_si == pytest.approx(written * factor + offset, rel=1e-12, abs=1e-12)


ends = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
separators = st.sampled_from([" … ", "…", " ... ", " – ", " - ", " đến ", " to "])


@FAST
@given(points=st.lists(ends, min_size=4, max_size=4), separator=separators)
def test_a_sub_range_stays_inside_its_range_after_si_conversion(points: list[float], separator: str) -> None:
    a, b, c, d = sorted(points)
    outer = parse_range(f"{a}{separator}{d} kPa")
    inner = parse_range(f"{b}{separator}{c} kPa")
    low, high = outer.to_si()
    assert low <= high
    assert (low, high) == (si(a * 1e3), si(d * 1e3))
    assert outer.contains(inner)
    inner_pa = parse_range(f"{b * 1e3!r} … {c * 1e3!r} Pa")
    assert inner_pa.to_si() == (si(b * 1e3), si(c * 1e3))


@FAST
@given(points=st.lists(ends, min_size=2, max_size=2))
def test_temperature_range_ends_are_absolute_and_ordered(points: list[float]) -> None:
    a, b = sorted(points)
    low, high = parse_range(f"{a} … {b} °C").to_si()
    assert low <= high
    assert (low, high) == (pytest.approx(a + 273.15, abs=1e-9), pytest.approx(b + 273.15, abs=1e-9))


@FAST
@given(
    value=finite,
    unit=st.sampled_from(["kPa", "bar", "°C", "degC", "°F", "K", "m³/h", "mg/L", "km/h", "kWh", "%", "mL"]),
)
def test_to_si_then_from_si_round_trips(value: float, unit: str) -> None:
    q = parse_quantity(f"{value!r} {unit}")
    assert q.magnitude == value
    assert from_si(to_si(q), unit) == pytest.approx(value, rel=1e-9, abs=1e-9)
    assert from_si_difference(to_si_difference(q), unit) == pytest.approx(value, rel=1e-9, abs=1e-9)


typed = st.lists(
    st.sampled_from(
        list("0123456789.,-−–…~÷±+ %°CmkMPaVgLhs/³²⁻·()≤<=eE^Ωµ")
        + ["MPa", "kPa", "°C", "m³/h", "đến", "to", "from", "dB(A)", "%RH", "1.500", "0,5"]
    ),
    max_size=12,
).map("".join)


@FAST
@given(text=typed)
def test_any_typed_text_either_parses_or_raises_unit_input_error(text: str) -> None:
    try:
        q = parse_quantity(text)
    except UnitInputError as err:
        assert err.message("vi") and err.message("en")
    else:
        assert isinstance(to_si(q), float)
    try:
        r = parse_range(text)
    except UnitInputError as err:
        assert err.message("vi") and err.message("en")
    else:
        low, high = r.to_si()
        assert low <= high


def test_a_stored_uncertainty_has_one_reading_for_the_finder_and_the_calibration_chain() -> None:
    from services.finder import capability_uncertainty
    from services.standard_fit import absolute_uncertainty_si, uncertainty_ratio
    from services.units import Uncertainty, stored_uncertainty

    assert stored_uncertainty(0.05, "%", True) == Uncertainty(True, 0.05 / 100)
    assert stored_uncertainty(2, "ppm", True).value_si == pytest.approx(2e-6)
    assert stored_uncertainty(0.05, "degC", False) == Uncertainty(False, pytest.approx(0.05))
    assert stored_uncertainty(1.5, "percent", False).value_si == pytest.approx(0.015)  # points of a ratio
    assert capability_uncertainty is stored_uncertainty
    row = {"uncertainty_value": 0.02, "uncertainty_unit": "%", "uncertainty_relative": True}
    assert (
        absolute_uncertainty_si(row, -50e6)
        == stored_uncertainty(0.02, "%", True).at(-50e6)
        == 0.02 / 100 * 50e6
    )
    assert absolute_uncertainty_si({"uncertainty_value": None, "uncertainty_unit": "%"}, 1.0) is None
    # two stored percentages four times apart stay a ratio of exactly 4
    item = {**row, "uncertainty_value": 0.08, "range_min_si": 0.0, "range_max_si": 60e6}
    standard = {**row, "range_min_si": 0.0, "range_max_si": 100e6}
    assert uncertainty_ratio(standard, item) == 4.0
