"""The Calibration coverage page as a user sees it, checked against independent SQL on the seeded demo.

The demo network is seeded as of SEED_DAY, and the page shows that day when none is chosen, so its
figures read the stored next-due column; the SQL here recomputes them from the tables directly (a closed center's equipment counts at its successor,
provinces are today's, after the 2025 merger).
"""

from __future__ import annotations

import csv
import io
import json
import math
from calendar import monthrange
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import streamlit as st
import time_machine
from sqlalchemy import create_engine, text
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/coverage.py"
WINDOW = 30
LABELS = {
    "vi": {
        "equipment": "Thiết bị được theo dõi",
        "overdue": "Quá hạn",
        "due_soon": "Đến hạn trong 30 ngày",
        "never": "Chưa từng hiệu chuẩn",
        "gaps": "Khoảng trống kiểm định",
        "center": "Trung tâm",
        "total": "Tổng",
        "serial": "Số sê-ri",
        "days": "Số ngày còn lại",
        "type": "Loại phương tiện đo",
        "nearest": "Trung tâm gần nhất có thể phục vụ",
        "distance": "Khoảng cách",
        "no_equipment": "Không có thiết bị nào khớp",
        "nothing_due": "Không có thiết bị nào quá hạn",
        "no_centers": "Chưa có trung tâm nào khớp",
    },
    "en": {
        "equipment": "Equipment tracked",
        "overdue": "Overdue",
        "due_soon": "Due within 30 days",
        "never": "Never calibrated",
        "gaps": "Verification gaps",
        "center": "Center",
        "total": "Total",
        "serial": "Serial no.",
        "days": "Days left",
        "type": "Instrument type",
        "nearest": "Nearest center that can serve",
        "distance": "Distance",
        "no_equipment": "No equipment matches",
        "nothing_due": "Nothing is overdue",
        "no_centers": "No center matches",
    },
}

# The center answering for a row today (a center closed by the merger hands over to its successor)
# and today's province of that center.
EFFECTIVE = """
    FROM equipment e
    JOIN center c ON c.id = e.center_id
    LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
    JOIN quantity q ON q.code = e.quantity_code
    WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today
      AND (:field IS NULL OR q.field_code = :field)
      AND (:center IS NULL OR COALESCE(succ.code, c.code) = :center)
      AND (:province IS NULL OR COALESCE(succ.province_key, c.province_key) IN (
            SELECT key FROM province WHERE COALESCE(successor_key, key) IN (
                SELECT key FROM province WHERE code = :province AND valid_to IS NULL)))
"""


def sql(url: str, query: str, **params: object) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query), params).all()]
    finally:
        engine.dispose()


def scope(
    province: str | None = None, field: str | None = None, center: str | None = None
) -> dict[str, object]:
    today = SEED_DAY  # the day the page shows by default
    return {
        "today": today.isoformat(),
        "soon": (today + timedelta(days=WINDOW)).isoformat(),
        "province": province,
        "field": field,
        "center": center,
    }


def sql_cards(url: str, **filters: str) -> dict[str, int]:
    total, overdue, soon, never = sql(
        url,
        f"""
        SELECT COUNT(*),
               SUM(CASE WHEN e.next_due_on < :today THEN 1 ELSE 0 END),
               SUM(CASE WHEN e.next_due_on >= :today AND e.next_due_on <= :soon THEN 1 ELSE 0 END),
               SUM(CASE WHEN e.next_due_on IS NULL THEN 1 ELSE 0 END)
        {EFFECTIVE}""",
        **scope(**filters),
    )[0]
    return {"equipment": total, "overdue": overdue or 0, "due_soon": soon or 0, "never": never or 0}


def sql_per_center(url: str, **filters: str) -> dict[str, tuple[int, int]]:
    """Center code → (overdue, total)."""
    rows = sql(
        url,
        f"""
        SELECT COALESCE(succ.code, c.code), SUM(CASE WHEN e.next_due_on < :today THEN 1 ELSE 0 END), COUNT(*)
        {EFFECTIVE} GROUP BY COALESCE(succ.code, c.code)""",
        **scope(**filters),
    )
    return {code: (int(overdue), int(total)) for code, overdue, total in rows}


def sql_due_list(url: str, **filters: str) -> list[str]:
    """Serial numbers overdue or due within the window, earliest due first (then center, serial)."""
    rows = sql(
        url,
        f"""
        SELECT e.serial_no {EFFECTIVE} AND e.next_due_on <= :soon
        ORDER BY e.next_due_on, COALESCE(succ.code, c.code), e.serial_no""",
        **scope(**filters),
    )
    return [serial for (serial,) in rows]


