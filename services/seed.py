"""Fill an empty database with the demo network, as of one day.

Run ``python -m services.seed [--scale N] [--database-url URL] [--as-of YYYY-MM-DD]``.
The network is built by ``services.demo`` from the hand-written spec in data/spec, independently
of the day; this module cuts it at the seed day, numbers the rows in date order (so a later seed
day only appends) and writes everything in one transaction. Everything except the Hạ Long
conference of 14/06/2024 and the IMTS–Hải Phòng contract signed there is invented (and labelled
as demo data in the app).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, text, update
from sqlmodel import SQLModel, col

from services import models as m
from services.auth import demo_password, demo_username, hash_password
from services.bulk_insert import bulk_insert, indexes_deferred
from services.dataset import record_demo_as_of
from services.db import is_empty, make_engine, refresh_statistics, upgrade_schema
from services.demo import cooperation as demo_cooperation
from services.demo.equipment import HISTORY_START, HORIZON, Certificate, Item, network_items
from services.demo.services_offered import Offer, monthly_volumes, offers
from services.demo.spec import NATIONAL, NETWORKS, NORTHERN, Template, centers, opt_date, opt_int, read_spec
from services.notices import demo_email
from services.units import display_unit, from_si, stored_uncertainty, to_si, ureg

Progress = Callable[[str, int, int], None]


@cache
def _si(value: float, unit: str) -> float:
    return to_si(ureg.Quantity(value, unit))


@cache
def _has_id(table: type[SQLModel]) -> bool:
    return "id" in table.model_fields  # pydantic builds this mapping anew on each access


@dataclass
class _Batch:
    """Rows to bulk-insert per table, with ids assigned here so rows can point at each other.

    Rows are tuples in the column order of the table's first row (a million dicts would not fit
    the memory budget of the national network); every row of a table names the same columns.
    """

    rows: dict[type[SQLModel], list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))
    columns: dict[type[SQLModel], tuple[str, ...]] = field(default_factory=dict)
    # tables too big to hold as rows: (row count, a function yielding them in id order at write time)
    lazy: dict[type[SQLModel], tuple[int, Callable[[], Iterator[tuple[Any, ...]]]]] = field(
        default_factory=dict
    )
    center_successors: list[dict[str, int]] = field(default_factory=list)
    next_id: dict[type[SQLModel], int] = field(default_factory=lambda: defaultdict(lambda: 1))

    def add(self, table: type[SQLModel], **values: Any) -> int:
        if _has_id(table) and "id" not in values:
            values["id"] = self.next_id[table]
            self.next_id[table] += 1
        columns = self.columns.setdefault(table, tuple(values))
        if len(values) != len(columns):
            raise ValueError(f"{table.__tablename__}: row names {sorted(values)}, not {sorted(columns)}")
        self.rows[table].append(tuple(values[name] for name in columns))
        return int(values.get("id", 0))

    def add_lazy(
        self,
        table: type[SQLModel],
        columns: tuple[str, ...],
        count: int,
        rows: Callable[[], Iterator[tuple[Any, ...]]],
    ) -> None:
        self.columns[table], self.lazy[table] = columns, (count, rows)

    def count(self, table: type[SQLModel]) -> int:
        return self.lazy[table][0] if table in self.lazy else len(self.rows[table])

    def dicts(self, table: type[SQLModel]) -> list[dict[str, Any]]:
        columns = self.columns.get(table, ())
        return [dict(zip(columns, row, strict=True)) for row in self.rows[table]]


class DemoNetwork:
    """The demo network cut at ``as_of``, as rows numbered in date order."""

    def __init__(self, scale: int, as_of: date, network: str = NORTHERN) -> None:
        if as_of > HORIZON:
            raise ValueError(
                f"The demo network is generated up to {HORIZON:%d/%m/%Y}; choose an earlier day."
            )
        if scale < 1:
            raise ValueError(
                f"The scale multiplies every center's kit: a whole number of at least 1, not {scale}."
            )
        if network not in NETWORKS:
            raise ValueError(f"Unknown demo network {network!r}; choose one of {', '.join(NETWORKS)}.")
        self.scale = scale
        self.network = network
        self.as_of = as_of
        self.batch = _Batch()
        self.center_ids: dict[str, int] = {}
        self.items: list[Item] = []  # every item to the horizon; those held on the seed day have an id

    def build(self, progress: Progress | None = None) -> _Batch:
        self.add_reference_tables()
        self.add_equipment(progress)
        self.add_capabilities_and_volumes()
        self.add_cooperation()
        self.add_demo_users()
        return self.batch

    # reference tables -------------------------------------------------------------------
    def add_reference_tables(self) -> None:
        self._add_provinces()
        self._add_catalogues()
        self._add_centers()

    def _add_provinces(self) -> None:
        # successors first, so foreign keys hold at every insert
        for row in sorted(read_spec("provinces", self.network), key=lambda r: bool(r["successor_key"])):
            self.batch.add(
                m.Province,
                key=row["key"],
                **_place(row),
                capital_vi=row["capital_vi"],
                population_thousands=int(row["population_thousands"]),
                valid_from=opt_date(row["valid_from"]),
                valid_to=opt_date(row["valid_to"]),
                successor_key=row["successor_key"] or None,
            )

    def _add_catalogues(self) -> None:
        """Fields, quantities and instrument types: the same in every network."""
        for row in read_spec("fields"):
            self.batch.add(m.MeasurementField, **{**row, "sort_order": int(row["sort_order"])})
        for row in read_spec("quantities"):
            self.batch.add(m.Quantity, **row)
        for row in read_spec("instrument_types"):
            self.batch.add(
                m.InstrumentType,
                code=row["code"],
                quantity_code=row["quantity_code"],
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                legally_controlled=row["legally_controlled"].lower() == "true",
                verification_interval_months=opt_int(row["verification_interval_months"]),
                interval_before_20241015=opt_int(row["interval_before_20241015"]),
                weight=int(row["weight"] or 1),
            )

    def _add_centers(self) -> None:
        center_rows = read_spec("centers", self.network)
        for row in center_rows:
            self.center_ids[row["code"]] = self.batch.add(
                m.Center,
                **_place(row),
                kind=row["kind"],
                province_key=row["province_key"],
                accreditation_no=row["accreditation_no"] or None,
                active_to=opt_date(row["active_to"]),
                successor_id=None,
            )
        # set after every center exists: a successor may come later in the file
        self.batch.center_successors = [
            {
                "center_id": self.center_ids[row["code"]],
                "successor_id": self.center_ids[row["successor_code"]],
            }
            for row in center_rows
            if row["successor_code"]
        ]
        for row in read_spec("center_names", self.network):
            self.batch.add(
                m.CenterNameHistory,
                center_id=self.center_ids[row["center_code"]],
                valid_to=date.fromisoformat(row["valid_to"]),
                name_vi=row["name_vi"],
                name_en=row["name_en"],
            )

    # equipment and certificates ---------------------------------------------------------------
    def add_equipment(self, progress: Progress | None = None) -> None:
        if progress:
            progress("building the network", 0, 1)
        items = network_items(self.scale, self.network, self.as_of)
        if progress:
            progress("building the network", 1, 1)
        for item in items:  # ids of an earlier seed in this process: every one is numbered anew
            item.id = 0
        self.items = list(items)
        held = sorted((item for item in items if item.acquired_on <= self.as_of), key=Item.sort_key)
        for number, item in enumerate(held, start=1):
            item.id = number
        self.batch.add_lazy(m.Equipment, EQUIPMENT_COLUMNS, len(held), lambda: map(self._equipment_row, held))
        self.add_status_periods(held)
        issued = sorted(
            (
                (certificate, item)
                for item in held
                for certificate in item.certificates
                if HISTORY_START <= certificate.day <= self.as_of
            ),
            key=lambda pair: (pair[0].day, pair[1].id),
        )
        # a million certificates are written as they are made, never held as rows
        self.batch.add_lazy(
            m.CalibrationRecord, CERTIFICATE_COLUMNS, len(issued), lambda: self._certificate_rows(issued)
        )

    def add_status_periods(self, held: list[Item]) -> None:
        """Each item's spans in repair and its retirement that began by the seed day, numbered in
        date order; a repair still running on the seed day is open (its end lies after it)."""
        periods = [
            (start, item.id, m.EquipmentStatus.REPAIR.value, end if end <= self.as_of else None)
            for item in held
            for start, end in item.repairs
            if start <= self.as_of
        ]
        periods += [
            (item.retired_on, item.id, m.EquipmentStatus.RETIRED.value, None)
            for item in held
            if item.retired_on is not None and item.retired_on <= self.as_of
        ]
        for start, equipment_id, status, end in sorted(periods):
            self.batch.add(
                m.EquipmentStatusPeriod, equipment_id=equipment_id, status=status, start_on=start, end_on=end
            )

    def _certificate_rows(self, issued: list[tuple[Certificate, Item]]) -> Iterator[tuple[Any, ...]]:
        """Rows in CERTIFICATE_COLUMNS order, numbered in date order; each provider numbers its
        certificates per year."""
        numbers: dict[tuple[str, int], int] = defaultdict(int)
        for number, (certificate, item) in enumerate(issued, start=1):
            year = certificate.day.year
            numbers[(certificate.provider_name, year)] += 1
            yield (
                number,
                item.id,
                certificate.day,
                certificate.due,
                self.center_ids[certificate.provider_code] if certificate.provider_code else None,
                certificate.provider_name,
                certificate.standard.id if certificate.standard else None,
                _certificate_no(
                    certificate.provider_name,
                    certificate.provider_code,
                    item,
                    year,
                    numbers[(certificate.provider_name, year)],
                ),
                certificate.result,
                certificate.error,
                certificate.uncertainty,
            )

    def _equipment_row(self, item: Item) -> tuple[Any, ...]:
        """The item as held on the seed day, in EQUIPMENT_COLUMNS order."""
        template = item.template
        latest = next((c for c in reversed(item.certificates) if HISTORY_START <= c.day <= self.as_of), None)
        return (
            item.id,
            self.center_ids[item.center.code],
            template.quantity_code,
            template.equipment_type_code,
            template.name_vi,
            item.manufacturer,
            item.model,
            item.serial,
            template.range_low,
            template.range_high,
            template.range_unit,
            _si(template.range_low, template.range_unit),
            _si(template.range_high, template.range_unit),
            template.uncertainty,
            template.uncertainty_unit,
            template.uncertainty_unit == "%",
            template.is_reference,
            item.acquired_on,
            item.status_on(self.as_of),
            template.calibration_interval_months,
            latest.day if latest else None,
            latest.due if latest else None,
        )

    # services offered -----------------------------------------------------------------
    def add_capabilities_and_volumes(self) -> None:
        """Capabilities of the instrument types the centers' standards serve, each linked to them.

        What a center offers, its range and its uncertainty depend only on its slots (drawn to the
        horizon), never on the seed day; the links name every item of those slots held on the seed
        day, so a later seed day only adds links (replacements keep supporting the capability).
        """
        slots: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (center, type) -> items
        for item in self.items:
            if item.template.instrument_type_code:
                slots[(item.center.code, item.template.instrument_type_code)].append(item)
        served: dict[str, set[str]] = defaultdict(set)
        for center_code, type_code in slots:
            served[center_code].add(type_code)
        types = {row["code"]: row for row in read_spec("instrument_types")}
        offer_list = offers(served, self.network)
        links: list[tuple[int, int]] = []
        for offer in offer_list:
            spec = types[offer.instrument_type_code]
            items = slots[(offer.center.code, offer.instrument_type_code)]
            # only standards of the type's own quantity bound its range and uncertainty: a 100 L
            # volume can backs a water-meter bench but says nothing about its flow-rate range
            backing = _backing_templates(
                [i for i in items if i.template.quantity_code == spec["quantity_code"]]
            )
            low, high, unit = _capability_range(spec, offer.reach, backing)
            unit_text = "" if unit == "dimensionless" else f" {display_unit(unit)}"
            uncertainty = _capability_uncertainty(
                float(f"{float(spec['uncertainty']) * offer.uncertainty_factor:.6g}"),
                spec["uncertainty_unit"],
                _si(low, unit),
                _si(high, unit),
                backing,
            )
            capability = self.batch.add(
                m.Capability,
                center_id=self.center_ids[offer.center.code],
                instrument_type_code=offer.instrument_type_code,
                service=offer.service,
                range_text=f"{low:g}–{high:g}{unit_text}",
                range_min_si=_si(low, unit),
                range_max_si=_si(high, unit),
                uncertainty_value=uncertainty,
                uncertainty_unit=spec["uncertainty_unit"],
                uncertainty_relative=spec["uncertainty_unit"] == "%",
                annual_capacity=offer.annual_capacity,
                accredited=offer.accredited,
                designated=offer.designated,
            )
            links += [(capability, item.id) for item in items if item.acquired_on <= self.as_of]
        self.batch.columns[m.CapabilityStandard] = ("capability_id", "equipment_id")
        self.batch.rows[m.CapabilityStandard] = sorted(links)  # a third of a million at national scale
        self._add_volumes(offer_list)

    def _add_volumes(self, offer_list: list[Offer]) -> None:
        """Each offer's monthly volumes up to the seed day, numbered by month."""
        volumes = monthly_volumes(offer_list, self.as_of, self.network)
        for (center_code, type_code, service, month), count in sorted(
            volumes.items(), key=lambda kv: (kv[0][3], kv[0][:3])
        ):
            self.batch.add(
                m.ServiceVolume,
                center_id=self.center_ids[center_code],
                instrument_type_code=type_code,
                service=service,
                month=month,
                count=count,
            )

    # cooperation ----------------------------------------------------------------------------
    def add_cooperation(self) -> None:
        institute = self.center_ids["IMTS"]
        plans = sorted(
            (p for p in demo_cooperation.agreements(self.network) if p.stages[0][1] <= self.as_of),
            key=lambda p: (p.stages[0][1], p.center.code),
        )
        history: list[tuple[date, int, int, str]] = []
        for plan in plans:
            stages = plan.stages_until(self.as_of)
            signed_on = next((on for stage, on in stages if stage == "signed"), None)
            real = not plan.is_demo
            agreement = self.batch.add(
                m.Agreement,
                institute_id=institute,
                center_id=self.center_ids[plan.center.code],
                title_vi="Hợp đồng hợp tác giữa IMTS và Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Hải Phòng"
                if real
                else f"Hợp đồng hợp tác kỹ thuật đo lường IMTS – {plan.center.code}",
                title_en="Cooperation contract between IMTS and Hai Phong's Technical Center for Standards, "
                "Metrology and Quality"
                if real
                else f"Metrology cooperation contract IMTS – {plan.center.code}",
                stage=stages[-1][0],
                proposed_on=stages[0][1],
                signed_on=signed_on,
                expires_on=plan.expires_on if signed_on else None,
                scope_fields=",".join(plan.scope),
                source=plan.source or "demo",
                is_demo=plan.is_demo,
            )
            history += [(on, agreement, order, stage) for order, (stage, on) in enumerate(stages)]
        for on, agreement, _order, stage in sorted(history):
            self.batch.add(m.AgreementEvent, agreement_id=agreement, stage=stage, changed_on=on, note="")
        events = demo_cooperation.real_events() + demo_cooperation.demo_events(self.network)
        ordered = sorted(
            (e for e in events if e.held_on <= self.as_of),
            key=lambda e: (e.held_on, bool(e.values["is_demo"])),
        )
        for event_plan in ordered:
            event = self.batch.add(m.Event, held_on=event_plan.held_on, **event_plan.values)
            for code in event_plan.participants:
                self.batch.add(m.EventParticipant, event_id=event, center_id=self.center_ids[code])

    # demo accounts (data-management page) ---------------------------------------------------
    def add_demo_users(self) -> None:
        """``admin``, a read-only ``viewer``, and one staff account per open center (``ttkt31``).

        Salts come from the name, so a re-seed writes identical rows.
        """

        def account(username: str, role: str, center_id: int | None) -> None:
            self.batch.add(
                m.User,
                username=username,
                role=role,
                center_id=center_id,
                email=demo_email(username),
                password_hash=_demo_hash(username),
            )

        account("admin", m.Role.ADMIN, None)
        account("viewer", m.Role.VIEWER, None)
        for center in centers(self.network):
            if center.active_to is None:
                account(demo_username(center.code), m.Role.CENTER_STAFF, self.center_ids[center.code])


