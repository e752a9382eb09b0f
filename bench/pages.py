"""Every page through AppTest, cold, warm and after a filter change; service queries against their floor.

    python -m bench.pages --scale 1 --engine sqlite --json bench/results/pages-sqlite-scale1.json
    python -m bench.pages --scale national --engine postgresql --json FILE

The database is seeded once per engine and scale (``python -m services.seed`` in a child
process, so seeding's memory does not count here) and reused by later runs: a SQLite file under
``bench/.data/``, or the server ``DATABASE_URL`` / ``--database-url`` names. With
``--engine postgresql`` and neither, the script runs itself again under ``.ci/with-postgres``,
which starts a throwaway server on loopback.

cold = the first visit after start (every Streamlit cache cleared, engine included; the app's modules
already imported: a process imports them once, on its first session, and that one-off figure is
reported apart as ``import_s``); warm = the
same session's next run; filter change = that session choosing the pressure field (P). A query's
floor is the same aggregation written as one bare SQL statement (``floors``), fetched the same
way: it returns what the service returns on the default view (the same rules, the same rows), so
the ratio measures what the service adds around the database's work. Figures are medians of
``--repeat`` runs. Run on an otherwise idle machine.
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
from dataclasses import replace
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
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, pages and queries (median)")
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="time the service queries only (no pages, nothing written)",
    )
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


def import_app_modules() -> float:
    """Seconds to import every module of ``ui`` and ``services`` (what a process's first session pays
    once, whatever page it opens), so that every page's cold figure means the same thing."""
    import importlib
    import pkgutil

    started = time.perf_counter()
    for package_name in ("ui", "services"):
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(module.name)
    return time.perf_counter() - started


def time_page(
    name: str, script: str, params: dict[str, str]
) -> tuple[dict[str, float], list[int], list[int]]:
    """One fresh session's cold, warm and filter-change seconds, and its charts' and tables' rows."""
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
    return {"cold_s": cold, "warm_s": warm, "filter_change_s": changed}, charts, tables


def page_figures(
    name: str, script: str, params: dict[str, str], repeat: int
) -> tuple[dict[str, Any], list[int], list[int]]:
    """Each figure's median over ``repeat`` fresh sessions (a single cold start varies by a tenth
    of a second or more, as much as some margins to the targets)."""
    runs = [time_page(name, script, params) for _ in range(repeat)]
    figures: dict[str, Any] = {"page": name}
    for measure in ("cold_s", "warm_s", "filter_change_s"):
        figures[measure] = round(statistics.median(seconds[measure] for seconds, _, _ in runs), 3)
    return (
        figures,
        [rows for _, charts, _ in runs for rows in charts],
        [rows for *_, tables in runs for rows in tables],
    )


