"""Tổng quan — the network at a glance for leadership."""

import streamlit as st

from services.boundaries import boundaries_of, province_features
from services.coverage import coverage_gaps, coverage_grid
from services.kpis import kpi_summary, year_before
from services.overview import center_points, recent_changes
from services.province_map import MapMeasure, province_measures
from ui import charts
from ui.components import chart_with_data, csv_download, empty_state, kpi_cards, page_header
from ui.data import cached, prefetch, view
from ui.frame import page_frame
from ui.i18n import day, lang, num, pct, t
from ui.plain import plain

MAP_PARAM = "map"

filters = page_frame()
page_header("page.overview", "overview.subtitle")
year_earlier = year_before(filters)
prefetch(  # what this page draws, side by side; the slowest first
    view(kpi_summary, year_earlier),
    view(kpi_summary, filters),
    view(province_measures, filters),
    view(coverage_gaps, filters),
    view(center_points, filters),
    view(coverage_grid, filters),
    view(recent_changes, filters),
)
now, year_ago = cached(kpi_summary, filters), cached(kpi_summary, year_earlier)

if now.centers == 0:
    empty_state("empty.no_centers")
    st.stop()


def delta(current: float, before: float, as_share: bool = False) -> str | None:
    change = current - before
    if change == 0:
        return None
    text = t("overview.points", value=num(change * 100, 1)) if as_share else num(change)
    return ("+" if change > 0 else "") + text + " " + t("overview.vs_year_ago")


kpi_cards(
    [
        (t("kpi.centers"), num(now.centers), delta(now.centers, year_ago.centers), "normal"),
        (t("kpi.equipment"), num(now.equipment), delta(now.equipment, year_ago.equipment), "normal"),
        (
            t("kpi.in_date_share"),
            pct(now.in_date_share, 1),
            delta(now.in_date_share, year_ago.in_date_share, as_share=True),
            "normal",
        ),
        (t("kpi.overdue"), num(now.overdue), delta(now.overdue, year_ago.overdue), "inverse"),
    ]
)
kpi_cards(
    [
        (
            t("kpi.capabilities"),
            num(now.capabilities),
            delta(now.capabilities, year_ago.capabilities),
            "normal",
        ),
        (t("kpi.gaps"), num(now.gaps), delta(now.gaps, year_ago.gaps), "inverse"),
        (
            t("kpi.agreements_signed"),
            num(now.agreements_signed),
            delta(now.agreements_signed, year_ago.agreements_signed),
            "normal",
        ),
        (t("kpi.due_soon", days=filters.due_window_days), num(now.due_soon), None, "off"),
    ]
)
st.caption(
    t("overview.as_of", date=day(filters.as_of))
    + " "
    + t("capability.counted_caption", date=day(filters.as_of))
)

measures = cached(province_measures, filters)
# ?map=in_date|gaps|stage: the code, never the label, so a link works in both languages (a bound
# widget would put the translated label in the address)
MEASURES = [m.value for m in MapMeasure]
if "overview_map_measure" not in st.session_state or st.session_state["overview_map_measure"] not in MEASURES:
    asked = st.query_params.get(MAP_PARAM)
    st.session_state["overview_map_measure"] = asked if asked in MEASURES else MapMeasure.IN_DATE.value
measure = MapMeasure(
    st.segmented_control(
        t("map.measure"),
        MEASURES,
        key="overview_map_measure",
        required=True,
        format_func=lambda value: t(f"map.measure.{value}"),
    )
)
if measure is MapMeasure.IN_DATE:
    st.query_params.pop(MAP_PARAM, None)
elif st.query_params.get(MAP_PARAM) != measure.value:
    st.query_params[MAP_PARAM] = measure.value
points = cached(center_points, filters)
chart_with_data(
    lambda: charts.province_map(province_features(filters), measures, points, measure, lang()),
    measures,
    filters,
    name=f"province-map-{measure.value}",
)
st.caption(t("map.caption", boundaries=t(f"map.boundaries.{boundaries_of(filters)}")))

left, right = st.columns(2)
with left:
    st.subheader(t("overview.largest_gaps"))
    gaps = cached(coverage_gaps, filters).head(5)
    if gaps.empty:
        empty_state("empty.no_gaps")
    else:
        shown = gaps.rename(
            columns={
                f"region_name_{lang()}": t("label.province"),
                f"type_name_{lang()}": t("label.instrument_type"),
                "nearest_center": t("label.nearest_center"),
                "distance_km": t("label.distance_km"),
            }
        )
        st.dataframe(
            shown[
                [
                    t("label.province"),
                    t("label.instrument_type"),
                    t("label.nearest_center"),
                    t("label.distance_km"),
                ]
            ],
            hide_index=True,
            width="stretch",
        )
        csv_download(gaps, filters, "largest-gaps", key="csv-gaps")
with right:
    st.subheader(t("overview.recent"))
    recent = cached(recent_changes, filters)
    if recent.empty:
        empty_state("empty.no_recent")
    else:
        for change in recent.head(8).itertuples():
            detail = getattr(change, f"detail_{lang()}")
            if change.kind == "stage":
                detail = t(f"stage.{detail}")
            st.markdown(
                t(
                    f"recent.{change.kind}",
                    date=day(change.on),
                    center=plain(change.center_code),
                    count=num(change.count),
                    detail=plain(detail),
                )
            )

grid = cached(coverage_grid, filters)
if grid.empty:
    empty_state("empty.no_coverage")
else:
    chart_with_data(lambda: charts.coverage_heatmap(grid, lang()), grid, filters, name="coverage-grid")
