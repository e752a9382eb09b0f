"""The Cooperation page as a user sees it, checked against independent SQL on the seeded database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest
import time_machine
from sqlalchemy import create_engine, text
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from services.cooperation import STAGE_ORDER
from services.i18n import format_day, translate
from services.sources import citation_link
from tests.conftest import SEED_DAY
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/cooperation.py"
HA_LONG_SIGNING = {
    "vi": "14/06/2024 · Hạ Long: ký hợp đồng IMTS – Hải Phòng",
    "en": "14/06/2024 · Ha Long: IMTS – Hai Phong contract signed",
}
KPI_KEYS = ("total", "in_discussion", "signed", "active", "ended")

# Each agreement's stage on the day = its latest stage change up to that day; a signed or active
# contract past its expiry date counts as expired even when no change was recorded.
STAGES_SQL = """
    SELECT c.code, a.is_demo,
           CASE WHEN e.stage IN ('signed', 'active') AND a.expires_on IS NOT NULL AND a.expires_on < :day
                THEN 'expired' ELSE e.stage END AS stage
    FROM agreement a
    JOIN center c ON c.id = a.center_id
    JOIN agreement_event e ON e.agreement_id = a.id AND e.changed_on <= :day
    WHERE NOT EXISTS (
        SELECT 1 FROM agreement_event later
        WHERE later.agreement_id = a.id AND later.changed_on <= :day
          AND (later.changed_on > e.changed_on OR (later.changed_on = e.changed_on AND later.id > e.id)))
"""


def sql_stages(
    url: str, *, day: date | None = None, field: str | None = None, center: str | None = None
) -> dict[str, tuple[str, bool]]:
    """center code -> (stage on the day, is_demo), straight from the tables."""
    day = day or SEED_DAY  # the demo day, which the page shows by default
    query = STAGES_SQL
    if field:
        query += " AND (',' || a.scope_fields || ',') LIKE :pattern"
    if center:
        # a center closed by the merger answers through its successor afterwards
        query += """ AND (c.code = :center OR (c.active_to < :day
                     AND c.successor_id = (SELECT id FROM center WHERE code = :center)))"""
    with create_engine(url).connect() as connection:
        rows = connection.execute(
            text(query), {"day": day.isoformat(), "pattern": f"%,{field},%", "center": center}
        ).all()
    return {code: (stage, bool(is_demo)) for code, is_demo, stage in rows}


def expected_kpis(stages: dict[str, tuple[str, bool]]) -> dict[str, int]:
    values = [stage for stage, _ in stages.values()]
    return {
        "total": len(values),
        "in_discussion": sum(stage in ("proposed", "negotiating") for stage in values),
        "signed": values.count("signed"),
        "active": values.count("active"),
        "ended": sum(stage in ("expired", "cancelled") for stage in values),
    }


def shown_kpis(app, lang: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    metrics = {m.label: m.value for m in app.metric}
    return {
        key: int(metrics[translate(f"cooperation.kpi.{key}", lang)].replace(".", "").replace(",", ""))
        for key in KPI_KEYS
    }


def details_table(app):  # type: ignore[no-untyped-def]
    return next(frame.value for frame in app.dataframe if "profile" in frame.value.columns)


def chart_datasets(app) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    """Every dataset of every chart on the page, as the browser receives it."""
    found = []
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        for values in spec.get("datasets", {}).values():
            found.append(values)
        for dataset in chart.proto.datasets:
            found.append(convert_arrow_bytes_to_pandas_df(dataset.data.data).to_dict("records"))
    return found


def real_signing(url: str) -> tuple[date, str, str]:
    with create_engine(url).connect() as connection:
        held_on, place, title = connection.execute(
            text("SELECT held_on, place_vi, title_vi FROM event WHERE is_demo = 0 AND kind = 'signing'")
        ).one()
    return date.fromisoformat(str(held_on)), place, title


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cards_and_table_equal_independent_sql(app_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    stages = sql_stages(app_database)
    assert shown_kpis(app, lang) == expected_kpis(stages)
    table = details_table(app)
    codes = table["profile"].str.removeprefix("profile?center=")
    assert sorted(codes) == sorted(stages)
    shown = dict(zip(codes, table["stage_label"], strict=True))
    assert shown == {code: stage_words(stage, demo, lang) for code, (stage, demo) in stages.items()}
    real = dict(zip(codes, table["data_label"], strict=True))
    assert real == {
        code: translate("cooperation.data.demo" if demo else "cooperation.data.real", lang)
        for code, (_, demo) in stages.items()
    }
    assert table["profile"].str.fullmatch(r"profile\?center=[A-Z0-9-]+").all()
    with create_engine(app_database).connect() as connection:
        proposed = dict(
            connection.execute(
                text("SELECT c.code, a.proposed_on FROM agreement a JOIN center c ON c.id = a.center_id")
            ).all()
        )
    shown_days = dict(zip(codes, table["proposed_on"], strict=True))
    assert shown_days == {
        code: date.fromisoformat(str(proposed[code])).strftime("%d/%m/%Y") for code in stages
    }
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_ha_long_signing_is_marked_on_the_timeline_and_in_the_text(app_database: str, lang: str) -> None:
    held_on, place, title = real_signing(app_database)
    assert (held_on, place.split(",")[0]) == (date(2024, 6, 14), "Hạ Long") and "Hải Phòng" in title
    app = open_page(PAGE, lang=lang)
    words = HA_LONG_SIGNING[lang]
    assert any(words in block.value for block in app.markdown)
    rows = [row for dataset in chart_datasets(app) for row in dataset]
    labels = [str(row["label"]) for row in rows if "label" in row and "held_on" in row]
    assert any(label.startswith(words) for label in labels)
    lanes = {row["row"] for row in rows if "row" in row}
    assert "★ TTKT-31 · " + ("Hải Phòng" if lang == "vi" else "Hai Phong") in lanes
    events = next(frame.value for frame in app.dataframe if "held_on" in frame.value.columns)
    ha_long = events[events["held_on"].astype(str) == held_on.isoformat()]
    assert set(ha_long["data_label"]) == {translate("cooperation.data.real", lang)}
    assert len(ha_long) == len(real_events_of(app_database, held_on))  # the conference and the signing
    hai_phong = details_table(app).set_index("profile").loc["profile?center=TTKT-31"]
    assert hai_phong["signed_on"] == "14/06/2024"


def real_events_of(url: str, day: date) -> list[tuple[str, str]]:
    with create_engine(url).connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(  # type: ignore[misc]
                    "SELECT kind, source FROM event WHERE NOT is_demo AND held_on = :day"
                ),
                {"day": day.isoformat()},
            ).all()
        ]


def real_contract(url: str) -> tuple[str, str | None, str, int]:
    """The real agreement's scope, expiry, source and number of recorded stages."""
    with create_engine(url).connect() as connection:
        return tuple(
            connection.execute(
                text(  # type: ignore[return-value]
                    """SELECT a.scope_fields, a.expires_on, a.source,
                      (SELECT COUNT(*) FROM agreement_event e WHERE e.agreement_id = a.id)
               FROM agreement a JOIN center c ON c.id = a.center_id WHERE NOT a.is_demo AND c.code = 'TTKT-31'"""
                )
            ).one()
        )


