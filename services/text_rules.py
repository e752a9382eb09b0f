"""Text as people paste it: one normal form, invisible and control characters refused, one table of caps.

Every text cell that an import reads (``services.tabular.RowReader``) or the equipment editor
saves (``services.editing``) goes through ``clean_text``, so a value is accepted, refused or
tidied the same way wherever it comes from, and the import kinds added later get it for free.

What is decided here, and why:
- **NFC** always: "ế" typed as one code point or as "e" + two combining marks is the same letter,
  and must compare, sort and look the same.
- **Refused** (with the character's code point and position): C0 and C1 control characters (NUL,
  ESC, DEL, …), zero-width and other invisible format characters (U+200B–U+200D, U+2060, U+FEFF,
  the soft hyphen) and bidirectional overrides (U+202A–U+202E, U+2066–U+2069). Stripping them
  silently would be harmless for a name but not for a serial or a certificate number, where an
  invisible character makes two values that look the same differ; one rule for every field is
  easier to explain than a list of exceptions, and the message says exactly where to delete.
- **Tidied** (harmless): surrounding spaces; runs of spaces, tabs, line breaks and other Unicode
  spaces (no-break, ideographic) inside free text become one space — a line break typed with
  Alt+Enter in a spreadsheet name cell means a space.
- **Refused in codes**: a line break or tab in a serial number, certificate number or code (it
  would be a different value that prints the same).
- **Refused as blank**: a value made only of characters that draw nothing (Hangul fillers,
  braille blank) — it would pass a "required" check and show as an empty name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class TextRule:
    """How one text field is kept: its length cap (characters, after tidying) and whether it is a code."""

    limit: int
    code: bool = False


# The one table of text caps: the importers and the editor both read it (by column name).
TEXT_RULES: Final[dict[str, TextRule]] = {
    "serial_no": TextRule(64, code=True),
    "standard_serial": TextRule(64, code=True),
    "certificate_no": TextRule(64, code=True),
    "quantity": TextRule(64, code=True),
    "instrument_type": TextRule(64, code=True),
    "provider": TextRule(120),
    "name": TextRule(200),
    "manufacturer": TextRule(200),
    "model": TextRule(200),
}
DEFAULT_RULE: Final = TextRule(1_000)  # other cells: the longest a cell may be (services.tabular)

_LINE_BREAKS: Final = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BIDI_CONTROLS: Final = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DRAWS_NOTHING: Final = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class TextRefusal(ValueError):
    """A text value refused; ``key`` is a catalog key, ``params`` its placeholders (all strings)."""

    def __init__(self, key: str, **params: str) -> None:
        self.key = key
        self.params = dict(params)
        super().__init__(key)


def rule_for(column: str) -> TextRule:
    return TEXT_RULES.get(column, DEFAULT_RULE)


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def _refuse_hidden(value: str, *, code: bool) -> None:
    """Raise for the first control, invisible or bidi character (and a line break in a code)."""
    for index, char in enumerate(value, start=1):
        if char in _LINE_BREAKS:
            if code:
                raise TextRefusal("data.error.line_break_in_code", position=str(index))
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            raise TextRefusal("data.error.control_character", char=_code_point(char), position=str(index))
        if char in _BIDI_CONTROLS:
            raise TextRefusal("data.error.bidi_control", char=_code_point(char), position=str(index))
        if category == "Cf":
            raise TextRefusal("data.error.invisible_character", char=_code_point(char), position=str(index))


def clean_text(text: str, rule: TextRule = DEFAULT_RULE) -> str:
    """``text`` in NFC with surrounding and repeated spaces tidied, or ``TextRefusal`` saying why not.

    The length is checked on the tidied value against ``rule.limit`` (the message names it).
    """
    if text.isprintable() and (text.isascii() or unicodedata.is_normalized("NFC", text)):
        value = text.strip()  # the common case: nothing hidden, already NFC (both checks run in C)
        if "  " in value:
            value = " ".join(value.split())
    else:
        value = unicodedata.normalize("NFC", text)
        _refuse_hidden(value, code=rule.code)
        value = " ".join(value.split())
    if value and not value.isascii() and all(char in _DRAWS_NOTHING or char.isspace() for char in value):
        raise TextRefusal("data.error.blank_text")
    if len(value) > rule.limit:
        raise TextRefusal("data.error.too_long", length=str(len(value)), limit=str(rule.limit))
    return value


def lookalike_key(text: str) -> str:
    """What two serials share when a person would read them as the same one.

    NFKC folds full-width digits and letters (``ＰＧ１`` is ``PG1``) and compatibility forms; case
    is folded; invisible format characters and surrounding or repeated spaces do not count.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():  # no format character is ASCII: the common serial skips the scan
        visible = folded
    else:
        visible = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())