def _place(row: dict[str, str]) -> dict[str, Any]:
    """The columns a province and a center share: code, names and where it lies."""
    return {
        "code": row["code"],
        "name_vi": row["name_vi"],
        "name_en": row["name_en"],
        "lat": float(row["lat"]),
        "lon": float(row["lon"]),
    }


def _backing_templates(items: list[Item]) -> list[Template]:
    """The templates of the slots that started first for a capability: whatever the seed day, a
    capability with any standard holds an item of these (a slot's items follow one another)."""
    if not items:
        return []
    first = min(item.acquired_on for item in items)
    starts = {
        (item.slot, item.template.index): item.template
        for item in items
        if item.generation == 0 and item.acquired_on == first
    }
    return list(starts.values())


ZERO_SHARE = 0.01  # a standard starting this close to zero (a share of its top) covers zero too


def standard_span(low_si: float, high_si: float) -> tuple[float, float]:
    """What a standard's range lets a capability cover: checking an instrument's zero needs no
    standard (it is vented, unloaded, shorted), so a range from 0,1 MPa to 70 MPa serves from 0."""
    if 0 < low_si <= ZERO_SHARE * high_si:
        return 0.0, high_si
    return low_si, high_si


def _inward(value: float, *, up: bool) -> float:
    """``value`` to three significant digits, rounded towards the inside of a range (so a range
    clipped to a standard's, converted from another unit, reads 1,51–300 mmHg, not 1,50013–300)."""
    if value == 0 or not math.isfinite(value):
        return value
    step = 10 ** (math.floor(math.log10(abs(value))) - 2)
    rounded = (math.ceil if up else math.floor)(round(value / step, 6)) * step
    return float(f"{rounded:.3g}")


