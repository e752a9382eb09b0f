"""Imports of capabilities, their standards, monthly volumes, agreements and events: all or nothing,
idempotent, permission-checked, audited; and every export of these kinds imports back unchanged.

Runs on a private copy of the seeded SQLite network (these tests write).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from services import editing, imports
from services.cells import format_range, format_uncertainty, parse_range_cell, parse_uncertainty_cell
from services.db import make_engine
from services.models import (
    Agreement,
    AgreementEvent,
    AuditLog,
    Capability,
    CapabilityStandard,
    Center,
    Equipment,
    Event,
    EventParticipant,
    InstrumentType,
    ServiceVolume,
)
from services.record_exports import FRAMES, export_csv
from services.record_kinds import KINDS, import_records, records_template
from services.spreadsheet_safety import comment_line, frame_to_csv
from services.standard_fit import covers_range
from tests.conftest import ENGINES, SEED_DAY, PostgresDatabases

TODAY = SEED_DAY


@pytest.fixture(params=ENGINES)
def network(
    request: pytest.FixtureRequest,
    seeded_urls: dict[str, str],
    tmp_path: Path,
    postgres: PostgresDatabases | None,
) -> Iterator[Engine]:
    """A copy of the seeded demo network that a test may write to, on each engine."""
    if request.param == "postgresql":
        assert postgres is not None
        url = postgres.create(template=seeded_urls["postgresql"])
    else:
        source = Path(make_url(seeded_urls["sqlite"]).database or "")
        target = tmp_path / "records.db"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
        url = f"sqlite:///{target}"
    engine = make_engine(url)
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        postgres.drop(url)


def run(
    engine: Engine,
    kind: str,
    text: str,
    *,
    center: str = "TTKT-31",
    user: str = "admin",
    dry_run: bool = False,
):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return import_records(
            session,
            text.encode("utf-8-sig"),
            kind=kind,
            center_code=center,
            username=user,
            today=TODAY,
            dry_run=dry_run,
        )


def count(engine: Engine, model, *where) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def center_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        return session.execute(select(Center.id).where(Center.code == code)).scalar_one()


# instrument types TTKT-31 does not offer in the seeded network: one legally controlled, one not
CONTROLLED_TYPE = "platform_scale"
FREE_TYPE = "micrometer"
EVENT_HEADER = "held_on;title_vi;place_vi;kind;participants\n"  # semicolon-separated: either separator reads


# --- capabilities ----------------------------------------------------------------------------------


def test_a_new_capability_is_added_with_an_audit_row_and_the_same_file_again_changes_nothing(
    network: Engine,
) -> None:
    type_code = CONTROLLED_TYPE
    text = (
        f"instrument_type;service;range;uncertainty;annual_capacity;accredited;designated\n"
        f"{type_code};verification;0–150 kg;0,6 %;300;không;có\n"
    )
    first = run(network, "capability", text, user="ttkt31")
    assert first.ok and (first.added, first.updated, first.written) == (1, 0, 1)
    with Session(network) as session:
        stored = session.execute(
            select(Capability).where(
                Capability.instrument_type_code == type_code,
                Capability.center_id == center_id(network, "TTKT-31"),
            )
        ).scalar_one()
        assert (stored.range_min_si, stored.range_max_si) == (0.0, 150.0)
        assert (stored.uncertainty_value, stored.uncertainty_relative, stored.designated) == (0.6, True, True)
        audit = session.execute(select(AuditLog).where(AuditLog.table_name == "capability")).scalars().all()
        assert [(a.action, a.username, a.row_id) for a in audit] == [("insert", "ttkt31", str(stored.id))]
    again = run(network, "capability", text, user="ttkt31")
    assert again.ok and (again.added, again.updated, again.unchanged, again.written) == (0, 0, 1, 0)
    assert count(network, AuditLog) == 1


def test_a_changed_capability_is_updated_with_before_and_after(network: Engine) -> None:
    with Session(network) as session:
        capability = (
            session.execute(
                select(Capability)
                .where(Capability.center_id == center_id(network, "TTKT-31"))
                .order_by(Capability.id)
            )
            .scalars()
            .first()
        )
    frame = FRAMES["capability"](Session(network), center_id=center_id(network, "TTKT-31"))
    frame.loc[0, "annual_capacity"] = capability.annual_capacity + 5
    result = run(network, "capability", frame_to_csv(frame))
    assert result.ok and (result.added, result.updated) == (0, 1)
    with Session(network) as session:
        entry = session.execute(select(AuditLog).where(AuditLog.table_name == "capability")).scalar_one()
        assert json.loads(entry.before)["annual_capacity"] == capability.annual_capacity
        assert json.loads(entry.after)["annual_capacity"] == capability.annual_capacity + 5


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_one_bad_row_writes_nothing_and_each_problem_names_its_row_and_column(
    network: Engine, lang: str
) -> None:
    free, controlled = FREE_TYPE, CONTROLLED_TYPE
    text = (
        "instrument_type,service,range,uncertainty,accredited,designated\n"
        f"{controlled},calibration,0–150 kg,0.1 %,yes,no\n"  # fine on its own
        f"{free},verification,0–25 mm,0.1 %,no,no\n"  # not legally controlled
        f"{controlled},verification,0–150 kg,0.1 %,yes,yes\n"  # accredited verification
        f"{controlled},kalibration,0–150 kg,0.1 %,no,no\n"  # no such service
        f"{controlled},calibration,0–25 MPa,0.1 %,no,no\n"
    )  # duplicate, and the wrong kind of unit
    before = count(network, Capability)
    result = run(network, "capability", text)
    assert not result.ok and result.written == 0
    places = {(p.row, p.column, p.key) for p in result.problems}
    assert (3, "service", "data.error.verification_not_controlled") in places
    assert (4, "accredited", "data.error.accredited_verification") in places
    assert (5, "service", "data.error.unknown_service_suggest") in places
    assert (6, "service", "data.error.duplicate_record_in_file") in places
    assert any(p.row == 6 and p.column == "range" for p in result.problems)
    assert all("data.error" not in p.located(lang) for p in result.problems)
    assert count(network, Capability) == before and count(network, AuditLog) == 0


@pytest.mark.parametrize(
    ("user", "center"), [("viewer", "TTKT-31"), ("ttkt01", "TTKT-31"), ("nobody", "TTKT-31")]
)
def test_only_the_centers_staff_or_an_admin_may_import(network: Engine, user: str, center: str) -> None:
    for kind in KINDS:
        result = run(network, kind, records_template(kind).decode("utf-8-sig"), user=user, center=center)
        assert not result.ok and result.written == 0
        assert "data.error.not_allowed" in {p.key for p in result.problems}
    assert count(network, AuditLog) == 0


# --- the standards behind a capability ------------------------------------------------------------


def test_a_new_link_needs_a_standard_of_the_centers_own_that_covers_the_range(network: Engine) -> None:
    center = center_id(network, "TTKT-31")
    with Session(network) as session:
        quantity_of = dict(session.execute(select(InstrumentType.code, InstrumentType.quantity_code)).all())
        held = session.execute(select(Equipment).where(Equipment.center_id == center)).scalars().all()
        linked = {
            (c, e)
            for c, e in session.execute(
                select(CapabilityStandard.capability_id, CapabilityStandard.equipment_id)
            )
        }
        capability, covering = next(
            (c, e)
            for c in session.execute(
                select(Capability).where(Capability.center_id == center).order_by(Capability.id)
            ).scalars()
            for e in held
            if (c.id, e.id) not in linked
            and e.quantity_code == quantity_of[c.instrument_type_code]
            and covers_range(e.model_dump(), c.model_dump())
        )
        other_quantity = next(
            e for e in held if e.quantity_code != quantity_of[capability.instrument_type_code]
        )
        type_code, service = capability.instrument_type_code, capability.service
    text = (
        "instrument_type;service;standard_serial\n"
        f"{type_code};{service};{covering.serial_no}\n"
        f"{type_code};{service};{other_quantity.serial_no}\n"
        f"{type_code};{service};NO-SUCH-SERIAL\n"
    )
    refused = run(network, "capability_standard", text)
    assert {(p.row, p.key) for p in refused.problems} == {
        (3, "data.error.standard_other_quantity"),
        (4, "data.error.unknown_serial"),
    }
    links = count(network, CapabilityStandard)
    good = run(network, "capability_standard", "\n".join(text.splitlines()[:2]) + "\n")
    assert good.ok and good.added == 1
    assert count(network, CapabilityStandard) == links + 1
    assert run(network, "capability_standard", "\n".join(text.splitlines()[:2]) + "\n").unchanged == 1


# --- monthly volumes -------------------------------------------------------------------------------


def test_volumes_are_added_then_updated_and_a_month_not_begun_is_refused(network: Engine) -> None:
    center = center_id(network, "TTKT-31")
    with Session(network) as session:
        type_code, service = session.execute(
            select(Capability.instrument_type_code, Capability.service).where(Capability.center_id == center)
        ).first()
    held = count(network, ServiceVolume, ServiceVolume.center_id == center)
    future = run(
        network, "service_volume", f"instrument_type;service;month;count\n{type_code};{service};12/2026;5\n"
    )
    assert [p.key for p in future.problems] == ["data.error.future_month"]
    bad = run(
        network, "service_volume", f"instrument_type;service;month;count\n{type_code};{service};13/2024;5\n"
    )
    assert [p.key for p in bad.problems] == ["data.error.bad_month"]
    with Session(network) as session:
        session.execute(
            ServiceVolume.__table__.delete().where(  # type: ignore[attr-defined]
                ServiceVolume.center_id == center, ServiceVolume.month == date(2018, 1, 1)
            )
        )
        session.commit()
    text = f"instrument_type;service;month;count\n{type_code};{service};01/2018;7\n"
    assert run(network, "service_volume", text).added == 1
    assert run(network, "service_volume", text.replace(";7", ";9")).updated == 1
    assert run(network, "service_volume", text.replace(";7", ";9")).unchanged == 1
    assert count(network, ServiceVolume, ServiceVolume.center_id == center) >= held


# --- agreements and events -------------------------------------------------------------------------


def test_an_agreement_takes_its_stage_and_dates_from_its_history(network: Engine) -> None:
    text = (
        "institute,title_vi,title_en,history,expires_on,scope_fields\n"
        "IMTS,Hợp đồng thử nghiệm,Test contract,"
        '"proposed 08/07/2024; negotiating 02/09/2024; signed 14/11/2024",14/11/2027,"P,M"\n'
    )
    result = run(network, "agreement", text, user="ttkt31")
    assert result.ok and result.added == 1
    with Session(network) as session:
        agreement = session.execute(
            select(Agreement).where(Agreement.title_vi == "Hợp đồng thử nghiệm")
        ).scalar_one()
        assert (agreement.stage, agreement.proposed_on, agreement.signed_on, agreement.scope_fields) == (
            "signed",
            date(2024, 7, 8),
            date(2024, 11, 14),
            "M,P",
        )
        assert not agreement.is_demo
        history = session.execute(
            select(AgreementEvent.stage, AgreementEvent.changed_on)
            .where(AgreementEvent.agreement_id == agreement.id)
            .order_by(AgreementEvent.changed_on)
        ).all()
        assert [stage for stage, _ in history] == ["proposed", "negotiating", "signed"]
    assert run(network, "agreement", text, user="ttkt31").unchanged == 1
    longer = text.replace("signed 14/11/2024", "signed 14/11/2024; active 01/12/2024")
    assert run(network, "agreement", longer, user="ttkt31").updated == 1
    with Session(network) as session:
        assert (
            session.execute(
                select(Agreement.stage).where(Agreement.title_vi == "Hợp đồng thử nghiệm")
            ).scalar_one()
            == "active"
        )


@pytest.mark.parametrize(
    ("history", "key"),
    [
        ("proposed 08/07/2024; signed 01/07/2024", "data.error.history_date_order"),
        ("signed 08/07/2024; negotiating 09/07/2024", "data.error.history_stage_order"),
        ("proposed 08/07/2024; cancelled 09/07/2024; active 10/07/2024", "data.error.history_stage_order"),
        ("proposed 08/07/2099", "data.error.future_date"),
        ("agreed 08/07/2024", "data.error.bad_stage"),
        ("proposed", "data.error.bad_history_entry"),
    ],
)
def test_a_history_out_of_order_is_refused(network: Engine, history: str, key: str) -> None:
    text = f'institute,title_vi,history\nIMTS,Hợp đồng sai,"{history}"\n'
    result = run(network, "agreement", text)
    assert [p.key for p in result.problems] == [key] and result.problems[0].column == "history"
    assert count(network, Agreement, Agreement.title_vi == "Hợp đồng sai") == 0


def test_an_event_must_include_the_importing_center_and_staff_cannot_change_others_events(
    network: Engine,
) -> None:
    text = EVENT_HEADER + "20/09/2024;Tập huấn hiệu chuẩn áp kế;Hải Phòng;training;IMTS, TTKT-31\n"
    assert run(network, "event", text, user="ttkt31").added == 1
    assert run(network, "event", text, user="ttkt31").unchanged == 1
    outsider = run(network, "event", text.replace("IMTS, TTKT-31", "IMTS"), center="TTKT-01", user="ttkt01")
    assert [p.key for p in outsider.problems] == ["data.error.center_not_participant"]
    others = run(
        network, "event", text.replace("IMTS, TTKT-31", "IMTS, TTKT-01"), center="TTKT-01", user="ttkt01"
    )
    assert [p.key for p in others.problems] == ["data.error.event_of_other_centers"]
    assert count(network, Event, Event.title_vi == "Tập huấn hiệu chuẩn áp kế") == 1


def audit_entries(engine: Engine, table_name: str) -> list[tuple[str, dict | None, dict]]:
    with Session(engine) as session:
        entries = session.execute(
            select(AuditLog).where(AuditLog.table_name == table_name).order_by(AuditLog.id)
        ).scalars()
        return [(e.action, json.loads(e.before) if e.before else None, json.loads(e.after)) for e in entries]


def test_a_changed_agreement_has_its_history_replaced_whole_and_audited_before_and_after(
    network: Engine,
) -> None:
    text = 'institute,title_vi,history\nIMTS,Hợp đồng đổi,"proposed 08/07/2024; signed 14/11/2024"\n'
    assert run(network, "agreement", text, user="ttkt31").added == 1
    longer = text.replace("signed 14/11/2024", "signed 14/11/2024; active 01/12/2024")
    assert run(network, "agreement", longer, user="ttkt31").updated == 1
    with Session(network) as session:
        agreement_id = session.execute(
            select(Agreement.id).where(Agreement.title_vi == "Hợp đồng đổi")
        ).scalar_one()
        stages = session.execute(
            select(AgreementEvent.stage)
            .where(AgreementEvent.agreement_id == agreement_id)
            .order_by(AgreementEvent.changed_on)
        ).scalars()
        assert list(stages) == ["proposed", "signed", "active"]  # the old rows went, none doubled
    (added, _, first), (updated, before, after) = audit_entries(network, "agreement")
    assert (added, updated) == ("insert", "update")
    assert first["history"] == before["history"] == "proposed 2024-07-08; signed 2024-11-14"
    assert after["history"] == "proposed 2024-07-08; signed 2024-11-14; active 2024-12-01"
    assert (before["stage"], after["stage"]) == ("signed", "active")


def test_a_changed_event_has_its_participants_replaced_whole_and_audited_before_and_after(
    network: Engine,
) -> None:
    text = EVENT_HEADER + "21/09/2024;Hội thảo đo lường;Hải Phòng;conference;IMTS, TTKT-31\n"
    assert run(network, "event", text, user="ttkt31").added == 1
    wider = text.replace("IMTS, TTKT-31", "TTKT-31, TTKT-01")
    assert run(network, "event", wider, user="ttkt31").updated == 1
    ids = {code: center_id(network, code) for code in ("IMTS", "TTKT-31", "TTKT-01")}
    with Session(network) as session:
        event_id = session.execute(select(Event.id).where(Event.title_vi == "Hội thảo đo lường")).scalar_one()
        taking_part = session.execute(
            select(EventParticipant.center_id).where(EventParticipant.event_id == event_id)
        ).scalars()
        assert sorted(taking_part) == sorted([ids["TTKT-31"], ids["TTKT-01"]])
    (added, _, first), (updated, before, after) = audit_entries(network, "event")
    assert (added, updated) == ("insert", "update")
    assert first["participants"] == before["participants"] == sorted([ids["IMTS"], ids["TTKT-31"]])
    assert after["participants"] == sorted([ids["TTKT-31"], ids["TTKT-01"]])


# --- exports import back unchanged ---------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_centers_export_imports_back_changing_nothing(network: Engine, kind: str) -> None:
    with Session(network) as session:
        open_centers = session.execute(select(Center.code, Center.id).where(Center.active_to.is_(None))).all()  # type: ignore[union-attr]
    checked = 0
    for code, id_ in open_centers:
        with Session(network) as session:
            data = export_csv(session, kind, center_id=id_).decode("utf-8-sig")
        if data.count("\n") < 2:
            continue
        result = run(network, kind, data, center=code)
        assert result.ok, (code, [p.located("en") for p in result.problems[:3]])
        assert (result.added, result.updated, result.written) == (0, 0, 0), code
        checked += result.unchanged
    assert checked > 0 and count(network, AuditLog) == 0


def test_a_centers_services_copied_into_a_new_center_export_the_same(network: Engine) -> None:
    with Session(network) as session:
        source = session.execute(select(Center).where(Center.code == "TTKT-31")).scalar_one()
        session.add(
            Center(
                code="ZZ-COPY",
                name_vi="Bản sao",
                name_en="Copy",
                kind="provincial_center",
                province_key=source.province_key,
                lat=source.lat,
                lon=source.lon,
            )
        )
        session.commit()
    copy_id, source_id = center_id(network, "ZZ-COPY"), center_id(network, "TTKT-31")
    for kind in ("capability", "service_volume", "agreement"):
        with Session(network) as session:
            exported = FRAMES[kind](session, center_id=source_id)
            text = comment_line("Made 30/11/2026; filters: none") + frame_to_csv(exported)
        result = run(network, kind, text, center="ZZ-COPY")
        assert result.ok and result.added == len(exported), (
            kind,
            [p.located("en") for p in result.problems[:3]],
        )
        with Session(network) as session:
            assert FRAMES[kind](session, center_id=copy_id).equals(exported), kind


def test_a_pure_number_range_and_uncertainty_read_back_as_written() -> None:
    assert format_range(1.68, 12.45, "1") == "1.68–12.45"
    assert format_uncertainty(0.02, "dimensionless") == "0.02"
    back = parse_range_cell(format_range(1.68, 12.45, "1"), si_unit="dimensionless")
    assert (back.low, back.high, back.low_si, back.high_si) == (1.68, 12.45, 1.68, 12.45)
    assert (
        parse_uncertainty_cell(format_uncertainty(0.02, "dimensionless"), si_unit="dimensionless").value
        == 0.02
    )


def test_the_data_pages_equipment_and_certificate_exports_import_into_a_new_center(network: Engine) -> None:
    """The page writes the import's columns under a stamp line; a copy holds the same equipment."""
    with Session(network) as session:
        source = session.execute(select(Center).where(Center.code == "TTKT-31")).scalar_one()
        session.add(
            Center(
                code="ZZ-EQ",
                name_vi="Bản sao",
                name_en="Copy",
                kind="provincial_center",
                province_key=source.province_key,
                lat=source.lat,
                lon=source.lon,
            )
        )
        session.commit()
        equipment = editing.center_equipment(session, center_id=source.id)
    # every demo item is typed within its own quantity, so the whole list imports back
    importable = [column.name for column in imports.EQUIPMENT_COLUMNS]
    text = comment_line("Made 30/11/2026; filters: none") + frame_to_csv(equipment[importable])
    with Session(network) as session:
        result = imports.import_equipment_csv(
            session, text.encode("utf-8-sig"), center_code="ZZ-EQ", username="admin", today=TODAY
        )
    assert result.ok, [p.located("en") for p in result.problems[:3]]
    with Session(network) as session:
        copied = editing.center_equipment(session, center_id=center_id(network, "ZZ-EQ"))
    columns = [c for c in importable if c != "calibration_interval_months"] + ["calibration_interval_months"]
    assert copied[columns].reset_index(drop=True).equals(equipment[columns].reset_index(drop=True))


