"""The Center profile page as a user sees it, checked against independent SQL on the seeded network."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services.certificates import add_calibration
from services.db import make_engine
from services.i18n import format_number, translate
from services.models import CalibrationRecord
from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/profile.py"
CENTER = "TTKT-31"  # Hai Phong: took over Hai Duong (TTKT-30) in the 2025 merger
CLOSED = "TTKT-30"
TODAY = SEED_DAY.isoformat()  # the day the page shows by default
PROFILE_TABS = (
    "overview",
    "equipment",
    "capabilities",
    "status",
    "traceability",
    "cooperation",
    "utilization",
)

# the center itself and, once they closed, the centers merged into it
SCOPE = """
    SELECT id FROM center WHERE code = :code
    UNION
    SELECT id FROM center WHERE active_to < :today
       AND successor_id = (SELECT id FROM center WHERE code = :code)
"""


def open_tab(tab: str, *, lang: str = "vi", **params: str):  # type: ignore[no-untyped-def]
    """The profile opened on one tab through the URL, as a shared link opens it (only that tab runs)."""
    return open_page(PAGE, lang=lang, tab=translate(f"profile.tab.{tab}", lang), **params)


def query(url: str, sql: str, **params: object) -> list[tuple]:
    with create_engine(url).connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), {"today": TODAY, **params}).all()]


def sql_equipment(
    url: str, code: str, *, today: str = TODAY, field: str | None = None, reference_only: bool = False
) -> int:
    """Equipment a center holds on a day: bought by then, not retired, its predecessors' included."""
    field_clause = (
        "AND e.quantity_code IN (SELECT code FROM quantity WHERE field_code = :field)" if field else ""
    )
    reference_clause = "AND e.is_reference_standard" if reference_only else ""
    sql = f"""
        SELECT COUNT(*) FROM equipment e
        WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today {field_clause} {reference_clause}
          AND e.center_id IN ({SCOPE})
    """
    with create_engine(url).connect() as connection:
        return int(connection.execute(text(sql), {"today": today, "code": code, "field": field}).scalar_one())


def shown(value: int, lang: str) -> str:
    return f"{value:,}".replace(",", "." if lang == "vi" else ",")


def metric(app, label: str) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in app.metric if m.label == label)


def texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(element.value) for element in elements)


def table_with(app, header: str):  # type: ignore[no-untyped-def]
    """The first table that has a column titled ``header``."""
    return next(frame.value for frame in app.dataframe if header in frame.value.columns)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_center_from_the_url_shows_its_name_and_equipment_count(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, center=CENTER)
    (name,) = query(app_database, f"SELECT name_{lang} FROM center WHERE code = :code", code=CENTER)[0]
    assert f"{name} ({CENTER})" in texts(app.header)
    total = sql_equipment(app_database, CENTER)
    references = sql_equipment(app_database, CENTER, reference_only=True)
    assert metric(app, translate("profile.kpi.equipment", lang)) == shown(total, lang)
    assert metric(app, translate("profile.kpi.reference_standards", lang)) == shown(references, lang)
    assert_no_raw_keys(app)
    # the equipment tab lists exactly the pieces counted
    equipment_tab = open_tab("equipment", lang=lang, center=CENTER)
    assert len(table_with(equipment_tab, translate("profile.col.range", lang))) == total
    assert_no_raw_keys(equipment_tab)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_verifications_read_designated_and_calibrations_accredited(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang, center=CENTER)
    ((designated, accredited),) = query(
        app_database,
        f"""
        SELECT COALESCE(SUM(CASE WHEN service = 'verification' AND designated THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN service != 'verification' AND accredited THEN 1 ELSE 0 END), 0)
        FROM capability WHERE center_id IN ({SCOPE}) AND EXISTS (SELECT 1 FROM capability_standard cs JOIN equipment e ON e.id = cs.equipment_id
                       WHERE cs.capability_id = capability.id AND e.acquired_on <= :today AND e.status = 'in_service'
                         AND e.next_due_on >= :today)
        """,
        code=CENTER,
    )
    assert metric(app, translate("profile.kpi.designated", lang)) == shown(designated, lang)
    assert metric(app, translate("profile.kpi.accredited", lang)) == shown(accredited, lang)
    header = translate("profile.col.recognition", lang)
    capabilities = table_with(open_tab("capabilities", lang=lang, center=CENTER), header)
    verification = capabilities[translate("profile.col.service", lang)] == translate(
        "service.verification", lang
    )
    assert set(capabilities.loc[verification, header]) <= {
        translate("recognition.designated", lang),
        translate("recognition.not_designated", lang),
    }
    assert set(capabilities.loc[~verification, header]) <= {
        translate("recognition.accredited", lang),
        translate("recognition.not_accredited", lang),
    }
    # the table lists suspended capabilities too, saying so; the card counts those in force
    in_force = capabilities[translate("profile.col.capability_state", lang)] != translate(
        "capability.state.suspended", lang
    )
    shown_designated = (in_force & (capabilities[header] == translate("recognition.designated", lang))).sum()
    assert shown_designated == designated


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_real_contract_shows_only_what_its_source_published(app_database: str, lang: str) -> None:
    from services.sources import citation_link

    ((scope, expires_on, source),) = query(
        app_database,
        f"""
        SELECT scope_fields, expires_on, source FROM agreement WHERE NOT is_demo AND center_id IN ({SCOPE})""",
        code=CENTER,
    )
    app = open_tab("cooperation", lang=lang, center=CENTER)
    agreements = table_with(app, translate("profile.col.agreement", lang))
    real = agreements[
        agreements[translate("profile.col.data", lang)] == translate("cooperation.data.real", lang)
    ]
    assert len(real) == 1
    unpublished = translate("unpublished", lang)
    if not scope:
        assert real[translate("profile.col.scope", lang)].item() == unpublished
    if expires_on is None:
        assert real[translate("profile.col.expires_on", lang)].item() == unpublished
    assert citation_link(source, lang) in texts(app.caption)


