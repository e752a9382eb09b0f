"""A hand-built network small enough that every right answer can be worked out on paper.

As of AS_OF = 15/01/2026 (after the 1 July 2025 merger):
- provinces: 01 Hà Nội (unchanged); 02 Hà Giang and 08 Tuyên Quang merged into 08 Tuyên Quang.
- centers: IMTS (Hà Nội); C-HG (Hà Giang, closed 30/06/2025, successor C-TQ); C-TQ (Tuyên Quang).
- equipment: overdue (C-TQ), due soon (C-TQ), in date (C-TQ), never calibrated (C-HG, so counted
  at C-TQ after the merger), a retired one and one bought after AS_OF (both never counted).
- capabilities: C-TQ verifies pressure gauges, designated by the state; its row also says
  "accredited", as careless data entry would, which a verification never is (services.recognition).
  IMTS calibrates clinical thermometers, without accreditation.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from services import models as m
from services.certificates import add_calibration
from services.holdings import record_status_change

AS_OF = date(2026, 1, 15)
BEFORE_MERGER = date(2025, 6, 1)
HANOI = (21.0285, 105.8542)
TUYEN_QUANG = (21.8236, 105.2142)
HA_GIANG = (22.8233, 104.9836)


def build(session: Session) -> dict[str, int]:
    session.add(
        m.Province(
            key="08-2025",
            code="08",
            name_vi="Tuyên Quang",
            name_en="Tuyen Quang",
            capital_vi="Tuyên Quang",
            lat=TUYEN_QUANG[0],
            lon=TUYEN_QUANG[1],
            population_thousands=1700,
            valid_from=date(2025, 7, 1),
        )
    )
    session.flush()
    session.add(
        m.Province(
            key="01",
            code="01",
            name_vi="Hà Nội",
            name_en="Ha Noi",
            capital_vi="Hà Nội",
            lat=HANOI[0],
            lon=HANOI[1],
            population_thousands=8500,
        )
    )
    session.add(
        m.Province(
            key="02",
            code="02",
            name_vi="Hà Giang",
            name_en="Ha Giang",
            capital_vi="Hà Giang",
            lat=HA_GIANG[0],
            lon=HA_GIANG[1],
            population_thousands=900,
            valid_to=date(2025, 6, 30),
            successor_key="08-2025",
        )
    )
    session.add(
        m.Province(
            key="08",
            code="08",
            name_vi="Tuyên Quang",
            name_en="Tuyen Quang",
            capital_vi="Tuyên Quang",
            lat=TUYEN_QUANG[0],
            lon=TUYEN_QUANG[1],
            population_thousands=800,
            valid_to=date(2025, 6, 30),
            successor_key="08-2025",
        )
    )
    session.add(m.MeasurementField(code="P", name_vi="Áp suất", name_en="Pressure", sort_order=1))
    session.add(m.MeasurementField(code="T", name_vi="Nhiệt độ", name_en="Temperature", sort_order=2))
    session.flush()  # without relationships SQLAlchemy does not order inserts by foreign keys
    session.add(
        m.Quantity(code="pressure", field_code="P", name_vi="Áp suất", name_en="Pressure", si_unit="Pa")
    )
    session.add(
        m.Quantity(code="temperature", field_code="T", name_vi="Nhiệt độ", name_en="Temperature", si_unit="K")
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
    session.add(
        m.InstrumentType(
            code="clinical_thermometer",
            quantity_code="temperature",
            name_vi="Nhiệt kế y học",
            name_en="Clinical thermometer",
            legally_controlled=True,
            verification_interval_months=6,
        )
    )
    session.flush()
    imts = m.Center(
        code="IMTS",
        name_vi="Viện IMTS",
        name_en="IMTS",
        kind="national_institute",
        province_key="01",
        lat=HANOI[0],
        lon=HANOI[1],
    )
    tq = m.Center(
        code="C-TQ",
        name_vi="Trung tâm Tuyên Quang",
        name_en="Tuyen Quang center",
        kind="provincial_center",
        province_key="08",
        lat=TUYEN_QUANG[0],
        lon=TUYEN_QUANG[1],
    )
    session.add_all([imts, tq])
    session.flush()
    hg = m.Center(
        code="C-HG",
        name_vi="Trung tâm Hà Giang",
        name_en="Ha Giang center",
        kind="provincial_center",
        province_key="02",
        lat=HA_GIANG[0],
        lon=HA_GIANG[1],
        active_to=date(2025, 6, 30),
        successor_id=tq.id,
    )
    session.add(hg)
    session.flush()

    def equipment(center: m.Center, serial: str, **extra: object) -> m.Equipment:
        values: dict[str, object] = {
            "center_id": center.id,
            "quantity_code": "pressure",
            "instrument_type_code": "pressure_gauge",
            "name": "Áp kế chuẩn",
            "manufacturer": "WIKA",
            "model": "CPG1500",
            "serial_no": serial,
            "range_min": 0,
            "range_max": 60,
            "range_unit": "MPa",
            "range_min_si": 0,
            "range_max_si": 60e6,
            "acquired_on": date(2020, 1, 1),
            "calibration_interval_months": 12,
        }
        values.update(extra)
        item = m.Equipment(**values)
        session.add(item)
        session.flush()
        # out of service since it was acquired: never held (retired) or in repair on any day shown
        record_status_change(session, item.id, None, item.status, item.acquired_on)  # type: ignore[arg-type]
        return item

    overdue = equipment(tq, "OVERDUE-1")
    due_soon = equipment(tq, "SOON-1")
    in_date = equipment(
        tq,
        "INDATE-1",
        quantity_code="temperature",
        instrument_type_code="clinical_thermometer",
        range_min=32,
        range_max=42,
        range_unit="degC",
        range_min_si=305.15,
        range_max_si=315.15,
    )
    never = equipment(hg, "NEVER-1")
    retired = equipment(imts, "RETIRED-1", status="retired")
    future = equipment(imts, "FUTURE-1", acquired_on=date(2026, 3, 1))
    certificates = [
        (overdue, date(2024, 12, 1), "pass"),  # due 01/12/2025: in date before the merger, overdue at AS_OF
        (due_soon, date(2024, 1, 30), "pass"),
        (due_soon, date(2025, 1, 30), "pass"),  # due 30/01/2026: 15 days after AS_OF
        (in_date, date(2025, 6, 2), "pass"),  # due 02/06/2026, the day after BEFORE_MERGER
        (retired, date(2025, 1, 1), "pass"),
    ]
    for number, (item, on, result) in enumerate(certificates, start=1):
        add_calibration(
            session,
            m.CalibrationRecord(
                equipment_id=item.id,
                calibrated_on=on,
                provider_center_id=imts.id,
                provider_name="IMTS",
                certificate_no=f"IMTS-{number:04d}",
                result=result,
            ),
        )
    session.add(
        m.Capability(
            center_id=tq.id,
            instrument_type_code="pressure_gauge",
            service="verification",
            range_text="0–60 MPa",
            range_min_si=0,
            range_max_si=60e6,
            uncertainty_value=0.5,
            uncertainty_unit="%",
            uncertainty_relative=True,
            annual_capacity=1200,
            accredited=True,
            designated=True,
        )
    )
    session.add(
        m.Capability(
            center_id=imts.id,
            instrument_type_code="clinical_thermometer",
            service="calibration",
            range_text="32–42 °C",
            range_min_si=305.15,
            range_max_si=315.15,
            uncertainty_value=0.05,
            uncertainty_unit="K",
            annual_capacity=300,
        )
    )
    signed = m.Agreement(
        institute_id=imts.id,
        center_id=tq.id,
        title_vi="HĐ TQ",
        title_en="TQ contract",
        stage="signed",
        proposed_on=date(2024, 7, 1),
        signed_on=date(2024, 9, 1),
        expires_on=date(2027, 9, 1),
        scope_fields="P,T",
    )
    cancelled = m.Agreement(
        institute_id=imts.id,
        center_id=hg.id,
        title_vi="HĐ HG",
        title_en="HG contract",
        stage="cancelled",
        proposed_on=date(2024, 8, 1),
        scope_fields="P",
    )
    session.add_all([signed, cancelled])
    session.flush()
    for agreement, stage, on in [
        (signed, "proposed", date(2024, 7, 1)),
        (signed, "negotiating", date(2024, 7, 20)),
        (signed, "signed", date(2024, 9, 1)),
        (cancelled, "proposed", date(2024, 8, 1)),
        (cancelled, "cancelled", date(2025, 6, 30)),
    ]:
        session.add(m.AgreementEvent(agreement_id=agreement.id, stage=stage, changed_on=on))
    session.commit()
    return {
        "imts": imts.id,
        "tq": tq.id,
        "hg": hg.id,
        "overdue": overdue.id,
        "due_soon": due_soon.id,
        "in_date": in_date.id,
        "never": never.id,
        "future": future.id,
    }


def link_standards(session: Session, ids: dict[str, int]) -> dict[str, int]:
    """Opt-in (other tests keep a network without links, where every capability counts): which
    standards support which capability, and one more capability.

    - C-TQ verifies pressure gauges with OVERDUE-1 alone: in date before the merger (due
      01/12/2025), overdue at AS_OF, so suspended then, and Tuyên Quang loses local verification.
    - C-TQ calibrates pressure gauges (a new capability) with OVERDUE-1 and SOON-1: in force before
      the merger (both due beyond 30 days), at risk at AS_OF (SOON-1 alone in date, due in 15 days).
    - IMTS's thermometer calibration names no standard: suspended whenever links are recorded.
    """
    verification = session.exec(
        select(m.Capability).where(
            m.Capability.center_id == ids["tq"], m.Capability.service == "verification"
        )
    ).one()
    calibration = m.Capability(
        center_id=ids["tq"],
        instrument_type_code="pressure_gauge",
        service="calibration",
        range_text="0–60 MPa",
        range_min_si=0,
        range_max_si=60e6,
        uncertainty_value=0.5,
        uncertainty_unit="%",
        uncertainty_relative=True,
        annual_capacity=100,
    )
    session.add(calibration)
    session.flush()
    session.add_all(
        [
            m.CapabilityStandard(capability_id=verification.id, equipment_id=ids["overdue"]),
            m.CapabilityStandard(capability_id=calibration.id, equipment_id=ids["overdue"]),
            m.CapabilityStandard(capability_id=calibration.id, equipment_id=ids["due_soon"]),
        ]
    )
    session.commit()
    thermometer = session.exec(select(m.Capability).where(m.Capability.center_id == ids["imts"])).one()
    return {
        "tq_verification": int(verification.id),
        "tq_calibration": int(calibration.id),  # type: ignore[arg-type]
        "imts_thermometer": int(thermometer.id),
    }  # type: ignore[arg-type]
