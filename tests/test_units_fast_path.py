"""services.cells reads the common range and uncertainty forms without pint per value: the result, and
every refusal, must be exactly what services.units' full parser gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.cells import (
    CellError,
    RangeValues,
    UncertaintyValue,
    _parsed_range,
    _quick_quantity,
    _quick_range,
    parse_range_cell,
    parse_uncertainty_cell,
)
from services.units import UnitInputError, is_relative, parse_quantity

RANGES = [
    ("0–60 MPa", "Pa"),
    ("0-60 MPa", "Pa"),
    ("0 -60 MPa", "Pa"),
    ("-20 - 150 °C", "K"),
    ("-20…150 °C", "K"),
    ("-20 ... 150 ℃", "K"),
    ("0 ~ 60 MPa", "Pa"),
    ("0 ÷ 60 bar", "Pa"),
    ("0 đến 60 MPa", "Pa"),
    ("0 to 60 kPa", "Pa"),
    ("1.500 … 2.000,5 kg", "kg"),
    ("1,500 – 2,5 kg", "kg"),
    ("1.500 – 2.000 kg", "kg"),
    ("0,1–1.000,5 g", "kg"),
    ("1 500,5 – 2 000 g", "kg"),
    ("0–1,5e3 Pa", "Pa"),
    ("0–1,5·10³ Pa", "Pa"),
    ("0 – 10 m3/h", "m**3/s"),
    ("0 – 10 m³/h", "m**3/s"),
    ("10 – 95 %RH", "percent_RH"),
    ("-40 - -5 °C", "K"),
    ("  0 –   60   MPa ", "Pa"),
    ("0 kPa – 6 MPa", "Pa"),
    ("(0 ÷ 60) MPa", "Pa"),
    ("≤ 60 MPa", "Pa"),
    ("±10 V", "V"),
    ("60 MPa", "Pa"),
    ("từ 0 đến 60 MPa", "Pa"),
    ("1.68–12.45", "dimensionless"),
    # refused: the message must be the full parser's
    ("60–0 MPa", "Pa"),
    ("0–60 kg", "Pa"),
    ("0–60 furlongs", "Pa"),
    ("0–1.50.0 MPa", "Pa"),
    ("0–1e5000 MPa", "Pa"),
    ("0–1e-400 MPa", "Pa"),
    ("0–60", "Pa"),
    ("0–60 MPa 5", "Pa"),
    ("0 – 60 MPa – 70 MPa", "Pa"),
    ("0–60 dB/s", "dB"),
    ("0–60 MPa" + "9" * 400, "Pa"),
]

QUANTITIES = [
    ("0,015 %", "Pa"),
    ("0.5 %", "K"),
    ("±0,05 °C", "K"),
    ("+/- 0,05 °C", "K"),
    ("0,02 K", "K"),
    ("2 ppm", "m"),
    ("1,5e-3 MPa", "Pa"),
    ("1 500,5 g", "kg"),
    ("1.500,5 g", "kg"),
    ("0,5 %RH", "percent_RH"),
    ("5", "dimensionless"),
    ("0,01", "dimensionless"),
    # refused
    ("0,05", "K"),
    ("0,05 kg", "K"),
    ("0,05 parsecs²", "K"),
    ("1e5000 Pa", "Pa"),
    ("1,2,3 Pa", "Pa"),
    ("0,5 % 3", "Pa"),
    ("about 5 Pa", "Pa"),
]


def _full_range(text: str, si_unit: str) -> RangeValues | str:
    try:
        return _parsed_range(text, si_unit)
    except CellError as err:
        return err.key + repr(sorted(err.params.items()))


def _full_quantity(text: str, si_unit: str) -> UncertaintyValue | str:
    from services.cells import _unit_text

    try:
        q = parse_quantity(text, expected_unit=si_unit)
    except UnitInputError as err:
        return err.key + repr(sorted(err.params.items()))
    return UncertaintyValue(value=float(q.magnitude), unit=_unit_text(q.units), relative=is_relative(q))


def _outcome(read: Callable[..., object], *args: object) -> object:
    """What services.cells gives: the value read, or the refusal's key and parameters."""
    try:
        return read(*args)
    except CellError as err:
        return err.key + repr(sorted(err.params.items()))


