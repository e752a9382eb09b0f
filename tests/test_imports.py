"""Imports are all or nothing: every bad input gets its own message in both languages and writes nothing."""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from services import auth, imports
from services.imports import import_calibrations_csv, import_equipment_csv
from services.models import InstrumentType
from tests import tiny_network

TODAY = tiny_network.AS_OF  # 15/01/2026
EQUIPMENT_HEADER = (
    "serial_no,name,quantity,instrument_type,manufacturer,model,range,uncertainty,"
    "reference_standard,acquired_on,status,calibration_interval_months"
)
CALIBRATION_HEADER = (
    "serial_no,calibrated_on,due_on,provider,certificate_no,result,measured_error,uncertainty"
)


pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(
            session, username="tq", password="a long enough password", role="center_staff", center_code="C-TQ"
        )
        auth.create_user(
            session, username="hg", password="a long enough password", role="center_staff", center_code="C-HG"
        )
        auth.create_user(session, username="boss", password="a long enough password", role="admin")
        auth.create_user(session, username="reader", password="a long enough password", role="viewer")
        session.commit()
    return ids


def fingerprint(engine: Engine) -> dict[str, object]:
    """A checksum of every row of every table (rows compared as a set: not every table has an id)."""
    tables = sorted(inspect(engine).get_table_names())
    result: dict[str, object] = {}
    with engine.connect() as connection:
        for table in tables:
            rows = sorted(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{table}"')))
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def equipment_file(*rows: str, header: str = EQUIPMENT_HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


GOOD_ROW = (
    'NEW-1,Áp kế chuẩn,pressure,pressure_gauge,WIKA,CPB,"0–60 MPa","0,015 %",có,14/06/2024,in_service,24'
)


def run_equipment(engine: Engine, data: bytes, *, username: str = "tq", center: str = "C-TQ", **kw):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return import_equipment_csv(session, data, center_code=center, username=username, today=TODAY, **kw)


def run_calibrations(engine: Engine, data: bytes, *, username: str = "tq", center: str = "C-TQ"):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return import_calibrations_csv(session, data, center_code=center, username=username, today=TODAY)


@dataclass(frozen=True)
class Bad:
    """A bad file, where the problem must be reported, and words each language's message must contain."""

    name: str
    data: bytes
    row: int | None
    column: str | None
    key: str
    vi: str
    en: str
    kind: str = "equipment"


def row_with(**changes: str) -> str:
    values = dict(
        zip(EQUIPMENT_HEADER.split(","), next(iter(__import__("csv").reader([GOOD_ROW]))), strict=True)
    )
    values.update(changes)
    return ",".join(f'"{value}"' for value in values.values())


BAD_EQUIPMENT = [
    Bad(
        "too many values (unquoted decimal comma)",
        equipment_file(GOOD_ROW.replace('"0,015 %"', "0,015 %")),
        2,
        None,
        "data.error.too_many_values",
        "có 13 giá trị nhưng tiêu đề chỉ có 12 cột",
        "has 13 values but the header has only 12 columns",
    ),
    Bad(
        "too few values",
        equipment_file("X-1,Áp kế,pressure"),
        2,
        None,
        "data.error.too_few_values",
        "chỉ có 3 giá trị",
        "has only 3 values",
    ),
    Bad(
        "missing required value",
        equipment_file(row_with(name="")),
        2,
        "name",
        "data.error.required",
        "Thiếu giá trị bắt buộc",
        "required value is missing",
    ),
    Bad(
        "missing required column",
        equipment_file("NEW-1,Áp kế,pressure,14/06/2024", header="serial_no,name,quantity,acquired_on"),
        1,
        "range",
        "data.error.missing_column",
        'Thiếu cột bắt buộc "range"',
        'required column "range"',
    ),
    Bad(
        "misspelt column",
        equipment_file(GOOD_ROW, header=EQUIPMENT_HEADER.replace("manufacturer", "manufacture")),
        1,
        "manufacture",
        "data.error.unknown_column_suggest",
        'Có phải là "manufacturer"',
        'Did you mean "manufacturer"',
    ),
    Bad(
        "unknown unit",
        equipment_file(row_with(range="0–60 bbar")),
        2,
        "range",
        "units.error.unknown_unit",
        'Không nhận ra đơn vị "bbar"',
        'Unknown unit "bbar"',
    ),
    Bad(
        "wrong kind of unit",
        equipment_file(row_with(range="0–60 °C")),
        2,
        "range",
        "units.error.wrong_kind",
        '"°C" không phải đơn vị áp suất mà là đơn vị nhiệt độ',
        '"°C" is not a unit of pressure but of temperature',
    ),
    Bad(
        "uncertainty of the wrong kind",
        equipment_file(row_with(uncertainty="0,5 kg")),
        2,
        "uncertainty",
        "units.error.wrong_kind",
        "không phải đơn vị áp suất",
        "is not a unit of pressure",
    ),
    Bad(
        "unknown quantity",
        equipment_file(row_with(quantity="presure", instrument_type="")),
        2,
        "quantity",
        "data.error.unknown_quantity_suggest",
        'mã "presure"',
        'code "presure". Did you mean "pressure"',
    ),
    Bad(
        "unknown instrument type",
        equipment_file(row_with(instrument_type="pressure_gage")),
        2,
        "instrument_type",
        "data.error.unknown_instrument_type_suggest",
        'Có phải là "pressure_gauge"',
        'Did you mean "pressure_gauge"',
    ),
    Bad(
        "instrument type of another quantity",
        equipment_file(row_with(instrument_type="clinical_thermometer")),
        2,
        "instrument_type",
        "data.error.type_quantity_mismatch",
        'đo đại lượng "temperature"',
        'measures "temperature", not "pressure"',
    ),
    Bad(
        "date that does not parse",
        equipment_file(row_with(acquired_on="June 2024")),
        2,
        "acquired_on",
        "data.error.bad_date",
        'Không đọc được ngày "June 2024"',
        'Cannot read the date "June 2024"',
    ),
    Bad(
        "date that does not exist",
        equipment_file(row_with(acquired_on="31/02/2024")),
        2,
        "acquired_on",
        "data.error.no_such_date",
        '"31/02/2024" không tồn tại',
        '"31/02/2024" does not exist',
    ),
    Bad(
        "date in the future",
        equipment_file(row_with(acquired_on="16/01/2026")),
        2,
        "acquired_on",
        "data.error.future_date",
        "16/01/2026 ở tương lai (hôm nay là 15/01/2026)",
        "16/01/2026 is in the future (today is 15/01/2026)",
    ),
    Bad(
        "duplicate serial in the file",
        equipment_file(GOOD_ROW, row_with(name="Khác")),
        3,
        "serial_no",
        "data.error.duplicate_serial_in_file",
        "đã có ở dòng 2",
        "already on row 2",
    ),
    Bad(
        "serial the center already holds",
        equipment_file(row_with(serial_no="OVERDUE-1")),
        2,
        "serial_no",
        "data.error.duplicate_serial_existing",
        'Số sê-ri "OVERDUE-1" đã có trong thiết bị của C-TQ',
        'Serial number "OVERDUE-1" is already among C-TQ\'s equipment',
    ),
    Bad(
        "range low above high",
        equipment_file(row_with(range="60–0 MPa")),
        2,
        "range",
        "units.error.low_above_high",
        "lớn hơn giá trị cuối",
        "above its end",
    ),
    Bad(
        "bad status",
        equipment_file(row_with(status="broken")),
        2,
        "status",
        "data.error.bad_status",
        'Tình trạng "broken" không hợp lệ',
        'Status "broken" is not valid',
    ),
    Bad(
        "bad interval",
        equipment_file(row_with(calibration_interval_months="1,5")),
        2,
        "calibration_interval_months",
        "data.error.bad_integer",
        "số nguyên từ 1 đến 240",
        "whole number from 1 to 240",
    ),
    Bad("empty file", b"", None, None, "data.error.empty_file", "Tệp trống", "The file is empty"),
    Bad(
        "header only",
        equipment_file(),
        None,
        None,
        "data.error.no_rows",
        "không có dòng dữ liệu",
        "no data rows",
    ),
    Bad(
        "not UTF-8 (Windows-1252 text)",
        equipment_file(GOOD_ROW.replace("Áp kế chuẩn", "Áp")).replace("Áp".encode(), "Áp".encode("cp1252")),
        2,
        None,
        "data.error.not_utf8",
        "không dùng mã UTF-8",
        "not UTF-8",
    ),
    Bad(
        "old Excel file", b"\xd0\xcf\x11\xe0" + b"\0" * 64, None, None, "data.error.old_excel", ".xls", ".xls"
    ),
]

CERTIFICATE = "OVERDUE-1,10/01/2026,,IMTS,IMTS-9001,pass,,"
BAD_CALIBRATIONS = [
    Bad(
        "unknown serial",
        equipment_file("NOPE-1,10/01/2026,,IMTS,IMTS-9001,pass,,", header=CALIBRATION_HEADER),
        2,
        "serial_no",
        "data.error.unknown_serial",
        'C-TQ không có thiết bị nào số sê-ri "NOPE-1"',
        'C-TQ has no equipment with serial number "NOPE-1"',
        kind="calibration",
    ),
    Bad(
        "certificate number the provider already issued",
        equipment_file("OVERDUE-1,10/01/2026,,IMTS,IMTS-0001,pass,,", header=CALIBRATION_HEADER),
        2,
        "certificate_no",
        "data.error.duplicate_certificate_existing",
        'Giấy chứng nhận số "IMTS-0001" của IMTS đã có',
        'Certificate "IMTS-0001" of IMTS is already',
        kind="calibration",
    ),
    Bad(
        "certificate number twice in the file",
        equipment_file(CERTIFICATE, CERTIFICATE.replace("OVERDUE-1", "SOON-1"), header=CALIBRATION_HEADER),
        3,
        "certificate_no",
        "data.error.duplicate_certificate_in_file",
        "đã có ở dòng 2",
        "already on row 2",
        kind="calibration",
    ),
    Bad(
        "calibrated in the future",
        equipment_file(CERTIFICATE.replace("10/01/2026", "2026-02-01"), header=CALIBRATION_HEADER),
        2,
        "calibrated_on",
        "data.error.future_date",
        "2026-02-01 ở tương lai",
        "2026-02-01 is in the future",
        kind="calibration",
    ),
    Bad(
        "due before calibrated",
        equipment_file("OVERDUE-1,10/01/2026,01/01/2026,IMTS,IMTS-9001,pass,,", header=CALIBRATION_HEADER),
        2,
        "due_on",
        "data.error.due_before_calibrated",
        "01/01/2026 sớm hơn ngày hiệu chuẩn 10/01/2026",
        "01/01/2026 is before the calibration date 10/01/2026",
        kind="calibration",
    ),
    Bad(
        "bad result",
        equipment_file(CERTIFICATE.replace("pass", "ok"), header=CALIBRATION_HEADER),
        2,
        "result",
        "data.error.bad_result",
        'Kết quả "ok" không hợp lệ',
        'Result "ok" is not valid',
        kind="calibration",
    ),
    Bad(
        "uncertainty of another kind",
        equipment_file(CERTIFICATE + '"0,5 %"', header=CALIBRATION_HEADER),
        2,
        "uncertainty",
        "data.error.amount_kind",
        "không cùng loại",
        "not of the same kind",
        kind="calibration",
    ),
]


def assert_reported(result, case: Bad) -> None:  # type: ignore[no-untyped-def]
    assert not result.ok and result.written == 0
    matching = [p for p in result.problems if (p.row, p.column, p.key) == (case.row, case.column, case.key)]
    assert matching, [(p.row, p.column, p.key, p.message("en")) for p in result.problems]
    problem = matching[0]
    assert case.vi in problem.message("vi"), problem.message("vi")
    assert case.en in problem.message("en"), problem.message("en")
    for lang in ("vi", "en"):
        assert not re.search(r"[{}]|\b(?:data|units)\.[a-z_]+\.[a-z_]+", problem.located(lang))


@pytest.mark.parametrize("case", BAD_EQUIPMENT + BAD_CALIBRATIONS, ids=lambda case: case.name)
def test_bad_input_gets_its_own_message_and_writes_nothing(
    engine: Engine, network: dict[str, int], case: Bad
) -> None:
    before = fingerprint(engine)
    run = run_equipment if case.kind == "equipment" else run_calibrations
    result = run(engine, case.data)
    assert_reported(result, case)
    assert fingerprint(engine) == before


def test_every_problem_of_a_file_is_reported_at_once(engine: Engine, network: dict[str, int]) -> None:
    data = equipment_file(
        row_with(range="0–60 bbar", acquired_on="16/01/2026"),
        GOOD_ROW.replace("NEW-1", "NEW-2"),
        row_with(serial_no="OVERDUE-1", status="broken"),
    )
    before = fingerprint(engine)
    result = run_equipment(engine, data)
    places = {(p.row, p.column) for p in result.problems}
    assert places == {(2, "range"), (2, "acquired_on"), (4, "serial_no"), (4, "status")}
    assert result.problems[0].located("vi").startswith('Dòng 2, cột "acquired_on": ')
    assert result.problems[0].located("en").startswith('Row 2, column "acquired_on": ')
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("username", "center", "key"),
    [
        ("hg", "C-TQ", "data.error.not_allowed"),  # staff of another center
        ("reader", "C-TQ", "data.error.not_allowed"),  # a viewer changes nothing
        ("nobody", "C-TQ", "data.error.not_allowed"),
        ("boss", "C-XX", "data.error.unknown_center"),
        ("hg", "C-HG", "data.error.center_closed"),  # closed 30/06/2025, merged into C-TQ
    ],
)
def test_only_a_centers_own_staff_or_an_admin_may_import(
    engine: Engine, network: dict[str, int], username: str, center: str, key: str
) -> None:
    before = fingerprint(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW), username=username, center=center)
    assert [p.key for p in result.problems] == [key]
    assert "C-TQ" in result.problems[0].message("vi") or key != "data.error.center_closed"
    assert fingerprint(engine) == before


