"""Chart builders for the presenter slides and the reports: big type, high contrast, no Streamlit.

The presenter page, the PowerPoint deck and the PDF draw the same specs, so a slide never
disagrees with its exported image. ``services`` may not import ``ui``, so the palette lives here
too; a test keeps it equal to ``ui.charts``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from services.calibration import STATUS_ORDER
from services.cooperation import STAGE_ORDER
from services.i18n import format_day, translate

FONT = "Be Vietnam Pro, Source Sans Pro, Arial, sans-serif"
MAX_CHART_ROWS = 5000
INK = "#0B0B0B"  # near-black on white reads from the back of a hall
MUTED = "#455A64"
GAP_COLOR = "#C62828"
COVERED_COLOR = "#1565C0"
HIGHLIGHT = "#D81B60"

STATUS_COLORS = {"overdue": "#C62828", "due_soon": "#EF8F00", "in_date": "#2E7D32", "never": "#78909C"}
STAGE_COLORS = {
    "proposed": "#90A4AE",
    "negotiating": "#F2B705",
    "signed": "#1E88E5",
    "active": "#2E7D32",
    "expired": "#8D6E63",
    "cancelled": "#C62828",
}
# shapes as a second cue next to color on the timeline
STAGE_SHAPES = {
    "proposed": "circle",
    "negotiating": "diamond",
    "signed": "square",
    "active": "triangle-up",
    "expired": "cross",
    "cancelled": "triangle-down",
}
SLIDE_HEIGHT = 520


def _guard(frame: pd.DataFrame) -> pd.DataFrame:
    if len(frame) > MAX_CHART_ROWS:
        raise ValueError(f"A chart was handed {len(frame)} rows; aggregate before charting.")
    return frame


def presenter_config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Projector-sized type and strong contrast, carried inside the spec (no theme needed)."""
    return (
        chart.configure(font=FONT, background="white")
        .configure_axis(
            labelFontSize=20,
            titleFontSize=22,
            labelColor=INK,
            titleColor=INK,
            gridColor="#D5DAE1",
            domainColor=INK,
            tickColor=INK,
            labelLimit=320,
            titlePadding=12,
        )
        .configure_legend(
            labelFontSize=20,
            titleFontSize=20,
            labelColor=INK,
            titleColor=INK,
            orient="bottom",
            symbolSize=260,
            labelLimit=360,
            titleLimit=600,
        )
        .configure_title(fontSize=26, color=INK, anchor="start", fontWeight=600)
        .configure_view(stroke=None)
    )


def status_label(status: str, lang: str) -> str:
    # no icon here (unlike ui.charts): exported images have no emoji font; the legend's words and
    # the fixed stacking order are the second cue next to color
    return translate(f"status.{status}", lang)


def stage_label(stage: str, lang: str) -> str:
    return translate(f"stage.{stage}", lang)


def stage_color_scale(lang: str) -> alt.Scale:
    """Each stage's label in its color, in the order agreements move through: on screen and in exports."""
    return alt.Scale(
        domain=[stage_label(s, lang) for s in STAGE_ORDER], range=[STAGE_COLORS[s] for s in STAGE_ORDER]
    )


def capacity_by_field(counts: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Equipment per measurement field, stacked by calibration status (rows: field, status, equipment)."""
    data = _guard(counts).copy()
    data["field_label"] = data[f"field_name_{lang}"]
    data["status_label"] = data["status"].map(lambda s: status_label(s, lang))
    data["order"] = data["status"].map(STATUS_ORDER.index)
    order = data.groupby("field_label")["equipment"].sum().sort_values(ascending=False).index.tolist()
    return presenter_config(
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("field_label:N", title=None, sort=order),
            x=alt.X("sum(equipment):Q", title=translate("label.equipment_count", lang)),
            color=alt.Color(
                "status_label:N",
                title=translate("label.status", lang),
                scale=alt.Scale(
                    domain=[status_label(s, lang) for s in STATUS_ORDER],
                    range=[STATUS_COLORS[s] for s in STATUS_ORDER],
                ),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("field_label:N", title=translate("presenter.field", lang)),
                alt.Tooltip("status_label:N", title=translate("label.status", lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang)),
            ],
        )
        .properties(height=SLIDE_HEIGHT)
    )


def coverage_by_region(coverage: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Per province: Group 2 instrument types verifiable locally next to the gaps (rows: region, kind, types)."""
    data = _guard(coverage).copy()
    data["kind_label"] = data["kind"].map(lambda k: translate(f"presenter.coverage.{k}", lang))
    data["order"] = data["kind"].map({"gap": 0, "covered": 1})
    gaps_first = (
        data[data["kind"] == "gap"].sort_values(["types", f"region_{lang}"], ascending=[False, True])
    )[f"region_{lang}"].tolist()
    domain = [translate("presenter.coverage.gap", lang), translate("presenter.coverage.covered", lang)]
    return presenter_config(
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(f"region_{lang}:N", title=None, sort=gaps_first),
            x=alt.X(
                "sum(types):Q", title=translate("presenter.coverage.axis", lang), axis=alt.Axis(tickMinStep=1)
            ),
            color=alt.Color(
                "kind_label:N", title=None, scale=alt.Scale(domain=domain, range=[GAP_COLOR, COVERED_COLOR])
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip(f"region_{lang}:N", title=translate("label.province", lang)),
                alt.Tooltip("kind_label:N", title=translate("presenter.coverage.kind", lang)),
                alt.Tooltip("types:Q", title=translate("presenter.coverage.axis", lang)),
            ],
        )
        .properties(height=SLIDE_HEIGHT)
    )


