"""Chart builders: pure functions from aggregated rows to Altair charts, titled and translated.

Every builder takes the rows a service returned (already aggregated: one row per bar, cell or
point) and the language, so tests can call them without Streamlit and inspect ``to_dict()``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

# One meaning, one color, on every page and in every export: the palette and the row cap live
# with the export-side builders in services.chart_specs (services cannot import ui).
from services.chart_specs import MAX_CHART_ROWS, STAGE_COLORS, STATUS_COLORS, stage_label
from services.chart_specs import _guard as _guard
from services.cooperation import STAGE_ORDER
from services.i18n import translate

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
            "legend": {"labelFontSize": 14, "titleFontSize": 15, "orient": "bottom"},
            "view": {"stroke": None},
            "range": {"category": {"scheme": "tableau10"}},
        }
    }


def status_label(status: str, lang: str) -> str:
    return f"{STATUS_ICONS[status]} {translate(f'status.{status}', lang)}"


def centers_map(points: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Centers at their province capitals, sized by equipment, colored by cooperation stage.

    Drawn on a Mercator projection of the points themselves: no tiles, nothing downloaded.
    """
    data = _guard(points).copy()
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang) if isinstance(s, str) else "—")
    stages = list(STAGE_ORDER)
    base = alt.Chart(data, title=translate("chart.map", lang)).project(type="mercator")
    circles = base.mark_circle(opacity=0.85, stroke="white", strokeWidth=1).encode(
        longitude="lon:Q",
        latitude="lat:Q",
        size=alt.Size("equipment:Q", title=translate("label.equipment_count", lang),
                      scale=alt.Scale(range=[60, 1600])),
        color=alt.Color(
            "stage_label:N", title=translate("label.stage", lang),
            scale=alt.Scale(domain=[stage_label(s, lang) for s in stages] + ["—"],
                            range=[STAGE_COLORS[s] for s in stages] + ["#B0BEC5"]),
        ),
        tooltip=[
            alt.Tooltip("code:N", title=translate("label.center", lang)),
            alt.Tooltip(f"name_{lang}:N", title=translate("label.name", lang)),
            alt.Tooltip(f"province_{lang}:N", title=translate("label.province", lang)),
            alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang), format=","),
            alt.Tooltip("stage_label:N", title=translate("label.stage", lang)),
        ],
    )
    labels = base.mark_text(dy=-12, fontSize=11, color="#37474F").encode(
        longitude="lon:Q", latitude="lat:Q", text=f"province_{lang}:N"
    )
    return (circles + labels).properties(height=520)


def coverage_heatmap(matrix: pd.DataFrame, lang: str) -> alt.Chart:
    """Region × instrument type: how many local centers can serve (0 = a gap)."""
    data = _guard(matrix)
    return (
        alt.Chart(data, title=translate("chart.coverage_heatmap", lang))
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(f"type_{lang}:N", title=translate("label.instrument_type", lang),
                    axis=alt.Axis(labelAngle=-40, labelLimit=180)),
            y=alt.Y(f"region_{lang}:N", title=translate("label.province", lang)),
            color=alt.Color("centers:Q", title=translate("label.local_centers", lang),
                            scale=alt.Scale(scheme="blues", domainMin=0)),
            tooltip=[
                alt.Tooltip(f"region_{lang}:N", title=translate("label.province", lang)),
                alt.Tooltip(f"type_{lang}:N", title=translate("label.instrument_type", lang)),
                alt.Tooltip("centers:Q", title=translate("label.local_centers", lang)),
            ],
        )
    )


def pipeline_bars(pipeline: pd.DataFrame, lang: str) -> alt.Chart:
    """Agreements per stage, in the order agreements move through them."""
    data = _guard(pipeline).copy()
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang))
    order = [stage_label(s, lang) for s in STAGE_ORDER]
    return (
        alt.Chart(data, title=translate("chart.pipeline", lang))
        .mark_bar()
        .encode(
            x=alt.X("stage_label:N", title=translate("label.stage", lang), sort=order,
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("agreements:Q", title=translate("label.agreements", lang), axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("stage_label:N", legend=None,
                            scale=alt.Scale(domain=order, range=[STAGE_COLORS[s] for s in STAGE_ORDER])),
            tooltip=[
                alt.Tooltip("stage_label:N", title=translate("label.stage", lang)),
                alt.Tooltip("agreements:Q", title=translate("label.agreements", lang)),
            ],
        )
    )
