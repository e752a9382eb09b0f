"""Năng lực thiết bị — what the centers hold: by field, measuring range, age and status, and the list."""

import hashlib
import math
from datetime import datetime

import streamlit as st

from services.equipment import (
    PAGE_SIZES,
    SORT_KEYS,
    age_profile,
    equipment_by_center_field,
    equipment_page,
    equipment_summary,
    equipment_table,
    measurement_ranges,
)
from services.filter_choices import filter_options
from services.i18n import format_timestamp
from ui import charts_equipment as charts
from ui.components import chart_with_data, empty_state, filters_description, kpi_cards, page_header
from ui.data import View, cached, prefetch, view
from ui.equipment_table import DATE_COLUMNS, csv_bytes, display_frame, header
from ui.frame import page_frame
from ui.i18n import day, lang, num, t

TRANSLATED_WIDGETS = ("equipment_sort", "equipment_ranges_by")
DEFAULT_PAGE_SIZE = 50

filters = page_frame()
page_header("page.equipment", "equipment.subtitle")
language = lang()
if st.session_state.get("equipment_language") != language:
    # The browser holds a choice as its label; after a language switch that label matches no
    # option. Writing the values back makes Streamlit send the new labels (as ui/filters does).
    for widget_key in TRANSLATED_WIDGETS:
        if widget_key in st.session_state:
            st.session_state[widget_key] = st.session_state[widget_key]
    st.session_state["equipment_language"] = language
if filters.service:
    st.caption(t("equipment.service_ignored"))


def page_widget_key(options: dict[str, object], page_size: int) -> str:
    """One page widget per view (filters, search, order, size): changing any of them starts at page 1."""
    table_view = repr((filters, sorted(options.items()), page_size)).encode()
    return f"equipment_page_{hashlib.sha256(table_view).hexdigest()[:12]}"


def table_page_asked() -> View:
    """The table page its widgets below hold (read before they are drawn, so that the page is
    computed beside the charts; when they answer differently the table asks for its own)."""
    options = {
        "sort": st.session_state.get("equipment_sort", SORT_KEYS[0]),
        "descending": bool(st.session_state.get("equipment_descending", False)),
        "search": str(st.session_state.get("equipment_search") or "").strip() or None,
        "lang": language,
    }
    page_size = st.session_state.get("equipment_page_size", DEFAULT_PAGE_SIZE)
    page = max(1, int(st.session_state.get(page_widget_key(options, page_size)) or 1))
    return view(equipment_page, filters, page=page, page_size=page_size, **options)


st.session_state.setdefault("equipment_ranges_by", "quantity")
prefetch(  # what this page draws, side by side; the slowest first
    view(measurement_ranges, filters, by=st.session_state["equipment_ranges_by"]),
    view(equipment_by_center_field, filters),
    view(age_profile, filters),
    table_page_asked(),
    view(equipment_summary, filters),
)
summary = cached(equipment_summary, filters)
if summary.equipment == 0:
    active = [
        label
        for label, value in (
            ("filters.field", filters.field),
            ("filters.instrument_type", filters.instrument_type),
            ("filters.province", filters.province),
            ("filters.center", filters.center),
        )
        if value
    ]
    if active:
        empty_state(
            "equipment.empty.no_match",
            filters=filters_description(filters),
            names=t("equipment.empty.filter_names_sep").join(t(label).lower() for label in active),
        )
    else:
        empty_state("equipment.empty.no_data", date=day(filters.as_of))
    st.stop()

all_fields = len(cached(filter_options, filters).fields)
median_age = summary.median_age_years
kpi_cards(
    [
        (t("kpi.equipment"), num(summary.equipment), None, "off"),
        (t("equipment.kpi.reference_standards"), num(summary.reference_standards), None, "off"),
        (
            t("equipment.kpi.fields_covered"),
            t("equipment.kpi.fields_value", covered=num(summary.fields_covered), total=num(all_fields)),
            None,
            "off",
        ),
        (
            t("equipment.kpi.median_age"),
            t("equipment.kpi.years", value=num(median_age, 1))
            if median_age is not None
            else t("equipment.kpi.no_value"),
            None,
            "off",
        ),
    ]
)
st.caption(t("equipment.as_of", date=day(filters.as_of)))

by_center = cached(equipment_by_center_field, filters)
chart_with_data(
    lambda: charts.equipment_by_center_field(by_center, language),
    by_center,
    filters,
    name="equipment-by-center-field",
)

