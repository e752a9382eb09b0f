"""The capability finder page as a user sees it, in both languages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services.filters import Filters
from services.finder import find_capable_centers
from services.i18n import format_number, translate, translate_plural
from services.units import UnitInputError, parse_quantity, parse_range
from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/finder.py"
GAUGE_QUERY = {"q_type": "pressure_gauge", "q_range": "0–60 MPa", "q_unc": "0,1 %", "q_near": "31"}


def texts(app, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(element.value) for element in getattr(app, kind)]


def ratio_range(text: str, quantity_vi: str, quantity_en: str) -> None:
    """A range typed as a ratio for a quantity with a unit (units.py accepts ratios anywhere)."""
    raise UnitInputError(
        "finder.error.relative_range", text=text, quantity_vi=quantity_vi, quantity_en=quantity_en
    )


def service_result(url: str, **query: str | None) -> object:
    with Session(create_engine(url)) as session:
        # the day the page shows by default: the demo day
        return find_capable_centers(session, Filters(as_of=SEED_DAY), **query)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_query_in_the_url_shows_the_services_rows_in_order(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, **GAUGE_QUERY)
    expected = service_result(
        app_database,
        instrument_type="pressure_gauge",
        range_text="0–60 MPa",
        uncertainty_text="0,1 %",
        near_province="31",
    )
    assert len(expected) > 0
    shown = app.dataframe[0].value
    columns = {
        key: translate(f"finder.col.{key}", lang)
        for key in ("profile", "service", "range", "uncertainty", "distance", "explanation")
    }
    assert list(shown[columns["profile"]]) == [
        f"profile?center={code}&lang={lang}" for code in expected["center_code"]
    ]
    assert list(shown[columns["service"]]) == [translate(f"service.{s}", lang) for s in expected["service"]]
    assert list(shown[columns["range"]]) == list(expected[f"range_{lang}"])
    assert list(shown[columns["uncertainty"]]) == list(expected[f"uncertainty_{lang}"])
    assert list(shown[columns["explanation"]]) == list(expected[f"explanation_{lang}"])
    assert list(shown[columns["distance"]]) == [format_number(km, lang) for km in expected["distance_km"]]
    found = translate(
        "finder.found",
        lang,
        capabilities=translate_plural("count.capabilities", len(expected), lang),
        centers=translate_plural("count.centers", expected["center_code"].nunique(), lang),
    )
    assert found in texts(app, "success")
    # verifications read designated or not, calibrations and tests accredited or not
    recognition = translate("finder.col.recognition", lang)
    allowed = {"verification": {"designated", "not_designated"}}
    for service, shown_recognition in zip(expected["service"], shown[recognition], strict=True):
        codes = allowed.get(service, {"accredited", "not_accredited"})
        assert shown_recognition in {translate(f"recognition.{code}", lang) for code in codes}
    assert_no_raw_keys(app)


@pytest.mark.date_sensitive
def test_results_match_independent_sql_for_the_reach_of_each_center(app_database: str) -> None:
    """Every listed capability reaches 60 MPa at a center open on the demo day; every one that does and meets
    0,1 % (all pressure-gauge uncertainties are stored relative) is listed."""
    app = open_page(PAGE, q_type="pressure_gauge", q_range="0–60 MPa", q_unc="0,1 %")
    with create_engine(app_database).connect() as connection:
        rows = connection.execute(
            text("""
            SELECT c.code, cap.service FROM capability cap JOIN center c ON c.id = cap.center_id
            WHERE cap.instrument_type_code = 'pressure_gauge' AND cap.range_min_si <= 0
              AND cap.range_max_si >= 60000000 * (1 - 1e-12) AND cap.uncertainty_relative
              AND cap.uncertainty_value <= 0.1 * (1 + 1e-12)
              AND (c.active_to IS NULL OR c.active_to >= :today)
        """),
            {"today": SEED_DAY},
        ).all()
    shown = app.dataframe[0].value
    links = shown[translate("finder.col.profile", "vi")].str.extract(r"center=([^&]*)")[0]
    services = shown[translate("finder.col.service", "vi")]
    labels = {translate(f"service.{s}", "vi"): s for s in ("verification", "calibration", "testing")}
    assert sorted(zip(links, services.map(labels), strict=True)) == sorted((code, s) for code, s in rows)


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("vi", "chỉ đo đến {high} MPa; bạn cần 100 MPa."),
        ("en", "covers up to {high} MPa; you asked 100 MPa."),
    ],
)
def test_an_impossible_range_says_what_comes_closest_and_why(
    app_database: str, lang: str, sentence: str
) -> None:
    with create_engine(app_database).connect() as connection:
        top = connection.execute(
            text("""
            SELECT MAX(cap.range_max_si) FROM capability cap JOIN center c ON c.id = cap.center_id
            WHERE cap.instrument_type_code = 'pressure_gauge' AND (c.active_to IS NULL OR c.active_to >= :today)
              AND EXISTS (SELECT 1 FROM capability_standard cs JOIN equipment e ON e.id = cs.equipment_id
                          WHERE cs.capability_id = cap.id AND e.acquired_on <= :today AND e.status = 'in_service'
                            AND e.next_due_on >= :today)
        """),
            {"today": SEED_DAY},
        ).scalar_one()
    app = open_page(PAGE, lang=lang, q_type="pressure_gauge", q_range="0–100 MPa")
    assert translate("finder.none", lang) in texts(app, "warning")
    closest = [m for m in texts(app, "markdown") if m.startswith("- ")]
    # the closest reaches highest; each one says how far it reaches
    assert closest and sentence.format(high=format_number(top / 1e6, lang)) in closest[0]
    pattern = re.escape(sentence).replace(re.escape("{high}"), r"[\d.,]+")
    assert all(re.search(pattern, m) for m in closest)
    assert not app.dataframe
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"q_type": "pressure_gauge", "q_range": "0–60 kg"}, lambda: parse_range("0–60 kg", "Pa")),
        (
            {"q_qty": "pressure", "q_range": "0–60 MPa", "q_unc": "0,1 kg"},
            lambda: parse_quantity("0,1 kg", "Pa"),
        ),
        (
            {"q_type": "clinical_thermometer_electronic", "q_range": "35–42 bar"},
            lambda: parse_range("35–42 bar", "K"),
        ),
        ({"q_range": "sáu mươi MPa"}, lambda: parse_range("sáu mươi MPa")),
        (
            {"q_type": "pressure_gauge", "q_range": "0–60 %"},
            lambda: ratio_range("0–60 %", "áp suất", "pressure"),
        ),
    ],
)
def test_unreadable_input_shows_its_specific_message(app_database: str, lang: str, params, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnitInputError) as expected:
        error()
    app = open_page(PAGE, lang=lang, **params)
    errors = texts(app, "error")
    assert errors == [translate("finder.error.input", lang, message=expected.value.message(lang))]
    assert not app.dataframe
    assert_no_raw_keys(app)


def test_unreadable_kg_for_pressure_reads_naturally(app_database: str) -> None:
    vi = open_page(PAGE, lang="vi", q_type="pressure_gauge", q_range="0–60 kg")
    en = open_page(PAGE, lang="en", q_type="pressure_gauge", q_range="0–60 kg")
    assert '"kg" không phải đơn vị áp suất' in texts(vi, "error")[0]
    assert '"kg" is not a unit of pressure' in texts(en, "error")[0]


def test_the_inputs_are_restored_from_the_url_and_written_back(app_database: str) -> None:
    app = open_page(PAGE, **GAUGE_QUERY, q_service="verification")
    assert app.selectbox(key="finder_type").value == "pressure_gauge"
    assert app.selectbox(key="finder_service").value == "verification"
    assert app.selectbox(key="finder_near").value == "31"
    assert app.text_input(key="finder_range").value == "0–60 MPa"
    assert app.text_input(key="finder_uncertainty").value == "0,1 %"
    app.text_input(key="finder_range").set_value("0–25 MPa").run()
    app.selectbox(key="finder_near").set_value("01").run()
    assert app.query_params["q_range"] in ("0–25 MPa", ["0–25 MPa"])
    assert app.query_params["q_near"] in ("01", ["01"])
    assert app.query_params["q_type"] in ("pressure_gauge", ["pressure_gauge"])
    app.text_input(key="finder_uncertainty").set_value("").run()
    assert "q_unc" not in app.query_params
    expected = service_result(
        app_database,
        instrument_type="pressure_gauge",
        range_text="0–25 MPa",
        service="verification",
        near_province="01",
    )
    assert len(app.dataframe[0].value) == len(expected) > 0


def test_the_finder_keys_leave_the_sidebar_filters_alone(app_database: str) -> None:
    app = open_page(PAGE, type="truck_scale", service="testing", province="01", **GAUGE_QUERY)
    assert app.selectbox(key="instrument_type").value == "truck_scale"
    assert app.selectbox(key="finder_type").value == "pressure_gauge"
    assert app.selectbox(key="finder_service").value is None
    assert app.dataframe  # the sidebar's filters do not narrow the finder


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_without_a_range_the_page_explains_and_offers_examples(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    assert translate("finder.start", lang) in texts(app, "info")
    examples = [m for m in texts(app, "markdown") if "](finder?" in m]
    assert len(examples) == 3 and all(f"lang={lang}" in m for m in examples)
    assert not app.error and not app.dataframe
    assert_no_raw_keys(app)


def test_an_unknown_code_in_the_url_is_dropped_with_a_warning(app_database: str) -> None:
    app = open_page(PAGE, q_type="perpetual_motion", q_range="0–60 MPa")
    assert translate("filters.bad_url_value", "vi", param="q_type") in texts(app, "warning")
    assert app.selectbox(key="finder_type").value is None
    assert app.dataframe  # every pressure capability is still searched by the unit alone


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_that_nobody_offers_it(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(PAGE, lang=lang, q_range="0–60 MPa", q_unc="0,1 %")
    assert translate("finder.none_offered", lang) in texts(app, "info")
    assert not app.error
    st.cache_data.clear()
    st.cache_resource.clear()
