"""The hand-written spec of the demo network (data/spec/*.csv), read into typed rows."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from services.units import to_si, ureg

SPEC_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "spec"
NORTHERN, NATIONAL = "northern", "national"  # the 25 northern provinces, or the whole country
NETWORKS = (NORTHERN, NATIONAL)
# what the national network has of its own (data/spec/national/, written by tools/national_spec.py);
# standards, instrument types, quantities and fields are the same everywhere
NETWORK_FILES = frozenset({"provinces", "centers", "center_names"})
LEVELS = ("national", "institute", "reference", "working")  # best first
RADIATION_FIELD = "RI"


def read_spec(name: str, network: str = NORTHERN) -> list[dict[str, str]]:
    if network not in NETWORKS:
        raise ValueError(f"Unknown demo network {network!r}; choose one of {', '.join(NETWORKS)}.")
    folder = SPEC_DIR / NATIONAL if network == NATIONAL and name in NETWORK_FILES else SPEC_DIR
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def opt_date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def opt_int(value: str) -> int | None:
    return int(value) if value else None


@dataclass(frozen=True)
class Template:
    """A kind of standard a center may hold (one row of standards.csv)."""

    index: int
    quantity_code: str
    field_code: str
    instrument_type_code: str | None
    level: str
    name_vi: str
    manufacturers: tuple[str, ...]
    model_prefix: str
    range_low: float
    range_high: float
    range_unit: str
    uncertainty: float
    uncertainty_unit: str
    calibration_interval_months: int
    crm: bool
    # the type written on the equipment row: the served type when it measures the standard's own
    # quantity, else none (a 20 L volume can serves fuel dispensers, which measure flow rate, but
    # is no flow-rate instrument, and the equipment import refuses a type of another quantity)
    equipment_type_code: str | None = None

    @property
    def is_reference(self) -> bool:
        return self.level != "working"

    @property
    def rank(self) -> int:
        return LEVELS.index(self.level)

    @cached_property
    def fit_row(self) -> dict[str, object]:
        """The mapping ``services.standard_fit`` judges."""
        return {
            "quantity_code": self.quantity_code,
            "range_min_si": to_si(ureg.Quantity(self.range_low, self.range_unit)),
            "range_max_si": to_si(ureg.Quantity(self.range_high, self.range_unit)),
            "uncertainty_value": self.uncertainty,
            "uncertainty_unit": self.uncertainty_unit,
            "uncertainty_relative": self.uncertainty_unit == "%",
        }


@cache
def templates() -> tuple[Template, ...]:
    field_of = {row["code"]: row["field_code"] for row in read_spec("quantities")}
    type_quantity = {row["code"]: row["quantity_code"] for row in read_spec("instrument_types")}
    rows = []
    for index, row in enumerate(read_spec("standards")):
        level = row.get("level") or ("reference" if row.get("reference") == "true" else "working")
        served = row["instrument_type_code"] or None
        rows.append(
            Template(
                index=index,
                quantity_code=row["quantity_code"],
                field_code=field_of[row["quantity_code"]],
                instrument_type_code=served,
                level=level,
                name_vi=row["name_vi"],
                manufacturers=tuple(row["manufacturers"].split("|")),
                model_prefix=row["model_prefix"],
                range_low=float(row["range_low"]),
                range_high=float(row["range_high"]),
                range_unit=row["range_unit"],
                uncertainty=float(row["uncertainty"]),
                uncertainty_unit=row["uncertainty_unit"],
                calibration_interval_months=int(row["calibration_interval_months"]),
                crm=row.get("crm", "").lower() == "true",
                equipment_type_code=served
                if served and type_quantity[served] == row["quantity_code"]
                else None,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class CenterSpec:
    code: str
    kind: str
    province_key: str
    population: int
    accredited: bool
    active_to: date | None
    successor_code: str | None
    fields: frozenset[str]
    lat: float
    lon: float
    size_factor: float = 1.0  # the hubs (Hà Nội, TP. Hồ Chí Minh, …) hold more than their population says

    def open_on(self, day: date) -> bool:
        return self.active_to is None or day <= self.active_to


@cache
def centers(network: str = NORTHERN) -> tuple[CenterSpec, ...]:
    population = {row["key"]: int(row["population_thousands"]) for row in read_spec("provinces", network)}
    return tuple(
        CenterSpec(
            code=row["code"],
            kind=row["kind"],
            province_key=row["province_key"],
            population=population.get(row["province_key"], 1000),
            accredited=bool(row["accreditation_no"]),
            active_to=opt_date(row["active_to"]),
            successor_code=row["successor_code"] or None,
            fields=frozenset(code for code in row.get("fields", "").split("|") if code),
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            size_factor=float(row.get("size_factor") or 1.0),
        )
        for row in read_spec("centers", network)
    )
