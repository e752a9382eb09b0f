"""Hostile files are refused before any row is built, each with its own message in both languages, writing nothing.

Times and memory are measured by ``python -m bench.hostile_files`` (not here: tests never assert on
the clock); these tests prove what each file gets and that the tables did not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services import auth, editing, imports, tabular
from services.tabular import MAX_ROWS
from tests import hostile_files as hostile
from tests import tiny_network
from tests.test_imports import fingerprint

TODAY = tiny_network.AS_OF
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("cheap_password_hashes")


@pytest.fixture
def network(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        auth.create_user(session, username="tq", password=PASSWORD, role="center_staff", center_code="C-TQ")
        session.commit()
    return ids


def run(engine: Engine, data: bytes) -> imports.ImportResult:
    with Session(engine) as session:
        return imports.import_equipment_csv(session, data, center_code="C-TQ", username="tq", today=TODAY)


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[], bytes]
    key: str
    vi: str
    en: str
    row: int | None = None


HOSTILE = [
    Hostile(
        "4.7 KB sheet declaring A1:XFD1048576",
        hostile.dimension_bomb,
        "data.limit.declared_dimension",
        "khai báo vùng dữ liệu A1:XFD1048576 (1048576 dòng × 16384 cột)",
        "declares the data area A1:XFD1048576 (1048576 rows × 16384 columns)",
    ),
    Hostile(
        "a value on row 1,048,576",
        hostile.far_row,
        "data.limit.row_beyond",
        "có dữ liệu ở dòng 1048576",
        "has data on row 1048576",
    ),
    Hostile(
        "a value in column XFD",
        hostile.far_column,
        "data.limit.column_beyond",
        "Ô XFD3 nằm ngoài giới hạn 64 cột",
        "Cell XFD3 lies beyond the limit of 64 columns",
    ),
    Hostile(
        "72 MB of sheet XML in 200 KB",
        hostile.unpacked_bomb,
        "data.limit.unpacked_too_big",
        "khi giải nén lớn 72.0 MB, vượt giới hạn 40.0 MB",
        "Unpacked, the XLSX file is 72.0 MB",
    ),
    Hostile(
        "a zip directory lying about sizes",
        hostile.lying_sizes,
        "data.error.unreadable_xlsx",
        "Không mở được tệp XLSX",
        "XLSX",
    ),
    Hostile(
        "600,000 empty formatted cells",
        lambda: hostile.many_cells(600_000),
        "data.limit.too_many_cells",
        "Trang tính có hơn 500000 ô",
        "The sheet has more than 500000 cells",
    ),
    Hostile(
        "1,300,000 XML elements",
        lambda: hostile.many_elements(1_300_000),
        "data.limit.too_many_elements",
        "hơn 1200000 phần tử XML",
        "more than 1200000 XML elements",
    ),
    Hostile(
        "20,001 data rows (XLSX)",
        lambda: hostile.many_rows_xlsx(MAX_ROWS + 1),
        "data.limit.too_many_rows_over",
        "Tệp có hơn 20000 dòng dữ liệu",
        "The file has more than 20000 data rows",
    ),
    Hostile(
        "malformed sheet XML",
        hostile.malformed_sheet,
        "data.limit.malformed_xml",
        'phần "xl/worksheets/sheet1.xml" không phải XML hợp lệ (dòng 1',
        'its part "xl/worksheets/sheet1.xml" is not valid XML (line 1',
    ),
    Hostile(
        "malformed workbook XML",
        hostile.malformed_workbook,
        "data.limit.malformed_xml",
        'phần "xl/workbook.xml" không phải XML hợp lệ',
        'its part "xl/workbook.xml" is not valid XML',
    ),
    Hostile(
        "billion laughs",
        hostile.entity_bomb,
        "data.limit.xml_dtd",
        "khai báo DTD hoặc thực thể XML",
        "an XML DTD or entity declaration",
    ),
    Hostile(
        "a shared string that does not exist",
        hostile.shared_string_out_of_range,
        "data.limit.bad_cell",
        'ô A3 có giá trị "99999999"',
        'cell A3 holds "99999999"',
    ),
    Hostile(
        "a number cell holding letters",
        hostile.not_a_number_cell,
        "data.limit.bad_cell",
        'ô A3 có giá trị "12abc"',
        'cell A3 holds "12abc"',
    ),
    Hostile(
        "1,001 zip parts",
        lambda: hostile.many_parts(1_001),
        "data.limit.too_many_parts",
        "gồm 1006 thành phần nén, vượt giới hạn 1000",
        "holds 1006 compressed parts",
    ),
    Hostile(
        "a zip claiming encryption",
        hostile.zip_claiming_encryption,
        "data.limit.encrypted",
        "được đặt mật khẩu",
        "protected with a password",
    ),
    Hostile(
        "an .xlsx saved with a password",
        hostile.password_protected_office,
        "data.limit.encrypted",
        "được đặt mật khẩu",
        "protected with a password",
    ),
    Hostile(
        "not a zip at all", hostile.not_a_zip, "data.error.unreadable_xlsx", "Không mở được tệp XLSX", "XLSX"
    ),
    Hostile(
        "a 1,000,000-character shared string",
        lambda: hostile.long_cell_xlsx(1_000_000, shared=True),
        "data.limit.cell_too_long",
        "Ô dài 1000000 ký tự, vượt giới hạn 1000",
        "The cell is 1000000 characters long, over the limit of 1000",
        row=2,
    ),
    Hostile(
        "a 5,000-character inline string",
        lambda: hostile.long_cell_xlsx(5_000, shared=False),
        "data.limit.cell_too_long",
        "Ô dài 5000 ký tự",
        "The cell is 5000 characters long",
        row=2,
    ),
    Hostile(
        "a formula without its value",
        hostile.formula_without_value,
        "data.limit.formula_without_value",
        "không lưu kết quả của công thức",
        "does not store its result",
        row=2,
    ),
    Hostile(
        "a 130,000-character CSV cell",
        lambda: hostile.long_cell_csv(130_000),
        "data.limit.cell_too_long",
        "Ô dài 130000 ký tự",
        "The cell is 130000 characters long",
        row=2,
    ),
    Hostile(
        "a 200,000-character CSV cell (past the csv module's own limit)",
        lambda: hostile.long_cell_csv(200_000),
        "data.limit.cell_too_long",
        "Ô dài > 131072 ký tự",
        "The cell is > 131072 characters long",
        row=2,
    ),
    Hostile(
        "a 5,000-digit exponent (CSV): past the cell length",
        hostile.huge_exponent_csv,
        "data.limit.cell_too_long",
        "Ô dài 5008 ký tự",
        "The cell is 5008 characters long",
        row=2,
    ),
    Hostile(
        "a 900-digit exponent in a range",
        lambda: hostile.huge_exponent_csv(900),
        "units.error.number_out_of_range",
        "quá lớn hoặc quá nhỏ để lưu",
        "is too large or too small to store",
        row=2,
    ),
    Hostile(
        "a 900-digit exponent in a range (XLSX)",
        lambda: hostile.huge_exponent_xlsx(900),
        "units.error.number_out_of_range",
        "quá lớn hoặc quá nhỏ để lưu",
        "is too large or too small to store",
        row=2,
    ),
    Hostile(
        "a header of 100 columns",
        lambda: hostile.wide_header(100),
        "data.limit.too_many_columns",
        "Dòng tiêu đề có 100 cột, vượt giới hạn 64",
        "The header row has 100 columns, more than the limit of 64",
        row=1,
    ),
]


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.name)
def test_a_hostile_file_is_refused_with_its_own_message_and_writes_nothing(
    engine: Engine, network: dict[str, int], case: Hostile
) -> None:
    before = fingerprint(engine)
    result = run(engine, case.build())
    assert not result.ok and result.written == 0
    matching = [p for p in result.problems if p.key == case.key]
    assert matching, [(p.row, p.column, p.key, p.message("en")) for p in result.problems]
    problem = matching[0]
    assert problem.row == case.row
    assert case.vi in problem.located("vi"), problem.located("vi")
    assert case.en in problem.located("en"), problem.located("en")
    assert fingerprint(engine) == before


def test_a_million_trailing_separators_are_trimmed_and_the_row_imports(
    engine: Engine, network: dict[str, int]
) -> None:
    for serial, data in enumerate(
        (hostile.trailing_semicolons(1_000_000), hostile.header_trailing_semicolons(1_000_000))
    ):
        result = run(engine, data.replace(b"HOSTILE-1", b"TRAILING-%d" % serial))
        assert result.ok and result.written == 1, [p.located("en") for p in result.problems]


def test_the_row_limit_is_checked_before_any_row_is_validated(
    engine: Engine, network: dict[str, int]
) -> None:
    # every one of these rows is wrong (unknown unit), yet the only problem is the row count
    data = hostile.many_rows_csv(MAX_ROWS + 1).replace(b"MPa", b"bbar")
    result = run(engine, data)
    assert [(p.key, p.params) for p in result.problems] == [
        ("data.error.too_many_rows", {"count": str(MAX_ROWS + 1), "limit": str(MAX_ROWS)})
    ]
    assert "Tệp có 20001 dòng dữ liệu, vượt quá giới hạn 20000 dòng" in result.problems[0].message("vi")
    assert "20001" in result.problems[0].message("en") and "20000" in result.problems[0].message("en")


def test_a_file_at_the_row_limit_is_read(engine: Engine, network: dict[str, int]) -> None:
    table, problems = tabular.read_table(hostile.many_rows_csv(MAX_ROWS), imports.EQUIPMENT_COLUMNS)
    assert problems == [] and table is not None and len(table.rows) == MAX_ROWS


def test_an_excel_style_workbook_reads_shared_strings_dates_numbers_and_cached_formulas(
    engine: Engine, network: dict[str, int]
) -> None:
    styles = (
        '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    strings = [
        "serial_no",
        "name",
        "quantity",
        "range",
        "acquired_on",
        "reference_standard",
        "XL-1",
        "Áp kế",
        "pressure",
        "0–25 bar",
    ]
    header = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(6))
    row2 = (
        '<c r="A2" t="s"><v>6</v></c><c r="B2" t="s"><v>7</v></c><c r="C2" t="s"><v>8</v></c>'
        '<c r="D2" t="s"><v>9</v></c><c r="E2" s="1"><v>45457</v></c><c r="F2" t="b"><v>1</v></c>'
    )
    row3 = (
        '<c r="A3" t="str"><f>"XL-"&amp;2</f><v>XL-2</v></c><c r="B3" t="inlineStr"><is><r><t>Áp </t></r>'
        '<r><t>kế</t></r><rPh><t>ignored</t></rPh></is></c><c r="C3" t="inlineStr"><is><t>pressure</t></is></c>'
        '<c r="D3" t="inlineStr"><is><t>0–60 MPa</t></is></c><c r="E3" s="2"><v>45458.0</v></c>'
    )
    data = hostile.xlsx(
        f'<row r="1">{header}</row><row r="2">{row2}</row><row r="3">{row3}</row>',
        dimension="A1:F3",
        shared="".join(f"<si><t>{s}</t></si>" for s in strings),
        parts={
            "xl/styles.xml": styles,
            "xl/_rels/workbook.xml.rels": hostile.WORKBOOK_RELS.replace(
                "</Relationships>",
                '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
            ),
        },
    )
    table, problems = tabular.read_table(data, imports.EQUIPMENT_COLUMNS)
    assert problems == [] and table is not None
    assert table.rows == [
        (2, ["XL-1", "Áp kế", "pressure", "0–25 bar", "2024-06-14", "true"]),
        (3, ["XL-2", "Áp kế", "pressure", "0–60 MPa", "2024-06-15", ""]),
    ]
    result = run(engine, data)
    assert result.ok and result.written == 2, [p.located("en") for p in result.problems]


def test_the_cell_count_before_parsing_counts_every_way_of_writing_a_cell_and_nothing_else() -> None:
    from services.xlsx_reader import _Archive

    rows = (
        '<cols><col min="1" max="2"/></cols><row r="1"><c r="A1"><v>1</v></c><c/><c></c>'
        '<c\n r="D1"/><c\tr="E1"/><x:c r="F1"/><x:cfRule/></row><conditionalFormatting/>'
    )
    archive = _Archive(hostile.xlsx(rows), tabular.XLSX_LIMITS)
    tags, cells = archive.count_tags("xl/worksheets/sheet1.xml")
    assert cells == 6
    assert tags >= rows.count("<") - rows.count("</")  # never fewer than the start tags


def test_a_workbook_written_with_namespace_prefixes_reads_like_one_without() -> None:
    # some generators write <x:c> under xmlns:x (and r:id under another prefix); names are read
    # by their local part, so the prefix changes nothing, and a namespace declaration is no id
    plain = hostile.xlsx(hostile.good_sheet_rows(), dimension="A1:E2")
    rows = hostile.good_sheet_rows().replace("<", "<x:").replace("<x:/", "</x:")
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{hostile.MAIN_NS}">'
        f'<x:dimension ref="A1:E2"/><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    )
    workbook = (
        f'<?xml version="1.0"?><x:workbook xmlns:x="{hostile.MAIN_NS}" xmlns:rel="{hostile.REL_NS}">'
        f'<x:sheets><x:sheet xmlns:id="urn:not-an-id" name="S" sheetId="1" rel:id="rId1"/></x:sheets></x:workbook>'
    )
    prefixed = hostile.xlsx("", parts={"xl/worksheets/sheet1.xml": sheet, "xl/workbook.xml": workbook})
    read_plain, plain_problems = tabular.read_table(plain, imports.EQUIPMENT_COLUMNS)
    read_prefixed, prefixed_problems = tabular.read_table(prefixed, imports.EQUIPMENT_COLUMNS)
    assert plain_problems == prefixed_problems == []
    assert read_plain is not None and read_prefixed is not None
    assert read_prefixed.header == read_plain.header == hostile.HEADER.split(";")
    assert read_prefixed.rows == read_plain.rows == [(2, hostile.ROW.split(";"))]


def test_an_editor_range_with_a_900_digit_exponent_is_refused_in_both_languages(
    engine: Engine, network: dict[str, int]
) -> None:
    # 5,000 digits are past the cell length, as in an import (tests/test_sloppy_input.py)
    before = fingerprint(engine)
    with Session(engine) as session:
        result = editing.save_equipment_edits(
            session,
            username="tq",
            center_code="C-TQ",
            changes={network["overdue"]: {"range": f"0–1e{'9' * 900} MPa"}},
        )
    assert [p.key for p in result.problems] == ["units.error.number_out_of_range"]
    vi, en = result.problems[0].message("vi"), result.problems[0].message("en")
    assert "quá lớn hoặc quá nhỏ để lưu" in vi and "too large or too small to store" in en
    assert len(en) < 400  # the 900 digits are not repeated back
    assert fingerprint(engine) == before


def test_every_refusal_key_in_the_code_has_both_languages() -> None:
    import re

    from services.i18n import LANGUAGES, catalog
    from tests.page_support import PROJECT_ROOT

    literal = re.compile(
        r"""["']((?:data\.limit|auth\.error|auth\.login|units\.error|security)\.[a-z_]+)["']"""
    )
    used = {
        key
        for path in (PROJECT_ROOT / "services").glob("*.py")
        for key in literal.findall(path.read_text(encoding="utf-8"))
    }
    assert {
        "data.limit.declared_dimension",
        "auth.login.throttled",
        "units.error.number_out_of_range",
    } <= used
    for lang in LANGUAGES:
        assert sorted(used - catalog(lang).keys()) == [], lang