def _capability_range(
    spec: dict[str, str], reach: float, backing: list[Template]
) -> tuple[float, float, str]:
    """The instrument type's range (its top scaled by the center's reach), clipped to what the
    backing standards cover (compared in SI), in the type's unit."""
    low, high, unit = float(spec["range_low"]), float(spec["range_high"]), spec["range_unit"]
    high = float(f"{low + (high - low) * reach:.6g}")
    if not backing:
        return low, high, unit
    low_si, high_si = _si(low, unit), _si(high, unit)
    spans = [standard_span(_si(t.range_low, t.range_unit), _si(t.range_high, t.range_unit)) for t in backing]
    # the standard overlapping the range most; when none overlaps, the range it could serve
    best = max(spans, key=lambda span: (min(high_si, span[1]) - max(low_si, span[0]), span[1] - span[0]))
    clipped = (max(low_si, best[0]), min(high_si, best[1]))
    if clipped[0] >= clipped[1]:
        full = _si(float(spec["range_high"]), unit)
        clipped = (max(low_si, best[0]), min(full, best[1]))
        if clipped[0] >= clipped[1]:
            clipped = best
    return (_inward(from_si(clipped[0], unit), up=True), _inward(from_si(clipped[1], unit), up=False), unit)


def _capability_uncertainty(
    value: float, unit: str, low_si: float, high_si: float, backing: list[Template]
) -> float:
    """The capability's best uncertainty, raised where it would be better than its best standard's
    at either end of its range (a service cannot measure better than the standard it uses)."""
    if not backing:
        return value
    relative = unit == "%"
    own = stored_uncertainty(1.0, unit, relative).value_si  # SI per unit of ``value``
    ends = [x for x in (low_si, high_si) if x != 0] if relative else [low_si, high_si]
    if not ends or own == 0:
        return value

    def standard_at(x: float) -> float:
        return min(
            stored_uncertainty(t.uncertainty, t.uncertainty_unit, t.uncertainty_unit == "%").at(x)
            for t in backing
        )

    needed = max(standard_at(x) / (abs(x) if relative else 1.0) for x in ends) / own
    if value >= needed * (1 - 1e-9):
        return value
    exponent = math.floor(math.log10(needed)) - 1
    return float(f"{math.ceil(round(needed / 10**exponent, 6)) * 10**exponent:.2g}")


