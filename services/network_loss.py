"""What the network loses if one standard is out of service on a day.

* the capabilities it would suspend: those for which it is the only supporting standard in date
  (``services.capability_state`` run with and without it);
* the province × instrument-type verification gaps that would open (``services.coverage`` gap
  logic with the standard taken out), with the nearest center still able to verify;
* for each suspended capability, the nearest center still offering the same service for the type;
* when the standard's latest certificate failed: the certificates it issued since its last good
  one, and down the chain the certificates those items issued in turn after they were calibrated
  with it (a VMI or IMTS standard → the provincial standards it calibrated → theirs), and the
  capabilities every such item supports.

The whole network is looked at (a lost service matters wherever the view is filtered), under the
view's day, due-soon window and boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session, col

from services.capability_state import CapabilityState, capability_states
from services.coverage import GAP_COLUMNS as COVERAGE_GAP_COLUMNS
from services.coverage import capabilities_by_center, coverage_gaps
from services.filter_choices import instrument_type_names
from services.filters import Filters
from services.models import (
    CalibrationRecord,
    Capability,
    CapabilityStandard,
    Center,
    Equipment,
    InstrumentType,
)
from services.network import centers_frame, great_circle_km, shares_reads, to_answering_center
from services.traceability import (
    CERTIFICATE_COLUMNS,
    StandardVerdict,
    issued_with_query,
    standard_verdict,
    suspect_since_last_good,
)

MAX_LEVELS = 12  # a guard against cycles in imported data, as in services.traceability

SUSPENDED_COLUMNS = [
    "capability_id",
    "center_code",
    "center_name_vi",
    "center_name_en",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "service",
    "range_text",
    "standards",
    "state_now",
    "nearest_center",
    "nearest_name_vi",
    "nearest_name_en",
    "distance_km",
]
# coverage_gaps' columns with the nearest center's names before its distance
GAP_COLUMNS = [*COVERAGE_GAP_COLUMNS[:-1], "nearest_name_vi", "nearest_name_en", "distance_km"]
CHAIN_COLUMNS = ["level", "standard_used_id", *CERTIFICATE_COLUMNS]
AFFECTED_COLUMNS = [
    "equipment_id",
    "equipment_name",
    "serial_no",
    "holder_code",
    "suspect_since",
    "capability_id",
    "center_code",
    "instrument_type_code",
    "type_name_vi",
    "type_name_en",
    "service",
]


@dataclass(frozen=True)
class NetworkLoss:
    equipment_id: int
    name: str
    serial_no: str
    holder_code: str
    verdict: StandardVerdict
    suspended: pd.DataFrame  # capabilities it alone keeps in force
    gaps: pd.DataFrame  # verification gaps that would open
    suspect_chain: pd.DataFrame  # certificates down the chain since its last good one (failed only)
    affected: pd.DataFrame  # capabilities backed by an item calibrated in that chain


def suspended_without(session: Session, filters: Filters, standard_id: int) -> pd.DataFrame:
    """The capabilities counted on the day that the standard's loss would suspend, each with the
    nearest center still offering the same service for the type (from the capability's center)."""
    view = filters.whole_network()
    before = capability_states(session, view)
    after = capability_states(session, view, out_of_service=[standard_id])
    lost_ids = set(after.loc[after["state"] == CapabilityState.SUSPENDED.value, "capability_id"]) - set(
        before.loc[before["state"] == CapabilityState.SUSPENDED.value, "capability_id"]
    )
    lost = before[before["capability_id"].isin(lost_ids)].rename(columns={"state": "state_now"})
    if lost.empty:
        return pd.DataFrame(columns=SUSPENDED_COLUMNS)
    centers = centers_frame(session, view).set_index("id")
    lost = to_answering_center(lost, centers)
    ranges = dict(
        session.execute(
            select(col(Capability.id), col(Capability.range_text)).where(
                col(Capability.id).in_([int(i) for i in lost_ids])
            )
        ).all()
    )
    lost["range_text"] = lost["capability_id"].map(ranges)
    for source, target in (
        ("code", "center_code"),
        ("name_vi", "center_name_vi"),
        ("name_en", "center_name_en"),
    ):
        lost[target] = lost["center_id"].map(centers[source])
    lost = lost.merge(instrument_type_names(session), on="instrument_type_code", how="left")
    still = capabilities_by_center(session, view, out_of_service=[standard_id])
    nearest = [_nearest(still, row, centers) for row in lost.itertuples()]
    lost["nearest_center"] = [n[0] for n in nearest]
    lost["distance_km"] = [n[1] for n in nearest]
    names = centers.set_index("code")
    lost["nearest_name_vi"] = lost["nearest_center"].map(names["name_vi"])
    lost["nearest_name_en"] = lost["nearest_center"].map(names["name_en"])
    return lost.sort_values(["center_code", "type_name_vi", "service"])[SUSPENDED_COLUMNS].reset_index(
        drop=True
    )


def _nearest(still: pd.DataFrame, row, centers: pd.DataFrame) -> tuple[str | None, float | None]:
    options = still[
        (still["instrument_type_code"] == row.instrument_type_code) & (still["service"] == row.service)
    ]
    if options.empty:
        return None, None
    lat, lon = centers.loc[row.center_id, "lat"], centers.loc[row.center_id, "lon"]
    distances = [great_circle_km(lat, lon, a, b) for a, b in zip(options["lat"], options["lon"], strict=True)]
    best = min(range(len(distances)), key=lambda i: (distances[i], options["center_code"].iloc[i]))
    return str(options["center_code"].iloc[best]), round(float(distances[best]), 1)


def gaps_without(session: Session, filters: Filters, standard_id: int) -> pd.DataFrame:
    """Province × legally controlled type gaps that open when the standard is out of service."""
    view = filters.whole_network()
    before = coverage_gaps(session, view)
    after = coverage_gaps(session, view, out_of_service=[standard_id])
    known = set(zip(before["region_code"], before["instrument_type_code"], strict=True))
    opened = after[
        [
            (r, i) not in known
            for r, i in zip(after["region_code"], after["instrument_type_code"], strict=True)
        ]
    ].copy()
    names = centers_frame(session, view).set_index("code")
    opened["nearest_name_vi"] = opened["nearest_center"].map(names["name_vi"])
    opened["nearest_name_en"] = opened["nearest_center"].map(names["name_en"])
    return opened[GAP_COLUMNS].reset_index(drop=True)


def suspect_chain(session: Session, standard_id: int, as_of: date) -> pd.DataFrame:
    """When the standard's latest certificate failed: level 1, what it issued since its last good
    one; level n + 1, what an item of level n issued from the day of its suspect certificate on."""
    first = suspect_since_last_good(session, standard_id, as_of)
    if first.empty:
        return pd.DataFrame(columns=CHAIN_COLUMNS)
    levels = [first.assign(level=1, standard_used_id=standard_id)]
    seen = {standard_id}
    frontier = first
    for level in range(2, MAX_LEVELS + 1):
        since = frontier.groupby("equipment_id")["calibrated_on"].min()
        since = since[~since.index.isin(seen)]
        if since.empty:
            break
        seen |= {int(i) for i in since.index}
        query = issued_with_query(
            col(CalibrationRecord.standard_used_id).in_([int(i) for i in since.index]),
            col(CalibrationRecord.calibrated_on) <= as_of,
        )
        issued = pd.DataFrame(
            session.execute(query).all(), columns=[*CERTIFICATE_COLUMNS, "standard_used_id"]
        )
        issued = issued[issued["calibrated_on"] >= issued["standard_used_id"].map(since)]
        if issued.empty:
            break
        levels.append(issued.assign(level=level))
        frontier = issued
    chain = pd.concat(levels, ignore_index=True)
    return chain.sort_values(["level", "calibrated_on", "certificate_id"])[CHAIN_COLUMNS].reset_index(
        drop=True
    )


def affected_capabilities(session: Session, chain: pd.DataFrame) -> pd.DataFrame:
    """The capabilities supported by an item whose certificate lies in the suspect chain."""
    if chain.empty:
        return pd.DataFrame(columns=AFFECTED_COLUMNS)
    items = (
        chain.groupby(["equipment_id", "equipment_name", "serial_no", "holder_code"], as_index=False)[
            ["calibrated_on"]
        ]
        .min()
        .rename(columns={"calibrated_on": "suspect_since"})
    )
    rows = pd.DataFrame(
        session.execute(
            select(
                col(CapabilityStandard.equipment_id),
                col(Capability.id),
                col(Center.code),
                col(Capability.instrument_type_code),
                col(InstrumentType.name_vi),
                col(InstrumentType.name_en),
                col(Capability.service),
            )
            .join(Capability, col(Capability.id) == col(CapabilityStandard.capability_id))
            .join(Center, col(Center.id) == col(Capability.center_id))
            .join(InstrumentType, col(InstrumentType.code) == col(Capability.instrument_type_code))
            .where(col(CapabilityStandard.equipment_id).in_([int(i) for i in items["equipment_id"]]))
        ).all(),
        columns=[
            "equipment_id",
            "capability_id",
            "center_code",
            "instrument_type_code",
            "type_name_vi",
            "type_name_en",
            "service",
        ],
    )
    frame = items.merge(rows, on="equipment_id", how="inner")
    return frame.sort_values(["suspect_since", "holder_code", "serial_no", "service"])[
        AFFECTED_COLUMNS
    ].reset_index(drop=True)


@shares_reads  # the centers of the day and the capabilities still in force, read once for both lists
def network_loss(session: Session, filters: Filters, *, standard_id: int) -> NetworkLoss | None:
    """Everything the network loses on ``filters.as_of`` if the standard is out of service.

    Over the whole network whatever the filters narrow (``Filters.whole_network``): callers that
    cache it key it on ``filters.whole_network()``, so a field filter does not compute it again."""
    standard = session.get(Equipment, standard_id)
    if standard is None:
        return None
    holder = session.get(Center, standard.center_id)
    chain = suspect_chain(session, standard_id, filters.as_of)
    return NetworkLoss(
        equipment_id=standard_id,
        name=standard.name,
        serial_no=standard.serial_no,
        holder_code=holder.code if holder else "",
        verdict=standard_verdict(session, standard_id, filters.as_of),
        suspended=suspended_without(session, filters, standard_id),
        gaps=gaps_without(session, filters, standard_id),
        suspect_chain=chain,
        affected=affected_capabilities(session, chain),
    )
