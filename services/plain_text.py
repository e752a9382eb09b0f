"""Text from data or from the URL, shown as plain text where Markdown is rendered (pages, link texts).

st.markdown, st.caption, st.info/warning/error/success, st.status labels, headers and every cell
of st.table read Markdown: a center code ``[Đăng nhập](https://evil.example)`` in a URL, or a
cell ``![x](https://tracker.example/p.png)`` quoted in an import problem, would become a link or
a remote image. ``plain`` puts a backslash before each character that would start Markdown,
HTML, an autolink, maths or one of Streamlit's ``:red[…]`` directives (CommonMark lets a
backslash escape any ASCII punctuation), so the text reads exactly as typed. Catalog texts keep their own Markdown: only the
values put into them go through here. st.dataframe shows plain text and needs nothing.
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

# what builds a link, an image, code, HTML or an entity, emphasis, maths or an email autolink anywhere in a line
_ACTIVE: Final = re.compile(r"([\\`*\[\]<>$~@&])")
_EDGE_UNDERSCORE: Final = re.compile(r"(?<!\w)_|_(?!\w)")  # "_x_" is emphasis, "pressure_gauge" is not
_AUTOLINK: Final = re.compile(r"(?i)\b(https?|ftp|mailto|file|javascript|data)(:)|\b(www)(\.)")
_LINE_START: Final = re.compile(r"^(\s*)([#+]|-(?=\s|$)|\d+\.(?=\s|$))")  # a heading or list item


def plain(value: object) -> str:
    """``value`` as text that Markdown shows as it is, on one line.

    Only what Markdown would act on gets a backslash: brackets (so no link or image can form),
    angle brackets, backticks, asterisks, tildes, dollars, ``@``, an underscore at a word's
    edge, the ``:`` of ``https:`` and the dot of ``www.`` (bare autolinks), and a list or heading
    marker at the start. Parentheses, hyphens, dots and colons elsewhere stay as typed
    (``TTKT-31``, ``1.234,5``, ``Hải Phòng (TTKT-31)``).
    """
    text = " ".join(str(value).splitlines())
    text = _ACTIVE.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _AUTOLINK.sub(lambda match: f"{match[1]}\\:" if match[1] else f"{match[3]}\\.", text)
    return _LINE_START.sub(
        lambda match: match[1] + (f"{match[2][:-1]}\\." if match[2].endswith(".") else "\\" + match[2]), text
    )


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for st.table, every text cell and header shown as typed."""
    shown = frame.map(lambda cell: plain(cell) if isinstance(cell, str) else cell)
    shown.columns = [plain(column) for column in shown.columns]
    return shown