def floors(merged: bool, history: bool = False) -> dict[str, str]:
    """Each service's aggregation as one bare SQL statement (what the database alone must do).

    Each computes what its service returns on the default view (the demo day, no filter): the
    same holdings rule (bought by the day, not retired by it), the same calibration status, the
    closed centers counted at their successor and in its region under the day's boundaries, only
    capabilities with a supporting standard in date and in service on the day. Parameters:
    ``as_of``, ``soon`` (the end of the due-soon window), ``month_ago``. ``history``: a day before
    the newest certificate, where each item's due date is that of its latest certificate by then.

    Long on purpose: one SQL statement per service, side by side, so each reads against the others.
    """
    due = "e.next_due_on"
    if history:
        # one seek per item that the index on (equipment_id, calibrated_on, id, due_on) answers alone
        due = (
            "(SELECT c.due_on FROM calibration_record c WHERE c.equipment_id = e.id AND c.calibrated_on <= :as_of "
            "ORDER BY c.calibrated_on DESC, c.id DESC LIMIT 1)"
        )
    held = (
        f"SELECT e.id, e.center_id, {due} AS next_due_on FROM equipment e WHERE e.acquired_on <= :as_of "
        "AND NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id "
        "AND p.status = 'retired' AND p.start_on <= :as_of)"
    )
    status = (
        "CASE WHEN h.next_due_on IS NULL THEN 'never' WHEN h.next_due_on < :as_of THEN 'overdue' "
        "WHEN h.next_due_on <= :soon THEN 'due_soon' ELSE 'in_date' END"
    )
    region_key = "COALESCE(p.successor_key, p.key)" if merged else "p.key"
    regions = f"SELECT * FROM province WHERE {'valid_to' if merged else 'valid_from'} IS NULL"
    # every center with the one answering for it on the day and that one's region
    answering = (
        "SELECT c.id, a.id AS answering_id, a.code, a.name_vi, a.name_en, a.lat, a.lon, "
        f"{region_key} AS region_key FROM center c JOIN center a ON a.id = CASE WHEN c.active_to < :as_of "
        "AND c.successor_id IS NOT NULL THEN c.successor_id ELSE c.id END JOIN province p ON p.key = a.province_key"
    )
    in_force = (
        "SELECT DISTINCT w.answering_id, w.code, w.lat, w.lon, w.region_key, k.instrument_type_code, k.service "
        "FROM capability k JOIN answering w ON w.id = k.center_id WHERE EXISTS (SELECT 1 FROM capability_standard s "
        "JOIN held h ON h.id = s.equipment_id WHERE s.capability_id = k.id AND h.next_due_on >= :as_of "
        "AND NOT EXISTS (SELECT 1 FROM equipment_status_period r WHERE r.equipment_id = h.id AND r.status = 'repair' "
        "AND r.start_on <= :as_of AND (r.end_on IS NULL OR r.end_on > :as_of)))"
    )
    stage_on_day = (
        "SELECT g.id, g.center_id, CASE WHEN g.expires_on < :as_of AND x.stage IN ('signed', 'active') "
        "THEN 'expired' ELSE x.stage END AS stage FROM agreement g JOIN (SELECT agreement_id, stage, "
        "ROW_NUMBER() OVER (PARTITION BY agreement_id ORDER BY changed_on DESC, id DESC) AS rank "
        "FROM agreement_event WHERE changed_on <= :as_of) x ON x.agreement_id = g.id AND x.rank = 1"
    )
    legal = (
        "SELECT t.code, t.name_vi, t.name_en FROM instrument_type t "
        "WHERE t.legally_controlled AND t.verification_interval_months IS NOT NULL"
    )
    distance = (
        "2 * 6371.0 * ASIN(SQRT(POWER(SIN(RADIANS(f.lat - r.lat) / 2), 2) + COS(RADIANS(r.lat)) "
        "* COS(RADIANS(f.lat)) * POWER(SIN(RADIANS(f.lon - r.lon) / 2), 2)))"
    )
    gaps = (
        "SELECT r.key, r.code AS region_code, r.name_vi, r.name_en, r.population_thousands, l.code AS type_code, "
        "l.name_vi AS type_vi, l.name_en AS type_en FROM regions r CROSS JOIN legal l WHERE NOT EXISTS (SELECT 1 "
        "FROM in_force f WHERE f.region_key = r.key AND f.instrument_type_code = l.code AND f.service = 'verification')"
    )
    counts_by_center = (
        f"SELECT w.answering_id, {status} AS status, COUNT(*) AS n FROM held h JOIN answering w ON w.id = h.center_id "
        "GROUP BY w.answering_id, status"
    )
    with_ = (
        f"WITH held AS ({held}), answering AS ({answering}), regions AS ({regions}), "
        f"in_force AS ({in_force}), legal AS ({legal}), gaps AS ({gaps}), stage_on_day AS ({stage_on_day}) "
    )
    return {
        "status_counts": (
            f"{with_}SELECT n.answering_id, n.status, n.n, a.code, a.name_vi, a.name_en, p.code, p.name_vi, "
            f"p.name_en FROM ({counts_by_center}) n JOIN center a ON a.id = n.answering_id "
            f"JOIN province p ON p.key = (SELECT region_key FROM answering WHERE id = n.answering_id)"
        ),
        "kpi_summary": (
            f"{with_}SELECT (SELECT COUNT(*) FROM center WHERE active_to IS NULL OR active_to >= :as_of), "
            f"(SELECT COUNT(*) FROM regions), COUNT(*), SUM(CASE WHEN {status} IN ('in_date', 'due_soon') THEN 1 "
            f"ELSE 0 END), SUM(CASE WHEN {status} = 'overdue' THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {status} = 'due_soon' THEN 1 ELSE 0 END), SUM(CASE WHEN {status} = 'never' THEN 1 "
            "ELSE 0 END), (SELECT COUNT(*) FROM (SELECT DISTINCT answering_id, instrument_type_code, service "
            "FROM in_force) d), (SELECT COUNT(*) FROM gaps), (SELECT COUNT(*) FROM stage_on_day "
            "WHERE stage IN ('signed', 'active')) FROM held h"
        ),
        "coverage_matrix": (
            f"{with_}SELECT p.code, f.instrument_type_code, f.service, COUNT(DISTINCT f.answering_id) "
            "FROM in_force f JOIN province p ON p.key = f.region_key GROUP BY p.code, f.instrument_type_code, f.service"
        ),
        "coverage_gaps": (
            f"{with_}SELECT * FROM (SELECT gap.*, f.code AS nearest, {distance} AS km, ROW_NUMBER() OVER "
            f"(PARTITION BY gap.key, gap.type_code ORDER BY {distance}) AS rank FROM gaps gap "
            "JOIN regions r ON r.key = gap.key LEFT JOIN in_force f ON f.instrument_type_code = gap.type_code "
            "AND f.service = 'verification') ranked WHERE rank = 1 ORDER BY population_thousands DESC, km DESC"
        ),
        "center_points": (
            f"{with_}SELECT c.id, c.code, c.name_vi, c.name_en, c.kind, c.lat, c.lon, p.name_vi, p.name_en, "
            "(SELECT SUM(n.n) FROM (" + counts_by_center + ") n WHERE n.answering_id = c.id), "
            "(SELECT MAX(g.stage) FROM stage_on_day g WHERE g.center_id = c.id) FROM center c "
            "JOIN answering w ON w.id = c.id JOIN province p ON p.key = w.region_key "
            "WHERE c.active_to IS NULL OR c.active_to >= :as_of"
        ),
        "coverage_grid": (
            f"{with_}SELECT r.code, r.name_vi, r.name_en, t.code, t.name_vi, t.name_en, (SELECT COUNT(DISTINCT "
            "f.answering_id) FROM in_force f WHERE f.region_key = r.key AND f.instrument_type_code = t.code) "
            "FROM regions r CROSS JOIN instrument_type t WHERE t.legally_controlled ORDER BY r.code"
        ),
        "pipeline_counts": f"{with_}SELECT stage, COUNT(*) FROM stage_on_day GROUP BY stage",
        "recent_changes": (
            f"{with_}SELECT w.code, COUNT(*), MAX(k.calibrated_on), 'calibrations' FROM calibration_record k "
            "JOIN equipment e ON e.id = k.equipment_id JOIN answering w ON w.id = e.center_id "
            "WHERE k.calibrated_on > :month_ago AND k.calibrated_on <= :as_of GROUP BY w.code "
            "UNION ALL SELECT w.code, 1, x.changed_on, x.stage FROM agreement_event x JOIN agreement g "
            "ON g.id = x.agreement_id JOIN answering w ON w.id = g.center_id "
            "WHERE x.changed_on > :month_ago AND x.changed_on <= :as_of "
            "UNION ALL SELECT '', 1, v.held_on, v.title_vi FROM event v WHERE v.held_on > :month_ago "
            "AND v.held_on <= :as_of"
        ),
        "equipment_page": (
            f"{with_}SELECT e.id, w.code, e.name, e.manufacturer, e.model, e.serial_no, d.name_vi, q.name_vi, "
            "e.range_min, e.range_max, e.range_unit, e.uncertainty_value, e.uncertainty_unit, "
            f"e.acquired_on, e.last_calibrated_on, h.next_due_on, {status}, COUNT(*) OVER () FROM held h "
            "JOIN equipment e ON e.id = h.id JOIN answering w ON w.id = e.center_id "
            "JOIN quantity q ON q.code = e.quantity_code JOIN measurement_field d ON d.code = q.field_code "
            "ORDER BY w.code, e.id LIMIT 50"
        ),
    }


