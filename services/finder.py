"""Tìm năng lực: which active centers can serve a requested range at a requested uncertainty.

A capability matches a request when

* its range contains the requested range (both compared in SI, temperatures in K), and
* its best uncertainty is at most the requested one wherever it matters: both are turned into
  absolute SI values at the ends of the requested range (a relative one as fraction × |value|,
  an absolute one read as a difference, so ``0,05 °C`` is 0.05 K) and the capability's must not
  exceed the request's at either end. Both are linear in |value|, so when the requested range
  spans zero (``±10 V``) zero itself is checked too: a relative request allows nothing there.

Conventions of the stored data (services/seed.py): ``uncertainty_relative`` says whether the
stored value is relative to the reading (unit ``%``); an absolute percentage such as a
hygrometer's ``1,5 percent`` is in percentage points of the (ratio-valued) quantity. A user
writes a relative uncertainty with ``%``/``ppm`` and an absolute one with a unit of the quantity
(``0,05 °C``, ``0,2 kPa``, ``1 %RH``); a bare number is absolute for unitless quantities (pH).

Everything a page shows comes back in both languages (``*_vi``/``*_en`` columns), numbers shown
in the unit the user typed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd
import pint
from sqlalchemy import Select, or_, select
from sqlmodel import Session, col

from services.capability_state import in_force
from services.filters import Filters
from services.formatting import range_numbers, readable_range, significant_number, unit_text, with_unit
from services.i18n import LANGUAGES, translate
from services.models import Capability, Center, InstrumentType, Province, Quantity, Service
from services.network import great_circle_km, with_names_on
from services.recognition import recognitions
from services.units import (
    MeasurementRange,
    Uncertainty,
    UnitInputError,
    from_si,
    from_si_difference,
    is_relative,
    parse_quantity,
    parse_range,
    si_unit_of,
    stored_uncertainty,
    to_si,
    to_si_difference,
)

# Comparisons forgive float noise from unit conversion (60 MPa read two ways), nothing more.
REL_TOL = 1e-9
SERVICES = tuple(s.value for s in Service)
# The demo data keeps relative humidity as a plain ratio (Quantity.si_unit "dimensionless")
# while units.py gives %RH its own kind; for these quantities "%RH" is read as percent.
PERCENT_RH_QUANTITIES = frozenset({"relative_humidity"})

RESULT_COLUMNS = [
    "capability_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "service",
    "range_text",
    "range_min_si",
    "range_max_si",
    "range_vi",
    "range_en",
    "uncertainty_value",
    "uncertainty_unit",
    "uncertainty_relative",
    "uncertainty_vi",
    "uncertainty_en",
    "uncertainty_si",
    "accredited",
    "designated",
    "recognition",
    "accreditation_no",
    "distance_km",
    "explanation_vi",
    "explanation_en",
]
# at_zero: the request is relative and the capability fails at 0, where a relative limit allows nothing
# in_force: not suspended on the day (services.capability_state); a suspended capability is never a match
MISS_COLUMNS = [
    *RESULT_COLUMNS,
    "service_ok",
    "covers_low",
    "covers_high",
    "uncertainty_ok",
    "in_force",
    "failures",
    "shortfall",
    "at_zero",
]


# --------------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinderRequest:
    """What the user asked, in SI, with what is needed to show numbers back in their unit."""

    low_si: float
    high_si: float
    si_unit: str  # canonical SI unit of the range ("Pa", "K", "1")
    unit: str  # display unit of the typed range ("MPa", "°C", "" for a bare number)
    uncertainty: Uncertainty | None = None
    uncertainty_unit: str | None = None  # display unit of an absolute requested uncertainty
    percent_rh: bool = False  # typed in %RH, stored as a ratio
    quantity_codes: frozenset[str] | None = None  # restricts unit-kind matching (the %RH case)

    def ends(self) -> tuple[float, ...]:
        """Where uncertainties are compared: both ends, and zero when the range spans it."""
        ends = [self.low_si] if self.low_si == self.high_si else [self.low_si, self.high_si]
        if self.low_si < 0 < self.high_si:
            ends.insert(1, 0.0)
        return tuple(ends)

    def value_in_unit(self, value_si: float, unit: str | None = None, *, difference: bool = False) -> float:
        """An SI value (or difference) in the unit the user typed."""
        unit = self.unit if unit is None else unit
        if unit == "%RH":  # humidity is stored as a ratio
            return value_si * 100
        scale, offset = _affine(unit or "dimensionless", difference)
        return scale * value_si + offset


@lru_cache(maxsize=256)
def _affine(unit: str, difference: bool) -> tuple[float, float]:
    """Every unit here is an affine map of its SI unit (°C: K − 273,15); read it once, not per number."""
    convert = from_si_difference if difference else from_si
    offset = convert(0.0, unit)
    return convert(1.0, unit) - offset, offset


@dataclass(frozen=True)
class _Expected:
    """The quantity a request must measure, from the instrument type or the quantity chosen."""

    si_unit: str | None = None
    code: str | None = None
    name_vi: str = ""
    name_en: str = ""


def _expected(session: Session, instrument_type: str | None, quantity: str | None) -> _Expected:
    columns = (col(Quantity.si_unit), col(Quantity.code), col(Quantity.name_vi), col(Quantity.name_en))
    if instrument_type:
        row = session.execute(
            select(*columns)
            .join(InstrumentType, col(InstrumentType.quantity_code) == col(Quantity.code))
            .where(col(InstrumentType.code) == instrument_type)
        ).first()
    elif quantity:
        row = session.execute(select(*columns).where(col(Quantity.code) == quantity)).first()
    else:
        return _Expected()
    return _Expected(*row) if row else _Expected()


def _is_percent_rh(q: pint.Quantity) -> bool:
    return si_unit_of(q) == "%RH"


@dataclass(frozen=True)
class FinderQuery:
    """What the finder is asked: the typed range (and uncertainty) of a type or quantity, for a
    service, near a province. Codes are database codes (the province under today's boundaries)."""

    range_text: str
    instrument_type: str | None = None
    quantity: str | None = None
    uncertainty_text: str | None = None
    service: str | None = None
    near_province: str | None = None


def _query(query: FinderQuery | None, keywords: dict[str, str | None]) -> FinderQuery:
    """The query given as a value, or as the keyword arguments the finder took before it had one."""
    if query is None:
        return FinderQuery(**keywords)  # type: ignore[arg-type]  # a missing range_text is a TypeError, as before
    if keywords:
        raise TypeError(f"give the finder a FinderQuery or keywords, not both: {sorted(keywords)}")
    return query


def read_request(
    session: Session,
    *,
    instrument_type: str | None = None,
    quantity: str | None = None,
    range_text: str,
    uncertainty_text: str | None = None,
) -> FinderRequest:
    """Read the typed range and uncertainty for the chosen type/quantity; raises ``UnitInputError``."""
    return _read_request(session, FinderQuery(range_text, instrument_type, quantity, uncertainty_text))


def _read_request(session: Session, query: FinderQuery) -> FinderRequest:
    instrument_type, quantity, range_text = query.instrument_type, query.quantity, query.range_text
    uncertainty_text = query.uncertainty_text
    wanted = _expected(session, instrument_type, quantity)
    expected = wanted.si_unit
    humidity = wanted.code in PERCENT_RH_QUANTITIES
    typed: MeasurementRange | None = None
    if "rh" in (range_text or "").lower() and (humidity or expected is None):
        typed = parse_range(range_text)
        if not _is_percent_rh(typed.high):
            typed = None
    if typed is not None:  # %RH typed for humidity: stored as a ratio
        low, high = (to_si(q) / 100 for q in (typed.low, typed.high))
        request = FinderRequest(
            low, high, "1", "%RH", percent_rh=True, quantity_codes=None if humidity else PERCENT_RH_QUANTITIES
        )
    else:
        typed = parse_range(range_text, expected)
        if expected and is_relative(typed.high) and si_unit_of(expected) != "1":
            # units.py accepts a ratio for any kind (it may be a relative uncertainty); a range may not
            raise UnitInputError(
                "finder.error.relative_range",
                text=" ".join(range_text.split()),
                quantity_vi=wanted.name_vi.lower(),
                quantity_en=wanted.name_en.lower(),
            )
        low, high = typed.to_si()
        request = FinderRequest(low, high, si_unit_of(typed.high), unit_text(typed.unit))
    if not (uncertainty_text or "").strip():
        return request
    return _with_uncertainty(
        request,
        uncertainty_text or "",
        expected or _si_expected(request),
        humidity=humidity or request.percent_rh,
    )


def _si_expected(request: FinderRequest) -> str:
    return "dimensionless" if request.si_unit == "1" else request.si_unit


def _with_uncertainty(request: FinderRequest, text: str, expected: str, *, humidity: bool) -> FinderRequest:
    if humidity and "rh" in text.lower():
        q = parse_quantity(text)
        if _is_percent_rh(q):
            return _replace(request, Uncertainty(False, abs(to_si(q)) / 100), "%RH")
    q = parse_quantity(text, expected)
    if is_relative(q) and format(q.units) != "dimensionless":  # 0,1 % or 2 ppm: of the reading
        return _replace(request, Uncertainty(True, abs(to_si(q))), None)
    unit = format(q.units)
    return _replace(
        request,
        Uncertainty(False, abs(to_si_difference(q))),
        unit_text(unit if unit != "dimensionless" else ""),
    )


def _replace(request: FinderRequest, uncertainty: Uncertainty, unit: str | None) -> FinderRequest:
    return dataclasses.replace(request, uncertainty=uncertainty, uncertainty_unit=unit)


# --------------------------------------------------------------------------------------------
# Stored capabilities
# --------------------------------------------------------------------------------------------
capability_uncertainty = (
    stored_uncertainty  # the finder's name for it (tests read a capability's best uncertainty by it)
)


@lru_cache(maxsize=256)
def _si_unit_of_quantity(si_unit: str) -> str:
    return si_unit_of(si_unit)


def _candidates(
    session: Session, as_of: date, instrument_type: str | None, quantity: str | None, service: str | None
) -> pd.DataFrame:
    """Capabilities of the centers active on ``as_of`` (a center closed by the merger offers nothing),
    each saying whether it is in force that day (``in_force``: not suspended)."""
    counted = in_force(session, Filters(as_of=as_of))
    query: Select = (
        select(
            col(Capability.id).label("capability_id"),
            col(Center.id).label("center_id"),
            col(Center.code).label("center_code"),
            col(Center.name_vi).label("center_name_vi"),
            col(Center.name_en).label("center_name_en"),
            col(Center.lat),
            col(Center.lon),
            col(Center.accreditation_no),
            col(Capability.instrument_type_code),
            col(InstrumentType.name_vi).label("type_name_vi"),
            col(InstrumentType.name_en).label("type_name_en"),
            col(InstrumentType.quantity_code),
            col(Quantity.si_unit).label("quantity_si_unit"),
            col(Capability.service),
            col(Capability.range_text),
            col(Capability.range_min_si),
            col(Capability.range_max_si),
            col(Capability.uncertainty_value),
            col(Capability.uncertainty_unit),
            col(Capability.uncertainty_relative),
            col(Capability.accredited),
            col(Capability.designated),
            counted.label("in_force"),
        )
        .join(Center, col(Center.id) == col(Capability.center_id))
        .join(InstrumentType, col(InstrumentType.code) == col(Capability.instrument_type_code))
        .join(Quantity, col(Quantity.code) == col(InstrumentType.quantity_code))
        .where(or_(col(Center.active_to).is_(None), col(Center.active_to) >= as_of))
    )
    if instrument_type:
        query = query.where(col(Capability.instrument_type_code) == instrument_type)
    if quantity:
        query = query.where(col(InstrumentType.quantity_code) == quantity)
    if service:
        query = query.where(col(Capability.service) == service)
    rows = session.execute(query).mappings().all()
    columns = [c.name for c in query.selected_columns]
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    return with_names_on(session, frame, as_of, id_column="center_id", prefix="center_")


def _province_point(session: Session, near_province: str | None) -> tuple[float, float] | None:
    """The capital of a province under today's boundaries (the 2025 codes)."""
    if not near_province:
        return None
    row = session.execute(
        select(col(Province.lat), col(Province.lon)).where(
            col(Province.code) == near_province, col(Province.valid_to).is_(None)
        )
    ).first()
    if row is None:
        raise ValueError(f"no province with code {near_province!r} under today's boundaries")
    return float(row[0]), float(row[1])


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------
def at_most(a: float, b: float) -> bool:
    """a ≤ b, forgiving the float noise of unit conversions."""
    return a <= b + REL_TOL * max(abs(a), abs(b))


@dataclass(frozen=True)
class Verdict:
    covers_low: bool
    covers_high: bool
    uncertainty_ok: bool
    end_si: float  # where the uncertainty is tightest (capability ÷ request largest)
    capability_abs_si: float
    requested_abs_si: float | None
    uncertainty_si: float  # the capability's largest absolute uncertainty over the ends (sort key)
    range_shortfall: float  # uncovered share of the requested range
    uncertainty_shortfall: float  # how far the capability exceeds the request, relatively


def judge(request: FinderRequest, low_si: float, high_si: float, best: Uncertainty) -> Verdict:
    """How one capability (range in SI, best uncertainty) measures up to the request."""
    covers_low = at_most(low_si, request.low_si)
    covers_high = at_most(request.high_si, high_si)
    ends = request.ends()
    uncertainty_si = max(best.at(x) for x in ends)
    uncovered = max(0.0, request.high_si - high_si) + max(0.0, low_si - request.low_si)
    span = request.high_si - request.low_si or abs(request.high_si) or 1.0
    range_shortfall = uncovered / span
    if request.uncertainty is None:
        end = request.high_si
        return Verdict(
            covers_low, covers_high, True, end, best.at(end), None, uncertainty_si, range_shortfall, 0.0
        )

    requested = request.uncertainty

    def ratio(x: float) -> float:
        asked, offered = requested.at(x), best.at(x)
        if at_most(offered, asked):
            return offered / asked if asked else 0.0
        return offered / asked if asked else math.inf

    ratios = [(ratio(x), x) for x in ends]
    worst, end = max(ratios, key=lambda pair: (pair[0], abs(pair[1])))
    ok = all(at_most(best.at(x), request.uncertainty.at(x)) for x in ends)
    return Verdict(
        covers_low,
        covers_high,
        ok,
        end,
        best.at(end),
        request.uncertainty.at(end),
        uncertainty_si,
        range_shortfall,
        0.0 if ok else worst - 1.0,
    )


# --------------------------------------------------------------------------------------------
# Words and numbers, in both languages
# --------------------------------------------------------------------------------------------
def format_range(request: FinderRequest, low_si: float, high_si: float, lang: str) -> str:
    low, high = (request.value_in_unit(v) for v in (low_si, high_si))
    return with_unit(range_numbers(low, high, lang, significant=True), request.unit)


def format_stored_uncertainty(value: float, unit: str, relative: bool, lang: str) -> str:
    number = significant_number(abs(value), lang)
    if relative:
        return with_unit(number, unit_text(unit) or "%")
    if unit in ("percent", "%"):
        return translate("finder.unit.points", lang, value=number)
    return with_unit(number, unit_text(unit))


def _absolute(request: FinderRequest, value_si: float, lang: str, unit: str | None = None) -> str:
    unit = request.unit if unit is None else unit
    return with_unit(significant_number(request.value_in_unit(value_si, unit, difference=True), lang), unit)


def format_requested(request: FinderRequest, end_si: float, lang: str) -> str:
    """The requested uncertainty at one end: ``0,06 MPa (0,1 %)`` or ``0,5 mmHg``."""
    assert request.uncertainty is not None
    if request.uncertainty.relative:
        absolute = _absolute(request, request.uncertainty.at(end_si), lang)
        return f"{absolute} ({significant_number(request.uncertainty.value_si * 100, lang)} %)"
    return _absolute(request, request.uncertainty.value_si, lang, request.uncertainty_unit)


def _center(row: pd.Series, lang: str) -> str:
    return f"{row[f'center_name_{lang}']} ({row['center_code']})"


def _service_word(service: str, lang: str) -> str:
    return translate(f"service.{service}", lang).lower()


def _capability_abs(request: FinderRequest, verdict: Verdict, lang: str) -> str:
    unit = request.uncertainty_unit if request.uncertainty and not request.uncertainty.relative else None
    return _absolute(request, verdict.capability_abs_si, lang, unit)


def explain_match(request: FinderRequest, row: pd.Series, verdict: Verdict, lang: str) -> str:
    params = {
        "cap_range": row[f"range_{lang}"],
        "asked_range": format_range(request, request.low_si, request.high_si, lang),
        "cap_unc": row[f"uncertainty_{lang}"],
    }
    if request.uncertainty is None:
        return translate("finder.why.match", lang, **params)
    return translate(
        "finder.why.match_uncertainty",
        lang,
        **params,
        end=with_unit(significant_number(request.value_in_unit(verdict.end_si), lang), request.unit),
        cap_abs=_capability_abs(request, verdict, lang),
        req_abs=format_requested(request, verdict.end_si, lang),
    )


def explain_miss(
    request: FinderRequest, row: pd.Series, verdict: Verdict, service: str | None, lang: str
) -> str:
    center = _center(row, lang)

    def shown(value_si: float) -> str:
        return with_unit(significant_number(request.value_in_unit(value_si), lang), request.unit)

    sentences = []
    if not row["in_force"]:
        sentences.append(translate("finder.miss.suspended", lang, center=center))
    if service and row["service"] != service:
        sentences.append(
            translate(
                "finder.miss.service",
                lang,
                center=center,
                offered=_service_word(row["service"], lang),
                asked=_service_word(service, lang),
            )
        )
    if not verdict.covers_high:
        sentences.append(
            translate(
                "finder.miss.range_high",
                lang,
                center=center,
                cap_high=shown(row["range_max_si"]),
                asked_high=shown(request.high_si),
            )
        )
    if not verdict.covers_low:
        sentences.append(
            translate(
                "finder.miss.range_low",
                lang,
                center=center,
                cap_low=shown(row["range_min_si"]),
                asked_low=shown(request.low_si),
            )
        )
    if not verdict.uncertainty_ok:
        offered, stored = _capability_abs(request, verdict, lang), row[f"uncertainty_{lang}"]
        if stored != offered:  # 0,03 MPa (0,05 %): the stored figure too, when it reads differently
            offered = f"{offered} ({stored})"
        sentences.append(
            translate(
                "finder.miss.uncertainty",
                lang,
                center=center,
                end=shown(verdict.end_si),
                cap_abs=offered,
                req_abs=format_requested(request, verdict.end_si, lang),
            )
        )
    return " ".join(sentences)


# --------------------------------------------------------------------------------------------
# The finder
# --------------------------------------------------------------------------------------------
def _evaluate(
    session: Session, filters: Filters | None, query: FinderQuery, *, service_in_sql: bool
) -> tuple[FinderRequest, pd.DataFrame, list[Verdict]]:
    instrument_type, quantity, service = query.instrument_type, query.quantity, query.service
    if service and service not in SERVICES:
        raise ValueError(f"service must be one of {SERVICES}, not {service!r}")
    request = _read_request(session, query)
    as_of = (filters or Filters()).as_of
    point = _province_point(session, query.near_province)
    rows = _candidates(session, as_of, instrument_type, quantity, service if service_in_sql else None)
    if not instrument_type and not quantity and not rows.empty:  # same kind of quantity as the typed range
        same_kind = rows["quantity_si_unit"].map(_si_unit_of_quantity) == request.si_unit
        if request.quantity_codes is not None:
            same_kind &= rows["quantity_code"].isin(request.quantity_codes)
        rows = rows[same_kind].reset_index(drop=True)
    if rows.empty:
        return request, rows, []
    if point is None:
        rows["distance_km"] = math.nan
    else:
        rows["distance_km"] = [
            great_circle_km(point[0], point[1], lat, lon)
            for lat, lon in zip(rows["lat"], rows["lon"], strict=True)
        ]
    bests = [
        capability_uncertainty(float(v), str(u), bool(r))
        for v, u, r in zip(
            rows["uncertainty_value"], rows["uncertainty_unit"], rows["uncertainty_relative"], strict=True
        )
    ]
    verdicts = [
        judge(request, float(lo), float(hi), best)
        for lo, hi, best in zip(rows["range_min_si"], rows["range_max_si"], bests, strict=True)
    ]
    rows["uncertainty_si"] = [v.uncertainty_si for v in verdicts]
    for lang in LANGUAGES:
        rows[f"range_{lang}"] = [
            format_range(request, lo, hi, lang)
            for lo, hi in zip(rows["range_min_si"], rows["range_max_si"], strict=True)
        ]
        rows[f"uncertainty_{lang}"] = [
            format_stored_uncertainty(float(v), str(u), bool(r), lang)
            for v, u, r in zip(
                rows["uncertainty_value"], rows["uncertainty_unit"], rows["uncertainty_relative"], strict=True
            )
        ]
    # a verification is designated or not, a calibration or test accredited or not (services.recognition)
    rows["recognition"] = recognitions(rows)
    rows["accredited"] = rows["recognition"] == "accredited"
    rows["designated"] = rows["recognition"] == "designated"
    rows["uncertainty_relative"] = rows["uncertainty_relative"].astype(bool)
    rows["in_force"] = rows["in_force"].astype(bool)
    return request, rows, verdicts


def find_capable_centers(
    session: Session,
    filters: Filters | None = None,
    query: FinderQuery | None = None,
    **keywords: str | None,
) -> pd.DataFrame:
    """One row per capability that can serve the request, nearest first, then smallest uncertainty.

    The request is a ``FinderQuery`` (or its fields as keyword arguments); with neither type nor
    quantity, every capability whose quantity has the typed range's kind is a candidate. ``filters`` only lends its ``as_of`` (default today): the
    centers active that day, and only capabilities in force that day (a suspended one is not offered,
    ``services.capability_state``). Raises ``UnitInputError`` for text that cannot be read as asked.
    """
    query = _query(query, keywords)
    request, rows, verdicts = _evaluate(session, filters, query, service_in_sql=True)
    keep = [
        v.covers_low and v.covers_high and v.uncertainty_ok and bool(in_force)
        for v, in_force in zip(verdicts, rows.get("in_force", pd.Series(dtype=bool)), strict=True)
    ]
    if not any(keep):
        return pd.DataFrame(columns=RESULT_COLUMNS)
    matched = rows[keep].copy()
    kept = [v for v, k in zip(verdicts, keep, strict=True) if k]
    for lang in LANGUAGES:
        matched[f"explanation_{lang}"] = [
            explain_match(request, row, verdict, lang)
            for (_, row), verdict in zip(matched.iterrows(), kept, strict=True)
        ]
    ordered = matched.sort_values(
        ["distance_km", "uncertainty_si", "center_code", "service"], na_position="last"
    )
    return ordered[RESULT_COLUMNS].reset_index(drop=True)


def closest_misses(
    session: Session,
    filters: Filters | None = None,
    query: FinderQuery | None = None,
    **keywords: str | None,
) -> pd.DataFrame:
    """The capabilities of the type/quantity that fall short, closest first, each saying why
    (the request as for ``find_capable_centers``).

    Every capability of the type/quantity (any service) at an active center that does not match
    is listed with what it lacks: being in force that day (suspended: its standards are out of
    date), the service asked, the top or bottom of the range, or the uncertainty (numbers in the
    user's unit). Closest = fewest shortcomings, then the smallest
    shortfall (uncovered share of the range plus relative excess of uncertainty), then distance.
    """
    query = _query(query, keywords)
    request, rows, verdicts = _evaluate(session, filters, query, service_in_sql=False)
    service = query.service
    if rows.empty:
        return pd.DataFrame(columns=MISS_COLUMNS)
    rows["service_ok"] = rows["service"].eq(service) if service else True
    rows["covers_low"] = [v.covers_low for v in verdicts]
    rows["covers_high"] = [v.covers_high for v in verdicts]
    rows["uncertainty_ok"] = [v.uncertainty_ok for v in verdicts]
    checks = rows[["service_ok", "covers_low", "covers_high", "uncertainty_ok", "in_force"]]
    rows["failures"] = (~checks).sum(axis=1)
    rows["shortfall"] = [v.range_shortfall + v.uncertainty_shortfall for v in verdicts]
    rows["at_zero"] = [
        not v.uncertainty_ok and v.end_si == 0 and bool(request.uncertainty and request.uncertainty.relative)
        for v in verdicts
    ]
    missed = rows["failures"] > 0
    rows, verdicts = rows[missed].copy(), [v for v, m in zip(verdicts, missed, strict=True) if m]
    if rows.empty:
        return pd.DataFrame(columns=MISS_COLUMNS)
    for lang in LANGUAGES:
        rows[f"explanation_{lang}"] = [
            explain_miss(request, row, verdict, service, lang)
            for (_, row), verdict in zip(rows.iterrows(), verdicts, strict=True)
        ]
    ordered = rows.sort_values(
        ["failures", "shortfall", "distance_km", "uncertainty_si", "center_code", "service"],
        na_position="last",
    )
    return ordered[MISS_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# What the finder's inputs offer
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinderOptions:
    quantities: pd.DataFrame  # code, name_vi, name_en, si_unit (those with an instrument type)
    instrument_types: pd.DataFrame  # code, name_vi, name_en, quantity_code, example_range
    provinces: pd.DataFrame  # code, name_vi, name_en (today's boundaries)


def finder_options(session: Session, filters: Filters | None = None) -> FinderOptions:
    """The choices of the finder's inputs; each type comes with a range typed the way its centers do."""
    types = pd.DataFrame(
        session.execute(
            select(
                col(InstrumentType.code),
                col(InstrumentType.name_vi),
                col(InstrumentType.name_en),
                col(InstrumentType.quantity_code),
            ).order_by(InstrumentType.code)
        ).all(),
        columns=["code", "name_vi", "name_en", "quantity_code"],
    )
    examples = dict(
        session.execute(
            select(col(Capability.instrument_type_code), col(Capability.range_text)).order_by(
                Capability.instrument_type_code,
                col(Capability.range_max_si).desc(),
                col(Capability.id),
            )
        ).all()[::-1]  # reversed so the widest range of each type wins in the dict
    )
    types["example_range"] = types["code"].map(lambda code: readable_range(examples.get(code)))
    quantities = pd.DataFrame(
        session.execute(
            select(col(Quantity.code), col(Quantity.name_vi), col(Quantity.name_en), col(Quantity.si_unit))
            .where(col(Quantity.code).in_(select(col(InstrumentType.quantity_code))))
            .order_by(Quantity.code)
        ).all(),
        columns=["code", "name_vi", "name_en", "si_unit"],
    )
    provinces = pd.DataFrame(
        session.execute(
            select(col(Province.code), col(Province.name_vi), col(Province.name_en))
            .where(col(Province.valid_to).is_(None))
            .order_by(Province.code)
        ).all(),
        columns=["code", "name_vi", "name_en"],
    )
    return FinderOptions(quantities=quantities, instrument_types=types, provinces=provinces)


__all__ = [
    "FinderOptions",
    "FinderQuery",
    "FinderRequest",
    "UnitInputError",
    "Uncertainty",
    "at_most",
    "capability_uncertainty",
    "closest_misses",
    "find_capable_centers",
    "finder_options",
    "judge",
    "read_request",
]
