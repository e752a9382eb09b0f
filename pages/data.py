"""Quản lý dữ liệu — center staff keep their own center's data current (login required)."""

from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from services import audit, editing, imports
from services.cells import EQUIPMENT_STATUSES
from ui.auth import current_user, log_out, login_form
from ui.backup_panel import backup_panel
from ui.components import csv_download, empty_state, page_header
from ui.frame import page_frame
from ui.i18n import lang, local, num, t
from ui.import_upload import CheckedUpload, column_labels, problems_table, translated, upload_and_check
from ui.live import call, database_is_empty
from ui.notices import own_center_due_list
from ui.plain import plain
from ui.record_imports_panel import records_tab

filters = page_frame()
page_header("page.data", "data.subtitle")

if database_is_empty():
    empty_state("data.empty_database")
    st.stop()

user = current_user()
if user is None:
    login_form()
    st.stop()
own_center_due_list(user, filters)  # staff see their own center's due work first


# --- who, and which center ------------------------------------------------------------------------
today = date.today()
centers = call(editing.centers_for, user=user, today=today)
who, leave = st.columns([5, 1], vertical_alignment="center")
role = t(f"data.role.{user.role}")
who.markdown(
    t("data.login.signed_in_center", user=plain(user.username), role=role, center=plain(user.center_code))
    if user.center_code
    else t("data.login.signed_in_as", user=plain(user.username), role=role)
)
if leave.button(t("data.login.logout"), icon=":material/logout:", key="logout"):
    log_out()
    st.rerun()
if centers.empty:
    st.warning(t("data.center.no_center"))
    st.stop()
codes = list(centers["code"])
names = dict(zip(centers["code"], centers.apply(lambda row: local(row, "name"), axis=1), strict=True))
if len(codes) == 1:
    center_code = codes[0]
else:
    preferred = filters.center if filters.center in codes else codes[0]
    center_code = st.selectbox(
        t("data.center.pick"),
        codes,
        index=codes.index(preferred),
        key="data_center",
        format_func=lambda code: f"{code} · {names[code]}",
    )
center = centers[centers["code"] == center_code].iloc[0]
center_id = int(center["id"])
can_edit = user.can_edit(center_id)
if not can_edit:
    st.info(t("data.center.view_only", center=center_code), icon=":material/visibility:")


# --- import ------------------------------------------------------------------------------------------
def show_problems(result, kind: str, message_key: str) -> None:  # type: ignore[no-untyped-def]
    st.error(t(message_key, count=num(len(result.problems))), icon=":material/error:")
    frame = translated(result.problems_frame(lang()))
    problems_table(frame)
    csv_download(frame, filters, f"{kind}-problems", key=f"csv-problems-{kind}")


def import_tab(kind: str) -> None:
    service = imports.import_equipment_csv if kind == "equipment" else imports.import_calibrations_csv
    st.markdown(t(f"data.import.{kind}_help", center=center_code))
    _template_and_codes(kind)
    upload = upload_and_check(
        kind,
        partial(call, service),
        key_prefix="",
        center_code=center_code,
        username=user.username,
        today=today,
    )
    if upload is None:
        return
    result = upload.checked[1]
    if result.written:
        st.success(
            t("data.import.done", rows=num(result.written), center=center_code),
            icon=":material/check_circle:",
        )
        return
    if not result.ok:
        show_problems(result, kind, "data.import.problems")
    else:
        st.success(t("data.import.ready", rows=num(result.rows)), icon=":material/task_alt:")
    with st.expander(t("data.import.preview", rows=num(len(result.preview))), expanded=result.ok):
        st.dataframe(translated(result.preview), hide_index=True, width="stretch", height=300)
    if result.ok:
        _write_checked(kind, service, upload)


def _template_and_codes(kind: str) -> None:
    """The empty template to fill in, and the quantity and instrument type codes it takes."""
    template = imports.equipment_template if kind == "equipment" else imports.calibrations_template
    left, right = st.columns([1, 2])
    left.download_button(
        t("data.import.template"),
        data=template(),
        file_name=f"{kind}-template.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"template-{kind}",
    )
    with right.expander(t("data.import.codes")):
        codes_frame = call(imports.quantity_codes)
        shown = pd.DataFrame(
            {
                "quantity": codes_frame["quantity"],
                "quantity_name": codes_frame[f"quantity_name_{lang()}"],
                "si_unit": codes_frame["si_unit"],
                "instrument_type": codes_frame["instrument_type"].fillna(""),
                "type_name": codes_frame[f"type_name_{lang()}"].fillna(""),
            }
        )
        st.dataframe(translated(shown), hide_index=True, height=260, width="stretch")