st.subheader(t("equipment.section.ranges"))
group_by = (
    st.segmented_control(
        t("equipment.ranges.group_by"),
        ["quantity", "instrument_type"],
        key="equipment_ranges_by",
        required=True,
        format_func=lambda value: t(f"equipment.ranges.by_{value}"),
    )
    or "quantity"
)
intervals = cached(measurement_ranges, filters, by=group_by)
drawable = intervals[intervals["drawable"].astype(bool)]
if drawable.empty:
    empty_state("equipment.ranges.empty")
else:
    chart_with_data(
        lambda: charts.measuring_ranges(intervals, language, by=group_by),
        intervals,
        filters,
        name=f"measuring-ranges-{group_by}",
    )
    st.caption(t("equipment.ranges.caption"))
    clamped = int(drawable["low_clamped"].astype(bool).sum())
    if clamped:
        st.caption(t("equipment.ranges.clamped", count=num(clamped)))
if len(drawable) < len(intervals):
    st.caption(t("equipment.ranges.not_drawn", count=num(len(intervals) - len(drawable))))

st.subheader(t("equipment.section.age"))
profile = cached(age_profile, filters)
left, right = st.columns(2)
with left:
    chart_with_data(
        lambda: charts.age_by_operating_status(profile, language), profile, filters, name="age-by-status"
    )
with right:
    chart_with_data(
        lambda: charts.age_by_calibration_status(profile, language),
        profile,
        filters,
        name="age-by-calibration-status",
    )

st.subheader(t("equipment.section.table"))


search_box, sort_box, order_box, size_box = st.columns([4, 3, 1.2, 1.5], vertical_alignment="bottom")
search = search_box.text_input(
    t("equipment.table.search"), key="equipment_search", placeholder=t("equipment.table.search_placeholder")
).strip()
sort = sort_box.selectbox(
    t("equipment.table.sort"),
    SORT_KEYS,
    key="equipment_sort",
    format_func=lambda column: header(column, language),
)
descending = order_box.toggle(t("equipment.table.descending"), key="equipment_descending")
page_size = size_box.selectbox(
    t("equipment.table.page_size"),
    PAGE_SIZES,
    key="equipment_page_size",
    index=PAGE_SIZES.index(DEFAULT_PAGE_SIZE),
)
options = {"sort": sort, "descending": descending, "search": search or None, "lang": language}
page_key = page_widget_key(options, page_size)
page = max(1, int(st.session_state.get(page_key) or 1))
rows, total = cached(equipment_page, filters, page=page, page_size=page_size, **options)
pages = max(1, math.ceil(total / page_size))
if page > pages:  # the data shrank under the page the user was on; the widget falls back to 1 too
    page = 1
    rows, total = cached(equipment_page, filters, page=page, page_size=page_size, **options)

if total == 0:
    empty_state("equipment.table.no_match", search=search)
else:
    first = (page - 1) * page_size + 1
    st.caption(
        t(
            "equipment.table.count",
            total=num(total),
            page=num(page),
            pages=num(pages),
            first=num(first),
            last=num(first + len(rows) - 1),
        )
    )
    shown = display_frame(rows, language)
    config = {
        header("center_code", language): st.column_config.LinkColumn(
            display_text=r"profile\?center=(.*)$", help=t("equipment.table.center_help")
        )
    }
    config.update(
        {
            header(column, language): st.column_config.DateColumn(format="DD/MM/YYYY")
            for column in DATE_COLUMNS
        }
    )
    st.dataframe(
        shown, hide_index=True, width="stretch", column_config=config, height=min(38 + 35 * len(shown), 730)
    )
    with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"):
        stamp_filters = filters_description(filters) + (
            "; " + t("equipment.table.search_stamp", search=search) if search else ""
        )
        stamp = t("export.stamp", when=format_timestamp(datetime.now(), language), filters=stamp_filters)

        def export() -> bytes:
            """Built only when the user clicks: the whole filtered list can be large."""
            return csv_bytes(cached(equipment_table, filters, **options), language, stamp)

        st.download_button(
            t("equipment.table.export"),
            data=export,
            mime="text/csv",
            file_name=f"equipment-report-{filters.as_of.isoformat()}.csv",
            icon=":material/download:",
            key="csv-equipment-table",
        )
        st.pagination(pages, key=page_key)
