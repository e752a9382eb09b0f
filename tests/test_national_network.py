"""`--scale national`: the whole country, 63 provinces before 01/07/2025 and 34 after, with official
codes; one center per old province handing over to the center of the new one; the planned size
meets the targets (computed from the kit, without drawing a million certificates); and a small
national-shaped seed (scale 1) writes consistent rows on every engine."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from services.db import make_engine
from services.demo.equipment import HISTORY_START, build_items, equipment_count
from services.demo.spec import NATIONAL, NORTHERN, centers, read_spec
from services.seed import NATIONAL_SCALE, parse_scale, seed
from services.standard_fit import can_calibrate
from tests.conftest import ENGINES, SEED_DAY

MERGER_DAY = date(2025, 7, 1)
EQUIPMENT_TARGET, CERTIFICATE_TARGET = 100_000, 1_000_000


def _old() -> list[dict[str, str]]:
    return [row for row in read_spec("provinces", NATIONAL) if not row["valid_from"]]


def _new() -> list[dict[str, str]]:
    return [row for row in read_spec("provinces", NATIONAL) if not row["valid_to"]]


# the spec ------------------------------------------------------------------------------------
def test_the_country_has_63_provinces_before_the_merger_and_34_after_with_unique_codes() -> None:
    old, new = _old(), _new()
    assert len(old) == 63 and len({row["code"] for row in old}) == 63
    assert len(new) == 34 and len({row["code"] for row in new}) == 34


def test_the_codes_and_names_are_the_administrative_lists_of_the_package() -> None:
    from vietnamadminunits.database import get_data

    def listed(table: str) -> dict[str, str]:
        return {
            r["provinceCode"]: r["provinceShort"]
            for r in get_data(["provinceCode", "provinceShort"], table=table)
        }

    for rows, table in ((_old(), "admin_units_legacy"), (_new(), "admin_units")):
        official = listed(table)
        assert sorted(row["code"] for row in rows) == sorted(official)
        # the spec writes TP. Hồ Chí Minh and an en dash in Bà Rịa – Vũng Tàu
        renamed = {row["code"]: row["name_vi"].removeprefix("TP. ").replace(" – ", " - ") for row in rows}
        assert renamed == official


def test_each_old_province_goes_into_exactly_one_new_one_that_keeps_a_predecessors_code() -> None:
    provinces = {row["key"]: row for row in read_spec("provinces", NATIONAL)}
    new_keys = {row["key"] for row in _new()}
    successor = {row["key"]: row["successor_key"] or row["key"] for row in _old()}
    assert set(successor.values()) == new_keys  # every new province has a predecessor
    for new_key in new_keys:
        predecessors = [old for old, new in successor.items() if new == new_key]
        # Decision 19/2025/QĐ-TTg: the new province keeps the code of the one hosting its seat
        assert provinces[new_key]["code"] in {provinces[old]["code"] for old in predecessors}
        assert int(provinces[new_key]["population_thousands"]) == sum(
            int(provinces[old]["population_thousands"]) for old in predecessors
        )


def test_the_northern_provinces_and_centers_are_the_northern_networks_own() -> None:
    for name in ("provinces", "centers"):
        key = "key" if name == "provinces" else "code"
        national = {row[key]: row for row in read_spec(name, NATIONAL)}
        for row in read_spec(name, NORTHERN):
            assert {k: v for k, v in national[row[key]].items() if k != "size_factor"} == row


def test_every_province_has_a_center_before_and_after_the_merger() -> None:
    specs = {c.code: c for c in centers(NATIONAL)}
    provincial = [c for c in specs.values() if c.kind == "provincial_center"]
    assert Counter(c.province_key for c in provincial) == Counter(row["key"] for row in _old())
    provinces = {row["key"]: row for row in read_spec("provinces", NATIONAL)}
    served_after: set[str] = set()
    for center in provincial:
        province = provinces[center.province_key]
        if center.active_to is None:
            served_after.add(province["successor_key"] or province["key"])
        else:  # closed with the merger: its successor serves the new province and is open
            successor = specs[center.successor_code or ""]
            assert center.active_to == date(2025, 6, 30) and successor.active_to is None
            assert provinces[successor.province_key]["successor_key"] == province["successor_key"]
    assert served_after == {row["key"] for row in _new()}
    labs = [c for c in specs.values() if c.kind == "lab"]
    assert {"VMI", "IMTS"} <= set(specs) and len(labs) >= 5
    assert [c.code for c in labs if "RI" in c.fields] == ["LAB-HP-PORT"]  # radiation: one lab only


def test_the_big_cities_hold_the_largest_kits() -> None:
    sizes = {
        c.province_key: equipment_count(c, NATIONAL_SCALE)
        for c in centers(NATIONAL)
        if c.kind == "provincial_center"
    }
    median = sorted(sizes.values())[len(sizes) // 2]
    assert all(sizes[key] >= 1.4 * median for key in ("01", "79", "31", "48", "92", "74", "75"))
    assert set(sorted(sizes, key=sizes.__getitem__)[-2:]) == {"01", "79"}  # Hà Nội and TP. Hồ Chí Minh


# the planned size ------------------------------------------------------------------------------
SAMPLE_SCALE = 4  # the history's size grows in proportion to the scale; estimate it on a small kit


def held_and_expected_certificates(scale: int, day: date) -> tuple[int, float]:
    """(items held on ``day``, expected certificates since 2018) from the kit alone, nothing drawn:
    one per calibration interval over the days each item is in service, one per reference lot."""
    held, certificates = 0, 0.0
    for item in build_items(scale, NATIONAL):
        if item.acquired_on > day:
            continue
        held += 1
        if item.template.crm:
            certificates += item.acquired_on >= HISTORY_START
            continue
        days = (min(day, item.retired_on or day) - max(item.acquired_on, HISTORY_START)).days
        if days > 0:
            certificates += 1 + days / (item.template.calibration_interval_months * 30.44)
    return held, certificates


def test_the_national_scale_plans_over_100000_equipment_and_a_million_certificates() -> None:
    kit = sum(equipment_count(c, NATIONAL_SCALE) for c in centers(NATIONAL))  # held in late 2026
    assert kit >= EQUIPMENT_TARGET
    _, sample = held_and_expected_certificates(SAMPLE_SCALE, SEED_DAY)
    certificates = sample * NATIONAL_SCALE / SAMPLE_SCALE
    # the estimate runs high (missed calibrations and repairs stretch the intervals): at scale 80
    # it said 1,106,458 where the seeder drew 976,779, hence the margin
    assert certificates >= CERTIFICATE_TARGET * 1.15


def test_the_cli_reads_national_or_a_whole_number() -> None:
    assert parse_scale("national") == (NATIONAL, NATIONAL_SCALE)
    assert parse_scale("3") == (NORTHERN, 3)
    for bad in ("0", "nation", "2.5"):
        with pytest.raises(Exception, match="whole number"):
            parse_scale(bad)


# a small national seed --------------------------------------------------------------------------
@pytest.fixture(scope="module", params=ENGINES)
def national(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres
) -> Iterator[tuple[Engine, dict[str, int]]]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("national") / "national.db"
        url = f"sqlite:///{path}"
    else:
        url = postgres.create()
    database = make_engine(url)
    counts = seed(database, scale=1, as_of=SEED_DAY, network=NATIONAL)
    yield database, counts
    database.dispose()
    if request.param == "postgresql":
        postgres.drop(url)


def _rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def test_the_small_national_seed_writes_what_it_counts(national: tuple[Engine, dict[str, int]]) -> None:
    engine, counts = national
    for table, count in counts.items():
        assert _rows(engine, f"SELECT COUNT(*) FROM {table}") == [(count,)], table
    assert counts["province"] == 86 and counts["center"] == len(centers(NATIONAL))
    # the estimate the target test relies on is within 15 % of what a real seed draws
    equipment, certificates = held_and_expected_certificates(1, SEED_DAY)
    assert counts["equipment"] == equipment
    assert 0.85 * certificates <= counts["calibration_record"] <= 1.15 * certificates


def test_the_small_national_seed_keeps_the_chains_and_the_snapshot(
    national: tuple[Engine, dict[str, int]],
) -> None:
    engine, _ = national
    keys = [
        "quantity_code",
        "range_min_si",
        "range_max_si",
        "uncertainty_value",
        "uncertainty_unit",
        "uncertainty_relative",
    ]
    equipment = {
        row[0]: dict(zip(keys, row[1:], strict=True))
        for row in _rows(engine, f"SELECT id, {', '.join(keys)} FROM equipment")
    }
    pairs = _rows(
        engine,
        "SELECT equipment_id, standard_used_id FROM calibration_record WHERE standard_used_id IS NOT NULL",
    )
    assert len(pairs) > 1000
    assert [p for p in pairs if not can_calibrate(equipment[p[1]], equipment[p[0]])] == []
    if engine.dialect.name == "sqlite":  # the seeder writes with foreign keys off: every key must hold
        assert _rows(engine, "PRAGMA foreign_key_check") == []
        assert _rows(engine, "PRAGMA foreign_keys") == [(1,)]  # and the connection has them on again
    ids = [row[0] for row in _rows(engine, "SELECT id FROM calibration_record ORDER BY calibrated_on, id")]
    assert ids == sorted(ids)  # numbered in date order
    mismatched = _rows(
        engine,
        """
        SELECT e.id FROM equipment e WHERE COALESCE(e.last_calibrated_on, e.acquired_on) !=
            COALESCE((SELECT MAX(c.calibrated_on) FROM calibration_record c WHERE c.equipment_id = e.id), e.acquired_on)""",
    )
    assert mismatched == []


def test_closed_centers_stop_and_their_successors_carry_on(national: tuple[Engine, dict[str, int]]) -> None:
    engine, _ = national
    after_closing = _rows(
        engine,
        """
        SELECT COUNT(*) FROM service_volume v JOIN center c ON c.id = v.center_id
        WHERE c.active_to IS NOT NULL AND v.month > c.active_to""",
    )
    issued_after = _rows(
        engine,
        """
        SELECT COUNT(*) FROM calibration_record r JOIN center c ON c.id = r.provider_center_id
        WHERE c.active_to IS NOT NULL AND r.calibrated_on > c.active_to""",
    )
    assert after_closing == [(0,)] and issued_after == [(0,)]
    monthly = dict(
        _rows(
            engine,
            "SELECT month, SUM(count) FROM service_volume WHERE month BETWEEN :a AND :b GROUP BY month",
            a=date(2025, 5, 1),
            b=date(2025, 8, 1),
        )
    )
    june, july = (monthly[k] for k in sorted(monthly)[1:3])
    assert 0.7 * june <= july <= 1.3 * june  # the network's totals run on across the merger
    renamed = _rows(
        engine,
        """SELECT c.code, c.name_vi, h.name_vi FROM center_name_history h
                               JOIN center c ON c.id = h.center_id WHERE c.code = 'TTKT-80'""",
    )
    assert renamed == [
        (
            "TTKT-80",
            "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Tây Ninh",
            "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Long An",
        )
    ]
    accounts = _rows(
        engine,
        "SELECT COUNT(*) FROM app_user u JOIN center c ON c.id = u.center_id WHERE c.active_to IS NULL",
    )
    assert accounts == [(len([c for c in centers(NATIONAL) if c.active_to is None]),)]


def test_a_bad_scale_or_network_is_refused_before_any_work(tmp_path: Path) -> None:
    database = make_engine(f"sqlite:///{tmp_path / 'refused.db'}")
    with pytest.raises(ValueError, match="at least 1, not 0"):
        seed(database, scale=0, as_of=SEED_DAY)
    with pytest.raises(ValueError, match="Unknown demo network 'south'"):
        seed(database, scale=1, as_of=SEED_DAY, network="south")
    assert _rows(database, "SELECT COUNT(*) FROM center") == [(0,)]  # nothing half written
    database.dispose()
