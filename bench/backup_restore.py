"""Time and size of a whole-database backup and its restore, SQLite to SQLite (and PostgreSQL when DATABASE_URL names one).

    python -m bench.backup_restore [--scale N]

Seeds a demo network into a temporary SQLite file, dumps it (services.backup), restores the dump
into a brand-new database on each engine, and prints wall-clock seconds, the file's size and its
unpacked size; writes the figures to bench/results/backup_restore.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time
import uuid
import zipfile
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services import backup
from services.db import make_engine
from services.seed import seed

AS_OF = date(2026, 11, 30)
RESULTS = Path(__file__).resolve().parent / "results" / "backup_restore.json"


def _timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def _postgres_target() -> tuple[str, object] | None:
    url = os.environ.get("DATABASE_URL", "")
    if "postgresql" not in url:
        return None
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(url).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    ), admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    figures: dict[str, object] = {"scale": args.scale, "as_of": AS_OF.isoformat()}
    with tempfile.TemporaryDirectory() as directory:
        source = make_engine(f"sqlite:///{Path(directory) / 'source.db'}")
        seed(source, scale=args.scale, as_of=AS_OF)
        (data, summary), figures["dump_seconds"] = _timed(lambda: backup.dump_bytes(source))
        figures["rows"] = summary.total_rows
        figures["file_mb"] = round(len(data) / 1e6, 2)
        figures["unpacked_mb"] = round(
            sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist()) / 1e6, 2
        )
        target = make_engine(f"sqlite:///{Path(directory) / 'target.db'}")
        _, figures["restore_sqlite_seconds"] = _timed(lambda: backup.restore(target, data))
        target.dispose()
        postgres = _postgres_target()
        if postgres is not None:
            url, admin = postgres
            target = make_engine(url)
            _, figures["restore_postgresql_seconds"] = _timed(lambda: backup.restore(target, data))
            target.dispose()
            with admin.connect() as connection:  # type: ignore[attr-defined]
                connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
        source.dispose()
    for name, value in figures.items():
        print(f"{name:>28}: {round(value, 2) if isinstance(value, float) else value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
