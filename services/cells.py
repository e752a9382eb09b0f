"""Reading one typed cell (a date, a yes/no, a status, a range with its unit), with a specific error.

Imports and the equipment editor share these readers, so a value is accepted or refused the same
way wherever it is typed. Every refusal is a ``CellError`` carrying a catalog key and its
parameters (all strings), like ``services.units.UnitInputError``, whose errors pass through as
they are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Final

from services import plausibility
from services.i18n import LANGUAGES, format_day, translate
from services.messages import MessageError
from services.models import CalibrationResult, EquipmentStatus
from services.text_rules import TextRefusal, clean_text, rule_for
from services.units import (
    _PLUS_MINUS,
    _RANGE_SEPARATOR,
    _SPACES,
    UnitInputError,
    _clean,
    _numbers,
    _read_number,
    _si_line,
    _writes_decimal_comma,
    display_unit,
    from_si_difference,
    is_relative,
    parse_quantity,
    parse_range,
    to_si_difference,
    ureg,
)

DATE_EXAMPLE: Final = "14/06/2024"
MAX_INTERVAL_MONTHS: Final = 240
_DAY_FIRST: Final = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_ISO: Final = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_TRUE: Final = {"1", "true", "yes", "y", "x", "có", "co", "đúng", "c"}
_FALSE: Final = {"", "0", "false", "no", "n", "không", "khong", "sai", "k"}
_RH: Final = re.compile(r"%\s*RH\b", re.IGNORECASE)


class CellError(MessageError):
    """A value in a cell that cannot be read (``services.messages``: a catalog key and its params)."""


def _refuse(refusal: plausibility.Refusal | None) -> None:
    if refusal is not None:
        raise CellError(refusal.key, **refusal.params)


@lru_cache(maxsize=1024)  # files repeat a maker, a model, a status on every row: each is tidied once
def clean_cell(text: str, column: str) -> str:
    """A text cell of ``column`` in NFC and tidied, or refused (services.text_rules holds the rules and caps)."""
    try:
        return clean_text(text, rule_for(column))
    except TextRefusal as err:
        raise CellError(err.key, **err.params) from None


def parse_day(text: str, *, today: date | None = None) -> date:
    """``14/06/2024``, ``14-6-2024``, ``14.06.2024`` (day first, as written here) or ISO ``2024-06-14``.

    With ``today``, a later date is refused: nothing can have been bought or calibrated tomorrow.
    """
    value = text.strip()
    if not value:
        raise CellError("data.error.required")
    if match := _DAY_FIRST.fullmatch(value):
        day_, month, year = (int(part) for part in match.groups())
    elif match := _ISO.fullmatch(value):
        year, month, day_ = (int(part) for part in match.groups())
    else:
        raise CellError("data.error.bad_date", value=value, example=DATE_EXAMPLE)
    try:
        parsed = date(year, month, day_)
    except ValueError:
        raise CellError("data.error.no_such_date", value=value) from None
    _refuse(plausibility.day_refusal(parsed))
    if today is not None and parsed > today:
        raise CellError("data.error.future_date", value=value, today=format_day(today))
    return parsed


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise CellError("data.error.bad_boolean", value=text.strip())


def parse_int(text: str, *, low: int = 1, high: int = MAX_INTERVAL_MONTHS) -> int:
    value = text.strip()
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise CellError("data.error.bad_integer", value=value, low=str(low), high=str(high)) from None
    if not math.isfinite(number) or not number.is_integer() or not low <= number <= high:
        raise CellError("data.error.bad_integer", value=value, low=str(low), high=str(high))
    return int(number)


@lru_cache(maxsize=64)
def _labels(codes: tuple[str, ...], label_prefix: str) -> dict[str, str]:
    """Every way of writing each code (itself, with spaces, its label in each language) -> the code."""
    written: dict[str, str] = {}
    for code in codes:
        for label in [code, code.replace("_", " ")] + [
            translate(f"{label_prefix}.{code}", lang).lower() for lang in LANGUAGES
        ]:
            written.setdefault(label, code)
    return written


def _choice(text: str, codes: list[str], label_prefix: str, error_key: str) -> str:
    """A code, or its label in either language (``Sửa chữa`` -> ``repair``), case-insensitive."""
    value = " ".join(text.split()).lower()
    if value in (labels := _labels(tuple(codes), label_prefix)):
        return labels[value]
    allowed = ", ".join(codes)
    raise CellError(error_key, value=text.strip(), allowed=allowed)


EQUIPMENT_STATUSES: Final = [status.value for status in EquipmentStatus]
RESULTS: Final = [result.value for result in CalibrationResult]


def parse_status(text: str) -> str:
    if not text.strip():
        return EquipmentStatus.IN_SERVICE.value
    return _choice(text, EQUIPMENT_STATUSES, "data.equipment_status", "data.error.bad_status")


def parse_result(text: str) -> str:
    if not text.strip():
        return CalibrationResult.PASS.value
    return _choice(text, RESULTS, "data.result", "data.error.bad_result")


def check_length(text: str, limit: int) -> str:
    value = text.strip()
    if len(value) > limit:
        raise CellError("data.error.too_long", length=str(len(value)), limit=str(limit))
    return value


def check_text(text: str, column: str) -> str:
    """A cleaned text cell (``clean_cell``) that must not be empty."""
    value = clean_cell(text, column)
    if not value:
        raise CellError("data.error.required")
    return value


def _for_quantity(text: str, si_unit: str | None) -> str:
    # Hygrometers are read against a ratio (10–95 % is 0.1–0.95); "%RH" is how their labels say it.
    if si_unit == "dimensionless":
        return _RH.sub("%", text)
    return text


@lru_cache(maxsize=4096)
def _unit_text(units: object) -> str:
    """A unit as stored: one that pint and services.units both read back (``m³`` -> ``m**3``)."""
    text = format(units, "~C")
    return text or "1"


@dataclass(frozen=True)
class RangeValues:
    low: float
    high: float
    unit: str
    low_si: float
    high_si: float


def parse_range_cell(text: str, si_unit: str | None, quantity: str | None = None) -> RangeValues:
    """A measuring range checked against the quantity's SI unit; both ends kept in the high end's unit.

    With ``quantity`` (its code), a range the kind cannot take is refused (services.plausibility).
    Files repeat their ranges (one per model), so each distinct text is read by pint once.
    """
    return _range_values(text, si_unit, quantity)


@lru_cache(maxsize=8192)
def _range_values(text: str, si_unit: str | None, quantity: str | None) -> RangeValues:
    written = _for_quantity(text, si_unit)
    values = _quick_range(written, si_unit) or _parsed_range(written, si_unit)
    _refuse(plausibility.range_refusal(quantity, values.low_si, values.high_si))
    return values


def _parsed_range(text: str, si_unit: str | None) -> RangeValues:
    try:
        parsed = parse_range(text, expected_unit=si_unit)
    except UnitInputError as err:
        raise CellError.from_error(err) from None
    low = parsed.low.to(parsed.high.units) if parsed.low.units != parsed.high.units else parsed.low
    low_si, high_si = parsed.to_si()
    return RangeValues(
        low=float(low.magnitude),
        high=float(parsed.high.magnitude),
        unit=_unit_text(parsed.high.units),
        low_si=low_si,
        high_si=high_si,
    )


# The fast paths below read the form nearly every row of a file takes (``0–60 MPa``, ``0,015 %``)
# with services.units' own number reader, and ask pint only once per distinct unit text: a
# 20,000-row file of distinct values spent most of its check building pint Quantities. Any other
# form, and anything refused, goes through parse_range / parse_quantity, so the values and the
# messages are theirs (tests/test_units_fast_path.py compares both on every form).


@dataclass(frozen=True)
class _UnitLine:
    """A typed unit as stored, and its SI line (SI = value × scale + offset, services.units.to_si)."""

    unit: str
    scale: float
    offset: float


@lru_cache(maxsize=1024)
def _range_unit(unit_text: str, si_unit: str | None) -> _UnitLine | None:
    """``unit_text`` after a range, read by parse_range once (None: it refuses, or reads it otherwise)."""
    try:
        parsed = parse_range(f"0–1 {unit_text}", expected_unit=si_unit)
    except UnitInputError:
        return None
    units = parsed.high.units
    if parsed.unit != unit_text or parsed.low.units != units:
        return None
    return _UnitLine(_unit_text(units), *_si_line(units))


def _quick_range(text: str, si_unit: str | None) -> RangeValues | None:
    """``<number> <separator> <number> <unit>``, read as parse_range reads it; None for any other form."""
    cleaned = _clean(text)
    numbers = _numbers(cleaned)
    if len(numbers) != 2 or numbers[0].start() != 0 or cleaned.startswith("("):
        return None
    first, second = numbers
    if not _RANGE_SEPARATOR.fullmatch(cleaned[first.end() : second.start()].strip()):
        return None
    unit_text = cleaned[second.end() :].strip()
    line = _range_unit(unit_text, si_unit) if unit_text else None
    if line is None:
        return None
    comma = any(_writes_decimal_comma(_SPACES.sub(" ", match["body"])) for match in numbers)
    try:
        low, high = _read_number(first, comma, cleaned), _read_number(second, comma, cleaned)
    except UnitInputError:
        return None
    low_si, high_si = low * line.scale + line.offset, high * line.scale + line.offset
    if low_si > high_si:
        return None  # parse_range says which end is which
    return RangeValues(low=low, high=high, unit=line.unit, low_si=low_si, high_si=high_si)


@dataclass(frozen=True)
class UncertaintyValue:
    value: float
    unit: str
    relative: bool


@lru_cache(maxsize=256)
def _difference_factor(unit: str) -> float:
    """SI per ``unit`` for a difference (1 °C of uncertainty is 1 K; 1 % is 0.01): pint once per unit."""
    return to_si_difference(ureg.Quantity(1.0, unit))


def _sane_uncertainty(value: float, unit: str, relative: bool, span_si: float | None) -> None:
    _refuse(
        plausibility.uncertainty_refusal(
            value, unit, relative=relative, value_si=value * _difference_factor(unit), span_si=span_si
        )
    )


def parse_uncertainty_cell(text: str, si_unit: str | None, span_si: float | None = None) -> UncertaintyValue:
    """An uncertainty: relative (``0,5 %``) or absolute in the quantity's kind (``0,02 °C``).

    It must be above zero (a minus sign is refused, never dropped), at most 100 % when relative,
    and, with ``span_si`` (the range's width in SI), no wider than the range when absolute.
    """
    parsed = _uncertainty_value(text, si_unit)
    _sane_uncertainty(parsed.value, parsed.unit, parsed.relative, span_si)
    return parsed


@lru_cache(maxsize=8192)
def _uncertainty_value(text: str, si_unit: str | None) -> UncertaintyValue:
    written = _for_quantity(text, si_unit)
    quick = _quick_quantity(written, si_unit)
    if quick is not None:
        return quick
    try:
        q = parse_quantity(written, expected_unit=si_unit)
    except UnitInputError as err:
        raise CellError.from_error(err) from None
    return UncertaintyValue(value=float(q.magnitude), unit=_unit_text(q.units), relative=is_relative(q))


@dataclass(frozen=True)
class _ValueUnit:
    """A typed unit after a value, as stored; whether it is a ratio; SI per unit of a difference."""

    unit: str
    relative: bool
    difference_scale: float


@lru_cache(maxsize=1024)
def _quantity_unit(unit_text: str, si_unit: str | None) -> _ValueUnit | None:
    """``unit_text`` after a value, read by parse_quantity once (None: it refuses it)."""
    try:
        q = parse_quantity(f"1 {unit_text}", expected_unit=si_unit)
    except UnitInputError:
        return None
    return _ValueUnit(_unit_text(q.units), is_relative(q), to_si_difference(q))


def _number_and_unit(text: str) -> tuple[float, str] | None:
    """``<number> [unit]`` (a leading ``±`` dropped) as parse_quantity splits it; None for any other form
    and for a number it refuses."""
    cleaned = _clean(text)
    value_text = _PLUS_MINUS.sub("", cleaned)
    numbers = _numbers(value_text)
    if len(numbers) != 1 or numbers[0].start() != 0:
        return None
    try:
        value = _read_number(numbers[0], False, cleaned)
    except UnitInputError:
        return None
    return value, value_text[numbers[0].end() :].strip()


def _quick_quantity(text: str, si_unit: str | None) -> UncertaintyValue | None:
    """A value with its unit, read as parse_quantity reads it; None otherwise (a bare number too)."""
    split = _number_and_unit(text)
    typed = _quantity_unit(split[1], si_unit) if split and split[1] else None
    if split is None or typed is None:
        return None
    return UncertaintyValue(value=split[0], unit=typed.unit, relative=typed.relative)


def _quick_amount(text: str, unit: str, relative: bool) -> float | None:
    """``parse_amount_in`` for a bare number or a value in a unit of the right kind; None otherwise."""
    split = _number_and_unit(text)
    if split is None:
        return None
    value, unit_text = split
    if not unit_text:
        return value
    typed = _quantity_unit(unit_text, unit)
    if typed is None or typed.relative != relative:
        return None
    return value * typed.difference_scale / _difference_factor(unit)


def parse_certificate_uncertainty(text: str, unit: str, *, relative: bool, span_si: float | None) -> float:
    """A certificate's uncertainty in ``unit`` (``parse_amount_in``), held to the same bounds as above."""
    value = parse_amount_in(text, unit, relative=relative)
    _sane_uncertainty(value, unit, relative, span_si)
    return value


def parse_amount_in(text: str, unit: str, *, relative: bool) -> float:
    """A certificate's error or uncertainty expressed in ``unit`` (the equipment's uncertainty unit).

    A bare number is already in ``unit``; a value with a unit is converted as a difference
    (0,02 K in °C is 0,02), and must be of the same kind: relative for a relative unit.
    """
    quick = _quick_amount(text, unit, relative)
    if quick is not None:
        return quick
    try:
        bare = parse_quantity(text)
    except UnitInputError as err:
        raise CellError.from_error(err) from None
    if not bare.units._units:  # no unit typed (pint's .unitless is also true for %)
        return float(bare.magnitude)
    try:
        q = parse_quantity(text, expected_unit=unit)
    except UnitInputError as err:
        raise CellError.from_error(err) from None
    if is_relative(q) != relative:
        raise CellError("data.error.amount_kind", value=text.strip(), unit=display_unit(unit))
    return from_si_difference(to_si_difference(q), unit)


def format_number(value: float) -> str:
    """A plain number people and ``parse_range`` read back the same (no thousands separators)."""
    return format(value, ".12g")


def _shown_unit(unit: str | None) -> str:
    """The unit as written after a number; a pure number (pH, a ratio) has none, so ``parse_range``
    reads the text back (``1.68–12.45``, never ``1.68–12.45 1``)."""
    shown = display_unit(unit) if unit else ""
    return "" if shown == "1" else shown


def format_range(low: float, high: float, unit: str) -> str:
    shown = _shown_unit(unit)
    return f"{format_number(low)}–{format_number(high)} {shown}".strip()


def format_uncertainty(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    return f"{format_number(value)} {_shown_unit(unit)}".strip()


def as_text(value: object) -> str:
    """A spreadsheet cell as the text a person would have typed (dates ISO, 24.0 -> 24)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()
