"""Importing a center's services from CSV or XLSX: capabilities, the standards behind them, monthly volumes.

The same contract as the equipment and certificate imports (services.imports), whose file reading,
permission check, preview and all-or-nothing write these reuse: every row checked before anything
is written, every problem listed, a clean file written in one transaction with an audit row per
change. Each row names a record by its natural key (instrument type and service; plus the
standard's serial, or the month): a record the center does not hold yet is added, one that differs
is updated, one that is already as the file says is left alone — so importing the same file twice,
or importing what the data page exported, changes nothing.

Agreements and events, which also concern other centers, are in services.record_imports_cooperation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Final

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from services.audit import record_change, snapshot
from services.cells import (
    CellError,
    UncertaintyValue,
    parse_bool,
    parse_day,
    parse_int,
    parse_range_cell,
    parse_uncertainty_cell,
)
from services.i18n import format_day
from services.imports import ImportResult, _finish, _preview, _suggest, _write, open_import
from services.models import (
    Capability,
    CapabilityStandard,
    Center,
    Equipment,
    InstrumentType,
    Quantity,
    Service,
    ServiceVolume,
)
from services.spreadsheet_safety import rows_to_csv
from services.standard_fit import absolute_uncertainty_si, covers_range
from services.tabular import Column, ImportProblem, RowReader, Table

SERVICES: Final = [service.value for service in Service]
MAX_ANNUAL_CAPACITY: Final = 10_000_000
MAX_MONTHLY_COUNT: Final = 1_000_000
_MONTH: Final = re.compile(r"(?:(\d{1,2})\s*[/.\-]\s*(\d{4})|(\d{4})\s*-\s*(\d{1,2})(?:\s*-\s*0?1)?)")

CAPABILITY_COLUMNS: Final = (
    Column("instrument_type", required=True),
    Column("service", required=True),
    Column("range", required=True),
    Column("uncertainty", required=True),
    Column("annual_capacity"),
    Column("accredited"),
    Column("designated"),
)
CAPABILITY_STANDARD_COLUMNS: Final = (
    Column("instrument_type", required=True),
    Column("service", required=True),
    Column("standard_serial", required=True),
)
VOLUME_COLUMNS: Final = (
    Column("instrument_type", required=True),
    Column("service", required=True),
    Column("month", required=True),
    Column("count", required=True),
)
CAPABILITY_EXAMPLES: Final = (
    ("pressure_gauge", "calibration", "0–60 MPa", "0,05 %", "400", "có", "không"),
    ("taximeter", "verification", "0–100 km", "0,5 %", "1200", "không", "có"),
)
CAPABILITY_STANDARD_EXAMPLES: Final = (("pressure_gauge", "calibration", "PG-2024-001"),)
VOLUME_EXAMPLES: Final = (
    ("pressure_gauge", "calibration", "06/2024", "35"),
    ("taximeter", "verification", "2024-07", "110"),
)


class RecordImportResult(ImportResult):
    """An import that may add, update or leave alone; ``written`` counts what it added or changed."""

    def __init__(self, kind: str, dry_run: bool) -> None:
        super().__init__(kind=kind, dry_run=dry_run)
        self.added = 0
        self.updated = 0
        self.unchanged = 0


@dataclass
class Planned:
    """What one row of the file will do: add ``values``, change ``existing`` to them, or nothing."""

    number: int
    values: dict[str, Any]
    existing: Any = None
    changed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "insert"
        return "update" if self.changed else "unchanged"


# --- reading cells shared by the kinds -------------------------------------------------------------


def parse_service(text: str) -> str:
    value = " ".join(text.split()).lower()
    if value in SERVICES:
        return value
    key, params = _suggest("data.error.unknown_service", value, SERVICES)
    raise CellError(key, **params, allowed=", ".join(SERVICES))


def parse_month(text: str, *, today: date) -> date:
    """``06/2024``, ``2024-06`` or the month's first day (``2024-06-01``, ``01/06/2024``)."""
    value = text.strip()
    if match := _MONTH.fullmatch(value):
        month, year = (int(match[1]), int(match[2])) if match[1] else (int(match[4]), int(match[3]))
    else:
        try:
            day = parse_day(value)
        except CellError:
            raise CellError("data.error.bad_month", value=value) from None
        if day.day != 1:
            raise CellError("data.error.bad_month", value=value)
        month, year = day.month, day.year
    if not 1 <= month <= 12 or year < 1900:
        raise CellError("data.error.bad_month", value=value)
    first = date(year, month, 1)
    if first > today:
        raise CellError("data.error.future_month", value=value, today=format_day(today))
    return first


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def same_value(old: Any, new: Any) -> bool:
    """Equal, floats within rounding (a value read back from its own export is the same value)."""
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None:
            return old is new
        return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-300)
    return old == new


