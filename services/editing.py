"""One center's own data: read it for editing and export, and save staff's edits with an audit trail.

Edits are optimistic: the editor loads each row with its version number, a save names the version
it started from, and a row changed since (by someone else, or by this user in another tab) is
refused with who changed it and when, so no save silently overwrites another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any, Final
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services import auth
from services.audit import LOCAL_TIME_ZONE, record_change, snapshot
from services.cells import (
    CellError,
    check_text,
    clean_cell,
    format_range,
    format_uncertainty,
    parse_bool,
    parse_int,
    parse_range_cell,
    parse_status,
    parse_uncertainty_cell,
)
from services.dataset import default_as_of
from services.holdings import record_status_change
from services.i18n import translate
from services.imports import closure
from services.messages import TranslatableMessage
from services.models import AuditLog, CalibrationRecord, Center, Equipment, Quantity
from services.text_rules import TEXT_RULES

EDITABLE: Final = (
    "name",
    "manufacturer",
    "model",
    "range",
    "uncertainty",
    "reference_standard",
    "status",
    "calibration_interval_months",
)
TEXT_LENGTH: Final = TEXT_RULES["name"].limit  # one table of caps for the import and the editor
EQUIPMENT_FRAME_COLUMNS: Final = [
    "id",
    "serial_no",
    "name",
    "quantity",
    "instrument_type",
    "manufacturer",
    "model",
    "range",
    "uncertainty",
    "reference_standard",
    "acquired_on",
    "status",
    "calibration_interval_months",
    "last_calibrated_on",
    "next_due_on",
]
CALIBRATION_FRAME_COLUMNS: Final = [
    "serial_no",
    "calibrated_on",
    "due_on",
    "provider",
    "certificate_no",
    "result",
    "measured_error",
    "uncertainty",
    "standard_serial",
]


def centers_for(session: Session, user: auth.SignedInUser, *, today: date) -> pd.DataFrame:
    """Centers the user may open here: staff their own; admins and viewers every open center."""
    query = select(col(Center.id), col(Center.code), col(Center.name_vi), col(Center.name_en)).order_by(
        Center.code
    )
    if not user.is_admin and user.center_id is not None:
        query = query.where(col(Center.id) == user.center_id)
    else:
        query = query.where(or_(col(Center.active_to).is_(None), col(Center.active_to) >= today))
    return pd.DataFrame(session.execute(query).all(), columns=["id", "code", "name_vi", "name_en"])


def _center_items(session: Session, center_id: int) -> list[Equipment]:
    return list(
        session.execute(
            select(Equipment).where(col(Equipment.center_id) == center_id).order_by(col(Equipment.serial_no))
        )
        .scalars()
        .all()
    )


def center_equipment(session: Session, *, center_id: int) -> pd.DataFrame:
    """Every piece of equipment of one center, ranges written back as text people can edit."""
    return _equipment_frame(_center_items(session, center_id))


def _equipment_frame(rows: list[Equipment]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": item.id,
                "serial_no": item.serial_no,
                "name": item.name,
                "quantity": item.quantity_code,
                "instrument_type": item.instrument_type_code or "",
                "manufacturer": item.manufacturer,
                "model": item.model,
                "range": format_range(item.range_min, item.range_max, item.range_unit),
                "uncertainty": format_uncertainty(item.uncertainty_value, item.uncertainty_unit),
                "reference_standard": bool(item.is_reference_standard),
                "acquired_on": item.acquired_on,
                "status": item.status,
                "calibration_interval_months": item.calibration_interval_months,
                "last_calibrated_on": item.last_calibrated_on,
                "next_due_on": item.next_due_on,
            }
            for item in rows
        ],
        columns=EQUIPMENT_FRAME_COLUMNS,
    )


def equipment_for_editing(session: Session, *, center_id: int) -> pd.DataFrame:
    """``center_equipment`` plus each row's ``version``, which a save must name (optimistic concurrency)."""
    items = _center_items(session, center_id)  # one read: each version belongs to the values beside it
    frame = _equipment_frame(items)
    frame["version"] = pd.Series([item.version for item in items], dtype="int64")
    return frame


