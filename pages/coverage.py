"""Năng lực kiểm định, hiệu chuẩn theo địa bàn — who offers which service, when things fall due, the gaps."""

from functools import partial

import pandas as pd
import streamlit as st

from services import calendar_export
from services.coverage_page import (
    SERVICES,
    action_list,
    bucket_table,
    calendar_months,
    centers_in_view,
    due_bucket_counts,
    due_buckets,
    due_calendar,
    gaps_with_nearest,
    month_grid,
    parse_month,
    service_matrix,
)
from services.filters import Filters
from ui import charts_coverage as charts
from ui.components import chart_with_data, csv_download, empty_state, kpi_cards, page_header, stamped_csv
from ui.data import cached, prefetch, view
from ui.frame import page_frame
from ui.i18n import day, lang, num, t, tn

SHOWN_ROWS = 500  # the browser gets at most this many rows; the CSV has them all
TABLE_HEIGHT = 420

filters = page_frame()
page_header("page.coverage", "coverage.subtitle")
window = filters.due_window_days

centers = cached(centers_in_view, filters)
if centers.empty:
    empty_state("coverage.empty.no_centers")
    st.stop()


def profile_link(code: object) -> str | None:
    return f"profile?center={code}" if isinstance(code, str) and code else None


def due_list_csv(frame: pd.DataFrame, scope: Filters) -> bytes:
    """The stamped CSV, its stamp line also naming the due-soon window the list was cut with."""
    stamp, body = stamped_csv(frame, scope).decode("utf-8-sig").split("\n", 1)
    return f"{stamp}; {t('coverage.export.window', days=window)}\n{body}".encode("utf-8-sig")


def month_label(value: str) -> str:
    year, month = parse_month(value)
    return t("coverage.month_label", month=f"{month:02d}", year=year)


def choice_from_url(key: str, param: str, options: list[str], default: str) -> None:
    """Seed a page widget from the URL when the user arrives with ``?param=...``.

    Afterwards the widget owns the value and ``keep_in_url`` mirrors it, so a copied link
    reopens the same view. Codes, never labels, go in the URL (links work in both languages).
    """
    if key not in st.session_state:
        raw = st.query_params.get(param)
        st.session_state[key] = raw if raw in options else default
    elif st.session_state[key] not in options:  # e.g. a month outside the range of a new "as of"
        st.session_state[key] = default


def keep_in_url(param: str, value: str, default: str) -> None:
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


if not filters.service:  # the matrix's own service choice, from the link when one is given
    choice_from_url("coverage_matrix_service", "matrix", SERVICES, SERVICES[0])
prefetch(  # what this page draws, side by side; the slowest first
    view(action_list, filters),
    view(due_bucket_counts, filters),
    view(gaps_with_nearest, filters),
    view(
        service_matrix, filters, service_code=filters.service or st.session_state["coverage_matrix_service"]
    ),
)
counts = cached(due_bucket_counts, filters)
todo = cached(action_list, filters)
gaps = cached(gaps_with_nearest, filters)
totals = counts.groupby("bucket")["equipment"].sum()

kpi_cards(
    [
        (t("coverage.kpi.equipment"), num(int(totals.sum())), None, "off"),
        (t("coverage.kpi.overdue"), num(int(totals.get("overdue", 0))), None, "off"),
        (t("coverage.kpi.due_soon", days=window), num(int(totals.get("due_soon", 0))), None, "off"),
        (t("coverage.kpi.never"), num(int(totals.get("never", 0))), None, "off"),
        (t("coverage.kpi.gaps"), num(len(gaps)), None, "off"),
    ]
)
st.caption(
    t("coverage.as_of", date=day(filters.as_of), days=window)
    + " "
    + t("capability.counted_caption", date=day(filters.as_of))
)

# 1. Who offers what ---------------------------------------------------------------------------
st.subheader(t("coverage.section.matrix"))
if filters.service:
    service = filters.service
    st.caption(t("coverage.matrix.service_from_filter", service=t(f"service.{service}")))
else:
    service_labels = {value: t(f"service.{value}") for value in SERVICES}
    service = (
        st.segmented_control(
            t("coverage.matrix.service"),
            SERVICES,
            key="coverage_matrix_service",
            required=True,
            format_func=service_labels.__getitem__,
        )
        or SERVICES[0]
    )
    keep_in_url("matrix", service, SERVICES[0])
matrix = cached(service_matrix, filters, service_code=service)
if matrix.empty:
    empty_state("coverage.empty.no_types")
else:
    chart_with_data(
        lambda: charts.service_matrix_heatmap(matrix, service, lang()),
        matrix,
        filters,
        name=f"coverage-matrix-{service}",
    )
    st.caption(
        t("coverage.matrix.caption_verification" if service == "verification" else "coverage.matrix.caption")
    )

# 2. Due dates per center ----------------------------------------------------------------------
st.subheader(t("coverage.section.buckets"))
if counts.empty:
    empty_state("coverage.empty.no_equipment")