def differs(existing: Any, values: dict[str, Any], names: Sequence[str]) -> bool:
    return any(not same_value(getattr(existing, name), values[name]) for name in names)


def instrument_types(session: Session) -> dict[str, tuple[str, bool, str]]:
    """Instrument type code -> (its quantity, legally controlled?, the quantity's SI unit)."""
    rows = session.execute(
        select(
            col(InstrumentType.code),
            col(InstrumentType.quantity_code),
            col(InstrumentType.legally_controlled),
            col(Quantity.si_unit),
        ).join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
    ).all()
    return {code: (quantity, bool(controlled), si_unit) for code, quantity, controlled, si_unit in rows}


def read_type(row: RowReader, types: dict[str, Any]) -> str | None:
    code = row.text("instrument_type").strip()
    if code and code not in types:
        key, params = _suggest("data.error.unknown_instrument_type", code, list(types))
        row.fail("instrument_type", key, **params)
        return None
    return code or None


def note_duplicate(row: RowReader, seen: dict[tuple, int], key: tuple, column: str, shown: str) -> bool:
    """Remember the row that first names ``key``; a later one fails. True for the first."""
    if key in seen:
        row.fail(column, "data.error.duplicate_record_in_file", value=shown, first=str(seen[key]))
        return False
    seen[key] = row.number
    return True


# --- the shared run: read, check, preview, write ---------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    """What a kind's plan reads: the file's well-formed rows, for the center that imports them."""

    session: Session
    table: Table
    rows: list[tuple[int, list[str]]]
    center: Center
    today: date
    problems: list[ImportProblem]
    columns: tuple[Column, ...]

    def readers(self) -> Iterator[RowReader]:
        """Each well-formed row read against the kind's columns (what fails goes to ``problems``)."""
        for number, cells in self.rows:
            yield RowReader(self.table, self.columns, number, cells, self.problems)


@dataclass(frozen=True)
class RecordKind:
    """How one kind of record is checked and written (the parts that differ between kinds)."""

    name: str
    table_name: str
    model: type[SQLModel]
    columns: tuple[Column, ...]
    plan: Callable[[PlanInput], list[Planned]]
    write_one: Callable[[Session, Planned, str, Center], int] | None = None


def write_plain(session: Session, kind: RecordKind, planned: Planned, username: str, center: Center) -> int:
    """Add or update one row and audit it; returns 1 when something changed."""
    if planned.existing is None:
        item = kind.model(**planned.values)
        session.add(item)
        session.flush()
        row_id = getattr(item, "id", None) or "/".join(
            str(planned.values[k]) for k in ("capability_id", "equipment_id")
        )
        record_change(
            session,
            username=username,
            table_name=kind.table_name,
            row_id=row_id,
            action="insert",
            after=snapshot(item),
            center_id=center.id,
        )
        return 1
    if not planned.changed:
        return 0
    item = planned.existing
    names = list(planned.values)
    before = snapshot(item, names)
    for name, value in planned.values.items():
        setattr(item, name, value)
    session.flush()
    record_change(
        session,
        username=username,
        table_name=kind.table_name,
        row_id=item.id,
        action="update",
        before=before,
        after=snapshot(item, names),
        center_id=center.id,
    )
    return 1


def run_import(
    kind: RecordKind,
    session: Session,
    data: bytes,
    *,
    center_code: str,
    username: str,
    today: date,
    dry_run: bool = False,
) -> RecordImportResult:
    """Check every row of ``data`` as a file of ``kind``; when all are right (and not ``dry_run``) write them."""
    result = RecordImportResult(kind.name, dry_run)
    opened = open_import(
        session, result, data, kind.columns, center_code=center_code, username=username, today=today
    )
    if opened is None:
        return result
    table, center, rows, problems = opened
    planned = kind.plan(PlanInput(session, table, rows, center, today, problems, kind.columns))
    result.added = sum(item.action == "insert" for item in planned)
    result.updated = sum(item.action == "update" for item in planned)
    result.unchanged = sum(item.action == "unchanged" for item in planned)
    extra = {item.number: {"action": item.action, **item.extra} for item in planned}
    result.preview = _preview(table, table.rows, extra)
    _finish(result, problems)
    if problems or dry_run:
        return result

    def write() -> int:
        if kind.write_one is not None:
            written = sum(kind.write_one(session, item, username, center) for item in planned)
        else:
            written = sum(write_plain(session, kind, item, username, center) for item in planned)
        session.flush()
        return written

    _write(session, result, write)
    return result


def template(columns: Sequence[Column], examples: Sequence[Sequence[str]]) -> bytes:
    """A CSV with the columns and example rows, escaped like every CSV we write, BOM for Excel."""
    return rows_to_csv([[column.name for column in columns], *examples]).encode("utf-8-sig")


# --- capabilities ----------------------------------------------------------------------------------

