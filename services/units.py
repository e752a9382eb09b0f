"""Read, check and convert the physical quantities people type, with one shared pint registry.

Everything here is plain Python (no Streamlit), so pages, services and tests share it.

Public API
----------
``ureg``                          the one shared ``pint.UnitRegistry`` (import it, make no other)
``parse_quantity(text, expected_unit=None) -> pint.Quantity``
``parse_range(text, expected_unit=None) -> MeasurementRange``
``MeasurementRange(low, high, unit)``  frozen; ``.to_si()`` -> (low, high), ``.contains(x)``
``is_relative(q) -> bool``        a ratio such as ``0,5 %`` or ``2 ppm`` (a relative uncertainty)
``to_si(q) -> float``             magnitude in the canonical SI unit (absolute: 25 °C -> 298.15)
``to_si_difference(q) -> float``  same, but read as a difference (±0,05 °C -> 0.05)
``from_si(value_si, unit) -> float`` / ``from_si_difference(value_si, unit) -> float``
``si_unit_of(q_or_unit) -> str``  the canonical SI unit string ``to_si`` uses
``display_unit(unit) -> str``     a unit string as people write it (``m**3/h`` -> ``m³/h``)
``UnitInputError``                the one error type for bad input; ``err.message(lang)``

Numbers
-------
The sign may be ``-``, ``−`` (U+2212) or ``+``; a leading ``±`` (or ``+/-``) is dropped and the
magnitude kept. Exponents: ``1,5e-3``, ``1,5·10⁻³``, ``1.5 x 10^-3``. Decimal separator rule,
applied to each number:

1. both ``.`` and ``,`` appear: the **last** one is the decimal separator and the other one
   groups thousands (``1.500,5`` = 1500.5, ``1,500.5`` = 1500.5);
2. the same separator appears more than once: it groups thousands (``1.500.000`` = 1 500 000);
3. a single ``,``: decimal comma, the Vietnamese way (``1,5`` = 1.5, ``1,500`` = 1.5);
4. a single ``.``: decimal point (``0.5``, ``1.500`` = 1.5) -- except when the same text also
   writes a decimal comma elsewhere (Vietnamese style, e.g. ``1.500 … 2.000,5 kg``) and the dot
   is followed by exactly three digits: then it groups thousands (1500 … 2000.5).

Thousands groups must have exactly three digits (``1.50.0`` is an error). A no-break or thin space
may also group thousands (``1 500,5``); an ordinary space may not (``1 500 kg`` is an error).

Units
-----
Anything pint knows, plus what people type: ``°C``/``℃``/``ºC``/``oC``/``độ C``,
``m³``/``m3``, ``Ω``, ``µ``/``μ``, ``·`` or ``.`` between units, ``^`` for powers, ``%RH`` (its
own kind, not a ratio), ``dB``/``dB(A)`` (a level; the weighting letter is not modelled),
``ppm``/``ppb``, a few Vietnamese words (lít, tấn, giây, phút, giờ, mét, vòng) and case slips
that cannot mean anything else (``Mpa``, ``kpa``, ``kwh``, ``Kg``).

Expected units
--------------
``expected_unit`` is a pint unit string (``"Pa"``, ``"K"``, ``"m**3/s"``). The value must have its
dimensionality. A relative value (``0,5 %``, ``2 ppm``) is always accepted because a relative
uncertainty is valid for any quantity; check ``is_relative`` before converting. A bare number is
accepted only when the expected unit is dimensionless, and is then read in that unit (``5`` with
``"%"`` is 5 %). Without ``expected_unit`` a bare number is a plain (dimensionless) number.

Canonical SI units (``to_si``): pressure Pa, temperature K, mass kg, length m, area m**2, volume
m**3, flow m**3/s, mass flow kg/s, voltage V, current A, resistance ohm, energy J, power W, speed
m/s, acceleration m/s**2, concentration (mass/volume) kg/m**3, time s, frequency Hz, force N,
illuminance lx, ratio 1 (0,5 % -> 0.005); relative humidity stays in %RH and levels in dB; any
other dimensionality uses pint's SI base units. Units built on angles keep the radian visible
(``60 rpm`` -> 6.283 rad/s, ``30 °`` -> 0.5236 rad) because pint counts angles as dimensionless.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, cast

import pint
from pint.util import UnitsContainer

from services.i18n import translate
from services.messages import MessageError

ureg: Final[pint.UnitRegistry] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("percent_RH = [relative_humidity] = %RH")
if "ppb" not in ureg:
    ureg.define("ppb = 1e-9")

_Q = ureg.Quantity
_U = ureg.Unit

_MAX_QUOTE: Final = 80

# --------------------------------------------------------------------------------------------
# Kinds of quantity: canonical SI unit, examples shown in error messages.
# The names live in locales/<lang>/units.json as units.kind.<id>.
# --------------------------------------------------------------------------------------------
_KIND_TABLE: Final = (
    ("pressure", "Pa", "MPa, bar, kPa"),
    ("temperature", "K", "°C, K"),
    ("mass", "kg", "kg, g, t"),
    ("length", "m", "m, mm, km"),
    ("area", "m**2", "m², cm²"),
    ("volume", "m**3", "L, mL, m³"),
    ("flow", "m**3/s", "m³/h, L/min"),
    ("mass_flow", "kg/s", "kg/h, t/h"),
    ("voltage", "V", "V, kV"),
    ("current", "A", "A, mA"),
    ("resistance", "ohm", "Ω, kΩ"),
    ("energy", "J", "kWh, J"),
    ("power", "W", "W, kW"),
    ("speed", "m/s", "km/h, m/s"),
    ("acceleration", "m/s**2", "m/s²"),
    ("concentration", "kg/m**3", "mg/L, g/m³"),
    ("time", "s", "s, min, h"),
    ("frequency", "Hz", "Hz, kHz"),
    ("force", "N", "N, kN"),
    ("illuminance", "lx", "lux"),
    ("relative_humidity", "percent_RH", "%RH"),
    ("dimensionless", "dimensionless", "%, ppm"),
)
_KIND_BY_DIMENSIONALITY: Final = {
    _U(canonical).dimensionality: (kind, canonical, examples) for kind, canonical, examples in _KIND_TABLE
}
_SI_LABEL: Final = {"percent_RH": "%RH", "dimensionless": "1"}
_LEVEL: Final = ("level", "dB", "dB")
_RATIO_UNITS: Final = frozenset(
    name for text in ("percent", "permille", "ppm", "ppb") for name in _U(text)._units
)


class UnitInputError(MessageError):
    """Input that cannot be read as the quantity wanted (``key`` one of ``units.error.*``).

    ``translate(err.key, lang, **err.params)`` works as well as ``err.message(lang)``.
    """


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def _kind(units: pint.Unit) -> tuple[str, str, str] | None:
    if _is_logarithmic(units):
        return _LEVEL
    return _KIND_BY_DIMENSIONALITY.get(units.dimensionality)


def _kind_names(units: pint.Unit) -> dict[str, str]:
    """The kind of ``units`` in both languages; unknown kinds show their dimensionality."""
    kind = _kind(units)
    if kind is None:
        text = str(units.dimensionality)
        return {"vi": text, "en": text}
    return {lang: translate(f"units.kind.{kind[0]}", lang) for lang in ("vi", "en")}


def _examples(units: pint.Unit) -> str:
    kind = _kind(units)
    return kind[2] if kind else _display_unit_of(units)


# --------------------------------------------------------------------------------------------
# Units
# --------------------------------------------------------------------------------------------
_SPACES: Final = re.compile(r"[\u00a0\u202f\u2009\u2007]")
_VI_WORDS: Final = {
    "lít": "L",
    "tấn": "t",
    "giây": "s",
    "phút": "min",
    "giờ": "h",
    "mét": "m",
    "vòng": "revolution",
}
_CASE_FIXES: Final = {
    "kg": "kg",
    "mpa": "MPa",
    "kpa": "kPa",
    "hpa": "hPa",
    "gpa": "GPa",
    "pa": "Pa",
    "kwh": "kWh",
    "mwh": "MWh",
    "wh": "Wh",
    "kw": "kW",
    "kv": "kV",
    "v": "V",
    "hz": "Hz",
    "khz": "kHz",
    "ghz": "GHz",
    "mmhg": "mmHg",
    "lux": "lux",
}


def _is_defined(name: str) -> bool:
    try:
        return name in ureg
    except Exception:  # noqa: BLE001 - pint raises on some names (e.g. a prefixed dB)
        return False


def _normalize_unit(text: str) -> str:
    s = _SPACES.sub(" ", text).strip()
    s = re.sub(r"%\s*RH\b", "percent_RH", s, flags=re.IGNORECASE)
    s = re.sub(r"\bdB\s*(?:\(\s*[ACZ]\s*\)|[ACZ]\b)", "dB", s)
    s = s.replace("℃", "degC").replace("℉", "degF")
    s = re.sub(r"[°º˚]\s*([CcFf])\b", lambda m: "deg" + m[1].upper(), s)
    s = re.sub(r"(?<![^\W\d_])(?:độ\s+|o)([CF])\b", r"deg\1", s)
    s = s.replace("Ω", "ohm").replace("Ω", "ohm").replace("µ", "u").replace("μ", "u")
    s = re.sub(r"\s*[·⋅∙×]\s*", "*", s)
    s = re.sub(r"(?<=[A-Za-z)])\.(?=[A-Za-z(])", "*", s)
    s = s.replace("^", "**")
    s = re.sub(r"(?<=[A-Za-z])([-−]?\d+)(?![\w.])", lambda m: "**" + m[1].replace("−", "-"), s)
    for word, unit in _VI_WORDS.items():
        s = re.sub(rf"(?<!\w){word}(?!\w)", unit, s, flags=re.IGNORECASE)

    def fix_case(match: re.Match[str]) -> str:
        token = match[0]
        return token if _is_defined(token) else _CASE_FIXES.get(token.lower(), token)

    return re.sub(r"[A-Za-z_]+", fix_case, s)


@lru_cache(maxsize=4096)  # an import reads the same few units on every row: parse each once
def _unit_or_none(unit_text: str) -> pint.Unit | None:
    normalized = _normalize_unit(unit_text)
    if not normalized:
        return _U("dimensionless")
    try:
        units = ureg.parse_units(normalized)
        _ = units.dimensionality, ureg.get_base_units(units)  # a unit we cannot convert is no use
    except Exception:  # noqa: BLE001 - pint's parser fails on garbage in many ways (even assert)
        return None
    if _is_logarithmic(units) and list(units._units.values()) != [1]:
        return None  # a level (dB) only makes sense alone: no dB², no dB/s
    return units


def _user_unit(unit_text: str, text: str) -> pint.Unit:
    units = _unit_or_none(unit_text)
    if units is None:
        raise UnitInputError("units.error.unknown_unit", unit=_quote(unit_text), text=_quote(text))
    return units


def _as_unit(unit: str | pint.Unit) -> pint.Unit:
    """A unit given by code (expected units, display units); a bad one is a programming error."""
    if isinstance(unit, pint.Unit):
        return unit
    units = _unit_or_none(unit)
    if units is None:
        raise ValueError(f"not a unit pint can read: {unit!r}")
    return units


@lru_cache(maxsize=4096)
def _is_logarithmic(units: pint.Unit) -> bool:
    for name in units._units:
        definition = ureg._units.get(name)
        if definition is not None and definition.is_logarithmic:
            return True
    return False


def _as_delta(units: pint.Unit) -> pint.Unit:
    """The same unit read as a difference: °C -> Δ°C (Kelvin-sized, no offset)."""
    items: dict[str, Any] = {}  # pint's exponents: any of its scalar types
    changed = False
    for name, exponent in units._units.items():
        definition = ureg._units.get(name)
        is_offset = (
            definition is not None and not definition.is_multiplicative and not definition.is_logarithmic
        )
        if is_offset:
            delta = f"delta_{name}"
            if delta in ureg:
                name, changed = delta, True
        items[name] = exponent
    return _U(UnitsContainer(items)) if changed else units


@lru_cache(maxsize=4096)
def _canonical(units: pint.Unit) -> pint.Unit:
    base = cast(
        pint.Unit, ureg.get_base_units(units)[1]
    )  # ureg's units are pint.Unit; pint's stubs type them as the PlainUnit facet
    kind = _kind(units)
    if kind is not None:
        canonical = _U(kind[1])
        # pint counts angles as dimensionless; keep them visible: rpm -> rad/s, not Hz (lx is fine)
        if "radian" not in base._units or ureg.get_base_units(canonical)[1] == base:
            return canonical
    return base


def is_relative(q: pint.Quantity | pint.Unit) -> bool:
    """True for a pure ratio (``%``, ``‰``, ``ppm``, ``ppb``, no unit): a relative uncertainty.

    Levels (``dB``), angles (``°``) and ``%RH`` are not ratios.
    """
    units = q.units if isinstance(q, pint.Quantity) else q
    return all(name in _RATIO_UNITS for name in units._units)


def si_unit_of(q_or_unit: pint.Quantity | pint.Unit | str) -> str:
    """The canonical SI unit string that ``to_si`` converts to (``"Pa"``, ``"K"``, ``"m**3/s"``).

    Ratios give ``"1"``, relative humidity ``"%RH"``, levels ``"dB"``. The result is readable by
    every function here that takes a unit string.
    """
    return _si_unit_of(q_or_unit.units if isinstance(q_or_unit, pint.Quantity) else _as_unit(q_or_unit))


@lru_cache(maxsize=4096)
def _si_unit_of(units: pint.Unit) -> str:
    if _is_logarithmic(units):
        return _LEVEL[1]
    canonical, kind = _canonical(units), _kind(units)
    if kind is not None and canonical == _U(kind[1]):
        return _SI_LABEL.get(kind[1], kind[1])
    return format(canonical, "~C")


def _display_unit_of(units: pint.Unit) -> str:
    text = format(units, "~P")
    return {"": "1", "degC": "°C", "degF": "°F"}.get(text, text)


@lru_cache(maxsize=4096)
def display_unit(unit: str) -> str:
    """A unit string as people write it: ``"m**3/h"`` -> ``"m³/h"``, ``"degC"`` -> ``"°C"``."""
    return _display_unit_of(_as_unit(unit))


def to_si(q: pint.Quantity) -> float:
    """Magnitude of ``q`` in its canonical SI unit, as an absolute value (``25 °C`` -> 298.15)."""
    scale, offset = _si_line(q.units)
    return float(q.magnitude) * scale + offset


@lru_cache(maxsize=4096)
def _si_line(units: pint.Unit) -> tuple[float, float]:
    """``(scale, offset)`` with SI = value × scale + offset: every unit here converts along a line.

    Asking pint once per unit instead of once per value makes an import of 20,000 rows seconds
    faster; a level (dB) is kept as it is.
    """
    if _is_logarithmic(units):
        return 1.0, 0.0
    canonical = _canonical(units)
    offset = float(_Q(0.0, units).to(canonical).magnitude)
    return float(_Q(1.0, units).to(canonical).magnitude) - offset, offset


def to_si_difference(q: pint.Quantity) -> float:
    """Like ``to_si`` but ``q`` is a difference or uncertainty: ``±0,05 °C`` -> 0.05 (K)."""
    return to_si(
        _Q(q.magnitude, _as_delta(cast(pint.Unit, q.units)))
    )  # ureg's units are pint.Unit; pint's stubs type them as the PlainUnit facet


def from_si(value_si: float, unit: str | pint.Unit) -> float:
    """Inverse of ``to_si``: an absolute SI value shown in ``unit`` (298.15, ``"°C"`` -> 25)."""
    units = _as_unit(unit)
    if _is_logarithmic(units):
        return float(value_si)
    return float(_Q(value_si, _canonical(units)).to(units).magnitude)


def from_si_difference(value_si: float, unit: str | pint.Unit) -> float:
    """Inverse of ``to_si_difference``: 0.05 (K) in ``"°C"`` -> 0.05."""
    return from_si(value_si, _as_delta(_as_unit(unit)))


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------
_DASHES: Final = "-−–"
_SUPERSCRIPTS: Final = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
_NUMBER: Final = re.compile(
    r"(?<![\w^*])"
    r"(?P<sign>[+\-−–])?"
    r"(?P<body>\d+(?:[.,\u00a0\u202f\u2009\u2007]\d+)*)"
    r"(?P<exp>[eE][+\-−]?\d+"
    r"|\s*[×x·*]\s*10(?:\s*(?:\^|\*\*)\s*[+\-−]?\d+|[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?"
)


def _decimal_separator(body: str, comma_context: bool) -> tuple[str | None, str | None]:
    """(decimal, thousands) separators of one number, by the rule in the module docstring."""
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        return (".", ",") if body.rfind(".") > body.rfind(",") else (",", ".")
    if commas:
        return (",", None) if commas == 1 else (None, ",")
    if dots > 1:
        return None, "."
    if dots == 1 and comma_context and re.fullmatch(r"\d{1,3}\.\d{3}", body):
        return None, "."
    return ("." if dots else None), None


def _writes_decimal_comma(body: str) -> bool:
    return _decimal_separator(body, comma_context=False)[0] == ","


def _read_number(match: re.Match[str], comma_context: bool, text: str) -> float:
    body = _SPACES.sub(" ", match["body"])
    decimal, thousands = _decimal_separator(body, comma_context)
    whole, _, fraction = body.partition(decimal) if decimal else (body, "", "")
    groups = (whole.replace(thousands, " ") if thousands else whole).split(" ")  # a space groups too
    grouped_badly = len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:])
    )
    if grouped_badly or (decimal and not fraction.isdigit()):
        raise UnitInputError("units.error.bad_number", number=_quote(match[0].strip()), text=_quote(text))
    digits = "".join(groups) + (f".{fraction}" if decimal else "")
    exponent = "0"
    if match["exp"]:
        exp_text = match["exp"].translate(_SUPERSCRIPTS).replace("−", "-")
        exp_match = re.search(r"[+\-]?\d+$", exp_text)
        assert exp_match is not None  # the exponent group is superscript digits after an optional sign
        exponent = exp_match[0]
    # float() reads any length of digits, but int() refuses more than 4,300 and a float holds
    # nothing beyond 1e±308: a longer exponent, or a value that overflows or underflows, is refused
    if len(exponent.lstrip("+-").lstrip("0")) > 3:
        raise UnitInputError(
            "units.error.number_out_of_range", number=_quote(match[0].strip()), text=_quote(text)
        )
    value = float(f"{digits}e{exponent}")
    if not math.isfinite(value) or (value == 0 and digits.strip("0.")):
        raise UnitInputError(
            "units.error.number_out_of_range", number=_quote(match[0].strip()), text=_quote(text)
        )
    return -value if match["sign"] and match["sign"] in _DASHES else value


def _numbers(s: str) -> list[re.Match[str]]:
    return list(_NUMBER.finditer(s))


def _clean(text: str) -> str:
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"[\t\r\n\v\f ]+", " ", text).strip()


_PLUS_MINUS: Final = re.compile(r"^(?:±|\+\s*/\s*-|\+-)\s*")


# --------------------------------------------------------------------------------------------
# Kind checks
# --------------------------------------------------------------------------------------------
def _check_kind(q: pint.Quantity, unit_text: str, expected_unit: str | None, text: str) -> None:
    if expected_unit is None:
        return
    expected = _as_unit(expected_unit)
    if not unit_text:
        if expected.dimensionless and not _is_logarithmic(expected):
            return
        names = _kind_names(expected)
        raise UnitInputError(
            "units.error.no_unit",
            text=_quote(text),
            kind_vi=names["vi"],
            kind_en=names["en"],
            example=_examples(expected),
        )
    if is_relative(q):
        return
    same_kind = q.units.dimensionality == expected.dimensionality and _is_logarithmic(
        q.units
    ) == _is_logarithmic(expected)
    if not same_kind:
        names, actual = (
            _kind_names(expected),
            _kind_names(cast(pint.Unit, q.units)),
        )  # ureg's units are pint.Unit; pint's stubs type them as the PlainUnit facet
        raise UnitInputError(
            "units.error.wrong_kind",
            unit=_quote(unit_text),
            text=_quote(text),
            kind_vi=names["vi"],
            kind_en=names["en"],
            actual_vi=actual["vi"],
            actual_en=actual["en"],
            example=_examples(expected),
        )


def _typed_or_expected_unit(unit_text: str, expected_unit: str | None, text: str) -> pint.Unit:
    """The typed unit; a bare number takes a dimensionless expected unit (``5``, ``%`` -> 5 %)."""
    if not unit_text and expected_unit is not None:
        expected = _as_unit(expected_unit)
        if expected.dimensionless and not _is_logarithmic(expected):
            return expected
    return _user_unit(unit_text, text)


# --------------------------------------------------------------------------------------------
# Quantities
# --------------------------------------------------------------------------------------------
def parse_quantity(text: str, expected_unit: str | None = None) -> pint.Quantity:
    """Read one value with its unit, e.g. ``600 bar``, ``0,5 %``, ``±0,05 °C``, ``1.500,5 kg``.

    See the module docstring for the decimal-separator rule and the units understood. A leading
    ``±`` is dropped (the magnitude is kept). With ``expected_unit`` the value must have that
    dimensionality, except that a relative value (``0,5 %``) is always accepted; a bare number is
    then an error unless the expected unit is dimensionless, in which case the number is read in
    that unit (``5`` with ``"%"`` is 5 %). Raises ``UnitInputError``.
    """
    cleaned = _clean(text)
    if not cleaned:
        raise UnitInputError("units.error.empty")
    s = _PLUS_MINUS.sub("", cleaned)
    numbers = _numbers(s)
    if not numbers:
        raise UnitInputError("units.error.no_number", text=_quote(cleaned))
    first = numbers[0]
    if len(numbers) > 1 or s[: first.start()].strip():
        raise UnitInputError("units.error.bad_quantity", text=_quote(cleaned))
    value = _read_number(first, comma_context=False, text=cleaned)
    unit_text = s[first.end() :].strip()
    q = _Q(value, _typed_or_expected_unit(unit_text, expected_unit, cleaned))
    _check_kind(q, unit_text, expected_unit, cleaned)
    return q


# --------------------------------------------------------------------------------------------
# Uncertainties as stored
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Uncertainty:
    """A best or a requested uncertainty: a fraction of the reading, or an absolute SI difference."""

    relative: bool
    value_si: float

    def at(self, value_si: float) -> float:
        return self.value_si * abs(value_si) if self.relative else self.value_si


@lru_cache(maxsize=4096)
def stored_uncertainty(value: float, unit: str, relative: bool) -> Uncertainty:
    """A stored expanded uncertainty (Equipment and Capability columns): ``0.1 %`` relative to the
    reading, ``0.05 degC`` or ``1.5 percent`` (percentage points of a ratio) absolute.

    A relative one in percent is divided by 100 rather than converted through pint, so a test
    uncertainty ratio of exactly 4 between two stored percentages stays exactly 4.
    """
    if relative:
        if unit in ("%", "percent"):
            return Uncertainty(True, abs(value) / 100)
        return Uncertainty(True, to_si(ureg.Quantity(abs(value), unit)))
    return Uncertainty(False, to_si_difference(ureg.Quantity(abs(value), unit)))


# --------------------------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasurementRange:
    """A measuring range; ``unit`` is the unit as typed (the upper end's if both ends have one)."""

    low: pint.Quantity
    high: pint.Quantity
    unit: str

    def to_si(self) -> tuple[float, float]:
        """Both ends in the canonical SI unit, each as an absolute value (°C ends -> K)."""
        return to_si(self.low), to_si(self.high)

    @property
    def si_unit(self) -> str:
        return si_unit_of(self.high)

    def contains(self, other: MeasurementRange | pint.Quantity) -> bool:
        """Whether a value or a whole range lies inside this range (compared in SI)."""
        if isinstance(other, MeasurementRange):
            return self.contains(other.low) and self.contains(other.high)
        if other.units.dimensionality != self.high.units.dimensionality:
            return False
        low, high = self.to_si()
        return low <= to_si(other) <= high


_RANGE_SEPARATOR: Final = re.compile(
    r"(?:\.{2,3}|[…~÷–—‐‑−-]|(?<!\w)(?:đến|tới|to)(?!\w))\s*$", re.IGNORECASE
)
_FROM: Final = re.compile(r"(?:from|từ)", re.IGNORECASE)
_UP_TO: Final = re.compile(r"(?:≤|⩽|<=|<|đến|tới|to|up to|max\.?|tối đa)", re.IGNORECASE)


def _strip_outer_parentheses(s: str) -> str:
    """``(0 ÷ 60) MPa`` -> ``0 ÷ 60 MPa``; other parentheses (``kg/(m·s)``) are left alone."""
    if not s.startswith("("):
        return s
    depth = 0
    for index, char in enumerate(s):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return f"{s[1:index]} {s[index + 1 :]}".strip()
    return s


def parse_range(text: str, expected_unit: str | None = None) -> MeasurementRange:
    """Read a measuring range.

    Forms: ``0–60 MPa``, ``0-60 MPa``, ``-20 - 150 °C``, ``-20…150 °C``, ``0 ... 60 MPa``,
    ``(0 ÷ 60) MPa``, ``0 ~ 60 MPa``, ``0 đến 60 MPa``, ``từ 0 đến 60 MPa``,
    ``from 0 to 60 MPa``, ``0 to 60 MPa``, a unit on both ends (``0 kPa – 6 MPa``); one-sided
    ``≤ 60 MPa``, ``<= 60 MPa``, ``đến 60 MPa``, ``up to 60 MPa`` (low is 0 in the same unit);
    symmetric ``±10 V`` (-10 … 10); a single value ``60 MPa`` (low == high). A dash directly
    before the second number separates the ends (``0-60`` and ``0 -60`` are 0 … 60); a negative
    upper end needs a separator before it (``-20 - -5 °C``). Numbers follow the rule in the
    module docstring; a decimal comma anywhere in the text makes ``1.500`` a thousands group.
    Ends are compared in SI. Raises ``UnitInputError``, also when low > high.
    """
    cleaned = _clean(text)
    if not cleaned:
        raise UnitInputError("units.error.empty")
    s = _strip_outer_parentheses(cleaned)
    numbers = _numbers(s)
    if not numbers:
        raise UnitInputError("units.error.no_number", text=_quote(cleaned))
    if len(numbers) > 2:
        raise UnitInputError("units.error.bad_range", text=_quote(cleaned))
    comma = any(_writes_decimal_comma(_SPACES.sub(" ", m["body"])) for m in numbers)
    prefix = s[: numbers[0].start()].strip()
    if len(numbers) == 1:
        return _one_number_range(s, numbers[0], prefix, comma, cleaned, expected_unit)
    if prefix and not _FROM.fullmatch(prefix):
        raise UnitInputError("units.error.bad_range", text=_quote(cleaned))
    return _two_number_range(s, numbers[0], numbers[1], comma, cleaned, expected_unit)


def _one_number_range(
    s: str, first: re.Match[str], prefix: str, comma: bool, cleaned: str, expected_unit: str | None
) -> MeasurementRange:
    """``60 MPa`` (a single value), ``≤ 60 MPa`` / ``up to 60 MPa`` (from 0), ``±10 V`` (symmetric)."""
    unit_text = s[first.end() :].strip()
    units = _typed_or_expected_unit(unit_text, expected_unit, cleaned)
    value = _read_number(first, comma, cleaned)
    if not prefix:
        low_value, high_value = value, value
    elif _UP_TO.fullmatch(prefix):
        low_value, high_value = 0.0, value
    elif _PLUS_MINUS.fullmatch(prefix + " "):
        low_value, high_value = -abs(value), abs(value)
    else:
        raise UnitInputError("units.error.bad_range", text=_quote(cleaned))
    low, high = _Q(low_value, units), _Q(high_value, units)
    _check_kind(high, unit_text, expected_unit, cleaned)
    low_shown = "0" if low_value == 0 else f"-{first['body']}"
    return _ordered(
        low,
        high,
        unit_text,
        cleaned,
        f"{low_shown} {unit_text}".strip(),
        f"{first[0].strip()} {unit_text}".strip(),
    )


def _two_number_range(
    s: str, first: re.Match[str], second: re.Match[str], comma: bool, cleaned: str, expected_unit: str | None
) -> MeasurementRange:
    """``0–60 MPa`` and every other two-ended form, a unit on one end or both (``0 kPa – 6 MPa``)."""
    between = s[first.end() : second.start()].strip()
    separator = _RANGE_SEPARATOR.search(between)
    high_value = _read_number(second, comma, cleaned)
    if separator:
        low_unit_text = between[: separator.start()].strip()
    elif second["sign"] and second["sign"] in _DASHES:
        low_unit_text, high_value = between, abs(high_value)
    else:
        raise UnitInputError("units.error.bad_range", text=_quote(cleaned))
    high_unit_text = s[second.end() :].strip()
    low_value = _read_number(first, comma, cleaned)

    unit_text = high_unit_text or low_unit_text
    high_units = _typed_or_expected_unit(unit_text, expected_unit, cleaned)
    low_units = _user_unit(low_unit_text, cleaned) if low_unit_text else high_units
    low, high = _Q(low_value, low_units), _Q(high_value, high_units)
    if low_units.dimensionality != high_units.dimensionality or _is_logarithmic(low_units) != _is_logarithmic(
        high_units
    ):
        raise UnitInputError(
            "units.error.mixed_units",
            text=_quote(cleaned),
            low_unit=_quote(low_unit_text),
            high_unit=_quote(unit_text),
        )
    _check_kind(low, low_unit_text or unit_text, expected_unit, cleaned)
    _check_kind(high, unit_text, expected_unit, cleaned)
    low_typed = f"{first[0].strip()} {low_unit_text or unit_text}".strip()
    high_shown = second[0].strip() if separator else second["body"]
    return _ordered(low, high, unit_text, cleaned, low_typed, f"{high_shown} {unit_text}".strip())


def _ordered(
    low: pint.Quantity,
    high: pint.Quantity,
    unit_text: str,
    text: str,
    low_shown: str,
    high_shown: str,
) -> MeasurementRange:
    if to_si(low) > to_si(high):
        raise UnitInputError("units.error.low_above_high", text=_quote(text), low=low_shown, high=high_shown)
    return MeasurementRange(low=low, high=high, unit=unit_text)
