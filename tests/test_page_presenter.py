"""The presenter page as a user sees it: one slide at a time, ?slide=N, both languages."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text

from services.i18n import translate
from services.slides import SLIDE_KEYS, SLIDE_TABLE_ROWS
from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page
from tests.test_page_overview import sql_equipment_counts

PAGE = "pages/presenter.py"
TOTAL = len(SLIDE_KEYS)


def title_of(key: str, lang: str = "vi") -> str:
    return translate(f"presenter.slide.{key}.title", lang)


def shown_title(app) -> str:  # type: ignore[no-untyped-def]
    return app.title[0].value


def counter(app) -> str:  # type: ignore[no-untyped-def]
    return app.markdown[0].value


def slide_param(app) -> str:  # type: ignore[no-untyped-def]
    value = app.query_params["slide"]
    return value[0] if isinstance(value, list) else value


def metric(app, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in app.metric if m.label == label)


def chart_rows(app) -> list[pd.DataFrame]:  # type: ignore[no-untyped-def]
    """The rows every chart on the page was sent (its Arrow datasets)."""
    frames = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frames.append(pa.ipc.open_stream(dataset.data.data).read_pandas())
    return frames


def sql_agreements_waiting(url: str) -> int:
    """Agreements whose latest stage by the demo day (the page's default) is proposed or negotiating,
    straight from SQL."""
    query = """
        SELECT COUNT(*) FROM agreement_event e
        WHERE e.id = (SELECT x.id FROM agreement_event x
                      WHERE x.agreement_id = e.agreement_id AND x.changed_on <= :today
                      ORDER BY x.changed_on DESC, x.id DESC LIMIT 1)
          AND e.stage IN ('proposed', 'negotiating')
    """
    with create_engine(url).connect() as connection:
        return int(connection.execute(text(query), {"today": SEED_DAY.isoformat()}).scalar_one())


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_slide_in_the_url_opens_that_slide(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, slide="3")
    assert shown_title(app) == title_of("capacity", lang)
    assert counter(app) == f"3 / {TOTAL}"
    assert slide_param(app) == "3"
    assert_no_raw_keys(app)


def test_next_and_previous_move_one_slide_and_rewrite_the_url(app_database: str) -> None:
    app = open_page(PAGE, slide="3")
    app.button(key="presenter-next").click().run()
    assert shown_title(app) == title_of("coverage")
    assert (counter(app), slide_param(app)) == (f"4 / {TOTAL}", "4")
    app.button(key="presenter-previous").click().run()
    app.button(key="presenter-previous").click().run()
    assert shown_title(app) == title_of("map")
    assert (counter(app), slide_param(app)) == (f"2 / {TOTAL}", "2")


def test_without_a_slide_in_the_url_the_first_opens_and_the_url_names_it(app_database: str) -> None:
    app = open_page(PAGE)
    assert shown_title(app) == title_of("kpis")
    assert slide_param(app) == "1"
    assert app.button(key="presenter-previous").disabled
    assert not app.button(key="presenter-next").disabled


@pytest.mark.parametrize(("raw", "expected"), [("99", TOTAL), ("0", 1), ("abc", 1)])
def test_a_slide_that_does_not_exist_opens_the_nearest_and_says_so(
    app_database: str, raw: str, expected: int
) -> None:
    app = open_page(PAGE, slide=raw)
    assert shown_title(app) == title_of(SLIDE_KEYS[expected - 1])
    assert slide_param(app) == str(expected)
    assert any(f'"{raw}"' in warning.value for warning in app.warning)


def test_last_slide_lists_the_agreements_still_to_sign(app_database: str) -> None:
    app = open_page(PAGE, slide=str(TOTAL))
    assert shown_title(app) == title_of("next_steps")
    assert app.button(key="presenter-next").disabled
    waiting = sql_agreements_waiting(app_database)
    assert waiting > 0
    assert len(app.table[0].value) == min(waiting, SLIDE_TABLE_ROWS)
    assert app.subheader[0].value.startswith(f"{waiting} thỏa thuận còn chờ ký")


def test_kpi_slide_numbers_equal_independent_sql(app_database: str) -> None:
    app = open_page(PAGE, slide="1")
    total, overdue = sql_equipment_counts(app_database)
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert metric(app, "Thiết bị quá hạn") == f"{overdue:,}".replace(",", ".")


def test_province_filter_carries_into_the_slides(app_database: str) -> None:
    app = open_page(PAGE, slide="1", province="31")
    total, _ = sql_equipment_counts(app_database, province="31")
    assert metric(app, "Thiết bị, chuẩn đo lường") == f"{total:,}".replace(",", ".")
    assert any("Tỉnh/thành phố: Hải Phòng" in caption.value for caption in app.caption)
    app.button(key="presenter-next").click().run()
    points = chart_rows(app)[0]
    assert set(points["province_vi"]) == {"Hải Phòng"}
    assert app.query_params["province"] in ("31", ["31"])


def test_merged_boundaries_carry_into_the_map(app_database: str) -> None:
    before = open_page(PAGE, slide="2", boundaries="before_merger")
    after = open_page(PAGE, slide="2", boundaries="after_merger")
    provinces_before = set(chart_rows(before)[0]["province_vi"])
    provinces_after = set(chart_rows(after)[0]["province_vi"])
    # Yen Bai's center is counted in Yen Bai on the 2024 map and in Lao Cai after the 2025 merger
    assert "Yên Bái" in provinces_before and "Lào Cai" not in provinces_before
    assert "Lào Cai" in provinces_after and "Yên Bái" not in provinces_after


def test_timeline_highlights_ha_long_and_the_hai_phong_contract(app_database: str) -> None:
    with create_engine(app_database).connect() as connection:
        signed_on = connection.execute(
            text(
                "SELECT a.signed_on FROM agreement a JOIN center c ON c.id = a.center_id "
                "WHERE a.is_demo = 0 AND c.code = 'TTKT-31'"
            )
        ).scalar_one()
        conference = connection.execute(
            text("SELECT held_on FROM event WHERE is_demo = 0 AND kind = 'conference'")
        ).scalar_one()
    assert signed_on == conference == "2024-06-14"
    for lang, contract, milestone in (
        ("vi", "Hợp đồng IMTS – Hải Phòng, ký 14/06/2024", "Hội nghị Hạ Long, 14/06/2024"),
        ("en", "IMTS – Hai Phong contract, signed 14/06/2024", "Ha Long conference, 14/06/2024"),
    ):
        app = open_page(PAGE, lang=lang, slide="6")
        assert shown_title(app) == title_of("timeline", lang)
        labels = {str(value) for frame in chart_rows(app) for value in frame.get("label", [])}
        assert {contract, milestone} <= labels


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_timeline_slide_links_the_real_records_to_their_source(app_database: str, lang: str) -> None:
    from services.sources import citation_link, source_url

    with create_engine(app_database).connect() as connection:
        sources = {
            row[0]
            for row in connection.execute(
                text(
                    "SELECT source FROM agreement WHERE is_demo = 0 UNION SELECT source FROM event WHERE is_demo = 0"
                )
            )
        }
    app = open_page(PAGE, lang=lang, slide="6")
    captions = "\n".join(caption.value for caption in app.caption)
    for source in sources:
        if source_url(source):
            assert citation_link(source, lang) in captions


def test_switching_language_on_the_page_relabels_the_slide(app_database: str) -> None:
    app = open_page(PAGE, slide="5")
    assert shown_title(app) == title_of("pipeline", "vi")
    app.button(key="presenter-language").click().run()
    assert shown_title(app) == title_of("pipeline", "en")
    assert app.query_params["lang"] in ("en", ["en"])
    assert slide_param(app) == "5"
    assert_no_raw_keys(app)


def test_exports_and_chart_downloads_are_offered(app_database: str) -> None:
    app = open_page(PAGE, slide="4")
    labels = [button.proto.label for button in app.get("download_button")]
    for key in (
        "presenter.download_pdf",
        "presenter.download_pptx",
        "export.csv",
        "download.png",
        "download.svg",
    ):
        assert translate(key, "vi") in labels


def test_sidebar_is_hidden_until_asked_for(app_database: str) -> None:
    app = open_page(PAGE)
    hides = lambda: any('[data-testid="stSidebar"]' in h.proto.body for h in app.get("html"))  # noqa: E731
    assert hides()
    app.toggle(key="presenter_sidebar").set_value(True).run()
    assert not hides()


def test_filters_matching_nothing_explain_instead_of_charting(app_database: str) -> None:
    app = open_page(PAGE, slide="3", as_of="1990-01-01")
    assert translate("presenter.empty.no_equipment", "vi") in [info.value for info in app.info]
    assert not app.get("vega_lite_chart")
    app = open_page(PAGE, slide="5", as_of="1990-01-01")
    assert translate("presenter.empty.no_agreements", "vi") in [info.value for info in app.info]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_on_every_slide(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(PAGE, lang=lang, slide="1")
    assert translate("empty.no_centers", lang) in [info.value for info in app.info]
    for number in range(2, TOTAL + 1):
        app = open_page(PAGE, lang=lang, slide=str(number))
        assert shown_title(app) == title_of(SLIDE_KEYS[number - 1], lang)
        assert app.info or app.subheader  # an explanation, never a blank slide
    st.cache_data.clear()
    st.cache_resource.clear()
