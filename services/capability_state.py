"""Whether each capability is in force on a day, from the standards that support it: derived, never stored.

A capability is

* ``in_force`` while at least two of its supporting standards are in date and one of them is not
  due within the due-soon window;
* ``at_risk`` while only one is in date, or every one in date falls due within the window;
* ``suspended`` when none is in date: overdue, failed (a failed certificate is due on its own
  day), in repair, retired, never calibrated, not yet bought, or no standard recorded at all.

"In date" is ``services.calibration``'s status on the day (the stored due date for a view of
today, the certificate history for a past day): due soon still counts as in date. A standard in
repair (its equipment status) is out of service whatever its certificate says.

Views count a capability while it is not suspended (an at-risk capability still serves; it is a
warning). A database that records no supporting standard at all (one kept before these links
existed) has nothing to derive a state from: every capability counts there, as it always did.

Everything runs in SQL over all capabilities at once; ``out_of_service`` takes standards out as
if they were overdue, for "what the network loses" (``services.network_loss``).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

import pandas as pd
from sqlalchemy import ColumnElement, Integer, Select, case, exists, func, literal, select, true
from sqlalchemy import cast as sql_cast
from sqlmodel import Session, col

from services.calibration import WITHIN_DATE_STATUSES, CalibrationStatus, status_query
from services.filters import Filters
from services.frames import query_frame
from services.holdings import in_repair_on, status_on
from services.models import Capability, CapabilityStandard, Equipment, EquipmentStatus


class CapabilityState(StrEnum):
    IN_FORCE = "in_force"
    AT_RISK = "at_risk"
    SUSPENDED = "suspended"


STATE_COLUMNS = [
    "capability_id",
    "center_id",
    "instrument_type_code",
    "service",
    "standards",
    "standards_in_date",
    "standards_clear",
    "state",
]


def links_recorded(session: Session) -> bool:
    """Whether the database records which standards support its capabilities at all."""
    return bool(
        session.execute(select(exists().where(col(CapabilityStandard.capability_id).is_not(None)))).scalar()
    )


def standard_status_query(session: Session, filters: Filters) -> Select:
    """Every piece of equipment held on the day with its calibration status and whether it is in
    date (status in date or due soon, and in service)."""

    def pick(status, _due, _last):
        return [
            Equipment.id.label("equipment_id"),
            status,
            status_on(filters.as_of),
        ]

    return status_query(session, filters.whole_network(), pick)  # a standard supports wherever the view looks


def _in_date(standards, out_of_service: Collection[int]):
    condition = standards.c.calibration_status.in_(WITHIN_DATE_STATUSES) & (
        standards.c.equipment_status != EquipmentStatus.REPAIR.value
    )
    if out_of_service:
        condition &= standards.c.equipment_id.not_in([int(i) for i in out_of_service])
    return condition


def counted_capability_ids(
    session: Session, filters: Filters, *, out_of_service: Collection[int] = ()
) -> Select | None:
    """A SELECT of the ids of the capabilities that count on the day (not suspended), to use in
    ``Capability.id.in_(...)``; None when the database records no links (every capability counts)."""
    if not links_recorded(session):
        return None
    return select(col(Capability.id)).where(_supported_on_day(session, filters, out_of_service))


def _supported_on_day(
    session: Session, filters: Filters, out_of_service: Collection[int]
) -> ColumnElement[bool]:
    """EXISTS a supporting standard of ``Capability`` held, in date and in service on the day.

    The same rule as ``_in_date`` over ``standard_status_query`` (in date or due soon is a due
    date on or after the day; held already leaves retired items out, so "not in repair" is what
    remains of the item's status), written as one correlated probe per capability: it stops at
    the first standard found instead of classifying every linked standard of the network first.
    """
    picked: dict[str, ColumnElement] = {}

    def pick(_status, due, _last):
        picked["due"] = due
        return [literal(1)]

    # a standard supports wherever the view looks: the whole network, whatever the filters
    probe = status_query(session, filters.whole_network(), pick)
    probe = probe.where(
        col(Equipment.id) == col(CapabilityStandard.equipment_id),
        col(CapabilityStandard.capability_id) == col(Capability.id),
        picked["due"] >= filters.as_of,
        ~in_repair_on(filters.as_of),
    )
    if out_of_service:
        probe = probe.where(col(Equipment.id).not_in([int(i) for i in out_of_service]))
    return probe.correlate(Capability).exists()


def in_force(
    session: Session, filters: Filters, *, out_of_service: Collection[int] = ()
) -> ColumnElement[bool]:
    """A condition on ``Capability.id``: the capability counts on the day (is not suspended). True for
    every capability when the database records no links. Where a query keeps only these:
    ``query.where(in_force(session, filters))``; as a column: ``in_force(...).label("in_force")``."""
    if not links_recorded(session):
        return true()
    return _supported_on_day(session, filters, out_of_service)


def capability_states(
    session: Session, filters: Filters, *, out_of_service: Collection[int] = ()
) -> pd.DataFrame:
    """One row per capability (every center, every type) with its standards and state on the day.

    ``standards``: links recorded; ``standards_in_date``: of those, in date on the day;
    ``standards_clear``: in date and not due within the window.
    """
    # every item's status once, then joined to the links (nearly every item is someone's standard):
    # inlined, the status would be worked out again per link and per mention below
    standards = standard_status_query(session, filters).cte("standards").prefix_with("MATERIALIZED")
    in_date = _in_date(standards, out_of_service)
    clear = in_date & (standards.c.calibration_status == CalibrationStatus.IN_DATE.value)
    as_int = lambda condition: func.coalesce(func.sum(sql_cast(case((condition, 1), else_=0), Integer)), 0)  # noqa: E731
    per_capability = (
        select(
            col(CapabilityStandard.capability_id),
            func.count().label("standards"),
            as_int(in_date).label("in_date"),
            as_int(clear).label("clear"),
        )
        .outerjoin(standards, standards.c.equipment_id == CapabilityStandard.equipment_id)
        .group_by(col(CapabilityStandard.capability_id))
        .subquery()
    )
    query = (
        select(
            col(Capability.id),
            col(Capability.center_id),
            col(Capability.instrument_type_code),
            col(Capability.service),
            func.coalesce(per_capability.c.standards, 0),
            func.coalesce(per_capability.c.in_date, 0),
            func.coalesce(per_capability.c.clear, 0),
        )
        .outerjoin(per_capability, per_capability.c.capability_id == Capability.id)
        .order_by(col(Capability.id))
    )
    frame = query_frame(session, query, STATE_COLUMNS[:-1])
    for column in ("standards", "standards_in_date", "standards_clear"):
        frame[column] = frame[column].astype(int)
    frame["state"] = state_of(
        frame["standards_in_date"], frame["standards_clear"], recorded=links_recorded(session)
    )
    return frame


def state_of(in_date: pd.Series, clear: pd.Series, *, recorded: bool = True) -> pd.Series:
    """The rule, on counts of in-date standards and of those not due within the window."""
    if not recorded:
        return pd.Series(CapabilityState.IN_FORCE.value, index=in_date.index, dtype=object)
    state = pd.Series(CapabilityState.IN_FORCE.value, index=in_date.index, dtype=object)
    state[(in_date == 1) | (clear == 0)] = CapabilityState.AT_RISK.value
    state[in_date == 0] = CapabilityState.SUSPENDED.value
    return state


LINKED_STANDARD_COLUMNS = [
    "capability_id",
    "equipment_id",
    "name",
    "serial_no",
    "is_reference_standard",
    "equipment_status",
    "status",
    "due_on",
    "in_date",
]


def linked_standards(session: Session, filters: Filters, capability_ids: Collection[int]) -> pd.DataFrame:
    """The standards of some capabilities with each one's status on the day and whether it is in date.

    Status is ``services.calibration``'s; a standard not held on the day (bought later, retired)
    has none, and ``in_date`` is False for it, as it is for one in repair.
    """
    if not capability_ids:
        return pd.DataFrame(columns=LINKED_STANDARD_COLUMNS)

    def pick(status, due, _last):
        return [Equipment.id.label("equipment_id"), status, due.label("due_on")]

    standards = status_query(session, filters.whole_network(), pick).subquery()
    query = (
        select(
            col(CapabilityStandard.capability_id),
            col(Equipment.id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(Equipment.is_reference_standard),
            status_on(filters.as_of),
            standards.c.calibration_status,
            standards.c.due_on,
        )
        .join(Equipment, col(Equipment.id) == col(CapabilityStandard.equipment_id))
        .outerjoin(standards, standards.c.equipment_id == CapabilityStandard.equipment_id)
        .where(col(CapabilityStandard.capability_id).in_([int(i) for i in capability_ids]))
        .order_by(
            col(CapabilityStandard.capability_id),
            col(Equipment.is_reference_standard).desc(),
            Equipment.name,
            Equipment.serial_no,
        )
    )
    frame = query_frame(session, query, LINKED_STANDARD_COLUMNS[:-1])
    frame["is_reference_standard"] = frame["is_reference_standard"].astype(bool)
    frame["in_date"] = frame["status"].isin(WITHIN_DATE_STATUSES) & (
        frame["equipment_status"] != EquipmentStatus.REPAIR.value
    )
    return frame


__all__ = [
    "LINKED_STANDARD_COLUMNS",
    "CapabilityState",
    "capability_states",
    "counted_capability_ids",
    "in_force",
    "linked_standards",
    "links_recorded",
    "state_of",
]
