"""Who holds which standards, and the certificate behind each calibration: a traceability chain
that makes physical sense.

VMI's national standards are calibrated abroad; IMTS's institute standards and every center's
reference standards by VMI or a better standard at IMTS; working standards by the center's own
reference standards or a higher level. Each certificate's standard covers the item's range with a
test uncertainty ratio of at least 4 (``services.standard_fit``). Certified reference materials
come as lots with the producer's certificate and are replaced by new lots.

Every slot (a place in a center's kit) and every item draws from its own stream; the kit is laid
out to ``HORIZON`` and each item's history is drawn in date order up to the seed day, so a later
seed day draws the same history further on (a stream's draws never depend on where it stops).
"""

from __future__ import annotations

import bisect
import calendar
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import numpy

from services import models as m
from services.demo.spec import LEVELS, NORTHERN, RADIATION_FIELD, CenterSpec, Template, centers, templates
from services.demo.streams import day_between, restart, significant, stream
from services.standard_fit import can_calibrate

HORIZON = date(2030, 12, 31)  # histories are generated this far, then cut at the seed day
NETWORK_START = date(2004, 1, 1)  # the oldest equipment still on the books
HISTORY_START = date(2018, 1, 1)  # certificates before this were never digitised
FOREIGN_PROVIDERS = ("BIPM", "PTB (Germany)", "KRISS (Korea)", "NMIJ (Japan)", "NIST (USA)")
# Slots start evenly over NETWORK_START..HORIZON; this many more than the count held in late
# 2026 keeps that count near the centers' sizes.
SLOT_FACTOR = (HORIZON - NETWORK_START).days / (date(2026, 11, 30) - NETWORK_START).days


@dataclass(slots=True, eq=False)
class Certificate:
    day: date
    due: date
    result: str
    provider_code: str | None  # a center of the network, else None
    provider_name: str
    standard: Item | None
    uncertainty: float
    error: float


@dataclass(slots=True, eq=False)
class Item:
    """One piece of equipment, with its whole history up to the horizon."""

    center: CenterSpec
    template: Template
    slot: int
    generation: int  # 0 for the slot's first item, then its replacements (or the CRM's lots)
    acquired_on: date
    retired_on: date | None
    serial: str
    manufacturer: str
    model: str
    certificates: list[Certificate] = field(default_factory=list)
    certificate_days: list[date] = field(default_factory=list)  # parallel to certificates, for bisect
    repairs: list[tuple[date, date]] = field(default_factory=list)
    id: int = 0

    def sort_key(self) -> tuple[date, str, int, int]:
        return (self.acquired_on, self.center.code, self.slot, self.generation)

    def in_service_on(self, day: date) -> bool:
        return self.acquired_on <= day and (self.retired_on is None or day < self.retired_on)

    def in_date_on(self, day: date) -> bool:
        """A passing certificate of this item covers ``day``."""
        position = bisect.bisect_right(self.certificate_days, day) - 1
        if position < 0:
            return False
        latest = self.certificates[position]
        return latest.result != m.CalibrationResult.FAIL and latest.due >= day

    def forget_before(self, day: date) -> None:
        """Drop the certificates before ``day`` (the seeder keeps none before HISTORY_START); they
        are a third of what the national network draws."""
        position = bisect.bisect_left(self.certificate_days, day)
        if position:
            del self.certificates[:position]
            del self.certificate_days[:position]

    def status_on(self, day: date) -> str:
        if self.retired_on is not None and self.retired_on <= day:
            return m.EquipmentStatus.RETIRED
        if any(start <= day < end for start, end in self.repairs):
            return m.EquipmentStatus.REPAIR
        return m.EquipmentStatus.IN_SERVICE


def equipment_count(center: CenterSpec, scale: int) -> int:
    """How many items a center holds in late 2026: bigger provinces hold more."""
    if center.code == "VMI":
        base = 45
    elif center.kind == m.CenterKind.NATIONAL_INSTITUTE:
        base = 70
    elif center.kind == m.CenterKind.LAB:
        base = 12
    else:
        base = 14 + center.population // 120  # about one standard per 120,000 people, plus a core
    return round(base * scale * center.size_factor)


