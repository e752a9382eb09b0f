"""Backup and restore for administrators: the whole database as one file, and back into an empty one.

Independent of the page that shows it (the data page's admin area, or an account page): call
``backup_panel(user)``. Restoring goes into an empty database named by its URL, never into the one
the app is running on, which holds the administrator's own account and so is never empty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlmodel import Session

from services import backup
from services.auth import SignedInUser
from services.db import make_engine
from ui import i18n
from ui.components import upload_limit
from ui.data import engine
from ui.i18n import num, t
from ui.incidents import report_incident
from ui.plain import plain

# the finished file, kept while the administrator's session lives so its download button outlasts
# reruns (a national backup is about 36 MB, made in about 20 s)
PREPARED_KEY = "backup-prepared"


@dataclass(frozen=True)
class PreparedBackup:
    owner: str  # it holds the password hashes: offered to the administrator who made it, no one else
    file_name: str
    data: bytes


def _progress_bar(text_key: str) -> Callable[[int, int], None]:
    """A bar telling rows done of rows in all, for services.backup's progress listener."""
    bar = st.progress(0.0, text=t(text_key, done=num(0), total="…"))

    def show(done: int, total: int) -> None:
        bar.progress(
            min(done / total, 1.0) if total else 1.0, text=t(text_key, done=num(done), total=num(total))
        )

    return show


def _prepare(actor: str) -> None:
    """Make the backup file; services.backup asks again whether ``actor`` is an administrator, and audits it."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    holder = st.empty()
    with holder.container():
        show = _progress_bar("backup.preparing")
    try:
        with Session(engine()) as session:
            data = backup.dump_as(session, engine(), actor=actor, progress=show)
    except backup.BackupRefusal as refusal:
        holder.empty()
        st.error(plain(refusal.message(i18n.lang())), icon=":material/error:")
        return
    except Exception as error:  # noqa: BLE001 - an unreachable database: an incident, the panel stays usable
        holder.empty()
        report_incident(error)
        return
    holder.empty()
    st.session_state[PREPARED_KEY] = PreparedBackup(actor, f"metrology-backup-{stamp}.zip", data)


def _summary_frame(summary: backup.BackupSummary) -> pd.DataFrame:
    return pd.DataFrame(
        [(table.name, table.rows) for table in summary.tables],
        columns=[t("backup.column.table"), t("backup.column.rows")],
    )


def _restore(data: bytes, url: str, actor: str) -> None:
    try:
        target = make_engine(url)
    except Exception:  # noqa: BLE001 - any unusable URL gets one message, never a traceback
        st.error(t("backup.error.bad_url"), icon=":material/error:")
        return
    holder = st.empty()
    with holder.container():
        show = _progress_bar("backup.restoring")
    try:
        with Session(engine()) as session:
            summary = backup.restore_as(session, target, data, actor=actor, progress=show)
    except backup.BackupRefusal as refusal:
        st.error(plain(refusal.message(i18n.lang())), icon=":material/error:")
        return
    except Exception:  # noqa: BLE001 - an unreachable server, a refused login: said plainly
        st.error(t("backup.error.target_unreachable"), icon=":material/error:")
        return
    finally:
        holder.empty()
        target.dispose()
    st.success(
        t(
            "backup.restored",
            rows=num(summary.total_rows),
            tables=num(len(summary.tables)),
            version=summary.schema_version,
        ),
        icon=":material/check_circle:",
    )
    st.dataframe(_summary_frame(summary), hide_index=True, width="stretch", height=300)


def backup_panel(user: SignedInUser) -> None:
    """The download of the whole database and the restore form; administrators only."""
    if not user.is_admin:
        st.info(t("backup.admins_only"), icon=":material/lock:")
        return
    st.subheader(t("backup.download_title"))
    st.caption(t("backup.download_help"))
    if st.button(t("backup.prepare"), icon=":material/archive:", key="backup-prepare"):
        st.session_state.pop(PREPARED_KEY, None)
        _prepare(user.username)
    prepared = st.session_state.get(PREPARED_KEY)
    if isinstance(prepared, PreparedBackup) and prepared.owner != user.username:
        del st.session_state[PREPARED_KEY]  # its maker signed out in this browser; another signed in
    elif isinstance(prepared, PreparedBackup):
        st.success(
            t("backup.ready", file=prepared.file_name, size=num(len(prepared.data) / 2**20, 1)),
            icon=":material/check_circle:",
        )
        st.download_button(
            t("backup.download"),
            data=prepared.data,
            file_name=prepared.file_name,
            mime="application/zip",
            icon=":material/download:",
            key="backup-download",
            on_click="ignore",
        )
    st.subheader(t("backup.restore_title"))
    st.caption(t("backup.restore_help"))
    uploaded = st.file_uploader(
        t("backup.upload"),
        type=["zip"],
        key="backup-upload",
        max_upload_size=upload_limit(backup.MAX_BACKUP_BYTES),
    )
    url = st.text_input(t("backup.target_url"), key="backup-target-url", placeholder="postgresql+psycopg://…")
    if st.button(
        t("backup.restore"),
        type="primary",
        icon=":material/restore:",
        key="backup-restore",
        disabled=uploaded is None or not url.strip(),
    ):
        assert uploaded is not None  # the button is disabled until a file is chosen
        _restore(uploaded.getvalue(), url.strip(), user.username)