def stage_words(stage: str, is_demo: bool, lang: str) -> str:
    """A demo stage as named; a real one, still open, says its source told nothing after it."""
    label = translate(f"stage.{stage}", lang)
    if is_demo or stage in ("expired", "cancelled"):
        return label
    return translate("cooperation.stage.later_unpublished", lang, stage=label)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_real_contract_shows_what_its_source_did_not_publish_as_not_published(
    app_database: str, lang: str
) -> None:
    scope, expires_on, source, _ = real_contract(app_database)
    app = open_page(PAGE, lang=lang)
    hai_phong = details_table(app).set_index("profile").loc["profile?center=TTKT-31"]
    unpublished = translate("unpublished", lang)
    if not scope:
        assert hai_phong[f"scope_{lang}"] == unpublished
    if expires_on is None:
        assert hai_phong["expires_on"] == unpublished
    assert hai_phong["stage_label"] == stage_words("signed", False, lang)
    # the source, as a link where it is an address, under the table and beside the real event
    link = citation_link(source, lang)
    assert any(link in caption.value for caption in app.caption)
    event_sources = {source for _, source in real_events_of(app_database, date(2024, 6, 14))}
    for event_source in event_sources:
        assert any(citation_link(event_source, lang) in block.value for block in app.markdown)


def test_the_real_contract_counts_in_no_field_when_its_scope_is_unpublished(app_database: str) -> None:
    scope, _, _, _ = real_contract(app_database)
    app = open_page(PAGE, lang="en")
    cells = [
        row for dataset in chart_datasets(app) for row in dataset if "tick" in row and "field_code" in row
    ]
    hai_phong = [cell for cell in cells if str(cell["row"]).startswith("★ TTKT-31 ·")]
    assert hai_phong, "the real contract has a row in the scope chart"
    if scope:
        assert {cell["field_code"] for cell in hai_phong if cell["in_scope"]} == set(scope.split(","))
    else:
        assert not any(cell["in_scope"] for cell in hai_phong)
        assert {cell["tick"] for cell in hai_phong} == {"?"}
        assert {cell["covered"] for cell in hai_phong} == {translate("cooperation.scope.unpublished", "en")}