def holdable(center: CenterSpec) -> list[Template]:
    """The templates a center of this kind may hold at all."""
    every = templates()
    if center.code == "VMI":
        return [t for t in every if t.level == "national" or (t.level == "working" and not t.crm)]
    if center.kind == m.CenterKind.NATIONAL_INSTITUTE:
        return [t for t in every if t.level != "national" and t.field_code != RADIATION_FIELD]
    allowed = [t for t in every if t.level in ("reference", "working")]
    if center.kind == m.CenterKind.LAB:
        return [t for t in allowed if t.field_code in center.fields]
    return [t for t in allowed if t.field_code != RADIATION_FIELD]


def center_pool(center: CenterSpec) -> list[Template]:
    """The specialities a center has: small provincial centers lack some (the regional gaps)."""
    candidates = holdable(center)
    if center.kind != m.CenterKind.PROVINCIAL_CENTER:
        return candidates
    rng = stream("pool", center.code)
    keep = min(1.0, 0.45 + center.population / 6000)
    return [t for t in candidates if rng.random() < keep] or candidates[:5]


def _holds_from_the_start(center: CenterSpec, template: Template) -> bool:
    """VMI's national and IMTS's institute standards: the top of every chain, always there."""
    return center.kind == m.CenterKind.NATIONAL_INSTITUTE and template.level in ("national", "institute")


def slot_templates(center: CenterSpec, scale: int) -> list[Template]:
    pool = center_pool(center)
    if not pool:
        return []
    count = round(equipment_count(center, scale) * SLOT_FACTOR)
    rng = stream("slots", center.code, scale)
    top = [t for t in pool if _holds_from_the_start(center, t)]
    rest = [t for t in pool if not _holds_from_the_start(center, t)]
    if count < len(pool):
        return top + rng.sample(rest, k=max(0, count - len(top)))
    weights = [3 if t.is_reference else 2 for t in pool]
    # every speciality the center has appears at least once, then weighted repeats
    return list(pool) + rng.choices(pool, weights=weights, k=count - len(pool))


@cache
def network_items(scale: int, network: str = NORTHERN, until: date = HORIZON) -> tuple[Item, ...]:
    """Every item to the horizon, with the certificates of those acquired by ``until`` drawn up to
    that day: the same prefix for any later ``until`` (built once per process and arguments)."""
    items = build_items(scale, network)
    Chains(items, network).draw_all(until)
    return tuple(items)


