"""How many rows one table may send to the browser at once; the rest stays in its CSV download."""

from __future__ import annotations

import pandas as pd

MAX_TABLE_ROWS = 1000  # a table longer than this is slow to send and no one reads it on screen


def first_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows a table shows (at most MAX_TABLE_ROWS, in the frame's order) and how many there are."""
    return frame.head(MAX_TABLE_ROWS), len(frame)
