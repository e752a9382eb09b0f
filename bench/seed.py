"""Seed the demo network in a child process under ``/usr/bin/time -v`` and record wall time, CPU
time, peak RSS and row counts as a small JSON file.

    python -m bench.seed [--scale national|N] [--database-url URL] [--as-of YYYY-MM-DD] [--json FILE]

Without ``--database-url`` a fresh SQLite file in a temporary directory is seeded; a PostgreSQL URL
must name an empty database (``bash .ci/with-postgres .venv/bin/python -m bench.seed ...`` gives a
throwaway one through DATABASE_URL). The machine's load average before and after is recorded: on a
shared machine the wall time says more about the neighbours than about the seeder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import text

from services.db import make_engine
from services.seed import INSERT_ORDER

TIME_FIELDS = {
    "wall_s": (r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", "clock"),
    "user_s": (r"User time \(seconds\): (\S+)", "float"),
    "system_s": (r"System time \(seconds\): (\S+)", "float"),
    "peak_rss_mb": (r"Maximum resident set size \(kbytes\): (\d+)", "kb"),
    "cpu_percent": (r"Percent of CPU this job got: (\d+)%", "float"),
}
TARGETS = {"wall_s": 180.0, "peak_rss_mb": 1.5 * 1024}


def _seconds(clock: str) -> float:
    parts = [float(p) for p in clock.split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def parse_time_report(report: str) -> dict[str, float]:
    """The figures of ``/usr/bin/time -v`` this bench records."""
    figures: dict[str, float] = {}
    for name, (pattern, kind) in TIME_FIELDS.items():
        match = re.search(pattern, report)
        if match is None:
            raise ValueError(f"/usr/bin/time -v printed no {name!r} line")
        raw = match.group(1)
        value = _seconds(raw) if kind == "clock" else float(raw) / 1024 if kind == "kb" else float(raw)
        figures[name] = round(value, 1)
    return figures


def row_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                str(t.__tablename__): int(
                    connection.execute(text(f"SELECT COUNT(*) FROM {t.__tablename__}")).scalar_one()
                )
                for t in INSERT_ORDER
            }
    finally:
        engine.dispose()


def run(scale: str, url: str, as_of: str) -> dict[str, object]:
    load_before = os.getloadavg()
    command = [
        "/usr/bin/time",
        "-v",
        sys.executable,
        "-m",
        "services.seed",
        "--scale",
        scale,
        "--database-url",
        url,
        "--as-of",
        as_of,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"the seed failed:\n{finished.stderr[-3000:]}")
    figures = parse_time_report(finished.stderr)
    counts = row_counts(url)
    return {
        "machine": f"{platform.node()} ({os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()})",
        "engine": make_engine(url).dialect.name,
        "scale": scale,
        "as_of": as_of,
        **figures,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "targets": TARGETS,
        "within_targets": all(figures[k] <= v for k, v in TARGETS.items()),
        "rows": counts,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time the demo seeder and record its figures.")
    parser.add_argument("--scale", default="national")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--as-of", default="2026-11-30", type=lambda v: date.fromisoformat(v).isoformat())
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        result = run(args.scale, url, args.as_of)
    for key in (
        "engine",
        "scale",
        "wall_s",
        "user_s",
        "system_s",
        "cpu_percent",
        "peak_rss_mb",
        "load_average_before",
        "load_average_after",
        "within_targets",
    ):
        print(f"{key:>20}: {result[key]}")
    for table, count in result["rows"].items():  # type: ignore[union-attr]
        print(f"{table:>20}: {count:>10,}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