def test_the_real_contract_is_not_drawn_past_what_its_source_says(app_database: str) -> None:
    _, expires_on, _, _ = real_contract(app_database)
    with create_engine(app_database).connect() as connection:
        signed_on = str(
            connection.execute(
                text(
                    "SELECT signed_on FROM agreement a JOIN center c ON c.id = a.center_id "
                    "WHERE NOT a.is_demo AND c.code = 'TTKT-31'"
                )
            ).scalar_one()
        )[:10]
    app = open_page(PAGE, lang="en")
    rows = [
        row
        for dataset in chart_datasets(app)
        for row in dataset
        if str(row.get("row", "")).startswith("★ TTKT-31 ·")
    ]
    if expires_on is None:
        # nothing after the signing is known: no bar runs on to the day viewed, the words sit at the signing
        assert all(str(row["end_on"])[:10] <= signed_on for row in rows if "start_on" in row)
        words = {(row["stage_label"], str(row["end_on"])[:10]) for row in rows if "proposed_on" in row}
        assert words == {(stage_words("signed", False, "en"), signed_on)}


def test_the_real_conference_names_only_the_participants_its_source_names(app_database: str) -> None:
    with create_engine(app_database).connect() as connection:
        named = connection.execute(
            text(
                """SELECT c.kind, c.code, p.name_vi FROM event e JOIN event_participant ep ON ep.event_id = e.id
               JOIN center c ON c.id = ep.center_id JOIN province p ON p.key = c.province_key
               WHERE NOT e.is_demo AND e.kind = 'conference'
               ORDER BY CASE c.kind WHEN 'national_institute' THEN 0 ELSE 1 END, c.code"""
            )
        ).all()
    names = ", ".join(
        code if kind != "provincial_center" else f"Trung tâm {province}" for kind, code, province in named
    )
    app = open_page(PAGE, lang="vi")
    events = next(frame.value for frame in app.dataframe if "held_on" in frame.value.columns)
    conference = events[
        (events["held_on"].astype(str) == "2024-06-14")
        & (events["kind_label"] == translate("cooperation.kind.conference", "vi"))
    ]
    assert list(conference["participants_vi"]) == [f"{names}; danh sách các tỉnh tham dự chưa công bố"]


def test_every_chart_gets_aggregated_rows(app_database: str) -> None:
    app = open_page(PAGE)
    datasets = chart_datasets(app)
    assert len(app.get("vega_lite_chart")) == 3
    assert datasets and all(len(rows) < 5000 for rows in datasets)
    stages = sql_stages(app_database)
    pipeline = next(rows for rows in datasets if rows and set(rows[0]) >= {"stage", "agreements"})
    counted = Counter(stage for stage, _ in stages.values())
    assert {row["stage"]: row["agreements"] for row in pipeline} == {
        stage: counted[stage] for stage in STAGE_ORDER
    }


def test_field_filter_from_the_url_narrows_the_page(app_database: str) -> None:
    app = open_page(PAGE, field="P")
    stages = sql_stages(app_database, field="P")
    assert shown_kpis(app, "vi") == expected_kpis(stages)
    assert sorted(details_table(app)["profile"].str.removeprefix("profile?center=")) == sorted(stages)
    assert app.query_params["field"] in ("P", ["P"])


def test_choosing_a_center_is_written_to_the_url(app_database: str) -> None:
    app = open_page(PAGE)
    app.selectbox(key="center").set_value("TTKT-31").run()
    assert app.query_params["center"] in ("TTKT-31", ["TTKT-31"])
    stages = sql_stages(app_database, center="TTKT-31")
    assert shown_kpis(app, "vi") == expected_kpis(stages)
    # Hải Dương's center merged into Hải Phòng's: its agreement is shown there
    assert sorted(details_table(app)["profile"].str.removeprefix("profile?center=")) == sorted(stages)
    assert "TTKT-31" in stages


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_empty_database_explains_what_to_do(tmp_path, monkeypatch, lang: str) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    # a database that is not the demo one shows today: a fixed "today" makes that checkable
    today_here = date(2031, 3, 14)
    try:
        with time_machine.travel(today_here, tick=True):
            app = open_page(PAGE, lang=lang)
        infos = [info.value for info in app.info]
        today = format_day(today_here, lang)
        assert translate("cooperation.empty.no_agreements", lang, date=today) in infos
        assert translate("cooperation.empty.no_events", lang, date=today) in infos
        assert not app.metric and not app.get("vega_lite_chart")
        assert_no_raw_keys(app)
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_center_without_agreements_gets_the_empty_state(app_database: str) -> None:
    assert sql_stages(app_database, center="VMI") == {}
    app = open_page(PAGE, center="VMI")
    assert app.query_params["center"] in ("VMI", ["VMI"])  # the filter was applied, not dropped
    shown_day = format_day(SEED_DAY, "vi")
    assert translate("cooperation.empty.no_agreements", "vi", date=shown_day) in [
        info.value for info in app.info
    ]
    assert not app.metric


def test_a_day_before_any_agreement_gets_the_empty_state(app_database: str) -> None:
    day = date(2020, 1, 1)
    assert sql_stages(app_database, day=day) == {}
    app = open_page(PAGE, lang="en", as_of=day.isoformat())
    infos = [info.value for info in app.info]
    assert translate("cooperation.empty.no_agreements", "en", date="01/01/2020") in infos
    assert not app.exception
