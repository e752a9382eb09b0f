"""Hostile import files built in memory: bombs, lies, damage and oversize values (tests and bench.hostile_files).

Each builder returns the bytes a person (or an attacker) could upload. XLSX files are written
part by part with zipfile, so a part can say what no spreadsheet program would.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable

HEADER = "serial_no;name;quantity;range;acquired_on"
ROW = "HOSTILE-1;Áp kế;pressure;0–60 MPa;14/06/2024"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def xlsx(
    sheet_data: str | bytes,
    *,
    dimension: str | None = None,
    shared: str | None = None,
    parts: dict[str, str | bytes] | None = None,
    before_data: str = "",
) -> bytes:
    """A one-sheet workbook whose <sheetData> holds ``sheet_data`` (rows as XML)."""
    body = sheet_data.encode() if isinstance(sheet_data, str) else sheet_data
    dimension_xml = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        (
            f'<?xml version="1.0" encoding="UTF-8"?>{before_data}<worksheet xmlns="{MAIN_NS}">'
            f"{dimension_xml}<sheetData>"
        ).encode()
        + body
        + b"</sheetData></worksheet>"
    )
    files: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        files["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">{shared}</sst>'
        )
    files.update(parts or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def inline_row(number: int, *values: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def good_sheet_rows() -> str:
    return inline_row(1, *HEADER.split(";")) + inline_row(2, *ROW.split(";"))


# --- the cases ---------------------------------------------------------------------------------------


def trailing_semicolons(count: int) -> bytes:
    """The issue's CSV: a header, one row, then ``count`` empty cells (before: O(n²) trimming)."""
    return f"{HEADER}\n{ROW}{';' * count}\n".encode()


def header_trailing_semicolons(count: int) -> bytes:
    return f"{HEADER}{';' * count}\n{ROW}\n".encode()


def dimension_bomb() -> bytes:
    """4.7 KB in the issue: the sheet declares A1:XFD1048576 and holds one cell on its last row."""
    return xlsx(
        good_sheet_rows() + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>', dimension="A1:XFD1048576"
    )


def far_row() -> bytes:
    """No dimension, but a value on row 1,048,576 (openpyxl would yield a million rows first)."""
    return xlsx(good_sheet_rows() + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>')


def far_column() -> bytes:
    return xlsx(good_sheet_rows() + '<row r="3"><c r="XFD3"><v>1</v></c></row>')


def unpacked_bomb(megabytes: int = 72) -> bytes:
    """A few hundred KB that unpack into ``megabytes`` MB of sheet XML (5 MB → 72 MB in the issue)."""
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(row * (megabytes * 1024 * 1024 // len(row)))


def lying_sizes() -> bytes:
    """The zip directory says the sheet unpacks to 100 bytes; it unpacks to 8 MB."""
    data = bytearray(unpacked_bomb(8))
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(name)] == name:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", 100)
            start += 4
    return bytes(data)


def many_cells(count: int) -> bytes:
    """``count`` empty formatted cells after a good header and row."""
    return xlsx(good_sheet_rows() + '<row r="3">' + '<c s="1"/>' * count + "</row>")


def many_elements(count: int) -> bytes:
    return xlsx(good_sheet_rows() + '<row r="3">' + "<x/>" * count + "</row>")


def many_rows_xlsx(data_rows: int) -> bytes:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>S{n}</t></is></c></row>'
        for n in range(2, data_rows + 2)
    )
    return xlsx(inline_row(1, *HEADER.split(";")) + rows)


def many_rows_csv(data_rows: int) -> bytes:
    return (
        HEADER + "\n" + "".join(f"S-{n};Áp kế;pressure;0–60 MPa;14/06/2024\n" for n in range(data_rows))
    ).encode()


def malformed_sheet() -> bytes:
    return xlsx(good_sheet_rows() + '<row r="3"><c r="A3"><v>1</c></row>')


def malformed_workbook() -> bytes:
    return xlsx(good_sheet_rows(), parts={"xl/workbook.xml": "<workbook><sheets><sheet"})


def entity_bomb() -> bytes:
    """Billion laughs in the sheet: refused at the DTD, before any entity is expanded."""
    dtd = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + "]>"
    )
    return xlsx(
        inline_row(1, *HEADER.split(";")) + inline_row(2, "&i;", "x", "pressure", "0–1 MPa", "14/06/2024"),
        before_data=dtd,
    )