@cache
def _demo_hash(username: str) -> str:
    """The demo account's hash, salted from its name: identical rows on every seed, and Argon2 runs
    once per account and process (the tests seed many databases)."""
    salt = hashlib.sha256(f"demo-salt:{username}".encode()).digest()[:16]
    return hash_password(demo_password(username), salt=salt)


EQUIPMENT_COLUMNS = (
    "id",
    "center_id",
    "quantity_code",
    "instrument_type_code",
    "name",
    "manufacturer",
    "model",
    "serial_no",
    "range_min",
    "range_max",
    "range_unit",
    "range_min_si",
    "range_max_si",
    "uncertainty_value",
    "uncertainty_unit",
    "uncertainty_relative",
    "is_reference_standard",
    "acquired_on",
    "status",
    "calibration_interval_months",
    "last_calibrated_on",
    "next_due_on",
)
CERTIFICATE_COLUMNS = (
    "id",
    "equipment_id",
    "calibrated_on",
    "due_on",
    "provider_center_id",
    "provider_name",
    "standard_used_id",
    "certificate_no",
    "result",
    "measured_error",
    "uncertainty",
)


def _certificate_no(provider_name: str, provider_code: str | None, item: Item, year: int, number: int) -> str:
    if item.template.crm:
        return f"CRM-{item.center.code}-{item.serial}"
    prefix = provider_code or provider_name.split()[0]
    return f"{prefix}-{year}-{number:05d}"


