"""The equipment list as people read it: translated headers and labels, profile links, CSV bytes.

Pure functions of the rows services.equipment returns and the language (no Streamlit), so the
page stays thin and tests can check the export without a browser.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd

from services.equipment import TABLE_COLUMNS
from services.i18n import translate
from services.spreadsheet_safety import comment_line, frame_to_csv
from ui.charts import status_label
from ui.charts_equipment import operating_label

SHOWN_COLUMNS = [column for column in TABLE_COLUMNS if column != "equipment_id"]
DATE_COLUMNS = ("acquired_on", "last_calibrated_on", "next_due_on")


def header(column: str, lang: str) -> str:
    key = "center" if column == "center_code" else column
    return translate(f"equipment.col.{key}", lang)


def profile_link(center_code: str) -> str:
    """Relative link to the center's profile page (url_path "profile")."""
    return f"profile?center={quote(str(center_code), safe='')}"


def _readable(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    shown = rows[SHOWN_COLUMNS].copy()
    yes, no = translate("equipment.yes", lang), translate("equipment.no", lang)
    shown["is_reference_standard"] = shown["is_reference_standard"].map(lambda flag: yes if flag else no)
    shown["status"] = shown["status"].map(lambda status: operating_label(status, lang))
    shown["calibration_status"] = shown["calibration_status"].map(lambda status: status_label(status, lang))
    return shown


def display_frame(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One page for st.dataframe: headers translated, center codes as profile links, dates as dates."""
    shown = _readable(rows, lang)
    shown["center_code"] = shown["center_code"].map(profile_link)
    return shown.rename(columns={column: header(column, lang) for column in SHOWN_COLUMNS})


def csv_bytes(rows: pd.DataFrame, lang: str, stamp: str) -> bytes:
    """The whole filtered list as CSV: a first comment line with the stamp, ISO dates, a BOM for Excel,
    and text that a spreadsheet would run as a formula escaped (services.spreadsheet_safety).

    A report (every center, labels translated, due dates derived), not a file to import: the line
    says so and where the importable export is (the data page's Export tab, in the import's columns).
    """
    shown = _readable(rows, lang)
    for column in DATE_COLUMNS:
        shown[column] = shown[column].map(lambda day: day.isoformat() if day else "")
    shown = shown.rename(columns={column: header(column, lang) for column in SHOWN_COLUMNS})
    # names come from imports: a cell that a spreadsheet would run as a formula is escaped
    note = translate("equipment.table.export_report", lang)
    return (comment_line(stamp) + comment_line(note) + frame_to_csv(shown)).encode("utf-8-sig")
