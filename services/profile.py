"""Everything about one center: who it is, what it holds, what it offers, and how busy it is.

A center closed by the 2025 merger hands its equipment, services and volumes to its successor,
so after that day the successor's profile includes what its predecessors held (each row keeps the
code of the center that actually holds it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Integer, Select, cast, func, or_, select, true
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col
from sqlmodel import select as select_models

from services.calibration import CalibrationStatus, equipment_status, status_counts
from services.capability_state import LINKED_STANDARD_COLUMNS, capability_states, in_force, linked_standards
from services.cooperation import agreement_details, event_list, pipeline_counts, stage_history
from services.filters import Filters
from services.holdings import held_on, status_on
from services.models import (
    Capability,
    Center,
    Equipment,
    InstrumentType,
    MeasurementField,
    Quantity,
    ServiceVolume,
)
from services.network import (
    center_ids_in_scope,
    center_name_on,
    centers_frame,
    provinces_frame,
    shares_reads,
)
from services.recognition import counted, is_accredited, is_designated, recognitions


@dataclass(frozen=True)
class Predecessor:
    code: str
    name_vi: str
    name_en: str
    active_to: date | None

    @property
    def merged_on(self) -> date | None:
        """The first day the successor answers for it."""
        return self.active_to + timedelta(days=1) if self.active_to else None


@dataclass(frozen=True)
class CenterSummary:
    """Identity, place and headline numbers of one center on ``as_of``."""

    id: int
    code: str
    name_vi: str
    name_en: str
    kind: str
    accreditation_no: str | None
    lat: float
    lon: float
    # the province as recorded (2024 boundaries for the 25 old provinces) and since the 2025 merger
    province_code: str
    province_name_vi: str
    province_name_en: str
    province_today_code: str
    province_today_name_vi: str
    province_today_name_en: str
    active: bool  # on as_of
    active_to: date | None
    successor_code: str | None
    successor_name_vi: str | None
    successor_name_en: str | None
    predecessors: tuple[Predecessor, ...] = field(default_factory=tuple)
    predecessors_merged: bool = False  # on as_of, the predecessors' equipment counts here
    equipment: int = 0
    reference_standards: int = 0
    overdue: int = 0
    due_soon: int = 0
    never_calibrated: int = 0
    in_date_share: float = 0.0
    capabilities: int = 0
    accredited_capabilities: int = 0  # calibration and testing under VILAS accreditation
    designated_capabilities: int = 0  # verifications the state designated the center for
    agreements: int = 0


def scope_ids(session: Session, filters: Filters) -> list[int]:
    """Raw ids of the centers whose rows count for ``filters.center`` on ``as_of`` (none: empty)."""
    if not filters.center:
        return []
    centers = centers_frame(session, filters)
    return (
        center_ids_in_scope(
            centers, Filters(as_of=filters.as_of, center=filters.center, boundaries=filters.boundaries)
        )
        or []
    )


@shares_reads  # the centers of the day, read by each count below, are read once
def center_summary(session: Session, filters: Filters) -> CenterSummary | None:
    """The chosen center with its place, status, successor/predecessors and headline numbers.

    Over 60 lines only for the one ``CenterSummary(...)`` call at the end, a field a line."""
    if not filters.center:
        return None
    center = session.exec(select_models(Center).where(Center.code == filters.center)).first()
    if center is None:
        return None
    assert center.id is not None  # read from the database, so it has its key
    provinces = provinces_frame(session).set_index("key")
    own = provinces.loc[center.province_key]
    today_key = own["successor_key"] if pd.notna(own["successor_key"]) else center.province_key
    today = provinces.loc[today_key]
    successor = session.get(Center, center.successor_id) if center.successor_id else None
    predecessors = _predecessors(session, center)
    ids = scope_ids(session, filters)
    counts = (
        status_counts(session, filters).groupby("status")["equipment"].sum() if ids else pd.Series(dtype=int)
    )
    total = int(counts.sum())

    def count(status: CalibrationStatus) -> int:
        return int(counts.get(status.value, 0))

    references = _reference_standard_count(session, filters, ids) if ids else 0
    capabilities, accredited, designated = _capability_counts(session, filters, ids) if ids else (0, 0, 0)
    # counted in SQL by stage (the same agreements and field rule as the cooperation tab's list)
    agreement_count = int(pipeline_counts(session, filters)["agreements"].sum()) if ids else 0
    active = center.active_to is None or center.active_to >= filters.as_of
    name_vi, name_en = center_name_on(session, center, filters.as_of)
    return CenterSummary(
        id=int(center.id),
        code=center.code,
        name_vi=name_vi,
        name_en=name_en,
        kind=center.kind,
        accreditation_no=center.accreditation_no,
        lat=center.lat,
        lon=center.lon,
        province_code=str(own["code"]),
        province_name_vi=str(own["name_vi"]),
        province_name_en=str(own["name_en"]),
        province_today_code=str(today["code"]),
        province_today_name_vi=str(today["name_vi"]),
        province_today_name_en=str(today["name_en"]),
        active=active,
        active_to=center.active_to,
        successor_code=successor.code if successor else None,
        successor_name_vi=successor.name_vi if successor else None,
        successor_name_en=successor.name_en if successor else None,
        predecessors=predecessors,
        predecessors_merged=any(
            p.active_to is not None and p.active_to < filters.as_of for p in predecessors
        ),
        equipment=total,
        reference_standards=int(references),
        overdue=count(CalibrationStatus.OVERDUE),
        due_soon=count(CalibrationStatus.DUE_SOON),
        never_calibrated=count(CalibrationStatus.NEVER),
        in_date_share=(count(CalibrationStatus.IN_DATE) + count(CalibrationStatus.DUE_SOON)) / total
        if total
        else 0.0,
        capabilities=int(capabilities),
        accredited_capabilities=int(accredited),
        designated_capabilities=int(designated),
        agreements=agreement_count,
    )


def _predecessors(session: Session, center: Center) -> tuple[Predecessor, ...]:
    """The centers that hand over (or handed over) to ``center``, by code."""
    query = select_models(Center).where(Center.successor_id == center.id).order_by(Center.code)
    return tuple(
        Predecessor(code=c.code, name_vi=c.name_vi, name_en=c.name_en, active_to=c.active_to)
        for c in session.exec(query)
    )


def _reference_standard_count(session: Session, filters: Filters, ids: list[int]) -> int:
    query = (
        select(func.count())
        .select_from(Equipment)
        .join(Quantity, col(Quantity.code) == col(Equipment.quantity_code))
        .where(*_equipment_conditions(filters, ids), col(Equipment.is_reference_standard).is_(True))
    )
    return int(session.exec(query).one()[0])  # type: ignore[call-overload]


def _capability_counts(session: Session, filters: Filters, ids: list[int]) -> tuple[int, int, int]:
    """Capabilities in force on the day (``services.capability_state``): all, accredited, designated."""
    query = _capability_query(
        filters,
        ids,
        [
            func.count(),
            func.coalesce(func.sum(counted(is_accredited())), 0),
            func.coalesce(func.sum(counted(is_designated())), 0),
        ],
    ).where(in_force(session, filters))
    capabilities, accredited, designated = session.exec(query).one()  # type: ignore[call-overload]
    return int(capabilities), int(accredited), int(designated)


def _equipment_conditions(filters: Filters, ids: list[int]) -> list[ColumnElement[bool]]:
    """Equipment held on ``as_of`` (bought by then, not retired) by the centers in scope.

    Callers join Quantity (the field filter reads it).
    """
    return [
        col(Equipment.center_id).in_(ids),
        held_on(filters.as_of),
        *_catalog_conditions(filters, col(Equipment.instrument_type_code)),
    ]


def _catalog_conditions(
    filters: Filters, type_code: Mapped[Any], service: Mapped[Any] | None = None
) -> list[ColumnElement[bool]]:
    """The field, instrument type and (where the rows have one) service the filters ask for.

    Callers join Quantity (the field filter reads it).
    """
    conditions: list[ColumnElement[bool]] = []
    if filters.field:
        conditions.append(col(Quantity.field_code) == filters.field)
    if filters.instrument_type:
        conditions.append(type_code == filters.instrument_type)
    if filters.service and service is not None:
        conditions.append(service == filters.service)
    return conditions


def equipment_by_field(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment per measurement field (reference standards apart), counted in SQL."""
    columns = ["field_code", "field_vi", "field_en", "sort_order", "equipment", "reference_standards"]
    ids = scope_ids(session, filters)
    if not ids:
        return pd.DataFrame(columns=columns)
    reference = func.sum(cast(Equipment.is_reference_standard, Integer))
    query = (
        select(
            col(MeasurementField.code),
            col(MeasurementField.name_vi),
            col(MeasurementField.name_en),
            col(MeasurementField.sort_order),
            func.count(),
            reference,
        )
        .select_from(Equipment)
        .join(Quantity, col(Quantity.code) == col(Equipment.quantity_code))
        .join(MeasurementField, col(MeasurementField.code) == col(Quantity.field_code))
        .where(*_equipment_conditions(filters, ids))
        .group_by(
            MeasurementField.code,
            MeasurementField.name_vi,
            MeasurementField.name_en,
            col(MeasurementField.sort_order),
        )
        .order_by(col(MeasurementField.sort_order))
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    frame["reference_standards"] = frame["reference_standards"].astype(int)
    frame["working"] = frame["equipment"] - frame["reference_standards"]
    return frame


EQUIPMENT_LIST_COLUMNS = [
    "equipment_id",
    "holder_code",
    "field_code",
    "field_vi",
    "field_en",
    "quantity_vi",
    "quantity_en",
    "type_vi",
    "type_en",
    "name",
    "manufacturer",
    "model",
    "serial_no",
    "range_min",
    "range_max",
    "range_unit",
    "range_min_si",
    "range_max_si",
    "uncertainty_value",
    "uncertainty_unit",
    "uncertainty_relative",
    "is_reference_standard",
    "equipment_status",
    "acquired_on",
    "last_calibrated_on",
    "due_on",
    "status",
    "days_to_due",
]


def equipment_list(session: Session, filters: Filters) -> pd.DataFrame:
    """Each piece of equipment in scope: field, range as entered, uncertainty, calibration status."""
    ids = scope_ids(session, filters)
    if not ids:
        return pd.DataFrame(columns=EQUIPMENT_LIST_COLUMNS)
    details = pd.DataFrame(
        session.exec(_equipment_details_query(filters, ids)).all(),  # type: ignore[call-overload]
        columns=[*EQUIPMENT_LIST_COLUMNS[:24], "sort_order"],
    )
    status = equipment_status(session, filters)[
        ["equipment_id", "last_calibrated_on", "due_on", "status", "days_to_due"]
    ]
    frame = details.merge(status, on="equipment_id", how="inner")
    return frame.sort_values(
        ["sort_order", "is_reference_standard", "name", "serial_no"], ascending=[True, False, True, True]
    ).reset_index(drop=True)[EQUIPMENT_LIST_COLUMNS]


def _equipment_details_query(filters: Filters, ids: list[int]) -> Select:
    """What each piece of equipment is (``EQUIPMENT_LIST_COLUMNS`` up to ``acquired_on``), and its
    field's display order."""
    return (
        select(
            col(Equipment.id),
            col(Center.code),
            col(MeasurementField.code),
            col(MeasurementField.name_vi),
            col(MeasurementField.name_en),
            col(Quantity.name_vi),
            col(Quantity.name_en),
            col(InstrumentType.name_vi),
            col(InstrumentType.name_en),
            col(Equipment.name),
            col(Equipment.manufacturer),
            col(Equipment.model),
            col(Equipment.serial_no),
            col(Equipment.range_min),
            col(Equipment.range_max),
            col(Equipment.range_unit),
            col(Equipment.range_min_si),
            col(Equipment.range_max_si),
            col(Equipment.uncertainty_value),
            col(Equipment.uncertainty_unit),
            col(Equipment.uncertainty_relative),
            col(Equipment.is_reference_standard),
            status_on(filters.as_of),
            col(Equipment.acquired_on),
            col(MeasurementField.sort_order),
        )
        .select_from(Equipment)
        .join(Center, col(Center.id) == col(Equipment.center_id))
        .join(Quantity, col(Quantity.code) == col(Equipment.quantity_code))
        .join(MeasurementField, col(MeasurementField.code) == col(Quantity.field_code))
        .outerjoin(InstrumentType, col(InstrumentType.code) == col(Equipment.instrument_type_code))
        .where(*_equipment_conditions(filters, ids))
    )


def center_status_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Equipment of the center per calibration status, every status listed (zeros included)."""
    from services.calibration import STATUS_ORDER

    counts = pd.Series(0, index=STATUS_ORDER, dtype=int)
    if scope_ids(session, filters):
        found = status_counts(session, filters).groupby("status")["equipment"].sum()
        counts = counts.add(found, fill_value=0).reindex(STATUS_ORDER).astype(int)
    return pd.DataFrame({"status": STATUS_ORDER, "equipment": counts.to_numpy()})


def _capability_query(filters: Filters, ids: list[int], columns: list) -> Select:
    query = (
        select(*columns)
        .select_from(Capability)
        .join(InstrumentType, col(InstrumentType.code) == col(Capability.instrument_type_code))
        .join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
        .where(
            col(Capability.center_id).in_(ids),
            *_catalog_conditions(filters, col(Capability.instrument_type_code), col(Capability.service)),
        )
    )
    return query


CENTER_CAPABILITY_COLUMNS = [
    "capability_id",
    "holder_code",
    "field_code",
    "field_vi",
    "field_en",
    "instrument_type_code",
    "type_vi",
    "type_en",
    "legally_controlled",
    "service",
    "range_text",
    "range_min_si",
    "range_max_si",
    "uncertainty_value",
    "uncertainty_unit",
    "uncertainty_relative",
    "annual_capacity",
    "accredited",
    "designated",
    "recognition",
    "standards",
    "standards_in_date",
    "state",
]


def center_capabilities(session: Session, filters: Filters) -> pd.DataFrame:
    """The services the center offers: instrument type, service, range, best uncertainty, capacity,
    and its standing: ``designated`` for a verification, ``accredited`` (VILAS) for a calibration or
    test, each False where it cannot apply, and ``recognition`` naming it (services.recognition);
    ``state`` on the day (in force, at risk, suspended: ``services.capability_state``), from
    ``standards_in_date`` of its ``standards``. Suspended ones are listed too, saying so."""
    ids = scope_ids(session, filters)
    if not ids:
        return pd.DataFrame(columns=CENTER_CAPABILITY_COLUMNS)
    query = _capability_query(
        filters,
        ids,
        [
            Capability.id,
            Center.code,
            MeasurementField.code,
            MeasurementField.name_vi,
            MeasurementField.name_en,
            Capability.instrument_type_code,
            InstrumentType.name_vi,
            InstrumentType.name_en,
            InstrumentType.legally_controlled,
            Capability.service,
            Capability.range_text,
            Capability.range_min_si,
            Capability.range_max_si,
            Capability.uncertainty_value,
            Capability.uncertainty_unit,
            Capability.uncertainty_relative,
            Capability.annual_capacity,
            Capability.accredited,
            Capability.designated,
        ],
    )
    query = (
        query.join(Center, col(Center.id) == col(Capability.center_id))
        .join(MeasurementField, col(MeasurementField.code) == col(Quantity.field_code))
        .order_by(
            col(MeasurementField.sort_order),
            col(InstrumentType.name_vi),
            col(Capability.service),
            col(Center.code),
        )
    )
    frame = pd.DataFrame(session.exec(query).all(), columns=CENTER_CAPABILITY_COLUMNS[:-4])  # type: ignore[call-overload]
    frame["recognition"] = recognitions(frame)
    frame["accredited"] = frame["recognition"] == "accredited"
    frame["designated"] = frame["recognition"] == "designated"
    states = capability_states(session, filters).set_index("capability_id")
    for column in ("standards", "standards_in_date", "state"):
        frame[column] = frame["capability_id"].map(states[column])
    return frame[CENTER_CAPABILITY_COLUMNS]


def capability_standards(session: Session, filters: Filters) -> pd.DataFrame:
    """Which of the center's services hang on which standard: one row per capability and standard
    (a capability with none recorded gets one row without a standard), with the standard's status
    on the day, whether it is in date, and the capability's state."""
    described = ["capability_id", "holder_code", "instrument_type_code", "type_vi", "type_en", "service"]
    ranged = ["range_text", "range_min_si", "range_max_si"]  # the text as entered, its ends in SI
    columns = [*described, *ranged, "state", *LINKED_STANDARD_COLUMNS[1:]]
    capabilities = center_capabilities(session, filters)
    if capabilities.empty:
        return pd.DataFrame(columns=columns)
    standards = linked_standards(session, filters, [int(i) for i in capabilities["capability_id"]])
    frame = capabilities[[*described, *ranged, "state"]].merge(standards, on="capability_id", how="left")
    frame["in_date"] = frame["in_date"].fillna(False).astype(bool)
    return frame[columns].reset_index(drop=True)


def monthly_utilization(session: Session, filters: Filters) -> pd.DataFrame:
    """Work done per month against monthly capacity (annual capacity ÷ 12), summed in SQL.

    A month's capacity counts the capabilities of the centers open in that month, so a center
    closed by the merger stops adding capacity when it stops adding volume.
    """
    columns = ["month", "volume", "monthly_capacity", "utilization"]
    ids = scope_ids(session, filters)
    if not ids:
        return pd.DataFrame(columns=columns)
    volume_query: Select = (
        select(col(ServiceVolume.month).label("month"), func.sum(col(ServiceVolume.count)).label("volume"))
        .join(InstrumentType, col(InstrumentType.code) == col(ServiceVolume.instrument_type_code))
        .join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
        .where(
            col(ServiceVolume.center_id).in_(ids),
            col(ServiceVolume.month) <= filters.as_of,
            *_catalog_conditions(
                filters, col(ServiceVolume.instrument_type_code), col(ServiceVolume.service)
            ),
        )
    )
    volumes = volume_query.group_by(col(ServiceVolume.month)).subquery()
    capacity = (
        _capability_query(
            filters,
            ids,
            [
                volumes.c.month.label("month"),
                func.sum(Capability.annual_capacity).label("annual_capacity"),
            ],
        )
        .join(Center, col(Center.id) == col(Capability.center_id))
        .join(volumes, true())
        # a center closed during a month still worked part of it
        .where(or_(col(Center.active_to).is_(None), col(Center.active_to) >= volumes.c.month))
        .group_by(volumes.c.month)
        .subquery()
    )
    query = (
        select(volumes.c.month, volumes.c.volume, capacity.c.annual_capacity)
        .select_from(volumes)
        .outerjoin(capacity, capacity.c.month == volumes.c.month)
        .order_by(volumes.c.month)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=["month", "volume", "annual_capacity"])
    frame["volume"] = frame["volume"].astype(int)
    frame["monthly_capacity"] = frame["annual_capacity"].fillna(0).astype(float) / 12
    frame["utilization"] = (frame["volume"] / frame["monthly_capacity"]).where(frame["monthly_capacity"] > 0)
    return frame[columns]


@dataclass(frozen=True)
class CenterCooperation:
    agreements: pd.DataFrame
    stage_history: pd.DataFrame
    events: pd.DataFrame


def center_cooperation(session: Session, filters: Filters) -> CenterCooperation:
    """Agreements of the center with their stage on ``as_of`` and history, and its events.

    The agreements are ``services.cooperation.agreement_details`` rows (scope by name, "not
    published" where a real record's source is silent, the source cited), the events
    ``event_list`` rows (who took part, in words).
    """
    if not scope_ids(session, filters):
        empty = pd.DataFrame()
        return CenterCooperation(empty, empty, empty)
    scoped = Filters(
        as_of=filters.as_of, center=filters.center, field=filters.field, boundaries=filters.boundaries
    )
    return CenterCooperation(
        agreements=agreement_details(session, scoped),
        stage_history=stage_history(session, scoped),
        events=event_list(session, scoped),
    )


def equipment_needing_attention(session: Session, filters: Filters) -> pd.DataFrame:
    """Overdue, due-soon and never-calibrated equipment of the center, most urgent first."""
    frame = equipment_list(session, filters)
    urgent = frame[frame["status"].astype(str) != CalibrationStatus.IN_DATE.value]
    return urgent.sort_values(["status", "due_on", "holder_code", "name"], na_position="last").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class LatestUtilization:
    month: date
    volume: int
    monthly_capacity: float
    utilization: float
    average_12_months: float  # work over capacity summed across the last 12 months shown


def latest_utilization(monthly: pd.DataFrame) -> LatestUtilization:
    """The newest month of ``monthly_utilization`` and the utilization of the 12 months up to it."""
    latest = monthly.iloc[-1]
    recent = monthly.tail(12)
    capacity = float(recent["monthly_capacity"].sum())
    return LatestUtilization(
        month=latest["month"],
        volume=int(latest["volume"]),
        monthly_capacity=float(latest["monthly_capacity"]),
        utilization=float(latest["utilization"]) if pd.notna(latest["utilization"]) else 0.0,
        average_12_months=float(recent["volume"].sum()) / capacity if capacity else 0.0,
    )
