"""A center's services and cooperation records in exactly the columns their imports read.

What the data page offers here imports back unchanged (services.record_imports and
services.record_imports_cooperation): ranges and uncertainties as their import reads them, dates
in ISO, an agreement's stage history in one cell, an event's centers by code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.cells import format_number, format_uncertainty
from services.models import (
    Agreement,
    AgreementEvent,
    Capability,
    CapabilityStandard,
    Center,
    Equipment,
    Event,
    EventParticipant,
    ServiceVolume,
)
from services.record_imports import (
    CAPABILITY_COLUMNS,
    CAPABILITY_STANDARD_COLUMNS,
    VOLUME_COLUMNS,
    format_month,
)
from services.record_imports_cooperation import AGREEMENT_COLUMNS, EVENT_COLUMNS, format_history
from services.spreadsheet_safety import frame_to_csv


def _names(columns: tuple) -> list[str]:
    return [column.name for column in columns]


def _uncertainty(capability: Capability) -> str:
    if capability.uncertainty_relative:
        return f"{format_number(capability.uncertainty_value)} %"
    return format_uncertainty(capability.uncertainty_value, capability.uncertainty_unit)


def capabilities_frame(session: Session, *, center_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Capability)
        .where(col(Capability.center_id) == center_id)
        .order_by(Capability.instrument_type_code, Capability.service)
    ).scalars()
    return pd.DataFrame(
        [
            {
                "instrument_type": c.instrument_type_code,
                "service": c.service,
                "range": c.range_text,
                "uncertainty": _uncertainty(c),
                "annual_capacity": c.annual_capacity,
                "accredited": "true" if c.accredited else "false",
                "designated": "true" if c.designated else "false",
            }
            for c in rows
        ],
        columns=_names(CAPABILITY_COLUMNS),
    )


def capability_standards_frame(session: Session, *, center_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(col(Capability.instrument_type_code), col(Capability.service), col(Equipment.serial_no))
        .join(CapabilityStandard, col(CapabilityStandard.capability_id) == col(Capability.id))
        .join(Equipment, col(Equipment.id) == col(CapabilityStandard.equipment_id))
        .where(col(Capability.center_id) == center_id)
        .order_by(Capability.instrument_type_code, Capability.service, Equipment.serial_no)
    ).all()
    return pd.DataFrame(rows, columns=_names(CAPABILITY_STANDARD_COLUMNS))


def volumes_frame(session: Session, *, center_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(
            col(ServiceVolume.instrument_type_code),
            col(ServiceVolume.service),
            col(ServiceVolume.month),
            col(ServiceVolume.count),
        )
        .where(col(ServiceVolume.center_id) == center_id)
        .order_by(
            col(ServiceVolume.month), col(ServiceVolume.instrument_type_code), col(ServiceVolume.service)
        )
    ).all()
    return pd.DataFrame([(t, s, format_month(m), n) for t, s, m, n in rows], columns=_names(VOLUME_COLUMNS))


def agreements_frame(session: Session, *, center_id: int) -> pd.DataFrame:
    institute = aliased(Center)
    agreements = session.execute(
        select(Agreement, col(institute.code))
        .join(institute, col(institute.id) == col(Agreement.institute_id))
        .where(col(Agreement.center_id) == center_id)
        .order_by(col(Agreement.proposed_on), col(Agreement.id))
    ).all()
    history: dict[int, list] = {}
    for agreement_id, stage, day in session.execute(
        select(col(AgreementEvent.agreement_id), col(AgreementEvent.stage), col(AgreementEvent.changed_on))
        .join(Agreement, col(Agreement.id) == col(AgreementEvent.agreement_id))
        .where(col(Agreement.center_id) == center_id)
        .order_by(col(AgreementEvent.agreement_id), col(AgreementEvent.changed_on), col(AgreementEvent.id))
    ):
        history.setdefault(agreement_id, []).append((stage, day))
    return pd.DataFrame(
        [
            {
                "institute": code,
                "title_vi": a.title_vi,
                "title_en": a.title_en,
                "history": format_history(history.get(a.id, [])),
                "expires_on": a.expires_on.isoformat() if a.expires_on else "",
                "scope_fields": a.scope_fields,
                "source": a.source,
            }
            for a, code in agreements
        ],
        columns=_names(AGREEMENT_COLUMNS),
    )


def events_frame(session: Session, *, center_id: int) -> pd.DataFrame:
    """The events the center took part in, each with every center that did."""
    taking_part = select(col(EventParticipant.event_id)).where(col(EventParticipant.center_id) == center_id)
    events = (
        session.execute(
            select(Event).where(col(Event.id).in_(taking_part)).order_by(col(Event.held_on), col(Event.id))
        )
        .scalars()
        .all()
    )
    codes: dict[int, list[str]] = {}
    for event_id, code in session.execute(
        select(col(EventParticipant.event_id), col(Center.code))
        .join(Center, col(Center.id) == col(EventParticipant.center_id))
        .where(col(EventParticipant.event_id).in_(taking_part))
        .order_by(Center.code)
    ):
        codes.setdefault(event_id, []).append(code)
    return pd.DataFrame(
        [
            {
                "held_on": e.held_on.isoformat(),
                "title_vi": e.title_vi,
                "title_en": e.title_en,
                "place_vi": e.place_vi,
                "place_en": e.place_en,
                "kind": e.kind,
                "participants": ", ".join(codes.get(e.id, [])),
                "summary_vi": e.summary_vi,
                "summary_en": e.summary_en,
                "source": e.source,
            }
            for e in events
        ],
        columns=_names(EVENT_COLUMNS),
    )


FRAMES: Final[dict[str, Callable[..., pd.DataFrame]]] = {
    "capability": capabilities_frame,
    "capability_standard": capability_standards_frame,
    "service_volume": volumes_frame,
    "agreement": agreements_frame,
    "event": events_frame,
}


def export_csv(session: Session, kind: str, *, center_id: int) -> bytes:
    """The center's records of ``kind`` as CSV (BOM for Excel, formula-safe), ready to import back."""
    return frame_to_csv(FRAMES[kind](session, center_id=center_id)).encode("utf-8-sig")
