"""One text for a measured value and a range, in both languages, that the imports read back."""

from __future__ import annotations

import math

import pytest

from services.formatting import (
    measured_number,
    range_text,
    readable_range,
    significant_number,
    uncertainty_text,
    unit_text,
)
from services.i18n import translate, translate_plural
from services.units import parse_range, ureg


@pytest.mark.parametrize(
    ("low", "high", "unit", "lang", "text"),
    [
        (0, 60, "MPa", "vi", "0–60 MPa"),
        (0.5, 1500.5, "kPa", "vi", "0,5–1500,5 kPa"),
        (0.5, 1500.5, "kPa", "en", "0.5–1500.5 kPa"),
        (-50, 420, "degC", "vi", "-50–420 °C"),
        (-50, 420, "degC", "en", "-50–420 °C"),
        (-0.5, -0.25, "V", "vi", "-0,5–-0,25 V"),
        (20, 20, "L", "vi", "20 L"),
        (0.005, 15, "m**3/h", "en", "0.005–15 m³/h"),
        (1.68, 12.45, "dimensionless", "en", "1.68–12.45"),
        (5, 95, "percent", "vi", "5–95 %"),
        (0, 1.5, "mg/L", "vi", "0–1,5 mg/L"),
        (0, 90, "degree", "en", "0–90°"),
    ],
)
def test_a_range_reads_as_entered_and_back_to_the_same_numbers(
    low: float, high: float, unit: str, lang: str, text: str
) -> None:
    assert range_text(low, high, unit, lang) == text
    read = parse_range(text)
    assert math.isclose(read.low.magnitude, low) and math.isclose(read.high.magnitude, high)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("low", "high"), [(0, 1200), (1500, 2000.5), (0.001, 1000), (-1500, -20), (1e-6, 2e-6)]
)
def test_large_and_small_ends_read_back_in_both_languages(low: float, high: float, lang: str) -> None:
    # thousands grouping would not: Vietnamese "0–1.200 Pa" reads back as 0–1,2 Pa
    read = parse_range(range_text(low, high, "Pa", lang))
    assert read.low == low * ureg.Pa
    assert read.high == high * ureg.Pa


def test_numbers_keep_their_decimals_and_the_language_separator() -> None:
    assert [measured_number(v, "vi") for v in (1234.5, 0.1 + 0.2, 20.0, None, math.inf)] == [
        "1234,5",
        "0,3",
        "20",
        "—",
        "—",
    ]
    assert measured_number(1234.5, "en") == "1234.5"


def test_computed_values_keep_six_significant_digits() -> None:
    assert significant_number(999.99999999, "en") == "1000"
    assert significant_number(0.000123456789, "vi") == "0,000123457"
    assert significant_number(0, "vi") == "0"
    assert significant_number(math.inf, "en") == "∞"
    assert range_text(0, 1e5 / 100.000000001, "bar", "vi", significant=True) == "0–1000 bar"


def test_units_are_spelled_as_people_write_them() -> None:
    assert [unit_text(u) for u in ("degC", "N*m", "degree", "uSv/h", "L", "mL", "lx", "no such unit")] == [
        "°C",
        "N·m",
        "°",
        "µSv/h",
        "L",
        "mL",
        "lx",
        "no such unit",
    ]
    assert unit_text("dimensionless") == ""
    assert readable_range("0–60 m**3/h") == "0–60 m³/h"
    assert readable_range("1.68–12.45") == "1.68–12.45"
    assert readable_range(None) is None


def test_uncertainties_show_their_unit_and_a_relative_one_percent() -> None:
    assert uncertainty_text(0.05, "MPa", "vi") == "0,05 MPa"
    assert uncertainty_text(0.02, None, "en", relative=True) == "0.02 %"
    assert uncertainty_text(None, "MPa", "vi") == ""
    assert uncertainty_text(float("nan"), "MPa", "vi") == ""


@pytest.mark.parametrize(
    ("capabilities", "centers", "lang", "text"),
    [
        (1, 1, "en", "Meeting the request: 1 capability at 1 center."),
        (2, 3, "en", "Meeting the request: 2 capabilities at 3 centers."),
        (1, 1, "vi", "1 năng lực tại 1 trung tâm đáp ứng yêu cầu."),
        (2, 3, "vi", "2 năng lực tại 3 trung tâm đáp ứng yêu cầu."),
        (1234, 21, "vi", "1.234 năng lực tại 21 trung tâm đáp ứng yêu cầu."),
        (1234, 21, "en", "Meeting the request: 1,234 capabilities at 21 centers."),
    ],
)
def test_counted_texts_take_the_plural_form_of_each_count(
    capabilities: int, centers: int, lang: str, text: str
) -> None:
    assert (
        translate(
            "finder.found",
            lang,
            capabilities=translate_plural("count.capabilities", capabilities, lang),
            centers=translate_plural("count.centers", centers, lang),
        )
        == text
    )


def test_a_stored_range_is_shown_in_the_readers_numbers() -> None:
    from services.formatting import stored_range_text
    from services.units import to_si, ureg

    # stored as entered (English decimals, pint's unit names); shown with the reader's decimal mark
    assert stored_range_text("0.5–50 m", 0.5, 50.0, "vi") == "0,5–50 m"
    assert stored_range_text("0.5–50 m", 0.5, 50.0, "en") == "0.5–50 m"
    low, high = to_si(ureg.Quantity(-50, "degC")), to_si(ureg.Quantity(420, "degC"))
    assert stored_range_text("-50–420 degC", low, high, "vi") == "-50–420 °C"
    assert stored_range_text("1.68–12.45", 1.68, 12.45, "vi") == "1,68–12,45"
    assert stored_range_text("", 0.0, 1.0, "vi") == ""