def _write_checked(kind: str, service: Callable[..., Any], upload: CheckedUpload) -> None:
    """The button that writes a checked file, and the outcome kept for the next run to show."""
    result = upload.checked[1]
    if st.button(
        t("data.import.run", rows=num(result.rows)),
        type="primary",
        icon=":material/upload:",
        key=f"run-{kind}",
    ):
        with st.status(t("data.import.running", rows=num(result.rows))) as status:
            # the check's rows are written when its key (file hash, user, center, day, data version)
            # still holds; a changed file, another user or a write since means a fresh check
            final = call(service, checked=result, **upload.run)
            if final.ok:  # the import raised the data version: the next run's views show it
                status.update(
                    label=t("data.import.done", rows=num(final.written), center=center_code), state="complete"
                )
            else:
                status.update(
                    label=t("data.import.failed", message=plain(final.problems[0].message(lang()))),
                    state="error",
                )
        st.session_state[upload.checked_key] = (upload.checked[0], final)
        st.rerun()


# --- edit ------------------------------------------------------------------------------------------------
EDITOR_ORDER = [
    "serial_no",
    "name",
    "status",
    "range",
    "uncertainty",
    "reference_standard",
    "calibration_interval_months",
    "manufacturer",
    "model",
    "quantity",
    "instrument_type",
    "acquired_on",
    "last_calibrated_on",
    "next_due_on",
]  # what staff change most, first


def editor_rows(key: str) -> pd.DataFrame:
    """The rows as they are now while nothing is edited; once editing starts, the rows the editor
    was drawn with: its edits are positions in them, and their versions are what a save is checked
    against (a row changed since is refused)."""
    rows_key = f"{key}-rows"
    if rows_key not in st.session_state or not st.session_state.get(key, {}).get("edited_rows"):
        st.session_state[rows_key] = call(editing.equipment_for_editing, center_id=center_id)
    return st.session_state[rows_key]


def reload_editor(version: int, key: str) -> None:
    """A fresh editor (new key) that reads the rows again."""
    st.session_state.pop(f"{key}-rows", None)
    st.session_state["data_edit_version"] = version + 1


def edit_tab() -> None:
    version = st.session_state.setdefault("data_edit_version", 0)
    key = f"equipment-editor-{center_code}-{version}"
    frame = editor_rows(key)
    if frame.empty:
        empty_state("data.edit.empty", center=center_code)
        return
    st.caption(t("data.edit.help"))
    notice = st.session_state.pop("data_edit_notice", None)
    if notice:
        st.success(notice, icon=":material/check_circle:")
    refused = st.session_state.pop("data_edit_refused", None)
    if refused:  # a stale save: say who changed what, over the reloaded grid
        st.error(
            "\n\n".join([*map(plain, refused), t("concurrency.edit.reloaded")]),
            icon=":material/sync_problem:",
        )
    config = editor_columns(frame)
    st.data_editor(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        height=420,
        column_config=config,  # type: ignore[arg-type]
        column_order=EDITOR_ORDER,
        disabled=[name for name in frame.columns if name not in editing.EDITABLE],
    )
    edits = st.session_state.get(key, {}).get("edited_rows", {})
    if not edits:
        st.caption(t("data.edit.nothing"))
    if st.button(
        t("data.edit.save"), type="primary", icon=":material/save:", disabled=not edits, key="save-edits"
    ):
        save_edits(frame, edits, version, key)


def editor_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """The grid's headings in the page's language, and the editors of the cells people change."""
    config: dict[str, Any] = {
        name: st.column_config.Column(label) for name, label in column_labels(frame.columns).items()
    }
    config.update(
        {
            "serial_no": st.column_config.TextColumn(t("data.column.serial_no"), pinned=True),
            "status": st.column_config.SelectboxColumn(
                t("data.column.status"),
                options=EQUIPMENT_STATUSES,
                required=True,
                format_func=lambda code: t(f"data.equipment_status.{code}"),
            ),
            "reference_standard": st.column_config.CheckboxColumn(t("data.column.reference_standard")),
            "calibration_interval_months": st.column_config.NumberColumn(
                t("data.column.calibration_interval_months"), min_value=1, max_value=240, step=1, format="%d"
            ),
            "acquired_on": st.column_config.DateColumn(t("data.column.acquired_on"), format="DD/MM/YYYY"),
            "last_calibrated_on": st.column_config.DateColumn(
                t("data.column.last_calibrated_on"), format="DD/MM/YYYY"
            ),
            "next_due_on": st.column_config.DateColumn(t("data.column.next_due_on"), format="DD/MM/YYYY"),
        }
    )
    return config