def test_successor_names_the_centers_merged_into_it(app_database: str) -> None:
    app = open_tab("equipment", lang="en", center=CENTER)  # the notice shows above every tab
    predecessors = [
        code
        for (code,) in query(
            app_database,
            "SELECT code FROM center WHERE successor_id = (SELECT id FROM center WHERE code = :code)",
            code=CENTER,
        )
    ]
    assert predecessors == [CLOSED]
    notice = texts(app.info)
    assert f"[{CLOSED} · " in notice and "Since 01/07/2025" in notice
    # and its equipment table says who holds each piece
    holders = set(table_with(app, "Held by")["Held by"])
    assert holders == {CENTER, CLOSED}


def test_field_filter_from_the_url_narrows_the_profile(app_database: str) -> None:
    app = open_page(PAGE, center=CENTER, field="P")
    assert metric(app, "Thiết bị, chuẩn đo lường") == shown(
        sql_equipment(app_database, CENTER, field="P"), "vi"
    )
    assert "Đang áp dụng bộ lọc" in texts(app.caption)
    assert app.query_params["field"] in ("P", ["P"])


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_link_to_a_center_closed_by_the_merger_points_to_its_successor(
    app_database: str, lang: str
) -> None:
    app = open_page(PAGE, lang=lang, center=CLOSED)
    ((successor, successor_name),) = query(
        app_database,
        f"SELECT s.code, s.name_{lang} FROM center c JOIN center s ON s.id = c.successor_id "
        "WHERE c.code = :code",
        code=CLOSED,
    )
    warning = texts(app.warning)
    assert f"**{successor}** · {successor_name}" in warning
    assert f"profile?center={successor}&lang={lang}" in warning
    assert f"profile?center={CLOSED}&lang={lang}&as_of=2025-06-30" in warning  # the closed center in its day
    assert translate("profile.empty.choose", lang) in texts(app.info)
    assert_no_raw_keys(app)