def test_an_empty_database_says_so(engine: Engine) -> None:
    before = fingerprint(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW))
    assert [p.key for p in result.problems] == ["data.error.empty_database"]
    assert "chưa có trung tâm nào" in result.problems[0].message("vi")
    assert "no centers yet" in result.problems[0].message("en")
    assert fingerprint(engine) == before


def test_a_failure_while_writing_leaves_nothing_half_written(
    engine: Engine, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = imports.record_change

    def fail_on_second(session, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("disk full"))
        return real(session, **kwargs)

    monkeypatch.setattr(imports, "record_change", fail_on_second)
    before = fingerprint(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW, GOOD_ROW.replace("NEW-1", "NEW-2")))
    assert [p.key for p in result.problems] == ["data.error.write_failed"] and result.written == 0
    assert fingerprint(engine) == before


def test_a_dry_run_checks_but_writes_nothing(engine: Engine, network: dict[str, int]) -> None:
    before = fingerprint(engine)
    result = run_equipment(engine, equipment_file(GOOD_ROW), dry_run=True)
    assert result.ok and result.rows == 1 and result.written == 0
    assert list(result.preview["serial_no"]) == ["NEW-1"]
    assert fingerprint(engine) == before


def stored(engine: Engine, serial: str, center: str = "C-TQ") -> dict[str, object]:
    with engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    "SELECT e.* FROM equipment e JOIN center c ON c.id = e.center_id WHERE serial_no = :s AND c.code = :c"
                ),
                {"s": serial, "c": center},
            )
            .mappings()
            .one()
        )
    return dict(row)


