"""Charts of the equipment page: pure builders from aggregated rows to Altair, titled and translated.

Each takes what a services.equipment function returned (one row per bar or interval) and the
language, so tests call them without Streamlit and read ``to_dict()``.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from services.calibration import STATUS_ORDER
from services.equipment import AGE_BAND_ORDER, OPERATING_STATUSES
from services.formatting import measured_number as plain_number
from services.formatting import range_text
from services.i18n import translate
from ui.charts import STATUS_COLORS, _guard, status_label

# One color per measurement field (by its sort order), the same in every chart of the page.
FIELD_PALETTE = [
    "#4E79A7",
    "#F28E2B",
    "#E15759",
    "#76B7B2",
    "#59A14F",
    "#EDC948",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
    "#BAB0AC",
    "#17BECF",
    "#8C564B",
]
OPERATING_COLORS = {"in_service": "#3D85C6", "repair": "#8D6E63"}
OPERATING_ICONS = {"in_service": "●", "repair": "🔧", "retired": "✕"}
ROW_HEIGHT = 26
# eleven fields: wrap the legend instead of cutting it off, with opaque symbols
FIELD_LEGEND = alt.Legend(columns=4, labelLimit=260, symbolOpacity=1)


def _fit_height(rows: int, row_height: int, fields: int) -> int:
    """Streamlit fits title, axes and legend inside the height: add them to the rows' own space."""
    legend = 40 + 24 * math.ceil(fields / 4)
    return 130 + legend + row_height * max(rows, 2)


def operating_label(status: str, lang: str) -> str:
    return f"{OPERATING_ICONS.get(status, '')} {translate(f'equipment.status.{status}', lang)}".strip()


def age_label(band: str, lang: str) -> str:
    return translate(f"equipment.age.{band}", lang)


def _field_scale(data: pd.DataFrame, lang: str) -> alt.Scale:
    fields = data[["field_order", f"field_name_{lang}"]].drop_duplicates().sort_values("field_order")
    colors = [FIELD_PALETTE[(int(order) - 1) % len(FIELD_PALETTE)] for order in fields["field_order"]]
    return alt.Scale(domain=list(fields[f"field_name_{lang}"]), range=colors)


def equipment_by_center_field(rows: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked bars: equipment per center (biggest first), one segment per measurement field."""
    data = _guard(rows).copy()
    centers = data["center_code"].drop_duplicates().tolist()  # the service sorts biggest first
    title = translate("equipment.chart.by_center_field", lang)
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("center_code:N", title=translate("label.center", lang), sort=centers),
            x=alt.X("sum(equipment):Q", title=translate("label.equipment_count", lang)),
            color=alt.Color(
                f"field_name_{lang}:N",
                title=translate("equipment.axis.field", lang),
                scale=_field_scale(data, lang),
                sort=alt.SortField("field_order"),
                legend=FIELD_LEGEND,
            ),
            order=alt.Order("field_order:Q"),
            tooltip=[
                alt.Tooltip("center_code:N", title=translate("label.center", lang)),
                alt.Tooltip(f"center_name_{lang}:N", title=translate("label.name", lang)),
                alt.Tooltip(f"field_name_{lang}:N", title=translate("equipment.axis.field", lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang)),
            ],
        )
        .properties(height=_fit_height(len(centers), ROW_HEIGHT, data["field_code"].nunique()))
    )


def range_rows(intervals: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The drawable intervals with their labels and the texts the tooltips show."""
    data = intervals[intervals["drawable"].astype(bool)].copy()
    data["subject"] = data[f"name_{lang}"] + " (" + data["si_unit_text"] + ")"
    data["range_entered"] = [
        range_text(low, high, unit, lang)
        for low, high, unit in zip(data["low"], data["high"], data["unit"], strict=True)
    ]
    data["range_si"] = [
        range_text(low, high, unit, lang)
        for low, high, unit in zip(data["low_si"], data["high_si"], data["si_unit_text"], strict=True)
    ]
    data["drawn_from"] = [
        plain_number(value, lang) if clamped else ""
        for value, clamped in zip(data["plot_low"], data["low_clamped"], strict=True)
    ]
    return data


def measuring_ranges(
    intervals: pd.DataFrame, lang: str, *, by: str = "quantity"
) -> alt.LayerChart | alt.FacetChart:
    """Intervals on a log axis of SI values: one translucent bar per (center, quantity), ticks at ends.

    Rows are what services.equipment.measurement_ranges returns; zero-width intervals (a single
    value) still show as a tick.
    """
    data = range_rows(_guard(intervals), lang)
    subjects = (
        data[["field_order", f"name_{lang}", "subject"]]
        .drop_duplicates("subject")
        .sort_values(["field_order", f"name_{lang}"])["subject"]
        .tolist()
    )
    subject_title = translate(f"equipment.axis.{by}", lang)
    tooltip = [
        alt.Tooltip("subject:N", title=subject_title),
        alt.Tooltip("center_code:N", title=translate("label.center", lang)),
        alt.Tooltip(f"center_name_{lang}:N", title=translate("label.name", lang)),
        alt.Tooltip("range_entered:N", title=translate("equipment.tooltip.range_entered", lang)),
        alt.Tooltip("range_si:N", title=translate("equipment.tooltip.range_si", lang)),
        alt.Tooltip("units:N", title=translate("equipment.tooltip.units", lang)),
        alt.Tooltip("drawn_from:N", title=translate("equipment.tooltip.drawn_from", lang)),
        alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang)),
    ]
    x_scale = alt.Scale(type="log")
    y = alt.Y("subject:N", title=subject_title, sort=subjects, axis=alt.Axis(labelLimit=320))
    color = alt.Color(
        f"field_name_{lang}:N",
        title=translate("equipment.axis.field", lang),
        scale=_field_scale(data, lang),
        sort=alt.SortField("field_order"),
        legend=FIELD_LEGEND,
    )
    base = alt.Chart(data)
    bars = base.mark_bar(opacity=0.3, height={"band": 0.7}).encode(
        x=alt.X(
            "plot_low:Q",
            title=translate("equipment.axis.si_value", lang),
            scale=x_scale,
            axis=alt.Axis(format=".0e", grid=True, values=_decades(data)),
        ),
        x2="plot_high:Q",
        y=y,
        color=color,
        tooltip=tooltip,
    )
    lows = base.mark_tick(thickness=2, opacity=0.8).encode(
        x=alt.X("plot_low:Q", scale=x_scale), y=y, color=color, tooltip=tooltip
    )
    highs = base.mark_tick(thickness=2, opacity=0.8).encode(
        x=alt.X("plot_high:Q", scale=x_scale), y=y, color=color, tooltip=tooltip
    )
    return alt.layer(bars, lows, highs, title=translate(f"equipment.chart.ranges_{by}", lang)).properties(
        height=_fit_height(len(subjects), 30, data["field_code"].nunique()) + 40
    )


