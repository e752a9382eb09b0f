"""Who is where as of a date: centers, their successors after mergers, and province boundaries.

The network is small (tens of centers), so it is read whole and joined in pandas; the big
tables are aggregated per center in SQL first and mapped through this snapshot afterwards.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
from sqlmodel import Session, select

from services.filters import Filters
from services.models import Center, CenterNameHistory, Province

EARTH_RADIUS_KM = 6371.0


def provinces_frame(session: Session) -> pd.DataFrame:
    rows = session.exec(select(Province)).all()
    return pd.DataFrame([row.model_dump() for row in rows], columns=list(Province.model_fields))


def regions(session: Session, filters: Filters) -> pd.DataFrame:
    """The provinces a view groups by under the filters' boundaries, ordered by official code."""
    frame = provinces_frame(session)
    if filters.uses_merged_provinces():
        frame = frame[frame["valid_to"].isna()]
    else:
        frame = frame[frame["valid_from"].isna()]
    return frame.sort_values("code").reset_index(drop=True)


def centers_frame(session: Session, filters: Filters) -> pd.DataFrame:
    """Every center with the center that answers for it on ``as_of`` and the region it counts in.

    A center closed by the 2025 merger hands its equipment and services to its successor, so
    views after that day count them there.
    """
    centers = pd.DataFrame(
        [c.model_dump() for c in session.exec(select(Center)).all()], columns=list(Center.model_fields)
    )
    centers = with_names_on(session, centers, filters.as_of)
    provinces = provinces_frame(session).set_index("key")
    by_id = centers.set_index("id")

    def effective(center_id: int) -> int:
        seen = set()
        while center_id not in seen:
            seen.add(center_id)
            row = by_id.loc[center_id]
            closed = pd.notna(row["active_to"]) and row["active_to"] < filters.as_of
            if not closed or pd.isna(row["successor_id"]):
                return center_id
            center_id = int(row["successor_id"])
        return center_id

    centers["effective_id"] = centers["id"].map(effective).astype("Int64")
    centers["active"] = centers["active_to"].isna() | (centers["active_to"] >= filters.as_of)
    effective_province = centers["effective_id"].map(by_id["province_key"])
    if filters.uses_merged_provinces():
        successor = provinces["successor_key"].dropna()
        effective_province = effective_province.map(lambda key: successor.get(key, key))
    centers["region_key"] = effective_province
    for column in ("code", "name_vi", "name_en", "lat", "lon"):
        centers[f"region_{column}"] = effective_province.map(provinces[column])
    centers["effective_code"] = centers["effective_id"].map(by_id["code"])
    return centers


def names_on(session: Session, day: date) -> dict[int, tuple[str, str]]:
    """(name_vi, name_en) of every center that carried another name on ``day`` than it does now."""
    rows = session.exec(
        select(CenterNameHistory)
        .where(CenterNameHistory.valid_to >= day)
        .order_by(
            CenterNameHistory.center_id,
            CenterNameHistory.valid_to.desc(),  # type: ignore[attr-defined]
        )
    ).all()
    # the earliest name still valid on the day wins: later rows of a center overwrite earlier ones
    return {row.center_id: (row.name_vi, row.name_en) for row in rows}


def with_names_on(
    session: Session, centers: pd.DataFrame, day: date, id_column: str = "id", prefix: str = ""
) -> pd.DataFrame:
    """``centers`` with ``{prefix}name_vi`` / ``{prefix}name_en`` as the centers were named on ``day``."""
    former = names_on(session, day)
    if not former or centers.empty:
        return centers
    centers = centers.copy()
    ids = centers[id_column]
    for position, lang in enumerate(("vi", "en")):
        column = f"{prefix}name_{lang}"
        centers[column] = [
            former[i][position] if i in former else name for i, name in zip(ids, centers[column], strict=True)
        ]
    return centers


def center_name_on(session: Session, center: Center, day: date) -> tuple[str, str]:
    """(name_vi, name_en) of one center as it was named on ``day``."""
    assert center.id is not None
    return names_on(session, day).get(center.id, (center.name_vi, center.name_en))


def to_answering_center(frame: pd.DataFrame, centers: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (a copy) with each raw ``center_id`` replaced by the center answering for it on the
    day (a center closed by the merger: its successor). ``centers`` is ``centers_frame`` indexed by id."""
    return frame.assign(center_id=frame["center_id"].map(centers["effective_id"]).astype(int))


def center_ids_in_scope(centers: pd.DataFrame, filters: Filters) -> list[int] | None:
    """Raw center ids whose rows belong to the filtered province/center; None means all."""
    if not filters.province and not filters.center:
        return None
    mask = pd.Series(True, index=centers.index)
    if filters.province:
        mask &= centers["region_code"] == filters.province
    if filters.center:
        mask &= centers["effective_code"] == filters.center
    return [int(i) for i in centers.loc[mask, "id"]]


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a spherical Earth; good to ~0.5 % at these distances."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
