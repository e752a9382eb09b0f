"""What a measuring range, an uncertainty or a date may physically and sensibly be, per quantity kind.

One rule module for the importers and the editor (``services.cells`` calls it after a value has
been read). Each check returns ``None`` or a ``Refusal`` (catalog key and parameters), so this
module stays free of the cell layer it serves.

The bounds, and why:
- Quantities that cannot be negative (a mass, a length, a volume, a resistance, a frequency, a dose,
  a fraction…) start at zero; a temperature never goes below 0 K; a gauge pressure may be negative
  (vacuum) but not below -1 standard atmosphere, a perfect vacuum. Fractions (relative humidity,
  moisture content, amount fraction) end at 100 %. Kinds a measurement may sign (voltage, current,
  force, torque, angle, acceleration, pH) have no bound here.
- An uncertainty is greater than zero; a relative one is at most 100 % (beyond, the value says
  nothing); an absolute one is at most the span of the range it qualifies.
- Dates: not before 1900; a certificate not before the item was acquired; a next-due date at most
  ``MAX_DUE_MONTHS`` after the calibration (the interval rule of ``services.intervals`` adds them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Final

from services.i18n import format_day
from services.intervals import verification_due_on
from services.units import display_unit, parse_quantity, to_si

EARLIEST_DAY: Final = date(1900, 1, 1)
MAX_DUE_MONTHS: Final = 120  # ten years: no calibration or verification interval is longer
MAX_RELATIVE_UNCERTAINTY: Final = 1.0  # 100 %

# lowest value of each kind, as a person would write it (pint reads it into SI once)
LOWER_BOUNDS: Final[dict[str, str]] = {
    "temperature": "0 K",
    "pressure": "-101325 Pa",  # one standard atmosphere below ambient
    **dict.fromkeys(
        (
            "length",
            "mass",
            "density",
            "volume",
            "flow_rate",
            "relative_humidity",
            "resistance",
            "electrical_energy",
            "time_interval",
            "frequency",
            "speed",
            "mass_concentration",
            "moisture_content",
            "conductivity",
            "amount_fraction",
            "illuminance",
            "sound_pressure",
            "dose_equivalent",
            "dose_equivalent_rate",
        ),
        "0",
    ),
}
UPPER_BOUNDS: Final[dict[str, str]] = dict.fromkeys(
    ("relative_humidity", "moisture_content", "amount_fraction"), "100 %"
)


@dataclass(frozen=True)
class Refusal:
    key: str
    params: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _si(text: str) -> float:
    return to_si(parse_quantity(text))


def _number(value: float) -> str:
    return format(value, ".6g")


def range_refusal(quantity: str | None, low_si: float, high_si: float) -> Refusal | None:
    """A range (in SI) the quantity ``quantity`` cannot take, or None."""
    if quantity is None:
        return None
    lower = LOWER_BOUNDS.get(quantity)
    if lower is not None and low_si < _si(lower):
        key = {"temperature": "data.error.below_absolute_zero", "pressure": "data.error.below_vacuum"}.get(
            quantity, "data.error.negative_not_possible"
        )
        return Refusal(key, {"quantity": quantity, "bound": lower})
    upper = UPPER_BOUNDS.get(quantity)
    if upper is not None and high_si > _si(upper):
        return Refusal("data.error.above_full_scale", {"quantity": quantity, "bound": upper})
    return None


def uncertainty_refusal(
    value: float, unit: str, *, relative: bool, value_si: float, span_si: float | None
) -> Refusal | None:
    """An uncertainty that cannot be: not above zero, over 100 %, or wider than the range's span.

    ``value`` is as entered in ``unit``; ``value_si`` the same as a difference in SI (a fraction
    when relative); ``span_si`` the range's high minus low in SI, when known.
    """
    shown = f"{_number(value)} {display_unit(unit)}".strip()
    if value <= 0:
        return Refusal("data.error.uncertainty_not_positive", {"value": shown})
    if relative and value_si > MAX_RELATIVE_UNCERTAINTY:
        return Refusal("data.error.uncertainty_over_100", {"value": shown})
    if not relative and span_si is not None and span_si > 0 and value_si > span_si:
        return Refusal("data.error.uncertainty_over_span", {"value": shown})
    return None


def day_refusal(day: date) -> Refusal | None:
    if day < EARLIEST_DAY:
        return Refusal("data.error.before_1900", {"value": format_day(day)})
    return None


def calibration_day_refusal(calibrated_on: date, acquired_on: date | None) -> Refusal | None:
    """A certificate dated before the item it certifies was acquired."""
    if acquired_on is not None and calibrated_on < acquired_on:
        return Refusal(
            "data.error.calibrated_before_acquired",
            {"calibrated": format_day(calibrated_on), "acquired": format_day(acquired_on)},
        )
    return None


def latest_due_on(calibrated_on: date) -> date:
    due = verification_due_on(MAX_DUE_MONTHS, None, calibrated_on)
    assert due is not None
    return due


def due_day_refusal(due_on: date, calibrated_on: date) -> Refusal | None:
    """A next-due date further after the calibration than any interval runs."""
    latest = latest_due_on(calibrated_on)
    if due_on > latest:
        return Refusal(
            "data.error.due_too_far",
            {"due": format_day(due_on), "latest": format_day(latest), "years": str(MAX_DUE_MONTHS // 12)},
        )
    return None
