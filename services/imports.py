"""Importing a center's equipment and calibration certificates from CSV or XLSX, all or nothing.

Every row is checked before anything is written, and every problem is collected (row, column,
catalog key, parameters), so a person fixes the whole file in one pass. A file with any problem
writes nothing; a clean file is written in one transaction with an audit row per change.
Which files are read, and how, is services.tabular's job.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any, Final, NamedTuple, TypeGuard

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, func

from services import auth, data_version, plausibility
from services.audit import record_change, snapshot
from services.cells import (
    CellError,
    clean_cell,
    parse_amount_in,
    parse_bool,
    parse_certificate_uncertainty,
    parse_day,
    parse_int,
    parse_range_cell,
    parse_result,
    parse_status,
    parse_uncertainty_cell,
)
from services.certificates import add_calibration
from services.dataset import default_as_of
from services.holdings import record_status_change
from services.i18n import format_day
from services.models import CalibrationRecord, Center, Equipment, InstrumentType, Quantity
from services.provider_names import Provider, ProviderMatcher
from services.spreadsheet_safety import rows_to_csv
from services.tabular import Column, ImportProblem, RowReader, Table, read_table, well_formed_rows
from services.text_rules import TEXT_RULES, lookalike_key
from services.units import display_unit, si_unit_of

SERIAL_LENGTH: Final = TEXT_RULES["serial_no"].limit
CERTIFICATE_LENGTH: Final = TEXT_RULES["certificate_no"].limit
PROVIDER_LENGTH: Final = TEXT_RULES["provider"].limit
DEFAULT_INTERVAL_MONTHS: Final = 12
_IN_CHUNK: Final = 500  # values per IN (...) list: well under SQLite's bound-parameter limit


EQUIPMENT_COLUMNS: Final = (
    Column("serial_no", required=True),
    Column("name", required=True),
    Column("quantity", required=True),
    Column("instrument_type"),
    Column("manufacturer"),
    Column("model"),
    Column("range", required=True),
    Column("uncertainty"),
    Column("reference_standard"),
    Column("acquired_on", required=True),
    Column("status"),
    Column("calibration_interval_months"),
)
CALIBRATION_COLUMNS: Final = (
    Column("serial_no", required=True),
    Column("calibrated_on", required=True),
    Column("due_on"),
    Column("provider", required=True),
    Column("certificate_no", required=True),
    Column("result"),
    Column("measured_error"),
    Column("uncertainty"),
    Column("standard_serial"),
)

EQUIPMENT_EXAMPLES: Final = (
    (
        "PG-2024-001",
        "Áp kế chuẩn pít tông",
        "pressure",
        "pressure_gauge",
        "WIKA",
        "CPB5800",
        "0–60 MPa",
        "0,015 %",
        "có",
        "14/06/2024",
        "in_service",
        "24",
    ),
    (
        "TH-2024-002",
        "Nhiệt kế chuẩn platin",
        "temperature",
        "industrial_thermometer",
        "Fluke",
        "5615",
        "-50 … 420 °C",
        "0,02 °C",
        "có",
        "2024-07-01",
        "in_service",
        "12",
    ),
)
CALIBRATION_EXAMPLES: Final = (
    ("PG-2024-001", "20/06/2024", "", "IMTS", "IMTS-2024-T001", "pass", "0,002", "0,01 %", ""),
    ("TH-2024-002", "2024-07-05", "05/07/2025", "VMI", "VMI-2024-T002", "pass", "-0,01 °C", "0,015 °C", ""),
)


# --- results ----------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    kind: str  # "equipment" or "calibration"
    rows: int = 0  # data rows read
    written: int = 0  # rows written (0 unless the whole file was clean and dry_run was off)
    problems: list[ImportProblem] = field(default_factory=list)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    dry_run: bool = False
    # what the check was bound to (services.imports.check_key): a write given this result back as
    # ``checked`` reuses its rows only for the same bytes, user, center, day and data version
    check_key: str = ""
    to_write: list[Any] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problems_frame(self, lang: str) -> pd.DataFrame:
        """Row, column, message in ``lang``: what the page shows and offers as CSV."""
        return pd.DataFrame(
            [("" if p.row is None else str(p.row), p.column or "", p.message(lang)) for p in self.problems],
            columns=["row", "column", "message"],
        )


# --- where the rows go, and who may put them there ----------------------------------------------


def _target_center(
    session: Session, center_code: str, username: str, today: date
) -> tuple[Center | None, list[ImportProblem]]:
    if not session.execute(select(func.count()).select_from(Center)).scalar_one():
        return None, [ImportProblem(None, None, "data.error.empty_database")]
    center = session.execute(select(Center).where(col(Center.code) == center_code)).scalars().first()
    if center is None:
        return None, [ImportProblem(None, None, "data.error.unknown_center", {"center": center_code})]
    user = auth.signed_in_user(session, username)
    if user is None or not user.can_edit(center.id):
        return None, [
            ImportProblem(None, None, "data.error.not_allowed", {"user": username, "center": center.code})
        ]
    closed = closure(session, center, today)
    if closed is not None:
        return None, [ImportProblem(None, None, "data.error.center_closed", closed)]
    return center, []


def closure(session: Session, center: Center, today: date) -> dict[str, str] | None:
    """When ``center`` had closed by ``today`` (merged away): its code, closing day and successor, for a
    refusal; nobody, admins included, writes into a closed center's records (they are history)."""
    if center.active_to is None or center.active_to >= today:
        return None
    successor = session.get(Center, center.successor_id) if center.successor_id else None
    return {
        "center": center.code,
        "closed": format_day(center.active_to),
        "successor": successor.code if successor else "—",
    }