_CAPABILITY_COMPARED: Final = ("range_min_si", "range_max_si", "annual_capacity", "accredited", "designated")


def _in_quantity(uncertainty: UncertaintyValue, si_unit: str | None) -> UncertaintyValue:
    """For a pure-number quantity (pH, humidity, moisture) an uncertainty is in that quantity's own
    units: ``0,02`` pH or ``2 %`` moisture are absolute, as the capability list writes them."""
    if si_unit != "dimensionless" or not uncertainty.relative:
        return uncertainty
    unit = (
        "dimensionless"
        if uncertainty.unit == "1"
        else "percent"
        if uncertainty.unit == "%"
        else uncertainty.unit
    )
    return UncertaintyValue(uncertainty.value, unit, relative=unit not in ("dimensionless", "percent"))


def _same_uncertainty(existing: Capability, values: dict[str, Any]) -> bool:
    """The same uncertainty whatever unit spelling it came in (0,75 mmHg and 0.75 mmHg alike).

    A stored relative ``%`` on a pure-number quantity reads back as the same number of percent.
    """
    if not same_value(existing.uncertainty_value, values["uncertainty_value"]):
        return False
    if bool(existing.uncertainty_relative) != values["uncertainty_relative"]:
        return existing.uncertainty_unit in ("%", "percent") and values["uncertainty_unit"] == "percent"
    if existing.uncertainty_relative:
        return True
    return same_value(
        absolute_uncertainty_si(existing.model_dump(), 0.0), absolute_uncertainty_si(values, 0.0)
    )


def held_capabilities(session: Session, center_id: int) -> dict[tuple[str, str], Capability]:
    """A center's capabilities by (instrument type, service): the key a capabilities file uses."""
    return {
        (c.instrument_type_code, c.service): c
        for c in session.execute(select(Capability).where(col(Capability.center_id) == center_id)).scalars()
    }


def _plan_capabilities(given: PlanInput) -> list[Planned]:
    types = instrument_types(given.session)
    assert given.center.id is not None  # read from the database, so it has its key
    held = held_capabilities(given.session, given.center.id)
    seen: dict[tuple, int] = {}
    planned: list[Planned] = []
    for row in given.readers():
        type_code = read_type(row, types)
        service = row.read("service", parse_service)
        si_unit = types[type_code][2] if type_code else None
        measuring_range = row.read("range", partial(parse_range_cell, si_unit=si_unit))
        uncertainty = row.read("uncertainty", partial(parse_uncertainty_cell, si_unit=si_unit))
        uncertainty = _in_quantity(uncertainty, si_unit) if uncertainty is not None else None
        capacity = row.read(
            "annual_capacity", partial(parse_int, low=0, high=MAX_ANNUAL_CAPACITY), optional=True
        )
        accredited = row.read("accredited", parse_bool)
        designated = row.read("designated", parse_bool)
        if uncertainty is not None and uncertainty.value <= 0:
            row.fail("uncertainty", "data.error.uncertainty_not_positive", value=row.text("uncertainty"))
        if type_code and service:
            note_duplicate(row, seen, (type_code, service), "service", f"{type_code} · {service}")
            _check_service_rules(
                row,
                type_code,
                service,
                controlled=types[type_code][1],
                accredited=accredited,
                designated=designated,
            )
        if row.failed or type_code is None or service is None:
            continue
        values = {
            "center_id": given.center.id,
            "instrument_type_code": type_code,
            "service": service,
            "range_text": " ".join(row.text("range").split()),
            "range_min_si": measuring_range.low_si,
            "range_max_si": measuring_range.high_si,
            "uncertainty_value": uncertainty.value,
            "uncertainty_unit": uncertainty.unit,
            "uncertainty_relative": uncertainty.relative,
            "annual_capacity": capacity or 0,
            "accredited": bool(accredited),
            "designated": bool(designated),
        }
        planned.append(_planned_capability(row.number, values, held.get((type_code, service))))
    return planned


def _check_service_rules(
    row: RowReader,
    type_code: str,
    service: str,
    *,
    controlled: bool,
    accredited: bool | None,
    designated: bool | None,
) -> None:
    """The Law on Metrology: verification only of legally controlled types, by designation; VILAS
    accreditation concerns calibration and testing."""
    if service == Service.VERIFICATION and not controlled:
        row.fail("service", "data.error.verification_not_controlled", value=type_code)
    if service == Service.VERIFICATION and accredited:
        row.fail("accredited", "data.error.accredited_verification")
    if service != Service.VERIFICATION and designated:
        row.fail("designated", "data.error.designated_not_verification", service=service)