def _decades(data: pd.DataFrame) -> list[float]:
    """Ticks and grid lines at whole powers of ten only: readable across twenty decades."""
    if data.empty:
        return []
    low = math.floor(math.log10(float(data["plot_low"].min())))
    high = math.ceil(math.log10(float(data["plot_high"].max())))
    step = 1 if high - low <= 12 else 2
    return [10.0**k for k in range(low, high + 1, step)]


def _age_rows(profile: pd.DataFrame, column: str, labels: dict[str, str], lang: str) -> pd.DataFrame:
    data = _guard(profile).groupby(["age_band", "band_order", column], as_index=False)[["equipment"]].sum()
    data["age_label"] = data["age_band"].map(lambda band: age_label(band, lang))
    data["status_label"] = data[column].map(labels)
    data["status_order"] = data[column].map(list(labels).index)
    return data


def _age_chart(
    data: pd.DataFrame,
    lang: str,
    *,
    title_key: str,
    legend_key: str,
    labels: dict[str, str],
    colors: dict[str, str],
) -> alt.Chart:
    bands = [age_label(band, lang) for band in AGE_BAND_ORDER]
    return (
        alt.Chart(data, title=translate(title_key, lang))
        .mark_bar()
        .encode(
            x=alt.X(
                "age_label:N",
                title=translate("equipment.axis.age", lang),
                sort=bands,
                scale=alt.Scale(domain=bands),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("sum(equipment):Q", title=translate("label.equipment_count", lang)),
            color=alt.Color(
                "status_label:N",
                title=translate(legend_key, lang),
                scale=alt.Scale(domain=list(labels.values()), range=[colors[s] for s in labels]),
            ),
            order=alt.Order("status_order:Q"),
            tooltip=[
                alt.Tooltip("age_label:N", title=translate("equipment.axis.age", lang)),
                alt.Tooltip("status_label:N", title=translate(legend_key, lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang)),
            ],
        )
        .properties(height=360)
    )


def age_by_operating_status(profile: pd.DataFrame, lang: str) -> alt.Chart:
    """Equipment per age band, stacked by in service / under repair."""
    labels = {status: operating_label(status, lang) for status in OPERATING_STATUSES}
    data = _age_rows(profile, "status", labels, lang)
    return _age_chart(
        data,
        lang,
        title_key="equipment.chart.age_status",
        legend_key="equipment.axis.operating_status",
        labels=labels,
        colors=OPERATING_COLORS,
    )


def age_by_calibration_status(profile: pd.DataFrame, lang: str) -> alt.Chart:
    """Equipment per age band, stacked by calibration status (colors and icons of every page)."""
    labels = {status: status_label(status, lang) for status in STATUS_ORDER}
    data = _age_rows(profile, "calibration_status", labels, lang)
    return _age_chart(
        data,
        lang,
        title_key="equipment.chart.age_calibration",
        legend_key="equipment.axis.calibration_status",
        labels=labels,
        colors=STATUS_COLORS,
    )