def _suggest(key: str, value: str, choices: Sequence[str]) -> tuple[str, dict[str, str]]:
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.6)
    if close:
        return f"{key}_suggest", {"value": value, "suggestion": close[0]}
    return key, {"value": value}


def _in_chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + _IN_CHUNK] for start in range(0, len(values), _IN_CHUNK)]


def _finish(result: ImportResult, problems: list[ImportProblem]) -> ImportResult:
    result.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
    return result


def _write(session: Session, result: ImportResult, write: Callable[[], int]) -> ImportResult:
    """Run ``write`` and commit, or roll everything back and say why."""
    try:
        result.written = write()
        session.commit()
    except IntegrityError:
        session.rollback()
        result.written = 0
        result.problems = [ImportProblem(None, None, "data.error.conflict")]
    except SQLAlchemyError as err:
        session.rollback()
        result.written = 0
        result.problems = [
            ImportProblem(None, None, "data.error.write_failed", {"detail": type(err).__name__})
        ]
    return result


def check_key(
    session: Session, data: bytes, kind: str, *, center_code: str, username: str, today: date
) -> str:
    """What a check's result holds for: these bytes, this user, center and day, and the data as it is now.

    The data version (services.data_version) moves with every write anywhere, so a check made
    before someone else's write is never reused after it.
    """
    version = data_version.read(session.connection())
    digest = hashlib.sha256(data)
    digest.update("\0".join([kind, center_code, username, today.isoformat(), str(version)]).encode())
    return digest.hexdigest()


def _new_result(
    session: Session, data: bytes, kind: str, *, center_code: str, username: str, today: date, dry_run: bool
) -> ImportResult:
    """An empty result of ``kind``, bound to what its check will hold for (``check_key``)."""
    result = ImportResult(kind=kind, dry_run=dry_run)
    result.check_key = check_key(session, data, kind, center_code=center_code, username=username, today=today)
    return result


def _reusable(checked: ImportResult | None, result: ImportResult) -> TypeGuard[ImportResult]:
    return (
        checked is not None
        and not result.dry_run
        and checked.ok
        and not checked.written
        and checked.kind == result.kind
        and bool(checked.to_write)
        and checked.check_key == result.check_key
    )


