"""Small pieces every page draws the same way: demo badge, KPI cards, empty states, downloads, tabs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime

import pandas as pd
import streamlit as st
from altair.typing import ChartType
from streamlit.elements.lib.mutable_tab_container import TabContainer
from streamlit.elements.metric import DeltaColor

from services.filters import Filters
from services.i18n import LANGUAGES, format_timestamp, translate
from services.sources import real_source_links
from services.spreadsheet_safety import comment_line, frame_to_csv
from ui.chart_downloads import chart_downloads
from ui.data import demo_day, finished_chart
from ui.i18n import day, lang, t
from ui.plain import plain


def demo_badge() -> None:
    """Every view of the demo network says so, and which day it describes; only the Ha Long facts are real.

    A demo database also says which day it describes: the views default to that day, not to
    today, and the "as of" filter moves it.
    """
    described = demo_day()
    if described is None:  # a database of real records (or an empty one): nothing to label
        return
    st.badge(t("demo.badge_as_of", date=day(described)), icon=":material/science:", color="orange")
    st.caption(
        f"{t('demo.explanation')} {t('demo.as_of_explanation', date=day(described), filter=t('filters.as_of'))}"
    )


def page_header(title_key: str, subtitle_key: str | None = None) -> None:
    st.title(t(title_key))
    if subtitle_key:
        st.caption(t(subtitle_key))
    demo_badge()


def empty_state(message_key: str, **params: object) -> None:
    """An info box; its values (a search, a center code) show as typed, never as Markdown."""
    st.info(
        t(message_key, **{name: plain(value) for name, value in params.items()}),
        icon=":material/filter_list_off:",
    )


def filters_description(filters: Filters) -> str:
    """The filters in words, for file stamps and captions."""
    parts = [f"{t('filters.as_of')}: {day(filters.as_of)}", t(f"boundaries.{filters.boundaries.value}")]
    for label_key, value in (
        ("filters.province", filters.province),
        ("filters.center", filters.center),
        ("filters.field", filters.field),
        ("filters.instrument_type", filters.instrument_type),
        ("filters.service", filters.service),
    ):
        if value:
            parts.append(f"{t(label_key)}: {value}")
    return "; ".join(parts)


def stamped_csv(frame: pd.DataFrame, filters: Filters, *, note: str | None = None) -> bytes:
    """CSV with a first comment line saying when it was made and under which filters, and ``note``
    (already translated) as a second one when given."""
    stamp = t(
        "export.stamp", when=format_timestamp(datetime.now(), lang()), filters=filters_description(filters)
    )
    try:
        body = _csv_body(frame_digest(frame), frame)
    except TypeError:  # a cell pandas cannot hash (a list): written afresh
        body = frame_to_csv(frame)
    notes = comment_line(stamp) + (comment_line(note) if note else "")
    return (notes + body).encode("utf-8-sig")  # BOM: Excel then reads Vietnamese


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of every cell, the column names and the index: two frames with one equal digest
    hold the same rows (Streamlit's own hashing samples frames over 10,000 rows)."""
    cells = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    names = repr((list(frame.columns), [str(dtype) for dtype in frame.dtypes])).encode()
    return hashlib.blake2b(cells + names, digest_size=16).hexdigest()


@st.cache_data(show_spinner=False, max_entries=256)
def _csv_body(digest: str, _frame: pd.DataFrame) -> str:
    """The rows as CSV, written once per content: ``digest`` keys it, the frame is not hashed
    again. Writing a thousand rows took several times as long as hashing them, on every rerun
    of every page with a download.

    Text cells that a spreadsheet would run as formulas are escaped (OWASP CSV injection).
    """
    return frame_to_csv(_frame)


def csv_download(frame: pd.DataFrame, filters: Filters, name: str, *, key: str) -> None:
    _download_button(stamped_csv(frame, filters), f"{name}-{filters.as_of.isoformat()}.csv", key=key)


