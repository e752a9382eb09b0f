"""What each center offers and how much it does, as the Law on Metrology frames it.

Verification (kiểm định) only of legally controlled (Group 2) types, by designated centers, and
the bulk of their work; calibration of standards and industrial instruments; testing modest. VMI
holds the national standards and verifies little. Accreditation (VILAS) concerns calibration and
testing only. A center closed by the 2025 merger stops; its successor carries its work on, so the
network's monthly totals run on across July 2025.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from services import models as m
from services.demo.equipment import HORIZON
from services.demo.spec import NORTHERN, CenterSpec, centers, opt_int, read_spec
from services.demo.streams import stream
from services.intervals import interval_in_force

VOLUME_START = date(2022, 1, 1)
# Labs calibrate; of the three demo labs only the mining-equipment one is designated to verify
# (its name says "Kiểm định – Hiệu chuẩn").
DESIGNATED_LABS = frozenset({"LAB-QN-MINE"})


@dataclass(frozen=True, slots=True)
class Offer:
    center: CenterSpec
    instrument_type_code: str
    service: str
    annual_capacity: int
    utilization: float
    accredited: bool
    designated: bool
    reach: float
    uncertainty_factor: float


def _verifies(center: CenterSpec) -> bool:
    return center.kind != m.CenterKind.LAB or center.code in DESIGNATED_LABS


def _demand(center: CenterSpec, weight: int) -> float:
    """Yearly verification work a center of this size would see for a type of this weight."""
    if center.code == "VMI":
        return weight * 2.0  # the national institute verifies little: its work is the standards
    if center.kind == m.CenterKind.NATIONAL_INSTITUTE:
        return weight * 60.0
    if center.kind == m.CenterKind.LAB:
        return weight * 25.0
    return weight * center.population / 10


def offers(served_types: dict[str, set[str]], network: str = NORTHERN) -> list[Offer]:
    """Capabilities of every center, from the instrument types its standards serve."""
    types = {row["code"]: row for row in read_spec("instrument_types")}
    made: list[Offer] = []
    for center in centers(network):
        for type_code in sorted(served_types.get(center.code, ())):
            spec = types[type_code]
            rng = stream("capability", center.code, type_code)
            legal = spec["legally_controlled"].lower() == "true"
            demand = _demand(center, int(spec["weight"] or 1))
            services: list[tuple[str, float]] = []
            if legal and _verifies(center) and (center.code != "VMI" or rng.random() < 0.25):
                services.append((m.Service.VERIFICATION, demand))
            if not legal:
                services.append((m.Service.CALIBRATION, demand * 0.4))
            elif rng.random() < 0.35:  # industry also asks for calibration of some Group 2 kinds
                services.append((m.Service.CALIBRATION, demand * 0.12))
            if rng.random() < 0.12:
                services.append((m.Service.TESTING, demand * 0.05))
            reach = (
                1.0 if center.kind == m.CenterKind.NATIONAL_INSTITUTE else rng.choice([0.4, 0.6, 0.8, 1.0])
            )
            for service, yearly in services:
                verification = service == m.Service.VERIFICATION
                made.append(
                    Offer(
                        center=center,
                        instrument_type_code=type_code,
                        service=service,
                        annual_capacity=max(20, int(round(yearly, -1))),
                        utilization=rng.uniform(0.45, 1.05),
                        accredited=not verification and center.accredited and rng.random() < 0.7,
                        designated=verification,
                        reach=reach,
                        uncertainty_factor=rng.choice([0.5, 0.8, 1.0, 1.5]),
                    )
                )
    return made


def monthly_volumes(
    offer_list: list[Offer], as_of: date, network: str = NORTHERN
) -> dict[tuple[str, str, str, date], int]:
    """(answering center code, type, service, month) → count, for months up to ``as_of``.

    Every offer draws its months to the horizon from its own stream, so the cut does not move them.
    """
    types = {row["code"]: row for row in read_spec("instrument_types")}
    specs = {c.code: c for c in centers(network)}
    volumes: dict[tuple[str, str, str, date], int] = defaultdict(int)
    for offer in offer_list:
        spec = types[offer.instrument_type_code]
        current = opt_int(spec["verification_interval_months"])
        before = opt_int(spec["interval_before_20241015"])
        rng = stream("volume", offer.center.code, offer.instrument_type_code, offer.service)
        for month, seasonal in _MONTHS:
            count = offer.annual_capacity / 12 * offer.utilization * seasonal * rng.uniform(0.85, 1.15)
            if offer.service == m.Service.VERIFICATION and before and current:
                # a longer interval in force means fewer instruments due each month
                count *= before / (interval_in_force(current, before, month) or before)
            if month <= as_of:
                answering = offer.center
                while not answering.open_on(month) and answering.successor_code:
                    answering = specs[answering.successor_code]
                volumes[(answering.code, offer.instrument_type_code, offer.service, month)] += int(count)
    return volumes


def _seasonal(month: date) -> float:
    """More work in spring and autumn, less around Tết."""
    return 1.0 + 0.15 * (month.month in (3, 4, 10, 11)) - 0.25 * (month.month in (1, 2))


_MONTHS: tuple[tuple[date, float], ...] = tuple(
    (month, _seasonal(month))
    for month in (
        VOLUME_START + relativedelta(months=n)
        for n in range((HORIZON.year - VOLUME_START.year) * 12 + HORIZON.month - VOLUME_START.month + 1)
    )
)