def _write_checked(
    session: Session,
    result: ImportResult,
    checked: ImportResult,
    insert: Callable[[Session, list[Any], str, Center, date], int],
    *,
    center_code: str,
    username: str,
    today: date,
) -> ImportResult:
    """Write the rows a dry run already checked; who may write is asked again (an account may be off now)."""
    center, access = _target_center(session, center_code, username, today)
    if center is None:
        return _finish(result, access)
    result.rows, result.preview = checked.rows, checked.preview
    return _write(session, result, partial(insert, session, checked.to_write, username, center, today))


class OpenedFile(NamedTuple):
    """A file read against its columns, for a center the user may edit: what every import checks next."""

    table: Table
    center: Center
    rows: list[tuple[int, list[str]]]  # the well-formed rows, by their number in the file
    problems: list[ImportProblem]


def open_import(
    session: Session,
    result: ImportResult,
    data: bytes,
    columns: Sequence[Column],
    *,
    center_code: str,
    username: str,
    today: date,
) -> OpenedFile | None:
    """Read ``data`` and check who imports for which center; None when either fails (``result`` says why)."""
    table, problems = read_table(data, columns)
    center, access = _target_center(session, center_code, username, today)
    problems += access
    if table is None or center is None:
        _finish(result, problems)
        return None
    result.rows = len(table.rows)
    return OpenedFile(table, center, well_formed_rows(table, columns, problems), problems)


@dataclass(frozen=True)
class _FileKind:
    """What differs between the equipment and the certificate import; ``run`` is what they share."""

    name: str
    columns: tuple[Column, ...]
    # what to insert, and what the check derived per row number for the preview
    check_rows: Callable[[Session, date, OpenedFile], tuple[list[Any], dict[int, dict[str, Any]]]]
    insert: Callable[[Session, list[Any], str, Center, date], int]

    def run(
        self,
        session: Session,
        data: bytes,
        center_code: str,
        username: str,
        today: date,
        dry_run: bool,
        checked: ImportResult | None,
    ) -> ImportResult:
        """Write a still-valid dry run as it was checked; or read and check every row, and write
        them all only when none has a problem and it is not ``dry_run``."""
        result = _new_result(
            session, data, self.name, center_code=center_code, username=username, today=today, dry_run=dry_run
        )
        if _reusable(checked, result):
            return _write_checked(
                session, result, checked, self.insert, center_code=center_code, username=username, today=today
            )
        opened = open_import(
            session, result, data, self.columns, center_code=center_code, username=username, today=today
        )
        if opened is None:
            return result
        parsed, extra = self.check_rows(session, today, opened)
        result.preview = _preview(opened.table, opened.table.rows, extra)
        _finish(result, opened.problems)
        if opened.problems or dry_run:
            result.to_write = [] if opened.problems else parsed
            return result
        return _write(session, result, partial(self.insert, session, parsed, username, opened.center, today))


def _preview(
    table: Table, rows: list[tuple[int, list[str]]], extra: dict[int, dict[str, Any]]
) -> pd.DataFrame:
    """The file's known columns as read, row by row, then what the check derived (``extra``)."""
    names = [name for name in table.names if name]
    positions = [table.names.index(name) for name in names]
    frame = pd.DataFrame(
        [[cells[i] if i < len(cells) else "" for i in positions] for _, cells in rows], columns=names
    )
    frame.insert(0, "row", [number for number, _ in rows])
    for key in dict.fromkeys(key for values in extra.values() for key in values):
        frame[key] = [extra.get(number, {}).get(key) for number, _ in rows]
    return frame


# --- equipment -------------------------------------------------------------------------------------


