"""Chart builders of the coverage page: service matrix, due buckets, due calendar.

Pure functions from the aggregated rows of ``services.coverage_page`` to Altair charts, so tests
call them without Streamlit. Status colors and icons are the app's (``ui.charts``); the extra
"due in 31–60 / 61–90 days" buckets get shades between "due soon" and "in date".
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from services.i18n import format_day, translate
from services.models import Service
from ui.charts import STATUS_COLORS, STATUS_ICONS, _guard

BUCKET_COLORS = {
    "overdue": STATUS_COLORS["overdue"],
    "due_soon": STATUS_COLORS["due_soon"],
    "due_by_60": "#F6C343",
    "due_by_90": "#A5C85A",
    "in_date": STATUS_COLORS["in_date"],
    "never": STATUS_COLORS["never"],
}
BUCKET_ICONS = {**STATUS_ICONS, "due_by_60": "◐", "due_by_90": "◔"}
CELL_COLORS = {"designated": "#0B5394", "accredited": "#0B5394", "offered": "#9FC5E8", "none": "#F1F3F6"}
CELL_MARKS = {"designated": "◆", "accredited": "★", "offered": "✓", "none": ""}
ROW_PIXELS = 28  # one band per row (alt.Step): a chart grows with its rows instead of squeezing them
CALENDAR_ROW_PIXELS = 64
EMPTY_CELL = "#F1F3F6"
DUE_RANGE = ["#FFE0B2", "#F57C00"]  # light enough at the top for dark figures on every cell


def bucket_label(code: str, from_days: int | None, to_days: int | None, lang: str) -> str:
    """Icon and words for a due bucket; the day bounds come from the user's due-soon window."""
    if code == "due_soon":
        words = translate("coverage.bucket.due_within", lang, days=to_days)
    elif code.startswith("due_by_"):
        words = translate("coverage.bucket.due_between", lang, start=from_days, end=to_days)
    elif code == "in_date":
        words = translate("coverage.bucket.in_date_after", lang, days=(from_days or 1) - 1)
    else:
        words = translate(f"status.{code}", lang)
    return f"{BUCKET_ICONS[code]} {words}"


def cell_label(cell: str, lang: str) -> str:
    mark = CELL_MARKS[cell]
    words = translate(f"coverage.cell.{cell}", lang)
    return f"{mark} {words}" if mark else words


def matrix_cells(service: str) -> tuple[str, ...]:
    """The cells a service's matrix can show: a verification is designated, never accredited."""
    standing = "designated" if service == Service.VERIFICATION.value else "accredited"
    return (standing, "offered", "none")


def service_matrix_heatmap(matrix: pd.DataFrame, service: str, lang: str) -> alt.LayerChart:
    """Center × instrument type for one service: ◆ designated (verification) or ★ accredited (VILAS,
    calibration and testing), ✓ offered, blank not offered."""
    data = _guard(matrix).copy()
    data["cell_label"] = data["cell"].map(lambda c: cell_label(c, lang))
    data["mark"] = data["cell"].map(CELL_MARKS)
    data["legal"] = data["legally_controlled"].map(
        lambda legal: translate("coverage.yes" if legal else "coverage.no", lang)
    )
    title = translate("coverage.chart.matrix", lang, service=translate(f"service.{service}", lang).lower())
    # instrument types down the side: their long names stay readable, center codes fit across
    base = alt.Chart(data, title=title).encode(
        x=alt.X(
            "center_code:N",
            title=translate("label.center", lang),
            axis=alt.Axis(labelAngle=-90, orient="top", labelFontSize=12, labelOverlap=False),
        ),
        y=alt.Y(f"type_name_{lang}:N", title=None, axis=alt.Axis(labelLimit=300, labelOverlap=False)),
    )
    cells = matrix_cells(service)
    labels = [cell_label(c, lang) for c in cells]
    rects = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "cell_label:N",
            title=translate("coverage.cell.title", lang),
            scale=alt.Scale(domain=labels, range=[CELL_COLORS[c] for c in cells]),
            legend=alt.Legend(columns=1, labelLimit=320),
        ),
        tooltip=[
            alt.Tooltip("center_code:N", title=translate("label.center", lang)),
            alt.Tooltip(f"center_name_{lang}:N", title=translate("label.name", lang)),
            alt.Tooltip(f"type_name_{lang}:N", title=translate("label.instrument_type", lang)),
            alt.Tooltip("legal:N", title=translate("coverage.column.legally_controlled", lang)),
            alt.Tooltip("cell_label:N", title=translate("coverage.cell.title", lang)),
            alt.Tooltip(
                "annual_capacity:Q", title=translate("coverage.column.annual_capacity", lang), format=","
            ),
        ],
    )
    marks = base.mark_text(fontSize=13, color="white").encode(text="mark:N")
    return (rects + marks).properties(height=alt.Step(ROW_PIXELS))