def time_queries(url: str, repeat: int) -> list[dict[str, Any]]:
    from dateutil.relativedelta import relativedelta
    from sqlalchemy import text
    from sqlmodel import Session

    from services.calibration import status_counts
    from services.cooperation import pipeline_counts
    from services.coverage import coverage_gaps, coverage_grid, coverage_matrix
    from services.db import make_engine
    from services.equipment import equipment_page
    from services.filters import Filters
    from services.kpis import kpi_summary
    from services.overview import center_points, recent_changes

    engine = make_engine(url)
    with Session(engine) as session:
        from services.dataset import default_as_of

        filters = Filters(as_of=default_as_of(session, Filters().as_of))
    year_ago = replace(filters, as_of=filters.as_of - relativedelta(years=1))
    # name -> (the service's call, the filters it runs with, the floor's statement)
    services: dict[str, tuple[Callable[[Session], Any], Filters, str]] = {
        "status_counts": (lambda s: status_counts(s, filters), filters, "status_counts"),
        "kpi_summary": (lambda s: kpi_summary(s, filters), filters, "kpi_summary"),
        # the overview's cards compare with a year earlier: the certificate history, not the stored due date
        "kpi_summary_year_ago": (lambda s: kpi_summary(s, year_ago), year_ago, "kpi_summary"),
        "coverage_matrix": (lambda s: coverage_matrix(s, filters), filters, "coverage_matrix"),
        "coverage_gaps": (lambda s: coverage_gaps(s, filters), filters, "coverage_gaps"),
        "coverage_grid": (lambda s: coverage_grid(s, filters), filters, "coverage_grid"),
        "center_points": (lambda s: center_points(s, filters), filters, "center_points"),
        "pipeline_counts": (lambda s: pipeline_counts(s, filters), filters, "pipeline_counts"),
        "recent_changes": (lambda s: recent_changes(s, filters), filters, "recent_changes"),
        "equipment_page": (lambda s: equipment_page(s, filters), filters, "equipment_page"),
    }
    figures = []
    with Session(engine) as session:
        newest = session.execute(text("SELECT MAX(calibrated_on) FROM calibration_record")).scalar()
        for name, (service, scope, floor) in services.items():
            history = newest is not None and str(newest) > str(scope.as_of)
            sql = floors(scope.uses_merged_provinces(), history)[floor]
            params = {
                "as_of": scope.as_of,
                "soon": scope.as_of + timedelta(days=scope.due_window_days),
                "month_ago": scope.as_of - timedelta(days=30),
            }
            service(session)  # the first call warms the database's page cache for both figures
            service_s = median_seconds(lambda service=service: service(session), repeat)
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


