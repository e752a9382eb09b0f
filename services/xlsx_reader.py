"""Reading the first sheet of an XLSX file as text cells, with every size checked before a row is built.

An XLSX file is a zip of XML parts, and its size says little about the work it asks for: 4.7 KB
can declare a sheet of 17 billion cells, 5 MB can unpack into 70 MB of XML. openpyxl, even in
read-only mode, pads each row to the declared dimension and loads the shared strings whole, so
this module reads the parts itself with a streaming expat parser: the unpacked sizes come from
the zip directory (and zipfile stops inflating at the declared size), the dimension, cells, rows
and elements are counted as the sheet streams by, and every limit stops the parse where it is
crossed. DTDs and entities (never written by Excel or LibreOffice) are refused, so no entity
expansion can happen. Cells come back as the text a person typed (``services.cells.as_text``);
the cached value of a formula is used, as Excel shows it.

Refusals are ``XlsxRefusal`` (a catalog key with its parameters); cell-level findings that do not
stop the reading (a cell too long, a formula without a stored value) come back with the rows.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from xml.parsers import expat

from services.cells import as_text

CHUNK_BYTES: Final = 64 * 1024
_CELL_TAGS: Final = tuple(b"<c" + after for after in (b" ", b"\t", b"\r", b"\n", b"/", b">"))
_PREFIXED_CELL_TAG: Final = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
_CELL_REF: Final = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")
_DATE_FORMAT_IDS: Final = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})


@dataclass(frozen=True)
class XlsxLimits:
    """What one sheet may hold; the defaults come from services.tabular."""

    max_unpacked_bytes: int
    max_parts: int
    max_data_rows: int  # rows holding a value, the header included
    max_row_number: int  # the last row a value (or the declared dimension) may reach
    max_columns: int
    max_cells: int  # <c> elements, empty ones included
    max_elements: int  # XML elements of the sheet, all kinds
    max_cell_chars: int


class XlsxRefusal(Exception):
    """The file is refused as a whole; ``key`` is a catalog key, ``params`` its placeholders."""

    def __init__(self, key: str, **params: str) -> None:
        self.key = key
        self.params = dict(params)
        super().__init__(key)


@dataclass(frozen=True)
class CellNote:
    """A finding about one cell that the importer reports with the row and column."""

    row: int
    column: int  # 1-based
    key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class SheetCells:
    rows: list[tuple[int, list[str]]]  # (row number, cells as text), rows holding a value only
    notes: list[CellNote]


def column_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _local(name: str) -> str:
    """``x:c`` -> ``c``: the parts are read without namespace processing (see ``_parse``)."""
    return name.rpartition(":")[2]


class _Archive:
    """The zip, with the unpacked bytes counted across every part read (belt and braces)."""

    def __init__(self, data: bytes, limits: XlsxLimits) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.limits = limits
        infos = self.zip.infolist()
        if len(infos) > limits.max_parts:
            raise XlsxRefusal("data.limit.too_many_parts", count=str(len(infos)), limit=str(limits.max_parts))
        if any(info.flag_bits & 0x1 for info in infos):
            raise XlsxRefusal("data.limit.encrypted")
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.max_unpacked_bytes:
            raise XlsxRefusal(
                "data.limit.unpacked_too_big",
                size=_megabytes(unpacked),
                limit=_megabytes(limits.max_unpacked_bytes),
            )
        self.names = {info.filename.lower(): info.filename for info in infos}
        self.read_bytes = 0

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def chunks(self, name: str, *, counted: bool = True) -> Iterator[bytes]:
        real = self.names.get(name.lower())
        if real is None:
            raise XlsxRefusal("data.limit.missing_part", part=name)
        with self.zip.open(real) as stream:
            while chunk := stream.read(CHUNK_BYTES):
                if counted:
                    self.read_bytes += len(chunk)
                    if self.read_bytes > self.limits.max_unpacked_bytes:
                        raise XlsxRefusal(
                            "data.limit.unpacked_too_big",
                            size=_megabytes(self.read_bytes) + "+",
                            limit=_megabytes(self.limits.max_unpacked_bytes),
                        )
                yield chunk

    def count_tags(self, name: str) -> tuple[int, int]:
        """(start tags, cell tags) of a part, counted at C speed before expat calls Python per element.

        Every start tag begins with ``<`` not followed by ``/`` (comments and declarations add a
        few); a tag cut by a chunk boundary may be missed, which the exact count in the parse catches.
        """
        tags = cells = 0
        previous = b""
        for chunk in self.chunks(name, counted=False):
            tags += chunk.count(b"<") - chunk.count(b"</") - (previous == b"<" and chunk[:1] == b"/")
            # bytes.count runs at memchr speed; the regex only for a sheet that writes <x:c>
            cells += sum(chunk.count(tag) for tag in _CELL_TAGS)
            if b":c" in chunk:
                cells += len(_PREFIXED_CELL_TAG.findall(chunk))
            previous = chunk[-1:]
        return tags, cells


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _refuse_dtd(*_: object) -> None:
    raise XlsxRefusal("data.limit.xml_dtd")


def _parse(
    archive: _Archive,
    part: str,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> None:
    """Stream one XML part through expat, names as written (``c`` or ``x:c``); DTDs refused.

    Namespaces are not processed: every name we read is told by its local part alone (as Excel,
    LibreOffice and openpyxl write it, with or without a prefix), and resolving them made expat
    twice as slow on a large sheet (a ``namespace localname`` string built for every element).
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        for chunk in archive.chunks(part):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as err:
        raise XlsxRefusal(
            "data.limit.malformed_xml", part=part, line=str(err.lineno), column=str(err.offset + 1)
        ) from None