def shared_string_out_of_range() -> bytes:
    return xlsx(
        good_sheet_rows() + '<row r="3"><c r="A3" t="s"><v>99999999</v></c></row>', shared="<si><t>x</t></si>"
    )


def not_a_number_cell() -> bytes:
    return xlsx(good_sheet_rows() + '<row r="3"><c r="A3"><v>12abc</v></c></row>')


def huge_exponent_csv(digits: int = 5000) -> bytes:
    return f"{HEADER}\nHOSTILE-1;Áp kế;pressure;0–1e{'9' * digits} MPa;14/06/2024\n".encode()


def huge_exponent_xlsx(digits: int = 5000) -> bytes:
    return xlsx(
        inline_row(1, *HEADER.split(";"))
        + inline_row(2, "HOSTILE-1", "Áp kế", "pressure", f"0–1e{'9' * digits} MPa", "14/06/2024")
    )


def long_cell_csv(length: int) -> bytes:
    return f'{HEADER}\nHOSTILE-1;"{"x" * length}";pressure;0–60 MPa;14/06/2024\n'.encode()


def long_cell_xlsx(length: int, *, shared: bool) -> bytes:
    if shared:
        return xlsx(
            inline_row(1, *HEADER.split(";")) + '<row r="2"><c r="B2" t="s"><v>0</v></c></row>',
            shared=f"<si><t>{'x' * length}</t></si>",
        )
    return xlsx(inline_row(1, *HEADER.split(";")) + inline_row(2, "HOSTILE-1", "x" * length))


def wide_header(columns: int) -> bytes:
    return (
        ";".join(f"c{i}" for i in range(columns)) + "\n" + ";".join("v" for _ in range(columns)) + "\n"
    ).encode()


def formula_without_value() -> bytes:
    return xlsx(
        inline_row(1, *HEADER.split(";"))
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>HOSTILE-1</t></is></c><c r="B2"><f>CONCAT("Áp","kế")</f></c>'
        '<c r="C2" t="inlineStr"><is><t>pressure</t></is></c><c r="D2" t="inlineStr"><is><t>0–60 MPa</t></is></c>'
        '<c r="E2" t="inlineStr"><is><t>14/06/2024</t></is></c></row>'
    )


def many_parts(count: int) -> bytes:
    return xlsx(good_sheet_rows(), parts={f"xl/media/p{i}.bin": b"" for i in range(count)})


def zip_claiming_encryption() -> bytes:
    data = bytearray(xlsx(good_sheet_rows()))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + flag_at] |= 0x1
            start += 4
    return bytes(data)


def password_protected_office() -> bytes:
    """What Excel writes for an .xlsx with a password: an OLE container with an EncryptedPackage stream."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 504
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 512
    )


def not_a_zip() -> bytes:
    return b"PK\x03\x04" + b"\0" * 200


HOSTILE: dict[str, Callable[[], bytes]] = {
    "1,000,000 trailing ; (CSV)": lambda: trailing_semicolons(1_000_000),
    "1,000,000 trailing ; in the header (CSV)": lambda: header_trailing_semicolons(1_000_000),
    "A1:XFD1048576 dimension bomb (XLSX)": dimension_bomb,
    "a value on row 1,048,576 (XLSX)": far_row,
    "a value in column XFD (XLSX)": far_column,
    "72 MB of sheet XML (XLSX)": unpacked_bomb,
    "zip directory lies about sizes (XLSX)": lying_sizes,
    "600,000 empty cells (XLSX)": lambda: many_cells(600_000),
    "1,300,000 XML elements (XLSX)": lambda: many_elements(1_300_000),
    "100,000 rows (CSV)": lambda: many_rows_csv(100_000),
    "100,000 rows (XLSX)": lambda: many_rows_xlsx(100_000),
    "malformed sheet XML (XLSX)": malformed_sheet,
    "billion laughs (XLSX)": entity_bomb,
    "5,000-digit exponent (CSV)": huge_exponent_csv,
    "5,000-digit exponent (XLSX)": huge_exponent_xlsx,
    "130,000-character cell (CSV)": lambda: long_cell_csv(130_000),
    "200,000-character cell (CSV)": lambda: long_cell_csv(200_000),
    "1,000,000-character shared string (XLSX)": lambda: long_cell_xlsx(1_000_000, shared=True),
}