INSERT_ORDER: tuple[type[SQLModel], ...] = (
    m.Province,
    m.MeasurementField,
    m.Quantity,
    m.InstrumentType,
    m.Center,
    m.CenterNameHistory,
    m.Equipment,
    m.EquipmentStatusPeriod,
    m.CalibrationRecord,
    m.Capability,
    m.CapabilityStandard,
    m.ServiceVolume,
    m.Agreement,
    m.AgreementEvent,
    m.Event,
    m.EventParticipant,
    m.User,
)


def default_seed_day(today: date) -> date:
    """Today, or the horizon when today lies beyond it."""
    return min(today, HORIZON)


# The tables that hold the network's bulk, written with COPY / executemany (services.bulk_insert);
# the small ones go through SQLAlchemy, which fills their Python-side defaults.
BULK_TABLES = frozenset(
    {m.Equipment, m.EquipmentStatusPeriod, m.CalibrationRecord, m.CapabilityStandard, m.ServiceVolume}
)
# `--scale national`: the whole country at this multiple of each center's kit, sized so that the
# seed holds over 100,000 equipment and 1,000,000 certificates (tests/test_national_network.py)
NATIONAL_SCALE = 86


def seed(
    engine: Engine,
    *,
    scale: int = 1,
    as_of: date | None = None,
    progress: Progress | None = None,
    network: str = NORTHERN,
) -> dict[str, int]:
    """Create the schema if needed and fill an empty database in one transaction; row counts out."""
    upgrade_schema(engine)
    day = as_of or default_seed_day(date.today())
    network_spec = DemoNetwork(scale=scale, as_of=day, network=network)  # refuses a bad day or scale first
    with engine.connect() as connection:  # before minutes of work, not after
        _refuse_if_filled(connection)
    # Argon2 takes a tenth of a second per account and releases the GIL: hash on the second core
    # while the network is drawn on the first
    hashing = threading.Thread(target=_hash_demo_accounts, args=(network,), daemon=True)
    hashing.start()
    with _no_cyclic_gc():
        batch = network_spec.build(progress)
        _write(engine, batch, day, progress)
    refresh_statistics(engine)
    hashing.join()
    return {str(table.__tablename__): batch.count(table) for table in INSERT_ORDER}


