"""Capabilities follow their standards on a hand-built network (tests/tiny_network.py, with links).

Before the merger (01/06/2025) OVERDUE-1 and SOON-1 are both in date; at AS_OF (15/01/2026)
OVERDUE-1 is overdue and SOON-1 due in 15 days. C-TQ verifies pressure gauges with OVERDUE-1 alone
and calibrates them with both; IMTS's thermometer calibration names no standard.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services.capability_state import capability_states, links_recorded
from services.coverage import capabilities_by_center, coverage_gaps
from services.filters import Boundaries, Filters
from services.finder import closest_misses, find_capable_centers
from services.kpis import kpi_summary
from services.network_loss import network_loss
from services.profile import capability_standards, center_summary
from tests import tiny_network
from tests.tiny_network import AS_OF, BEFORE_MERGER

NOW = Filters(as_of=AS_OF)
BEFORE = Filters(as_of=BEFORE_MERGER)


@pytest.fixture
def linked(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
        ids |= tiny_network.link_standards(session, ids)
    return engine, ids


def states(engine: Engine, filters: Filters) -> dict[int, str]:
    with Session(engine) as session:
        frame = capability_states(session, filters)
    return dict(zip(frame["capability_id"], frame["state"], strict=True))


def test_without_any_link_recorded_every_capability_counts(engine: Engine) -> None:
    with Session(engine) as session:
        tiny_network.build(session)
        assert not links_recorded(session)
        assert set(capability_states(session, NOW)["state"]) == {"in_force"}


def test_a_standard_going_overdue_suspends_exactly_what_it_alone_supported(linked) -> None:  # type: ignore[no-untyped-def]
    engine, ids = linked
    assert states(engine, BEFORE) == {
        ids["tq_verification"]: "at_risk",  # one standard only
        ids["tq_calibration"]: "in_force",
        ids["imts_thermometer"]: "suspended",
    }  # no standard at all
    assert states(engine, NOW) == {
        ids["tq_verification"]: "suspended",
        ids["tq_calibration"]: "at_risk",  # SOON-1 alone in date
        ids["imts_thermometer"]: "suspended",
    }


def test_all_in_date_standards_due_within_the_window_put_a_capability_at_risk(linked) -> None:  # type: ignore[no-untyped-def]
    engine, ids = linked
    # on 10/11/2025 both are in date; OVERDUE-1 falls due on 01/12/2025, SOON-1 on 30/01/2026
    from datetime import date

    day = date(2025, 11, 10)
    assert states(engine, Filters(as_of=day))[ids["tq_calibration"]] == "in_force"
    assert states(engine, Filters(as_of=day, due_window_days=90))[ids["tq_calibration"]] == "at_risk"


def test_coverage_counts_only_capabilities_in_force_and_the_gap_opens(linked) -> None:  # type: ignore[no-untyped-def]
    engine, _ = linked
    with Session(engine) as session:
        before = capabilities_by_center(session, BEFORE)
        now = capabilities_by_center(session, NOW)
        gaps_before = coverage_gaps(session, Filters(as_of=BEFORE_MERGER, boundaries=Boundaries.AFTER_MERGER))
        gaps_now = coverage_gaps(session, NOW)
    assert set(zip(before["center_code"], before["service"], strict=True)) == {
        ("C-TQ", "verification"),
        ("C-TQ", "calibration"),
    }
    assert set(zip(now["center_code"], now["service"], strict=True)) == {("C-TQ", "calibration")}
    pairs = lambda gaps: set(zip(gaps["region_code"], gaps["instrument_type_code"], strict=True))  # noqa: E731
    # the one gap the overdue standard opens: Tuyên Quang's pressure gauges, nobody else verifies them
    assert pairs(gaps_now) - pairs(gaps_before) == {("08", "pressure_gauge")}
    opened = gaps_now[gaps_now["instrument_type_code"] == "pressure_gauge"]
    assert opened["nearest_center"].isna().all()


def test_kpis_and_the_profile_count_only_capabilities_in_force(linked) -> None:  # type: ignore[no-untyped-def]
    engine, ids = linked
    with Session(engine) as session:
        assert kpi_summary(session, NOW).capabilities == 1
        assert kpi_summary(session, BEFORE).capabilities == 2
        summary = center_summary(session, Filters(as_of=AS_OF, center="C-TQ"))
        backing = capability_standards(session, Filters(as_of=AS_OF, center="C-TQ"))
    assert summary is not None and (summary.capabilities, summary.designated_capabilities) == (1, 0)
    rows = set(
        zip(
            backing["capability_id"],
            backing["equipment_id"],
            backing["status"],
            backing["in_date"],
            backing["state"],
            strict=True,
        )
    )
    assert rows == {
        (ids["tq_verification"], ids["overdue"], "overdue", False, "suspended"),
        (ids["tq_calibration"], ids["overdue"], "overdue", False, "at_risk"),
        (ids["tq_calibration"], ids["due_soon"], "due_soon", True, "at_risk"),
    }


def test_the_finder_stops_offering_a_suspended_capability_that_day(linked) -> None:  # type: ignore[no-untyped-def]
    engine, ids = linked
    ask = {"instrument_type": "pressure_gauge", "range_text": "0–60 MPa", "service": "verification"}
    with Session(engine) as session:
        assert list(find_capable_centers(session, BEFORE, **ask)["capability_id"]) == [ids["tq_verification"]]
        assert find_capable_centers(session, NOW, **ask).empty
        misses = closest_misses(session, NOW, **ask).set_index("capability_id")
    assert not misses.loc[ids["tq_verification"], "in_force"]
    assert misses.loc[ids["tq_verification"], "explanation_en"] == (
        "This capability of Tuyen Quang center (C-TQ) is suspended: its standards are out of date."
    )
    assert "tạm ngừng" in misses.loc[ids["tq_verification"], "explanation_vi"]


def test_what_the_network_loses_lists_the_suspensions_and_the_gap(linked) -> None:  # type: ignore[no-untyped-def]
    engine, ids = linked
    view = Filters(as_of=BEFORE_MERGER, boundaries=Boundaries.AFTER_MERGER)
    with Session(engine) as session:
        loss = network_loss(session, view, standard_id=ids["overdue"])
        later = network_loss(session, NOW, standard_id=ids["due_soon"])
    assert loss is not None and later is not None
    # OVERDUE-1 alone keeps the verification in force; the calibration still has SOON-1
    assert list(loss.suspended["capability_id"]) == [ids["tq_verification"]]
    assert list(loss.suspended["state_now"]) == ["at_risk"]
    assert loss.suspended["nearest_center"].isna().all()  # nobody else verifies pressure gauges
    assert set(zip(loss.gaps["region_code"], loss.gaps["instrument_type_code"], strict=True)) == {
        ("08", "pressure_gauge")
    }
    assert loss.suspect_chain.empty  # its latest certificate passed
    # at AS_OF SOON-1 is the calibration's last standard in date; the verification is suspended already
    assert list(later.suspended["capability_id"]) == [ids["tq_calibration"]]
    assert later.gaps.empty
