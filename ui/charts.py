"""Chart builders: pure functions from aggregated rows to Altair charts, titled and translated.

Every builder takes the rows a service returned (already aggregated: one row per bar, cell or
point) and the language, so tests can call them without Streamlit and inspect ``to_dict()``.
"""

from __future__ import annotations

import textwrap
from typing import Any

import altair as alt
import pandas as pd

from services import map_chart

# One meaning, one color, on every page and in every export: the palette and the row cap live
# with the export-side builders in services.chart_specs (services cannot import ui).
from services.chart_specs import MAX_CHART_ROWS, STAGE_COLORS, STATUS_COLORS, stage_label
from services.chart_specs import _guard as _guard
from services.i18n import translate
from services.province_map import MapMeasure

__all__ = ["MAX_CHART_ROWS", "STAGE_COLORS", "STATUS_COLORS", "STATUS_ICONS", "stage_label"]

FONT = "Source Sans Pro, Be Vietnam Pro, Arial, sans-serif"
# On screen, labels carry a symbol too, so color is never the only cue.
STATUS_ICONS = {"overdue": "✖", "due_soon": "⚠", "in_date": "✔", "never": "○"}
SERVICE_COLORS = {"verification": "#0B5394", "calibration": "#3D85C6", "testing": "#9FC5E8"}


@alt.theme.register("metrology", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "font": FONT,
            "title": {"fontSize": 20, "anchor": "start", "fontWeight": 600, "color": "#1B2A41"},
            "axis": {"labelFontSize": 14, "titleFontSize": 15, "gridColor": "#E6E9EF"},
            # long Vietnamese legend titles and labels are read whole, not cut at Vega's 180 pixels
            "legend": {
                "labelFontSize": 14,
                "titleFontSize": 15,
                "orient": "bottom",
                "titleLimit": 480,
                "labelLimit": 360,
            },
            "view": {"stroke": None},
            "range": {"category": {"scheme": "tableau10"}},  # type: ignore[typeddict-item]  # Altair's RangeConfigKwds omits the {"scheme": ...} form Vega-Lite accepts
        }
    }


def status_label(status: str, lang: str) -> str:
    return f"{STATUS_ICONS[status]} {translate(f'status.{status}', lang)}"


MAP_HEIGHT = 720  # ~170 pixels a degree on a wide screen: the delta's small provinces keep their labels


def province_map(
    features: list[dict[str, Any]],
    measures: pd.DataFrame,
    points: pd.DataFrame,
    measure: MapMeasure,
    lang: str,
) -> alt.LayerChart | alt.FacetChart:
    """Provinces with their real boundaries coloured by ``measure``, centers on top (see services.map_chart)."""
    return map_chart.province_map(features, measures, points, measure, lang).properties(height=MAP_HEIGHT)


HEATMAP_ROW_PIXELS = 24  # one band per province (alt.Step): every row keeps its label


def wrapped(text: str, width: int = 60) -> list[str]:
    """A title as lines of at most ``width`` characters (Vega draws a list as lines), so a
    narrow column wraps it instead of cutting it off."""
    return textwrap.wrap(text, width) or [text]


def coverage_heatmap(matrix: pd.DataFrame, lang: str) -> alt.Chart:
    """Region × instrument type: how many local centers can serve (0 = a gap).

    Every province and every type is labelled (``labelOverlap=False``; rows and columns get a
    fixed band each), however many the filters leave.
    """
    data = _guard(matrix)
    return (
        alt.Chart(data, title=alt.Title(wrapped(translate("chart.coverage_heatmap", lang))))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                f"type_{lang}:N",
                title=translate("label.instrument_type", lang),
                axis=alt.Axis(labelAngle=-40, labelLimit=280, labelOverlap=False),
            ),
            y=alt.Y(
                f"region_{lang}:N",
                title=translate("label.province", lang),
                axis=alt.Axis(labelOverlap=False, labelLimit=200),
            ),
            color=alt.Color(
                "centers:Q",
                title=translate("label.local_centers", lang),
                scale=alt.Scale(scheme="blues", domainMin=0),
            ),
            tooltip=[
                alt.Tooltip(f"region_{lang}:N", title=translate("label.province", lang)),
                alt.Tooltip(f"type_{lang}:N", title=translate("label.instrument_type", lang)),
                alt.Tooltip("centers:Q", title=translate("label.local_centers", lang)),
            ],
        )
        .properties(height=alt.Step(HEATMAP_ROW_PIXELS))
    )
