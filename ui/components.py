"""Small pieces every page draws the same way: demo badge, KPI cards, empty states, downloads."""

from __future__ import annotations

from datetime import datetime

import altair as alt
import pandas as pd
import streamlit as st

from services.filters import Filters
from services.i18n import format_timestamp
from ui.chart_downloads import chart_downloads
from ui.i18n import day, lang, t


def demo_badge() -> None:
    """Every view of seeded data says so; only the Ha Long facts are real."""
    st.badge(t("demo.badge"), icon=":material/science:", color="orange")
    st.caption(t("demo.explanation"))


def page_header(title_key: str, subtitle_key: str | None = None) -> None:
    st.title(t(title_key))
    if subtitle_key:
        st.caption(t(subtitle_key))
    demo_badge()


def empty_state(message_key: str, **params: object) -> None:
    st.info(t(message_key, **params), icon=":material/filter_list_off:")


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


def stamped_csv(frame: pd.DataFrame, filters: Filters) -> bytes:
    """CSV with a first comment line saying when it was made and under which filters."""
    stamp = t("export.stamp", when=format_timestamp(datetime.now(), lang()), filters=filters_description(filters))
    body = frame.to_csv(index=False)
    return f"# {stamp}\n{body}".encode("utf-8-sig")  # BOM: Excel then reads Vietnamese correctly


def csv_download(frame: pd.DataFrame, filters: Filters, name: str, *, key: str) -> None:
    st.download_button(
        t("export.csv"), data=stamped_csv(frame, filters), file_name=f"{name}-{filters.as_of.isoformat()}.csv",
        mime="text/csv", icon=":material/download:", key=key,
    )


def chart_with_data(chart: alt.TopLevelMixin, data: pd.DataFrame, filters: Filters, *, name: str) -> None:
    """A chart full width, with its rows as CSV and the picture as PNG/SVG underneath."""
    st.altair_chart(chart, width="stretch")
    with st.container(horizontal=True, gap="small"):
        csv_download(data, filters, name, key=f"csv-{name}")
        chart_downloads(chart, name)


def kpi_cards(cards: list[tuple[str, str, str | None, str]]) -> None:
    """Cards of (label, value, delta, delta_color) in one row."""
    for column, (label, value, delta, delta_color) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(label, value, delta=delta, delta_color=delta_color, border=True)  # type: ignore[arg-type]
