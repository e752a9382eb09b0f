"""Charts are fed aggregated rows: at --scale 10 no chart on any page carries over 5,000 rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import streamlit as st

from services.db import make_engine
from services.seed import seed
from tests.page_support import PROJECT_ROOT, open_page

MAX_ROWS = 5000
PAGES = sorted(path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / "pages").glob("*.py"))
# pages that show more with a center chosen get one, so their charts are drawn too
PAGE_PARAMS = {"pages/profile.py": {"center": "TTKT-01"}}


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


@pytest.mark.parametrize("page", PAGES)
def test_no_chart_carries_more_than_5000_rows_at_scale_ten(
    page: str, scale_ten_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", scale_ten_database)
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(page, **PAGE_PARAMS.get(page, {}))
    counts = chart_row_counts(app)
    st.cache_data.clear()
    st.cache_resource.clear()
    if page == "pages/overview.py":
        assert counts, "the overview draws charts"
    assert all(count <= MAX_ROWS for count in counts), counts
