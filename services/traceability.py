"""Traceability: up from a center's standards to the top of the chain, and down from one standard.

Up: each reference standard's certificate in force names its provider and the provider's standard
used; that standard's certificate in force *on that day* names the next one, and so on until a
provider outside the network (a foreign institute) or one whose standard is not recorded.
Down (reverse traceability): every certificate issued with a standard; when the standard's latest
calibration failed, those issued since its last good one are suspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from services.filters import Filters
from services.holdings import held_on
from services.latest import latest_rows
from services.models import CalibrationRecord, CalibrationResult, Center, Equipment
from services.network import shares_reads
from services.profile import scope_ids

MAX_LEVELS = 12  # a guard against cycles in imported data; real chains are 2 to 4 levels deep
# "limited" certificates still vouch for the standard within their stated limits
GOOD_RESULTS = (CalibrationResult.PASS.value, CalibrationResult.LIMITED.value)

CHAIN_COLUMNS = [
    "level",
    "root_id",
    "equipment_id",
    "equipment_name",
    "serial_no",
    "holder_code",
    "provider_name",
    "provider_code",
    "certificate_no",
    "calibrated_on",
    "due_on",
    "result",
    "standard_used_id",
    "standard_name",
    "standard_holder_code",
]
CERTIFICATE_COLUMNS = [
    "certificate_id",
    "certificate_no",
    "calibrated_on",
    "due_on",
    "result",
    "provider_name",
    "equipment_id",
    "equipment_name",
    "serial_no",
    "holder_code",
    "is_reference_standard",
]
DRIFT_COLUMNS = [
    "calibrated_on",
    "certificate_no",
    "provider_name",
    "result",
    "measured_error",
    "uncertainty",
    "lower",
    "upper",
]


def reference_standards(session: Session, filters: Filters) -> pd.DataFrame:
    """The reference standards the center holds on ``as_of`` (bought by then, not retired)."""
    columns = ["equipment_id", "name", "serial_no", "holder_code", "quantity_code", "last_calibrated_on"]
    ids = scope_ids(session, filters)
    if not ids:
        return pd.DataFrame(columns=columns)
    query = (
        select(
            col(Equipment.id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(Center.code),
            col(Equipment.quantity_code),
            col(Equipment.last_calibrated_on),
        )
        .join(Center, col(Center.id) == col(Equipment.center_id))
        .where(
            col(Equipment.center_id).in_(ids),
            col(Equipment.is_reference_standard).is_(True),
            held_on(filters.as_of),
        )
        .order_by(Equipment.quantity_code, Equipment.name, Equipment.serial_no)
    )
    return pd.DataFrame(session.execute(query).all(), columns=columns)


def _certificates_query() -> Select:
    """Certificates with their equipment, holder, provider center and the provider's standard."""
    holder, provider = aliased(Center), aliased(Center)
    standard, standard_holder = aliased(Equipment), aliased(Center)
    return (
        select(
            col(CalibrationRecord.id),
            col(CalibrationRecord.equipment_id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(holder.code),
            col(CalibrationRecord.provider_name),
            col(provider.code),
            col(CalibrationRecord.certificate_no),
            col(CalibrationRecord.calibrated_on),
            col(CalibrationRecord.due_on),
            col(CalibrationRecord.result),
            col(CalibrationRecord.standard_used_id),
            col(standard.name),
            col(standard_holder.code),
        )
        .join(Equipment, col(Equipment.id) == col(CalibrationRecord.equipment_id))
        .join(holder, col(holder.id) == col(Equipment.center_id))
        .outerjoin(provider, col(provider.id) == col(CalibrationRecord.provider_center_id))
        .outerjoin(standard, col(standard.id) == col(CalibrationRecord.standard_used_id))
        .outerjoin(standard_holder, col(standard_holder.id) == col(standard.center_id))
    )


_CERT_FRAME_COLUMNS = ["certificate_id", *CHAIN_COLUMNS[2:]]


def upward_chain(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per link, from each reference standard of the center (level 1) up to the top.

    Level 1 is each standard's latest certificate on or before ``as_of``; level n+1 is the
    certificate of the standard used at level n that was in force on level n's date. A standard
    with no certificate by then still gets a row (no provider): the chain is broken there.
    One query per level; each level's "certificate in force" is an as-of join.
    """
    standards = reference_standards(session, filters)
    if standards.empty:
        return pd.DataFrame(columns=CHAIN_COLUMNS)
    ids = standards["equipment_id"].astype("int64")
    frontier = pd.DataFrame(
        {"root_id": ids, "equipment_id": ids, "before": pd.Timestamp(filters.as_of), "level": 1}
    )
    links: list[pd.DataFrame] = []
    while not frontier.empty:
        certificates = pd.DataFrame(
            session.execute(
                _certificates_query().where(
                    col(CalibrationRecord.equipment_id).in_(
                        [int(i) for i in frontier["equipment_id"].unique()]
                    ),
                    CalibrationRecord.calibrated_on <= frontier["before"].max().date(),
                )
            ).all(),
            columns=_CERT_FRAME_COLUMNS,
        )
        certificates["equipment_id"] = certificates["equipment_id"].astype("int64")
        certificates["on"] = pd.to_datetime(certificates["calibrated_on"])
        matched = pd.merge_asof(
            frontier.sort_values("before"),
            certificates.sort_values(["on", "certificate_id"]),
            left_on="before",
            right_on="on",
            by="equipment_id",
            direction="backward",
        )
        links.append(matched)
        going_on = matched[matched["standard_used_id"].notna() & (matched["level"] < MAX_LEVELS)]
        frontier = pd.DataFrame(
            {
                "root_id": going_on["root_id"],
                "equipment_id": going_on["standard_used_id"].astype("int64"),
                "before": going_on["on"],
                "level": going_on["level"] + 1,
            }
        )
    frame = pd.concat(links, ignore_index=True)
    broken = frame["certificate_id"].isna()
    if broken.any():
        _describe_uncertified(session, frame, broken)
    frame["standard_used_id"] = frame["standard_used_id"].astype("Int64")
    return frame.sort_values(["root_id", "level"]).reset_index(drop=True)[CHAIN_COLUMNS]


def _describe_uncertified(session: Session, frame: pd.DataFrame, broken: pd.Series) -> None:
    """Name, serial and holder of the standards in the chain that had no certificate in force."""
    ids = [int(i) for i in frame.loc[broken, "equipment_id"].unique()]
    details = pd.DataFrame(
        session.execute(
            select(col(Equipment.id), col(Equipment.name), col(Equipment.serial_no), col(Center.code))
            .join(Center, col(Center.id) == col(Equipment.center_id))
            .where(col(Equipment.id).in_(ids))
        ).all(),
        columns=["equipment_id", "equipment_name", "serial_no", "holder_code"],
    ).set_index("equipment_id")
    for column in ("equipment_name", "serial_no", "holder_code"):
        frame[column] = frame[column].astype(object)
        frame.loc[broken, column] = frame.loc[broken, "equipment_id"].map(details[column])


def chain_tops(chain: pd.DataFrame) -> pd.DataFrame:
    """Where each standard's chain ends: the provider of its highest link (None when broken)."""
    if chain.empty:
        return pd.DataFrame(columns=["root_id", "levels", "top_provider"])
    top = chain.sort_values("level").groupby("root_id").tail(1)
    return pd.DataFrame(
        {
            "root_id": top["root_id"].to_numpy(),
            "levels": top["level"].to_numpy(),
            "top_provider": top["provider_name"].to_numpy(),
        }
    )


def chain_links(chain: pd.DataFrame) -> pd.DataFrame:
    """The chain folded to who calibrates whom: holder → provider, with how many standards per link.

    ``provider_name`` is None where a standard had no certificate in force (a broken chain).
    """
    columns = ["level", "holder_code", "provider_name", "provider_in_network", "standards"]
    if chain.empty:
        return pd.DataFrame(columns=columns)
    links = chain.assign(provider_in_network=chain["provider_code"].notna())
    links = links.groupby(
        ["holder_code", "provider_name", "provider_in_network"], dropna=False, as_index=False
    ).agg(level=("level", "min"), standards=("equipment_id", "nunique"))
    return links.sort_values(["level", "holder_code", "provider_name"]).reset_index(drop=True)[columns]


def issued_with_query(*conditions: ColumnElement[bool]) -> Select:
    """The certificates issued with a standard: ``CERTIFICATE_COLUMNS`` then ``standard_used_id``,
    the item's holder by code, limited by ``conditions`` (which standards, which days)."""
    holder = aliased(Center)
    return (
        select(
            col(CalibrationRecord.id),
            col(CalibrationRecord.certificate_no),
            col(CalibrationRecord.calibrated_on),
            col(CalibrationRecord.due_on),
            col(CalibrationRecord.result),
            col(CalibrationRecord.provider_name),
            col(Equipment.id),
            col(Equipment.name),
            col(Equipment.serial_no),
            col(holder.code),
            col(Equipment.is_reference_standard),
            col(CalibrationRecord.standard_used_id),
        )
        .join(Equipment, col(Equipment.id) == col(CalibrationRecord.equipment_id))
        .join(holder, col(holder.id) == col(Equipment.center_id))
        .where(*conditions)
    )


def calibrated_with(
    session: Session, standard_id: int, since: date | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Every certificate issued with the standard (optionally from ``since`` up to ``as_of``), newest first."""
    query = issued_with_query(col(CalibrationRecord.standard_used_id) == standard_id).order_by(
        col(CalibrationRecord.calibrated_on).desc(), col(CalibrationRecord.id).desc()
    )
    if since is not None:
        query = query.where(col(CalibrationRecord.calibrated_on) >= since)
    if as_of is not None:
        query = query.where(col(CalibrationRecord.calibrated_on) <= as_of)
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=[*CERTIFICATE_COLUMNS, "standard_used_id"])[CERTIFICATE_COLUMNS]


@dataclass(frozen=True)
class StandardVerdict:
    """The standard's latest certificate on ``as_of`` and, when it failed, its last good one."""

    latest_on: date | None
    latest_result: str | None
    last_good_on: date | None

    @property
    def failed(self) -> bool:
        return self.latest_result == CalibrationResult.FAIL.value


def standard_verdict(session: Session, standard_id: int, as_of: date | None = None) -> StandardVerdict:
    query = select(col(CalibrationRecord.calibrated_on), col(CalibrationRecord.result)).where(
        col(CalibrationRecord.equipment_id) == standard_id
    )
    if as_of is not None:
        query = query.where(col(CalibrationRecord.calibrated_on) <= as_of)
    latest = session.execute(
        query.order_by(col(CalibrationRecord.calibrated_on).desc(), col(CalibrationRecord.id).desc()).limit(1)
    ).first()
    good = select(func.max(CalibrationRecord.calibrated_on)).where(
        col(CalibrationRecord.equipment_id) == standard_id,
        col(CalibrationRecord.result).in_(GOOD_RESULTS),
    )
    if as_of is not None:
        good = good.where(col(CalibrationRecord.calibrated_on) <= as_of)
    last_good = session.execute(good).one()[0]
    return StandardVerdict(
        latest_on=latest[0] if latest else None,
        latest_result=latest[1] if latest else None,
        last_good_on=last_good,
    )


def suspect_since_last_good(session: Session, standard_id: int, as_of: date | None = None) -> pd.DataFrame:
    """When the standard's latest calibration failed: the certificates it issued after its last good one.

    The last good calibration showed the standard in tolerance on that day, so what it measured up
    to and including that day stands; anything later may carry the error found at the failure.
    With no good calibration on record, everything it issued is suspect. Empty when it did not fail.
    """
    verdict = standard_verdict(session, standard_id, as_of)
    if not verdict.failed:
        return pd.DataFrame(columns=CERTIFICATE_COLUMNS)
    issued = calibrated_with(session, standard_id, as_of=as_of)
    if verdict.last_good_on is not None:
        issued = issued[issued["calibrated_on"] > verdict.last_good_on]
    return issued.reset_index(drop=True)


def drift(session: Session, standard_id: int, as_of: date | None = None) -> pd.DataFrame:
    """The standard's results over time: measured error ± expanded uncertainty, oldest first."""
    error, uncertainty = col(CalibrationRecord.measured_error), col(CalibrationRecord.uncertainty)
    query = (
        select(
            col(CalibrationRecord.calibrated_on),
            col(CalibrationRecord.certificate_no),
            col(CalibrationRecord.provider_name),
            col(CalibrationRecord.result),
            error,
            uncertainty,
            (error - uncertainty).label("lower"),
            (error + uncertainty).label("upper"),
        )
        .where(col(CalibrationRecord.equipment_id) == standard_id, error.is_not(None))
        .order_by(col(CalibrationRecord.calibrated_on), col(CalibrationRecord.id))
    )
    if as_of is not None:
        query = query.where(col(CalibrationRecord.calibrated_on) <= as_of)
    return pd.DataFrame(session.execute(query).all(), columns=DRIFT_COLUMNS)


@dataclass(frozen=True)
class StandardReport:
    """What the profile shows for one chosen standard, in one cached call."""

    equipment_id: int
    name: str
    serial_no: str
    holder_code: str
    uncertainty_unit: str | None
    verdict: StandardVerdict
    calibrated: pd.DataFrame
    suspect: pd.DataFrame
    drift: pd.DataFrame


def standard_report(session: Session, filters: Filters, *, standard_id: int) -> StandardReport | None:
    """Reverse traceability, suspects and drift of one standard on ``as_of``."""
    standard = session.get(Equipment, standard_id)
    if standard is None:
        return None
    holder = session.get(Center, standard.center_id)
    return StandardReport(
        equipment_id=standard_id,
        name=standard.name,
        serial_no=standard.serial_no,
        holder_code=holder.code if holder else "",
        uncertainty_unit=standard.uncertainty_unit,
        verdict=standard_verdict(session, standard_id, filters.as_of),
        calibrated=calibrated_with(session, standard_id, as_of=filters.as_of),
        suspect=suspect_since_last_good(session, standard_id, filters.as_of),
        drift=drift(session, standard_id, filters.as_of),
    )


STANDARD_CHOICE_COLUMNS = [
    "equipment_id",
    "name",
    "serial_no",
    "holder_code",
    "upstream",
    "latest_result",
    "certificates_issued",
]


def standard_choices(session: Session, filters: Filters, chain: pd.DataFrame | None = None) -> pd.DataFrame:
    """Standards the reverse-traceability picker offers, the most telling first.

    The center's own standards come first: those whose latest calibration failed, then the most
    used; the standards above them in the chain follow, by holder. ``chain``: the center's
    ``upward_chain`` when the caller has it already.
    """
    own = reference_standards(session, filters)[["equipment_id", "name", "serial_no", "holder_code"]]
    own = own.assign(upstream=False)
    chain = upward_chain(session, filters) if chain is None else chain
    above = chain.dropna(subset=["standard_used_id"])
    above = pd.DataFrame(
        {
            "equipment_id": above["standard_used_id"].astype(int).to_numpy(),
            "name": above["standard_name"].to_numpy(),
            "holder_code": above["standard_holder_code"].to_numpy(),
            "upstream": True,
        }
    )
    above = above[~above["equipment_id"].isin(own["equipment_id"])].drop_duplicates("equipment_id")
    frames = [frame for frame in (own, above) if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=STANDARD_CHOICE_COLUMNS)
    choices = pd.concat(frames, ignore_index=True)
    ids = [int(i) for i in choices["equipment_id"]]
    serials = dict(
        session.execute(
            select(col(Equipment.id), col(Equipment.serial_no)).where(col(Equipment.id).in_(ids))
        ).all()
    )
    issued = dict(
        session.execute(
            select(col(CalibrationRecord.standard_used_id), func.count())
            .where(
                col(CalibrationRecord.standard_used_id).in_(ids),
                col(CalibrationRecord.calibrated_on) <= filters.as_of,
            )
            .group_by(col(CalibrationRecord.standard_used_id))
        ).all()
    )
    latest_rows_query = latest_rows(
        CalibrationRecord.equipment_id,
        CalibrationRecord.calibrated_on,
        CalibrationRecord.id,
        filters.as_of,
        CalibrationRecord.result,
        where=(col(CalibrationRecord.equipment_id).in_(ids),),
    )
    latest = dict(session.execute(select(latest_rows_query)).all())
    choices["serial_no"] = choices["equipment_id"].map(serials)
    choices["certificates_issued"] = choices["equipment_id"].map(issued).fillna(0).astype(int)
    choices["latest_result"] = choices["equipment_id"].map(latest)
    choices["failed"] = choices["latest_result"] == CalibrationResult.FAIL.value
    choices = choices.sort_values(
        ["upstream", "failed", "certificates_issued", "holder_code", "name", "serial_no"],
        ascending=[True, False, False, True, True, True],
    )
    return choices.reset_index(drop=True)[STANDARD_CHOICE_COLUMNS]


@dataclass(frozen=True)
class TraceabilityOverview:
    """The upward chain, its folded links and the standards to pick, from one walk up the chain."""

    chain: pd.DataFrame
    links: pd.DataFrame
    choices: pd.DataFrame


def chain_filters(filters: Filters) -> Filters:
    """What the center's chain and a standard's record depend on: the day, the center and the
    boundaries (which centers it answers for). The field, type and service filters narrow neither,
    so views cached on these filters stay cached when those change."""
    return Filters(as_of=filters.as_of, center=filters.center, boundaries=filters.boundaries)


@shares_reads  # the centers of the day, read for the chain and again for the choices, are read once
def traceability_overview(session: Session, filters: Filters) -> TraceabilityOverview:
    chain = upward_chain(session, filters)
    return TraceabilityOverview(
        chain=chain, links=chain_links(chain), choices=standard_choices(session, filters, chain)
    )