def report_file_name(kind: str, owner: str, as_of: date) -> str:
    """``equipment-report-TTKT-31-2026-11-30.csv``: the word "report" where an import file has none."""
    return f"{kind}-report-{owner}-{as_of.isoformat()}.csv"


def report_download(
    frame: pd.DataFrame, filters: Filters, kind: str, owner: str, *, key: str, note_key: str
) -> None:
    """A list as a page shows it (derived columns, words for codes), which people could take for an
    import file: the file name says "report" and a second comment line (``note_key``) says where the
    importable file is, as the equipment page's list does (ui.equipment_table.csv_bytes)."""
    data = stamped_csv(frame, filters, note=t(note_key))
    _download_button(data, report_file_name(kind, owner, filters.as_of), key=key)


def _download_button(data: bytes, file_name: str, *, key: str) -> None:
    st.download_button(
        t("export.csv"), data=data, file_name=file_name, mime="text/csv", icon=":material/download:", key=key
    )


def chart_with_data(
    build: Callable[[], ChartType],
    data: pd.DataFrame,
    filters: Filters,
    *,
    name: str,
    depends_on: tuple[Hashable, ...] = (),
) -> None:
    """``build()``'s chart full width, with its rows as CSV and the picture as PNG/SVG underneath.

    The chart is built once per data version, ``name``, filters, language and ``depends_on``
    (``ui.data.finished_chart``): ``name`` (or ``depends_on``) must say every choice on the page
    that changes the chart, such as the map's measure.
    """
    finished = finished_chart(build, name, filters, lang(), *depends_on)
    if finished is None:  # a builder that draws nothing for these rows
        return
    st.vega_lite_chart(finished.spec, width="stretch")
    with st.container(horizontal=True, gap="small"):
        csv_download(data, filters, name, key=f"csv-{name}")
        chart_downloads(finished.chart, name)


def kpi_cards(cards: list[tuple[str, str, str | None, DeltaColor]]) -> None:
    """Cards of (label, value, delta, delta_color) in one row."""
    for column, (label, value, delta, delta_color) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(label, value, delta=delta, delta_color=delta_color, border=True)


def real_sources(frame: pd.DataFrame) -> None:
    """The sources of the table's real (not demo) rows, as links under it."""
    if links := real_source_links(frame, lang()):
        st.caption(t("cooperation.sources", links="; ".join(links)))


def open_tab(names: Sequence[str], label_prefix: str, *, key: str) -> tuple[str, TabContainer]:
    """Tabs labelled ``t(f"{label_prefix}.{name}")``; the open one's name and container.

    Only the open tab is meant to be drawn: a hidden tab's content would run on every rerun
    and every filter change for nobody to see. The open tab lives in the URL as ``?{key}=``
    (its label, which is what Streamlit binds), so a shared link opens the same tab; the first
    tab is the default and leaves the URL clean.
    """
    labels = {name: t(f"{label_prefix}.{name}") for name in names}
    _keep_tab_across_languages(labels, label_prefix, key)
    containers = st.tabs(list(labels.values()), key=key, bind="query-params")
    return next(
        ((name, tab) for name, tab in zip(names, containers, strict=True) if tab.open),
        (names[0], containers[0]),  # never reached: bound tabs always know which one is open
    )


def _keep_tab_across_languages(labels: dict[str, str], label_prefix: str, key: str) -> None:
    """After a language switch the remembered tab is a label in the other language: the same tab."""
    remembered = st.session_state.get(key)
    if remembered is None or remembered in labels.values():
        return
    for name, label in labels.items():
        if any(remembered == translate(f"{label_prefix}.{name}", other) for other in LANGUAGES):
            st.session_state[key] = label
            return


def upload_limit(limit_bytes: int) -> int:
    """``st.file_uploader``'s ``max_upload_size`` for a limit in bytes (its "MB" is 2**20 bytes).

    The browser then refuses a bigger file before sending a byte and the picker states the true
    limit; the service checks the size again for every other caller.
    """
    return max(1, limit_bytes // 2**20)
