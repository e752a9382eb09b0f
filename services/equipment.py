"""Equipment capacity: what the centers hold, by field, range, age and status, and the paged list.

Counts are aggregated in SQL per raw center and mapped to the center that answers for each one
on ``as_of`` (a center closed by the 2025 merger counts at its successor), as
services/calibration.py does. Equipment counts when it was acquired on or before ``as_of`` and is
not retired. The ``service`` filter does not apply: equipment is not tied to one service.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, func, literal, or_, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.calibration import status_query
from services.filter_choices import measurement_fields
from services.filters import Filters
from services.formatting import range_text, uncertainty_text, unit_text
from services.holdings import held_on, status_on
from services.models import Equipment, EquipmentStatus, InstrumentType, MeasurementField, Quantity
from services.network import center_ids_in_scope, centers_frame, to_answering_center
from services.units import from_si

# Age in completed years on ``as_of``: (band, first age of the next band). The last band is open.
AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("0_2", 3),
    ("3_5", 6),
    ("6_10", 11),
    ("11_15", 16),
    ("over_15", None),
)
AGE_BAND_ORDER = [band for band, _ in AGE_BANDS]
OPERATING_STATUSES = [EquipmentStatus.IN_SERVICE.value, EquipmentStatus.REPAIR.value]

# A log scale cannot show zero: a range starting at or below zero is drawn from this fraction of
# its upper end (the true ends stay in the data for tooltips and downloads).
LOG_FLOOR_FRACTION = 1e-3

SortKey = Literal[
    "center",
    "name",
    "manufacturer",
    "model",
    "serial_no",
    "field",
    "quantity",
    "uncertainty",
    "is_reference_standard",
    "acquired_on",
    "status",
    "last_calibrated_on",
    "next_due_on",
    "calibration_status",
]
SORT_KEYS: tuple[str, ...] = get_args(SortKey)
PAGE_SIZES = (25, 50, 100, 200)
TABLE_COLUMNS = [
    "equipment_id",
    "center_code",
    "name",
    "manufacturer",
    "model",
    "serial_no",
    "field",
    "quantity",
    "range",
    "uncertainty",
    "is_reference_standard",
    "acquired_on",
    "status",
    "last_calibrated_on",
    "next_due_on",
    "calibration_status",
]


# ----------------------------------------------------------------------------------------------
# Scope shared by every query here
# ----------------------------------------------------------------------------------------------
def _in_scope(query: Select, filters: Filters, centers: pd.DataFrame) -> Select:
    """Equipment held on ``as_of``, in the filtered field, type, province and center.

    The query must already join Quantity (for the field).
    """
    query = query.where(held_on(filters.as_of))
    if filters.field:
        query = query.where(col(Quantity.field_code) == filters.field)
    if filters.instrument_type:
        query = query.where(col(Equipment.instrument_type_code) == filters.instrument_type)
    scope = center_ids_in_scope(centers, filters)
    if scope is not None:
        query = query.where(col(Equipment.center_id).in_(scope))
    return query


def _scoped_select(filters: Filters, centers: pd.DataFrame, *columns: SQLColumnExpression[Any]) -> Select:
    query = (
        select(*columns)
        .select_from(Equipment)
        .join(Quantity, col(Quantity.code) == col(Equipment.quantity_code))
    )
    return _in_scope(query, filters, centers)


def _effective(frame: pd.DataFrame, centers: pd.DataFrame) -> pd.DataFrame:
    """Replace raw center ids by the center answering for them, with its code and names."""
    info = centers.set_index("id")
    frame = to_answering_center(frame, info)
    effective = frame["center_id"]
    frame["center_code"] = effective.map(info["code"])
    frame["center_name_vi"] = effective.map(info["name_vi"])
    frame["center_name_en"] = effective.map(info["name_en"])
    return frame


# ----------------------------------------------------------------------------------------------
# KPIs
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EquipmentSummary:
    equipment: int
    reference_standards: int
    fields_covered: int
    median_age_years: float | None  # None when there is no equipment

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def age_in_years(acquired_on: date, as_of: date) -> float:
    """Age as a decimal number of years (365.25 days each), for medians and captions."""
    return (as_of - acquired_on).days / 365.25


def equipment_summary(session: Session, filters: Filters) -> EquipmentSummary:
    """Equipment in scope, how many are reference standards, fields covered, median age."""
    centers = centers_frame(session, filters)
    if centers.empty:
        return EquipmentSummary(0, 0, 0, None)
    reference = func.sum(case((col(Equipment.is_reference_standard).is_(True), 1), else_=0))
    total, references, fields = session.execute(
        _scoped_select(
            filters, centers, func.count(), reference, func.count(col(Quantity.field_code).distinct())
        )
    ).one()
    if not total:
        return EquipmentSummary(0, 0, 0, None)
    # The median of the acquisition dates, found in SQL without fetching every row.
    middle = (
        _scoped_select(filters, centers, col(Equipment.acquired_on))
        .order_by(col(Equipment.acquired_on), col(Equipment.id))
        .offset((total - 1) // 2)
        .limit(1 if total % 2 else 2)
    )
    days = [row[0] for row in session.execute(middle).all()]
    median_age = sum(age_in_years(day, filters.as_of) for day in days) / len(days)
    return EquipmentSummary(int(total), int(references or 0), int(fields), median_age)


# ----------------------------------------------------------------------------------------------
# (a) Equipment by center × field
# ----------------------------------------------------------------------------------------------
BY_CENTER_FIELD_COLUMNS = [
    "center_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "field_code",
    "field_name_vi",
    "field_name_en",
    "field_order",
    "equipment",
]


def equipment_by_center_field(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per (center, measurement field) with the equipment count; biggest centers first."""
    centers = centers_frame(session, filters)
    if centers.empty:
        return pd.DataFrame(columns=BY_CENTER_FIELD_COLUMNS)
    query = _scoped_select(
        filters, centers, col(Equipment.center_id), col(Quantity.field_code), func.count().label("equipment")
    ).group_by(col(Quantity.field_code), col(Equipment.center_id))  # field first: see measurement_ranges
    rows = pd.DataFrame(session.execute(query).all(), columns=["center_id", "field_code", "equipment"])
    if rows.empty:
        return pd.DataFrame(columns=BY_CENTER_FIELD_COLUMNS)
    rows = _effective(rows, centers)
    keys = ["center_id", "center_code", "center_name_vi", "center_name_en", "field_code"]
    counts = rows.groupby(keys, as_index=False)["equipment"].sum()
    fields = measurement_fields(session).rename(
        columns={
            "code": "field_code",
            "name_vi": "field_name_vi",
            "name_en": "field_name_en",
            "sort_order": "field_order",
        }
    )
    counts = counts.merge(fields, on="field_code", how="left")
    totals = counts.groupby("center_code")["equipment"].transform("sum")
    counts = counts.assign(_total=totals).sort_values(
        ["_total", "center_code", "field_order"], ascending=[False, True, True]
    )
    counts["equipment"] = counts["equipment"].astype(int)
    return counts[BY_CENTER_FIELD_COLUMNS].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# (b) Measurement ranges, in SI, as intervals per center and quantity (or instrument type)
