"""Charts are fed aggregated rows: at --scale 10 no chart on any page carries over 5,000 rows.

Inside ``st.altair_chart`` Altair's own 5,000-row guard does not fire (the browser would draw every
row), so the cap is the app's: the chart builders refuse more rows, and every page that draws charts
is opened on a network big enough that a chart of raw rows would break it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st

from services.chart_specs import MAX_CHART_ROWS
from services.chart_specs import pipeline_bars as export_pipeline_bars
from services.db import make_engine
from services.i18n import translate
from services.seed import seed
from services.slides import SLIDE_KEYS
from tests.page_support import PROJECT_ROOT, open_page
from ui.charts_cooperation import pipeline_bars as screen_pipeline_bars

MAX_ROWS = 5000
PAGES = sorted(path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "pages").glob("*.py"))
# A page drawing no chart passes the cap trivially, so each page is declared: these draw charts
# (and must, or the check below checked nothing), the others draw none (a new chart there fails
# until the page is listed here).
PAGES_WITH_CHARTS = {
    "pages/cooperation.py",
    "pages/coverage.py",
    "pages/equipment.py",
    "pages/overview.py",
    "pages/presenter.py",
    "pages/profile.py",
}
# the presenter draws one slide per visit: each slide with a chart is visited
CHART_SLIDES = ("map", "capacity", "coverage", "pipeline", "timeline")
# the profile draws its open tab only, with a center chosen: each tab with a chart is visited
CHART_TABS = ("equipment", "status", "traceability", "utilization")
VIEWS = [
    *((page, {}) for page in PAGES if page not in ("pages/presenter.py", "pages/profile.py")),
    *(("pages/presenter.py", {"slide": str(SLIDE_KEYS.index(key) + 1)}) for key in CHART_SLIDES),
    *(
        ("pages/profile.py", {"center": "TTKT-01", "tab": translate(f"profile.tab.{tab}", "vi")})
        for tab in CHART_TABS
    ),
]


def view_id(view: tuple[str, dict[str, str]]) -> str:
    page, params = view
    return page + "".join(f"?{name}={value}" for name, value in params.items())


@pytest.fixture(scope="module")
def scale_ten_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("scale10") / "scale10.db"
    engine = make_engine(f"sqlite:///{path}")
    counts = seed(engine, scale=10)
    engine.dispose()
    assert counts["equipment"] > 7000  # the point of the test: far more rows than any chart may carry
    yield f"sqlite:///{path}"


def chart_row_counts(app) -> list[int]:  # type: ignore[no-untyped-def]
    counts = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            counts.append(pa.ipc.open_stream(dataset.data.data).read_all().num_rows)
        if chart.proto.data.data:
            counts.append(pa.ipc.open_stream(chart.proto.data.data).read_all().num_rows)
    return counts


@pytest.mark.parametrize("view", VIEWS, ids=view_id)
def test_no_chart_carries_more_than_5000_rows_at_scale_ten(
    view: tuple[str, dict[str, str]], scale_ten_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, params = view
    monkeypatch.setenv("DATABASE_URL", scale_ten_database)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(page, **params)
    counts = chart_row_counts(app)
    st.cache_data.clear()
    st.cache_resource.clear()
    if page in PAGES_WITH_CHARTS:
        assert counts, f"{page} is listed as drawing charts but drew none"
    else:
        assert counts == [], f"{page} draws charts: list it in PAGES_WITH_CHARTS"
    assert max(counts, default=0) <= MAX_ROWS, counts


def test_the_apps_chart_cap_is_5000_rows() -> None:
    assert MAX_CHART_ROWS == MAX_ROWS


@pytest.mark.parametrize("builder", [screen_pipeline_bars, export_pipeline_bars], ids=["screen", "export"])
def test_a_chart_builder_refuses_more_rows_than_the_cap(builder) -> None:  # type: ignore[no-untyped-def]
    rows = pd.DataFrame({"stage": ["signed"] * (MAX_ROWS + 1), "agreements": 1})
    assert builder(rows.iloc[:MAX_ROWS], "vi").to_dict()  # up to the cap the chart is built
    with pytest.raises(ValueError, match=f"{MAX_ROWS + 1} rows"):
        builder(rows, "vi")
