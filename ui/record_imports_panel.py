"""The data page's tab for a center's other records: capabilities, their standards, volumes, agreements, events.

One kind at a time: its template and the center's current records (the same columns, so an export
imports back unchanged), then upload → check → preview (what each row would do) → import.
"""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from services import record_exports, record_kinds
from services.auth import SignedInUser
from ui import i18n
from ui.i18n import num, t
from ui.import_upload import CheckedUpload, problems_table, translated, upload_and_check
from ui.live import call
from ui.plain import plain


def _problems(result) -> None:
    st.error(t("data.import.problems", count=num(len(result.problems))), icon=":material/error:")
    problems_table(translated(result.problems_frame(i18n.lang())))


def _preview(result) -> None:
    shown = result.preview.copy()
    if "action" in shown.columns:
        shown["action"] = shown["action"].map(
            lambda action: t(f"records.action.{action}") if isinstance(action, str) else ""
        )
    with st.expander(t("data.import.preview", rows=num(len(shown))), expanded=result.ok):
        st.dataframe(translated(shown), hide_index=True, width="stretch", height=300)


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


def _run(kind: str, upload: CheckedUpload) -> None:
    result = upload.checked[1]
    if st.button(
        t("records.run", rows=num(result.added + result.updated)),
        type="primary",
        icon=":material/upload:",
        key=f"records-run-{kind}",
    ):
        # a write raises the data version, so every page's cached views follow on their next run
        final = call(record_kinds.import_records, kind=kind, **upload.run)
        st.session_state[upload.checked_key] = (upload.checked[0], final)
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
    check = partial(call, record_kinds.import_records, kind=kind)
    upload = upload_and_check(
        kind, check, key_prefix="records-", center_code=center_code, username=user.username, today=today
    )
    if upload is None:
        return
    result = upload.checked[1]
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
        _run(kind, upload)