def audit_rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [
            dict(r)
            for r in connection.execute(
                text("SELECT * FROM audit_log WHERE table_name <> 'app_user' ORDER BY id")
            ).mappings()
        ]  # data changes


def test_a_good_semicolon_file_with_bom_and_decimal_commas_imports_every_row_in_si(
    engine: Engine, network: dict[str, int]
) -> None:
    data = (
        "\ufeff"
        + "\n".join(
            [
                "serial_no;name;quantity;instrument_type;range;uncertainty;reference_standard;acquired_on;status",
                "P-1;Áp kế chuẩn;pressure;pressure_gauge;0–60 MPa;0,015 %;có;14/06/2024;",
                "T-1;Nhiệt kế chuẩn;temperature;clinical_thermometer;-50 … 420 °C;±0,02 °C;không;2024-07-01;Đang sửa chữa",
                "P-2;Áp kế kỹ thuật;pressure;;0 kPa – 1,6 MPa;2,5 kPa;;1/2/2023;retired",
                "RETIRED-1;Áp kế trùng số với IMTS;pressure;;≤ 600 bar;;;15/01/2026;",
            ]
        )
        + "\n"
    )
    result = run_equipment(engine, data.encode("utf-8"))
    assert result.ok, [p.located("en") for p in result.problems]
    assert (result.rows, result.written) == (4, 4)
    p1, t1, p2, same_serial = (stored(engine, s) for s in ("P-1", "T-1", "P-2", "RETIRED-1"))
    assert (p1["range_min_si"], p1["range_max_si"], p1["range_unit"]) == (0, 60e6, "MPa")
    assert (p1["uncertainty_value"], p1["uncertainty_unit"], bool(p1["uncertainty_relative"])) == (
        0.015,
        "%",
        True,
    )
    assert p1["calibration_interval_months"] == 12  # the pressure gauge's verification interval
    assert p1["status"] == "in_service" and bool(p1["is_reference_standard"])
    assert t1["range_min_si"] == pytest.approx(223.15) and t1["range_max_si"] == pytest.approx(693.15)
    assert (t1["range_min"], t1["range_max"]) == (-50, 420) and t1["status"] == "repair"
    assert (t1["uncertainty_value"], bool(t1["uncertainty_relative"])) == (0.02, False)
    assert (p2["range_min"], p2["range_max"], p2["range_unit"]) == (0, 1.6, "MPa")
    assert (p2["range_min_si"], p2["range_max_si"]) == (0, pytest.approx(1.6e6))
    assert str(p2["acquired_on"]) == "2023-02-01" and p2["status"] == "retired"
    assert same_serial["range_max_si"] == pytest.approx(6e7)  # a serial is unique per center only
    logged = audit_rows(engine)
    assert len(logged) == 4 and {r["action"] for r in logged} == {"insert"}
    assert {json.loads(r["after"])["serial_no"] for r in logged} == {"P-1", "T-1", "P-2", "RETIRED-1"}
    assert {r["username"] for r in logged} == {"tq"} and {r["center_id"] for r in logged} == {network["tq"]}


