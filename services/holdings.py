"""What a center held on a day, and how each item stood then: in service, in repair or retired.

``Equipment.status`` is how an item stands today. A view of a past day must not apply it: an item
retired last month was held a year ago, and one back from repair was in repair then. The spans
out of service are kept in ``equipment_status_period``; every query that asks "held on the day" or
"in repair on the day" goes through the expressions here, and every write that changes a status
records its span with ``record_status_change``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, case, exists, literal, or_
from sqlmodel import Session, col, select

from services.models import Equipment, EquipmentStatus, EquipmentStatusPeriod

_PERIOD = EquipmentStatusPeriod


def _retired_by(day: date) -> ColumnElement[bool]:
    return exists().where(
        col(_PERIOD.equipment_id) == col(Equipment.id),
        col(_PERIOD.status) == EquipmentStatus.RETIRED.value,
        col(_PERIOD.start_on) <= day,
    )


def in_repair_on(day: date) -> ColumnElement[bool]:
    """In a repair span on ``day`` (the item's equipment status then, short of retired)."""
    return exists().where(
        col(_PERIOD.equipment_id) == col(Equipment.id),
        col(_PERIOD.status) == EquipmentStatus.REPAIR.value,
        col(_PERIOD.start_on) <= day,
        or_(col(_PERIOD.end_on).is_(None), col(_PERIOD.end_on) > day),
    )


def held_on(day: date) -> ColumnElement[bool]:
    """Bought by ``day`` and not yet retired on it."""
    return and_(col(Equipment.acquired_on) <= day, ~_retired_by(day))


def status_on(day: date) -> ColumnElement[str]:
    """The item's status on ``day`` (retired, repair or in_service), labelled ``equipment_status``."""
    return case(
        (_retired_by(day), literal(EquipmentStatus.RETIRED.value)),
        (in_repair_on(day), literal(EquipmentStatus.REPAIR.value)),
        else_=literal(EquipmentStatus.IN_SERVICE.value),
    ).label("equipment_status")


def record_status_change(session: Session, equipment_id: int, old: str | None, new: str, day: date) -> None:
    """Keep the spans in step with a status written on ``day`` (in the caller's transaction).

    Leaving repair closes the open repair span; entering repair or retirement opens one. Writing the
    status an item already has changes nothing.
    """
    if old == new:
        return
    if old == EquipmentStatus.REPAIR.value:
        open_repair = session.exec(
            select(_PERIOD).where(
                _PERIOD.equipment_id == equipment_id,
                col(_PERIOD.status) == EquipmentStatus.REPAIR.value,
                col(_PERIOD.end_on).is_(None),
            )
        ).all()
        for period in open_repair:
            period.end_on = day
            session.add(period)
    if new in (EquipmentStatus.REPAIR.value, EquipmentStatus.RETIRED.value):
        session.add(_PERIOD(equipment_id=equipment_id, status=new, start_on=day))
