"""The benchmark's floors (bench/pages.py) compute what their services return, so a ratio is honest.

A floor that did less than its service (another holdings rule, no capability state) would make
every service look slow; one that did more would hide a slow one. Each is checked against its
service on the seeded demo network, on the demo day and a year before it (the certificate history).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.pages import floors
from services.calibration import status_counts
from services.cooperation import pipeline_counts
from services.coverage import coverage_gaps, coverage_grid, coverage_matrix
from services.filters import Filters
from services.kpis import kpi_summary
from services.overview import center_points, recent_changes
from tests.conftest import SEED_DAY


def floor_rows(session: Session, name: str, filters: Filters, history: bool = False) -> list[tuple]:
    statement = floors(filters.uses_merged_provinces(), history)[name]
    parameters = {
        "as_of": filters.as_of,
        "soon": filters.as_of + timedelta(days=filters.due_window_days),
        "month_ago": filters.as_of - timedelta(days=30),
    }
    return [tuple(row) for row in session.execute(text(statement), parameters).all()]


@pytest.mark.parametrize("years_back", [0, 1])
def test_kpi_floor_counts_what_the_cards_show(seeded_engine: Engine, years_back: int) -> None:
    filters = Filters(as_of=SEED_DAY - relativedelta(years=years_back))
    with Session(seeded_engine) as session:
        kpis = kpi_summary(session, filters)
        [floor] = floor_rows(session, "kpi_summary", filters, history=years_back > 0)
    centers, provinces, equipment, within, overdue, due_soon, never, capabilities, gaps, signed = floor
    assert (centers, provinces, equipment, overdue, due_soon, never) == (
        kpis.centers,
        kpis.provinces,
        kpis.equipment,
        kpis.overdue,
        kpis.due_soon,
        kpis.never_calibrated,
    )
    assert within / equipment == pytest.approx(kpis.in_date_share)
    assert (capabilities, gaps, signed) == (kpis.capabilities, kpis.gaps, kpis.agreements_signed)


def test_floors_return_the_rows_of_their_services(seeded_engine: Engine) -> None:
    filters = Filters(as_of=SEED_DAY)
    with Session(seeded_engine) as session:
        counts = status_counts(session, filters)
        assert sorted(row[:3] for row in floor_rows(session, "status_counts", filters)) == sorted(
            map(tuple, counts[["center_id", "status", "equipment"]].to_numpy().tolist())
        )
        matrix = coverage_matrix(session, filters)
        assert sorted(floor_rows(session, "coverage_matrix", filters)) == sorted(
            map(tuple, matrix.to_numpy().tolist())
        )
        grid = coverage_grid(session, filters)
        assert sorted(
            (row[0], row[3], row[6]) for row in floor_rows(session, "coverage_grid", filters)
        ) == sorted(zip(grid["region_code"], grid["instrument_type_code"], grid["centers"], strict=True))
        gaps = coverage_gaps(session, filters)
        # equal populations and distances may come in either order, and equally near centers either way
        assert sorted(
            (row[1], row[5], round(row[9], 1)) for row in floor_rows(session, "coverage_gaps", filters)
        ) == sorted(zip(gaps["region_code"], gaps["instrument_type_code"], gaps["distance_km"], strict=True))
        points = center_points(session, filters)
        assert sorted(
            (row[0], int(row[9] or 0), row[10]) for row in floor_rows(session, "center_points", filters)
        ) == sorted(
            zip(
                points["center_id"],
                points["equipment"],
                [None if pd.isna(stage) else stage for stage in points["stage"]],
                strict=True,
            )
        )
        pipeline = pipeline_counts(session, filters)
        assert dict(floor_rows(session, "pipeline_counts", filters)) == {
            stage: count
            for stage, count in zip(pipeline["stage"], pipeline["agreements"], strict=True)
            if count
        }
        recent = recent_changes(session, filters)
        floor_recent = floor_rows(session, "recent_changes", filters)
        assert len(floor_recent) == len(recent)
        assert sum(row[1] for row in floor_recent) == recent["count"].sum()
