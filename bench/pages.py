"""Every page through AppTest, cold, warm and after a filter change; service queries against their floor.

    python -m bench.pages --scale 10 --engine sqlite --json bench/results/pages-sqlite-scale10.json
    python -m bench.pages --scale national --engine postgresql --json FILE

The database is seeded once per engine and scale (``python -m services.seed`` in a child
process, so seeding's memory does not count here) and reused by later runs: a SQLite file under
``bench/.data/``, or the server ``DATABASE_URL`` / ``--database-url`` names. With
``--engine postgresql`` and neither, the script runs itself again under ``.ci/with-postgres``,
which starts a throwaway server on loopback.

cold = the first visit after start (every Streamlit cache cleared, engine included); warm = the
same session's next run; filter change = that session choosing the pressure field (P). A query's
floor is the same aggregation written as one bare SQL statement (``FLOORS``); figures are
medians of ``--repeat`` runs. Run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIRECTORY = PROJECT_ROOT / "bench" / ".data"
HARNESS = str(PROJECT_ROOT / "tests" / "page_harness.py")
PAGES = {  # name -> (page script, query parameters a user would open it with)
    "overview": ("pages/overview.py", {}),
    "equipment": ("pages/equipment.py", {}),
    "coverage": ("pages/coverage.py", {}),
    "cooperation": ("pages/cooperation.py", {}),
    "finder": ("pages/finder.py", {"q_type": "pressure_gauge", "q_range": "0–60 MPa", "q_unc": "0,1 %"}),
    "profile": ("pages/profile.py", {"center": "TTKT-31"}),
    "presenter": ("pages/presenter.py", {}),
}
FILTER_CHANGE = ("field", "P")  # a sidebar widget key and the value chosen
_UNDER_THROWAWAY_SERVER = "BENCH_PAGES_UNDER_WITH_POSTGRES"  # set when .ci/with-postgres runs us again


def scale_argument(raw: str) -> int | str:
    """A whole number, or a named scale the seeder knows (such as ``national``)."""
    return int(raw) if raw.isdigit() else raw


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=scale_argument, default=10, help="a number or a named scale (national)"
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database-url", default=None, help="a database to seed (when empty) and reuse")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query figure (median)")
    return parser.parse_args(argv)


def database_url(args: argparse.Namespace) -> str | None:
    """The database to use, or None when a PostgreSQL server must be started first."""
    if args.database_url:
        return str(args.database_url)
    if args.engine == "postgresql":
        url = os.environ.get("DATABASE_URL", "")
        return url if url.startswith("postgresql") else None
    DATA_DIRECTORY.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIRECTORY / f'pages-scale{args.scale}.db'}"


def seed_if_empty(url: str, scale: int | str) -> float:
    """Seconds until the database holds a network (seeding it when empty)."""
    started = time.perf_counter()
    seeding = subprocess.run(
        [sys.executable, "-m", "services.seed", "--scale", str(scale), "--database-url", url, "--if-empty"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    if seeding.returncode:  # its progress bars are noise; its error is not
        raise SystemExit(f"seeding failed:\n{seeding.stderr}")
    return time.perf_counter() - started


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    return statistics.median(timed(action)[0] for _ in range(repeat))


def chart_rows(app: Any) -> list[int]:
    import pyarrow as pa

    counts = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            counts.append(pa.ipc.open_stream(dataset.data.data).read_all().num_rows)
        if chart.proto.data.data:
            counts.append(pa.ipc.open_stream(chart.proto.data.data).read_all().num_rows)
    return counts


def table_rows(app: Any) -> list[int]:
    return [len(frame.value) for frame in app.dataframe] + [len(table.value) for table in app.table]


def run_or_fail(app: Any, page: str) -> None:
    app.run()
    if app.exception:
        raise RuntimeError(f"{page}: {[e.value for e in app.exception]}")


def time_page(name: str, script: str, params: dict[str, str]) -> tuple[dict[str, Any], list[int], list[int]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(HARNESS, default_timeout=600)
    app.session_state["harness_page"] = script
    for key, value in {"lang": "vi", **params}.items():
        app.query_params[key] = value
    cold, _ = timed(lambda: run_or_fail(app, name))
    charts, tables = chart_rows(app), table_rows(app)
    warm, _ = timed(lambda: run_or_fail(app, name))
    key, value = FILTER_CHANGE
    app.selectbox(key=key).set_value(value)
    changed, _ = timed(lambda: run_or_fail(app, name))
    charts, tables = charts + chart_rows(app), tables + table_rows(app)
    figures = {
        "page": name,
        "cold_s": round(cold, 3),
        "warm_s": round(warm, 3),
        "filter_change_s": round(changed, 3),
    }
    return figures, charts, tables


def floors(as_of: Any, soon: Any, month_ago: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each service's aggregation as one bare SQL statement (what the database alone must do)."""
    live = "status <> 'retired'"
    return {
        "status_counts": (
            "SELECT center_id, CASE WHEN next_due_on IS NULL THEN 'never' WHEN next_due_on < :as_of THEN 'overdue' "
            "WHEN next_due_on <= :soon THEN 'due_soon' ELSE 'in_date' END AS s, COUNT(*) FROM equipment "
            f"WHERE {live} GROUP BY center_id, s",
            {"as_of": as_of, "soon": soon},
        ),
        "kpi_summary": (
            "SELECT COUNT(*), SUM(CASE WHEN next_due_on >= :as_of THEN 1 ELSE 0 END), "
            f"(SELECT COUNT(*) FROM capability) FROM equipment WHERE {live}",
            {"as_of": as_of},
        ),
        "coverage_matrix": (
            "SELECT center_id, instrument_type_code, service, COUNT(*) FROM capability "
            "GROUP BY center_id, instrument_type_code, service",
            {},
        ),
        "coverage_gaps": (
            "SELECT t.code, COUNT(DISTINCT c.center_id) FROM instrument_type t LEFT JOIN capability c "
            "ON c.instrument_type_code = t.code AND c.service = 'verification' "
            "WHERE t.legally_controlled GROUP BY t.code",
            {},
        ),
        "center_points": (
            "SELECT c.id, c.lat, c.lon, COUNT(e.id) FROM center c LEFT JOIN equipment e ON e.center_id = c.id "
            "GROUP BY c.id, c.lat, c.lon",
            {},
        ),
        "pipeline_counts": ("SELECT stage, COUNT(*) FROM agreement GROUP BY stage", {}),
        "recent_changes": (
            "SELECT COUNT(*) FROM calibration_record WHERE calibrated_on > :month_ago AND calibrated_on <= :as_of",
            {"month_ago": month_ago, "as_of": as_of},
        ),
        "equipment_page": (
            f"SELECT e.id, e.name, e.serial_no, e.next_due_on, (SELECT COUNT(*) FROM equipment WHERE {live}) "
            f"FROM equipment e WHERE e.{live} ORDER BY e.center_id, e.id LIMIT 50",
            {},
        ),
    }


