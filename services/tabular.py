"""Reading a table a person made (CSV or XLSX) into numbered rows, with a specific problem for every flaw.

CSV in UTF-8 (with or without BOM) or UTF-16 (Excel's "Unicode text"), columns separated by
commas, semicolons or tabs (whichever the header uses), Vietnamese decimal commas inside
values; or XLSX (first sheet). Rows are numbered as a spreadsheet shows them: the header is
row 1. Headers may be our column names or their labels in either language.
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from services.cells import CellError, clean_cell
from services.i18n import LANGUAGES, translate
from services.messages import TranslatableMessage
from services.spreadsheet_safety import unescape_cells
from services.xlsx_reader import XlsxLimits, XlsxRefusal, column_letters, read_first_sheet

# Limits, each checked before any row is kept. A legal file of MAX_ROWS rows of our widest table
# (12 columns) is about 1.5 MB of CSV, or 15 MB of sheet XML inside a 0.9 MB XLSX.
MAX_BYTES: Final = 10 * 1024 * 1024  # the upload as it arrives
MAX_ROWS: Final = 20_000  # data rows (the header not counted)
MAX_COLUMNS: Final = 64
MAX_CELL_CHARS: Final = 1_000  # the longest field we store is 200 characters
MAX_LISTED_PROBLEMS: Final = 1_000  # problems listed for one file; enough to fix it in one pass
DELIMITER_SAMPLE: Final = 4_096  # characters of the header line that decide the delimiter
XLSX_LIMITS: Final = XlsxLimits(
    max_unpacked_bytes=40 * 1024 * 1024,  # all XML parts together, as the zip directory declares them
    max_parts=1_000,
    max_data_rows=MAX_ROWS + 1,  # the header too
    max_row_number=2 * MAX_ROWS,  # values (and the declared dimension) end by this row
    max_columns=MAX_COLUMNS,
    max_cells=500_000,  # <c> elements, empty formatted ones too: 20,001 rows of 25 columns
    max_elements=1_200_000,  # XML elements of the sheet: 20,001 rows × 12 inline strings make 740,000
    max_cell_chars=MAX_CELL_CHARS,
)
_DELIMITERS: Final = (",", ";", "\t")
EXPORT_COMMENT: Final = "# "  # our CSV exports start with "# Made …" (imports skip it before the header)


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False


@dataclass(frozen=True)
class ImportProblem(TranslatableMessage):
    """One thing wrong with the file: where (row as the spreadsheet shows it, column as headed) and
    what (``services.messages``: a catalog key and its params)."""

    row: int | None
    column: str | None
    key: str
    params: dict[str, str] = field(default_factory=dict)

    def located(self, lang: str) -> str:
        """The message with its place: ``Dòng 7, cột "range": …``."""
        if self.row is None:
            return self.message(lang)
        if self.column is None:
            return translate("data.problem.row", lang, row=self.row, message=self.message(lang))
        return translate(
            "data.problem.cell", lang, row=self.row, column=self.column, message=self.message(lang)
        )


def problem_from(row: int | None, column: str | None, err: CellError) -> ImportProblem:
    return ImportProblem(row, column, err.key, dict(err.params))


# --- reading the file ------------------------------------------------------------------------------


@dataclass
class Table:
    header_row: int
    header: list[str]  # as typed in the file
    names: list[str | None]  # our column name for each position (None: unknown column)
    rows: list[tuple[int, list[str]]]  # (row number, cells as text)
    # column name -> its first position, built once: cell() runs for every cell of every row
    positions: dict[str | None, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.positions = {}
        for index, name in enumerate(self.names):
            self.positions.setdefault(name, index)

    def cell(self, cells: list[str], name: str) -> str:
        index = self.positions.get(name, len(cells))
        return cells[index] if index < len(cells) else ""

    def heading(self, name: str) -> str:
        """The column's header as the file wrote it (messages quote the user's own words)."""
        return self.header[self.names.index(name)] if name in self.names else name


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    return "_".join(text.strip().lower().replace("-", " ").split())


def _aliases(columns: Sequence[Column]) -> dict[str, str]:
    """Our names, plus the column labels of both languages (``Số sê-ri`` reads as ``serial_no``).

    Labels a column carried before (``data.column_former.<name>``, ``|`` between several) still
    read: templates people saved last year keep importing after a wording change.
    """
    aliases = {column.name: column.name for column in columns}
    for column in columns:
        for lang in LANGUAGES:
            label = translate(f"data.column.{column.name}", lang)
            if label != f"data.column.{column.name}":
                aliases.setdefault(_normal(label), column.name)
        for lang in LANGUAGES:
            former = translate(f"data.column_former.{column.name}", lang)
            if former != f"data.column_former.{column.name}":
                for label in former.split("|"):
                    aliases.setdefault(_normal(label), column.name)
    return aliases


@dataclass
class _Records:
    """What a reader found: the non-empty records (header first) and the problems that refuse the file."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    data_rows: int = 0  # non-empty records after the header, counted even past MAX_ROWS
    pads_rows: bool = False  # XLSX: a row ends at its last value, so short rows are padded to the header