# ----------------------------------------------------------------------------------------------
RANGE_COLUMNS = [
    "center_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "key",
    "name_vi",
    "name_en",
    "field_code",
    "field_name_vi",
    "field_name_en",
    "field_order",
    "si_unit",
    "si_unit_text",
    "low_si",
    "high_si",
    "unit",
    "units",
    "low",
    "high",
    "equipment",
    "plot_low",
    "plot_high",
    "low_clamped",
    "drawable",
]


def measurement_ranges(
    session: Session, filters: Filters, *, by: Literal["quantity", "instrument_type"] = "quantity"
) -> pd.DataFrame:
    """One interval per (center, quantity) -- or (center, instrument type) -- in SI units.

    ``low_si``/``high_si`` are min(range_min_si) and max(range_max_si) over the equipment (SI:
    temperatures in K). ``unit`` is the unit most of that equipment was entered in and
    ``low``/``high`` the interval shown in it; ``units`` lists every unit entered. For a log
    scale, ``plot_low`` is ``low_si`` or, when that is zero or negative, ``high_si`` times
    LOG_FLOOR_FRACTION (``low_clamped``); an interval entirely at or below zero is not
    ``drawable``.
    """
    centers = centers_frame(session, filters)
    if centers.empty:
        return pd.DataFrame(columns=RANGE_COLUMNS)
    key_column = col(Equipment.quantity_code) if by == "quantity" else col(Equipment.instrument_type_code)
    query = _scoped_select(
        filters,
        centers,
        col(Equipment.center_id),
        key_column.label("key"),
        col(Equipment.range_unit),
        func.min(Equipment.range_min_si),
        func.max(Equipment.range_max_si),
        func.count(),
    ).group_by(col(Equipment.range_unit), col(Equipment.center_id), key_column)
    # unit first: grouped by center first, SQLite walks the whole network's equipment through the
    # center index (a table lookup per item) and still sorts: 0.56 s against 0.26 s at national
    # scale; a center or type filter still seeks on its index
    if by == "instrument_type":
        query = query.where(col(Equipment.instrument_type_code).is_not(None))
    rows = pd.DataFrame(
        session.execute(query).all(),
        columns=["center_id", "key", "unit", "low_si", "high_si", "equipment"],
    )
    if rows.empty:
        return pd.DataFrame(columns=RANGE_COLUMNS)
    rows = _effective(rows, centers)
    keys = ["center_id", "center_code", "center_name_vi", "center_name_en", "key"]
    # the unit most equipment was entered in (ties: alphabetical) speaks for the interval
    per_unit = rows.groupby([*keys, "unit"], as_index=False)[["equipment"]].sum()
    per_unit = per_unit.sort_values([*keys, "equipment", "unit"], ascending=[True] * 5 + [False, True])
    main_unit = per_unit.groupby(keys, as_index=False).first()[[*keys, "unit"]]
    all_units = per_unit.groupby(keys)["unit"].agg(lambda units: ", ".join(sorted(set(units))))
    intervals = rows.groupby(keys, as_index=False).agg(
        low_si=("low_si", "min"), high_si=("high_si", "max"), equipment=("equipment", "sum")
    )
    intervals = intervals.merge(main_unit, on=keys)
    intervals["units"] = intervals.set_index(keys).index.map(all_units)  # type: ignore[arg-type]  # pandas-stubs: Index.map takes a Series too (documented), the stub lists Mapping and Callable only
    intervals = intervals.merge(_range_subjects(session, by), on="key", how="left")
    intervals["si_unit_text"] = intervals["si_unit"].map(si_unit_text)
    intervals["low"] = [_from_si(v, u) for v, u in zip(intervals["low_si"], intervals["unit"], strict=True)]
    intervals["high"] = [_from_si(v, u) for v, u in zip(intervals["high_si"], intervals["unit"], strict=True)]
    intervals["drawable"] = intervals["high_si"] > 0
    intervals["low_clamped"] = intervals["drawable"] & (intervals["low_si"] <= 0)
    floor = intervals["high_si"] * LOG_FLOOR_FRACTION
    intervals["plot_low"] = intervals["low_si"].where(~intervals["low_clamped"], floor)
    intervals["plot_high"] = intervals["high_si"]
    intervals.loc[~intervals["drawable"], ["plot_low", "plot_high"]] = np.nan
    intervals["equipment"] = intervals["equipment"].astype(int)
    intervals = intervals.sort_values(["field_order", "name_vi", "center_code"])
    return intervals[RANGE_COLUMNS].reset_index(drop=True)


