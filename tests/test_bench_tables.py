"""bench.tables copies the committed page benchmarks into the README's tables, bolding what meets its target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import tables


def result(cold: float, warm: float, change: float, ratio: float) -> dict[str, object]:
    return {
        "machine": "test machine",
        "engine": "sqlite",
        "scale": "x",
        "import_s": 1.5,
        "pages": [{"page": "overview", "cold_s": cold, "warm_s": warm, "filter_change_s": change}],
        "queries": [{"name": "kpi_summary", "service_s": 0.2, "floor_s": 0.1, "ratio": ratio}],
        "peak_rss_mb": 300.0,
        "max_chart_rows": 1200,
        "max_table_rows": 500,
    }


def test_tables_bold_what_meets_its_target_and_show_growth_from_the_small_scale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    (tmp_path / "pages-sqlite-national.json").write_text(json.dumps(result(2.5, 0.2, 0.9, 2.5)))
    (tmp_path / "pages-sqlite-scale1.json").write_text(json.dumps(result(0.5, 0.1, 0.3, 1.0)))
    tables.main([])
    printed = capsys.readouterr().out
    assert "| overview | 2.50 / **0.20** / **0.90**, **5.0**× |" in printed  # cold over 2 s; 2.5/0.5 = 5×
    assert "| kpi_summary | 0.2000 / 0.1000, 2.5 |" in printed  # over 2× its floor: not bold
    assert "modules imported once in 1.50 s; peak 300 MB; largest chart 1,200 rows" in printed
    assert "PostgreSQL" not in printed  # no PostgreSQL results: no PostgreSQL column


def test_without_results_it_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    with pytest.raises(SystemExit, match="run python -m bench.pages --scale national"):
        tables.main([])
