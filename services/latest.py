"""The latest row per key as of a day: a certificate in force, an agreement's stage on a date.

One window query for every "as of" reading of a history table: per key, the row dated on or before
the day, the newest first and, between rows of the same day, the one entered last (highest id).
Portable: ``row_number()`` over a partition runs the same on SQLite and PostgreSQL. One reading does
not come here: the calibration status of a past day (``services.calibration``) looks up each item's
latest certificate with one probe of the index on (equipment_id, calibrated_on), since ranking every
certificate up to the day means sorting a million rows at national scale.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, select


def latest_rows(
    key: Any,
    dated: Any,
    entered: Any,
    as_of: date,
    *columns: Any,
    where: tuple[ColumnElement[bool], ...] = (),
) -> Subquery:
    """A subquery of ``key`` and ``columns`` (by their names) holding, per key, the row with the
    latest ``dated`` on or before ``as_of``, ties broken by the highest ``entered`` (the id).
    ``where`` narrows the rows considered (which keys, say)."""
    ranked = (
        select(
            key,
            *columns,
            func.row_number().over(partition_by=key, order_by=(dated.desc(), entered.desc())).label("rank"),
        )
        .where(dated <= as_of, *where)
        .subquery()
    )
    names = [key.name, *(column.name for column in columns)]
    return select(*(ranked.c[name] for name in names)).where(ranked.c.rank == 1).subquery()