else:
    chart_with_data(lambda: charts.due_buckets_bar(counts, lang()), counts, filters, name="due-buckets")
    table = bucket_table(counts, window)
    labels = {
        b.code: charts.bucket_label(b.code, b.from_days, b.to_days, lang()) for b in due_buckets(window)
    }
    shown = table[["center_code", f"center_name_{lang()}", *labels, "total"]].rename(
        columns={
            "center_code": t("label.center"),
            f"center_name_{lang()}": t("label.name"),
            **labels,
            "total": t("coverage.column.total"),
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch", height=min(TABLE_HEIGHT, 38 + 35 * len(shown)))

# 3. What to act on ----------------------------------------------------------------------------
st.subheader(t("coverage.section.todo", days=window))
if todo.empty:
    empty_state("coverage.empty.nothing_due", days=window)
else:
    action = pd.DataFrame(
        {
            t("label.status"): [
                charts.bucket_label(s, 0, window, lang()) for s in todo["status"].astype(str)
            ],
            t("label.center"): todo["center_code"].map(profile_link),
            t("coverage.column.equipment"): todo["name"],
            t("coverage.column.serial_no"): todo["serial_no"],
            t("label.instrument_type"): todo[f"type_name_{lang()}"],
            t("coverage.column.last_calibrated_on"): todo["last_calibrated_on"],
            t("coverage.column.due_on"): todo["due_on"],
            t("coverage.column.days_to_due"): todo["days_to_due"],
        }
    )
    st.caption(
        t(
            "coverage.todo.caption",
            count=num(len(todo)),
            overdue=num(int((todo["status"] == "overdue").sum())),
        )
    )
    st.dataframe(
        action.head(SHOWN_ROWS),
        hide_index=True,
        width="stretch",
        height=TABLE_HEIGHT,
        column_config={
            t("label.center"): st.column_config.LinkColumn(display_text=r"profile\?center=(.*)"),
            t("coverage.column.last_calibrated_on"): st.column_config.DateColumn(format="DD/MM/YYYY"),
            t("coverage.column.due_on"): st.column_config.DateColumn(format="DD/MM/YYYY"),
            t("coverage.column.days_to_due"): st.column_config.NumberColumn(
                help=t("coverage.column.days_to_due_help")
            ),
        },
    )
    if len(todo) > SHOWN_ROWS:
        st.caption(t("coverage.todo.truncated", shown=num(SHOWN_ROWS), count=num(len(todo))))
    export = action.copy()
    export[t("label.center")] = todo["center_code"]
    export.insert(2, t("label.name"), todo[f"center_name_{lang()}"])
    st.download_button(
        t("coverage.todo.download"),
        data=due_list_csv(export, filters),
        file_name=f"due-list-{filters.as_of.isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="csv-due-list",
    )

st.download_button(
    t("notices.ics.download"),
    # made on the click only: a year of due dates is thousands of events, most of a cold visit
    data=partial(cached, calendar_export.due_calendar_ics, filters, lang=lang()),
    file_name=calendar_export.file_name(filters),
    mime="text/calendar",
    icon=":material/calendar_month:",
    key="ics-due-dates",
    on_click="ignore",
    help=t("notices.ics.help", months=calendar_export.DEFAULT_MONTHS),
)

# 4. Gaps --------------------------------------------------------------------------------------
st.subheader(t("coverage.section.gaps"))
st.caption(t("coverage.gaps.caption"))
if gaps.empty:
    empty_state("empty.no_gaps")
else:
    table = pd.DataFrame(
        {
            t("label.province"): gaps[f"region_name_{lang()}"],
            t("label.instrument_type"): gaps[f"type_name_{lang()}"],
            t("label.nearest_center"): gaps["nearest_center"].map(profile_link),
            t("label.name"): gaps[f"nearest_name_{lang()}"].fillna("—"),
            t("coverage.column.distance"): [
                t("coverage.km", km=num(km, 1)) if pd.notna(km) else t("coverage.gaps.nobody")
                for km in gaps["distance_km"]
            ],
        }
    )
    st.dataframe(
        table.head(SHOWN_ROWS),
        hide_index=True,
        width="stretch",
        height=min(TABLE_HEIGHT, 38 + 35 * len(table)),
        column_config={
            t("label.nearest_center"): st.column_config.LinkColumn(display_text=r"profile\?center=(.*)")
        },
    )
    export = table.copy()
    export[t("label.nearest_center")] = gaps["nearest_center"]
    export[t("coverage.column.distance")] = gaps["distance_km"]
    csv_download(export, filters, "verification-gaps", key="csv-gaps")

# 5. Calendar ----------------------------------------------------------------------------------
st.subheader(t("coverage.section.calendar"))
months = calendar_months(filters.as_of)
this_month = f"{filters.as_of.year:04d}-{filters.as_of.month:02d}"
month_labels = {value: month_label(value) for value in months}
choice_from_url("coverage_month", "month", months, this_month)
chosen = (
    st.selectbox(
        t("coverage.calendar.month"),
        months,
        key="coverage_month",
        format_func=month_labels.__getitem__,
    )
    or this_month
)
keep_in_url("month", chosen, this_month)
year, month = parse_month(chosen)
due = cached(due_calendar, filters, year=year, month=month)
if due.empty:
    empty_state("coverage.empty.no_due_in_month", month=month_label(chosen))
else:
    st.caption(
        t(
            "coverage.calendar.caption",
            equipment=tn("count.equipment", int(due["equipment"].sum())),
            centers=tn("count.centers", due["center_id"].nunique()),
            month=month_label(chosen),
        )
    )
    grid = month_grid(due, year, month)
    chart_with_data(
        lambda: charts.due_calendar_chart(grid, month_label(chosen), lang()),
        grid,
        filters,
        name=f"due-calendar-{chosen}",
    )
    chart_with_data(
        lambda: charts.due_by_center_day(due, len(grid), lang()), due, filters, name=f"due-by-center-{chosen}"
    )