def _column_label(header: list[str], index: int) -> str:
    """The header of position ``index`` (0-based) as typed, else the spreadsheet's letter."""
    return header[index] if index < len(header) and header[index] else column_letters(index + 1)


def _too_long(number: int, header: list[str], index: int, length: int) -> ImportProblem:
    return ImportProblem(
        number,
        _column_label(header, index),
        "data.limit.cell_too_long",
        {"length": str(length), "limit": str(MAX_CELL_CHARS)},
    )


def _records_from_xlsx(data: bytes) -> _Records:
    sheet = read_first_sheet(data, XLSX_LIMITS)
    records = _Records(pads_rows=True)
    records.rows = [(number, unescape_cells(cells)) for number, cells in sheet.rows]
    records.data_rows = max(0, len(records.rows) - 1)
    header = records.rows[0][1] if records.rows else []
    for note in sheet.notes[:MAX_LISTED_PROBLEMS]:
        records.problems.append(
            ImportProblem(note.row, _column_label(header, note.column - 1), note.key, dict(note.params))
        )
    return records


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _last_value(cells: list[str]) -> int:
    """How many cells remain once trailing empty ones are dropped: one pass from the end, no copies."""
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return end


def _delimiter(text: str, aliases: dict[str, str]) -> str:
    """The delimiter that makes the most known headers; a sample of the first line is enough (a
    header padded with a million separators must not be split three times whole)."""
    first_line = next(
        (line for line in io.StringIO(text) if line.strip() and not line.startswith(EXPORT_COMMENT)), ""
    )[:DELIMITER_SAMPLE]

    def known(delimiter: str) -> tuple[int, int]:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            return 0, 0
        return sum(_normal(cell) in aliases for cell in cells), len(cells)

    return max(_DELIMITERS, key=known)


def _records_from_csv(text: str, aliases: dict[str, str]) -> _Records:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, aliases))
    records = _Records()
    header: list[str] | None = None
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            end = _last_value(cells)
            if not end:
                continue
            if header is None and cells[0].startswith(EXPORT_COMMENT):
                continue  # the stamp line our exports begin with (spreadsheet_safety.comment_line)
            if header is None:
                if end > MAX_COLUMNS:
                    records.problems.append(
                        ImportProblem(
                            number,
                            None,
                            "data.limit.too_many_columns",
                            {"count": str(end), "limit": str(MAX_COLUMNS)},
                        )
                    )
                    return records
                header = unescape_cells([cell.strip() for cell in cells[:end]])
                records.problems += [
                    _too_long(number, [], index, len(cell))
                    for index, cell in enumerate(header)
                    if len(cell) > MAX_CELL_CHARS
                ]
                records.rows.append((number, header))
                continue
            records.data_rows += 1
            if records.data_rows > MAX_ROWS:
                continue  # counted for the message, never kept
            # empty cells up to the header's width are the row's own (optional values left empty)
            kept = unescape_cells([cell.strip() for cell in cells[: max(end, min(len(cells), len(header)))]])
            for index, cell in enumerate(kept):
                if len(cell) > MAX_CELL_CHARS:
                    if len(records.problems) < MAX_LISTED_PROBLEMS:
                        records.problems.append(_too_long(number, header, index, len(cell)))
                    kept[index] = cell[:MAX_CELL_CHARS]
            records.rows.append((number, kept))
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            # the csv module refuses a cell over 131,072 characters before we see it
            records.problems.append(
                ImportProblem(
                    number + 1,
                    None,
                    "data.limit.cell_too_long",
                    {"length": f"> {csv.field_size_limit()}", "limit": str(MAX_CELL_CHARS)},
                )
            )
            return records
        raise
    return records


