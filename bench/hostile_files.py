"""Time and memory for every hostile import file (tests/hostile_files.py), and for legal 20,000-row files.

    python -m bench.hostile_files [--only WORDS]

Each file is checked (a dry run, as the page's "Check" button does) against a small network in a
temporary SQLite file; the legal certificate files (one certificate per item) against the same
network holding the 20,000 items of the legal equipment file. Time is wall-clock of one run, and the CPU time of the same run (the fairer
figure on a machine other work shares: wall-clock then counts the others' turns too); memory is the
peak of Python allocations during a second run (tracemalloc, which slows that run down). Budget:
5 s and 300 MB per file. ``--json PATH`` writes the figures too.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.db import make_engine, upgrade_schema
from services.imports import ImportResult, import_calibrations_csv, import_equipment_csv
from services.models import Center, User
from tests import hostile_files, tiny_network

TODAY = date(2026, 1, 15)
BUDGET_SECONDS = 5.0
BUDGET_MB = 300.0


def legal_rows(count: int, *, distinct: bool = False) -> bytes:
    """``count`` good rows; ``distinct``: no two ranges, uncertainties or dates alike (no value read twice)."""
    header = (
        "serial_no;name;quantity;instrument_type;manufacturer;model;range;uncertainty;reference_standard;"
        "acquired_on;status;calibration_interval_months"
    )

    def values(n: int) -> tuple[str, str, str]:
        if not distinct:
            return "0–60 MPa", "0,015 %", "14/06/2024"
        acquired = date(2000, 1, 1) + timedelta(days=n % 9000)
        return (
            f"0–{60 + n / 1000:.3f} MPa".replace(".", ","),
            f"{0.01 + n / 1e6:.6f} %".replace(".", ","),
            acquired.strftime("%d/%m/%Y"),
        )

    rows = [
        f"PG-{n:05d};Áp kế chuẩn {n};pressure;pressure_gauge;WIKA;CPB5800;{measuring_range};{uncertainty};có;"
        f"{acquired};in_service;24"
        for n in range(count)
        for measuring_range, uncertainty, acquired in [values(n)]
    ]
    return ("\n".join([header, *rows]) + "\n").encode()


def legal_certificates(count: int, *, distinct: bool = False) -> bytes:
    """One good certificate for each item of ``legal_rows(count, distinct=distinct)``."""
    header = (
        "serial_no;calibrated_on;due_on;provider;certificate_no;result;measured_error;uncertainty;"
        "standard_serial"
    )

    def values(n: int) -> tuple[str, str, str, str]:
        acquired = date(2000, 1, 1) + timedelta(days=n % 9000) if distinct else date(2024, 6, 14)
        calibrated = acquired + timedelta(days=30)
        if not distinct:
            return calibrated.strftime("%d/%m/%Y"), "", "0,002", "0,01 %"
        due = calibrated + timedelta(days=365)
        return (
            calibrated.strftime("%d/%m/%Y"),
            due.strftime("%d/%m/%Y"),
            f"{n / 1e7:.7f}".replace(".", ","),
            f"{0.005 + n / 1e7:.7f} %".replace(".", ","),
        )

    rows = [
        f"PG-{n:05d};{calibrated};{due};VMI;VMI-{n:05d};pass;{error};{uncertainty};"
        for n in range(count)
        for calibrated, due, error, uncertainty in [values(n)]
    ]
    return ("\n".join([header, *rows]) + "\n").encode()


def as_xlsx(csv_bytes: bytes) -> bytes:
    """The rows of one of the CSVs above as an XLSX written by openpyxl (inline strings: the largest
    sheet XML for them)."""
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for line in csv_bytes.decode().splitlines():
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def legal_rows_xlsx(count: int, *, distinct: bool = False) -> bytes:
    return as_xlsx(legal_rows(count, distinct=distinct))


def _network(*, items: bytes = b"") -> Engine:
    """A small network in a temporary SQLite file, a staff account of C-TQ, and ``items`` imported."""
    engine = make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'hostile.db'}")
    upgrade_schema(engine)
    with Session(engine) as session:
        tiny_network.build(session)
        center = session.exec(select(Center).where(Center.code == "C-TQ")).one()
        session.add(User(username="tq", role="center_staff", center_id=center.id))
        session.commit()
        if items:
            written = import_equipment_csv(session, items, center_code="C-TQ", username="tq", today=TODAY)
            assert written.ok, written.problems[:3]
    return engine


def _as_csv(data: bytes) -> bytes:
    return data


def _legal_file(
    rows: Callable[..., bytes], as_form: Callable[[bytes], bytes], distinct: bool
) -> Callable[[], bytes]:
    return lambda: as_form(rows(20_000, distinct=distinct))


Case = tuple[Callable[[], bytes], Callable[..., ImportResult], Callable[[], Engine]]


def _cases() -> dict[str, Case]:
    """name -> (the file, the import that checks it, the database it is checked against)."""
    engine = _network()
    equipment = partial(import_equipment_csv, center_code="C-TQ", username="tq", today=TODAY, dry_run=True)
    certificates = partial(
        import_calibrations_csv, center_code="C-TQ", username="tq", today=TODAY, dry_run=True
    )
    holding: dict[bool, Engine] = {}  # distinct or not -> a network holding that legal file's items

    def holding_items(distinct: bool) -> Engine:
        if distinct not in holding:
            holding[distinct] = _network(items=legal_rows(20_000, distinct=distinct))
        return holding[distinct]

    cases: dict[str, Case] = {
        name: (build, equipment, lambda: engine) for name, build in hostile_files.HOSTILE.items()
    }
    for distinct in (False, True):
        label = ", all distinct" if distinct else ""
        for form, as_form in (("CSV", _as_csv), ("XLSX", as_xlsx)):
            cases[f"legal 20,000 rows{label} ({form})"] = (
                _legal_file(legal_rows, as_form, distinct),
                equipment,
                lambda: engine,
            )
            cases[f"legal 20,000 certificates{label} ({form})"] = (
                _legal_file(legal_certificates, as_form, distinct),
                certificates,
                partial(holding_items, distinct),
            )
    return cases


def _measure(name: str, data: bytes, check: Callable[[], ImportResult]) -> dict[str, object]:
    """One case timed once and measured for memory on a second run, printed as a row of the table."""
    started, cpu_started = time.perf_counter(), time.process_time()
    result = check()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    tracemalloc.start()
    check()
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    first = result.problems[0].key if result.problems else f"ok, {result.rows} rows"
    flag = "" if seconds <= BUDGET_SECONDS and peak <= BUDGET_MB else "  OVER BUDGET"
    size = f"{len(data) / 1024:.1f} KB" if len(data) < 1024 * 1024 else f"{len(data) / 1024 / 1024:.1f} MB"
    print(f"{name:<50}{size:>10}{seconds:>9.3f}{cpu:>8.3f}{peak:>9.1f}  {first}{flag}")
    return {
        "file": name,
        "bytes": len(data),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "peak_mb": round(peak, 1),
        "first_problem": first,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--json", default="", help="write the figures to this file")
    args = parser.parse_args()
    print(f"{'file':<50}{'size':>10}{'seconds':>9}{'cpu s':>8}{'peak MB':>9}  first problem")
    figures: list[dict[str, object]] = []
    for name, (build, importer, database) in _cases().items():
        if args.only and args.only not in name:
            continue
        data, against = build(), database()

        def check(data: bytes = data, importer=importer, against=against) -> ImportResult:  # type: ignore[no-untyped-def]
            with Session(against) as session:
                return importer(session, data)

        figures.append(_measure(name, data, check))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
