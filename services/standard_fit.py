"""Whether a measurement standard is fit to calibrate an item: it covers the item's range and its
uncertainty is at least four times smaller (the test uncertainty ratio, TUR ≥ 4).

Works on plain mappings with the Equipment columns (``range_min_si``, ``range_max_si``,
``uncertainty_value``, ``uncertainty_unit``, ``uncertainty_relative``), so the seeder, the
imports and the tests over a seeded database judge a calibration chain by the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.units import stored_uncertainty

MIN_UNCERTAINTY_RATIO = 4.0
# Ranges are compared in SI floats converted from different units: allow rounding noise only.
_RANGE_SLACK = 1e-9


def absolute_uncertainty_si(row: Mapping[str, Any], at_si: float) -> float | None:
    """The row's expanded uncertainty at the SI value ``at_si``, as an SI difference."""
    value, unit = row.get("uncertainty_value"), row.get("uncertainty_unit")
    if value is None or not unit:
        return None
    return stored_uncertainty(float(value), str(unit), bool(row.get("uncertainty_relative"))).at(at_si)


def covers_range(standard: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    span = max(abs(item["range_max_si"]), abs(item["range_min_si"]), 1e-300) * _RANGE_SLACK
    return (
        standard["range_min_si"] <= item["range_min_si"] + span
        and standard["range_max_si"] >= item["range_max_si"] - span
    )


def uncertainty_ratio(standard: Mapping[str, Any], item: Mapping[str, Any]) -> float | None:
    """Item uncertainty ÷ standard uncertainty at the top of the item's range (None if unknown)."""
    at = (
        item["range_max_si"]
        if abs(item["range_max_si"]) >= abs(item["range_min_si"])
        else item["range_min_si"]
    )
    item_u, standard_u = absolute_uncertainty_si(item, at), absolute_uncertainty_si(standard, at)
    if item_u is None or standard_u is None or standard_u <= 0:
        return None
    return item_u / standard_u


def can_calibrate(
    standard: Mapping[str, Any], item: Mapping[str, Any], min_ratio: float = MIN_UNCERTAINTY_RATIO
) -> bool:
    """Same quantity, covering range and TUR ≥ ``min_ratio``."""
    if standard.get("quantity_code") != item.get("quantity_code"):
        return False
    ratio = uncertainty_ratio(standard, item)
    return covers_range(standard, item) and ratio is not None and ratio >= min_ratio