def _range_subjects(session: Session, by: str) -> pd.DataFrame:
    """Names, field and SI unit of what the intervals are grouped by."""
    if by == "quantity":
        query = select(
            col(Quantity.code),
            col(Quantity.name_vi),
            col(Quantity.name_en),
            col(Quantity.field_code),
            col(Quantity.si_unit),
        )
    else:
        query = select(
            col(InstrumentType.code),
            col(InstrumentType.name_vi),
            col(InstrumentType.name_en),
            col(Quantity.field_code),
            col(Quantity.si_unit),
        ).join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
    query = query.add_columns(
        col(MeasurementField.name_vi), col(MeasurementField.name_en), col(MeasurementField.sort_order)
    ).join(MeasurementField, col(MeasurementField.code) == col(Quantity.field_code))
    return pd.DataFrame(
        session.execute(query).all(),
        columns=[
            "key",
            "name_vi",
            "name_en",
            "field_code",
            "si_unit",
            "field_name_vi",
            "field_name_en",
            "field_order",
        ],
    )


def _from_si(value_si: float, unit: str) -> float:
    offset, scale = _si_to_unit(unit)
    return offset + scale * value_si


@cache
def _si_to_unit(unit: str) -> tuple[float, float]:
    """SI -> ``unit`` is affine (°C has an offset): found once per unit, since pint is slow per value."""
    try:
        offset = from_si(0.0, unit)
        return offset, from_si(1.0, unit) - offset
    except Exception:  # noqa: BLE001 - a unit pint cannot read leaves the value unshown
        return math.nan, math.nan


