"""The Overview page as a user sees it, checked against independent SQL."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import create_engine, text

from services.i18n import format_day, translate
from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page


def metric(app, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in app.metric if m.label == label)


def sql_equipment_counts(url: str, province: str | None = None, day: date = SEED_DAY) -> tuple[int, int]:
    """Equipment counted on the overview, and how many are overdue on the day (by default the
    demo day, which the page shows when no day is chosen), straight from SQL."""
    today = day.isoformat()
    province_clause = ""
    if province:
        # after the merger a center counts in its (successor) province; closed centers pass to successors
        province_clause = """
          AND COALESCE(succ.province_key, c.province_key) IN (
                SELECT key FROM province WHERE COALESCE(successor_key, key) IN (
                    SELECT key FROM province WHERE code = :province AND valid_to IS NULL))"""
    query = f"""
        SELECT COUNT(*), SUM(CASE WHEN e.next_due_on < :today THEN 1 ELSE 0 END)
        FROM equipment e
        JOIN center c ON c.id = e.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today {province_clause}
    """
    with create_engine(url).connect() as connection:
        total, overdue = connection.execute(text(query), {"today": today, "province": province}).one()
    return int(total), int(overdue or 0)


@pytest.mark.date_sensitive
def test_overview_shows_kpis_equal_to_independent_sql(app_database: str) -> None:
    app = open_page()
    total, overdue = sql_equipment_counts(app_database)
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert metric(app, "Thiết bị quá hạn") == f"{overdue:,}".replace(",", ".")
    assert_no_raw_keys(app)


def test_overview_in_english_relabels_the_cards(app_database: str) -> None:
    app = open_page(lang="en")
    total, _ = sql_equipment_counts(app_database)
    assert metric(app, "Equipment and standards") == f"{total:,}"
    assert any("Demo data" in str(badge.proto) for badge in app.get("badge")) or any(
        "demo data" in c.value.lower() for c in app.caption
    )
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", [pytest.param("vi", marks=pytest.mark.date_sensitive), "en"])
def test_the_demo_badge_names_the_day_the_demo_data_describes(app_database: str, lang: str) -> None:
    app = open_page(lang=lang)
    badge = translate("demo.badge_as_of", lang, date=format_day(SEED_DAY, lang))
    assert badge == (
        "Dữ liệu minh họa tại ngày " if lang == "vi" else "Demo data as of "
    ) + SEED_DAY.strftime("%d/%m/%Y")
    assert any(badge in block.value for block in app.markdown)  # st.badge is drawn as markdown
    sidebar_filter = translate("filters.as_of", lang)
    assert any(format_day(SEED_DAY, lang) in c.value and sidebar_filter in c.value for c in app.caption)


def test_a_demo_database_opened_years_later_still_shows_its_own_day(app_database: str) -> None:
    with time_machine.travel(date(2031, 3, 14), tick=True):
        app = open_page()
    total, overdue = sql_equipment_counts(app_database)
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert metric(app, "Thiết bị quá hạn") == f"{overdue:,}".replace(",", ".")
    assert any(translate("overview.as_of", "vi", date=format_day(SEED_DAY)) in c.value for c in app.caption)
    assert "as_of" not in app.query_params  # the default day is not written to the URL


def test_the_as_of_filter_moves_the_day_shown(app_database: str) -> None:
    day = date(2025, 1, 15)
    app = open_page(as_of=day.isoformat())
    total, _ = sql_equipment_counts(app_database, day=day)  # (its overdue column is today's, not that day's)
    assert total != sql_equipment_counts(app_database)[0], "the network should have grown since"
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert any(translate("overview.as_of", "vi", date="15/01/2025") in c.value for c in app.caption)


def test_province_filter_from_the_url_narrows_the_cards(app_database: str) -> None:
    app = open_page(province="31")
    total, overdue = sql_equipment_counts(app_database, province="31")
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert metric(app, "Thiết bị quá hạn") == f"{overdue:,}".replace(",", ".")
    assert app.query_params["province"] == ["31"] or app.query_params["province"] == "31"


def test_filters_are_written_back_to_the_url(app_database: str) -> None:
    app = open_page()
    app.selectbox(key="field").set_value("P").run()
    assert app.query_params["field"] in ("P", ["P"])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_what_to_do(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(lang=lang)
    message = "Chưa có trung tâm nào" if lang == "vi" else "No center matches"
    assert any(message in info.value for info in app.info)
    st.cache_data.clear()
    st.cache_resource.clear()


def test_entry_file_routes_to_the_overview_by_default(app_database: str) -> None:
    from tests.page_support import open_app

    app = open_app(lang="en")
    assert app.title[0].value == "Overview"
