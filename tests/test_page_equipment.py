"""The Equipment capacity page as a user sees it, checked against independent SQL on the seeded network."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from sqlalchemy import create_engine, text

from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/equipment.py"
MAX_CHART_ROWS = 5000
LABELS = {
    "vi": {"equipment": "Thiết bị, chuẩn đo lường", "references": "Chuẩn đo lường chính"},
    "en": {"equipment": "Equipment and standards", "references": "Reference standards"},
}


def sql_rows(
    url: str,
    *,
    field: str | None = None,
    province: str | None = None,
    extra: str = "",
    order: str = "code, e.id",
    limit: int | None = None,
    offset: int = 0,
) -> pd.DataFrame:
    """Equipment in use on the demo day (the page's default) with the code of the center answering
    for it, straight from SQL."""
    clauses = [
        "NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id"
        " AND p.status = 'retired' AND p.start_on <= :today)",
        "e.acquired_on <= :today",
    ]
    if field:
        clauses.append("q.field_code = :field")
    if province:
        # today's boundaries: a center counts in its (successor) province, closed centers at their successor
        clauses.append("""COALESCE(succ.province_key, c.province_key) IN (
            SELECT key FROM province WHERE COALESCE(successor_key, key) IN (
                SELECT key FROM province WHERE code = :province AND valid_to IS NULL))""")
    if extra:
        clauses.append(extra)
    paging = f"LIMIT {limit} OFFSET {offset}" if limit else ""
    query = f"""
        SELECT e.id, e.serial_no, e.is_reference_standard AS reference, q.field_code,
               COALESCE(succ.code, c.code) AS code
        FROM equipment e
        JOIN quantity q ON q.code = e.quantity_code
        JOIN center c ON c.id = e.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        WHERE {" AND ".join(clauses)}
        ORDER BY {order} {paging}
    """
    params = {"today": SEED_DAY.isoformat(), "field": field, "province": province}
    with create_engine(url).connect() as connection:
        return pd.DataFrame(
            connection.execute(text(query), params).mappings().all(),
            columns=["id", "serial_no", "reference", "field_code", "code"],
        )


def metric(app, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in app.metric if m.label == label)


def number(value: int, lang: str) -> str:
    return f"{value:,}".replace(",", "." if lang == "vi" else ",")


def charts(app) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    """Each chart's rows by its title."""
    found = {}
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        title = spec["title"]["text"] if isinstance(spec.get("title"), dict) else spec.get("title")
        frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]
        if chart.proto.data.data:
            frames.append(pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas())
        found[title] = pd.concat(frames) if frames else pd.DataFrame()
    return found


def table(app) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return app.dataframe[0].value


def table_serials(app, lang: str = "vi") -> list[str]:  # type: ignore[no-untyped-def]
    return list(table(app)["Số sê-ri" if lang == "vi" else "Serial number"])


@pytest.mark.parametrize("lang", ["vi", pytest.param("en", marks=pytest.mark.date_sensitive)])
def test_numbers_for_pressure_in_hai_phong_equal_independent_sql(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, field="P", province="31")
    expected = sql_rows(app_database, field="P", province="31")
    assert len(expected) > 0
    assert metric(app, LABELS[lang]["equipment"]) == number(len(expected), lang)
    assert metric(app, LABELS[lang]["references"]) == number(int(expected["reference"].sum()), lang)
    # the table holds exactly those pieces, each linking to its center's profile
    shown = table(app)
    assert sorted(table_serials(app, lang)) == sorted(expected["serial_no"])
    center = shown.columns[0]
    assert sorted(shown[center]) == sorted("profile?center=" + expected["code"])
    # the stacked bars add up to the same counts per center
    by_center = next(frame for title, frame in charts(app).items() if "field" in title or "lĩnh vực" in title)
    assert (
        by_center.groupby("center_code")["equipment"].sum().to_dict()
        == expected.groupby("code").size().to_dict()
    )
    assert set(by_center["field_code"]) == {"P"}
    assert_no_raw_keys(app)


