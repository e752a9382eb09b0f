"""What every import tab of the data page shares: the file picker and its check, the problems list.

The equipment and certificate tabs (pages/data.py) and the other records' tab
(ui/record_imports_panel.py) differ in what they import and how they show the outcome; picking
the file, checking it once per file and center, and listing what is wrong are the same steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from services.tabular import MAX_BYTES
from ui.components import upload_limit
from ui.i18n import t
from ui.plain import plain_frame

WRAPPED_PROBLEMS = 30  # up to this many, a static table that wraps long messages; beyond, a scrolling grid


def column_labels(columns: Iterable[str]) -> dict[str, str]:
    """Translated headers for our column names (the data keeps its codes, so edits map back)."""
    return {name: t(f"data.column.{name}") for name in columns}


def translated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=column_labels(frame.columns))


def problems_table(frame: pd.DataFrame) -> None:
    """An import's problems (headers already translated), every message readable whole."""
    if len(frame) <= WRAPPED_PROBLEMS:
        st.table(plain_frame(frame), hide_index=True)  # st.table reads Markdown; messages quote cells
    else:
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            height=400,
            column_config={t("data.column.message"): st.column_config.TextColumn(width="large")},
        )


@dataclass(frozen=True)
class CheckedUpload:
    """A picked file and its check, kept in ``st.session_state[checked_key]`` for the write to follow."""

    run: dict[str, Any]  # the import's arguments: the file's bytes, center, user and day
    checked: tuple[tuple[str, str], Any]  # ((file id, center code), the dry run's result)
    checked_key: str


def upload_and_check(
    kind: str,
    check: Callable[..., Any],
    *,
    key_prefix: str,
    center_code: str,
    username: str,
    today: date,
) -> CheckedUpload | None:
    """The file picker and its check button (``check(dry_run=True, **run)``); None until both are done.

    The check's result is kept until another file or another center is picked, so the write that
    follows is of the very file that was checked. Widget keys are ``{key_prefix}upload-{kind}`` and
    ``{key_prefix}validate-{kind}``.
    """
    uploaded = st.file_uploader(
        t("data.import.upload"),
        type=["csv", "xlsx"],
        key=f"{key_prefix}upload-{kind}",
        max_upload_size=upload_limit(MAX_BYTES),
    )
    if uploaded is None:
        st.caption(t("data.import.waiting"))
        return None
    run = {"data": uploaded.getvalue(), "center_code": center_code, "username": username, "today": today}
    checked_key = f"{key_prefix}checked-{kind}"
    checked = st.session_state.get(checked_key)
    if checked is not None and checked[0] != (uploaded.file_id, center_code):
        checked = None  # another file or another center: check again
    if st.button(t("data.import.validate"), icon=":material/fact_check:", key=f"{key_prefix}validate-{kind}"):
        checked = ((uploaded.file_id, center_code), check(dry_run=True, **run))
        st.session_state[checked_key] = checked
    if checked is None:
        st.caption(t("data.import.check_first"))
        return None
    return CheckedUpload(run, checked, checked_key)