@pytest.mark.parametrize(("text", "si_unit"), RANGES)
def test_quick_range_reads_as_parse_range_or_leaves_it_to_parse_range(text: str, si_unit: str) -> None:
    quick = _quick_range(text, si_unit)
    full = _full_range(text, si_unit)
    if quick is not None:
        assert quick == full
    assert _outcome(parse_range_cell, text, si_unit) == full


def test_the_common_forms_take_the_quick_path() -> None:
    # the fast path is what makes a 20,000-row check fast: the forms files are full of must use it
    for text, si_unit in [
        ("0–60 MPa", "Pa"),
        ("0 - 60,5 MPa", "Pa"),
        ("-20…150 °C", "K"),
        ("0 đến 6 bar", "Pa"),
    ]:
        assert _quick_range(text, si_unit) is not None, text
    for text, si_unit in [("0,015 %", "Pa"), ("±0,05 °C", "K"), ("0,2 kPa", "Pa")]:
        assert _quick_quantity(text, si_unit) is not None, text


@pytest.mark.parametrize(("text", "si_unit"), QUANTITIES)
def test_quick_quantity_reads_as_parse_quantity_or_leaves_it_to_parse_quantity(
    text: str, si_unit: str
) -> None:
    quick = _quick_quantity(text, si_unit)
    full = _full_quantity(text, si_unit)
    if quick is not None:
        assert quick == full
    through_cells = _outcome(parse_uncertainty_cell, text, si_unit)
    if isinstance(full, str) or not isinstance(through_cells, str):
        assert through_cells == full
    else:
        # a value read may still be refused by parse_uncertainty_cell's own bounds (above zero, ≤ 100 %)
        assert through_cells.startswith("data.error.uncertainty_")


AMOUNTS = [
    ("0,002", "%", True),
    ("-0,01 °C", "degC", False),
    ("±0,05 °C", "degC", False),
    ("0,02 K", "degC", False),
    ("20 mK", "degC", False),
    ("0,01 %", "%", True),
    ("100 ppm", "%", True),
    ("1,5 kPa", "MPa", False),
    ("1.500,5", "g", False),
    # refused
    ("0,01 %", "degC", False),
    ("0,02 K", "%", True),
    ("0,02 kg", "degC", False),
    ("0,02 zorks", "degC", False),
    ("1e5000", "%", True),
    ("abc", "%", True),
    ("0,1 0,2", "%", True),
]


@pytest.mark.parametrize(("text", "unit", "relative"), AMOUNTS)
def test_quick_amount_reads_as_the_full_conversion_or_leaves_it_to_it(
    text: str, unit: str, relative: bool
) -> None:
    from services.cells import parse_amount_in
    from services.units import from_si_difference, to_si_difference

    def full() -> float | str:
        try:
            bare = parse_quantity(text)
            if not bare.units._units:
                return float(bare.magnitude)
            q = parse_quantity(text, expected_unit=unit)
        except UnitInputError as err:
            return err.key + repr(sorted(err.params.items()))
        if is_relative(q) != relative:
            return "data.error.amount_kind"
        return from_si_difference(to_si_difference(q), unit)

    expected = full()
    try:
        got: float | str = parse_amount_in(text, unit, relative=relative)
    except CellError as err:
        got = err.key if err.key == "data.error.amount_kind" else err.key + repr(sorted(err.params.items()))
    if isinstance(expected, float):
        # one multiplication and one division instead of pint's conversion: equal to the last digit or two
        assert isinstance(got, float) and got == pytest.approx(expected, rel=1e-14, abs=0.0)
    else:
        assert got == expected
