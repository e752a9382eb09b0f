"""SQLite and PostgreSQL give the same answers: the seeder writes the same rows, every read service
returns the same values (and the same kinds of values) and the KPIs match to the last digit.

Both databases come from the ``seeded_urls`` fixture (the seeder run once per engine). Without a
PostgreSQL server these tests are skipped with the command that installs one; in CI (CI=true) they
fail instead.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import ColumnElement, Engine, Select, func, select
from sqlmodel import Session, SQLModel

import services
from services.db import make_engine
from services.filters import Boundaries, Filters
from services.kpis import kpi_summary
from services.models import Capability
from tests.conftest import IN_CI, INSTALL_HINT, POSTGRES_URL, SEED_DAY

SIGNIFICANT_DIGITS = 12  # float sums and averages may differ in the last bits between engines


@pytest.fixture(scope="module")
def engines(request: pytest.FixtureRequest) -> Iterator[dict[str, Engine]]:
    if not POSTGRES_URL:
        message = f"comparing SQLite with PostgreSQL needs a PostgreSQL server: {INSTALL_HINT}"
        if IN_CI:
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    seeded_urls: dict[str, str] = request.getfixturevalue("seeded_urls")
    opened = {kind: make_engine(url) for kind, url in seeded_urls.items()}
    yield opened
    for engine in opened.values():
        engine.dispose()


def plain(value: Any) -> Any:
    """A value reduced to what a page would show, tagged with its kind so str '2024-06-14' ≠ date."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.DataFrame):
        return {
            "columns": list(value.columns),
            "rows": [[plain(cell) for cell in row] for row in value.itertuples(index=False, name=None)],
        }
    if isinstance(value, pd.Series):
        return [plain(cell) for cell in value.tolist()]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, bool | np.bool_):
        return ("bool", bool(value))
    if isinstance(value, int | np.integer):
        return ("number", float(value))
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        if math.isnan(number):
            return None
        return ("number", float(f"{number:.{SIGNIFICANT_DIGITS}g}"))
    if isinstance(value, pd.Timestamp | datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, date):
        return ("date", value.isoformat())
    if isinstance(value, pd.Timedelta | timedelta):
        return ("timedelta", value.total_seconds())
    if isinstance(value, str):
        return ("str", value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return ("str", value.value)
    return ("other", repr(value))


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two plain values part, for a message a person can act on (order of rows aside)."""
    if type(left) is not type(right):
        return f"{path or 'value'}: {left!r:.200} ≠ {right!r:.200}"
    if isinstance(left, dict):
        if list(left) != list(right):
            return f"{path}: keys {list(left)} ≠ {list(right)}"
        for key in left:
            found = first_difference(left[key], right[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list):
        if len(left) != len(right):
            return f"{path}: {len(left)} items ≠ {len(right)} items"
        if left != right and sorted(left, key=repr) == sorted(right, key=repr):
            return None  # rows of a query without a complete ORDER BY: each engine picks an order
        for number, (a, b) in enumerate(zip(left, right, strict=True)):
            found = first_difference(a, b, f"{path}[{number}]")
            if found:
                return found
        return None
    return None if left == right else f"{path or 'value'}: {left!r:.200} ≠ {right!r:.200}"


def assert_same_on_both(engines: dict[str, Engine], call: Callable[[Session], Any]) -> Any:
    results = {}
    for kind, engine in engines.items():
        with Session(engine) as session:
            results[kind] = plain(call(session))
    difference = first_difference(results["sqlite"], results["postgresql"])
    assert difference is None, f"sqlite ≠ postgresql at {difference}"
    return results["sqlite"]


# -- the seeder ----------------------------------------------------------------------------------

TABLES = sorted(name for name in SQLModel.metadata.tables if name != "alembic_version")


def test_seeder_writes_identical_row_counts_on_both_engines(engines: dict[str, Engine]) -> None:
    counts = {}
    for kind, engine in engines.items():
        with engine.connect() as connection:
            counts[kind] = {
                name: connection.execute(
                    select(func.count()).select_from(SQLModel.metadata.tables[name])
                ).scalar_one()
                for name in TABLES
            }
    assert counts["sqlite"] == counts["postgresql"]
    assert counts["sqlite"]["equipment"] > 0 and counts["sqlite"]["calibration_record"] > 0


@pytest.mark.parametrize("table", TABLES)
def test_seeder_writes_identical_rows_on_both_engines(engines: dict[str, Engine], table: str) -> None:
    metadata_table = SQLModel.metadata.tables[table]
    order = list(metadata_table.primary_key) or list(metadata_table.columns)

    # the data version's lineage is random per database (services.data_version); its number is compared
    columns = [c for c in metadata_table.columns if (table, c.name) != ("data_version", "lineage")]

    def rows(session: Session) -> list[tuple]:
        return [tuple(row) for row in session.connection().execute(select(*columns).order_by(*order))]

    assert_same_on_both(engines, rows)


# -- the KPIs leadership reads -------------------------------------------------------------------

KPI_FILTERS = {
    "today": Filters(as_of=SEED_DAY),
    "ha-long-day": Filters(as_of=date(2024, 6, 14)),  # before the merger
    "today-2024-boundaries": Filters(as_of=SEED_DAY, boundaries=Boundaries.BEFORE_MERGER),
    "ha-noi": Filters(as_of=SEED_DAY, province="01"),
    "hai-duong-2024": Filters(as_of=date(2024, 6, 14), province="30"),  # merged into Hải Phòng in 2025
    "pressure-verification": Filters(as_of=SEED_DAY, field="P", service="verification"),
    "hai-phong-center-90-days": Filters(as_of=SEED_DAY, center="TTKT-31", due_window_days=90),
    "matches-nothing": Filters(as_of=SEED_DAY, instrument_type="__none__"),
}


@pytest.mark.parametrize("filters_name", list(KPI_FILTERS))
def test_kpi_summary_is_identical_on_both_engines(engines: dict[str, Engine], filters_name: str) -> None:
    filters = KPI_FILTERS[filters_name]
    summary = assert_same_on_both(engines, lambda session: kpi_summary(session, filters))
    assert summary["equipment"] is not None


# -- every read service --------------------------------------------------------------------------

SERVICE_FILTERS = {
    "today": Filters(as_of=SEED_DAY),
    "2024-hai-duong-pressure": Filters(as_of=date(2024, 6, 14), province="30", field="P"),
    "center-verification-after-merger": Filters(
        as_of=SEED_DAY, center="TTKT-31", service="verification", boundaries=Boundaries.AFTER_MERGER
    ),
}
NOT_READS = {
    "services.seed",
    "services.db",
    "services.auth",
    "services.editing",
    "services.imports",
    "services.audit",
    "services.certificates",
}


def read_services() -> list[tuple[str, Callable[..., Any]]]:
    """Every public ``f(session, filters, *, ...defaults)`` in services/: the reads pages call."""
    found = []
    for module_info in pkgutil.iter_modules(services.__path__, "services."):
        if module_info.name in NOT_READS:
            continue
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if [p.name for p in parameters[:2]] != ["session", "filters"]:
                continue
            if all(p.default is not inspect.Parameter.empty for p in parameters[2:]):
                found.append((f"{module.__name__.removeprefix('services.')}.{name}", function))
    return found


READS = read_services()


def test_the_engine_comparison_finds_the_read_services() -> None:
    names = {name for name, _ in READS}
    assert {
        "kpis.kpi_summary",
        "calibration.status_counts",
        "coverage.coverage_gaps",
        "cooperation.agreements",
        "overview.center_points",
    } <= names, sorted(names)


@pytest.mark.parametrize("filters_name", list(SERVICE_FILTERS))
@pytest.mark.parametrize(("name", "service"), READS, ids=[name for name, _ in READS])
def test_read_service_gives_the_same_answer_on_both_engines(
    engines: dict[str, Engine], name: str, service: Callable[..., Any], filters_name: str
) -> None:
    filters = SERVICE_FILTERS[filters_name]

    def answer(session: Session) -> Any:
        result = service(session, filters)
        # a service that builds a query for others to extend: compare what the query returns
        if isinstance(result, Select):
            return sorted((tuple(row) for row in session.execute(result)), key=repr)
        # a condition on capabilities for others to filter by (capability_state.in_force): the ids it keeps
        if isinstance(result, ColumnElement):
            return sorted(session.execute(select(Capability.id).where(result)).scalars())
        return result

    assert_same_on_both(engines, answer)


def keyword_reads() -> list[tuple[str, Callable[[Session], Any]]]:
    """Reads that need an argument besides the filters, called as their pages call them."""
    from services.coverage_page import due_calendar, service_matrix
    from services.equipment import equipment_page, measurement_ranges
    from services.finder import closest_misses, find_capable_centers

    today = Filters(as_of=SEED_DAY)
    return [
        *[
            (
                f"coverage_page.service_matrix[{code}]",
                lambda s, code=code: service_matrix(s, today, service_code=code),
            )
            for code in ("verification", "calibration", "testing")
        ],
        (
            "coverage_page.due_calendar[this month]",
            lambda s: due_calendar(s, today, year=SEED_DAY.year, month=SEED_DAY.month),
        ),
        (
            "equipment.measurement_ranges[instrument_type]",
            lambda s: measurement_ranges(s, today, by="instrument_type"),
        ),
        (
            "equipment.equipment_page[search, sorted]",
            lambda s: equipment_page(s, today, search="TTKT", descending=True, page=2, page_size=20),
        ),
        (
            "capabilities.find_capable_centers[0-60 MPa]",
            lambda s: find_capable_centers(s, today, quantity="pressure", range_text="0-60 MPa"),
        ),
        (
            "capabilities.closest_misses[0-60 MPa, 0.01 %]",
            lambda s: closest_misses(
                s, today, quantity="pressure", range_text="0-60 MPa", uncertainty_text="0.01 %"
            ),
        ),
    ]


@pytest.mark.parametrize(("name", "call"), keyword_reads(), ids=[name for name, _ in keyword_reads()])
def test_read_with_arguments_gives_the_same_answer_on_both_engines(
    engines: dict[str, Engine], name: str, call: Callable[[Session], Any]
) -> None:
    assert_same_on_both(engines, call)