def time_queries(url: str, repeat: int) -> list[dict[str, Any]]:
    from sqlalchemy import text
    from sqlmodel import Session

    from services.calibration import status_counts
    from services.cooperation import pipeline_counts
    from services.coverage import coverage_gaps, coverage_matrix
    from services.db import make_engine
    from services.equipment import equipment_page
    from services.filters import Filters
    from services.kpis import kpi_summary
    from services.overview import center_points, recent_changes

    engine = make_engine(url)
    with Session(engine) as session:
        from services.dataset import default_as_of

        filters = Filters(as_of=default_as_of(session, Filters().as_of))
    services: dict[str, Callable[[Session], Any]] = {
        "status_counts": lambda s: status_counts(s, filters),
        "kpi_summary": lambda s: kpi_summary(s, filters),
        "coverage_matrix": lambda s: coverage_matrix(s, filters),
        "coverage_gaps": lambda s: coverage_gaps(s, filters),
        "center_points": lambda s: center_points(s, filters),
        "pipeline_counts": lambda s: pipeline_counts(s, filters),
        "recent_changes": lambda s: recent_changes(s, filters),
        "equipment_page": lambda s: equipment_page(s, filters),
    }
    bare = floors(
        filters.as_of,
        filters.as_of + timedelta(days=filters.due_window_days),
        filters.as_of - timedelta(days=30),
    )
    figures = []
    with Session(engine) as session:
        for name, service in services.items():
            service(session)  # the first call warms the database's page cache for both figures
            service_s = median_seconds(lambda service=service: service(session), repeat)
            sql, params = bare[name]
            floor_s = median_seconds(
                lambda sql=sql, params=params: session.execute(text(sql), params).all(), repeat
            )
            figures.append(
                {
                    "name": name,
                    "service_s": round(service_s, 4),
                    "floor_s": round(floor_s, 4),
                    "ratio": round(service_s / floor_s, 1) if floor_s else None,
                }
            )
    engine.dispose()
    return figures


def machine() -> str:
    """Where the figures were taken, with the load average then (other work on the machine slows them)."""
    load = os.getloadavg()[0]
    return (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
        f" · load {load:.1f} at start"
    )


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['engine']}, scale {report['scale']} — {report['machine']}")
    print(f"{'page':<14}{'cold s':>9}{'warm s':>9}{'filter s':>10}")
    for row in report["pages"]:
        print(f"{row['page']:<14}{row['cold_s']:>9.2f}{row['warm_s']:>9.2f}{row['filter_change_s']:>10.2f}")
    print(f"\n{'query':<18}{'service s':>11}{'floor s':>10}{'ratio':>8}")
    for row in report["queries"]:
        print(f"{row['name']:<18}{row['service_s']:>11.4f}{row['floor_s']:>10.4f}{row['ratio'] or 0:>8.1f}")
    print(
        f"\npeak RSS {report['peak_rss_mb']:.0f} MB; largest chart {report['max_chart_rows']:,} rows, "
        f"largest table {report['max_table_rows']:,} rows"
    )


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    started_on = machine()
    url = database_url(args)
    if url is None and os.environ.get(_UNDER_THROWAWAY_SERVER):
        raise SystemExit(
            "No PostgreSQL server: install one (sudo apt-get install postgresql) or pass --database-url."
        )
    if url is None:  # no server named: run again under a throwaway one
        command = [
            "bash",
            str(PROJECT_ROOT / ".ci" / "with-postgres"),
            sys.executable,
            "-m",
            "bench.pages",
            *(argv if argv is not None else sys.argv[1:]),
        ]
        environment = {**os.environ, _UNDER_THROWAWAY_SERVER: "1"}
        raise SystemExit(subprocess.call(command, cwd=PROJECT_ROOT, env=environment))
    ready_s = seed_if_empty(url, args.scale)
    print(f"{args.engine} database at scale {args.scale} ready in {ready_s:.0f} s (seeded when it was empty)")
    os.environ["DATABASE_URL"] = url
    pages, charts, tables = [], [], []
    for name, (script, params) in PAGES.items():
        figures, page_charts, page_tables = time_page(name, script, params)
        pages.append(figures)
        charts += page_charts
        tables += page_tables
    report = {
        "machine": started_on,
        "engine": args.engine,
        "scale": args.scale,
        "pages": pages,
        "queries": time_queries(url, args.repeat),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # Linux: KiB
        "max_chart_rows": max(charts, default=0),
        "max_table_rows": max(tables, default=0),
    }
    print_table(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
