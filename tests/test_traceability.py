"""Traceability up and down a hand-built chain: PTB → VMI → IMTS → a center's standard → its instruments.

The chain (all certificates hand-dated):
- VMI's standard S_VMI: PTB (Germany) 10/01/2024.
- IMTS's standard S_IMTS: VMI with S_VMI 01/03/2024 and 01/03/2025; NIST (USA) 01/09/2025.
- The center's standard S_C: IMTS with S_IMTS 01/06/2024 (pass), 01/06/2025 (pass), 01/10/2025 (FAIL).
- The center's working instruments, calibrated by the center with S_C: W1 01/07/2024 and 01/07/2025,
  W2 01/08/2025, W3 01/06/2025 (the day S_C passed).
- S_NEVER_GOOD: a standard of the center whose only certificate failed, used once for W4.
- S_UNCALIBRATED: a standard of the center without any certificate.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from services import models as m
from services.certificates import add_calibration
from services.filters import Filters
from services.traceability import (
    calibrated_with,
    chain_links,
    chain_tops,
    drift,
    standard_choices,
    standard_report,
    standard_verdict,
    suspect_since_last_good,
    upward_chain,
)

AS_OF = date(2025, 12, 31)
CENTER = Filters(as_of=AS_OF, center="C-1")


def _network(session: Session) -> dict[str, int]:
    session.add(
        m.Province(
            key="01",
            code="01",
            name_vi="Hà Nội",
            name_en="Ha Noi",
            capital_vi="Hà Nội",
            lat=21.03,
            lon=105.85,
            population_thousands=8500,
        )
    )
    session.add(m.MeasurementField(code="P", name_vi="Áp suất", name_en="Pressure"))
    session.flush()
    session.add(
        m.Quantity(code="pressure", field_code="P", name_vi="Áp suất", name_en="Pressure", si_unit="Pa")
    )
    session.flush()
    session.add(
        m.InstrumentType(
            code="pressure_gauge",
            quantity_code="pressure",
            name_vi="Áp kế",
            name_en="Pressure gauge",
            legally_controlled=True,
            verification_interval_months=12,
        )
    )
    centers = {
        code: m.Center(
            code=code, name_vi=code, name_en=code, kind=kind, province_key="01", lat=21.0, lon=105.8
        )
        for code, kind in (
            ("VMI", "national_institute"),
            ("IMTS", "national_institute"),
            ("C-1", "provincial_center"),
        )
    }
    session.add_all(centers.values())
    session.flush()
    ids = {code.lower(): int(center.id) for code, center in centers.items()}  # type: ignore[arg-type]

    def equipment(key: str, center: str, reference: bool) -> None:
        item = m.Equipment(
            center_id=ids[center],
            quantity_code="pressure",
            instrument_type_code="pressure_gauge",
            name=f"Áp kế {key}",
            manufacturer="DH-Budenberg",
            model="PB",
            serial_no=key,
            range_min=0,
            range_max=60,
            range_unit="MPa",
            range_min_si=0,
            range_max_si=60e6,
            uncertainty_value=0.02,
            uncertainty_unit="%",
            uncertainty_relative=True,
            is_reference_standard=reference,
            acquired_on=date(2020, 1, 1),
        )
        session.add(item)
        session.flush()
        ids[key] = int(item.id)  # type: ignore[arg-type]

    for key, center, reference in [
        ("s_vmi", "vmi", True),
        ("s_imts", "imts", True),
        ("s_c", "c-1", True),
        ("s_never_good", "c-1", True),
        ("s_uncalibrated", "c-1", True),
        ("w1", "c-1", False),
        ("w2", "c-1", False),
        ("w3", "c-1", False),
        ("w4", "c-1", False),
    ]:
        equipment(key, center, reference)

    def certificate(
        key: str,
        on: date,
        provider: str,
        number: str,
        *,
        standard: str | None = None,
        result: str = "pass",
        error: float | None = None,
        uncertainty: float | None = None,
    ) -> None:
        add_calibration(
            session,
            m.CalibrationRecord(
                equipment_id=ids[key],
                calibrated_on=on,
                provider_center_id=ids.get(provider.lower()),
                provider_name=provider,
                standard_used_id=ids[standard] if standard else None,
                certificate_no=number,
                result=result,
                measured_error=error,
                uncertainty=uncertainty,
            ),
        )

    certificate("s_vmi", date(2024, 1, 10), "PTB (Germany)", "PTB-1")
    certificate("s_imts", date(2024, 3, 1), "VMI", "VMI-1", standard="s_vmi")
    certificate("s_imts", date(2025, 3, 1), "VMI", "VMI-2", standard="s_vmi")
    certificate("s_imts", date(2025, 9, 1), "NIST (USA)", "NIST-1")
    certificate("s_c", date(2024, 6, 1), "IMTS", "IMTS-1", standard="s_imts", error=0.004, uncertainty=0.010)
    certificate("s_c", date(2025, 6, 1), "IMTS", "IMTS-2", standard="s_imts", error=0.009, uncertainty=0.010)
    certificate(
        "s_c",
        date(2025, 10, 1),
        "IMTS",
        "IMTS-3",
        standard="s_imts",
        result="fail",
        error=0.031,
        uncertainty=0.012,
    )
    certificate("s_never_good", date(2025, 2, 1), "IMTS", "IMTS-4", standard="s_imts", result="fail")
    certificate("w1", date(2024, 7, 1), "C-1", "C1-1", standard="s_c")
    certificate("w3", date(2025, 6, 1), "C-1", "C1-2", standard="s_c")
    certificate("w1", date(2025, 7, 1), "C-1", "C1-3", standard="s_c")
    certificate("w2", date(2025, 8, 1), "C-1", "C1-4", standard="s_c")
    certificate("w4", date(2025, 3, 1), "C-1", "C1-5", standard="s_never_good")
    session.commit()
    return ids


@pytest.fixture
def chain(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = _network(session)
    return engine, ids


def test_upward_chain_climbs_from_the_center_to_the_foreign_institute(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        frame = upward_chain(session, Filters(as_of=date(2025, 8, 1), center="C-1"))
    s_c = frame[frame["root_id"] == ids["s_c"]]
    assert list(s_c["level"]) == [1, 2, 3]
    assert list(s_c["equipment_id"]) == [ids["s_c"], ids["s_imts"], ids["s_vmi"]]
    assert list(s_c["provider_name"]) == ["IMTS", "VMI", "PTB (Germany)"]
    assert list(s_c["certificate_no"]) == ["IMTS-2", "VMI-2", "PTB-1"]
    assert list(s_c["holder_code"]) == ["C-1", "IMTS", "VMI"]
    assert list(s_c["provider_code"].isna()) == [False, False, True]  # PTB is outside the network


def test_each_link_is_the_certificate_in_force_on_the_day_below_it(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        now = upward_chain(session, CENTER)
        end_2024 = upward_chain(session, Filters(as_of=date(2024, 12, 31), center="C-1"))
    # S_C's latest certificate (01/10/2025, failed) was issued with S_IMTS, whose certificate in
    # force that day is NIST's of 01/09/2025 -- not VMI-2, which it replaced
    assert list(now[now["root_id"] == ids["s_c"]]["certificate_no"]) == ["IMTS-3", "NIST-1"]
    assert list(end_2024[end_2024["root_id"] == ids["s_c"]]["certificate_no"]) == ["IMTS-1", "VMI-1", "PTB-1"]
    # S_NEVER_GOOD was calibrated on 01/02/2025, when S_IMTS still stood on VMI-1
    never_good = now[now["root_id"] == ids["s_never_good"]]
    assert list(never_good["certificate_no"]) == ["IMTS-4", "VMI-1", "PTB-1"]


def test_a_standard_without_certificate_shows_a_broken_link(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        frame = upward_chain(session, CENTER)
    broken = frame[frame["root_id"] == ids["s_uncalibrated"]]
    assert len(broken) == 1
    assert broken["provider_name"].isna().all()
    tops = chain_tops(frame).set_index("root_id")
    assert (tops.loc[ids["s_c"], "top_provider"], tops.loc[ids["s_c"], "levels"]) == ("NIST (USA)", 2)
    assert (tops.loc[ids["s_never_good"], "top_provider"], tops.loc[ids["s_never_good"], "levels"]) == (
        "PTB (Germany)",
        3,
    )
    assert pd.isna(tops.loc[ids["s_uncalibrated"], "top_provider"])


def test_chain_links_fold_the_chain_to_who_calibrates_whom(chain) -> None:
    engine, _ = chain
    with Session(engine) as session:
        links = chain_links(upward_chain(session, CENTER))
    folded = {
        (row.holder_code, None if pd.isna(row.provider_name) else row.provider_name): row.standards
        for row in links.itertuples()
    }
    assert folded == {
        ("C-1", "IMTS"): 2,  # S_C and S_NEVER_GOOD
        ("C-1", None): 1,  # S_UNCALIBRATED
        ("IMTS", "NIST (USA)"): 1,  # S_IMTS, above S_C's latest certificate
        ("IMTS", "VMI"): 1,  # S_IMTS, above S_NEVER_GOOD's
        ("VMI", "PTB (Germany)"): 1,
    }


def test_calibrated_with_lists_every_certificate_issued_with_the_standard(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        everything = calibrated_with(session, ids["s_c"])
        since_2025 = calibrated_with(session, ids["s_c"], since=date(2025, 1, 1))
        by_imts = calibrated_with(session, ids["s_imts"])
    assert list(everything["certificate_no"]) == ["C1-4", "C1-3", "C1-2", "C1-1"]  # newest first
    assert list(since_2025["certificate_no"]) == ["C1-4", "C1-3", "C1-2"]
    assert set(by_imts["equipment_id"]) == {ids["s_c"], ids["s_never_good"]}
    assert list(by_imts["certificate_no"]) == ["IMTS-3", "IMTS-2", "IMTS-4", "IMTS-1"]


def test_a_failed_standard_makes_what_it_issued_after_its_last_good_calibration_suspect(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        verdict = standard_verdict(session, ids["s_c"], AS_OF)
        suspect = suspect_since_last_good(session, ids["s_c"], AS_OF)
    assert (
        verdict.failed and verdict.latest_on == date(2025, 10, 1) and verdict.last_good_on == date(2025, 6, 1)
    )
    # W1's 2024 certificate predates the last pass; W3 was calibrated on the very day S_C passed
    assert sorted(suspect["certificate_no"]) == ["C1-3", "C1-4"]
    assert set(suspect["equipment_id"]) == {ids["w1"], ids["w2"]}


def test_nothing_is_suspect_while_the_latest_calibration_passed(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        before_failure = suspect_since_last_good(session, ids["s_c"], date(2025, 9, 30))
        imts_standard = suspect_since_last_good(session, ids["s_imts"], AS_OF)
        never_calibrated = suspect_since_last_good(session, ids["s_uncalibrated"], AS_OF)
    assert before_failure.empty and imts_standard.empty and never_calibrated.empty


def test_a_standard_that_never_passed_makes_everything_it_issued_suspect(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        verdict = standard_verdict(session, ids["s_never_good"], AS_OF)
        suspect = suspect_since_last_good(session, ids["s_never_good"], AS_OF)
    assert verdict.failed and verdict.last_good_on is None
    assert list(suspect["certificate_no"]) == ["C1-5"]


def test_drift_gives_the_error_with_its_uncertainty_band_oldest_first(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        history = drift(session, ids["s_c"], AS_OF)
        without_errors = drift(session, ids["s_imts"], AS_OF)
    assert list(history["certificate_no"]) == ["IMTS-1", "IMTS-2", "IMTS-3"]
    assert list(history["measured_error"]) == pytest.approx([0.004, 0.009, 0.031])
    assert list(history["lower"]) == pytest.approx([-0.006, -0.001, 0.019])
    assert list(history["upper"]) == pytest.approx([0.014, 0.019, 0.043])
    assert list(history["result"]) == ["pass", "pass", "fail"]
    assert without_errors.empty  # certificates without a measured error draw nothing


def test_standard_report_bundles_reverse_traceability_for_the_page(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        report = standard_report(session, CENTER, standard_id=ids["s_c"])
        missing = standard_report(session, CENTER, standard_id=999_999)
    assert report is not None and missing is None
    assert (report.holder_code, report.serial_no, report.uncertainty_unit) == ("C-1", "s_c", "%")
    assert len(report.calibrated) == 4 and len(report.suspect) == 2 and len(report.drift) == 3


def test_standard_choices_put_the_failed_and_most_used_own_standards_first(chain) -> None:
    engine, ids = chain
    with Session(engine) as session:
        choices = standard_choices(session, CENTER)
    assert list(choices["equipment_id"]) == [
        ids["s_c"],
        ids["s_never_good"],
        ids["s_uncalibrated"],  # own: failed by use, then the rest
        ids["s_imts"],
        ids["s_vmi"],  # above them in the chain
    ]
    assert list(choices["certificates_issued"]) == [4, 1, 0, 4, 2]
    assert list(choices["upstream"]) == [False, False, False, True, True]


def test_overview_walks_the_chain_once_for_the_table_the_diagram_and_the_picker(chain) -> None:
    from services.traceability import traceability_overview

    engine, _ = chain
    with Session(engine) as session:
        overview = traceability_overview(session, CENTER)
        alone = standard_choices(session, CENTER)
        walked = upward_chain(session, CENTER)
    pd.testing.assert_frame_equal(overview.chain, walked)
    pd.testing.assert_frame_equal(overview.links, chain_links(walked))
    pd.testing.assert_frame_equal(overview.choices, alone)


def test_a_failed_institute_standard_makes_the_chain_below_it_suspect_down_to_the_capabilities(chain) -> None:
    """IMTS's standard fails on 01/11/2025 (last good: NIST-1, 01/09/2025). Suspect: level 1, what it
    calibrated since (C-1's s_c, IMTS-3 of 01/10/2025); level 2, what s_c calibrated from that day
    (w3, C1-6 of 15/11/2025); and C-1's capability that s_c supports."""
    from services.network_loss import affected_capabilities, suspect_chain

    engine, ids = chain
    with Session(engine) as session:
        for equipment_key, on, provider, number, standard, result in (
            ("s_imts", date(2025, 11, 1), "NIST (USA)", "NIST-2", None, "fail"),
            ("w3", date(2025, 11, 15), "C-1", "C1-6", "s_c", "pass"),
        ):
            add_calibration(
                session,
                m.CalibrationRecord(
                    equipment_id=ids[equipment_key],
                    calibrated_on=on,
                    provider_center_id=ids.get(provider.lower()),
                    provider_name=provider,
                    standard_used_id=ids[standard] if standard else None,
                    certificate_no=number,
                    result=result,
                ),
            )
        capability = m.Capability(
            center_id=ids["c-1"],
            instrument_type_code="pressure_gauge",
            service="verification",
            range_text="0–60 MPa",
            range_min_si=0,
            range_max_si=60e6,
            uncertainty_value=0.1,
            uncertainty_unit="%",
            uncertainty_relative=True,
            annual_capacity=100,
        )
        session.add(capability)
        session.flush()
        capability_id = int(capability.id)  # type: ignore[arg-type]
        session.add(m.CapabilityStandard(capability_id=capability_id, equipment_id=ids["s_c"]))
        session.commit()
        found = suspect_chain(session, ids["s_imts"], AS_OF)
        affected = affected_capabilities(session, found)
    assert [
        (int(level), number) for level, number in zip(found["level"], found["certificate_no"], strict=True)
    ] == [
        (1, "IMTS-3"),
        (2, "C1-6"),
    ]
    assert list(affected["capability_id"]) == [capability_id]