def center_calibrations(session: Session, *, center_id: int) -> pd.DataFrame:
    """The certificates of one center's equipment, newest first, in the import file's columns."""
    standard = aliased(Equipment)
    rows = session.execute(
        select(
            col(Equipment.serial_no),
            col(CalibrationRecord.calibrated_on),
            col(CalibrationRecord.due_on),
            col(CalibrationRecord.provider_name),
            col(CalibrationRecord.certificate_no),
            col(CalibrationRecord.result),
            col(CalibrationRecord.measured_error),
            col(CalibrationRecord.uncertainty),
            col(standard.serial_no),
        )
        .join(Equipment, col(Equipment.id) == col(CalibrationRecord.equipment_id))
        .outerjoin(standard, col(standard.id) == col(CalibrationRecord.standard_used_id))
        .where(col(Equipment.center_id) == center_id)
        .order_by(col(CalibrationRecord.calibrated_on).desc(), Equipment.serial_no)
    ).all()
    return pd.DataFrame(rows, columns=CALIBRATION_FRAME_COLUMNS)


@dataclass(frozen=True)
class EditProblem(TranslatableMessage):
    serial: str
    column: str
    key: str
    params: dict[str, str] = field(default_factory=dict)

    def located(self, lang: str) -> str:
        return translate(
            "data.problem.equipment", lang, serial=self.serial, column=self.column, message=self.message(lang)
        )