def reimport_certificates(network: Engine, *, only_own_standards: bool):  # type: ignore[no-untyped-def]
    with Session(network) as session:
        certificates = editing.center_calibrations(session, center_id=center_id(network, "TTKT-31"))
        held = set(
            session.execute(
                select(Equipment.serial_no).where(Equipment.center_id == center_id(network, "TTKT-31"))
            ).scalars()
        )
    if only_own_standards:
        certificates = certificates[
            [not serial or serial in held for serial in certificates["standard_serial"]]
        ]
    text = comment_line("Made 30/11/2026; filters: none") + frame_to_csv(certificates)
    with Session(network) as session:
        result = imports.import_calibrations_csv(
            session, text.encode("utf-8-sig"), center_code="TTKT-31", username="admin", today=TODAY
        )
    return certificates, result


def test_the_data_pages_certificate_export_imported_again_changes_nothing(network: Engine) -> None:
    """Certificates are immutable records: each one already held is named as such, and nothing is written."""
    before = count(network, AuditLog), count(network, Equipment)
    certificates, result = reimport_certificates(network, only_own_standards=True)
    assert result.written == 0 and len(certificates) > 10
    assert {p.key for p in result.problems} == {"data.error.duplicate_certificate_existing"}
    assert len(result.problems) == len(certificates)
    assert (count(network, AuditLog), count(network, Equipment)) == before


def test_certificates_made_with_a_merged_predecessors_standard_read_back(network: Engine) -> None:
    _, result = reimport_certificates(network, only_own_standards=False)
    assert "data.error.unknown_standard" not in {p.key for p in result.problems}


def test_an_agreement_or_event_named_twice_in_one_file_is_refused_at_its_second_row(network: Engine) -> None:
    agreement = 'IMTS,Hợp đồng hai lần,,"proposed 08/07/2024"\n'
    agreements = "institute,title_vi,title_en,history\n" + agreement + agreement
    event = "20/09/2024;Tập huấn hai lần;Hải Phòng;training;IMTS, TTKT-31\n"
    events = EVENT_HEADER + event + event
    for kind, text, table in (("agreement", agreements, Agreement), ("event", events, Event)):
        before = count(network, table)
        result = run(network, kind, text, user="ttkt31")
        assert not result.ok and result.written == 0
        assert [(p.row, p.column, p.key) for p in result.problems] == [
            (3, "title_vi", "data.error.duplicate_record_in_file")
        ], kind
        assert count(network, table) == before