def sql_gaps(url: str, province: str) -> dict[str, tuple[str, float]]:
    """Legally controlled type name (English) → (nearest center code, km) for types nobody in the
    province verifies; the nearest is searched among all centers verifying the type. Only a
    capability with a standard in date on the seed day (its stored due date) serves."""
    params = scope(province=province)
    served = {
        code
        for (code,) in sql(
            url,
            """
        SELECT cap.instrument_type_code FROM capability cap
        JOIN center c ON c.id = cap.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        WHERE cap.service = 'verification' AND EXISTS (SELECT 1 FROM capability_standard cs JOIN equipment e ON e.id = cs.equipment_id
                       WHERE cs.capability_id = cap.id AND e.acquired_on <= :today AND e.status = 'in_service'
                         AND e.next_due_on >= :today)
          AND COALESCE(succ.province_key, c.province_key) IN (
            SELECT key FROM province WHERE COALESCE(successor_key, key) IN (
                SELECT key FROM province WHERE code = :province AND valid_to IS NULL))""",
            **params,
        )
    }
    lat, lon = sql(
        url, "SELECT lat, lon FROM province WHERE code = :province AND valid_to IS NULL", **params
    )[0]
    offers = sql(
        url,
        """
        SELECT t.code, t.name_en, COALESCE(succ.code, c.code), COALESCE(succ.lat, c.lat), COALESCE(succ.lon, c.lon)
        FROM instrument_type t
        LEFT JOIN capability cap ON cap.instrument_type_code = t.code AND cap.service = 'verification'
          AND EXISTS (SELECT 1 FROM capability_standard cs JOIN equipment e ON e.id = cs.equipment_id
                       WHERE cs.capability_id = cap.id AND e.acquired_on <= :today AND e.status = 'in_service'
                         AND e.next_due_on >= :today)
        LEFT JOIN center c ON c.id = cap.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        WHERE t.legally_controlled AND t.verification_interval_months IS NOT NULL""",
        **params,
    )
    gaps: dict[str, tuple[str, float]] = {}
    for code, name, center, center_lat, center_lon in offers:
        if code in served:
            continue
        km = haversine_km(lat, lon, center_lat, center_lon) if center else math.inf
        if name not in gaps or km < gaps[name][1]:
            gaps[name] = (center, km)
    return gaps


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def metric(app, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in app.metric if m.label == label)


def number(value: int, lang: str) -> str:
    return f"{value:,}".replace(",", ".") if lang == "vi" else f"{value:,}"