@dataclass
class EditResult:
    changed: int = 0  # pieces of equipment changed
    problems: list[EditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def stale(self) -> bool:
        """Refused because a row changed since the editor loaded it: the editor must reload."""
        return any(problem.key.startswith("concurrency.edit.") for problem in self.problems)

    def problems_frame(self, lang: str) -> pd.DataFrame:
        return pd.DataFrame(
            [(p.serial, p.column, p.message(lang)) for p in self.problems],
            columns=["serial_no", "column", "message"],
        )


def _text(column: str):
    """A required text column: the import's rules and caps (services.text_rules), not a copy of them."""

    def read(value: Any) -> str:
        return check_text("" if value is None else str(value), column)

    return read


def _optional_text(value: Any, column: str) -> str:
    return clean_cell("" if value is None else str(value), column)


def _bool(value: Any) -> bool:
    return value if isinstance(value, bool) else parse_bool("" if value is None else str(value))


def _interval(value: Any) -> int:
    return parse_int("" if value is None else str(value))


def _new_values(item: Equipment, column: str, value: Any, si_unit: str | None) -> dict[str, Any]:
    """The stored columns that one edited cell sets (a range sets six)."""
    text = "" if value is None else str(value)
    if column == "name":
        return {"name": _text("name")(value)}
    if column in ("manufacturer", "model"):
        return {column: _optional_text(value, column)}
    if column == "reference_standard":
        return {"is_reference_standard": _bool(value)}
    if column == "status":
        return {"status": parse_status(text)}
    if column == "calibration_interval_months":
        return {"calibration_interval_months": _interval(value)}
    if column == "range":
        if text.strip() == format_range(item.range_min, item.range_max, item.range_unit):
            return {}
        parsed = parse_range_cell(clean_cell(text, column), si_unit, item.quantity_code)
        return {
            "range_min": parsed.low,
            "range_max": parsed.high,
            "range_unit": parsed.unit,
            "range_min_si": parsed.low_si,
            "range_max_si": parsed.high_si,
        }
    if column == "uncertainty":
        if not text.strip():
            return {"uncertainty_value": None, "uncertainty_unit": None, "uncertainty_relative": False}
        if text.strip() == format_uncertainty(item.uncertainty_value, item.uncertainty_unit):
            return {}
        parsed_u = parse_uncertainty_cell(
            clean_cell(text, column), si_unit, (item.range_max_si or 0.0) - (item.range_min_si or 0.0)
        )
        return {
            "uncertainty_value": parsed_u.value,
            "uncertainty_unit": parsed_u.unit,
            "uncertainty_relative": parsed_u.relative,
        }
    raise CellError("data.error.not_editable", column=column)


def save_equipment_edits(
    session: Session,
    *,
    username: str,
    center_code: str,
    changes: dict[int, dict[str, Any]],
    base_versions: Mapping[int, int] | None = None,
    today: date | None = None,
) -> EditResult:
    """Apply ``{equipment id: {column: new value}}`` to one center's equipment: all edits or none.

    ``base_versions`` gives, per edited row, the ``version`` it had when the editor loaded it
    (``equipment_for_editing``); a row changed since, or sent without its version, is refused as
    stale and nothing is saved. Only ``EDITABLE`` columns change; every changed piece of equipment
    gets an audit row with the changed columns before and after. Commits on success.
    A center closed by ``today`` (the database's "now" when None) is refused, as in the imports.
    """
    result = EditResult()
    center = session.execute(select(Center).where(col(Center.code) == center_code)).scalars().first()
    user = auth.signed_in_user(session, username)
    if center is None or user is None or not user.can_edit(center.id):
        result.problems.append(
            EditProblem("—", "—", "data.error.not_allowed", {"user": username, "center": center_code})
        )
        return result
    closed = closure(session, center, today or default_as_of(session, date.today()))
    if closed is not None:
        result.problems.append(EditProblem("—", "—", "data.error.center_closed_edit", closed))
        return result
    updates = _checked_updates(session, center, username, changes, result)
    if result.problems:
        session.rollback()
        return result
    versions = {int(key): int(value) for key, value in (base_versions or {}).items()}
    stale = [item for item, _ in updates if item.id is None or versions.get(item.id) != item.version]
    if not stale:
        try:
            stale = _write(session, updates, versions, username, center.id)
        except SQLAlchemyError as err:
            session.rollback()
            key = "data.error.conflict" if isinstance(err, IntegrityError) else "data.error.write_failed"
            result.problems = [EditProblem("—", "—", key, {"detail": type(err).__name__})]
            return result
    if stale:
        session.rollback()
        result.problems = [_stale_problem(session, item, sent_version=item.id in versions) for item in stale]
        return result
    session.commit()
    result.changed = len(updates)
    return result


def _checked_updates(
    session: Session, center: Center, username: str, changes: dict[int, dict[str, Any]], result: EditResult
) -> list[tuple[Equipment, dict[str, Any]]]:
    """The stored values each edited row would get; problems with any cell go to ``result``."""
    si_units: dict[str, str] = dict(session.execute(select(col(Quantity.code), col(Quantity.si_unit))).all())
    updates: list[tuple[Equipment, dict[str, Any]]] = []
    for equipment_id, columns in changes.items():
        item = session.get(Equipment, int(equipment_id))
        if item is None or item.center_id != center.id:
            result.problems.append(
                EditProblem(
                    str(equipment_id),
                    "—",
                    "data.error.not_allowed",
                    {"user": username, "center": center.code},
                )
            )
            continue
        values: dict[str, Any] = {}
        for column, value in columns.items():
            try:
                values.update(_new_values(item, column, value, si_units.get(item.quantity_code)))
            except CellError as err:
                result.problems.append(EditProblem(item.serial_no, column, err.key, dict(err.params)))
        values = {name: value for name, value in values.items() if getattr(item, name) != value}
        if values:
            updates.append((item, values))
    return updates


def _write(
    session: Session,
    updates: list[tuple[Equipment, dict[str, Any]]],
    versions: dict[int, int],
    username: str,
    center_id: int,
) -> list[Equipment]:
    """Write each row only if it still has its base version (checked in the UPDATE itself, so a save
    committed by another session between our read and our write is caught); the rows that had not."""
    stale: list[Equipment] = []
    for item, values in updates:
        assert item.id is not None  # read from the database, so it has its key
        before = snapshot(item, list(values))
        base = versions[item.id]
        written = session.exec(
            update(Equipment)
            .where(col(Equipment.id) == item.id, col(Equipment.version) == base)
            .values(**values, version=base + 1)
            .execution_options(synchronize_session=False)
        )
        if written.rowcount != 1:
            stale.append(item)
            continue
        if "status" in values:  # from the day the database is "now" (the demo's day, or today)
            day = default_as_of(session, date.today())
            record_status_change(session, item.id, item.status, values["status"], day)
        record_change(
            session,
            username=username,
            table_name="equipment",
            row_id=item.id,
            action="update",
            before=before,
            after=dict(values),
            center_id=center_id,
        )
    return stale


def last_change(session: Session, equipment_id: int) -> AuditLog | None:
    """The newest audit row of one piece of equipment: who changed it last, and when."""
    return (
        session.execute(
            select(AuditLog)
            .where(col(AuditLog.table_name) == "equipment", col(AuditLog.row_id) == str(equipment_id))
            .order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def _stale_problem(session: Session, item: Equipment, *, sent_version: bool) -> EditProblem:
    assert item.id is not None  # read from the database, so it has its key
    if not sent_version:
        return EditProblem(item.serial_no, "—", "concurrency.edit.no_version", {"serial": item.serial_no})
    change = last_change(session, item.id)
    if change is None:
        return EditProblem(item.serial_no, "—", "concurrency.edit.stale_unknown", {"serial": item.serial_no})
    at = change.at if change.at.tzinfo else change.at.replace(tzinfo=UTC)  # SQLite returns naive UTC
    local = at.astimezone(ZoneInfo(LOCAL_TIME_ZONE))
    return EditProblem(
        item.serial_no,
        "—",
        "concurrency.edit.stale",
        {"serial": item.serial_no, "user": change.username, "at": f"{local:%d/%m/%Y %H:%M}"},
    )