def demo_usernames(network: str) -> list[str]:
    return ["admin", "viewer", *(demo_username(c.code) for c in centers(network) if c.active_to is None)]


def _hash_demo_accounts(network: str) -> None:
    for username in demo_usernames(network):
        _demo_hash(username)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Millions of small acyclic objects: the cyclic collector would walk them again and again
    (a fifth of the national seed's time) and free nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _refuse_if_filled(connection: Connection) -> None:
    if connection.execute(text("SELECT COUNT(*) FROM center")).scalar_one():
        raise RuntimeError("The database already holds data; seed an empty database.")


def _write(engine: Engine, batch: _Batch, day: date, progress: Progress | None) -> None:
    with engine.begin() as connection:
        _refuse_if_filled(connection)
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # a large page cache keeps the indexes in memory while a million rows go in; the rows
            # point at ids assigned here, so SQLite need not look each parent up (a third of the
            # write time); this works only before the transaction's first write (it is still open)
            connection.exec_driver_sql("PRAGMA cache_size=-131072")
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table in INSERT_ORDER:
            _write_table(connection, batch, table, progress)
        record_demo_as_of(connection, day)
        if connection.dialect.name == "postgresql":
            # ids were assigned here, so move each sequence past them
            for table in INSERT_ORDER:
                if "id" in table.model_fields:
                    name = table.__tablename__
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {name}), 1))"
                        )
                    )
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # the pooled connection goes back as it came


