"""The README's performance tables, printed as Markdown from the committed page benchmarks.

    python -m bench.tables [--small 1] [--large national]

Reads ``bench/results/pages-{engine}-{scale}.json`` (``bench.pages --json``) for SQLite and
PostgreSQL at both scales and prints, for the large scale, each page's cold / warm / filter-change
seconds per engine with how much they grew from the small scale, then each service query against its
floor. A figure within its target is bold, so the tables say at a glance what is met; numbers are
copied from the files, never typed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
ENGINES = ("sqlite", "postgresql")
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL 15"}
# issue #10's targets at national scale on 2 cores
TARGET_SECONDS = {"cold_s": 2.0, "warm_s": 0.3, "filter_change_s": 1.0}
TARGET_RATIO = 2.0  # a service query against its floor
TARGET_GROWTH = 5.0  # a page's time from the small scale to the large one
MEASURES = ("cold_s", "warm_s", "filter_change_s")


def result_path(engine: str, scale: str) -> Path:
    """Where ``bench.pages --json`` results are committed: ``pages-sqlite-scale1.json``,
    ``pages-postgresql-national.json``."""
    return RESULTS / (
        f"pages-{engine}-scale{scale}.json" if scale.isdigit() else f"pages-{engine}-{scale}.json"
    )


def load(engine: str, scale: str) -> dict[str, Any] | None:
    path = result_path(engine, scale)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def figure(value: float | None, target: float, digits: int = 2) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    return f"**{text}**" if value <= target else text


def growth(large: dict[str, Any], small: dict[str, Any] | None, page: str) -> float | None:
    """The largest of the page's three figures' growth from the small scale (None without it)."""
    if small is None:
        return None
    before = next((p for p in small["pages"] if p["page"] == page), None)
    after = next(p for p in large["pages"] if p["page"] == page)
    if before is None:
        return None
    return max(after[m] / before[m] for m in MEASURES if before[m] > 0)


def page_table(runs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> list[str]:
    header = "| page |" + "".join(
        f" {ENGINE_NAMES[e]} cold / warm / filter (s), growth |" for e in ENGINES if runs[e][0]
    )
    lines = [header, "|---|" + "---|" * sum(1 for e in ENGINES if runs[e][0])]
    first = next(large for large, _ in runs.values() if large)
    for row in first["pages"]:
        cells = []
        for engine in ENGINES:
            large, small = runs[engine]
            if not large:
                continue
            page = next(p for p in large["pages"] if p["page"] == row["page"])
            times = " / ".join(figure(page[m], TARGET_SECONDS[m]) for m in MEASURES)
            grown = growth(large, small, row["page"])
            cells.append(f" {times}, {figure(grown, TARGET_GROWTH, 1)}× |" if grown else f" {times} |")
        lines.append(f"| {row['page']} |" + "".join(cells))
    return lines


def query_table(runs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> list[str]:
    present = [e for e in ENGINES if runs[e][0]]
    lines = [
        "| query |" + "".join(f" {ENGINE_NAMES[e]} service / floor (s), ratio |" for e in present),
        "|---|" + "---|" * len(present),
    ]
    first = next(large for large, _ in runs.values() if large)
    for row in first["queries"]:
        cells = []
        for engine in present:
            large = runs[engine][0]
            assert large is not None
            query = next(q for q in large["queries"] if q["name"] == row["name"])
            cells.append(
                f" {query['service_s']:.4f} / {query['floor_s']:.4f}, {figure(query['ratio'], TARGET_RATIO, 1)} |"
            )
        lines.append(f"| {row['name']} |" + "".join(cells))
    return lines


def summary_lines(runs: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> list[str]:
    lines = []
    for engine in ENGINES:
        large = runs[engine][0]
        if large:
            lines.append(
                f"- {ENGINE_NAMES[engine]}: {large['machine']}; modules imported once in "
                f"{large.get('import_s', float('nan')):.2f} s; peak {large['peak_rss_mb']:.0f} MB; largest chart "
                f"{large['max_chart_rows']:,} rows, largest table {large['max_table_rows']:,} rows"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", default="1", help="the scale growth is measured from (default 1)")
    parser.add_argument("--large", default="national", help="the scale the tables show (default national)")
    args = parser.parse_args(argv)
    runs = {engine: (load(engine, args.large), load(engine, args.small)) for engine in ENGINES}
    if not any(large for large, _ in runs.values()):
        raise SystemExit(
            f"no results at scale {args.large}: run python -m bench.pages --scale {args.large} first"
        )
    print("\n".join([*page_table(runs), "", *query_table(runs), "", *summary_lines(runs)]))


if __name__ == "__main__":
    main()
