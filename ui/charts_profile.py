"""Chart builders of the center profile: pure functions of aggregated rows and the language."""

from __future__ import annotations

import altair as alt
import pandas as pd

from services import formatting
from services.calibration import STATUS_ORDER
from services.formatting import unit_text
from services.i18n import translate, translate_plural
from ui.charts import STATUS_COLORS, _guard, status_label

RESULT_COLORS = {"pass": "#2E7D32", "limited": "#EF8F00", "fail": "#C62828"}
RESULT_SHAPES = {"pass": "circle", "limited": "diamond", "fail": "cross"}
RESULT_ICONS = {"pass": "✔", "limited": "⚠", "fail": "✖"}
KIND_COLORS = {"reference": "#0B5394", "working": "#9FC5E8"}
VOLUME_COLOR = "#3D85C6"
CAPACITY_COLOR = "#1B2A41"


def result_label(result: str, lang: str) -> str:
    return f"{RESULT_ICONS.get(result, '')} {translate(f'profile.result.{result}', lang)}".strip()


def uncertainty_text(value: float | None, unit: str | None, lang: str) -> str:
    """``services.formatting.uncertainty_text``, with ``—`` in a table cell that has none."""
    return formatting.uncertainty_text(value, unit, lang) or "—"


def equipment_by_field(counts: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked bars per measurement field: reference standards and working equipment."""
    data = _guard(counts)
    long = data.melt(
        id_vars=["field_code", f"field_{lang}", "sort_order"],
        value_vars=["reference_standards", "working"],
        var_name="kind",
        value_name="count",
    )
    long["kind_label"] = long["kind"].map(lambda kind: translate(f"profile.kind_of_equipment.{kind}", lang))
    labels = [
        translate(f"profile.kind_of_equipment.{kind}", lang) for kind in ("reference_standards", "working")
    ]
    order = list(data.sort_values("sort_order")[f"field_{lang}"])
    return (
        alt.Chart(long, title=translate("profile.chart.equipment_by_field", lang))
        .mark_bar()
        .encode(
            y=alt.Y(
                f"field_{lang}:N",
                title=translate("profile.col.field", lang),
                sort=order,
                axis=alt.Axis(labelLimit=280),
            ),
            x=alt.X(
                "count:Q",
                title=translate("label.equipment_count", lang),
                stack="zero",
                axis=alt.Axis(tickMinStep=1),
            ),
            color=alt.Color(
                "kind_label:N",
                title=translate("profile.col.kind", lang),
                scale=alt.Scale(domain=labels, range=list(KIND_COLORS.values())),
            ),
            order=alt.Order("kind:N"),
            tooltip=[
                alt.Tooltip(f"field_{lang}:N", title=translate("profile.col.field", lang)),
                alt.Tooltip("kind_label:N", title=translate("profile.col.kind", lang)),
                alt.Tooltip("count:Q", title=translate("label.equipment_count", lang)),
            ],
        )
        .properties(height=160 + 36 * len(data))  # Streamlit fits title, axis and legend in it
    )


def status_bars(counts: pd.DataFrame, lang: str) -> alt.Chart:
    """One bar per calibration status (icon and word in the label, not only the color)."""
    data = _guard(counts).copy()
    data["status_label"] = data["status"].map(lambda s: status_label(s, lang))
    labels = [status_label(s, lang) for s in STATUS_ORDER]
    return (
        alt.Chart(data, title=translate("profile.chart.status", lang))
        .mark_bar()
        .encode(
            y=alt.Y("status_label:N", title=translate("label.status", lang), sort=labels),
            x=alt.X(
                "equipment:Q", title=translate("label.equipment_count", lang), axis=alt.Axis(tickMinStep=1)
            ),
            color=alt.Color(
                "status_label:N",
                legend=None,
                scale=alt.Scale(domain=labels, range=[STATUS_COLORS[s] for s in STATUS_ORDER]),
            ),
            tooltip=[
                alt.Tooltip("status_label:N", title=translate("label.status", lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang)),
            ],
        )
        .properties(height=320)
    )


def drift_chart(history: pd.DataFrame, unit: str | None, lang: str) -> alt.LayerChart:
    """Measured error of one standard over time, with a band of ± its expanded uncertainty."""
    data = _guard(history).copy()
    data["calibrated_on"] = pd.to_datetime(data["calibrated_on"])
    data["result_label"] = data["result"].map(lambda r: result_label(r, lang))
    results = list(RESULT_COLORS)
    labels = [result_label(r, lang) for r in results]
    shown_unit = unit_text(unit)
    error_title = translate("profile.drift.error_axis", lang, unit=shown_unit).strip()
    date_axis = alt.X(
        "calibrated_on:T", title=translate("profile.col.calibrated_on", lang), axis=alt.Axis(format="%m/%Y")
    )
    base = alt.Chart(data, title=translate("profile.chart.drift", lang))
    band = base.mark_area(opacity=0.22, color=VOLUME_COLOR).encode(
        x=date_axis, y=alt.Y("lower:Q", title=error_title), y2="upper:Q"
    )
    line = base.mark_line(color=CAPACITY_COLOR).encode(x=date_axis, y="measured_error:Q")
    points = base.mark_point(size=140, filled=True).encode(
        x=date_axis,
        y="measured_error:Q",
        color=alt.Color(
            "result_label:N",
            title=translate("profile.col.result", lang),
            scale=alt.Scale(domain=labels, range=[RESULT_COLORS[r] for r in results]),
        ),
        shape=alt.Shape(
            "result_label:N",
            scale=alt.Scale(domain=labels, range=[RESULT_SHAPES[r] for r in results]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip(
                "calibrated_on:T", title=translate("profile.col.calibrated_on", lang), format="%d/%m/%Y"
            ),
            alt.Tooltip("certificate_no:N", title=translate("profile.col.certificate_no", lang)),
            alt.Tooltip("provider_name:N", title=translate("profile.col.provider", lang)),
            alt.Tooltip("result_label:N", title=translate("profile.col.result", lang)),
            alt.Tooltip(
                "measured_error:Q", title=translate("profile.col.measured_error", lang), format=".4g"
            ),
            alt.Tooltip("uncertainty:Q", title=translate("profile.col.uncertainty", lang), format=".4g"),
        ],
    )
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(strokeDash=[4, 4], color="#78909C")
        .encode(y="zero:Q")
    )
    return (band + zero + line + points).properties(height=420)


def utilization_chart(monthly: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Monthly work done (bars) against monthly capacity (line), utilization in the tooltip."""
    data = _guard(monthly).copy()
    data["month"] = pd.to_datetime(data["month"])
    data["utilization_pct"] = data["utilization"].astype(float)
    month_axis = alt.X(
        "yearmonth(month):T",
        title=translate("profile.col.month", lang),
        axis=alt.Axis(format="%m/%Y", labelAngle=0),
    )
    tooltip = [
        alt.Tooltip("yearmonth(month):T", title=translate("profile.col.month", lang), format="%m/%Y"),
        alt.Tooltip("volume:Q", title=translate("profile.col.volume", lang), format=","),
        alt.Tooltip(
            "monthly_capacity:Q", title=translate("profile.col.monthly_capacity", lang), format=",.0f"
        ),
        alt.Tooltip("utilization_pct:Q", title=translate("profile.col.utilization", lang), format=".0%"),
    ]
    base = alt.Chart(data, title=translate("profile.chart.utilization", lang))
    bars = base.mark_bar(color=VOLUME_COLOR, opacity=0.85).encode(
        x=month_axis, y=alt.Y("volume:Q", title=translate("profile.utilization.axis", lang)), tooltip=tooltip
    )
    capacity = base.mark_line(
        color=CAPACITY_COLOR, strokeWidth=3, strokeDash=[6, 3], interpolate="step-after"
    ).encode(x=month_axis, y="monthly_capacity:Q", tooltip=tooltip)
    return (bars + capacity).properties(height=420)


def _dot_quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def traceability_dot(links: pd.DataFrame, center_code: str, lang: str) -> str:
    """Graphviz DOT of who calibrates whom, bottom (the center) to top (VMI, foreign institutes)."""
    _guard(links)
    broken = translate("profile.trace.no_certificate", lang)
    lines = [
        "digraph traceability {",
        "  rankdir=BT; nodesep=0.35; ranksep=0.6;",
        '  node [shape=box, style="rounded,filled", fontname="Arial", fontsize=14, color="#90A4AE",'
        ' fillcolor="#E3F2FD"];',
        '  edge [fontname="Arial", fontsize=12, color="#546E7A"];',
    ]
    nodes: dict[str, str] = {}
    for link in links.itertuples():
        nodes.setdefault(str(link.holder_code), "network")
        target = str(link.provider_name) if pd.notna(link.provider_name) else broken  # type: ignore[arg-type]  # pandas-stubs types an itertuples() field as any scalar; provider_name is text or missing
        kind = (
            "broken" if pd.isna(link.provider_name) else "network" if link.provider_in_network else "foreign"  # type: ignore[arg-type]  # pandas-stubs types an itertuples() field as any scalar; provider_name is text or missing
        )
        nodes.setdefault(target, kind)
    styles = {
        "network": 'fillcolor="#E3F2FD"',
        "foreign": 'fillcolor="#FFF3E0", color="#EF8F00"',
        "broken": 'fillcolor="#FFEBEE", color="#C62828", style="rounded,filled,dashed"',
    }
    for name, kind in nodes.items():
        style = (
            'fillcolor="#0B5394", fontcolor="white", color="#0B5394"' if name == center_code else styles[kind]
        )
        lines.append(f"  {_dot_quote(name)} [{style}];")
    for link in links.itertuples():
        target = str(link.provider_name) if pd.notna(link.provider_name) else broken  # type: ignore[arg-type]  # pandas-stubs types an itertuples() field as any scalar; provider_name is text or missing
        count = int(link.standards)  # type: ignore[arg-type]  # pandas-stubs types an itertuples() field as any scalar; standards is a count
        label = translate_plural("profile.trace.edge", count, lang)
        lines.append(
            f"  {_dot_quote(str(link.holder_code))} -> {_dot_quote(target)} [label={_dot_quote(label)}];"
        )
    lines.append("}")
    return "\n".join(lines)