def test_closed_center_viewed_before_the_merger_shows_its_profile_and_successor(app_database: str) -> None:
    app = open_page(PAGE, center=CLOSED, as_of="2025-06-01")
    ((name, successor),) = query(
        app_database,
        "SELECT c.name_vi, s.code FROM center c JOIN center s ON s.id = c.successor_id WHERE c.code = :code",
        code=CLOSED,
    )
    assert f"{name} ({CLOSED})" in texts(app.header)
    assert f"sáp nhập vào **{successor}**" in texts(app.warning)
    assert metric(app, "Thiết bị, chuẩn đo lường") == shown(
        sql_equipment(app_database, CLOSED, today="2025-06-01"), "vi"
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_without_a_center_the_page_explains_and_offers_a_picker(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    assert translate("profile.empty.choose", lang) in texts(app.info)
    assert not app.metric
    active = {
        code
        for (code,) in query(
            app_database, "SELECT code FROM center WHERE active_to IS NULL OR active_to >= :today"
        )
    }
    picker = app.selectbox(key="profile_pick")
    assert set(picker.options) == {
        f"{code} · {name}"
        for code, name in query(
            app_database,
            f"SELECT code, name_{lang} FROM center WHERE code IN ({','.join(repr(c) for c in active)})",
        )
    }
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_picking_a_center_opens_its_profile_and_puts_it_in_the_url(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    app.selectbox(key="profile_pick").set_value(CENTER).run()
    assert app.query_params["center"] in (CENTER, [CENTER])
    assert metric(app, translate("profile.kpi.equipment", lang)) == shown(
        sql_equipment(app_database, CENTER), lang
    )


def certificates_issued(url: str, standard: int) -> int:
    return query(
        url,
        "SELECT COUNT(*) FROM calibration_record WHERE standard_used_id = :s AND calibrated_on <= :today",
        s=standard,
    )[0][0]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_chosen_standard_round_trips_through_the_url(app_database: str, lang: str) -> None:
    # the center's standards whose latest certificate did not fail (the page then states how many
    # certificates were issued with the standard), oldest record first
    standards = [
        i
        for (i,) in query(
            app_database,
            f"""
        SELECT e.id FROM equipment e
        WHERE e.is_reference_standard AND NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today
          AND e.center_id IN ({SCOPE})
          AND (SELECT r.result FROM calibration_record r WHERE r.equipment_id = e.id AND r.calibrated_on <= :today
               ORDER BY r.calibrated_on DESC, r.id DESC LIMIT 1) IN ('pass', 'limited')
        ORDER BY e.id""",
            code=CENTER,
        )
    ]
    first, last = standards[0], standards[-1]
    app = open_tab("traceability", lang=lang, center=CENTER, standard=str(last))
    picker = app.selectbox(key="profile_standard")
    assert picker.value == last
    assert app.query_params["standard"] in (str(last), [str(last)])
    issued = shown(certificates_issued(app_database, last), lang)
    said = texts(app.success)
    assert (f"{issued} giấy chứng nhận" if lang == "vi" else f"{issued} certificates were issued") in said
    picker.set_value(first).run()
    assert app.query_params["standard"] in (str(first), [str(first)])
    assert app.selectbox(key="profile_standard").value == first


def test_a_standard_the_center_does_not_hold_is_ignored_with_a_warning(app_database: str) -> None:
    app = open_tab("traceability", lang="en", center=CENTER, standard="999999")
    assert 'The value of "standard" in the link is not valid' in texts(app.warning)
    assert app.selectbox(key="profile_standard").value != 999999
    assert app.query_params["standard"] not in ("999999", ["999999"])


def test_traceability_lists_one_first_link_per_reference_standard(app_database: str) -> None:
    app = open_tab("traceability", lang="en", center=CENTER)
    chain = table_with(app, "Level")
    assert (chain["Level"] == 1).sum() == sql_equipment(app_database, CENTER, reference_only=True)
    assert chain["Level"].max() >= 2  # provincial standards are traced to IMTS or VMI and beyond


@pytest.fixture
def failed_standard(seeded_urls: dict[str, str], tmp_path, monkeypatch) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """A copy of the seeded network where the center's most used standard failed its calibration today."""
    source = seeded_urls["sqlite"].removeprefix("sqlite:///")
    target = tmp_path / "failed.db"
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    url = f"sqlite:///{target}"
    # the standard of the center with the most certificates issued since its last good calibration
    standard = query(
        url,
        """
        SELECT e.id FROM equipment e
        WHERE e.center_id = (SELECT id FROM center WHERE code = :code) AND e.is_reference_standard
          AND e.status != 'retired'
        ORDER BY (SELECT COUNT(*) FROM calibration_record r WHERE r.standard_used_id = e.id
                    AND r.calibrated_on > COALESCE((SELECT MAX(g.calibrated_on) FROM calibration_record g
                                                    WHERE g.equipment_id = e.id
                                                      AND g.result IN ('pass', 'limited')), '1900-01-01')) DESC,
                 e.id
        LIMIT 1""",
        code=CENTER,
    )[0][0]
    engine = make_engine(url)
    with Session(engine) as session:
        add_calibration(
            session,
            CalibrationRecord(
                equipment_id=standard,
                calibrated_on=SEED_DAY,
                provider_name="IMTS",
                certificate_no="TEST-FAIL-1",
                result="fail",
                measured_error=1.0,
                uncertainty=0.1,
            ),
        )
        session.commit()
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url, standard
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_failed_standard_lists_what_it_calibrated_since_its_last_good_calibration(
    failed_standard, lang: str
) -> None:
    url, standard = failed_standard
    ((last_good,),) = query(
        url,
        "SELECT MAX(calibrated_on) FROM calibration_record WHERE equipment_id = :s "
        "AND result IN ('pass', 'limited')",
        s=standard,
    )
    ((suspects,),) = query(
        url,
        "SELECT COUNT(*) FROM calibration_record WHERE standard_used_id = :s "
        "AND calibrated_on > :good AND calibrated_on <= :today",
        s=standard,
        good=last_good,
    )
    app = open_tab("traceability", lang=lang, center=CENTER, standard=str(standard))
    message = texts(app.error)
    good_day = date.fromisoformat(str(last_good)).strftime("%d/%m/%Y")
    assert good_day in message
    counted = (
        f"{suspects} giấy chứng nhận" if lang == "vi" else f"{suspects} certificates issued with it after"
    )
    assert counted in message
    assert suspects > 0, "the seeded standard chosen should have issued certificates since its last pass"
    suspect_table = next(
        frame.value
        for frame in app.dataframe
        if list(frame.value.columns)[:2]
        == [translate("profile.col.calibrated_on", lang), translate("profile.col.certificate_no", lang)]
    )
    assert len(suspect_table) == suspects
    assert_no_raw_keys(app)


def test_utilization_caption_matches_the_volumes_in_sql(app_database: str) -> None:
    app = open_tab("utilization", lang="en", center=CENTER)
    ((month, volume),) = query(
        app_database,
        f"""
        SELECT month, SUM(count) FROM service_volume
        WHERE center_id IN ({SCOPE}) AND month = (SELECT MAX(month) FROM service_volume
                                                 WHERE center_id IN ({SCOPE}) AND month <= :today)
        GROUP BY month""",
        code=CENTER,
    )
    # a month's capacity counts the capabilities of the centers still open in it
    ((annual,),) = query(
        app_database,
        f"""
        SELECT SUM(p.annual_capacity) FROM capability p JOIN center c ON c.id = p.center_id
        WHERE p.center_id IN ({SCOPE}) AND (c.active_to IS NULL OR c.active_to >= :month)""",
        code=CENTER,
        month=month,
    )
    label = date.fromisoformat(str(month)).strftime("%m/%Y")
    expected = f"{label}: {format_number(volume, 'en')} / {format_number(annual / 12, 'en')}"
    assert expected in texts(app.caption)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_what_to_do(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(PAGE, lang=lang, center=CENTER)
    assert translate("empty.no_centers", lang) in texts(app.info)
    assert not app.metric
    st.cache_data.clear()
    st.cache_resource.clear()


def test_ranges_read_as_entered_in_each_language() -> None:
    from services.formatting import range_text
    from ui.charts_profile import uncertainty_text

    assert range_text(0, 60, "MPa", "vi") == "0–60 MPa"
    # no thousands grouping: "1.500,25" would read back as 1.5 (services/formatting.py)
    assert range_text(0.5, 1500.25, "kPa", "vi") == "0,5–1500,25 kPa"
    assert range_text(0.5, 1500.25, "kPa", "en") == "0.5–1500.25 kPa"
    assert range_text(-50, 420, "degC", "en") == "-50–420 °C"
    assert range_text(20, 20, "L", "vi") == "20 L"
    assert range_text(0.005, 15, "m**3/h", "en") == "0.005–15 m³/h"
    assert uncertainty_text(0.015, "%", "vi") == "0,015 %"
    assert uncertainty_text(None, None, "en") == "—"


def test_traceability_diagram_and_drift_chart_are_built_from_the_rows() -> None:

    from ui.charts_profile import drift_chart, traceability_dot

    links = pd.DataFrame(
        {
            "level": [1, 1, 2],
            "holder_code": ["C-1", "C-1", "IMTS"],
            "provider_name": ["IMTS", None, "PTB (Germany)"],
            "provider_in_network": [True, False, False],
            "standards": [3, 1, 1],
        }
    )
    dot = traceability_dot(links, "C-1", "en")
    assert '"C-1" -> "IMTS" [label="3 standards"]' in dot
    assert '"C-1" -> "No certificate" [label="1 standard"]' in dot
    assert '"IMTS" -> "PTB (Germany)"' in dot
    history = pd.DataFrame(
        {
            "calibrated_on": [date(2024, 1, 1), date(2025, 1, 1)],
            "certificate_no": ["A", "B"],
            "provider_name": ["IMTS", "IMTS"],
            "result": ["pass", "fail"],
            "measured_error": [0.1, 0.4],
            "uncertainty": [0.2, 0.2],
            "lower": [-0.1, 0.2],
            "upper": [0.3, 0.6],
        }
    )
    spec = drift_chart(history, "%", "vi").to_dict()
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]
    ]
    assert marks == ["area", "rule", "line", "point"]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Sai số đo %"


# what the network loses ------------------------------------------------------------------------
SOLE_IN_DATE = f"""
    WITH sole AS (
      SELECT l.capability_id, MIN(l.equipment_id) AS equipment_id FROM capability_standard l
      JOIN equipment e ON e.id = l.equipment_id
      WHERE e.acquired_on <= :today AND e.status = 'in_service' AND e.next_due_on >= :today
      GROUP BY l.capability_id HAVING COUNT(*) = 1)
    SELECT s.equipment_id, COUNT(*) FROM sole s JOIN equipment e ON e.id = s.equipment_id
    WHERE e.is_reference_standard AND e.center_id IN ({SCOPE})
    GROUP BY s.equipment_id ORDER BY COUNT(*) DESC, s.equipment_id"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_loss_view_lists_the_capabilities_a_standard_alone_keeps_in_force(
    app_database: str, lang: str
) -> None:
    # the center's reference standard that is the only one in date (stored due date) for most capabilities
    standard, alone = query(app_database, SOLE_IN_DATE, code=CENTER)[0]
    app = open_tab("traceability", lang=lang, center=CENTER, standard=str(standard))
    assert translate("loss.title", lang) in texts(app.subheader)
    suspended = table_with(app, translate("loss.col.nearest", lang))
    assert len(suspended) == alone
    assert translate("profile.col.capability_state", lang) in suspended.columns
    assert set(suspended[translate("label.center", lang)]) <= {CENTER, CLOSED}
    assert any(button.label == translate("export.csv", lang) for button in app.get("download_button"))
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_profiles_equipment_list_downloads_as_a_report_that_says_so(app_database: str, lang: str) -> None:
    """The profile's list looks like an import file but is a report: named so, and its second line says where
    the importable file is; the importer takes none of it."""
    import io

    from services.filters import Filters
    from services.imports import import_equipment_csv
    from services.profile import equipment_list
    from ui.components import report_file_name, stamped_csv

    assert report_file_name("equipment", CENTER, SEED_DAY) == "equipment-report-TTKT-31-2026-11-30.csv"
    engine = make_engine(app_database)
    with Session(engine) as session:
        equipment = equipment_list(session, Filters(as_of=SEED_DAY, center=CENTER))
    note = translate("profile.equipment.export_report", lang)
    data = stamped_csv(equipment, Filters(as_of=SEED_DAY), note=note)
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# ")
    assert lines[1] == "# " + note
    assert len(pd.read_csv(io.StringIO("\n".join(lines[2:])))) == len(equipment) > 0
    with Session(engine) as session:
        refused = import_equipment_csv(
            session, data, center_code=CENTER, username="admin", today=SEED_DAY, dry_run=True
        )
    engine.dispose()
    assert not refused.ok and refused.written == 0


# the open tab ----------------------------------------------------------------------------------
def drawn_tabs(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The tabs whose content this run drew (a hidden tab's content never runs)."""
    return [tab.label for tab in app.tabs if tab.children]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_only_the_open_tab_runs_and_a_shared_link_opens_the_same_tab(app_database: str, lang: str) -> None:
    labels = [translate(f"profile.tab.{name}", lang) for name in PROFILE_TABS]
    first = open_page(PAGE, lang=lang, center=CENTER)
    assert [tab.label for tab in first.tabs] == labels  # every tab is offered
    assert drawn_tabs(first) == [labels[0]]
    assert "tab" not in first.query_params  # the first tab keeps the link clean
    assert not first.get("vega_lite_chart")  # the equipment tab's chart was not built
    shared = open_tab("traceability", lang=lang, center=CENTER)
    assert drawn_tabs(shared) == [translate("profile.tab.traceability", lang)]
    assert shared.query_params["tab"] in (labels[4], [labels[4]])
    assert translate("profile.trace.title", lang) in texts(shared.subheader)
    assert not shared.metric  # the overview's cards belong to the first tab


def test_a_link_naming_no_tab_opens_the_first_and_drops_the_value(app_database: str) -> None:
    app = open_page(PAGE, lang="en", center=CENTER, tab="Nonsense")
    assert drawn_tabs(app) == ["Overview"]
    assert metric(app, "Equipment and standards") == shown(sql_equipment(app_database, CENTER), "en")
    assert "tab" not in app.query_params


def test_switching_the_language_keeps_the_open_tab(app_database: str) -> None:
    app = open_tab("utilization", lang="vi", center=CENTER)
    app.button_group(key="lang").set_value("en").run()
    assert not app.exception
    assert drawn_tabs(app) == ["Utilization"]
    assert translate("profile.utilization.caption", "en").split("{")[0] in texts(app.caption)
    app.run()  # Streamlit drops the Vietnamese label from the URL and writes the English one a run later
    assert drawn_tabs(app) == ["Utilization"]
    assert app.query_params["tab"] in ("Utilization", ["Utilization"])


def test_the_chain_and_the_loss_do_not_depend_on_the_field_type_or_service_filters(app_database: str) -> None:
    """Why the traceability tab caches them on fewer filters (``chain_filters``, ``whole_network``):
    with every filter that narrows other tabs set, they come out the same."""
    from services import network_loss, traceability
    from services.filters import Filters

    narrowed = Filters(
        as_of=SEED_DAY, center=CENTER, field="P", instrument_type="pressure_gauge", service="calibration"
    )
    engine = make_engine(app_database)
    with Session(engine) as session:
        full = traceability.traceability_overview(session, narrowed)
        keyed = traceability.traceability_overview(session, traceability.chain_filters(narrowed))
        standard = int(full.choices["equipment_id"].iloc[0])
        report = traceability.standard_report(session, narrowed, standard_id=standard)
        report_keyed = traceability.standard_report(
            session, traceability.chain_filters(narrowed), standard_id=standard
        )
        loss = network_loss.network_loss(session, narrowed, standard_id=standard)
        loss_keyed = network_loss.network_loss(session, narrowed.whole_network(), standard_id=standard)
    engine.dispose()
    assert len(full.chain) > 0 and len(full.choices) > 0
    for frame, same in ((full.chain, keyed.chain), (full.links, keyed.links), (full.choices, keyed.choices)):
        pd.testing.assert_frame_equal(frame, same)
    pd.testing.assert_frame_equal(report.calibrated, report_keyed.calibrated)
    pd.testing.assert_frame_equal(report.drift, report_keyed.drift)
    assert report.verdict == report_keyed.verdict
    assert loss is not None and loss_keyed is not None
    pd.testing.assert_frame_equal(loss.suspended, loss_keyed.suspended)
    pd.testing.assert_frame_equal(loss.gaps, loss_keyed.gaps)
    pd.testing.assert_frame_equal(loss.suspect_chain, loss_keyed.suspect_chain)