# --- the parts around the sheet: where it is, its strings, which styles are dates -------------------


def _relationships(archive: _Archive, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) of a part's .rels file (targets resolved against the part's folder)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found: dict[str, tuple[str, str]] = {}
    if not archive.has(rels):
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(resolved))

    _parse(archive, rels, start)
    return found


def _workbook_part(archive: _Archive) -> str:
    for kind, target in _relationships(archive, "").values():
        if kind.endswith("/officeDocument"):
            return target
    return "xl/workbook.xml"


def _is_relationship_id(attribute: str) -> bool:
    """``r:id`` (under any prefix) on a ``<sheet>``; never its bare ``id`` or a namespace declaration."""
    return ":" in attribute and _local(attribute) == "id" and not attribute.startswith("xmlns:")


@dataclass
class _Workbook:
    first_sheet: str
    shared_strings: str | None
    styles: str | None
    date1904: bool


def _workbook(archive: _Archive) -> _Workbook:
    part = _workbook_part(archive)
    rels = _relationships(archive, part)
    state: dict[str, str | bool | None] = {"sheet": None, "date1904": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "sheet" and state["sheet"] is None:
            state["sheet"] = next((value for name, value in attrs.items() if _is_relationship_id(name)), "")
        elif local == "workbookPr":
            state["date1904"] = attrs.get("date1904", "").lower() in {"1", "true"}

    _parse(archive, part, start)
    sheet_id = state["sheet"]
    if not isinstance(sheet_id, str) or sheet_id not in rels:
        raise XlsxRefusal("data.limit.missing_part", part="xl/worksheets/sheet1.xml")

    def target(suffix: str) -> str | None:
        return next(
            (path for kind, path in rels.values() if kind.endswith(suffix) and archive.has(path)), None
        )

    return _Workbook(
        first_sheet=rels[sheet_id][1],
        shared_strings=target("/sharedStrings"),
        styles=target("/styles"),
        date1904=bool(state["date1904"]),
    )


@dataclass(frozen=True)
class _LongText:
    """A shared string longer than a cell may be: only its length is kept."""

    length: int


def _shared_strings(archive: _Archive, part: str | None, limits: XlsxLimits) -> list[str | _LongText]:
    strings: list[str | _LongText] = []
    if part is None:
        return strings
    # depth of <si>, inside <t>, inside <rPh> (phonetic guides are not part of the text)
    state = {"si": False, "t": False, "rph": 0, "length": 0}
    pieces: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "si":
            if len(strings) >= limits.max_cells:
                raise XlsxRefusal("data.limit.too_many_cells", limit=str(limits.max_cells))
            state.update(si=True, length=0)
            pieces.clear()
        elif local == "rPh":
            state["rph"] += 1
        elif local == "t" and state["si"] and not state["rph"]:
            state["t"] = True

    def end(tag: str) -> None:
        local = _local(tag)
        if local == "si":
            length = state["length"]
            strings.append(_LongText(length) if length > limits.max_cell_chars else "".join(pieces))
            state["si"] = False
        elif local == "rPh":
            state["rph"] -= 1
        elif local == "t":
            state["t"] = False

    def text(data: str) -> None:
        if state["t"]:
            state["length"] += len(data)
            if state["length"] <= limits.max_cell_chars:
                pieces.append(data)

    _parse(archive, part, start, end, text)
    return strings


def _date_styles(archive: _Archive, part: str | None) -> frozenset[int]:
    """Indexes of the cell formats (``s`` of a cell) that show a number as a date."""
    if part is None:
        return frozenset()
    from openpyxl.styles.numbers import is_date_format

    custom: dict[int, str] = {}
    formats: list[int] = []
    inside = {"cellXfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        local = _local(tag)
        if local == "numFmt":
            try:
                custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
            except ValueError:
                pass
        elif local == "cellXfs":
            inside["cellXfs"] = True
        elif local == "xf" and inside["cellXfs"]:
            number_format = attrs.get("numFmtId", "0")
            formats.append(int(number_format) if number_format.isdigit() and len(number_format) < 9 else 0)

    def end(tag: str) -> None:
        if _local(tag) == "cellXfs":
            inside["cellXfs"] = False

    _parse(archive, part, start, end)
    return frozenset(
        index
        for index, number_format in enumerate(formats)
        if number_format in _DATE_FORMAT_IDS
        or (number_format in custom and is_date_format(custom[number_format]))
    )


# --- the sheet --------------------------------------------------------------------------------------


class _SheetReader:
    """Expat callbacks that count, check and collect one sheet's cells in a single pass.

    Expat calls back at the start and the end of every element (a 20,000-row sheet of inline
    strings has 740,000) and for every run of characters, so the callbacks do the least they can:
    each distinct tag is resolved to its local name once, the few names that matter are told apart
    by one chain of comparisons (no further call for the others), and characters are kept only
    inside a value.
    """

    def __init__(
        self, limits: XlsxLimits, strings: list[str | _LongText], date_styles: frozenset[int], date1904: bool
    ) -> None:
        self.limits, self.strings, self.date_styles = limits, strings, date_styles
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self.rows: list[tuple[int, list[str]]] = []
        self.notes: list[CellNote] = []
        self.kinds: dict[str, str] = {}  # tag as written ("c", "x:c") -> local name
        self.columns: dict[str, int] = {}  # "AB" -> 28, checked once per column
        self.elements = self.cells = self.row_elements = 0
        self.row_number = self.column = 0
        self.row: dict[int, str] = {}
        self.cell_type = "n"
        self.cell_style = 0
        self.has_formula = False
        # the characters read so far (a value arrives in one piece unless an element cuts it)
        self.value: str | None = None  # of <v>, when inside one
        self.inline: str | None = None  # of an inline string, when inside <is>
        self.in_text = False  # inside a <t> of the inline string
        self.phonetic = 0  # depth of <rPh> in the inline string (a phonetic guide is not its text)
        self.value_length = 0
        self.saw_value = False
        self.value_text = ""

    # --- the callbacks ---
    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise XlsxRefusal("data.limit.too_many_elements", limit=str(self.limits.max_elements))
        kind = self.kinds.get(tag) or self._kind(tag)
        if kind == "c":
            self._start_cell(attrs)
        elif kind == "t":
            self.in_text = self.inline is not None and not self.phonetic
        elif kind == "is":
            self.inline, self.value_length, self.saw_value = "", 0, True
        elif kind == "v":
            self.value, self.value_length, self.saw_value = "", 0, True
        elif kind == "row":
            self._start_row(attrs)
        elif kind == "f":
            self.has_formula = True
        elif kind == "rPh":
            self.phonetic += self.inline is not None
        elif kind == "dimension":
            self._check_dimension(attrs)

    def end(self, tag: str) -> None:
        kind = self.kinds[tag]  # expat reports no end without its start
        if kind == "c":
            self._end_cell()
        elif kind == "t":
            self.in_text = False
        elif kind == "is":
            self.value_text, self.inline = self.inline or "", None
        elif kind == "v":
            self.value_text, self.value = self.value or "", None
        elif kind == "row":
            self._end_row()
        elif kind == "rPh":
            self.phonetic -= self.inline is not None

    def text(self, data: str) -> None:
        if self.value is None and (self.inline is None or not self.in_text):
            return  # characters outside a value (between elements, in a phonetic guide)
        self.value_length += len(data)
        if self.value_length > self.limits.max_cell_chars:
            return  # counted only: the cell is reported as too long
        if self.value is not None:
            self.value += data
        elif self.inline is not None:
            self.inline += data

    def _kind(self, tag: str) -> str:
        kind = self.kinds[tag] = _local(tag)
        return kind

    # --- pieces ---
    def _check_dimension(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("ref", "")
        last = ref.split(":")[-1]
        match = _CELL_REF.fullmatch(last.strip())
        if not match:
            return  # a dimension Excel would not write is only a claim: the cells are counted anyway
        columns, rows = _column_index(match[1]), int(match[2])
        if rows > self.limits.max_row_number or columns > self.limits.max_columns:
            raise XlsxRefusal(
                "data.limit.declared_dimension",
                ref=ref[:40],
                rows=str(rows),
                columns=str(columns),
                max_rows=str(self.limits.max_row_number),
                max_columns=str(self.limits.max_columns),
            )

    def _start_row(self, attrs: dict[str, str]) -> None:
        self.row_elements += 1
        if self.row_elements > self.limits.max_row_number:
            raise XlsxRefusal(
                "data.limit.row_beyond", row=str(self.row_elements), limit=str(self.limits.max_row_number)
            )
        number = attrs.get("r")
        if number is None:
            self.row_number += 1
        elif number.isdigit() and len(number) <= 7:
            self.row_number = int(number)
        else:
            raise XlsxRefusal("data.limit.bad_reference", ref=number[:20])
        self.column = 0
        self.row = {}

    def _start_cell(self, attrs: dict[str, str]) -> None:
        self.cells += 1
        if self.cells > self.limits.max_cells:
            raise XlsxRefusal("data.limit.too_many_cells", limit=str(self.limits.max_cells))
        ref = attrs.get("r")
        if ref is None:
            self.column += 1
        else:
            letters = ref.rstrip("0123456789")
            column = self.columns.get(letters)
            if column is None:
                match = _CELL_REF.fullmatch(ref)
                if not match:
                    raise XlsxRefusal("data.limit.bad_reference", ref=ref[:20])
                column = self.columns[letters] = _column_index(match[1])
            elif not ref[len(letters) :].isdigit():
                raise XlsxRefusal("data.limit.bad_reference", ref=ref[:20])
            self.column = column
        self.cell_type = attrs.get("t", "n")
        style = attrs.get("s")
        self.cell_style = int(style) if style is not None and style.isdigit() and len(style) < 9 else 0
        self.has_formula = self.saw_value = False
        self.value_text = ""
        self.value_length = 0

    def _end_cell(self) -> None:
        text = self._cell_text()
        if self.has_formula and not self.saw_value:
            self._note("data.limit.formula_without_value")
        if not text:
            return
        if self.column > self.limits.max_columns:
            raise XlsxRefusal(
                "data.limit.column_beyond",
                cell=f"{column_letters(self.column)}{self.row_number}",
                limit=str(self.limits.max_columns),
            )
        if self.row_number > self.limits.max_row_number:
            raise XlsxRefusal(
                "data.limit.row_beyond", row=str(self.row_number), limit=str(self.limits.max_row_number)
            )
        self.row[self.column] = text

    def _end_row(self) -> None:
        if not self.row:
            return
        if len(self.rows) >= self.limits.max_data_rows:
            raise XlsxRefusal("data.limit.too_many_rows_over", limit=str(self.limits.max_data_rows - 1))
        cells = [""] * max(self.row)
        for column, text in self.row.items():
            cells[column - 1] = text
        self.rows.append((self.row_number, cells))

    def _note(self, key: str, **params: str) -> None:
        if len(self.notes) < 1000:  # enough to fix a file; the count of the rest would add nothing
            self.notes.append(CellNote(self.row_number, self.column, key, params))

    def _cell_text(self) -> str:
        if self.value_length > self.limits.max_cell_chars:
            self._note(
                "data.limit.cell_too_long",
                length=str(self.value_length),
                limit=str(self.limits.max_cell_chars),
            )
            return "…"  # a placeholder: the note refuses the file, the row keeps its shape
        raw = self.value_text
        kind = self.cell_type
        if kind in {"inlineStr", "str", "e"}:
            return raw.strip()
        if not raw.strip():
            return ""
        if kind == "s":
            index = raw.strip()
            if not index.isdigit() or len(index) > 9 or int(index) >= len(self.strings):
                raise XlsxRefusal("data.limit.bad_cell", cell=self._ref(), value=raw[:40])
            shared = self.strings[int(index)]
            if isinstance(shared, _LongText):
                self.value_length = shared.length
                return self._cell_text()
            return shared.strip()
        if kind == "b":
            return "true" if raw.strip() in {"1", "true"} else "false"
        if kind == "d":
            return raw.strip()
        try:
            number = float(raw)
        except ValueError:
            raise XlsxRefusal("data.limit.bad_cell", cell=self._ref(), value=raw[:40]) from None
        if not math.isfinite(number):
            return raw.strip()  # the importer then says the number cannot be read
        if self.cell_style in self.date_styles:
            from openpyxl.utils.datetime import from_excel

            try:
                moment: datetime = from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return as_text(number)
            return as_text(moment)
        return as_text(number)

    def _ref(self) -> str:
        return f"{column_letters(self.column)}{self.row_number}"


def read_first_sheet(data: bytes, limits: XlsxLimits) -> SheetCells:
    """The first sheet's rows that hold a value, or ``XlsxRefusal`` at the first limit crossed.

    ``zipfile.BadZipFile`` (and ``NotImplementedError`` for an unknown compression) pass through.
    """
    archive = _Archive(data, limits)
    workbook = _workbook(archive)
    strings = _shared_strings(archive, workbook.shared_strings, limits)
    date_styles = _date_styles(archive, workbook.styles)
    tags, cells = archive.count_tags(workbook.first_sheet)
    if tags > limits.max_elements:
        raise XlsxRefusal("data.limit.too_many_elements", limit=str(limits.max_elements))
    if cells > limits.max_cells:
        raise XlsxRefusal("data.limit.too_many_cells", limit=str(limits.max_cells))
    reader = _SheetReader(limits, strings, date_styles, workbook.date1904)
    _parse(archive, workbook.first_sheet, reader.start, reader.end, reader.text)
    return SheetCells(rows=reader.rows, notes=reader.notes)
