"""PNG and SVG download buttons for a chart, rendered only when clicked.

The image is drawn by vl-convert (``services.chart_images``, offline) in Streamlit's deferred
download: a page run costs nothing, the click waits about a second.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from services.chart_images import chart_png, chart_svg
from ui.i18n import lang, t


def chart_downloads(chart: alt.TopLevelMixin, name: str) -> None:
    """Two small buttons, PNG (2× resolution) and SVG, saving ``name``.png / ``name``.svg."""
    language = lang()
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            t("download.png"),
            data=lambda: chart_png(chart, lang=language),
            file_name=f"{name}.png",
            mime="image/png",
            icon=":material/image:",
            help=t("download.png_help"),
            key=f"png-{name}",
            on_click="ignore",
        )
        st.download_button(
            t("download.svg"),
            data=lambda: chart_svg(chart, lang=language).encode("utf-8"),
            file_name=f"{name}.svg",
            mime="image/svg+xml",
            icon=":material/draw:",
            help=t("download.svg_help"),
            key=f"svg-{name}",
            on_click="ignore",
        )