def table_with(app, column: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


def chart_title(spec: dict) -> str:
    for node in [spec, *spec.get("layer", [])]:
        title = node.get("title")
        if title:
            return title if isinstance(title, str) else title.get("text", "")
    return ""


def charts(app) -> list[tuple[str, pd.DataFrame]]:  # type: ignore[no-untyped-def]
    """Every Altair chart on the page: (title, the rows it was handed)."""
    found = []
    for chart in app.get("vega_lite_chart"):
        rows = pd.concat([convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets])
        found.append((chart_title(json.loads(chart.proto.spec)), rows))
    return found


def next_month() -> str:
    today = SEED_DAY
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return f"{following.year:04d}-{following.month:02d}"


def param(app, name: str) -> str | None:  # type: ignore[no-untyped-def]
    value = app.query_params.get(name)
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The files the page offers for download, by file name (as the browser would save them)."""
    saved: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[no-untyped-def]
        if filename and isinstance(path_or_data, bytes):
            saved[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return saved


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cards_equal_independent_sql_for_one_province_and_field(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, province="31", field="P")
    expected = sql_cards(app_database, province="31", field="P")
    labels = LABELS[lang]
    assert expected["equipment"] > 0
    for key in ("equipment", "overdue", "due_soon", "never"):
        assert metric(app, labels[key]) == number(expected[key], lang), key
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", [pytest.param("vi", marks=pytest.mark.date_sensitive), "en"])
def test_network_cards_and_per_center_table_equal_sql(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    labels = LABELS[lang]
    expected = sql_cards(app_database)
    assert metric(app, labels["equipment"]) == number(expected["equipment"], lang)
    assert metric(app, labels["overdue"]) == number(expected["overdue"], lang)
    table = table_with(app, labels["total"])
    overdue_column = next(column for column in table.columns if labels["overdue"] in column)
    shown = {
        row[labels["center"]]: (int(row[overdue_column]), int(row[labels["total"]]))
        for _, row in table.iterrows()
    }
    assert shown == sql_per_center(app_database)
    assert_no_raw_keys(app)


@pytest.mark.date_sensitive
def test_due_list_is_most_urgent_first_and_links_to_profiles(app_database: str) -> None:
    app = open_page(PAGE)
    expected = sql_due_list(app_database)
    assert len(expected) > 20, "the demo network should have plenty to act on"
    table = table_with(app, LABELS["vi"]["serial"])
    assert list(table[LABELS["vi"]["serial"]]) == expected
    days = list(table[LABELS["vi"]["days"]])
    assert days == sorted(days) and all(d <= WINDOW for d in days)
    assert table[LABELS["vi"]["center"]].str.fullmatch(r"profile\?center=[A-Z0-9-]+").all()


@pytest.mark.date_sensitive
def test_due_list_follows_the_due_window_setting(app_database: str) -> None:
    app = open_page(PAGE, lang="en", due="90")
    params = {**scope(), "soon": (SEED_DAY + timedelta(days=90)).isoformat()}
    (due_soon,) = sql(
        app_database,
        f"SELECT COUNT(*) {EFFECTIVE} AND e.next_due_on >= :today AND e.next_due_on <= :soon",
        **params,
    )[0]
    (to_act_on,) = sql(app_database, f"SELECT COUNT(*) {EFFECTIVE} AND e.next_due_on <= :soon", **params)[0]
    assert metric(app, "Due within 90 days") == number(due_soon, "en")
    assert any(c.value.startswith(f"{number(to_act_on, 'en')} pieces of equipment") for c in app.caption)
    assert any(s.value == "To act on: equipment overdue or due within 90 days" for s in app.subheader)


@pytest.mark.date_sensitive
def busiest_scope(url: str) -> tuple[str, str]:
    """The province (today's code) and field with the most equipment to act on, so an export of
    that scope has rows whatever the seeder invents."""
    ((province, field),) = sql(
        url,
        """
        SELECT now.code, q.field_code
        FROM equipment e
        JOIN center c ON c.id = e.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        JOIN quantity q ON q.code = e.quantity_code
        JOIN province p ON p.key = COALESCE(succ.province_key, c.province_key)
        JOIN province now ON now.key = COALESCE(p.successor_key, p.key)
        WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today AND e.next_due_on <= :soon
        GROUP BY now.code, q.field_code ORDER BY COUNT(*) DESC, now.code, q.field_code LIMIT 1""",
        **scope(),
    )
    return province, field


def test_exported_due_list_is_stamped_with_time_and_filters(
    app_database: str, downloads: dict[str, bytes]
) -> None:
    province, field = busiest_scope(app_database)
    # the stamp says when the file was made (the real clock), so the clock is set to a known minute
    with time_machine.travel(datetime(2031, 3, 14, 9, 26), tick=False):
        open_page(PAGE, province=province, field=field)
    assert f"due-list-{SEED_DAY.isoformat()}.csv" in downloads  # named after the day viewed
    content = downloads[f"due-list-{SEED_DAY.isoformat()}.csv"].decode("utf-8-sig")
    stamp, body = content.split("\n", 1)
    assert stamp.startswith("# Tạo lúc 14/03/2031 09:26")
    for words in (
        f"Tính đến ngày: {SEED_DAY:%d/%m/%Y}",
        f"Tỉnh/thành phố: {province}",
        f"Lĩnh vực đo: {field}",
        "30 ngày",
    ):
        assert words in stamp, stamp
    rows = list(csv.DictReader(io.StringIO(body)))
    expected = sql_due_list(app_database, province=province, field=field)
    assert expected, "the demo data should have something to act on somewhere"
    assert [row["Số sê-ri"] for row in rows] == expected
    centers = {
        code
        for (code,) in sql(
            app_database,
            f"""
        SELECT DISTINCT COALESCE(succ.code, c.code) {EFFECTIVE} AND e.next_due_on <= :soon""",
            **scope(province=province, field=field),
        )
    }
    assert {row["Trung tâm"] for row in rows} == centers


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_gaps_show_the_nearest_center_and_distance_in_the_language(app_database: str, lang: str) -> None:
    # the first province of a few small ones that has a gap in the seeded network
    province = next(code for code in ("04", "11", "12", "20", "14", "22") if sql_gaps(app_database, code))
    app = open_page(PAGE, lang=lang, province=province)
    labels = LABELS[lang]
    expected = sql_gaps(app_database, province)
    assert metric(app, labels["gaps"]) == number(len(expected), lang)
    table = table_with(app, labels["nearest"])
    assert len(table) == len(expected)
    if lang == "en":
        for _, row in table.iterrows():
            center, km = expected[row[labels["type"]]]
            assert row[labels["nearest"]] == f"profile?center={center}"
            assert row[labels["distance"]] == f"{km:,.1f} km"
    else:
        assert table[labels["distance"]].str.fullmatch(r"\d{1,3}(\.\d{3})*,\d km").all()


def test_url_state_round_trips_through_the_widgets(app_database: str) -> None:
    month = next_month()
    app = open_page(PAGE, province="31", field="P", month=month, matrix="calibration")
    assert app.selectbox(key="coverage_month").value == month
    assert app.get("button_group")[0].value == "calibration"
    year, number_ = (int(part) for part in month.split("-"))
    label = f"tháng {number_:02d}/{year}"
    assert any(label in title for title, _ in charts(app)) or any(label in info.value for info in app.info)
    assert any("hiệu chuẩn cho loại" in title for title, _ in charts(app))
    assert (param(app, "province"), param(app, "field"), param(app, "month"), param(app, "matrix")) == (
        "31",
        "P",
        month,
        "calibration",
    )

    app.get("button_group")[0].set_value("testing").run()
    assert param(app, "matrix") == "testing"
    app.get("button_group")[0].set_value("verification").run()  # the default leaves the URL clean
    assert param(app, "matrix") is None
    this_month = SEED_DAY.strftime("%Y-%m")
    app.selectbox(key="coverage_month").set_value(this_month).run()
    assert param(app, "month") is None
    app.selectbox(key="coverage_month").set_value(month).run()
    assert param(app, "month") == month
    app.selectbox(key="field").set_value("M").run()
    assert param(app, "field") == "M" and param(app, "province") == "31"
    assert not app.exception


@pytest.mark.date_sensitive
def test_calendar_counts_the_month_and_charts_stay_small(app_database: str) -> None:
    month = next_month()
    app = open_page(PAGE, month=month)
    year, number_ = (int(part) for part in month.split("-"))
    first, last = date(year, number_, 1), date(year, number_, monthrange(year, number_)[1])
    (due,) = sql(
        app_database,
        f"SELECT COUNT(*) {EFFECTIVE} AND e.next_due_on BETWEEN :first AND :last",
        **scope(),
        first=first.isoformat(),
        last=last.isoformat(),
    )[0]
    found = charts(app)
    assert len(found) >= 2
    for _title, rows in found:
        assert len(rows) < 5000
    if due:
        calendar = next(rows for title, rows in found if "mỗi ngày" in title)
        assert len(calendar) == last.day
        assert int(calendar["equipment"].sum()) == due
    else:
        assert any("Không có thiết bị nào đến hạn" in info.value for info in app.info)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_filters_matching_no_equipment_explain_what_to_do(app_database: str, lang: str) -> None:
    held = {
        (center, field)
        for center, field, _ in sql(
            app_database,
            f"""
        SELECT COALESCE(succ.code, c.code), q.field_code, COUNT(*) {EFFECTIVE}
        GROUP BY COALESCE(succ.code, c.code), q.field_code""",
            **scope(),
        )
    }
    centers = [
        code for (code,) in sql(app_database, "SELECT code FROM center WHERE active_to IS NULL ORDER BY code")
    ]
    fields = [code for (code,) in sql(app_database, "SELECT code FROM measurement_field ORDER BY code")]
    center, field = next((c, f) for c in centers for f in fields if (c, f) not in held)
    app = open_page(PAGE, lang=lang, center=center, field=field)
    infos = [info.value for info in app.info]
    assert any(LABELS[lang]["no_equipment"] in text_ for text_ in infos), infos
    assert any(LABELS[lang]["nothing_due"] in text_ for text_ in infos), infos
    assert metric(app, LABELS[lang]["equipment"]) == "0"
    assert not app.exception


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_what_to_do(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        app = open_page(PAGE, lang=lang)
        assert any(LABELS[lang]["no_centers"] in info.value for info in app.info)
        assert not app.exception
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