def save_edits(frame: pd.DataFrame, edits: dict, version: int, key: str) -> None:
    """The grid's edits saved: the grid reloads when they were saved or were stale (someone else changed
    the rows first); otherwise the problems show under it."""
    edited = {int(frame.iloc[int(index)]["id"]): int(frame.iloc[int(index)]["version"]) for index in edits}
    changes = {int(frame.iloc[int(index)]["id"]): values for index, values in edits.items()}
    result = call(
        editing.save_equipment_edits,
        username=user.username,
        center_code=center_code,
        changes=changes,
        base_versions=edited,
        today=today,  # the day the imports judge a closed center by, so both refuse alike
    )
    if result.ok or result.stale:
        reload_editor(version, key)  # a fresh editor shows the rows as they are now
        if result.ok:
            st.session_state["data_edit_notice"] = t("data.edit.saved", count=num(result.changed))
        else:
            st.session_state["data_edit_refused"] = [p.message(lang()) for p in result.problems]
        st.rerun()
    st.error(t("data.edit.problems", count=num(len(result.problems))), icon=":material/error:")
    problems_table(translated(result.problems_frame(lang())))


# --- export and audit log --------------------------------------------------------------------------------
def export_tab() -> None:
    st.caption(t("data.export.help", center=center_code))
    equipment = call(editing.center_equipment, center_id=center_id).drop(columns=["id"])
    calibrations = call(editing.center_calibrations, center_id=center_id)
    left, right = st.columns(2)
    with left:
        st.subheader(t("data.export.equipment", count=num(len(equipment))))
        if equipment.empty:
            empty_state("data.edit.empty", center=center_code)
        else:
            st.dataframe(translated(equipment), hide_index=True, height=300, width="stretch")
            # the file holds the import's columns only, so it imports back (due dates follow the certificates)
            importable = [column.name for column in imports.EQUIPMENT_COLUMNS]
            csv_download(
                equipment[importable], filters, f"equipment-{center_code}", key="csv-export-equipment"
            )
    with right:
        st.subheader(t("data.export.calibrations", count=num(len(calibrations))))
        if calibrations.empty:
            empty_state("data.export.no_calibrations", center=center_code)
        else:
            st.dataframe(translated(calibrations), hide_index=True, height=300, width="stretch")
            csv_download(calibrations, filters, f"certificates-{center_code}", key="csv-export-calibrations")


def audit_tab() -> None:
    st.caption(t("data.audit.help", limit=num(audit.DEFAULT_LIMIT)))
    tables = call(audit.audit_tables, center_id=center_id)
    table = st.selectbox(
        t("data.audit.table"),
        tables,
        index=None,
        placeholder=t("data.audit.all_tables"),
        format_func=lambda name: t(f"data.audit.table_name.{name}"),
        key="audit_table",
    )
    log = call(audit.audit_log, center_id=center_id, table_name=table)
    if log.empty:
        empty_state("data.audit.empty", center=center_code)
        return
    log = log.drop(columns=["id"]).rename(columns={"center_code": "center"})
    log["action"] = log["action"].map(lambda action: t(f"data.audit.action.{action}"))
    log["table_name"] = log["table_name"].map(lambda name: t(f"data.audit.table_name.{name}"))
    shown = translated(log)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=min(400, 40 + 35 * len(shown)),
        column_config={
            t("data.column.at"): st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss"),
        },
    )
    csv_download(shown, filters, f"audit-{center_code}", key="csv-audit")


if can_edit:
    names_of_tabs = ["import_equipment", "import_calibrations", "import_records", "edit", "export", "audit"]
else:
    names_of_tabs = ["export", "audit"]
if user.is_admin:
    names_of_tabs.append("backup")
tabs = dict(zip(names_of_tabs, st.tabs([t(f"data.tab.{name}") for name in names_of_tabs]), strict=True))
if can_edit:
    with tabs["import_equipment"]:
        import_tab("equipment")
    with tabs["import_calibrations"]:
        import_tab("calibration")
    with tabs["import_records"]:
        records_tab(user, center_code, center_id, today)
    with tabs["edit"]:
        edit_tab()
with tabs["export"]:
    export_tab()
with tabs["audit"]:
    audit_tab()
if user.is_admin:
    with tabs["backup"]:
        backup_panel(user)