def _read_records(data: bytes, aliases: dict[str, str]) -> _Records:
    """The file's records, or the problems that refuse it (each limit checked before rows are kept)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        # an OLE file: an old .xls, or an .xlsx saved with a password (Office wraps those in OLE)
        encrypted = "EncryptedPackage".encode("utf-16-le") in data
        return _Records(
            problems=[
                ImportProblem(None, None, "data.limit.encrypted" if encrypted else "data.error.old_excel")
            ]
        )
    if data.startswith(b"PK\x03\x04"):
        try:
            return _records_from_xlsx(data)
        except XlsxRefusal as refusal:
            return _Records(problems=[ImportProblem(None, None, refusal.key, refusal.params)])
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            NotImplementedError,
            OSError,
            ValueError,
            KeyError,
            IndexError,
            RuntimeError,
        ):
            return _Records(problems=[ImportProblem(None, None, "data.error.unreadable_xlsx")])
    try:
        text = _decode(data)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return _Records(problems=[ImportProblem(line, None, "data.error.not_utf8")])
    try:
        return _records_from_csv(text, aliases)
    except csv.Error as err:
        return _Records(
            problems=[ImportProblem(None, None, "data.error.unreadable_csv", {"detail": str(err)})]
        )


def read_table(data: bytes, columns: Sequence[Column]) -> tuple[Table | None, list[ImportProblem]]:
    """The header and data rows of a CSV or XLSX file, or the problems that stop reading it.

    Every limit (bytes, unpacked bytes, declared dimension, cells, columns, rows, characters per
    cell) refuses the file here, before a single row is checked, and the refusal names the limit.
    """
    if not data.strip():
        return None, [ImportProblem(None, None, "data.error.empty_file")]
    if len(data) > MAX_BYTES:
        return None, [
            ImportProblem(None, None, "data.error.too_big", {"limit": f"{MAX_BYTES // 1024 // 1024} MB"})
        ]
    aliases = _aliases(columns)
    records = _read_records(data, aliases)
    if records.data_rows > MAX_ROWS:
        return None, [
            ImportProblem(
                None,
                None,
                "data.error.too_many_rows",
                {"count": str(records.data_rows), "limit": str(MAX_ROWS)},
            )
        ]
    if records.problems:
        return None, records.problems
    if not records.rows:
        return None, [ImportProblem(None, None, "data.error.empty_file")]
    header_row, header = records.rows[0]
    header = header[: _last_value(header)]
    if len(header) > MAX_COLUMNS:
        return None, [
            ImportProblem(
                header_row,
                None,
                "data.limit.too_many_columns",
                {"count": str(len(header)), "limit": str(MAX_COLUMNS)},
            )
        ]
    rows = records.rows[1:]
    if records.pads_rows:
        rows = [
            (number, cells + [""] * (len(header) - len(cells)) if len(cells) < len(header) else cells)
            for number, cells in rows
        ]
    names, problems = _column_names(header_row, header, columns, aliases)
    table = Table(header_row=header_row, header=header, names=names, rows=rows)
    if not table.rows:
        problems.append(ImportProblem(None, None, "data.error.no_rows"))
    return table, problems


def _column_names(
    header_row: int, header: list[str], columns: Sequence[Column], aliases: dict[str, str]
) -> tuple[list[str | None], list[ImportProblem]]:
    """Our column name for each heading (None: unknown, or named twice), and what is wrong with the header."""
    names: list[str | None] = []
    problems: list[ImportProblem] = []
    seen: dict[str, str] = {}
    for heading in header:
        name = aliases.get(_normal(heading))
        if name is None:
            close = difflib.get_close_matches(_normal(heading), [c.name for c in columns], n=1, cutoff=0.6)
            key = "data.error.unknown_column_suggest" if close else "data.error.unknown_column"
            problems.append(
                ImportProblem(
                    header_row,
                    heading or "—",
                    key,
                    {
                        "column": heading,
                        "suggestion": close[0] if close else "",
                        "expected": ", ".join(c.name for c in columns),
                    },
                )
            )
        elif name in seen:
            problems.append(
                ImportProblem(
                    header_row,
                    heading,
                    "data.error.duplicate_column",
                    {"column": heading, "first": seen[name]},
                )
            )
            name = None
        else:
            seen[name] = heading
        names.append(name)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append(
                ImportProblem(header_row, column.name, "data.error.missing_column", {"column": column.name})
            )
    return names, problems


def well_formed_rows(
    table: Table, columns: Sequence[Column], problems: list[ImportProblem]
) -> list[tuple[int, list[str]]]:
    """Rows with as many values as the header has columns and every required value present."""
    width = len(table.header)
    good = []
    for number, cells in table.rows:
        if len(cells) > width:
            cells = cells[: max(width, _last_value(cells))]  # spreadsheets pad rows with empty cells
        if len(cells) != width:
            key = "data.error.too_many_values" if len(cells) > width else "data.error.too_few_values"
            problems.append(
                ImportProblem(number, None, key, {"count": str(len(cells)), "expected": str(width)})
            )
            continue
        missing = [
            c.name for c in columns if c.required and c.name in table.names and not table.cell(cells, c.name)
        ]
        for name in missing:
            problems.append(
                ImportProblem(
                    number, table.heading(name), "data.error.required", {"column": table.heading(name)}
                )
            )
        good.append((number, cells))
    return good


class RowReader:
    """Reads one row's cells, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(
        self,
        table: Table,
        columns: Sequence[Column],
        number: int,
        cells: list[str],
        problems: list[ImportProblem],
    ) -> None:
        self.table, self.number, self.cells, self.problems = table, number, cells, problems
        self.required = {column.name for column in columns if column.required}
        self.failed = False
        self.cleaned: dict[str, str] = {}

    def text(self, name: str) -> str:
        """The cell in NFC and tidied (services.text_rules); a refused cell is reported once and reads as empty."""
        cleaned = self.cleaned.get(name)
        if cleaned is None:
            try:
                cleaned = clean_cell(self.table.cell(self.cells, name), name)
            except CellError as err:
                self.failed = True
                self.problems.append(problem_from(self.number, self.table.heading(name), err))
                cleaned = ""
            self.cleaned[name] = cleaned
        return cleaned

    def fail(self, name: str | None, key: str, **params: str) -> None:
        self.failed = True
        self.problems.append(
            ImportProblem(self.number, self.table.heading(name) if name else None, key, params)
        )

    def read(self, name: str, reader: Callable[[str], Any], *, optional: bool = False) -> Any:
        """``reader(text)``, or None (and a problem noted) when the cell cannot be read.

        An empty optional cell is None; an empty required one was reported with the row's shape.
        """
        text = self.text(name)
        if not text and (optional or name in self.required):
            self.failed = self.failed or name in self.required
            return None
        if not text and self.table.cell(self.cells, name).strip():
            return None  # refused by clean_cell, already reported
        try:
            return reader(text)
        except CellError as err:
            self.failed = True
            self.problems.append(problem_from(self.number, self.table.heading(name), err))
            return None
