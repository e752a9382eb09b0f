"""What the coverage page shows: service matrix, due buckets, action list, gaps, calendar.

Built on the shared status and coverage services: the equipment in scope and its due date as of
a day come from ``services.calibration`` (stored next-due column today, certificate history for
past days), the capabilities and gaps from ``services.coverage``. Counting happens in SQL; the
per-center rows are then moved to the center that answers for them after the 2025 merger.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import BindParameter, ColumnElement, SQLColumnExpression, case, func, literal, select, text
from sqlmodel import Session, col

from services.calibration import CalibrationStatus, status_query
from services.capability_state import in_force
from services.coverage import coverage_gaps
from services.filter_choices import instrument_types
from services.filters import Filters
from services.frames import query_frame
from services.models import Capability, Equipment, InstrumentType, Service
from services.network import centers_frame, shares_reads, to_answering_center
from services.recognition import counted, is_accredited, is_designated

SERVICES = [s.value for s in Service]
# Planning horizons the issue asks for: due within 30, 60 and 90 days.
HORIZON_DAYS = (60, 90)
ACTION_STATUSES = (CalibrationStatus.OVERDUE.value, CalibrationStatus.DUE_SOON.value)
# "designated" only for verification, "accredited" (VILAS) only for calibration and testing
MATRIX_CELLS = ("designated", "accredited", "offered", "none")


@dataclass(frozen=True)
class DueBucket:
    """Equipment whose due date lies ``from_days``..``to_days`` days after the day viewed (inclusive)."""

    code: str
    from_days: int | None
    to_days: int | None


def due_buckets(window_days: int) -> list[DueBucket]:
    """Buckets, most urgent first. The first "due" bucket is the user's due-soon window, so it
    holds exactly the equipment the rest of the app calls due soon; 60 and 90 days follow when
    they lie beyond it (window 30 → 0–30, 31–60, 61–90)."""
    buckets = [
        DueBucket(CalibrationStatus.OVERDUE.value, None, -1),
        DueBucket(CalibrationStatus.DUE_SOON.value, 0, window_days),
    ]
    start = window_days + 1
    for horizon in HORIZON_DAYS:
        if horizon > window_days:
            buckets.append(DueBucket(f"due_by_{horizon}", start, horizon))
            start = horizon + 1
    buckets.append(DueBucket(CalibrationStatus.IN_DATE.value, start, None))
    buckets.append(DueBucket(CalibrationStatus.NEVER.value, None, None))
    return buckets


def bucket_order(window_days: int) -> list[str]:
    return [bucket.code for bucket in due_buckets(window_days)]


def _center_info(session: Session, filters: Filters) -> pd.DataFrame:
    centers = centers_frame(session, filters)
    return centers[
        [
            "id",
            "effective_id",
            "code",
            "name_vi",
            "name_en",
            "region_code",
            "region_name_vi",
            "region_name_en",
        ]
    ].set_index("id")


_CENTER_COLUMNS = {
    "code": "center_code",
    "name_vi": "center_name_vi",
    "name_en": "center_name_en",
    "region_code": "region_code",
    "region_name_vi": "region_name_vi",
    "region_name_en": "region_name_en",
}


def _add_center_columns(frame: pd.DataFrame, centers: pd.DataFrame) -> pd.DataFrame:
    for source, target in _CENTER_COLUMNS.items():
        frame[target] = frame["center_id"].map(centers[source])
    return frame


def centers_in_view(session: Session, filters: Filters) -> pd.DataFrame:
    """Centers active on the day within the province/center filters, ordered by code."""
    centers = centers_frame(session, filters)
    mask = centers["active"]
    if filters.province:
        mask &= centers["region_code"] == filters.province
    if filters.center:
        mask &= centers["code"] == filters.center
    shown = centers.loc[
        mask, ["id", "code", "name_vi", "name_en", "kind", "region_code", "region_name_vi", "region_name_en"]
    ]
    return shown.rename(columns={"id": "center_id"}).sort_values("code").reset_index(drop=True)


def _instrument_types(session: Session, filters: Filters) -> pd.DataFrame:
    return instrument_types(session, filters).rename(
        columns={"code": "instrument_type_code", "name_vi": "type_name_vi", "name_en": "type_name_en"}
    )


SERVICE_MATRIX_COLUMNS = [
    "center_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "region_code",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "field_code",
    "legally_controlled",
    "capabilities",
    "annual_capacity",
    "designated",
    "accredited",
    "cell",
]
_OFFERED_COUNTS = ["capabilities", "annual_capacity", "designated", "accredited"]


def service_matrix(session: Session, filters: Filters, *, service_code: str) -> pd.DataFrame:
    """Center × instrument type for one service: one row per cell, every cell present.

    Only capabilities in force on the day count (``services.capability_state``). Columns are the
    instrument types somebody in the network offers for the service, plus, for
    verification, every legally controlled type (an empty column there is a legal gap).
    A cell is "designated" (a verification the state designated the center for) or "accredited"
    (a VILAS-accredited calibration or testing), else "offered", or "none". A verification is
    never reported as accredited, whatever its ``accredited`` column says (services.recognition).
    """
    if service_code not in SERVICES:
        raise ValueError(f"Unknown service {service_code!r}")
    centers = centers_in_view(session, filters)
    types = _instrument_types(session, filters)
    if centers.empty or types.empty:
        return pd.DataFrame(columns=SERVICE_MATRIX_COLUMNS)
    offered = _offered(session, filters, service_code)
    keep = types["instrument_type_code"].isin(set(offered["instrument_type_code"]))
    if service_code == Service.VERIFICATION.value:
        keep |= types["legally_controlled"].astype(bool)
    types = types[keep]
    if types.empty:
        return pd.DataFrame(columns=SERVICE_MATRIX_COLUMNS)
    grid = (
        centers[["center_id", "code", "name_vi", "name_en", "region_code"]]
        .rename(columns={"code": "center_code", "name_vi": "center_name_vi", "name_en": "center_name_en"})
        .merge(types, how="cross")
        .merge(offered, on=["center_id", "instrument_type_code"], how="left")
    )
    return (
        _with_cells(grid)
        .sort_values(["center_code", "type_name_vi"])[SERVICE_MATRIX_COLUMNS]
        .reset_index(drop=True)
    )


def _offered(session: Session, filters: Filters, service_code: str) -> pd.DataFrame:
    """Per answering center and instrument type, the capabilities in force for the service."""
    query = (
        select(
            col(Capability.center_id),
            col(Capability.instrument_type_code),
            func.count().label("capabilities"),
            func.coalesce(func.sum(col(Capability.annual_capacity)), 0).label("annual_capacity"),
            func.max(counted(is_designated())).label("designated"),
            func.max(counted(is_accredited())).label("accredited"),
        )
        .where(col(Capability.service) == service_code)
        .where(in_force(session, filters))  # a suspended capability serves nobody that day
        .group_by(col(Capability.center_id), col(Capability.instrument_type_code))
    )
    offered = query_frame(session, query, ["center_id", "instrument_type_code", *_OFFERED_COUNTS])
    if offered.empty:
        return offered
    offered = to_answering_center(offered, _center_info(session, filters))
    return offered.groupby(["center_id", "instrument_type_code"], as_index=False).agg(
        capabilities=("capabilities", "sum"),
        annual_capacity=("annual_capacity", "sum"),
        designated=("designated", "max"),
        accredited=("accredited", "max"),
    )


def _with_cells(grid: pd.DataFrame) -> pd.DataFrame:
    """Zeros where nothing is offered, and each cell's word: the strongest recognition it has."""
    for column in _OFFERED_COUNTS:
        grid[column] = grid[column].fillna(0).astype(int)
    for column in ("designated", "accredited", "legally_controlled"):
        grid[column] = grid[column].astype(bool)
    grid["cell"] = "none"
    grid.loc[grid["capabilities"] > 0, "cell"] = "offered"
    grid.loc[grid["designated"], "cell"] = "designated"
    grid.loc[grid["accredited"], "cell"] = "accredited"
    return grid