class _SerialBook:
    """Serials seen in the file and held by the center, compared as a person reads them (lookalike_key)."""

    def __init__(self, center_code: str, held: Any) -> None:
        self.center_code = center_code
        self.held = {lookalike_key(serial): serial for serial in held}
        self.in_file: dict[str, tuple[str, int]] = {}

    def check(self, row: RowReader, serial: str) -> None:
        key = lookalike_key(serial)
        first = self.in_file.get(key)
        if first is None:
            self.in_file[key] = (serial, row.number)
        elif first[0] == serial:
            row.fail("serial_no", "data.error.duplicate_serial_in_file", value=serial, first=str(first[1]))
        else:
            row.fail(
                "serial_no",
                "data.error.duplicate_serial_lookalike_in_file",
                value=serial,
                other=first[0],
                first=str(first[1]),
            )
        held = self.held.get(key)
        if held == serial:
            row.fail(
                "serial_no", "data.error.duplicate_serial_existing", value=serial, center=self.center_code
            )
        elif held is not None:
            row.fail(
                "serial_no",
                "data.error.duplicate_serial_lookalike_existing",
                value=serial,
                other=held,
                center=self.center_code,
            )


@dataclass
class _EquipmentKnown:
    """What an equipment row is checked against: the codes in the database and the center's serials."""

    center: Center
    today: date
    quantities: dict[str, str]  # code -> SI unit
    types: dict[str, str]  # instrument type -> its quantity
    serials: _SerialBook

    @classmethod
    def load(cls, session: Session, center: Center, today: date) -> _EquipmentKnown:
        held = session.execute(
            select(col(Equipment.serial_no)).where(col(Equipment.center_id) == center.id)
        ).scalars()
        return cls(
            center=center,
            today=today,
            quantities=dict(session.execute(select(col(Quantity.code), col(Quantity.si_unit))).all()),
            types=dict(
                session.execute(select(col(InstrumentType.code), col(InstrumentType.quantity_code))).all()
            ),
            serials=_SerialBook(center.code, held),
        )


def _check_type(
    row: RowReader, type_code: str | None, quantity: str, si_unit: str | None, known: _EquipmentKnown
) -> None:
    """The instrument type exists and serves the row's quantity (when that quantity is known)."""
    if not type_code:
        return
    if type_code not in known.types:
        key, params = _suggest("data.error.unknown_instrument_type", type_code, list(known.types))
        row.fail("instrument_type", key, **params)
        return
    type_quantity = known.types[type_code]
    if si_unit is not None and type_quantity != quantity:
        row.fail(
            "instrument_type",
            "data.error.type_quantity_mismatch",
            value=type_code,
            type_quantity=type_quantity,
            quantity=quantity,
        )


def _read_quantity(row: RowReader, known: _EquipmentKnown) -> tuple[str, str | None]:
    """The row's quantity code and its SI unit (None, with a problem noted, when the code is unknown)."""
    quantity = row.text("quantity").strip()
    si_unit = known.quantities.get(quantity)
    if quantity and si_unit is None:
        key, params = _suggest("data.error.unknown_quantity", quantity, list(known.quantities))
        row.fail("quantity", key, **params)
    return quantity, si_unit


