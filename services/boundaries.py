"""Province shapes for the maps, read from the simplified GeoJSON shipped in ``data/boundaries``.

The file is built once by ``tools/boundaries.py`` (Natural Earth admin-1, public domain); the app
only reads it, so drawing a map needs no network and no geometry library.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from services.filters import Filters

# every province of 2024 and 2025 (the northern network draws its own; see services.map_chart)
BOUNDARIES_FILE = Path(__file__).resolve().parent.parent / "data" / "boundaries" / "provinces.geojson"


@cache
def _collection() -> dict[str, Any]:
    return json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))


def boundaries_of(filters: Filters) -> str:
    """Which set of provinces the filters draw: "before_merger" (25 of 2024) or "after_merger" (15)."""
    return "after_merger" if filters.uses_merged_provinces() else "before_merger"


def province_features(filters: Filters) -> list[dict[str, Any]]:
    """One GeoJSON feature per province of the filters' boundaries (25 of 2024 or 15 of 2025).

    Copies, so a caller may add properties (the value a map colours by) without touching the cache.
    """
    flag = boundaries_of(filters)
    return [copy.deepcopy(feature) for feature in _collection()["features"] if feature["properties"][flag]]


def features_for_keys(keys: list[str]) -> list[dict[str, Any]]:
    """The features of these province keys, in that order (a slide stores keys, not shapes)."""
    by_key = {feature["properties"]["key"]: feature for feature in _collection()["features"]}
    return [copy.deepcopy(by_key[key]) for key in keys]