def plus_months(day: date, months: int) -> date:
    """``day + relativedelta(months=months)`` (the day clipped to the month's end), without its cost:
    the national seed adds a month interval a million times."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    # calendar.monthrange computes the weekday too: a third of this function's time
    length = 29 if month == 1 and calendar.isleap(year) else _MONTH_LENGTHS[month]
    return date(year, month + 1, min(day.day, length))


_MONTH_LENGTHS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def build_items(scale: int, network: str = NORTHERN) -> list[Item]:
    """Every item any center holds between NETWORK_START and HORIZON (certificates not yet drawn)."""
    items: list[Item] = []
    item_rng = random.Random()  # restarted for each item
    for center in centers(network):
        used_serials: set[str] = set()
        for slot, template in enumerate(slot_templates(center, scale)):
            items.extend(_slot_items(center, slot, template, used_serials, item_rng))
    return items


def _slot_items(
    center: CenterSpec, slot: int, template: Template, used: set[str], item_rng: random.Random
) -> list[Item]:
    rng = stream("slot", center.code, slot, template.index)
    if _holds_from_the_start(center, template):
        start = NETWORK_START - timedelta(days=rng.randint(0, 8 * 365))
    else:
        start = day_between(rng, NETWORK_START, HORIZON)
    made: list[Item] = []
    generation = 0
    while start <= HORIZON:
        if template.crm:  # the next lot arrives as this one expires
            end = plus_months(start, template.calibration_interval_months)
        else:
            end = start + timedelta(days=int(rng.uniform(10, 30) * 365.25))
        restart(item_rng, "item", center.code, slot, generation)
        serial = _serial(item_rng, template, start, used)
        made.append(
            Item(
                center=center,
                template=template,
                slot=slot,
                generation=generation,
                acquired_on=start,
                retired_on=end if end <= HORIZON else None,
                serial=serial,
                manufacturer=item_rng.choice(template.manufacturers),
                model=f"{template.model_prefix}-{item_rng.randint(1, 9)}{item_rng.choice('0025')}0",
            )
        )
        start, generation = end, generation + 1
    return made


def _serial(rng: random.Random, template: Template, acquired: date, used: set[str]) -> str:
    prefix = template.model_prefix.rstrip("-")[:3].upper()
    while True:
        serial = (
            f"LOT-{prefix}-{acquired:%y%m}-{rng.randint(100, 999)}"
            if template.crm
            else f"{prefix}-{rng.randint(100000, 999999)}"
        )
        if serial not in used:
            used.add(serial)
            return serial


@cache
def _fits(standard_index: int, item_index: int) -> bool:
    every = templates()
    standard, item = every[standard_index], every[item_index]
    return standard.rank < item.rank and can_calibrate(standard.fit_row, item.fit_row)


def _joined(parts: list[Sequence[Item] | numpy.ndarray]) -> Sequence[Item] | numpy.ndarray:
    if len(parts) == 1:
        return parts[0]
    return [s for part in parts for s in part]


# A pool this large answers with numpy (a few array comparisons) rather than a Python loop over
# its items; below it the loop is faster. The large pools are those of VMI and IMTS, which calibrate
# every center's reference standards: at national scale they hold hundreds of standards each.
VECTOR_POOL_SIZE = 48


class _Pool:
    """The items of one center that could calibrate one template, in the order the chains hold
    them: which are in service on a day, and which of those are in date.

    Asked only while drawing the items such a pool calibrates, which rank below every item in it:
    those items' histories are complete by then (``Chains.draw_all`` draws best level first), so a
    pool lays out once the spans over which each of its items is in service and in date. Both
    answers change only on the days a span starts or ends; a small pool keeps each answer for the
    stretch of days between two such changes (its centers' items ask it again and again over the
    same years), a large pool answers with numpy.
    """

    def __init__(self, members: list[Item]) -> None:
        self.members = members
        self.vector = len(members) >= VECTOR_POOL_SIZE
        service, spans = self._lay_out()
        if self.vector:
            self._arrays(service, spans)
        else:
            changes = {day for first, last in service for day in (first, last + 1)}
            changes.update(day for _member, first, last in spans for day in (first, last + 1))
            self.changes = sorted(changes)
            self.service_by_stretch: dict[int, tuple[Item, ...]] = {}
            self.in_date_by_stretch: dict[int, tuple[Item, ...]] = {}

    def _lay_out(self) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
        service: list[tuple[int, int]] = []  # per member: first and last day in service (ordinals)
        spans: list[tuple[int, int, int]] = []  # (member, first, last day in date), by member
        for position, s in enumerate(self.members):
            first = s.acquired_on.toordinal()
            last = s.retired_on.toordinal() - 1 if s.retired_on is not None else HORIZON.toordinal() + 1
            service.append((first, last))
            days = s.certificate_days
            for number, certificate in enumerate(s.certificates):
                if certificate.result == m.CalibrationResult.FAIL:
                    continue
                # in date from its day until its due day, the day before the next certificate or
                # the last day in service, whichever comes first (in_date_on, laid out)
                end = certificate.due.toordinal()
                if number + 1 < len(days):
                    end = min(end, days[number + 1].toordinal() - 1)
                start, end = max(certificate.day.toordinal(), first), min(end, last)
                if start <= end:
                    spans.append((position, start, end))
        return service, spans

    def _arrays(self, service: list[tuple[int, int]], spans: list[tuple[int, int, int]]) -> None:
        self.array = numpy.empty(len(self.members), dtype=object)
        self.array[:] = self.members
        self.service_first = numpy.array([f for f, _ in service], dtype=numpy.int64)
        self.service_last = numpy.array([last for _, last in service], dtype=numpy.int64)
        self.span_member = numpy.array([p for p, _, _ in spans], dtype=numpy.int64)
        self.span_first = numpy.array([f for _, f, _ in spans], dtype=numpy.int64)
        self.span_last = numpy.array([last for _, _, last in spans], dtype=numpy.int64)

    def in_service(self, day: date, ordinal: int) -> Sequence[Item] | numpy.ndarray:
        if self.vector:
            return self.array[(self.service_first <= ordinal) & (ordinal <= self.service_last)]
        stretch = bisect.bisect_right(self.changes, ordinal)
        known = self.service_by_stretch.get(stretch)
        if known is None:
            known = self.service_by_stretch[stretch] = tuple(
                s
                for s in self.members
                if s.acquired_on <= day and (s.retired_on is None or day < s.retired_on)
            )
        return known

    def in_date(self, day: date, ordinal: int) -> Sequence[Item] | numpy.ndarray:
        """The items in service and in date on ``day``, in pool order (a member's spans never overlap)."""
        if self.vector:
            hit = (self.span_first <= ordinal) & (ordinal <= self.span_last)
            return self.array[self.span_member[hit]]
        stretch = bisect.bisect_right(self.changes, ordinal)
        known = self.in_date_by_stretch.get(stretch)
        if known is None:
            known = self.in_date_by_stretch[stretch] = tuple(
                s for s in self.in_service(day, ordinal) if s.in_date_on(day)
            )
        return known


class Chains:
    """Draws every item's certificates, best level first, so a standard's own history is known
    when the items it calibrates pick it."""

    def __init__(self, items: list[Item], network: str = NORTHERN) -> None:
        self.held: dict[tuple[str, str], list[Item]] = defaultdict(list)  # (center, quantity)
        for item in items:
            self.held[(item.center.code, item.template.quantity_code)].append(item)
        specs = {c.code: c for c in centers(network)}
        self.center = specs
        # a center closed by the merger hands its kit to its successor
        self.absorbed: dict[str, list[str]] = defaultdict(list)
        for spec in specs.values():
            if spec.successor_code:
                self.absorbed[spec.successor_code].append(spec.code)
        self.items = items
        self._fitting: dict[tuple[str, int], _Pool] = {}
        self._history = random.Random()  # restarted for each item's history

    def draw_all(self, until: date = HORIZON) -> None:
        working = LEVELS.index("working")
        for level_rank in range(4):
            for item in self.items:
                if item.template.rank == level_rank and item.acquired_on <= until:
                    self._draw(item, until)
                    if level_rank == working:  # calibrates nothing: its undigitised past can go now
                        item.forget_before(HISTORY_START)
        for item in self.items:  # every chain is drawn: no standard's past is asked for again
            item.forget_before(HISTORY_START)

    def answering(self, center: CenterSpec, day: date) -> CenterSpec:
        while not center.open_on(day) and center.successor_code:
            center = self.center[center.successor_code]
        return center

    def _standard_at(self, provider: str, item: Item, day: date, rng: random.Random) -> Item | None:
        if provider not in self.absorbed:  # most providers took over no one: one pool, nothing to join
            pool = self._fitting_at(provider, item.template)
            ordinal = day.toordinal()
            choice = pool.in_date(day, ordinal)
            if not len(choice):
                choice = pool.in_service(day, ordinal)
            return rng.choice(choice) if len(choice) else None
        holders = [
            provider,
            *(code for code in self.absorbed.get(provider, ()) if not self.center[code].open_on(day)),
        ]
        pools = [self._fitting_at(code, item.template) for code in holders]
        ordinal = day.toordinal()
        choice = _joined([pool.in_date(day, ordinal) for pool in pools])
        if not len(choice):
            choice = _joined([pool.in_service(day, ordinal) for pool in pools])
        return rng.choice(choice) if len(choice) else None

    def _fitting_at(self, center_code: str, template: Template) -> _Pool:
        """Items ever held at the center that could calibrate an item of ``template``."""
        key = (center_code, template.index)
        if key not in self._fitting:
            self._fitting[key] = _Pool(
                [
                    s
                    for s in self.held.get((center_code, template.quantity_code), ())
                    if _fits(s.template.index, template.index)
                ]
            )
        return self._fitting[key]

    def _provider(
        self, item: Item, day: date, rng: random.Random, foreign: str
    ) -> tuple[str | None, str, Item | None]:
        level = item.template.level
        if level == "national":
            return None, foreign, None
        here = self.answering(item.center, day)
        order: list[str] = []
        if here.code == "VMI":
            order = ["VMI"]
        elif here.code == "IMTS":
            order = ["VMI"] if level == "institute" else ["IMTS", "VMI"]
        else:
            institutes = ["IMTS", "VMI"] if rng.random() < 0.6 else ["VMI", "IMTS"]
            order = institutes if level == "reference" else [here.code, *institutes]
        for provider in order:
            standard = self._standard_at(provider, item, day, rng)
            if standard is not None:
                return provider, provider, standard
        if here.code in ("VMI", "IMTS") and level in ("institute", "reference"):
            return None, foreign, None  # nothing at home good enough: calibrated abroad
        return "VMI", "VMI", None

    @staticmethod
    def _add(item: Item, certificate: Certificate) -> None:
        item.certificates.append(certificate)
        item.certificate_days.append(certificate.day)

    def _draw(self, item: Item, until: date) -> None:
        rng = restart(self._history, "history", item.center.code, item.slot, item.generation)
        template = item.template
        if template.crm:
            self._add(
                item,
                Certificate(
                    day=item.acquired_on,
                    due=plus_months(item.acquired_on, template.calibration_interval_months),
                    result=m.CalibrationResult.PASS,
                    provider_code=None,
                    provider_name=item.manufacturer,
                    standard=None,
                    uncertainty=significant(template.uncertainty * rng.uniform(0.8, 1.0)),
                    error=significant(rng.gauss(0, template.uncertainty / 4)),
                ),
            )
            return
        foreign = rng.choice(FOREIGN_PROVIDERS)
        months = template.calibration_interval_months
        day = item.acquired_on
        if not template.is_reference:
            day += timedelta(days=rng.randint(100, 400) if rng.random() < 0.02 else rng.randint(0, 40))
        while day <= until and (item.retired_on is None or day < item.retired_on):
            provider_code, provider_name, standard = self._provider(item, day, rng, foreign)
            roll = rng.random()
            result = (
                m.CalibrationResult.FAIL
                if roll < 0.015
                else m.CalibrationResult.LIMITED
                if roll < 0.04
                else m.CalibrationResult.PASS
            )
            uncertainty = template.uncertainty * rng.uniform(0.6, 1.0)
            # a failed certificate vouches for nothing: the equipment is out of date from that day
            due = day if result == m.CalibrationResult.FAIL else plus_months(day, months)
            self._add(
                item,
                Certificate(
                    day=day,
                    due=due,
                    result=result,
                    provider_code=provider_code,
                    provider_name=provider_name,
                    standard=standard,
                    uncertainty=significant(uncertainty),
                    error=significant(rng.gauss(0, uncertainty / 2)),
                ),
            )
            day = self._next_day(item, day, due, result, rng)

    @staticmethod
    def _next_day(item: Item, day: date, due: date, result: str, rng: random.Random) -> date:
        if result == m.CalibrationResult.FAIL:  # repaired, then calibrated again
            back = day + timedelta(days=rng.randint(20, 60))
            item.repairs.append((day, back))
            return back
        roll = rng.random()
        if roll < 0.05 and (due - day).days > 60:  # a breakdown: repair, then recalibration
            start = day_between(rng, day + timedelta(days=30), due - timedelta(days=10))
            back = start + timedelta(days=rng.randint(30, 120))
            item.repairs.append((start, back))
            return back
        if roll < 0.13:  # the calibration was missed for a while: the item runs overdue
            return due + timedelta(days=rng.randint(30, 240))
        return due + timedelta(days=rng.randint(-25, 5))