def _equipment_row(
    row: RowReader, known: _EquipmentKnown
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """One row checked: the item's values (None when a cell is refused) and what the preview derives."""
    serial = row.text("serial_no")
    if serial:
        known.serials.check(row, serial)
    quantity, si_unit = _read_quantity(row, known)
    type_code = row.text("instrument_type").strip() or None
    _check_type(row, type_code, quantity, si_unit, known)
    # the unit is checked against the quantity's kind when the quantity is known, else on its own
    measuring_range = row.read(
        "range", partial(parse_range_cell, si_unit=si_unit, quantity=quantity if si_unit else None)
    )
    span = measuring_range.high_si - measuring_range.low_si if measuring_range else None
    uncertainty = row.read(
        "uncertainty", partial(parse_uncertainty_cell, si_unit=si_unit, span_si=span), optional=True
    )
    reference = row.read("reference_standard", parse_bool)
    acquired_on = row.read("acquired_on", lambda text: parse_day(text, today=known.today))
    status = row.read("status", parse_status)
    interval = row.read("calibration_interval_months", parse_int, optional=True)
    derived = (
        {
            "range_min_si": measuring_range.low_si,
            "range_max_si": measuring_range.high_si,
            "si_unit": display_unit(si_unit_of(measuring_range.unit)),
        }
        if measuring_range is not None
        else None
    )
    if row.failed:
        return None, derived
    values = {
        "center_id": known.center.id,
        "quantity_code": quantity,
        "instrument_type_code": type_code,
        "name": row.text("name"),
        "manufacturer": row.text("manufacturer"),
        "model": row.text("model"),
        "serial_no": serial,
        "range_min": measuring_range.low,
        "range_max": measuring_range.high,
        "range_unit": measuring_range.unit,
        "range_min_si": measuring_range.low_si,
        "range_max_si": measuring_range.high_si,
        "uncertainty_value": uncertainty.value if uncertainty else None,
        "uncertainty_unit": uncertainty.unit if uncertainty else None,
        "uncertainty_relative": uncertainty.relative if uncertainty else False,
        "is_reference_standard": reference,
        "acquired_on": acquired_on,
        "status": status,
        # a standard's calibration interval is its own, never the verification interval of the
        # instrument type it serves (that one applies to the customers' instruments)
        "calibration_interval_months": interval or DEFAULT_INTERVAL_MONTHS,
    }
    return values, derived


def import_equipment_csv(
    session: Session,
    data: bytes,
    *,
    center_code: str,
    username: str,
    today: date,
    dry_run: bool = False,
    checked: ImportResult | None = None,
) -> ImportResult:
    """Check every row of an equipment file; when all are right (and not ``dry_run``) add them all.

    ``checked``: the result of a dry run of the same file; when its ``check_key`` still holds (same
    bytes, user, center, day, and nothing written since) its rows are written without a second check.

    Serial numbers are unique per center (in the file and against what the center holds). Ranges
    and uncertainties must be of the quantity's kind; they are stored as entered and in SI.
    Commits the session on success, rolls it back on a write failure.
    """
    return _EQUIPMENT_FILE.run(session, data, center_code, username, today, dry_run, checked)


def _check_equipment_rows(
    session: Session, today: date, opened: OpenedFile
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """Each row's values to insert, and what the check derived per row number (for the preview)."""
    table, center, rows, problems = opened
    known = _EquipmentKnown.load(session, center, today)
    parsed: list[dict[str, Any]] = []
    extra: dict[int, dict[str, Any]] = {}
    for number, cells in rows:
        values, derived = _equipment_row(RowReader(table, EQUIPMENT_COLUMNS, number, cells, problems), known)
        if derived:
            extra[number] = derived
        if values is not None:
            parsed.append(values)
    return parsed, extra


def _insert_equipment(
    session: Session, parsed: list[dict[str, Any]], username: str, center: Center, today: date
) -> int:
    day = default_as_of(session, today)  # an imported status holds from the day the database is "now"
    items = [Equipment(**values) for values in parsed]
    session.add_all(items)
    session.flush()
    for item in items:
        assert item.id is not None  # flushed: the database gave it its key
        record_status_change(session, item.id, None, item.status, day)
        record_change(
            session,
            username=username,
            table_name="equipment",
            row_id=item.id,
            action="insert",
            after=snapshot(item),
            center_id=center.id,
        )
    session.flush()
    return len(items)


_EQUIPMENT_FILE: Final = _FileKind("equipment", EQUIPMENT_COLUMNS, _check_equipment_rows, _insert_equipment)


# --- calibration certificates ------------------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    id: int
    uncertainty_unit: str
    uncertainty_relative: bool
    acquired_on: date | None
    span_si: float


def _held_equipment(session: Session, center_id: int) -> dict[str, _Held]:
    """The center's equipment by serial, with what a certificate of it is checked against."""
    return {
        serial: _Held(
            id_,
            uncertainty_unit or range_unit,
            bool(relative) if uncertainty_unit else False,
            acquired_on,
            (high or 0.0) - (low or 0.0),
        )
        for id_, serial, uncertainty_unit, relative, range_unit, acquired_on, low, high in session.execute(
            select(
                col(Equipment.id),
                col(Equipment.serial_no),
                col(Equipment.uncertainty_unit),
                col(Equipment.uncertainty_relative),
                col(Equipment.range_unit),
                col(Equipment.acquired_on),
                col(Equipment.range_min_si),
                col(Equipment.range_max_si),
            ).where(col(Equipment.center_id) == center_id)
        )
    }


def _standards_of(session: Session, wanted: set[tuple[int | None, str]]) -> dict[tuple[int, str], int]:
    """(provider id, serial) -> the standard's equipment id: the provider's own, or a predecessor's.

    Since the 2025 merger a center certifies with standards still recorded under the center merged
    into it; its own standard wins when both hold the serial.
    """
    successor_of = dict(session.execute(select(col(Center.id), col(Center.successor_id))).all())
    standards: dict[tuple[int, str], int] = {}
    for provider_id in {provider_id for provider_id, _ in wanted if provider_id is not None}:
        holders = {provider_id} | {
            cid for cid in successor_of if _merged_into(cid, provider_id, successor_of)
        }
        serials = sorted(serial for pid, serial in wanted if pid == provider_id)
        for chunk in _in_chunks(serials):
            for id_, serial, holder in session.execute(
                select(col(Equipment.id), col(Equipment.serial_no), col(Equipment.center_id)).where(
                    col(Equipment.center_id).in_(holders), col(Equipment.serial_no).in_(chunk)
                )
            ):
                if holder == provider_id or (provider_id, serial) not in standards:
                    standards[(provider_id, serial)] = id_
    return standards


def _merged_into(center_id: int, successor_id: int, successor_of: dict[int, int | None]) -> bool:
    """Whether ``center_id`` was merged, directly or down a chain, into ``successor_id``."""
    seen: set[int] = set()
    current = successor_of.get(center_id)
    while current is not None and current not in seen:
        if current == successor_id:
            return True
        seen.add(current)
        current = successor_of.get(current)
    return False


def _check_dates(
    row: RowReader, calibrated_on: date | None, due_on: date | None, equipment: _Held | None
) -> None:
    """A certificate's dates against each other and the item's acquisition (services.plausibility)."""
    if calibrated_on and equipment is not None:
        refusal = plausibility.calibration_day_refusal(calibrated_on, equipment.acquired_on)
        if refusal:
            row.fail("calibrated_on", refusal.key, **refusal.params)
    if calibrated_on and due_on:
        if due_on < calibrated_on:
            row.fail(
                "due_on",
                "data.error.due_before_calibrated",
                due=format_day(due_on),
                calibrated=format_day(calibrated_on),
            )
        elif refusal := plausibility.due_day_refusal(due_on, calibrated_on):
            row.fail("due_on", refusal.key, **refusal.params)


@dataclass
class _CertificatesKnown:
    """What a certificate row is checked against: the center's items, the providers, the certificate
    numbers already held and the standards the file names (each read once for the whole file)."""

    center: Center
    today: date
    held: dict[str, _Held]
    providers: ProviderMatcher
    taken: set[tuple[tuple[str, object], str]]  # (provider identity, certificate number)
    standards: dict[tuple[int, str], int]
    first_row_of_certificate: dict[tuple[tuple[str, object], str], int] = field(default_factory=dict)

    @classmethod
    def load(
        cls, session: Session, table: Table, rows: list[tuple[int, list[str]]], center: Center, today: date
    ) -> _CertificatesKnown:
        providers = ProviderMatcher.load(session)

        def cleaned(cells: list[str], name: str) -> str:
            try:
                return clean_cell(table.cell(cells, name), name)
            except CellError:
                return ""  # the row's own reading reports it

        certificates = sorted({cleaned(cells, "certificate_no") for _, cells in rows} - {""})
        wanted_standards = {
            (providers.match(cleaned(cells, "provider")).center_id, cleaned(cells, "standard_serial"))
            for _, cells in rows
            if cleaned(cells, "standard_serial")
        }
        return cls(
            center=center,
            today=today,
            held=_held_equipment(session, center.id),  # type: ignore[arg-type]
            providers=providers,
            taken=_taken_certificates(session, providers, certificates),
            standards=_standards_of(session, wanted_standards),
        )


def _taken_certificates(
    session: Session, providers: ProviderMatcher, certificates: list[str]
) -> set[tuple[tuple[str, object], str]]:
    """(provider identity, number) of the certificates already held among ``certificates``."""
    taken: set[tuple[tuple[str, object], str]] = set()
    for chunk in _in_chunks(certificates):
        for center_id, name, number in session.execute(
            select(
                col(CalibrationRecord.provider_center_id),
                col(CalibrationRecord.provider_name),
                col(CalibrationRecord.certificate_no),
            ).where(col(CalibrationRecord.certificate_no).in_(chunk))
        ):
            taken.add((providers.identity_of(center_id, name), number))
    return taken


def _check_certificate_number(
    row: RowReader, certificate: str, provider: Provider, known: _CertificatesKnown
) -> None:
    """A certificate number is unique per provider: in the file and against what is held."""
    pair = (provider.identity, certificate)
    first = known.first_row_of_certificate.setdefault(pair, row.number)
    if first != row.number:
        row.fail(
            "certificate_no",
            "data.error.duplicate_certificate_in_file",
            value=certificate,
            provider=provider.name,
            first=str(first),
        )
    if pair in known.taken:
        row.fail(
            "certificate_no",
            "data.error.duplicate_certificate_existing",
            value=certificate,
            provider=provider.name,
        )


def _certificate_amounts(row: RowReader, equipment: _Held) -> dict[str, float | None]:
    """Measured error and uncertainty, read in the item's uncertainty unit and held to its bounds."""
    unit, relative = equipment.uncertainty_unit, equipment.uncertainty_relative
    return {
        "measured_error": row.read(
            "measured_error", partial(parse_amount_in, unit=unit, relative=relative), optional=True
        ),
        "uncertainty": row.read(
            "uncertainty",
            partial(parse_certificate_uncertainty, unit=unit, relative=relative, span_si=equipment.span_si),
            optional=True,
        ),
    }


def _certificate_row(row: RowReader, known: _CertificatesKnown) -> dict[str, Any] | None:
    """One certificate checked: its values, or None when a cell is refused or the item is unknown."""
    serial = row.text("serial_no")
    equipment = known.held.get(serial)
    if serial and equipment is None:
        row.fail("serial_no", "data.error.unknown_serial", value=serial, center=known.center.code)
    calibrated_on = row.read("calibrated_on", lambda text: parse_day(text, today=known.today))
    due_on = row.read("due_on", parse_day, optional=True)
    _check_dates(row, calibrated_on, due_on, equipment)
    provider_text = row.text("provider")
    provider = known.providers.match(provider_text)
    certificate = row.text("certificate_no")
    if certificate and provider_text:
        _check_certificate_number(row, certificate, provider, known)
    result_code = row.read("result", parse_result)
    amounts = _certificate_amounts(row, equipment) if equipment is not None else {}
    standard_serial = row.text("standard_serial")
    standard_id = None
    if standard_serial:
        standard_id = (
            known.standards.get((provider.center_id, standard_serial)) if provider.center_id else None
        )
        if standard_id is None:
            row.fail(
                "standard_serial",
                "data.error.unknown_standard",
                value=standard_serial,
                provider=provider.name or "—",
            )
    if row.failed or equipment is None:
        return None
    return {
        "equipment_id": equipment.id,
        "calibrated_on": calibrated_on,
        "due_on": due_on,
        "provider_center_id": provider.center_id,
        "provider_name": provider.name,
        "standard_used_id": standard_id,
        "certificate_no": certificate,
        "result": result_code,
        "measured_error": amounts.get("measured_error"),
        "uncertainty": amounts.get("uncertainty"),
    }


def import_calibrations_csv(
    session: Session,
    data: bytes,
    *,
    center_code: str,
    username: str,
    today: date,
    dry_run: bool = False,
    checked: ImportResult | None = None,
) -> ImportResult:
    """Check every certificate of a file for the center's own equipment (by serial); add them all or none.

    ``checked`` as for ``import_equipment_csv``.

    Certificates go through services.certificates.add_calibration, so each equipment's stored last and
    next-due dates follow its newest certificate. A certificate number is unique per provider.
    Commits the session on success, rolls it back on a write failure.
    """
    return _CERTIFICATE_FILE.run(session, data, center_code, username, today, dry_run, checked)


def _check_certificate_rows(
    session: Session, today: date, opened: OpenedFile
) -> tuple[list[tuple[date, int, dict[str, Any]]], dict[int, dict[str, Any]]]:
    """Each certificate to insert with its day and row number (the order they are added in)."""
    table, center, rows, problems = opened
    known = _CertificatesKnown.load(session, table, rows, center, today)
    parsed: list[tuple[date, int, dict[str, Any]]] = []
    for number, cells in rows:
        values = _certificate_row(RowReader(table, CALIBRATION_COLUMNS, number, cells, problems), known)
        if values is not None:
            parsed.append((values["calibrated_on"], number, values))
    return parsed, {}


def _insert_certificates(
    session: Session,
    parsed: list[tuple[date, int, dict[str, Any]]],
    username: str,
    center: Center,
    today: date,
) -> int:
    """Add the certificates oldest first (``today`` is not needed: each certificate has its own day)."""
    due_fields = ["last_calibrated_on", "next_due_on"]
    before: dict[int, dict[str, Any]] = {}
    for _, _, values in sorted(parsed, key=lambda item: (item[0], item[1])):
        item = session.get(Equipment, values["equipment_id"])
        assert item is not None and item.id is not None
        before.setdefault(item.id, snapshot(item, due_fields))
        record = add_calibration(session, CalibrationRecord(**values))
        session.flush()
        record_change(
            session,
            username=username,
            table_name="calibration_record",
            row_id=record.id,
            action="insert",
            after=snapshot(record),
            center_id=center.id,
        )
    for equipment_id, old in before.items():
        item = session.get(Equipment, equipment_id)
        new = snapshot(item, due_fields)
        if new != old:
            record_change(
                session,
                username=username,
                table_name="equipment",
                row_id=equipment_id,
                action="update",
                before=old,
                after=new,
                center_id=center.id,
            )
    session.flush()
    return len(parsed)


_CERTIFICATE_FILE: Final = _FileKind(
    "calibration", CALIBRATION_COLUMNS, _check_certificate_rows, _insert_certificates
)


# --- templates and code lists -----------------------------------------------------------------------


def _template(columns: Sequence[Column], examples: Sequence[Sequence[str]]) -> bytes:
    # escaped like every CSV we write ("-50 … 420 °C" would be a formula); imports take the ' off
    text = rows_to_csv([[column.name for column in columns], *examples])
    return text.encode("utf-8-sig")  # BOM: Excel then opens Vietnamese text correctly


def equipment_template() -> bytes:
    """A CSV with the equipment columns and two example rows."""
    return _template(EQUIPMENT_COLUMNS, EQUIPMENT_EXAMPLES)


def calibrations_template() -> bytes:
    """A CSV with the certificate columns and two example rows (for the equipment template's rows)."""
    return _template(CALIBRATION_COLUMNS, CALIBRATION_EXAMPLES)


def quantity_codes(session: Session) -> pd.DataFrame:
    """The codes a file may use: each quantity with its instrument types."""
    rows = session.execute(
        select(
            col(Quantity.code),
            col(Quantity.name_vi),
            col(Quantity.name_en),
            col(Quantity.si_unit),
            col(InstrumentType.code),
            col(InstrumentType.name_vi),
            col(InstrumentType.name_en),
        )
        .select_from(Quantity)
        .outerjoin(InstrumentType, col(InstrumentType.quantity_code) == col(Quantity.code))
        .order_by(Quantity.code, InstrumentType.code)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "quantity",
            "quantity_name_vi",
            "quantity_name_en",
            "si_unit",
            "instrument_type",
            "type_name_vi",
            "type_name_en",
        ],
    )