def pipeline_bars(pipeline: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Agreements per stage, in the order agreements move through them, counts written on the bars."""
    data = _guard(pipeline).copy()
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang))
    order = [stage_label(s, lang) for s in STAGE_ORDER]
    base = alt.Chart(data).encode(
        x=alt.X("stage_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("agreements:Q", title=translate("label.agreements", lang), axis=alt.Axis(tickMinStep=1)),
    )
    bars = base.mark_bar(stroke=INK, strokeWidth=1).encode(
        color=alt.Color(
            "stage_label:N",
            legend=None,
            scale=stage_color_scale(lang),
        ),
        tooltip=[
            alt.Tooltip("stage_label:N", title=translate("label.stage", lang)),
            alt.Tooltip("agreements:Q", title=translate("label.agreements", lang)),
        ],
    )
    counts = base.mark_text(dy=-16, fontSize=26, fontWeight=700, color=INK).encode(text="agreements:Q")
    return presenter_config((bars + counts).properties(height=SLIDE_HEIGHT))


def cooperation_timeline(history: pd.DataFrame, milestones: pd.DataFrame, lang: str) -> alt.TopLevelMixin:
    """Each agreement's stage changes on a line, real milestones (Ha Long, 14/06/2024) marked.

    ``history``: agreement_id, center_code, stage, changed_on, highlight (the real contract).
    ``milestones``: held_on, label (real events drawn as vertical rules).
    """
    data = _guard(history).copy()
    data["changed_on"] = pd.to_datetime(data["changed_on"])
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang))
    data["day"] = data["changed_on"].map(lambda d: format_day(d.date(), lang))
    rows = data.sort_values("changed_on").drop_duplicates("center_code")["center_code"].tolist()
    spans = data.groupby(["agreement_id", "center_code"], as_index=False).agg(
        start=("changed_on", "min"), end=("changed_on", "max"), highlight=("highlight", "max")
    )
    y = alt.Y("center_code:N", title=None, sort=rows, axis=alt.Axis(labelFontSize=16))
    # room on the left for the first milestone and on the right for the highlighted label
    first, last = data["changed_on"].min(), data["changed_on"].max()
    domain = [(first - pd.Timedelta(days=75)).isoformat(), (last + pd.Timedelta(days=45)).isoformat()]
    x = alt.X(
        "start:T",
        title=None,
        scale=alt.Scale(domain=domain),
        axis=alt.Axis(format="%m/%Y", labelAngle=0, tickCount="month", labelFontSize=18),
    )
    lines = (
        alt.Chart(spans)
        .mark_rule(strokeWidth=3)
        .encode(
            x=x,
            x2="end:T",
            y=y,
            color=alt.condition("datum.highlight", alt.value(HIGHLIGHT), alt.value("#90A4AE")),
        )
    )
    layers: list[alt.Chart] = [lines, _stage_points(data, y, lang)]
    highlighted = data[data["highlight"]].drop_duplicates("agreement_id")
    if not highlighted.empty:
        highlighted = highlighted.assign(text=highlighted["label"])
        layers.append(
            alt.Chart(highlighted)
            .mark_text(align="left", dx=18, fontSize=19, fontWeight=700, color=HIGHLIGHT)
            .encode(x="changed_on:T", y=y, text="text:N")
        )
    if not milestones.empty:
        layers += _milestone_rules(milestones)
    return presenter_config(alt.layer(*layers).properties(height=SLIDE_HEIGHT + 40))


def _stage_points(data: pd.DataFrame, y: alt.Y, lang: str) -> alt.Chart:
    """Each stage change as a point, colored and shaped by the stage reached."""
    order = [stage_label(s, lang) for s in STAGE_ORDER]
    return (
        alt.Chart(data)
        .mark_point(filled=True, opacity=1, stroke=INK, strokeWidth=0.8)
        .encode(
            x="changed_on:T",
            y=y,
            color=alt.Color(
                "stage_label:N",
                title=translate("label.stage", lang),
                scale=stage_color_scale(lang),
            ),
            shape=alt.Shape(
                "stage_label:N",
                title=translate("label.stage", lang),
                scale=alt.Scale(domain=order, range=[STAGE_SHAPES[s] for s in STAGE_ORDER]),
            ),
            size=alt.condition("datum.highlight", alt.value(520), alt.value(200)),
            tooltip=[
                alt.Tooltip("center_code:N", title=translate("label.center", lang)),
                alt.Tooltip("stage_label:N", title=translate("label.stage", lang)),
                alt.Tooltip("day:N", title=translate("presenter.date", lang)),
            ],
        )
    )


def _milestone_rules(milestones: pd.DataFrame) -> list[alt.Chart]:
    """The real events as dashed rules, each with its label written up the rule."""
    marks = milestones.copy()
    marks["held_on"] = pd.to_datetime(marks["held_on"])
    return [
        alt.Chart(marks).mark_rule(strokeDash=[8, 5], strokeWidth=2.5, color=HIGHLIGHT).encode(x="held_on:T"),
        # written up the rule, in the margin the x scale leaves before the first agreement
        alt.Chart(marks)
        .mark_text(
            angle=270,
            align="center",
            baseline="bottom",
            dy=-8,
            fontSize=18,
            fontWeight=700,
            color=HIGHLIGHT,
        )
        .encode(x="held_on:T", y=alt.value({"expr": "height / 2"}), text="label:N"),
    ]
