"""Calibration status of equipment as of a date: in date, due soon, overdue, never calibrated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    SQLColumnExpression,
    case,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.filters import Filters
from services.frames import query_frame
from services.holdings import held_on
from services.models import CalibrationRecord, Equipment, Quantity
from services.network import center_ids_in_scope, centers_frame, read_once, shares_reads, to_answering_center


class CalibrationStatus(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    IN_DATE = "in_date"
    NEVER = "never"


STATUS_ORDER = [s.value for s in CalibrationStatus]
# within calibration date on the day: in date, or due soon but not yet overdue
WITHIN_DATE_STATUSES = (CalibrationStatus.IN_DATE.value, CalibrationStatus.DUE_SOON.value)


def _status_of(due: Any, filters: Filters) -> ColumnElement:
    """The calibration status on ``filters.as_of`` of an item due on ``due`` (None: never calibrated)."""
    soon = filters.as_of + timedelta(days=filters.due_window_days)
    return case(
        (due.is_(None), literal(CalibrationStatus.NEVER.value)),
        (due < filters.as_of, literal(CalibrationStatus.OVERDUE.value)),
        (due <= soon, literal(CalibrationStatus.DUE_SOON.value)),
        else_=literal(CalibrationStatus.IN_DATE.value),
    )


def _due_columns(
    session: Session, filters: Filters
) -> tuple[ColumnElement, ColumnElement, ColumnElement, FromClause | None]:
    """The calibration status, due date and last calibration in force on ``filters.as_of``, and
    what to LEFT JOIN ON TRUE to the equipment for them (None: nothing to join).

    Equipment.next_due_on is the due date of the latest certificate; it answers for any date on
    or after the newest certificate in the database. Earlier dates need the history: each item's
    latest certificate by the day (latest calibrated_on, then highest id), one seek per item read
    from the index on (equipment_id, calibrated_on, id, due_on) alone, never the table.
    """
    as_of = filters.as_of
    newest = session.execute(select(func.max(col(CalibrationRecord.calibrated_on)))).one()[0]
    if newest is None or newest <= as_of:
        due: ColumnElement = Equipment.next_due_on  # type: ignore[assignment]
        return _status_of(due, filters), due, Equipment.last_calibrated_on, None  # type: ignore[return-value]
    earlier = aliased(CalibrationRecord)

    def latest(column: Any) -> Select:
        return (
            select(column)
            .where(col(earlier.equipment_id) == col(Equipment.id), col(earlier.calibrated_on) <= as_of)
            .order_by(col(earlier.calibrated_on).desc(), col(earlier.id).desc())
            .limit(1)
        )

    if session.get_bind().dialect.name == "postgresql":
        # one LATERAL probe gives both dates; a scalar subquery would be probed again for every
        # mention of the due date in the status CASE
        certificate = (
            latest(col(earlier.due_on)).add_columns(col(earlier.calibrated_on)).lateral("certificate")
        )
        due = certificate.c.due_on
        return _status_of(due, filters), due, certificate.c.calibrated_on, certificate
    # SQLite has no LATERAL: one scalar subquery per column read, each probe in the index alone (it
    # beats fetching the certificate's row by its id, a table page per item). The status comes from
    # its own probe: over a due date subquery the CASE would probe once per branch it tries.
    found = func.coalesce(
        latest(_status_of(col(earlier.due_on), filters)).correlate(Equipment).scalar_subquery(),
        literal(CalibrationStatus.NEVER.value),
    )
    due = latest(col(earlier.due_on)).correlate(Equipment).scalar_subquery()
    last_on = latest(col(earlier.calibrated_on)).correlate(Equipment).scalar_subquery()
    return found, due, last_on, None


ColumnPicker = Callable[
    [ColumnElement, SQLColumnExpression[Any], SQLColumnExpression[Any]], list[SQLColumnExpression[Any]]
]


def status_query(session: Session, filters: Filters, columns: ColumnPicker) -> Select:
    """Equipment in scope on ``as_of`` with ``columns(status, due_on, last_calibrated_on)``."""
    status, due, last_on, latest = _due_columns(session, filters)
    status = status.label("calibration_status")
    query = select(*columns(status, due, last_on)).select_from(Equipment)
    if latest is not None:
        query = query.outerjoin(latest, true())
    query = query.where(held_on(filters.as_of))
    if filters.field:
        query = query.join(Quantity, col(Quantity.code) == col(Equipment.quantity_code)).where(
            col(Quantity.field_code) == filters.field
        )
    if filters.instrument_type:
        query = query.where(col(Equipment.instrument_type_code) == filters.instrument_type)
    if filters.province or filters.center:  # else every center is in scope: no need to read them
        scope = center_ids_in_scope(centers_frame(session, filters), filters)
        if scope is not None:
            query = query.where(Equipment.center_id.in_(scope))  # type: ignore[attr-defined]
    return query


@shares_reads
def status_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment per center and status (center = the one answering for it on the date)."""
    # the service filter does not apply to equipment: the KPI cards, the map and its points share one read
    key = ("status_counts", replace(filters, service=None))
    return read_once(session, key, lambda: _status_counts(session, filters))


def _status_counts(session: Session, filters: Filters) -> pd.DataFrame:
    query = status_query(
        session, filters, lambda status, _due, _last: [col(Equipment.center_id), status, func.count()]
    )
    # status first: grouped by center first, SQLite walks the equipment through its center index
    # (a table lookup per item) and still sorts; this way it scans the table once (2.5x less CPU)
    query = query.group_by(text("calibration_status"), col(Equipment.center_id))
    rows = query_frame(session, query, ["center_id", "status", "equipment"])
    columns = [
        "center_id",
        "status",
        "equipment",
        "code",
        "name_vi",
        "name_en",
        "region_code",
        "region_name_vi",
        "region_name_en",
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    centers = centers_frame(session, filters)
    rows = to_answering_center(rows, centers.set_index("id"))
    counts = rows.groupby(["center_id", "status"], as_index=False)["equipment"].sum()
    info = centers[["id", "code", "name_vi", "name_en", "region_code", "region_name_vi", "region_name_en"]]
    return counts.merge(info, left_on="center_id", right_on="id")[columns]


@shares_reads
def equipment_status(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per equipment in scope with its due date and status, most urgent first."""
    query = status_query(
        session,
        filters,
        lambda status, due, last_on: [
            col(Equipment.id),
            col(Equipment.center_id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(Equipment.quantity_code),
            col(Equipment.instrument_type_code),
            col(Equipment.is_reference_standard),
            last_on.label("last_calibrated_on"),
            due.label("due_on"),
            status,
        ],
    )
    columns = [
        "equipment_id",
        "center_id",
        "name",
        "serial_no",
        "quantity_code",
        "instrument_type_code",
        "is_reference_standard",
        "last_calibrated_on",
        "due_on",
        "status",
    ]
    frame = query_frame(session, query, columns)
    centers = centers_frame(session, filters).set_index("id")
    frame = to_answering_center(frame, centers)
    frame["center_code"] = frame["center_id"].map(centers["code"])
    frame["days_to_due"] = frame["due_on"].map(
        lambda due: (due - filters.as_of).days if pd.notna(due) else None
    )
    frame["status"] = pd.Categorical(frame["status"], categories=STATUS_ORDER, ordered=True)
    return frame.sort_values(["status", "due_on", "center_code"], na_position="last").reset_index(drop=True)
