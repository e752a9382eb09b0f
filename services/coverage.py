"""Which services each region can get locally, and the gaps in legally controlled instruments."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, col

from services.capability_state import in_force
from services.filter_choices import instrument_types
from services.filters import Filters
from services.frames import query_frame
from services.models import Capability, InstrumentType, Quantity, Service
from services.network import (
    EARTH_RADIUS_KM,
    centers_frame,
    read_once,
    regions,
    shares_reads,
    to_answering_center,
)


@shares_reads
def capabilities_by_center(
    session: Session, filters: Filters, *, out_of_service: Collection[int] = ()
) -> pd.DataFrame:
    """Capabilities in force on ``as_of`` (not suspended, ``services.capability_state``) of the
    centers active then (closed centers count at their successor).

    ``out_of_service``: standards (equipment ids) to treat as out of date, for "what the network
    loses" when they are.
    """
    key = (
        "capabilities",
        filters.as_of,
        filters.due_window_days,
        filters.field,
        filters.instrument_type,
        tuple(sorted(out_of_service)),
    )
    rows = read_once(session, key, lambda: _capabilities(session, filters, out_of_service))
    if filters.service:
        # filtered here, not in SQL: the KPI cards' capabilities and their gaps (verification only)
        # then share one read of the capabilities in force
        rows = rows[rows["service"] == filters.service]
    centers = centers_frame(session, filters).set_index("id")
    rows = to_answering_center(rows, centers)
    rows = rows.drop_duplicates(["center_id", "instrument_type_code", "service"])
    for column in ("code", "region_code", "lat", "lon"):
        rows[column if column != "code" else "center_code"] = rows["center_id"].map(centers[column])
    if filters.center:
        rows = rows[rows["center_code"] == filters.center]
    return rows.reset_index(drop=True)


def _capabilities(session: Session, filters: Filters, out_of_service: Collection[int]) -> pd.DataFrame:
    """Capabilities in force per raw center, type and service (every service)."""
    query = (
        select(
            col(Capability.center_id),
            col(Capability.instrument_type_code),
            col(Capability.service),
            func.count().label("capabilities"),
        )
        .join(InstrumentType, col(InstrumentType.code) == col(Capability.instrument_type_code))
        .group_by(col(Capability.center_id), col(Capability.instrument_type_code), col(Capability.service))
    )
    query = query.where(in_force(session, filters, out_of_service=out_of_service))
    if filters.field:
        query = query.join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code)).where(
            col(Quantity.field_code) == filters.field
        )
    if filters.instrument_type:
        query = query.where(col(Capability.instrument_type_code) == filters.instrument_type)
    return query_frame(session, query, ["center_id", "instrument_type_code", "service", "capabilities"])


@shares_reads
def coverage_matrix(session: Session, filters: Filters) -> pd.DataFrame:
    """Region × instrument type × service → number of local centers able to serve it."""
    capable = capabilities_by_center(session, filters)
    matrix = (
        capable.groupby(["region_code", "instrument_type_code", "service"], as_index=False)[["center_id"]]
        .nunique()
        .rename(columns={"center_id": "centers"})
    )
    if filters.province:
        matrix = matrix[matrix["region_code"] == filters.province]
    return matrix.reset_index(drop=True)


GAP_COLUMNS: Final = [
    "region_code",
    "region_name_vi",
    "region_name_en",
    "population_thousands",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "nearest_center",
    "distance_km",
]


@shares_reads
def coverage_gaps(
    session: Session, filters: Filters, *, out_of_service: Collection[int] = ()
) -> pd.DataFrame:
    """Legally controlled types a region cannot get verified locally, with the nearest center that can.

    Only verification is legally required for Group 2 instruments, so only it makes a gap; only a
    capability in force on the day serves. ``out_of_service``: standards to treat as out of date.
    """
    # the service and center filters do not change the gaps (verification, by region): the KPI
    # cards, the map and the gaps table share one read
    key = ("coverage_gaps", replace(filters, service=None, center=None), tuple(sorted(out_of_service)))
    return read_once(session, key, lambda: _coverage_gaps(session, filters, out_of_service))


def _coverage_gaps(session: Session, filters: Filters, out_of_service: Collection[int]) -> pd.DataFrame:
    legal = _periodically_verified_types(session, filters)
    area = regions(session, filters)
    if filters.province:
        area = area[area["code"] == filters.province]
    unrestricted = Filters(
        as_of=filters.as_of,
        boundaries=filters.boundaries,
        service=Service.VERIFICATION.value,
        due_window_days=filters.due_window_days,
    )
    capable = capabilities_by_center(session, unrestricted, out_of_service=out_of_service)
    served = set(zip(capable["region_code"], capable["instrument_type_code"], strict=True))
    # per type, the centers able to verify it, as arrays: one vector of distances per gap instead of
    # a pandas filter and apply per region and type (the slow part at every scale)
    options = {
        code: (group["center_code"].to_numpy(), group["lat"].to_numpy(float), group["lon"].to_numpy(float))
        for code, group in capable.groupby("instrument_type_code", sort=False)
    }
    instruments = list(legal.itertuples())  # once, not once per region (most of this loop's time)
    gaps = [
        _gap(region, instrument, options)
        for region in area.itertuples()
        for instrument in instruments
        if (region.code, instrument.instrument_type_code) not in served
    ]
    frame = pd.DataFrame(gaps, columns=GAP_COLUMNS)
    # the largest gaps: most people affected, farthest to travel
    return frame.sort_values(
        ["population_thousands", "distance_km"], ascending=[False, False], na_position="first"
    ).reset_index(drop=True)


def _periodically_verified_types(session: Session, filters: Filters) -> pd.DataFrame:
    """The legally controlled types that need verifying again and again, within the field and type filters."""
    legal = query_frame(
        session,
        (
            select(
                col(InstrumentType.code),
                col(InstrumentType.name_vi),
                col(InstrumentType.name_en),
                col(Quantity.field_code),
            )
            .join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
            .where(col(InstrumentType.legally_controlled))
            # verified once (a measuring tape): no periodic verification, so never a gap
            .where(col(InstrumentType.verification_interval_months).is_not(None))
        ),
        ["instrument_type_code", "type_name_vi", "type_name_en", "field_code"],
    )
    if filters.field:
        legal = legal[legal["field_code"] == filters.field]
    if filters.instrument_type:
        legal = legal[legal["instrument_type_code"] == filters.instrument_type]
    return legal


def _gap(
    region: Any, instrument: Any, options: dict[Any, tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> dict[str, object]:
    """One region's missing type, with the nearest center that verifies it (none when no center does).

    ``region`` and ``instrument`` are ``itertuples()`` rows: pandas-stubs types their fields as any scalar.
    """
    nearest_code, nearest_km = None, None
    if instrument.instrument_type_code in options:
        codes, lats, lons = options[instrument.instrument_type_code]
        distances = _great_circle_km_to(region.lat, region.lon, lats, lons)
        best = int(np.argmin(distances))  # the first of equals, as idxmin chose
        nearest_code, nearest_km = codes[best], round(float(distances[best]), 1)
    return {
        "region_code": region.code,
        "region_name_vi": region.name_vi,
        "region_name_en": region.name_en,
        "population_thousands": region.population_thousands,
        "instrument_type_code": instrument.instrument_type_code,
        "type_name_vi": instrument.type_name_vi,
        "type_name_en": instrument.type_name_en,
        "nearest_center": nearest_code,
        "distance_km": nearest_km,
    }


def _great_circle_km_to(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """``services.network.great_circle_km`` from one point to many (the same haversine formula)."""
    phi1, phi2 = np.radians(lat), np.radians(lats)
    d_phi, d_lambda = phi2 - phi1, np.radians(lons - lon)
    a = np.sin(d_phi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


@shares_reads
def coverage_grid(
    session: Session, filters: Filters, *, legally_controlled_only: bool = True
) -> pd.DataFrame:
    """Every region × instrument type cell with its count of local centers (zeros included)."""
    types = instrument_types(session, filters).rename(
        columns={"code": "instrument_type_code", "name_vi": "type_vi", "name_en": "type_en"}
    )
    if legally_controlled_only:
        types = types[types["legally_controlled"].astype(bool)]
    area = regions(session, filters)[["code", "name_vi", "name_en"]].rename(
        columns={"code": "region_code", "name_vi": "region_vi", "name_en": "region_en"}
    )
    if filters.province:
        area = area[area["region_code"] == filters.province]
    grid = area.merge(types.drop(columns=["legally_controlled", "field_code"]), how="cross")
    counts = (
        capabilities_by_center(session, filters)
        .groupby(["region_code", "instrument_type_code"], as_index=False)[["center_id"]]
        .nunique()
        .rename(columns={"center_id": "centers"})
    )
    grid = grid.merge(counts, on=["region_code", "instrument_type_code"], how="left")
    grid["centers"] = grid["centers"].fillna(0).astype(int)
    return grid
