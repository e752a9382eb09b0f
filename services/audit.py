"""The audit trail: every change to the data, who made it, when, and the row before and after."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, select
from sqlmodel import Session, col

from services.models import AuditLog, Center

AUDIT_COLUMNS = ["at", "username", "center_code", "table_name", "row_id", "action", "before", "after"]
DEFAULT_LIMIT = 500
LOCAL_TIME_ZONE = "Asia/Ho_Chi_Minh"  # stored in UTC, shown as the clock on the wall in Vietnam


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def snapshot(row: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """A model's columns (or some of them) as JSON-ready values."""
    data = row.model_dump() if hasattr(row, "model_dump") else dict(row)
    if fields is not None:
        data = {name: data.get(name) for name in fields}
    return {name: _plain(value) for name, value in data.items()}


def record_change(
    session: Session,
    *,
    username: str,
    table_name: str,
    row_id: object,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    center_id: int | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit row in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditLog(
        at=at or datetime.now(UTC),
        username=username,
        table_name=table_name,
        row_id=str(row_id),
        action=action,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True, default=_plain)
        if before is not None
        else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True, default=_plain)
        if after is not None
        else None,
        center_id=center_id,
    )
    session.add(entry)
    return entry


def audit_log(
    session: Session,
    *,
    center_id: int | None = None,
    table_name: str | None = None,
    username: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Newest changes first, optionally of one center, table, user or period (local days, inclusive)."""
    query: Select = (
        select(
            col(AuditLog.id),
            col(AuditLog.at),
            col(AuditLog.username),
            col(Center.code).label("center_code"),
            col(AuditLog.table_name),
            col(AuditLog.row_id),
            col(AuditLog.action),
            col(AuditLog.before),
            col(AuditLog.after),
        )
        .select_from(AuditLog)
        .outerjoin(Center, col(Center.id) == col(AuditLog.center_id))
        .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
        .limit(limit)
    )
    if center_id is not None:
        query = query.where(col(AuditLog.center_id) == center_id)
    if table_name:
        query = query.where(col(AuditLog.table_name) == table_name)
    if username:
        query = query.where(col(AuditLog.username) == username)
    if since:
        query = query.where(col(AuditLog.at) >= datetime.combine(since, time.min, ZoneInfo(LOCAL_TIME_ZONE)))
    if until:
        query = query.where(
            col(AuditLog.at)
            < datetime.combine(until + timedelta(days=1), time.min, ZoneInfo(LOCAL_TIME_ZONE))
        )
    frame = pd.DataFrame(session.execute(query).all(), columns=["id", *AUDIT_COLUMNS])
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(LOCAL_TIME_ZONE).dt.tz_localize(None)
    return frame


def audit_tables(session: Session, *, center_id: int | None = None) -> list[str]:
    """The tables that have audit rows (for the filter), optionally for one center."""
    query = select(col(AuditLog.table_name)).distinct().order_by(AuditLog.table_name)
    if center_id is not None:
        query = query.where(col(AuditLog.center_id) == center_id)
    return list(session.execute(query).scalars())
