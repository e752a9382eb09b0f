"""A warm rerun of every read page sends no SQL but the data-version read, and at scale 10 no chart
carries more than 5,000 rows and no table more than 1,000.

SQL is counted with SQLAlchemy's ``before_cursor_execute`` on every engine in the process (AppTest
runs the page in this process, on the app's cached engine). The data page is left out on purpose:
it reads the database live (``ui.live``) because it edits, and its login form writes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import streamlit as st
from sqlalchemy import Engine, event
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from services import data_version
from services.chart_specs import MAX_CHART_ROWS
from services.db import make_engine
from services.filters import Filters
from services.seed import seed
from services.table_limits import MAX_TABLE_ROWS
from tests.conftest import SEED_DAY
from tests.page_support import PROJECT_ROOT, open_page, tab_labels
from ui.data import prepared, vega_lite_spec

SCALE = 10  # TTKT-31's profile lists 1,202 capability standards here: more than a table may send
PAGES = {  # page -> query parameters that make it draw everything it can
    "pages/overview.py": {},
    "pages/equipment.py": {},
    "pages/coverage.py": {},
    "pages/cooperation.py": {},
    "pages/finder.py": {"q_type": "pressure_gauge", "q_range": "0–60 MPa", "q_unc": "0,1 %"},
    "pages/profile.py": {"center": "TTKT-31"},
    "pages/presenter.py": {},
}


@pytest.fixture(scope="module")
def larger_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("warm") / f"scale{SCALE}.db"
    engine = make_engine(f"sqlite:///{path}")
    counts = seed(engine, scale=SCALE, as_of=SEED_DAY)
    engine.dispose()
    assert counts["equipment"] > 7000  # far more rows than a table may send
    yield f"sqlite:///{path}"


@pytest.fixture
def app_on_larger_database(larger_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", larger_database)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield larger_database
    st.cache_data.clear()
    st.cache_resource.clear()


class StatementLog:
    """Every SQL statement any engine sends while the block runs."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def _remember(self, _conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        self.statements.append(" ".join(statement.split()))

    def __enter__(self) -> StatementLog:
        event.listen(Engine, "before_cursor_execute", self._remember)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._remember)


def chart_rows(app: AppTest) -> list[int]:
    counts = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            counts.append(pa.ipc.open_stream(dataset.data.data).read_all().num_rows)
        if chart.proto.data.data:
            counts.append(pa.ipc.open_stream(chart.proto.data.data).read_all().num_rows)
    return counts


def table_rows(app: AppTest) -> list[int]:
    return [len(frame.value) for frame in app.dataframe] + [len(table.value) for table in app.table]


def views(page: str) -> list[dict[str, str]]:
    """The query parameters of each view of ``page``: the profile draws only its open tab, so every tab."""
    if page != "pages/profile.py":
        return [PAGES[page]]
    return [{**PAGES[page], "tab": label} for label in tab_labels("profile.tab")]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_warm_rerun_reads_only_the_data_version(page: str, app_on_larger_database: str) -> None:
    for params in views(page):
        app = open_page(page, **params)  # cold: fills the caches
        with StatementLog() as log:
            app.run()
        assert not app.exception, [e.value for e in app.exception]
        assert len(log.statements) == 1, (params, log.statements)
        assert log.statements[0].startswith(
            "SELECT data_version.version, data_version.lineage FROM data_version WHERE data_version.id ="
        )


@pytest.mark.parametrize("page", sorted(PAGES))
def test_rows_sent_stay_within_the_caps_at_scale_ten(page: str, app_on_larger_database: str) -> None:
    charts, tables = [], []
    for params in views(page):
        app = open_page(page, **params)
        charts, tables = charts + chart_rows(app), tables + table_rows(app)
    if page in ("pages/overview.py", "pages/equipment.py", "pages/profile.py"):
        assert charts and tables, "these pages draw charts and tables"
    assert all(count <= MAX_CHART_ROWS for count in charts), charts
    assert all(count <= MAX_TABLE_ROWS for count in tables), tables


def test_a_write_from_another_process_shows_on_the_next_rerun(app_on_larger_database: str) -> None:
    """Another instance's write raises the version; this instance's next rerun reads afresh."""
    app = open_page("pages/overview.py")
    other_instance = make_engine(app_on_larger_database)
    with other_instance.begin() as connection:
        data_version.bump(connection)
    other_instance.dispose()
    with StatementLog() as log:
        app.run()
    assert not app.exception
    assert len(log.statements) > 1  # the views were read again for the new version


def test_a_prepared_chart_or_table_is_built_once_per_data_version_and_language(
    app_on_larger_database: str,
) -> None:
    """What a warm rerun skips: ``ui.data.prepared`` builds again only for a new key or data version."""
    builds: list[str] = []

    def build() -> int:
        builds.append("built")
        return len(builds)

    assert prepared(build, "test-view", None, "vi") == 1
    assert prepared(build, "test-view", None, "vi") == 1  # the same key: not built again
    assert prepared(build, "test-view", None, "en") == 2  # another language is another view
    assert prepared(build, "test-view", None, "vi", "quantity") == 3  # and so is another choice
    writer = make_engine(app_on_larger_database)
    with writer.begin() as connection:
        data_version.bump(connection)
    writer.dispose()
    assert prepared(build, "test-view", None, "vi") == 4  # a write anywhere: built afresh


def test_the_cached_spec_is_what_st_altair_chart_would_send(app_on_larger_database: str) -> None:
    """The spec drawn with st.vega_lite_chart equals Streamlit's own conversion (Arrow datasets,
    the app's theme), for the province map (boundaries inline) and a chart of a DataFrame."""
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from services.boundaries import province_features
    from services.cooperation import pipeline_counts
    from services.overview import center_points
    from services.province_map import MapMeasure, province_measures
    from ui import charts, charts_cooperation

    filters = Filters(as_of=SEED_DAY)
    with Session(make_engine(app_on_larger_database)) as session:
        measures, points = province_measures(session, filters), center_points(session, filters)
        pipeline = pipeline_counts(session, filters)
    for chart in (
        charts.province_map(province_features(filters), measures, points, MapMeasure.IN_DATE, "vi"),
        charts_cooperation.pipeline_bars(pipeline, "en"),
    ):
        assert vega_lite_spec(chart) == _convert_altair_to_vega_lite_spec(chart)
    assert vega_lite_spec(charts_cooperation.pipeline_bars(pipeline, "en"))["datasets"], (
        "the rows travel as Arrow"
    )


def test_the_server_skips_streamlits_full_collection_after_every_run() -> None:
    """Streamlit's gc.collect(2) after each run was most of a warm rerun's server CPU at national
    scale (.streamlit/config.toml says how much); the option must be one Streamlit knows, or the
    line would be ignored with only a warning."""
    from streamlit import config as streamlit_config

    settings = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["runner"]["postScriptGC"] is False
    assert "runner.postScriptGC" in streamlit_config.get_config_options()