def due_buckets_bar(counts: pd.DataFrame, lang: str) -> alt.Chart:
    """Stacked bars: equipment per center by due bucket, most urgent bucket first in each bar."""
    data = _guard(counts).copy()
    data["bucket_label"] = [
        bucket_label(code, None if pd.isna(lo) else int(lo), None if pd.isna(hi) else int(hi), lang)
        for code, lo, hi in zip(data["bucket"], data["from_days"], data["to_days"], strict=True)
    ]
    order = data.drop_duplicates("bucket").sort_values("order")
    domain = list(order["bucket_label"])
    colors = [BUCKET_COLORS[code] for code in order["bucket"]]
    # most urgent first: centers with the most overdue equipment at the top
    urgency = (
        data[data["bucket"] == "overdue"]
        .groupby("center_code")["equipment"]
        .sum()
        .reindex(data["center_code"].unique(), fill_value=0)
    )
    totals = data.groupby("center_code")["equipment"].sum()
    sort = sorted(urgency.index, key=lambda code: (-urgency[code], -totals[code], code))
    return (
        alt.Chart(data, title=translate("coverage.chart.buckets", lang))
        .mark_bar()
        .encode(
            y=alt.Y(
                "center_code:N",
                title=translate("label.center", lang),
                sort=sort,
                axis=alt.Axis(labelOverlap=False),
            ),
            x=alt.X(
                "sum(equipment):Q",
                title=translate("label.equipment_count", lang),
                axis=alt.Axis(format="d", tickMinStep=1),
            ),
            color=alt.Color(
                "bucket_label:N",
                title=translate("coverage.column.due", lang),
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(columns=2, labelLimit=320),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("center_code:N", title=translate("label.center", lang)),
                alt.Tooltip(f"center_name_{lang}:N", title=translate("label.name", lang)),
                alt.Tooltip("bucket_label:N", title=translate("coverage.column.due", lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang), format=","),
            ],
        )
        .properties(height=alt.Step(ROW_PIXELS))
    )


def weekday_names(lang: str) -> list[str]:
    return [translate(f"coverage.weekday.{n}", lang) for n in range(7)]


def due_calendar_chart(grid: pd.DataFrame, month_label: str, lang: str) -> alt.LayerChart:
    """A month as a calendar (weekday × week): equipment falling due each day, all centers."""
    data = _guard(grid).copy()
    names = weekday_names(lang)
    data["weekday_name"] = data["weekday"].map(lambda n: names[n])
    data["date_label"] = data["due_on"].map(lambda d: format_day(d, lang))
    data["count_label"] = data["equipment"].map(lambda n: str(n) if n else "")
    title = translate("coverage.chart.calendar", lang, month=month_label)
    base = alt.Chart(data, title=title).encode(
        x=alt.X("weekday_name:O", sort=names, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
        y=alt.Y("week:O", title=None, axis=None),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=3, cornerRadius=4).encode(
        color=alt.condition(
            alt.datum.equipment > 0,
            alt.Color(
                "equipment:Q",
                title=translate("coverage.column.equipment_due", lang),
                scale=alt.Scale(range=DUE_RANGE, domainMin=1),
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
            alt.value(EMPTY_CELL),
        ),
        tooltip=[
            alt.Tooltip("date_label:N", title=translate("coverage.column.due_on", lang)),
            alt.Tooltip("equipment:Q", title=translate("coverage.column.equipment_due", lang)),
            alt.Tooltip("centers:Q", title=translate("coverage.column.centers", lang)),
            alt.Tooltip("detail:N", title=translate("label.center", lang)),
        ],
    )
    days = base.mark_text(dy=-16, fontSize=12, color="#546E7A").encode(text="day:N")
    counts = base.mark_text(dy=10, fontSize=20, fontWeight="bold", color="#1B2A41").encode(
        text="count_label:N"
    )
    return (rects + days + counts).properties(height=alt.Step(CALENDAR_ROW_PIXELS))


def due_by_center_day(due: pd.DataFrame, days_in_month: int, lang: str) -> alt.LayerChart:
    """Center × day of the month: how many pieces of equipment fall due, per center."""
    data = _guard(due).copy()
    data["day"] = data["due_on"].map(lambda d: d.day)
    data["date_label"] = data["due_on"].map(lambda d: format_day(d, lang))
    base = alt.Chart(data, title=translate("coverage.chart.by_center_day", lang)).encode(
        x=alt.X(
            "day:O",
            title=translate("coverage.column.day", lang),
            scale=alt.Scale(domain=list(range(1, days_in_month + 1))),
            axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=12),
        ),
        y=alt.Y("center_code:N", title=translate("label.center", lang), axis=alt.Axis(labelOverlap=False)),
    )
    rects = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "equipment:Q",
            title=translate("coverage.column.equipment_due", lang),
            scale=alt.Scale(range=DUE_RANGE, domainMin=1),
            legend=alt.Legend(format="d", tickMinStep=1),
        ),
        tooltip=[
            alt.Tooltip("center_code:N", title=translate("label.center", lang)),
            alt.Tooltip(f"center_name_{lang}:N", title=translate("label.name", lang)),
            alt.Tooltip("date_label:N", title=translate("coverage.column.due_on", lang)),
            alt.Tooltip("equipment:Q", title=translate("coverage.column.equipment_due", lang)),
        ],
    )
    text = base.mark_text(fontSize=12, color="#1B2A41").encode(text="equipment:Q")
    return (rects + text).properties(height=alt.Step(ROW_PIXELS))
