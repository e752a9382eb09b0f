"""The data page's tab for a center's other records: capabilities, their standards, volumes, agreements, events.

One kind at a time: its template and the center's current records (the same columns, so an export
imports back unchanged), then upload → check → preview (what each row would do) → import.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from services import record_exports, record_kinds
from services.auth import SignedInUser
from ui import i18n
from ui.i18n import num, t
from ui.live import call
from ui.plain import plain, plain_frame

WRAPPED_PROBLEMS = 30


def _translated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={name: t(f"data.column.{name}") for name in frame.columns})


def _problems(result) -> None:
    st.error(t("data.import.problems", count=num(len(result.problems))), icon=":material/error:")
    frame = _translated(result.problems_frame(i18n.lang()))
    if len(frame) <= WRAPPED_PROBLEMS:
        st.table(plain_frame(frame), hide_index=True)  # st.table reads Markdown; messages quote cells
    else:
        st.dataframe(frame, hide_index=True, width="stretch", height=400)


def _preview(result) -> None:
    shown = result.preview.copy()
    if "action" in shown.columns:
        shown["action"] = shown["action"].map(
            lambda action: t(f"records.action.{action}") if isinstance(action, str) else ""
        )
    with st.expander(t("data.import.preview", rows=num(len(shown))), expanded=result.ok):
        st.dataframe(_translated(shown), hide_index=True, width="stretch", height=300)


def _downloads(kind: str, center_code: str, center_id: int) -> None:
    left, right = st.columns(2)
    left.download_button(
        t("data.import.template"),
        data=record_kinds.records_template(kind),
        file_name=f"{kind}-template.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"records-template-{kind}",
    )
    right.download_button(
        t("records.export"),
        data=call(record_exports.export_csv, kind=kind, center_id=center_id),
        file_name=f"{kind}-{center_code}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"records-export-{kind}",
    )


def _run(kind: str, checked_key: str, checked: tuple, run: dict, center_code: str) -> None:
    result = checked[1]
    if st.button(
        t("records.run", rows=num(result.added + result.updated)),
        type="primary",
        icon=":material/upload:",
        key=f"records-run-{kind}",
    ):
        # a write raises the data version, so every page's cached views follow on their next run
        final = call(record_kinds.import_records, kind=kind, **run)
        st.session_state[checked_key] = (checked[0], final)
        st.rerun()


def records_tab(user: SignedInUser, center_code: str, center_id: int, today: date) -> None:
    kind = st.selectbox(
        t("records.kind"),
        list(record_kinds.KINDS),
        key="records-kind",
        format_func=lambda name: t(f"records.kind.{name}"),
    )
    st.markdown(t(f"records.help.{kind}", center=center_code))
    _downloads(kind, center_code, center_id)
    uploaded = st.file_uploader(t("data.import.upload"), type=["csv", "xlsx"], key=f"records-upload-{kind}")
    if uploaded is None:
        st.caption(t("data.import.waiting"))
        return
    run = {"data": uploaded.getvalue(), "center_code": center_code, "username": user.username, "today": today}
    checked_key = f"records-checked-{kind}"
    checked = st.session_state.get(checked_key)
    if checked is not None and checked[0] != (uploaded.file_id, center_code):
        checked = None  # another file or another center: check again
    if st.button(t("data.import.validate"), icon=":material/fact_check:", key=f"records-validate-{kind}"):
        checked = (
            (uploaded.file_id, center_code),
            call(record_kinds.import_records, kind=kind, dry_run=True, **run),
        )
        st.session_state[checked_key] = checked
    if checked is None:
        st.caption(t("data.import.check_first"))
        return
    result = checked[1]
    counts = {"added": num(result.added), "updated": num(result.updated), "unchanged": num(result.unchanged)}
    if not result.dry_run and result.ok:
        st.success(t("records.done", center=plain(center_code), **counts), icon=":material/check_circle:")
        return
    if not result.ok:
        _problems(result)
    elif result.added + result.updated == 0:
        st.info(t("records.nothing_to_do", **counts), icon=":material/check_circle:")
    else:
        st.success(t("records.ready", **counts), icon=":material/task_alt:")
    _preview(result)
    if result.ok and result.added + result.updated:
        _run(kind, checked_key, checked, run, center_code)
