"""Writing calibration certificates, keeping the equipment's stored due date in step."""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from services.models import CalibrationRecord, CalibrationResult, Equipment


def due_date_for(equipment: Equipment, record: CalibrationRecord) -> None:
    """A failed certificate vouches for nothing, so its due date is its own date."""
    if record.result == CalibrationResult.FAIL:
        record.due_on = record.calibrated_on
    elif record.due_on is None:
        record.due_on = record.calibrated_on + relativedelta(months=equipment.calibration_interval_months)


def add_calibration(session: Session, record: CalibrationRecord) -> CalibrationRecord:
    """Add one certificate and refresh Equipment.last_calibrated_on / next_due_on (same transaction).

    The stored columns mirror the latest certificate, so views "as of today" need not search the
    history; the caller commits (or rolls back) both together.
    """
    equipment = session.get(Equipment, record.equipment_id)
    if equipment is None:
        raise ValueError(f"No equipment with id {record.equipment_id}")
    due_date_for(equipment, record)
    session.add(record)
    session.flush()
    latest = session.exec(
        select(CalibrationRecord)
        .where(CalibrationRecord.equipment_id == equipment.id)
        .order_by(col(CalibrationRecord.calibrated_on).desc(), col(CalibrationRecord.id).desc())
        .limit(1)
    ).one()
    equipment.last_calibrated_on = latest.calibrated_on
    equipment.next_due_on = latest.due_on
    session.add(equipment)
    return record
