"""Seed a network of a given scale and print how long the main views' services take.

    python -m bench.run_all [--scale 10] [--database-url URL] [--repeat 5]

Figures are medians of ``--repeat`` runs on a warm connection; run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from services.calibration import equipment_status, status_counts
from services.cooperation import pipeline_counts
from services.coverage import coverage_gaps, coverage_grid, coverage_matrix
from services.db import make_engine
from services.filters import Filters
from services.kpis import kpi_summary
from services.overview import center_points, recent_changes
from services.seed import seed


def median_ms(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument(
        "--database-url", default=None, help="an EMPTY database; default a temporary SQLite file"
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    engine = make_engine(url)
    started = time.perf_counter()
    counts = seed(engine, scale=args.scale)
    print(
        f"engine {engine.dialect.name}, scale {args.scale}: seeded in {time.perf_counter() - started:.1f} s"
    )
    for table, count in counts.items():
        print(f"  {table:>20}: {count:>10,}")

    today = Filters()
    past = replace(today, as_of=today.as_of - timedelta(days=365))
    province = replace(today, province="31")
    cases: list[tuple[str, Callable[[Session], object]]] = [
        ("status_counts (today: stored due dates)", lambda s: status_counts(s, today)),
        ("status_counts (a year ago: from history)", lambda s: status_counts(s, past)),
        ("equipment_status list (today)", lambda s: equipment_status(s, today)),
        ("kpi_summary (today)", lambda s: kpi_summary(s, today)),
        ("kpi_summary (one province)", lambda s: kpi_summary(s, province)),
        ("coverage_matrix", lambda s: coverage_matrix(s, today)),
        ("coverage_grid", lambda s: coverage_grid(s, today)),
        ("coverage_gaps", lambda s: coverage_gaps(s, today)),
        ("pipeline_counts", lambda s: pipeline_counts(s, today)),
        ("center_points (map)", lambda s: center_points(s, today)),
        ("recent_changes", lambda s: recent_changes(s, today)),
    ]
    print(f"\n{'service':<44}{'median ms':>10}{'rows out':>10}")
    with Session(engine) as session:
        for name, call in cases:
            elapsed, result = median_ms(lambda call=call: call(session), args.repeat)
            rows = len(result) if hasattr(result, "__len__") else 1
            print(f"{name:<44}{elapsed:>10.1f}{rows:>10,}")
    print(f"\nas of {date.today():%d/%m/%Y}")


if __name__ == "__main__":
    main()
