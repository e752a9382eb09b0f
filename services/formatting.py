"""Measured values, units and ranges as people read them, on babel, the same on every page and export.

One rule for a range's text: ``low–high unit`` with an en dash (``0–60 MPa``, ``-50–420 °C``,
``0,5–2,5 mL`` in Vietnamese), a single value when both ends agree (``20 L``). That is the text the
imports take and store (``services.units.parse_range`` reads it back to the same two numbers in
either language), so a range shown on a page, copied into a spreadsheet and imported again is the
same range. For the same reason a measured number has no thousands grouping (``1200``, never
``1.200``: in a range Vietnamese ``0–1.200 Pa`` would read back as 1,2 Pa) and as many decimals
as it has, up to nine, with the language's decimal separator.

Counts (``1.234 thiết bị``), percentages and dates are ``services.i18n``'s ``format_number``,
``format_percentage`` and ``format_day``; a text that counts ("1 capability", "2 capabilities")
takes its plural form from ``services.i18n.translate_plural``, both on babel's CLDR data.
"""

from __future__ import annotations

import math
import re
from functools import cache, lru_cache
from typing import Final

from babel.numbers import format_decimal

from services.units import display_unit, from_si

RANGE_DASH: Final = "–"
SIGNIFICANT_DIGITS: Final = 6  # a value converted into the user's unit, without float noise
_BABEL_LOCALE: Final = {"vi": "vi_VN", "en": "en_GB"}
_UNIT_SPELLING: Final = {"deg": "°", "m·N": "N·m", "1": ""}
_LITRE: Final = re.compile(r"(?<![A-Za-zµ])([mµ]?)l(?![A-Za-z])")
_NO_SPACE_BEFORE: Final = ("°", "′", "″")  # 90°, 30′: angles are written against the number


@lru_cache(maxsize=8192)  # equipment repeats a few catalog ranges: formatting each once saves seconds
def measured_number(value: float | None, lang: str) -> str:
    """A measured value with as many decimals as it has (up to 9), no grouping, ``—`` for none."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return format_decimal(float(value), format="0.#########", locale=_BABEL_LOCALE[lang])


@lru_cache(maxsize=8192)
def significant_number(value: float, lang: str) -> str:
    """A computed value (a range converted into the unit the user typed) to six significant digits."""
    if value == 0:
        return measured_number(0, lang)
    if not math.isfinite(value):
        return "∞"
    decimals = max(0, min(12, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))))
    return measured_number(round(value, decimals), lang)


@cache
def unit_text(unit: str | None) -> str:
    """A unit as people write it: ``m**3/h`` -> ``m³/h``, ``degC`` -> ``°C``, ``L`` stays ``L``, a
    pure number (pH, a ratio) none."""
    if not unit:
        return ""
    try:
        shown = display_unit(unit)
    except Exception:  # noqa: BLE001 - an unknown unit is shown as typed
        return unit
    shown = _UNIT_SPELLING.get(shown, shown)
    if "L" in unit:  # pint writes litres "l"; Vietnamese documents write "L"
        shown = _LITRE.sub(lambda m: f"{m[1]}L", shown)
    return shown


def with_unit(number: str, unit: str | None) -> str:
    """``60 MPa``; ``90°`` for an angle; the number alone when there is no unit. ``unit`` is as shown."""
    if not unit:
        return number
    return f"{number}{unit}" if unit in _NO_SPACE_BEFORE else f"{number} {unit}"


def range_text(low: float, high: float, unit: str | None, lang: str, *, significant: bool = False) -> str:
    """A range as the imports read it back: ``0–60 MPa``; a single value (low == high) as ``20 L``.

    ``unit`` is a stored or typed unit (``m**3/h``); ``significant`` rounds computed ends to six
    significant digits (``significant_number``)."""
    return with_unit(range_numbers(low, high, lang, significant=significant), unit_text(unit))


def range_numbers(low: float, high: float, lang: str, *, significant: bool = False) -> str:
    """The numbers of ``range_text`` without the unit: ``0–60``, or ``20`` when both ends read the same."""
    number = significant_number if significant else measured_number
    shown_low, shown_high = number(low, lang), number(high, lang)
    return shown_low if shown_low == shown_high else f"{shown_low}{RANGE_DASH}{shown_high}"


def uncertainty_text(value: float | None, unit: str | None, lang: str, *, relative: bool = False) -> str:
    """``0,05 MPa``, ``0,02 %`` (a relative uncertainty stored without a unit is in percent); ``""``
    when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    shown_unit = "%" if relative and not unit else unit_text(unit)
    return with_unit(measured_number(value, lang), shown_unit)


def readable_range(stored: str | None) -> str | None:
    """A stored range text (``0–60 m**3/h``) with its unit as people write it (``0–60 m³/h``)."""
    if not stored:
        return None
    numbers, _, unit = stored.partition(" ")
    return with_unit(numbers, unit_text(unit)) if unit else numbers


def stored_range_text(stored: str | None, low_si: float, high_si: float, lang: str) -> str:
    """A stored range (``0.5–50 m``, kept as it was entered) in ``lang``'s numbers (``0,5–50 m``):
    its ends from the SI values, in the unit the text names; the text itself where that unit is
    not one pint reads."""
    if not stored:
        return ""
    unit = stored.partition(" ")[2]
    try:
        low, high = from_si(low_si, unit), from_si(high_si, unit)
    except Exception:  # noqa: BLE001 - an old free-text unit is shown as it was stored
        return readable_range(stored) or ""
    return range_text(low, high, unit, lang, significant=True)
