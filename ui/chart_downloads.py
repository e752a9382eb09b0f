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
    files = (
        ("png", "image/png", ":material/image:", lambda: chart_png(chart, lang=language)),
        ("svg", "image/svg+xml", ":material/draw:", lambda: chart_svg(chart, lang=language).encode("utf-8")),
    )
    with st.container(horizontal=True, gap="small"):
        for kind, mime, icon, draw in files:
            st.download_button(
                t(f"download.{kind}"),
                data=draw,
                file_name=f"{name}.{kind}",
                mime=mime,
                icon=icon,
                help=t(f"download.{kind}_help"),
                key=f"{kind}-{name}",
                on_click="ignore",
            )
