"""Deterministic demo data for the network, grown from the hand-written spec in data/spec.

Run ``python -m services.seed [--scale N] [--database-url URL] [--as-of YYYY-MM-DD]``.
Everything except the Ha Long conference of 14/06/2024 and the IMTS–Hai Phong contract signed
there is invented (and labelled as demo data in the app).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine, bindparam, insert, text, update
from sqlmodel import SQLModel

from services import models as m
from services.auth import demo_password, demo_username, hash_password
from services.dataset import record_demo_as_of
from services.db import is_empty, make_engine, upgrade_schema
from services.units import to_si as quantity_to_si
from services.units import ureg

SPEC_DIR = Path(__file__).resolve().parent.parent / "data" / "spec"
RANDOM_SEED = 20240614  # the Ha Long conference; any fixed number keeps runs identical
HISTORY_START = date(2018, 1, 1)
VOLUME_START = date(2022, 1, 1)
MERGER_DAY = date(2025, 7, 1)
HA_LONG_DAY = date(2024, 6, 14)
FOREIGN_PROVIDERS = ("PTB (Germany)", "KRISS (Korea)", "NMIJ (Japan)", "NIST (USA)")
HAI_PHONG_CENTER = "TTKT-31"

Progress = Callable[[str, int, int], None]


def read_spec(name: str) -> list[dict[str, str]]:
    with (SPEC_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _opt_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _opt_int(value: str) -> int | None:
    return int(value) if value else None


def _to_si(value: float, unit: str) -> float:
    return quantity_to_si(ureg.Quantity(value, unit))


@dataclass
class _Batch:
    """Rows to bulk-insert per table, with ids assigned here so rows can point at each other."""

    rows: dict[type[SQLModel], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    center_successors: list[dict[str, int]] = field(default_factory=list)
    next_id: dict[type[SQLModel], int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def add(self, table: type[SQLModel], **values: Any) -> int:
        if "id" in table.model_fields and "id" not in values:
            values["id"] = self.next_id[table]
            self.next_id[table] += 1
        self.rows[table].append(values)
        return int(values.get("id", 0))


@dataclass
class _Center:
    id: int
    code: str
    kind: str
    province_key: str
    population: int
    accredited: bool
    active_to: date | None


class DemoNetwork:
    """Builds every row of the demo network in memory, in a fixed order, from one RNG."""

    def __init__(self, scale: int, as_of: date) -> None:
        self.scale = scale
        self.as_of = as_of
        self.rng = random.Random(RANDOM_SEED)
        self.batch = _Batch()
        self.centers: dict[str, _Center] = {}
        self.instrument_types = {row["code"]: row for row in read_spec("instrument_types")}
        self.standards = read_spec("standards")
        self.certificate_counters: dict[str, int] = defaultdict(int)
        self.reference_by_center_quantity: dict[tuple[int, str], list[int]] = defaultdict(list)

    # reference tables -------------------------------------------------------------------
    def add_reference_tables(self) -> None:
        provinces = read_spec("provinces")
        population = {row["key"]: int(row["population_thousands"]) for row in provinces}
        # successors first, so foreign keys hold at every insert
        for row in sorted(provinces, key=lambda r: bool(r["successor_key"])):
            self.batch.add(
                m.Province,
                key=row["key"],
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                capital_vi=row["capital_vi"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                population_thousands=int(row["population_thousands"]),
                valid_from=_opt_date(row["valid_from"]),
                valid_to=_opt_date(row["valid_to"]),
                successor_key=row["successor_key"] or None,
            )
        for row in read_spec("fields"):
            self.batch.add(m.MeasurementField, **{**row, "sort_order": int(row["sort_order"])})
        for row in read_spec("quantities"):
            self.batch.add(m.Quantity, **row)
        for row in self.instrument_types.values():
            self.batch.add(
                m.InstrumentType,
                code=row["code"],
                quantity_code=row["quantity_code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                legally_controlled=row["legally_controlled"].lower() == "true",
                verification_interval_months=_opt_int(row["verification_interval_months"]),
                interval_before_20241015=_opt_int(row["interval_before_20241015"]),
                weight=int(row["weight"] or 1),
            )
        center_rows = read_spec("centers")
        for row in center_rows:
            center_id = self.batch.add(
                m.Center,
                code=row["code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                kind=row["kind"],
                province_key=row["province_key"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                accreditation_no=row["accreditation_no"] or None,
                active_to=_opt_date(row["active_to"]),
                successor_id=None,
            )
            self.centers[row["code"]] = _Center(
                id=center_id,
                code=row["code"],
                kind=row["kind"],
                province_key=row["province_key"],
                population=population.get(row["province_key"], 1000),
                accredited=bool(row["accreditation_no"]),
                active_to=_opt_date(row["active_to"]),
            )
        # set after every center exists: a successor may come later in the file
        self.batch.center_successors = [
            {"center_id": self.centers[row["code"]].id, "successor_id": self.centers[row["successor_code"]].id}
            for row in center_rows
            if row["successor_code"]
        ]

    # equipment and its calibration history --------------------------------------------------
    def equipment_count(self, center: _Center) -> int:
        if center.code == "VMI":
            base = 45
        elif center.kind == m.CenterKind.NATIONAL_INSTITUTE:
            base = 70
        elif center.kind == m.CenterKind.LAB:
            base = 12
        else:
            # bigger provinces hold more: roughly one standard per 120,000 inhabitants, plus a core
            base = 14 + center.population // 120
        return base * self.scale

    def add_equipment(self, progress: Progress | None = None) -> None:
        # Institutes first: provincial standards are traced to their reference standards.
        order = sorted(self.centers.values(), key=lambda c: (c.code != "VMI", c.code != "IMTS", c.code))
        for done, center in enumerate(order, start=1):
            self._add_center_equipment(center)
            if progress:
                progress("equipment", done, len(order))

    def _pick_templates(self, center: _Center, count: int) -> list[dict[str, str]]:
        if center.kind == m.CenterKind.LAB:
            # a lab works in a few fields only
            quantities = sorted({t["quantity_code"] for t in self.standards})
            chosen = set(self.rng.sample(quantities, k=min(3, len(quantities))))
            pool = [t for t in self.standards if t["quantity_code"] in chosen]
        elif center.kind == m.CenterKind.PROVINCIAL_CENTER:
            # small centers lack some specialities: that is where the regional gaps come from
            keep = min(1.0, 0.45 + center.population / 6000)
            pool = [t for t in self.standards if self.rng.random() < keep] or self.standards[:5]
        else:
            pool = self.standards
        weights = [3 if t["reference"] == "true" else 2 for t in pool]
        # every template the center has appears at least once, then weighted repeats
        picks = list(pool) + self.rng.choices(pool, weights=weights, k=max(0, count - len(pool)))
        return picks[:count] if count >= len(pool) else self.rng.sample(pool, k=count)

    def _add_center_equipment(self, center: _Center) -> None:
        used_serials: set[str] = set()
        for template in self._pick_templates(center, self.equipment_count(center)):
            prefix = template["model_prefix"]
            serial = f"{prefix[:3].upper()}-{self.rng.randint(100000, 999999)}"
            while serial in used_serials:
                serial = f"{prefix[:3].upper()}-{self.rng.randint(100000, 999999)}"
            used_serials.add(serial)
            low, high = float(template["range_low"]), float(template["range_high"])
            unit = template["range_unit"]
            acquired = HISTORY_START - timedelta(days=self.rng.randint(0, 15 * 365)) + timedelta(
                days=self.rng.randint(0, (self.as_of - HISTORY_START).days)
            )
            acquired = min(acquired, self.as_of - timedelta(days=20))
            status_roll = self.rng.random()
            status = (
                m.EquipmentStatus.RETIRED
                if status_roll < 0.04
                else m.EquipmentStatus.REPAIR
                if status_roll < 0.10
                else m.EquipmentStatus.IN_SERVICE
            )
            is_reference = template["reference"] == "true"
            uncertainty_unit = template["uncertainty_unit"]
            equipment_id = self.batch.add(
                m.Equipment,
                center_id=center.id,
                quantity_code=template["quantity_code"],
                instrument_type_code=template["instrument_type_code"] or None,
                name=template["name_vi"],
                manufacturer=self.rng.choice(template["manufacturers"].split("|")),
                model=f"{prefix}-{self.rng.randint(1, 9)}{self.rng.choice('0025')}0",
                serial_no=serial,
                range_min=low,
                range_max=high,
                range_unit=unit,
                range_min_si=_to_si(low, unit),
                range_max_si=_to_si(high, unit),
                uncertainty_value=float(template["uncertainty"]),
                uncertainty_unit=uncertainty_unit,
                uncertainty_relative=uncertainty_unit == "%",
                is_reference_standard=is_reference,
                acquired_on=acquired,
                status=status,
                calibration_interval_months=int(template["calibration_interval_months"]),
                last_calibrated_on=None,
                next_due_on=None,
            )
            if is_reference:
                self.reference_by_center_quantity[(center.id, template["quantity_code"])].append(
                    equipment_id
                )
            self._add_history(self.batch.rows[m.Equipment][-1], center, is_reference)

    def _provider_for(self, center: _Center, quantity: str, is_reference: bool) -> tuple[_Center | None, str]:
        vmi, imts = self.centers.get("VMI"), self.centers.get("IMTS")
        if center.code == "VMI":
            return None, self.rng.choice(FOREIGN_PROVIDERS)
        if center.code == "IMTS":
            return (vmi, "VMI") if vmi and self.rng.random() < 0.8 else (None, self.rng.choice(FOREIGN_PROVIDERS))
        if is_reference or not self.reference_by_center_quantity.get((center.id, quantity)):
            provider = imts if self.rng.random() < 0.7 else vmi
            return provider, provider.code if provider else "VMI"
        return center, center.code

    def _add_history(self, equipment: dict[str, Any], center: _Center, is_reference: bool) -> None:
        interval = relativedelta(months=equipment["calibration_interval_months"])
        roll = self.rng.random()
        if roll < 0.03:  # bought recently or forgotten: never calibrated
            return
        days = [max(equipment["acquired_on"], HISTORY_START) + timedelta(days=self.rng.randint(0, 40))]
        while (following := days[-1] + interval + timedelta(days=self.rng.randint(-25, 5))) <= self.as_of:
            days.append(following)
        if roll < 0.13 and len(days) > 1 and days[-1] + interval >= self.as_of:
            days.pop()  # the latest calibration was missed: the equipment runs overdue
        for day in days:
            provider, provider_name = self._provider_for(center, equipment["quantity_code"], is_reference)
            self.certificate_counters[provider_name] += 1
            standards = (
                self.reference_by_center_quantity.get((provider.id, equipment["quantity_code"]))
                if provider
                else None
            )
            result_roll = self.rng.random()
            result = (
                m.CalibrationResult.FAIL
                if result_roll < 0.015
                else m.CalibrationResult.LIMITED
                if result_roll < 0.04
                else m.CalibrationResult.PASS
            )
            # a failed certificate vouches for nothing: the equipment is out of date from that day
            due = day if result == m.CalibrationResult.FAIL else day + interval
            uncertainty = equipment["uncertainty_value"] * self.rng.uniform(0.6, 1.0)
            self.batch.add(
                m.CalibrationRecord,
                equipment_id=equipment["id"],
                calibrated_on=day,
                due_on=due,
                provider_center_id=provider.id if provider else None,
                provider_name=provider_name,
                standard_used_id=self.rng.choice(standards)
                if standards and equipment["id"] not in standards
                else None,
                certificate_no=f"{provider_name[:4].upper()}-{day.year}-"
                f"{self.certificate_counters[provider_name]:06d}",
                result=result,
                measured_error=round(self.rng.gauss(0, uncertainty / 2), 6),
                uncertainty=round(uncertainty, 6),
            )
        equipment["last_calibrated_on"] = days[-1]
        equipment["next_due_on"] = due

    # services offered -----------------------------------------------------------------
    def add_capabilities_and_volumes(self) -> None:
        served: dict[int, set[str]] = defaultdict(set)
        for equipment in self.batch.rows[m.Equipment]:
            if equipment["instrument_type_code"]:
                served[equipment["center_id"]].add(equipment["instrument_type_code"])
        for center in self.centers.values():
            for type_code in sorted(served[center.id]):
                spec = self.instrument_types[type_code]
                legal = spec["legally_controlled"].lower() == "true"
                services = [m.Service.VERIFICATION] if legal else []
                if not legal or self.rng.random() < 0.5:
                    services.append(m.Service.CALIBRATION)
                if self.rng.random() < 0.15:
                    services.append(m.Service.TESTING)
                for service in services:
                    self._add_capability(center, spec, service)

    def _add_capability(self, center: _Center, spec: dict[str, str], service: str) -> None:
        low, high, unit = float(spec["range_low"]), float(spec["range_high"]), spec["range_unit"]
        reach = 1.0 if center.kind == m.CenterKind.NATIONAL_INSTITUTE else self.rng.choice([0.4, 0.6, 0.8, 1.0])
        high = round(low + (high - low) * reach, 6)
        uncertainty = round(float(spec["uncertainty"]) * self.rng.choice([0.5, 0.8, 1.0, 1.5]), 6)
        weight = int(spec["weight"] or 1)
        capacity = max(50, int(weight * (center.population if center.kind == "provincial_center" else 800) / 10))
        capacity = round(capacity, -1)
        self.batch.add(
            m.Capability,
            center_id=center.id,
            instrument_type_code=spec["code"],
            service=service,
            range_text=f"{_plain(low)}–{_plain(high)} {unit}",
            range_min_si=_to_si(low, unit),
            range_max_si=_to_si(high, unit),
            uncertainty_value=uncertainty,
            uncertainty_unit=spec["uncertainty_unit"],
            uncertainty_relative=spec["uncertainty_unit"] == "%",
            annual_capacity=capacity,
            accredited=center.accredited and self.rng.random() < 0.7,
        )
        month = VOLUME_START
        utilization = self.rng.uniform(0.45, 1.05)
        while month <= self.as_of and (center.active_to is None or month <= center.active_to):
            seasonal = 1.0 + 0.15 * (month.month in (3, 4, 10, 11)) - 0.25 * (month.month in (1, 2))
            count = int(capacity / 12 * utilization * seasonal * self.rng.uniform(0.8, 1.2))
            self.batch.add(
                m.ServiceVolume,
                center_id=center.id,
                instrument_type_code=spec["code"],
                service=service,
                month=month,
                count=count,
            )
            month += relativedelta(months=1)

    # cooperation ----------------------------------------------------------------------------
    def add_cooperation(self) -> None:
        imts = self.centers["IMTS"]
        fields = [row["code"] for row in read_spec("fields")]
        provincial = [c for c in self.centers.values() if c.kind == m.CenterKind.PROVINCIAL_CENTER]
        conference = self.batch.add(
            m.Event,
            held_on=HA_LONG_DAY,
            place_vi="Hạ Long, Quảng Ninh",
            place_en="Ha Long, Quang Ninh",
            title_vi="Hội nghị tăng cường hợp tác hạ tầng kỹ thuật đo lường giữa IMTS và các Trung tâm "
            "Kỹ thuật Tiêu chuẩn Đo lường Chất lượng các tỉnh phía Bắc",
            title_en="Conference on strengthening cooperation in measurement technical infrastructure "
            "between IMTS and the northern provinces' Technical Centers",
            kind="conference",
            summary_vi="Đánh giá thực trạng, khó khăn của hạ tầng đo lường quốc gia; thống nhất tăng cường "
            "hợp tác; ký hợp đồng hợp tác giữa IMTS và Trung tâm Hải Phòng.",
            summary_en="Reviewed the state and difficulties of the national measurement infrastructure; "
            "agreed to cooperate; IMTS and Hai Phong's center signed a cooperation contract.",
            source="IMTS, 14/06/2024",
            is_demo=False,
        )
        signing = self.batch.add(
            m.Event,
            held_on=HA_LONG_DAY,
            place_vi="Hạ Long, Quảng Ninh",
            place_en="Ha Long, Quang Ninh",
            title_vi="Ký hợp đồng hợp tác IMTS – Trung tâm Kỹ thuật TĐC Hải Phòng",
            title_en="IMTS – Hai Phong Technical Center cooperation contract signed",
            kind="signing",
            summary_vi="Ký kết tại hội nghị Hạ Long.",
            summary_en="Signed at the Ha Long conference.",
            source="IMTS, 14/06/2024",
            is_demo=False,
        )
        for center in [imts, *provincial]:
            if center.active_to is None or center.active_to >= HA_LONG_DAY:
                self.batch.add(m.EventParticipant, event_id=conference, center_id=center.id)
        self.batch.add(m.EventParticipant, event_id=signing, center_id=imts.id)
        if HAI_PHONG_CENTER in self.centers:
            self.batch.add(m.EventParticipant, event_id=signing, center_id=self.centers[HAI_PHONG_CENTER].id)

        for center in provincial:
            if center.code == HAI_PHONG_CENTER:
                self._add_agreement(
                    imts, center, stages=[("proposed", HA_LONG_DAY), ("signed", HA_LONG_DAY)],
                    scope=fields, expires=None, is_demo=False, source="IMTS, 14/06/2024",
                )
                continue
            self._add_agreement(imts, center, *self._demo_agreement_path(center), scope=self.rng.sample(fields, k=self.rng.randint(2, 5)))
        self._add_demo_events(provincial, imts)

    def _demo_agreement_path(self, center: _Center) -> tuple[list[tuple[str, date]], date | None]:
        proposed = HA_LONG_DAY + timedelta(days=self.rng.randint(20, 200))
        if center.active_to is not None:
            # merged away before anything was signed
            return [("proposed", proposed), ("cancelled", center.active_to)], None
        roll = self.rng.random()
        path = [("proposed", proposed)]
        if roll < 0.2:
            return path, None
        negotiating = proposed + timedelta(days=self.rng.randint(30, 120))
        path.append(("negotiating", negotiating))
        if roll < 0.45 or negotiating > self.as_of:
            return [p for p in path if p[1] <= self.as_of], None
        signed = negotiating + timedelta(days=self.rng.randint(30, 150))
        if signed > self.as_of:
            return path, None
        path.append(("signed", signed))
        expires = signed + relativedelta(years=self.rng.choice([1, 2, 3]))
        if roll < 0.9:
            active = signed + timedelta(days=self.rng.randint(5, 30))
            if active <= self.as_of:
                path.append(("active", active))
        if expires <= self.as_of:
            path.append(("expired", expires))
        return path, expires

    def _add_agreement(
        self, institute: _Center, center: _Center, stages: list[tuple[str, date]], expires: date | None,
        *, scope: Iterable[str], is_demo: bool = True, source: str = "",
    ) -> None:
        signed_on = next((day for stage, day in stages if stage == "signed"), None)
        province = center.code.removeprefix("TTKT-")
        agreement = self.batch.add(
            m.Agreement,
            institute_id=institute.id,
            center_id=center.id,
            title_vi=f"Hợp đồng hợp tác kỹ thuật đo lường IMTS – {center.code}",
            title_en=f"Metrology cooperation contract IMTS – {center.code}",
            stage=stages[-1][0],
            proposed_on=stages[0][1],
            signed_on=signed_on,
            expires_on=expires,
            scope_fields=",".join(sorted(scope)),
            source=source or f"demo ({province})",
            is_demo=is_demo,
        )
        for stage, day in stages:
            self.batch.add(m.AgreementEvent, agreement_id=agreement, stage=stage, changed_on=day, note="")

    def _add_demo_events(self, provincial: list[_Center], imts: _Center) -> None:
        kinds = [
            ("training", "Tập huấn kiểm định {type}", "Training on verifying {type_en}"),
            ("audit", "Đánh giá năng lực phòng thử nghiệm", "Laboratory competence audit"),
            ("conference", "Hội thảo chuyên đề đo lường", "Metrology workshop"),
        ]
        types = list(self.instrument_types.values())
        for _ in range(12):
            center = self.rng.choice(provincial)
            kind, title_vi, title_en = self.rng.choice(kinds)
            instrument = self.rng.choice(types)
            held = HA_LONG_DAY + timedelta(days=self.rng.randint(-500, (self.as_of - HA_LONG_DAY).days))
            event = self.batch.add(
                m.Event,
                held_on=held,
                place_vi=center.code,
                place_en=center.code,
                title_vi=title_vi.format(type=instrument["name_vi"].lower()),
                title_en=title_en.format(type_en=instrument["name_en"].lower()),
                kind=kind,
                summary_vi="Dữ liệu minh họa.",
                summary_en="Demo data.",
                source="demo",
                is_demo=True,
            )
            self.batch.add(m.EventParticipant, event_id=event, center_id=center.id)
            self.batch.add(m.EventParticipant, event_id=event, center_id=imts.id)

    def build(self, progress: Progress | None = None) -> _Batch:
        self.add_reference_tables()
        self.add_equipment(progress)
        self.add_capabilities_and_volumes()
        self.add_cooperation()
        self.add_demo_users()
        return self.batch

    # demo accounts (data-management page) ---------------------------------------------------
    def add_demo_users(self) -> None:
        """``admin``, a read-only ``viewer``, and one staff account per open center (``ttkt31``).

        Passwords are ``<username>-demo`` (README). Salts come from the name, not the RNG, so the
        rest of the demo network does not change and a re-seed writes identical rows.
        """
        def account(username: str, role: str, center_id: int | None) -> None:
            salt = hashlib.sha256(f"demo-salt:{username}".encode()).digest()[:16]
            self.batch.add(m.User, username=username, role=role, center_id=center_id,
                           password_hash=hash_password(demo_password(username), salt=salt))

        account("admin", m.Role.ADMIN, None)
        account("viewer", m.Role.VIEWER, None)
        for center in self.centers.values():
            if center.active_to is None:
                account(demo_username(center.code), m.Role.CENTER_STAFF, center.id)


def _plain(value: float) -> str:
    return f"{value:g}"


INSERT_ORDER: tuple[type[SQLModel], ...] = (
    m.Province, m.MeasurementField, m.Quantity, m.InstrumentType, m.Center, m.Equipment,
    m.CalibrationRecord, m.Capability, m.ServiceVolume, m.Agreement, m.AgreementEvent,
    m.Event, m.EventParticipant, m.User,
)


def seed(engine: Engine, *, scale: int = 1, as_of: date | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Create the schema if needed and fill an empty database in one transaction; row counts out."""
    upgrade_schema(engine)
    batch = DemoNetwork(scale=scale, as_of=as_of or date.today()).build(progress)
    with engine.begin() as connection:
        if connection.execute(text("SELECT COUNT(*) FROM center")).scalar_one():
            raise RuntimeError("The database already holds data; seed an empty database.")
        for table in INSERT_ORDER:
            rows = batch.rows[table]
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
                if progress:
                    progress(table.__tablename__, min(start + 5000, len(rows)), len(rows))
            if table is m.Center and batch.center_successors:
                connection.execute(
                    update(m.Center).where(m.Center.id == bindparam("center_id")).values(
                        successor_id=bindparam("successor_id")
                    ),
                    batch.center_successors,
                )
        record_demo_as_of(connection, as_of or date.today())
        if connection.dialect.name == "postgresql":
            # ids were assigned here, so move each sequence past them
            for table in INSERT_ORDER:
                if "id" in table.model_fields:
                    name = table.__tablename__
                    connection.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                             f"COALESCE((SELECT MAX(id) FROM {name}), 1))")
                    )
    return {str(table.__tablename__): len(batch.rows[table]) for table in INSERT_ORDER}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fill an empty database with the demo network.")
    parser.add_argument("--scale", type=int, default=1, help="multiply equipment and history (default 1)")
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL or data/metrology.db")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="the seed's 'today'")
    parser.add_argument("--if-empty", action="store_true", help="do nothing when data is already there")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    engine = make_engine(args.database_url)
    if args.if_empty:
        upgrade_schema(engine)
        if not is_empty(engine):
            print("The database already holds data; nothing to seed.")
            return

    bars: dict[str, tqdm] = {}

    def show(stage: str, done: int, total: int) -> None:
        bar = bars.setdefault(stage, tqdm(total=total, desc=f"{stage:>20}", unit="rows" if stage != "equipment" else "centers"))
        bar.n = done
        bar.refresh()

    counts = seed(engine, scale=args.scale, as_of=args.as_of, progress=show)
    for bar in bars.values():
        bar.close()
    for table, count in counts.items():
        print(f"{table:>20}: {count:>9,}")


if __name__ == "__main__":
    main()