@pytest.mark.date_sensitive
def test_every_chart_is_fed_few_rows_and_offers_its_data(app_database: str) -> None:
    app = open_page(PAGE)
    drawn = charts(app)
    assert len(drawn) == 4  # by center × field, ranges, age × status, age × calibration status
    assert all(0 < len(frame) < MAX_CHART_ROWS for frame in drawn.values()), {
        k: len(v) for k, v in drawn.items()
    }
    downloads = [button.label for button in app.get("download_button")]
    assert downloads.count("Tải CSV") == 4
    assert "Tải toàn bộ danh sách đã lọc (CSV)" in downloads
    total = len(sql_rows(app_database))
    ages = next(frame for title, frame in drawn.items() if "hiệu chuẩn" in title)
    assert ages["equipment"].sum() == total  # every piece has an age band and a calibration status


def test_ranges_chart_shows_si_intervals_with_a_caption_about_zero(app_database: str) -> None:
    app = open_page(PAGE, lang="en", field="T")
    ranges = next(frame for title, frame in charts(app).items() if "ranges" in title)
    # temperatures are drawn in kelvin: every bound positive, nothing clamped
    assert (ranges["plot_low"] > 0).all() and (ranges["plot_high"] >= ranges["plot_low"]).all()
    assert set(ranges["si_unit_text"]) <= {"K", "1"}
    with create_engine(app_database).connect() as connection:
        lowest_k = connection.execute(
            text(
                "SELECT MIN(e.range_min_si) FROM equipment e JOIN quantity q ON q.code = e.quantity_code "
                "WHERE q.code = 'temperature' AND e.acquired_on <= :today AND NOT EXISTS (SELECT 1 FROM "
                "equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today)"
            ),
            {"today": SEED_DAY.isoformat()},
        ).scalar_one()
    assert ranges[ranges["key"] == "temperature"]["low_si"].min() == pytest.approx(lowest_k)
    electrical = open_page(PAGE, lang="en", field="EM")  # multimeter calibrators start at 0 V
    assert any("cannot show zero" in caption.value for caption in electrical.caption)


def test_second_page_is_the_next_fifty_rows_in_center_order(app_database: str) -> None:
    app = open_page(PAGE)
    app.pagination[0].set_value(2).run()
    expected = sql_rows(app_database, limit=50, offset=50)
    assert table_serials(app) == list(expected["serial_no"])
    total = len(sql_rows(app_database))
    assert any(f"{number(total, 'vi')} thiết bị khớp · trang 2/" in c.value for c in app.caption)


# Widgets are driven in Vietnamese: AppTest formats the sidebar's translated options outside the
# script run, where the language falls back to the default, so English option labels cannot match.
def test_sorting_and_page_size_widgets_reorder_the_table(app_database: str) -> None:
    app = open_page(PAGE)
    app.selectbox(key="equipment_sort").set_value("serial_no")
    app.toggle(key="equipment_descending").set_value(True)
    app.selectbox(key="equipment_page_size").set_value(25).run()
    expected = sql_rows(app_database, order="e.serial_no DESC, e.id", limit=25)
    assert table_serials(app) == list(expected["serial_no"])


def test_search_box_narrows_the_list(app_database: str) -> None:
    with create_engine(app_database).connect() as connection:  # the rarest manufacturer, typed in lower case
        term = connection.execute(
            text(
                "SELECT LOWER(manufacturer) FROM equipment WHERE status != 'retired' "
                "GROUP BY LOWER(manufacturer) ORDER BY COUNT(*), LOWER(manufacturer) LIMIT 1"
            )
        ).scalar_one()
    app = open_page(PAGE)
    app.text_input(key="equipment_search").input(term).run()
    like = f"'%{term}%'"
    expected = sql_rows(
        app_database,
        extra=f"""(LOWER(e.name) LIKE {like} OR LOWER(e.manufacturer) LIKE {like}
        OR LOWER(e.model) LIKE {like} OR LOWER(e.serial_no) LIKE {like}
        OR LOWER(COALESCE(succ.code, c.code)) LIKE {like})""",
    )
    assert 0 < len(expected) <= 50
    assert sorted(table_serials(app)) == sorted(expected["serial_no"])
    assert any(c.value.startswith(f"{number(len(expected), 'vi')} thiết bị khớp") for c in app.caption)
    app.text_input(key="equipment_search").input("no-such-equipment-xyz").run()
    assert any("Không có thiết bị nào khớp «no-such-equipment-xyz»" in info.value for info in app.info)


