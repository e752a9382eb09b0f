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
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from services.cells import CellError, as_text
from services.i18n import LANGUAGES, translate

MAX_BYTES: Final = 10 * 1024 * 1024
MAX_ROWS: Final = 20_000
_DELIMITERS: Final = (",", ";", "\t")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: where (row as the spreadsheet shows it, column as headed) and what."""

    row: int | None
    column: str | None
    key: str
    params: dict[str, str] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        return translate(self.key, lang, **self.params)

    def located(self, lang: str) -> str:
        """The message with its place: ``Dòng 7, cột "range": …``."""
        if self.row is None:
            return self.message(lang)
        if self.column is None:
            return translate("data.problem.row", lang, row=self.row, message=self.message(lang))
        return translate("data.problem.cell", lang, row=self.row, column=self.column, message=self.message(lang))


def problem_from(row: int | None, column: str | None, err: CellError) -> ImportProblem:
    return ImportProblem(row, column, err.key, dict(err.params))


# --- reading the file ------------------------------------------------------------------------------


@dataclass
class Table:
    header_row: int
    header: list[str]  # as typed in the file
    names: list[str | None]  # our column name for each position (None: unknown column)
    rows: list[tuple[int, list[str]]]  # (row number, cells as text)

    def cell(self, cells: list[str], name: str) -> str:
        index = self.names.index(name) if name in self.names else len(cells)
        return cells[index] if index < len(cells) else ""

    def heading(self, name: str) -> str:
        """The column's header as the file wrote it (messages quote the user's own words)."""
        return self.header[self.names.index(name)] if name in self.names else name


def _normal(text: str) -> str:
    return "_".join(text.replace("\ufeff", "").strip().lower().replace("-", " ").split())


def _aliases(columns: Sequence[Column]) -> dict[str, str]:
    """Our names, plus the column labels of both languages (``Số sê-ri`` reads as ``serial_no``)."""
    aliases = {column.name: column.name for column in columns}
    for column in columns:
        for lang in LANGUAGES:
            label = translate(f"data.column.{column.name}", lang)
            if label != f"data.column.{column.name}":
                aliases.setdefault(_normal(label), column.name)
    return aliases


def _records_from_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [
            (number, [as_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _records_from_csv(text: str, aliases: dict[str, str]) -> list[tuple[int, list[str]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")

    def known(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(_normal(cell) in aliases for cell in cells), len(cells)

    delimiter = max(_DELIMITERS, key=known)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(number, [cell.strip() for cell in cells]) for number, cells in enumerate(reader, start=1)]


def read_table(data: bytes, columns: Sequence[Column]) -> tuple[Table | None, list[ImportProblem]]:
    """The header and data rows of a CSV or XLSX file, or the problems that stop reading it."""
    if not data.strip():
        return None, [ImportProblem(None, None, "data.error.empty_file")]
    if len(data) > MAX_BYTES:
        return None, [ImportProblem(None, None, "data.error.too_big", {"limit": f"{MAX_BYTES // 1024 // 1024} MB"})]
    aliases = _aliases(columns)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return None, [ImportProblem(None, None, "data.error.old_excel")]
    if data.startswith(b"PK\x03\x04"):
        try:
            records = _records_from_xlsx(data)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
            return None, [ImportProblem(None, None, "data.error.unreadable_xlsx")]
    else:
        try:
            text = _decode(data)
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            return None, [ImportProblem(line, None, "data.error.not_utf8")]
        try:
            records = _records_from_csv(text, aliases)
        except csv.Error as err:
            return None, [ImportProblem(None, None, "data.error.unreadable_csv", {"detail": str(err)})]
    records = [(number, cells) for number, cells in records if any(cells)]
    if not records:
        return None, [ImportProblem(None, None, "data.error.empty_file")]
    header_row, header = records[0]
    while header and not header[-1]:
        header = header[:-1]
    table = Table(header_row=header_row, header=header, names=[], rows=records[1:])
    problems: list[ImportProblem] = []
    seen: dict[str, str] = {}
    for heading in header:
        name = aliases.get(_normal(heading))
        if name is None:
            close = difflib.get_close_matches(_normal(heading), [c.name for c in columns], n=1, cutoff=0.6)
            key = "data.error.unknown_column_suggest" if close else "data.error.unknown_column"
            problems.append(ImportProblem(header_row, heading or "—", key, {
                "column": heading, "suggestion": close[0] if close else "",
                "expected": ", ".join(c.name for c in columns),
            }))
        elif name in seen:
            problems.append(ImportProblem(header_row, heading, "data.error.duplicate_column",
                                          {"column": heading, "first": seen[name]}))
            name = None
        else:
            seen[name] = heading
        table.names.append(name)
    for column in columns:
        if column.required and column.name not in seen:
            problems.append(ImportProblem(header_row, column.name, "data.error.missing_column",
                                          {"column": column.name}))
    if not table.rows:
        problems.append(ImportProblem(None, None, "data.error.no_rows"))
    if len(table.rows) > MAX_ROWS:
        problems.append(ImportProblem(None, None, "data.error.too_many_rows",
                                      {"count": str(len(table.rows)), "limit": str(MAX_ROWS)}))
    return table, problems


def well_formed_rows(table: Table, columns: Sequence[Column], problems: list[ImportProblem]) -> list[tuple[int, list[str]]]:
    """Rows with as many values as the header has columns and every required value present."""
    width = len(table.header)
    good = []
    for number, cells in table.rows:
        while len(cells) > width and not cells[-1]:
            cells = cells[:-1]  # spreadsheets pad rows with empty cells
        if len(cells) != width:
            key = "data.error.too_many_values" if len(cells) > width else "data.error.too_few_values"
            problems.append(ImportProblem(number, None, key, {"count": str(len(cells)), "expected": str(width)}))
            continue
        missing = [c.name for c in columns if c.required and c.name in table.names and not table.cell(cells, c.name)]
        for name in missing:
            problems.append(ImportProblem(number, table.heading(name), "data.error.required", {"column": table.heading(name)}))
        good.append((number, cells))
    return good


class RowReader:
    """Reads one row's cells, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(
        self, table: Table, columns: Sequence[Column], number: int, cells: list[str], problems: list[ImportProblem]
    ) -> None:
        self.table, self.number, self.cells, self.problems = table, number, cells, problems
        self.required = {column.name for column in columns if column.required}
        self.failed = False

    def text(self, name: str) -> str:
        return self.table.cell(self.cells, name)

    def fail(self, name: str | None, key: str, **params: str) -> None:
        self.failed = True
        self.problems.append(ImportProblem(self.number, self.table.heading(name) if name else None, key, params))

    def read(self, name: str, reader: Callable[[str], Any], *, optional: bool = False) -> Any:
        """``reader(text)``, or None (and a problem noted) when the cell cannot be read.

        An empty optional cell is None; an empty required one was reported with the row's shape.
        """
        text = self.text(name)
        if not text and (optional or name in self.required):
            self.failed = self.failed or name in self.required
            return None
        try:
            return reader(text)
        except CellError as err:
            self.failed = True
            self.problems.append(problem_from(self.number, self.table.heading(name), err))
            return None