def _planned_capability(number: int, values: dict[str, Any], existing: Capability | None) -> Planned:
    """A new capability, a changed one, or one the file repeats unchanged (nothing to write)."""
    changed = (
        existing is None
        or differs(existing, values, _CAPABILITY_COMPARED)
        or not _same_uncertainty(existing, values)
    )
    return Planned(number, {} if existing is not None and not changed else values, existing, changed)


CAPABILITIES: Final = RecordKind(
    "capability", "capability", Capability, CAPABILITY_COLUMNS, _plan_capabilities
)


# --- the standards behind each capability ----------------------------------------------------------


def _center_standards_and_links(
    session: Session, center_id: int
) -> tuple[dict[str, Equipment], set[tuple[int, int]]]:
    """The center's equipment by serial number, and the (capability, standard) links it already holds."""
    standards = {
        e.serial_no: e
        for e in session.execute(select(Equipment).where(col(Equipment.center_id) == center_id)).scalars()
    }
    linked = {
        (capability_id, equipment_id)
        for capability_id, equipment_id in session.execute(
            select(col(CapabilityStandard.capability_id), col(CapabilityStandard.equipment_id))
            .join(Capability, col(Capability.id) == col(CapabilityStandard.capability_id))
            .where(col(Capability.center_id) == center_id)
        )
    }
    return standards, linked


def _check_fit(
    row: RowReader, standard: Equipment, capability: Capability, *, expected_quantity: str
) -> None:
    """A new link's standard must measure the service's quantity and cover its range."""
    serial = standard.serial_no
    if standard.quantity_code != expected_quantity:
        row.fail(
            "standard_serial",
            "data.error.standard_other_quantity",
            value=serial,
            quantity=standard.quantity_code,
            expected=expected_quantity,
        )
    elif not covers_range(standard.model_dump(), capability.model_dump()):
        row.fail(
            "standard_serial",
            "data.error.standard_does_not_cover",
            value=serial,
            range=capability.range_text,
        )


def _plan_capability_standards(given: PlanInput) -> list[Planned]:
    types = instrument_types(given.session)
    assert given.center.id is not None  # read from the database, so it has its key
    capabilities = held_capabilities(given.session, given.center.id)
    standards, linked = _center_standards_and_links(given.session, given.center.id)
    seen: dict[tuple, int] = {}
    planned: list[Planned] = []
    for row in given.readers():
        type_code = read_type(row, types)
        service = row.read("service", parse_service)
        serial = row.text("standard_serial").strip()
        capability = capabilities.get((type_code, service)) if type_code and service else None
        if type_code and service and capability is None:
            row.fail(
                "service",
                "data.error.no_such_capability",
                type=type_code,
                service=service,
                center=given.center.code,
            )
        standard = standards.get(serial)
        if serial and standard is None:
            row.fail("standard_serial", "data.error.unknown_serial", value=serial, center=given.center.code)
        if row.failed or capability is None or standard is None:
            continue
        note_duplicate(row, seen, (capability.id, standard.id), "standard_serial", serial)
        exists = (capability.id, standard.id) in linked
        # a link the center already holds stays as it is; a new one must be fit for the service
        if not exists:
            _check_fit(row, standard, capability, expected_quantity=types[capability.instrument_type_code][0])
        if row.failed:
            continue
        values = {"capability_id": capability.id, "equipment_id": standard.id}
        planned.append(Planned(row.number, values, True if exists else None, changed=not exists))
    return planned


CAPABILITY_STANDARDS: Final = RecordKind(
    "capability_standard",
    "capability_standard",
    CapabilityStandard,
    CAPABILITY_STANDARD_COLUMNS,
    _plan_capability_standards,
)


# --- monthly service volumes -----------------------------------------------------------------------


def _plan_volumes(given: PlanInput) -> list[Planned]:
    types = instrument_types(given.session)
    held = {
        (v.instrument_type_code, v.service, v.month): v
        for v in given.session.execute(
            select(ServiceVolume).where(col(ServiceVolume.center_id) == given.center.id)
        ).scalars()
    }
    seen: dict[tuple, int] = {}
    planned: list[Planned] = []
    for row in given.readers():
        type_code = read_type(row, types)
        service = row.read("service", parse_service)
        month = row.read("month", partial(parse_month, today=given.today))
        count = row.read("count", partial(parse_int, low=0, high=MAX_MONTHLY_COUNT))
        if row.failed or month is None:
            continue
        note_duplicate(row, seen, (type_code, service, month), "month", format_month(month))
        if row.failed:
            continue
        values = {
            "center_id": given.center.id,
            "instrument_type_code": type_code,
            "service": service,
            "month": month,
            "count": count,
        }
        existing = held.get((type_code, service, month))
        changed = existing is None or existing.count != count
        planned.append(Planned(row.number, values if changed else {}, existing, changed))
    return planned


VOLUMES: Final = RecordKind("service_volume", "service_volume", ServiceVolume, VOLUME_COLUMNS, _plan_volumes)