def _equipment_per_answering_center(
    session: Session, filters: Filters, rows: pd.DataFrame, by: str
) -> pd.DataFrame:
    """Equipment counts per (center, ``by``) moved to the center answering on the day (a closed
    center's to its successor), summed there, with that center's names and region."""
    centers = _center_info(session, filters)
    rows = to_answering_center(rows, centers)
    rows = rows.groupby(["center_id", by], as_index=False)[["equipment"]].sum()
    return _add_center_columns(rows, centers)


def _bucket_case(due: SQLColumnExpression[Any], filters: Filters) -> ColumnElement:
    """Bucket of a due date, comparing dates (portable: no date arithmetic in SQL)."""
    whens: list[tuple[ColumnElement[bool], BindParameter[str]]] = [
        (due.is_(None), literal(CalibrationStatus.NEVER.value))
    ]
    for bucket in due_buckets(filters.due_window_days):
        if bucket.code == CalibrationStatus.NEVER.value or bucket.to_days is None:
            continue
        whens.append((due <= filters.as_of + timedelta(days=bucket.to_days), literal(bucket.code)))
    return case(*whens, else_=literal(CalibrationStatus.IN_DATE.value))


def due_bucket_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment per center and due bucket as of the day (center = the one answering for it)."""
    columns = [
        "center_id",
        "center_code",
        "center_name_vi",
        "center_name_en",
        "region_code",
        "region_name_vi",
        "region_name_en",
        "bucket",
        "from_days",
        "to_days",
        "order",
        "equipment",
    ]
    query = status_query(
        session,
        filters,
        lambda _status, due, _last: [
            col(Equipment.center_id),
            _bucket_case(due, filters).label("due_bucket"),
            func.count(),
        ],
    ).group_by(text("due_bucket"), col(Equipment.center_id))  # bucket first: as status_counts
    rows = query_frame(session, query, ["center_id", "bucket", "equipment"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = _equipment_per_answering_center(session, filters, rows, "bucket")
    buckets = {bucket.code: bucket for bucket in due_buckets(filters.due_window_days)}
    order = list(buckets)
    rows["from_days"] = rows["bucket"].map(lambda code: buckets[code].from_days).astype("Int64")
    rows["to_days"] = rows["bucket"].map(lambda code: buckets[code].to_days).astype("Int64")
    rows["order"] = rows["bucket"].map(order.index)
    rows["equipment"] = rows["equipment"].astype(int)
    return rows.sort_values(["center_code", "order"])[columns].reset_index(drop=True)


def _type_names(session: Session) -> pd.DataFrame:
    return pd.DataFrame(
        session.execute(
            select(col(InstrumentType.code), col(InstrumentType.name_vi), col(InstrumentType.name_en))
        ).all(),
        columns=["code", "type_name_vi", "type_name_en"],
    ).set_index("code")


ACTION_LIST_COLUMNS = [
    "equipment_id",
    "center_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "region_code",
    "name",
    "serial_no",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "is_reference_standard",
    "last_calibrated_on",
    "due_on",
    "days_to_due",
    "status",
]
_DUE_QUERY_COLUMNS = [
    "equipment_id",
    "center_id",
    "name",
    "serial_no",
    "instrument_type_code",
    "is_reference_standard",
    "last_calibrated_on",
    "due_on",
    "status",
]


def action_list(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment overdue or due within the due-soon window, most urgent (earliest due) first."""
    soon = filters.as_of + timedelta(days=filters.due_window_days)
    picked: dict[str, SQLColumnExpression[Any]] = {}

    def pick(
        status: ColumnElement, due: SQLColumnExpression[Any], last_on: SQLColumnExpression[Any]
    ) -> list[SQLColumnExpression[Any]]:
        picked["due"] = due
        return [
            col(Equipment.id),
            col(Equipment.center_id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(Equipment.instrument_type_code),
            col(Equipment.is_reference_standard),
            last_on.label("last_calibrated_on"),
            due.label("due_on"),
            status,
        ]

    query = status_query(session, filters, pick)
    query = query.where(picked["due"] <= soon).order_by(picked["due"], col(Equipment.id))
    frame = query_frame(session, query, _DUE_QUERY_COLUMNS)
    if frame.empty:
        return pd.DataFrame(columns=ACTION_LIST_COLUMNS)
    centers = _center_info(session, filters)
    frame = _add_center_columns(to_answering_center(frame, centers), centers)
    names = _type_names(session)
    frame["type_name_vi"] = frame["instrument_type_code"].map(names["type_name_vi"])
    frame["type_name_en"] = frame["instrument_type_code"].map(names["type_name_en"])
    frame["days_to_due"] = frame["due_on"].map(lambda due: (due - filters.as_of).days).astype(int)
    frame["is_reference_standard"] = frame["is_reference_standard"].astype(bool)
    frame = frame.sort_values(["due_on", "center_code", "serial_no"], kind="stable")
    return frame[ACTION_LIST_COLUMNS].reset_index(drop=True)


@shares_reads
def gaps_with_nearest(session: Session, filters: Filters) -> pd.DataFrame:
    """Legally controlled types a province cannot get verified locally, with the nearest center
    able to (great-circle distance from the province capital) and its name."""
    gaps = coverage_gaps(session, filters)
    names = centers_frame(session, filters).set_index("code")
    gaps["nearest_name_vi"] = gaps["nearest_center"].map(names["name_vi"])
    gaps["nearest_name_en"] = gaps["nearest_center"].map(names["name_en"])
    gaps["nearest_region_vi"] = gaps["nearest_center"].map(names["region_name_vi"])
    gaps["nearest_region_en"] = gaps["nearest_center"].map(names["region_name_en"])
    return gaps


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def due_calendar(session: Session, filters: Filters, *, year: int, month: int) -> pd.DataFrame:
    """Equipment falling due per center and day of the month (due dates in force on the day viewed)."""
    first, last = month_bounds(year, month)
    picked: dict[str, SQLColumnExpression[Any]] = {}

    def pick(
        _status: ColumnElement, due: SQLColumnExpression[Any], _last: SQLColumnExpression[Any]
    ) -> list[SQLColumnExpression[Any]]:
        picked["due"] = due
        return [col(Equipment.center_id), due.label("due_on"), func.count()]

    query = status_query(session, filters, pick)
    query = query.where(picked["due"] >= first, picked["due"] <= last).group_by(
        col(Equipment.center_id), picked["due"]
    )
    columns = [
        "center_id",
        "center_code",
        "center_name_vi",
        "center_name_en",
        "region_code",
        "due_on",
        "equipment",
    ]
    rows = query_frame(session, query, ["center_id", "due_on", "equipment"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = _equipment_per_answering_center(session, filters, rows, "due_on")
    rows["equipment"] = rows["equipment"].astype(int)
    return rows.sort_values(["due_on", "center_code"])[columns].reset_index(drop=True)


def month_grid(due: pd.DataFrame, year: int, month: int) -> pd.DataFrame:
    """Every day of the month with its weekday (0 = Monday), calendar week row and totals."""
    first, last = month_bounds(year, month)
    days = pd.DataFrame({"due_on": [first + timedelta(days=n) for n in range((last - first).days + 1)]})
    days["day"] = [d.day for d in days["due_on"]]
    days["weekday"] = [d.weekday() for d in days["due_on"]]
    days["week"] = [(d.day - 1 + first.weekday()) // 7 + 1 for d in days["due_on"]]
    if due.empty:
        days["equipment"] = 0
        days["centers"] = 0
        days["detail"] = ""
        return days
    per_day = due.groupby("due_on").agg(equipment=("equipment", "sum"), centers=("center_id", "nunique"))
    detail = (
        due.sort_values(["due_on", "equipment", "center_code"], ascending=[True, False, True])
        .groupby("due_on")
        .apply(
            lambda rows: ", ".join(
                f"{c} ({n})" for c, n in zip(rows["center_code"], rows["equipment"], strict=True)
            ),
        )
    )
    days["equipment"] = days["due_on"].map(per_day["equipment"]).fillna(0).astype(int)
    days["centers"] = days["due_on"].map(per_day["centers"]).fillna(0).astype(int)
    days["detail"] = days["due_on"].map(detail).fillna("")
    return days


def calendar_months(as_of: date, *, before: int = 12, after: int = 24) -> list[str]:
    """The months the calendar offers, as "YYYY-MM" (the URL form), around the day viewed."""
    index = as_of.year * 12 + as_of.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - before, index + after + 1)]


def parse_month(value: str) -> tuple[int, int]:
    year, month = value.split("-")
    return int(year), int(month)


def bucket_table(counts: pd.DataFrame, window_days: int) -> pd.DataFrame:
    """One row per center, one column per due bucket (most urgent first) and a total."""
    order = bucket_order(window_days)
    if counts.empty:
        return pd.DataFrame(columns=["center_code", "center_name_vi", "center_name_en", *order, "total"])
    table = counts.pivot_table(
        index=["center_code", "center_name_vi", "center_name_en"],
        columns="bucket",
        values="equipment",
        aggfunc="sum",
        fill_value=0,
    )
    table = table.reindex(columns=order, fill_value=0)
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table.columns.name = None
    return table.sort_values(["overdue", "total", "center_code"], ascending=[False, False, True]).reset_index(
        drop=True
    )