# ----------------------------------------------------------------------------------------------
# (c) Age profile by operating and calibration status
# ----------------------------------------------------------------------------------------------
AGE_PROFILE_COLUMNS = ["age_band", "band_order", "status", "calibration_status", "equipment"]


def age_band_expression(as_of: date) -> ColumnElement[str]:
    """The age band in SQL: under N completed years on ``as_of`` means acquired after as_of - N years."""
    whens = [
        (Equipment.acquired_on > as_of - relativedelta(years=next_band), literal(band))
        for band, next_band in AGE_BANDS
        if next_band is not None
    ]
    return case(*whens, else_=literal(AGE_BANDS[-1][0]))


def age_band_of(acquired_on: date, as_of: date) -> str:
    """The same rule in Python, for tests and single records."""
    completed = relativedelta(as_of, acquired_on).years
    for band, next_band in AGE_BANDS:
        if next_band is None or completed < next_band:
            return band
    return AGE_BANDS[-1][0]


def age_profile(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment per age band × operating status × calibration status (at most 40 rows)."""
    band = age_band_expression(filters.as_of).label("age_band")
    query = status_query(
        session, filters, lambda status, _due, _last: [band, status_on(filters.as_of), status, func.count()]
    ).group_by(text("age_band"), text("equipment_status"), text("calibration_status"))
    rows = pd.DataFrame(
        session.execute(query).all(), columns=AGE_PROFILE_COLUMNS[:1] + AGE_PROFILE_COLUMNS[2:]
    )
    if rows.empty:
        return pd.DataFrame(columns=AGE_PROFILE_COLUMNS)
    rows["band_order"] = rows["age_band"].map(AGE_BAND_ORDER.index)
    rows["equipment"] = rows["equipment"].astype(int)
    return rows.sort_values(["band_order", "status", "calibration_status"])[AGE_PROFILE_COLUMNS].reset_index(
        drop=True
    )


# ----------------------------------------------------------------------------------------------
# (d) The equipment table: filtered, searched, sorted and paged in SQL
# ----------------------------------------------------------------------------------------------
def equipment_page(
    session: Session,
    filters: Filters,
    *,
    sort: str = "center",
    descending: bool = False,
    page: int = 1,
    page_size: int = 50,
    search: str | None = None,
    lang: str = "vi",
) -> tuple[pd.DataFrame, int]:
    """One page of the equipment in scope (rows TABLE_COLUMNS) and how many match in all.

    ``page`` counts from 1; a page past the end is empty. ``search`` matches name, manufacturer,
    model, serial number or center code, ignoring case. Ties are broken by equipment id so pages
    never overlap.
    """
    if page < 1 or page_size < 1:
        raise ValueError("page and page_size count from 1")
    query = _table_query(session, filters, sort=sort, descending=descending, search=search, lang=lang)
    if query is None:
        return _empty_table(), 0
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).one()[0]
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    return _table_frame(rows, lang), int(total)


def equipment_table(
    session: Session,
    filters: Filters,
    *,
    sort: str = "center",
    descending: bool = False,
    search: str | None = None,
    lang: str = "vi",
) -> pd.DataFrame:
    """Every row ``equipment_page`` would page through, in the same order (for export)."""
    query = _table_query(session, filters, sort=sort, descending=descending, search=search, lang=lang)
    if query is None:
        return _empty_table()
    return _table_frame(session.execute(query).all(), lang)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS)


_RAW_COLUMNS = [
    "equipment_id",
    "center_code",
    "name",
    "manufacturer",
    "model",
    "serial_no",
    "field",
    "quantity",
    "range_min",
    "range_max",
    "range_unit",
    "uncertainty_value",
    "uncertainty_unit",
    "uncertainty_relative",
    "is_reference_standard",
    "acquired_on",
    "status",
    "last_calibrated_on",
    "next_due_on",
    "calibration_status",
]


def _table_query(
    session: Session, filters: Filters, *, sort: str, descending: bool, search: str | None, lang: str
) -> Select | None:
    """The list's query, None when no center is in scope; long only by its column list, one linear table."""
    if sort not in SORT_KEYS:
        raise ValueError(f"unknown sort column {sort!r}; choose one of {SORT_KEYS}")
    centers = centers_frame(session, filters)
    if centers.empty:
        return None
    codes = dict(zip(centers["id"].astype(int), centers["effective_code"], strict=True))
    center_code = case(codes, value=Equipment.center_id).label("center_code")
    quantity = aliased(Quantity)
    field = aliased(MeasurementField)
    name_column = "name_en" if lang == "en" else "name_vi"
    picked: dict[str, SQLColumnExpression[Any]] = {}

    def columns(
        status: ColumnElement, due: SQLColumnExpression[Any], last_on: SQLColumnExpression[Any]
    ) -> list[SQLColumnExpression[Any]]:
        picked.update(status=status, due=due, last_on=last_on)
        return [
            Equipment.id,
            center_code,
            Equipment.name,
            Equipment.manufacturer,
            Equipment.model,
            Equipment.serial_no,
            getattr(field, name_column),
            getattr(quantity, name_column),
            Equipment.range_min,
            Equipment.range_max,
            Equipment.range_unit,
            Equipment.uncertainty_value,
            Equipment.uncertainty_unit,
            Equipment.uncertainty_relative,
            Equipment.is_reference_standard,
            Equipment.acquired_on,
            status_on(filters.as_of),
            last_on.label("last_calibrated_on"),
            due.label("next_due_on"),
            status,
        ]

    query = (
        status_query(session, filters, columns)
        .join(quantity, col(quantity.code) == col(Equipment.quantity_code))
        .join(field, col(field.code) == col(quantity.field_code))
    )
    if search and search.strip():
        query = query.where(_search_clause(search.strip(), codes))
    order = _table_order(
        filters,
        sort,
        descending,
        center=center_code,
        field=field,
        quantity_name=getattr(quantity, name_column),
        due=picked["due"],
        last_on=picked["last_on"],
    )
    return query.order_by(*order, col(Equipment.id))


def _search_clause(search: str, codes: dict[int, str]) -> ColumnElement[bool]:
    """The search over the name, maker, model, serial number and the center's code on the day."""
    searched = [
        col(Equipment.name),
        col(Equipment.manufacturer),
        col(Equipment.model),
        col(Equipment.serial_no),
    ]
    return _matches(search, [*searched, case(codes, value=col(Equipment.center_id))])


def _table_order(
    filters: Filters,
    sort: str,
    descending: bool,
    *,
    center: ColumnElement,
    field: type[MeasurementField],
    quantity_name: ColumnElement,
    due: SQLColumnExpression[Any],
    last_on: SQLColumnExpression[Any],
) -> list[SQLColumnExpression[Any]]:
    """The ORDER BY of the equipment table for the column ``sort``, missing values last."""
    soon = filters.as_of + timedelta(days=filters.due_window_days)
    sort_columns: dict[str, SQLColumnExpression[Any]] = {
        "center": center,
        "name": col(Equipment.name),
        "manufacturer": col(Equipment.manufacturer),
        "model": col(Equipment.model),
        "serial_no": col(Equipment.serial_no),
        "field": col(field.sort_order),
        "quantity": quantity_name,
        "uncertainty": col(Equipment.uncertainty_value),
        "is_reference_standard": col(Equipment.is_reference_standard),
        "acquired_on": col(Equipment.acquired_on),
        "status": status_on(filters.as_of),
        "last_calibrated_on": last_on,
        "next_due_on": due,
        # overdue, due soon, in date, never: the order of urgency, not of the words
        "calibration_status": case((due.is_(None), 3), (due < filters.as_of, 0), (due <= soon, 1), else_=2),
    }
    nullable = {
        "uncertainty": col(Equipment.uncertainty_value),
        "last_calibrated_on": last_on,
        "next_due_on": due,
    }
    ordered: list[SQLColumnExpression[Any]] = [_nulls_last(nullable[sort])] if sort in nullable else []
    ordered.append(sort_columns[sort].desc() if descending else sort_columns[sort].asc())
    return ordered


def _nulls_last(column: SQLColumnExpression[Any]) -> ColumnElement:
    """0 for a value, 1 for NULL: sorts missing dates last on every engine, either direction."""
    return case((column.is_(None), 1), else_=0)


def _matches(term: str, columns: list[SQLColumnExpression[Any]]) -> ColumnElement[bool]:
    """Case-insensitive containment that also works for Vietnamese capitals on SQLite.

    SQLite's lower() and LIKE fold ASCII only, so "áp kế" would miss "Áp kế"; the term is also
    tried capitalised and upper-cased, which covers how names are written.
    """
    escaped = re.sub(r"([\\%_])", r"\\\1", term)
    variants = sorted({escaped, escaped.lower(), escaped.capitalize(), escaped.upper()})
    return or_(
        *(
            condition
            for column in columns
            for condition in (
                *(column.like(f"%{variant}%", escape="\\") for variant in variants),
                func.lower(column).like(f"%{escaped.lower()}%", escape="\\"),
            )
        )
    )


def _table_frame(rows: Sequence[Any], lang: str) -> pd.DataFrame:
    raw = pd.DataFrame(rows, columns=_RAW_COLUMNS)
    if raw.empty:
        return _empty_table()
    raw["range"] = [
        range_text(low, high, unit, lang)
        for low, high, unit in zip(raw["range_min"], raw["range_max"], raw["range_unit"], strict=True)
    ]
    raw["uncertainty"] = [
        uncertainty_text(value, unit, lang, relative=bool(relative))
        for value, unit, relative in zip(
            raw["uncertainty_value"], raw["uncertainty_unit"], raw["uncertainty_relative"], strict=True
        )
    ]
    raw["is_reference_standard"] = raw["is_reference_standard"].astype(bool)
    for column in ("acquired_on", "last_calibrated_on", "next_due_on"):
        raw[column] = raw[column].map(_as_date)
    return raw[TABLE_COLUMNS].reset_index(drop=True)


def _as_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return date.fromisoformat(value)
    return cast(date, value)  # the rest are the dates SQLAlchemy read from a Date column


# ----------------------------------------------------------------------------------------------
# Numbers and units as people read them
# ----------------------------------------------------------------------------------------------
@cache
def si_unit_text(si_unit: str | None) -> str:
    """The SI unit of a quantity for an axis label; a pure number shows as ``1``."""
    return unit_text(si_unit) or "1"