def test_an_xlsx_file_imports_like_a_csv(engine: Engine, network: dict[str, int]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["serial_no", "name", "quantity", "range", "acquired_on", "calibration_interval_months"])
    sheet.append(["X-1", "Áp kế", "pressure", "0–25 bar", date(2024, 6, 14), 24])
    sheet.append(["X-2", "Áp kế", "pressure", "0–25 bbar", "14/06/2030", 24.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    bad = run_equipment(engine, buffer.getvalue())
    assert {(p.row, p.column, p.key) for p in bad.problems} == {
        (3, "range", "units.error.unknown_unit"),
        (3, "acquired_on", "data.error.future_date"),
    }
    sheet.delete_rows(3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    good = run_equipment(engine, buffer.getvalue())
    assert good.ok and good.written == 1
    row = stored(engine, "X-1")
    assert row["range_max_si"] == pytest.approx(2.5e6) and row["calibration_interval_months"] == 24
    assert str(row["acquired_on"]) == "2024-06-14"


def test_certificates_import_and_move_the_stored_due_date(engine: Engine, network: dict[str, int]) -> None:
    data = equipment_file(
        'OVERDUE-1,10/01/2026,,IMTS,IMTS-9001,pass,"0,001","0,2 MPa"',
        "OVERDUE-1,2025-12-20,,Other lab,OL-1,limited,,",
        "SOON-1,05/01/2026,05/07/2026,C-TQ,TQ-1,pass,,",
        header=CALIBRATION_HEADER,
    )
    result = run_calibrations(engine, data)
    assert result.ok, [p.located("en") for p in result.problems]
    assert result.written == 3
    overdue, soon = stored(engine, "OVERDUE-1"), stored(engine, "SOON-1")
    # the newest certificate wins, whatever the file's order; 12-month interval
    assert str(overdue["last_calibrated_on"]) == "2026-01-10" and str(overdue["next_due_on"]) == "2027-01-10"
    assert str(soon["next_due_on"]) == "2026-07-05"
    with engine.connect() as connection:
        certificate = connection.execute(
            text(
                "SELECT provider_center_id, provider_name, measured_error, uncertainty FROM calibration_record "
                "WHERE certificate_no = 'IMTS-9001'"
            )
        ).one()
        tq = connection.execute(
            text("SELECT provider_center_id FROM calibration_record WHERE certificate_no = 'TQ-1'")
        ).scalar_one()
    # the tiny network's gauges keep no uncertainty unit: amounts are read in the range unit (MPa)
    assert certificate == (network["imts"], "IMTS", 0.001, pytest.approx(0.2))
    assert tq == network["tq"]
    logged = audit_rows(engine)
    inserts = [r for r in logged if r["table_name"] == "calibration_record"]
    updates = [r for r in logged if r["table_name"] == "equipment"]
    assert len(inserts) == 3 and len(updates) == 2
    overdue_update = next(r for r in updates if r["row_id"] == str(network["overdue"]))
    assert json.loads(overdue_update["before"]) == {
        "last_calibrated_on": "2024-12-01",
        "next_due_on": "2025-12-01",
    }
    assert json.loads(overdue_update["after"]) == {
        "last_calibrated_on": "2026-01-10",
        "next_due_on": "2027-01-10",
    }


def test_the_templates_import_cleanly_one_after_the_other(engine: Engine, network: dict[str, int]) -> None:
    with Session(engine) as session:  # the template uses a type of the real catalog that the tiny one lacks
        session.add(
            InstrumentType(
                code="industrial_thermometer",
                quantity_code="temperature",
                name_vi="Nhiệt kế công nghiệp",
                name_en="Industrial thermometer",
            )
        )
        session.commit()
    equipment = run_equipment(engine, imports.equipment_template(), username="boss", center="C-TQ")
    assert equipment.ok and equipment.written == 2, [p.located("en") for p in equipment.problems]
    certificates = run_calibrations(engine, imports.calibrations_template(), username="boss")
    assert certificates.ok and certificates.written == 2, [p.located("en") for p in certificates.problems]
    assert str(stored(engine, "PG-2024-001", "C-TQ")["next_due_on"]) == "2026-06-20"  # 24-month interval


def test_translated_headers_are_accepted(engine: Engine, network: dict[str, int]) -> None:
    header = "Số sê-ri,Tên thiết bị,Đại lượng,Phạm vi đo,Ngày đưa vào sử dụng"
    result = run_equipment(engine, equipment_file('V-1,Áp kế,pressure,"0–1 MPa",01/01/2025', header=header))
    assert result.ok and result.written == 1


# --- the write reuses the check it was shown, and only that one ----------------------------------------


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every file that imports actually read (the real reader runs; the list only counts the calls)."""
    reads: list[bytes] = []
    real = imports.read_table

    def counting(data: bytes, columns):  # type: ignore[no-untyped-def]
        reads.append(data)
        return real(data, columns)

    monkeypatch.setattr(imports, "read_table", counting)
    return reads


def test_the_confirmed_import_writes_what_the_check_found_without_checking_again(
    engine: Engine, network: dict[str, int], counted_reads: list[bytes]
) -> None:
    data = equipment_file(GOOD_ROW, GOOD_ROW.replace("NEW-1", "NEW-2"))
    checked = run_equipment(engine, data, dry_run=True)
    assert checked.ok and checked.check_key and len(counted_reads) == 1
    final = run_equipment(engine, data, checked=checked)
    assert final.ok and final.written == 2 and final.rows == 2
    assert len(counted_reads) == 1  # written from the check, not read a second time
    assert stored(engine, "NEW-2")["range_max_si"] == pytest.approx(60e6)
    assert {json.loads(r["after"])["serial_no"] for r in audit_rows(engine)} == {"NEW-1", "NEW-2"}


def test_a_check_is_not_reused_for_another_file_or_another_user(
    engine: Engine, network: dict[str, int], counted_reads: list[bytes]
) -> None:
    checked = run_equipment(engine, equipment_file(GOOD_ROW), dry_run=True)
    changed = equipment_file(row_with(range="0–60 bbar"))  # another file: checked afresh, so refused
    refused = run_equipment(engine, changed, checked=checked)
    assert [p.key for p in refused.problems] == ["units.error.unknown_unit"] and refused.written == 0
    other_user = run_equipment(engine, equipment_file(GOOD_ROW), username="boss", checked=checked)
    assert other_user.ok and other_user.written == 1
    assert len(counted_reads) == 3  # both were read and checked again
    assert json.loads(audit_rows(engine)[0]["after"])["serial_no"] == "NEW-1"
    assert audit_rows(engine)[0]["username"] == "boss"


def test_a_check_made_before_another_write_is_checked_again(
    engine: Engine, network: dict[str, int], counted_reads: list[bytes]
) -> None:
    data = equipment_file(GOOD_ROW)
    checked = run_equipment(engine, data, dry_run=True)
    meanwhile = run_equipment(engine, data, username="boss")  # someone adds the same serial first
    assert meanwhile.written == 1
    before = fingerprint(engine)
    again = run_equipment(engine, data, checked=checked)
    assert [p.key for p in again.problems] == ["data.error.duplicate_serial_existing"] and again.written == 0
    assert fingerprint(engine) == before and len(counted_reads) == 3


def test_a_check_result_handed_to_another_account_writes_nothing(
    engine: Engine, network: dict[str, int]
) -> None:
    data = equipment_file(GOOD_ROW)
    checked = run_equipment(engine, data, dry_run=True)
    with Session(engine) as session:
        key = imports.check_key(session, data, "equipment", center_code="C-TQ", username="tq", today=TODAY)
    assert key == checked.check_key
    forged = imports.ImportResult(kind="equipment", check_key=checked.check_key, to_write=checked.to_write)
    before = fingerprint(engine)
    refused = run_equipment(engine, data, username="hg", checked=forged)  # staff of another center
    assert [p.key for p in refused.problems] == ["data.error.not_allowed"] and fingerprint(engine) == before