def print_queries(queries: list[dict[str, Any]]) -> None:
    print(f"\n{'query':<22}{'service s':>11}{'floor s':>10}{'ratio':>8}")
    for row in queries:
        print(f"{row['name']:<22}{row['service_s']:>11.4f}{row['floor_s']:>10.4f}{row['ratio'] or 0:>8.1f}")


def print_table(report: dict[str, Any]) -> None:
    print(f"\n{report['engine']}, scale {report['scale']} — {report['machine']}")
    print(
        f"the app's modules imported in {report['import_s']:.2f} s (once per process, before the first page)"
    )
    print(f"{'page':<14}{'cold s':>9}{'warm s':>9}{'filter s':>10}")
    for row in report["pages"]:
        print(f"{row['page']:<14}{row['cold_s']:>9.2f}{row['warm_s']:>9.2f}{row['filter_change_s']:>10.2f}")
    print_queries(report["queries"])
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
    if args.queries_only:  # quick before/after comparisons of the services on a loaded machine
        print(started_on)
        print_queries(time_queries(url, args.repeat))
        return
    import_s = import_app_modules()
    pages, charts, tables = [], [], []
    for name, (script, params) in PAGES.items():
        figures, page_charts, page_tables = page_figures(name, script, params, args.repeat)
        pages.append(figures)
        charts += page_charts
        tables += page_tables
    report = {
        "machine": started_on,
        "engine": args.engine,
        "scale": args.scale,
        "import_s": round(import_s, 3),
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
