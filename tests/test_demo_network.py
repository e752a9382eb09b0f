"""The seeded demo network read as an official of the network would: same rows on any seed day,
calibration chains that make physical sense, the 2025 merger done right, services as the law frames them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from services.db import make_engine
from services.demo.cooperation import HA_LONG_DAY, HAI_PHONG_CENTER, SOURCE_URL
from services.demo.equipment import HISTORY_START
from services.filters import Filters
from services.intervals import interval_in_force, verification_due_on
from services.network import centers_frame
from services.seed import seed
from services.standard_fit import can_calibrate
from tests.conftest import SEED_DAY

EARLIER_DAY = date(2025, 3, 31)  # before the merger and the interval change's first anniversary
MERGER_DAY = date(2025, 7, 1)

# table -> (column that dates a row, columns that describe the seed day itself, not the row's past)
DATED_TABLES = {
    "equipment": ("acquired_on", {"status", "last_calibrated_on", "next_due_on"}),
    "equipment_status_period": ("start_on", {"end_on"}),
    "calibration_record": ("calibrated_on", set()),
    "service_volume": ("month", set()),
    "agreement": ("proposed_on", {"stage", "signed_on", "expires_on"}),
    "agreement_event": ("changed_on", set()),
    "event": ("held_on", set()),
}
UNDATED_TABLES = ("province", "center", "center_name_history", "instrument_type", "capability", "app_user")


@pytest.fixture(scope="module")
def earlier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("earlier") / "earlier.db"
    database = make_engine(f"sqlite:///{path}")
    seed(database, as_of=EARLIER_DAY)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def later(seeded_urls: dict[str, str]) -> Iterator[Engine]:
    database = make_engine(seeded_urls["sqlite"])
    yield database
    database.dispose()


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _columns(engine: Engine, table: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(f"SELECT * FROM {table} LIMIT 0")).keys())


@pytest.mark.parametrize("table", list(DATED_TABLES))
def test_a_later_seed_day_keeps_every_row_dated_on_or_before_the_earlier_day(
    table: str, earlier: Engine, later: Engine
) -> None:
    dated_by, snapshot = DATED_TABLES[table]
    columns = ", ".join(c for c in _columns(earlier, table) if c not in snapshot)
    sql = f"SELECT {columns} FROM {table} WHERE {dated_by} <= :day ORDER BY id"
    before, after = _rows(earlier, sql, day=EARLIER_DAY), _rows(later, sql, day=EARLIER_DAY)
    assert before, f"no {table} rows dated up to {EARLIER_DAY}"
    assert before == after


@pytest.mark.parametrize("table", UNDATED_TABLES)
def test_undated_tables_are_the_same_on_any_seed_day(table: str, earlier: Engine, later: Engine) -> None:
    sql = f"SELECT * FROM {table} ORDER BY 1"
    assert _rows(earlier, sql) == _rows(later, sql)


def test_each_database_records_the_day_it_describes(earlier: Engine, later: Engine) -> None:
    sql = "SELECT value FROM dataset_info WHERE key = 'demo_as_of'"
    assert _rows(earlier, sql) == [(EARLIER_DAY.isoformat(),)]
    assert _rows(later, sql) == [(SEED_DAY.isoformat(),)]


def test_the_equipment_snapshot_matches_its_certificate_history(later: Engine) -> None:
    mismatches = _rows(
        later,
        """
        SELECT e.id FROM equipment e
        LEFT JOIN calibration_record c ON c.id = (
            SELECT c2.id FROM calibration_record c2 WHERE c2.equipment_id = e.id
            ORDER BY c2.calibrated_on DESC, c2.id DESC LIMIT 1)
        WHERE COALESCE(e.last_calibrated_on, '') != COALESCE(c.calibrated_on, '')
           OR COALESCE(e.next_due_on, '') != COALESCE(c.due_on, '')""",
    )
    assert mismatches == []


# calibration chains ----------------------------------------------------------------------------
_EQUIPMENT = """SELECT id, quantity_code, range_min_si, range_max_si, uncertainty_value, uncertainty_unit,
                       uncertainty_relative, is_reference_standard, center_id FROM equipment"""


def _equipment(engine: Engine) -> dict[int, dict[str, object]]:
    keys = [
        "id",
        "quantity_code",
        "range_min_si",
        "range_max_si",
        "uncertainty_value",
        "uncertainty_unit",
        "uncertainty_relative",
        "is_reference_standard",
        "center_id",
    ]
    return {row[0]: dict(zip(keys, row, strict=True)) for row in _rows(engine, _EQUIPMENT)}


def test_every_certificates_standard_covers_the_item_with_a_ratio_of_at_least_4(later: Engine) -> None:
    equipment = _equipment(later)
    pairs = _rows(
        later,
        "SELECT id, equipment_id, standard_used_id FROM calibration_record "
        "WHERE standard_used_id IS NOT NULL",
    )
    unfit = [
        cert for cert, item, standard in pairs if not can_calibrate(equipment[standard], equipment[item])
    ]
    assert len(pairs) > 1000
    assert unfit == []


def test_most_certificates_issued_in_the_network_name_their_standard(later: Engine) -> None:
    ((total, named),) = _rows(
        later,
        "SELECT COUNT(*), SUM(CASE WHEN standard_used_id IS NULL THEN 0 ELSE 1 END) "
        "FROM calibration_record WHERE provider_center_id IS NOT NULL",
    )
    assert named / total > 0.95


def test_no_certificate_states_an_uncertainty_of_zero(later: Engine) -> None:
    assert _rows(
        later, "SELECT COUNT(*) FROM calibration_record WHERE uncertainty IS NULL OR uncertainty <= 0"
    ) == [(0,)]


def test_national_standards_are_calibrated_abroad_and_standards_by_a_higher_level(later: Engine) -> None:
    vmi_refs = _rows(
        later,
        """
        SELECT DISTINCT c.provider_name FROM calibration_record c JOIN equipment e ON e.id = c.equipment_id
        JOIN center k ON k.id = e.center_id WHERE k.code = 'VMI' AND e.is_reference_standard
          AND c.provider_center_id IS NULL""",
    )
    assert {name for (name,) in vmi_refs} <= {
        "BIPM",
        "PTB (Germany)",
        "KRISS (Korea)",
        "NMIJ (Japan)",
        "NIST (USA)",
    }
    # a provincial center's reference standard is calibrated by VMI or IMTS, never by itself
    own = _rows(
        later,
        """
        SELECT COUNT(*) FROM calibration_record c JOIN equipment e ON e.id = c.equipment_id
        JOIN center k ON k.id = e.center_id
        WHERE e.is_reference_standard AND k.kind != 'national_institute'
          AND c.provider_center_id IS NOT NULL AND c.provider_center_id NOT IN
              (SELECT id FROM center WHERE kind = 'national_institute')""",
    )
    assert own == [(0,)]


def test_reference_standards_get_their_first_certificate_when_acquired(later: Engine) -> None:
    late = _rows(
        later,
        """
        SELECT e.id FROM equipment e WHERE e.is_reference_standard AND e.acquired_on >= :start
          AND NOT EXISTS (SELECT 1 FROM calibration_record c WHERE c.equipment_id = e.id
                          AND c.calibrated_on = e.acquired_on)""",
        start=HISTORY_START,
    )
    assert late == []


def test_certified_reference_materials_are_lots_with_one_producer_certificate(later: Engine) -> None:
    lots = _rows(
        later,
        """
        SELECT e.id, COUNT(c.id), MAX(c.provider_center_id) FROM equipment e
        JOIN calibration_record c ON c.equipment_id = e.id
        WHERE e.serial_no LIKE 'LOT-%' GROUP BY e.id""",
    )
    assert lots
    assert {(count, provider) for _id, count, provider in lots} == {(1, None)}


def test_ionizing_radiation_only_at_vmi_and_at_most_two_labs(later: Engine) -> None:
    holders = _rows(
        later,
        """
        SELECT DISTINCT k.code, k.kind FROM equipment e JOIN quantity q ON q.code = e.quantity_code
        JOIN center k ON k.id = e.center_id WHERE q.field_code = 'RI'""",
    )
    assert {code for code, kind in holders if kind != "lab"} <= {"VMI"}
    assert len([code for code, kind in holders if kind == "lab"]) <= 2


def test_certificates_are_due_after_the_equipments_own_interval(later: Engine) -> None:
    rows = _rows(
        later,
        """
        SELECT c.calibrated_on, c.due_on, c.result, e.calibration_interval_months, e.serial_no
        FROM calibration_record c JOIN equipment e ON e.id = c.equipment_id""",
    )
    from dateutil.relativedelta import relativedelta

    wrong = []
    for calibrated_on, due_on, result, months, serial in rows:
        calibrated, due = date.fromisoformat(str(calibrated_on)), date.fromisoformat(str(due_on))
        expected = calibrated if result == "fail" else calibrated + relativedelta(months=months)
        if due != expected:
            wrong.append((serial, calibrated, due))
    assert wrong == []


# the 2025 merger ---------------------------------------------------------------------------
def test_closed_centers_issue_host_and_do_nothing_after_closing(later: Engine) -> None:
    closed = "SELECT id, active_to FROM center WHERE active_to IS NOT NULL"
    certificates = _rows(
        later,
        f"""SELECT COUNT(*) FROM calibration_record c JOIN ({closed}) k
                                   ON k.id = c.provider_center_id WHERE c.calibrated_on > k.active_to""",
    )
    events = _rows(
        later,
        f"""SELECT COUNT(*) FROM event_participant p JOIN ({closed}) k ON k.id = p.center_id
                             JOIN event e ON e.id = p.event_id WHERE e.held_on > k.active_to""",
    )
    volumes = _rows(
        later,
        f"""SELECT COUNT(*) FROM service_volume v JOIN ({closed}) k ON k.id = v.center_id
                              WHERE v.month > k.active_to""",
    )
    assert (certificates, events, volumes) == ([(0,)], [(0,)], [(0,)])


def test_network_monthly_totals_run_on_across_the_merger(later: Engine) -> None:
    totals = dict(_rows(later, "SELECT month, SUM(count) FROM service_volume GROUP BY month ORDER BY month"))
    by_month = {date.fromisoformat(str(month)): int(total) for month, total in totals.items()}
    june, july = by_month[date(2025, 6, 1)], by_month[date(2025, 7, 1)]
    # June and July have the same seasonal weight: only noise separates them
    assert abs(july - june) / june < 0.05
    # and the step is no larger than the usual step between two months of equal weight
    steps = [
        abs(by_month[date(y, 7, 1)] - by_month[date(y, 6, 1)]) / by_month[date(y, 6, 1)]
        for y in (2022, 2023, 2024)
    ]
    assert abs(july - june) / june <= max(steps) + 0.03


def test_centers_are_named_by_period(later: Engine) -> None:
    renamed = _rows(
        later,
        "SELECT c.code, h.name_vi, c.name_vi FROM center_name_history h JOIN center c ON c.id = h.center_id",
    )
    assert {code for code, _old, _new in renamed} >= {"TTKT-15", "TTKT-24"}
    from sqlmodel import Session

    with Session(later) as session:
        in_2024 = centers_frame(session, Filters(as_of=date(2024, 6, 14))).set_index("code")
        in_2026 = centers_frame(session, Filters(as_of=SEED_DAY)).set_index("code")
    for code, old, new in renamed:
        assert in_2024.loc[code, "name_vi"] == old
        assert in_2026.loc[code, "name_vi"] == new
    assert "Lào Cai" in in_2026.loc["TTKT-15", "name_vi"] and "Yên Bái" in in_2024.loc["TTKT-15", "name_vi"]
    assert (
        "Bắc Ninh" in in_2026.loc["TTKT-24", "name_vi"] and "Bắc Giang" in in_2024.loc["TTKT-24", "name_vi"]
    )


# services as the law frames them ------------------------------------------------------------
def test_only_legally_controlled_types_are_verified_and_by_designated_centers(later: Engine) -> None:
    wrong = _rows(
        later,
        """SELECT COUNT(*) FROM capability c JOIN instrument_type t ON t.code = c.instrument_type_code
                           WHERE c.service = 'verification' AND (NOT t.legally_controlled OR NOT c.designated)""",
    )
    accredited_verification = _rows(
        later, "SELECT COUNT(*) FROM capability WHERE service = 'verification' AND accredited"
    )
    assert (wrong, accredited_verification) == ([(0,)], [(0,)])


def test_verification_is_the_bulk_of_the_work_on_group_2_instruments(later: Engine) -> None:
    volumes = dict(
        _rows(
            later,
            """SELECT v.service, SUM(v.count) FROM service_volume v
                                  JOIN instrument_type t ON t.code = v.instrument_type_code
                                  WHERE t.legally_controlled GROUP BY v.service""",
        )
    )
    assert volumes["verification"] > 4 * (volumes.get("calibration", 0) + volumes.get("testing", 0))


def test_vmi_verifies_little(later: Engine) -> None:
    ((vmi,),) = _rows(
        later,
        """SELECT COALESCE(SUM(v.count), 0) FROM service_volume v JOIN center c ON c.id = v.center_id
                             WHERE c.code = 'VMI' AND v.service = 'verification' AND v.month >= '2026-01-01'""",
    )
    ((network,),) = _rows(
        later,
        "SELECT SUM(count) FROM service_volume WHERE service = 'verification' AND month >= '2026-01-01'",
    )
    assert vmi < 0.01 * network


def test_labs_work_only_in_their_own_fields(later: Engine) -> None:
    from services.demo.spec import centers

    fields = {c.code: c.fields for c in centers() if c.kind == "lab"}
    offered = _rows(
        later,
        """SELECT k.code, q.field_code FROM capability c JOIN center k ON k.id = c.center_id
                             JOIN instrument_type t ON t.code = c.instrument_type_code
                             JOIN quantity q ON q.code = t.quantity_code WHERE k.kind = 'lab'""",
    )
    assert offered
    assert [(code, field) for code, field in offered if field not in fields[code]] == []


def test_the_longer_taximeter_interval_lowers_its_monthly_verifications(later: Engine) -> None:
    by_month = dict(
        _rows(
            later,
            """SELECT month, SUM(count) FROM service_volume
                                   WHERE instrument_type_code = 'taximeter' AND service = 'verification'
                                   GROUP BY month""",
        )
    )
    sept_2024, sept_2025 = by_month.get("2024-09-01"), by_month.get("2025-09-01")
    assert sept_2024 and sept_2025
    assert sept_2025 < 0.8 * sept_2024  # 12 → 18 months: about two thirds as many due each month


def test_the_interval_in_force_is_the_one_of_the_verification_day() -> None:
    assert interval_in_force(18, 12, date(2024, 10, 14)) == 12
    assert interval_in_force(18, 12, date(2024, 10, 15)) == 18
    assert verification_due_on(24, 12, date(2024, 10, 1)) == date(2025, 10, 1)
    assert verification_due_on(24, 12, date(2024, 11, 1)) == date(2026, 11, 1)
    assert verification_due_on(None, None, date(2024, 11, 1)) is None  # verified once: never due


# the one real record ---------------------------------------------------------------------------
def test_the_real_contract_says_only_what_the_source_says(later: Engine) -> None:
    real = _rows(
        later,
        """SELECT a.id, a.stage, a.signed_on, a.scope_fields, a.expires_on, a.source, k.code
                          FROM agreement a JOIN center k ON k.id = a.center_id WHERE NOT a.is_demo""",
    )
    assert len(real) == 1
    agreement_id, stage, signed_on, scope, expires_on, source, center = real[0]
    assert (stage, str(signed_on), scope, expires_on, source, center) == (
        "signed",
        HA_LONG_DAY.isoformat(),
        "",
        None,
        SOURCE_URL,
        HAI_PHONG_CENTER,
    )
    assert _rows(
        later, "SELECT stage, changed_on FROM agreement_event WHERE agreement_id = :a", a=agreement_id
    ) == [("signed", HA_LONG_DAY.isoformat())]


def test_the_conference_lists_only_the_participants_the_source_names(later: Engine) -> None:
    participants = _rows(
        later,
        """SELECT e.kind, k.code FROM event e JOIN event_participant p ON p.event_id = e.id
                                  JOIN center k ON k.id = p.center_id WHERE NOT e.is_demo ORDER BY e.kind, k.code""",
    )
    assert participants == [
        ("conference", "IMTS"),
        ("conference", HAI_PHONG_CENTER),
        ("signing", "IMTS"),
        ("signing", HAI_PHONG_CENTER),
    ]


# capabilities backed by standards --------------------------------------------------------------
def test_a_later_seed_day_keeps_every_capability_standard_of_the_earlier_day(
    earlier: Engine, later: Engine
) -> None:
    sql = """SELECT l.capability_id, l.equipment_id FROM capability_standard l
             JOIN equipment e ON e.id = l.equipment_id WHERE e.acquired_on <= :day ORDER BY 1, 2"""
    before, after = _rows(earlier, sql, day=EARLIER_DAY), _rows(later, sql, day=EARLIER_DAY)
    assert before and before == after
    assert len(_rows(later, "SELECT * FROM capability_standard")) >= len(before)


def test_every_capability_standard_belongs_to_its_center_and_serves_its_type(later: Engine) -> None:
    """A standard of the type's own quantity carries the type; one of another quantity (a volume can
    behind a fuel-dispenser capability) carries none, as the equipment import would have it."""
    wrong = _rows(
        later,
        """
        SELECT l.capability_id, l.equipment_id FROM capability_standard l
        JOIN capability c ON c.id = l.capability_id JOIN equipment e ON e.id = l.equipment_id
        JOIN instrument_type t ON t.code = c.instrument_type_code
        WHERE e.center_id != c.center_id OR e.acquired_on > :day
           OR NOT (e.instrument_type_code = c.instrument_type_code
                   OR (e.instrument_type_code IS NULL AND e.quantity_code != t.quantity_code))""",
        day=SEED_DAY,
    )
    assert wrong == []
    ((linked,),) = _rows(later, "SELECT COUNT(DISTINCT capability_id) FROM capability_standard")
    ((total,),) = _rows(later, "SELECT COUNT(*) FROM capability")
    assert linked / total > 0.8  # the rest: the center's standard for the type is bought later


def test_every_capability_lies_within_its_standards_and_is_no_better_than_the_best(later: Engine) -> None:
    from services.finder import capability_uncertainty
    from services.seed import standard_span

    rows = _rows(
        later,
        """
        SELECT c.id, c.range_min_si, c.range_max_si, c.uncertainty_value, c.uncertainty_unit, c.uncertainty_relative,
               e.range_min_si, e.range_max_si, e.uncertainty_value, e.uncertainty_unit, e.uncertainty_relative
        FROM capability c JOIN capability_standard l ON l.capability_id = c.id JOIN equipment e ON e.id = l.equipment_id
        JOIN instrument_type t ON t.code = c.instrument_type_code
        WHERE e.quantity_code = t.quantity_code""",
    )  # another quantity's standard cannot bound the range
    spans: dict[int, list[tuple[float, float]]] = {}
    best: dict[int, list[object]] = {}
    capability: dict[int, tuple] = {}
    for cid, low, high, value, unit, relative, s_low, s_high, s_value, s_unit, s_relative in rows:
        capability[cid] = (low, high, value, unit, relative)
        spans.setdefault(cid, []).append(standard_span(s_low, s_high))
        best.setdefault(cid, []).append(capability_uncertainty(s_value, s_unit, bool(s_relative)))
    outside, better = [], []
    for cid, (low, high, value, unit, relative) in capability.items():
        covered = sorted(spans[cid])
        merged = [list(covered[0])]
        for a, b in covered[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        tol = 1e-6 * max(abs(low), abs(high), 1e-30)
        if not any(a - tol <= low and high <= b + tol for a, b in merged):
            outside.append(cid)
        own = capability_uncertainty(value, unit, bool(relative))
        ends = [x for x in (low, high) if x != 0] if relative else [low, high]
        if any(own.at(x) < min(s.at(x) for s in best[cid]) * (1 - 1e-6) for x in ends):
            better.append(cid)
    assert len(capability) > 500
    assert outside == []
    assert better == []


# figures of a past day ------------------------------------------------------------------------------
def test_the_earlier_days_figures_are_the_same_in_a_database_seeded_later(
    earlier: Engine, later: Engine
) -> None:
    """What a page shows for 31/03/2025 does not depend on the day the demo was seeded: items
    retired or repaired since count as they stood then (equipment_status_period)."""
    from services.calibration import status_counts
    from services.capability_state import capability_states
    from services.equipment import age_profile
    from services.filters import Filters

    filters = Filters(as_of=EARLIER_DAY)
    for view in (status_counts, age_profile):
        with Session(earlier) as first, Session(later) as second:
            before, after = view(first, filters), view(second, filters)
        assert before.equals(after), view.__name__
    with Session(earlier) as first, Session(later) as second:
        columns = ["capability_id", "state"]
        before = (
            capability_states(first, filters)[columns].sort_values("capability_id").reset_index(drop=True)
        )
        after = (
            capability_states(second, filters)[columns].sort_values("capability_id").reset_index(drop=True)
        )
    assert before.equals(after)


def test_a_centers_exported_equipment_imports_into_a_fresh_database(
    later: Engine, tmp_path: Path, cheap_password_hashes: None
) -> None:
    """Every demo equipment row passes the equipment import's checks: a volume can serving fuel
    dispensers is volume equipment, a resistance box serving multimeters resistance equipment, not
    equipment of a type of another quantity, which the import refuses."""
    from sqlalchemy import insert, select, update

    from services import editing, imports
    from services import models as m
    from services.auth import create_user
    from services.db import upgrade_schema
    from services.spreadsheet_safety import comment_line, frame_to_csv

    (code, center_id), *_ = _rows(
        later,
        "SELECT c.code, c.id FROM center c JOIN equipment e ON e.center_id = c.id "
        "WHERE e.quantity_code = 'volume' AND c.active_to IS NULL GROUP BY c.code, c.id "
        "ORDER BY COUNT(*) DESC, c.code",
    )
    with Session(later) as session:
        exported = editing.center_equipment(session, center_id=center_id)
    assert "volume" in set(exported["quantity"])  # the rows the seed once typed as flow-rate meters
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade_schema(fresh)
    reference = (m.Province, m.MeasurementField, m.Quantity, m.InstrumentType, m.Center)
    with later.connect() as source, fresh.begin() as target:
        for table in reference:
            rows = [dict(row._mapping) for row in source.execute(select(table.__table__))]  # type: ignore[attr-defined]
            successors = {row["id"]: row.pop("successor_id") for row in rows} if table is m.Center else {}
            target.execute(insert(table.__table__), rows)  # type: ignore[attr-defined]
            for row_id, successor in successors.items():
                if successor is not None:
                    target.execute(
                        update(m.Center.__table__)
                        .where(m.Center.__table__.c.id == row_id)
                        .values(successor_id=successor)
                    )  # type: ignore[attr-defined]
    with Session(fresh) as session:
        create_user(session, username="importer", password="a long import passphrase", role=m.Role.ADMIN)
        session.commit()
    columns = [column.name for column in imports.EQUIPMENT_COLUMNS]
    data = comment_line("Made 30/11/2026; filters: none") + frame_to_csv(exported[columns])
    with Session(fresh) as session:
        result = imports.import_equipment_csv(
            session, data.encode("utf-8-sig"), center_code=code, username="importer", today=SEED_DAY
        )
    assert result.ok, [problem.located("en") for problem in result.problems[:5]]
    with Session(fresh) as session:
        copied = editing.center_equipment(session, center_id=center_id)
    fresh.dispose()
    assert len(copied) == len(exported)
    assert copied[columns].reset_index(drop=True).equals(exported[columns].reset_index(drop=True))