def _write_table(
    connection: Connection, batch: _Batch, table: type[SQLModel], progress: Progress | None
) -> None:
    rows: Iterable[tuple[Any, ...]] = batch.rows[table]
    total = batch.count(table)
    name = str(table.__tablename__)
    if table in batch.lazy:
        rows = batch.lazy[table][1]()
    if table in BULK_TABLES and total:
        # SQLModel sets __table__ on table=True classes at class creation but does not declare it
        sql_table = table.__table__  # type: ignore[attr-defined]
        with indexes_deferred(connection, sql_table):
            for written in bulk_insert(connection, sql_table, batch.columns[table], rows):
                if progress:
                    progress(name, written, total)
    else:
        dicts = batch.dicts(table)
        for start in range(0, len(dicts), 5000):
            connection.execute(insert(table), dicts[start : start + 5000])
            if progress:
                progress(name, min(start + 5000, len(dicts)), len(dicts))
    if table is m.Center and batch.center_successors:
        connection.execute(
            update(m.Center)
            .where(col(m.Center.id) == bindparam("center_id"))
            .values(successor_id=bindparam("successor_id")),
            batch.center_successors,
        )
    if progress and not total:
        progress(name, 0, 0)


def parse_scale(value: str) -> tuple[str, int]:
    """``--scale``: a whole number (the northern network, each kit that many times) or ``national``."""
    if value.strip().lower() == NATIONAL:
        return NATIONAL, NATIONAL_SCALE
    try:
        scale = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or 'national', not {value!r}") from None
    if scale < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {scale}")
    return NORTHERN, scale


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fill an empty database with the demo network.")
    parser.add_argument(
        "--scale",
        type=parse_scale,
        default=(NORTHERN, 1),
        metavar="N|national",
        help="N multiplies the northern network's equipment and history (default 1); "
        f"'national' seeds all 63/34 provinces (scale {NATIONAL_SCALE})",
    )
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL or data/metrology.db")
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help=f"the day the demo describes (default: today; at most {HORIZON:%Y-%m-%d})",
    )
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
        if stage not in bars:  # one bar per stage, created once
            bars[stage] = tqdm(
                total=total, desc=f"{stage:>20}", unit="rows" if stage != "building the network" else "steps"
            )
        bars[stage].n = done
        bars[stage].refresh()

    day = args.as_of or default_seed_day(date.today())
    network, scale = args.scale
    counts = seed(engine, scale=scale, as_of=day, progress=show, network=network)
    for bar in bars.values():
        bar.close()
    for table, count in counts.items():
        print(f"{table:>20}: {count:>9,}")
    print(f"demo data as of {day:%d/%m/%Y}")


if __name__ == "__main__":
    main()