def test_filters_come_from_the_url_and_go_back_to_it(app_database: str) -> None:
    app = open_page(PAGE, field="P")
    assert metric(app, LABELS["vi"]["equipment"]) == number(len(sql_rows(app_database, field="P")), "vi")
    app.selectbox(key="field").set_value("T").run()
    assert app.query_params["field"] in ("T", ["T"])
    assert metric(app, LABELS["vi"]["equipment"]) == number(len(sql_rows(app_database, field="T")), "vi")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_filters_matching_nothing_explain_which_filter_to_clear(app_database: str, lang: str) -> None:
    with create_engine(app_database).connect() as connection:
        center, field = connection.execute(
            text("""
            SELECT c.code, f.code FROM center c CROSS JOIN measurement_field f
            WHERE c.active_to IS NULL AND NOT EXISTS (
                SELECT 1 FROM equipment e JOIN quantity q ON q.code = e.quantity_code
                WHERE e.center_id = c.id AND q.field_code = f.code)
            ORDER BY c.code, f.code LIMIT 1""")
        ).one()
    app = open_page(PAGE, lang=lang, center=center, field=field)
    message = (
        "Không có thiết bị nào khớp các bộ lọc này" if lang == "vi" else "No equipment matches these filters"
    )
    hint = "lĩnh vực đo" if lang == "vi" else "measurement field"
    assert any(message in info.value and hint in info.value for info in app.info)
    assert not app.get("vega_lite_chart") and not app.dataframe
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_what_to_do(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        app = open_page(PAGE, lang=lang)
        message = "Chưa có thiết bị nào được ghi nhận" if lang == "vi" else "No equipment is recorded"
        assert any(message in info.value for info in app.info)
        assert not app.exception
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_changing_the_view_goes_back_to_the_first_page(app_database: str) -> None:
    app = open_page(PAGE)
    app.pagination[0].set_value(app.pagination[0].proto.num_pages).run()
    assert not any("trang 1/" in c.value for c in app.caption)
    app.selectbox(key="field").set_value("P").run()
    expected = sql_rows(app_database, field="P")
    pages = -(-len(expected) // 50)
    assert any(f"trang 1/{pages} · dòng 1–{min(50, len(expected))}" in c.value for c in app.caption)
    assert table_serials(app) == list(expected["serial_no"][:50])


def test_the_service_filter_is_said_not_to_apply(app_database: str) -> None:
    app = open_page(PAGE, service="calibration")
    assert any("Bộ lọc dịch vụ không áp dụng" in c.value for c in app.caption)
    assert metric(app, LABELS["vi"]["equipment"]) == number(len(sql_rows(app_database)), "vi")


def test_exported_list_is_the_whole_filtered_table_with_a_stamp(app_database: str) -> None:
    from sqlmodel import Session

    from services.db import make_engine
    from services.equipment import equipment_table
    from services.filters import Filters
    from ui.equipment_table import csv_bytes

    engine = make_engine(app_database)
    with Session(engine) as session:
        rows = equipment_table(session, Filters(as_of=SEED_DAY, field="P"), sort="serial_no", lang="en")
    engine.dispose()
    data = csv_bytes(rows, "en", "Made today; filters: P")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "# Made today; filters: P"
    assert lines[1].startswith("# A report of the list as shown, not an import file")
    assert lines[2].startswith("Center,Equipment,Manufacturer,Model,Serial number,")
    exported = pd.read_csv(io.StringIO("\n".join(lines[2:])))
    expected = sql_rows(app_database, field="P", order="e.serial_no, e.id")
    assert list(exported["Serial number"]) == list(expected["serial_no"])
    assert list(exported["Center"]) == list(expected["code"])
    # a report, as its second line says: the import names the columns it does not take and writes nothing
    from services.imports import import_equipment_csv

    with Session(make_engine(app_database)) as session:
        refused = import_equipment_csv(
            session, data, center_code="TTKT-31", username="admin", today=SEED_DAY, dry_run=True
        )
    assert not refused.ok and refused.written == 0
    assert any(
        p.column == "Center" and p.key.startswith("data.error.unknown_column") for p in refused.problems
    )
