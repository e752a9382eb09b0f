"""Who is where as of a date: centers, their successors after mergers, and province boundaries.

The network is small (tens of centers), so it is read whole and joined in pandas; the big
tables are aggregated per center in SQL first and mapped through this snapshot afterwards.
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, ParamSpec, TypeVar

import pandas as pd
from sqlmodel import Session, SQLModel, col, select

from services.filters import Filters
from services.frames import query_frame
from services.models import Center, CenterNameHistory, Province

EARTH_RADIUS_KM = 6371.0
_SNAPSHOTS = "shared_reads"  # session.info: what one read-only call has read already, by key
_P = ParamSpec("_P")
_R = TypeVar("_R")


class SharedReads:
    """What ``read_once`` has read, by key: at most ``limit`` reads (the least recently used go
    first), safe to share between the threads of several sessions.

    A key is read by one thread at a time: a cold page computes its views side by side
    (``ui.data.prefetch``) and several of them need the same status counts or capabilities, which
    the first to ask reads while the others wait for it. Reads nest (the status counts read the
    centers) but never in a circle, so waiting cannot deadlock.
    """

    def __init__(self, limit: int = 256) -> None:
        self._reads: OrderedDict[tuple[object, ...], pd.DataFrame] = OrderedDict()
        self._reading: dict[tuple[object, ...], threading.Lock] = {}  # held while its key is read
        self._lock = threading.Lock()
        self._limit = limit

    def get_or_read(self, key: tuple[object, ...], read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        while True:
            with self._lock:
                if key in self._reads:
                    self._reads.move_to_end(key)
                    return self._reads[key]
                reading = self._reading.get(key)
                if reading is None:  # nobody reads it: this thread does
                    reading = self._reading[key] = threading.Lock()
                    reading.acquire()
                    break
            with reading:  # another thread reads it: wait, then look again (it may have failed)
                pass
        try:
            frame = read()  # outside the store's lock: a slow read holds up no other key
            with self._lock:
                self._reads[key] = frame
                self._reads.move_to_end(key)
                while len(self._reads) > self._limit:
                    self._reads.popitem(last=False)
            return frame
        finally:
            with self._lock:
                del self._reading[key]
            reading.release()


@contextmanager
def shared_reads(session: Session, reads: SharedReads | None = None) -> Iterator[None]:
    """Within the block, inputs read through ``read_once`` (the centers of a day, the capabilities
    in force) are read once and reused.

    A view such as the KPI cards asks for the centers in many of the services it combines (eight
    times per call); nothing changes while one read-only call runs, so they share one read.
    Outside such a block every call reads afresh. Nested blocks share the outermost one.
    ``reads``: a store kept beyond the block, for callers that know nothing changed in between
    (``ui.data`` shares one per data version between every view of the process).
    """
    if _SNAPSHOTS in session.info:
        yield
        return
    session.info[_SNAPSHOTS] = reads if reads is not None else SharedReads()
    try:
        yield
    finally:
        del session.info[_SNAPSHOTS]


def read_once(session: Session, key: tuple[object, ...], read: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``read()``, or within ``shared_reads`` a copy of what it returned for ``key`` before."""
    reads: SharedReads | None = session.info.get(_SNAPSHOTS)
    if reads is None:
        return read()
    return reads.get_or_read(key, read).copy()  # callers may add columns; what was read stays as read


def shares_reads(service: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a read-only ``service(session, ...)`` inside ``shared_reads``."""

    @functools.wraps(service)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        session = args[0] if args else kwargs["session"]
        assert isinstance(session, Session)
        with shared_reads(session):
            return service(*args, **kwargs)

    return wrapper


def provinces_frame(session: Session) -> pd.DataFrame:
    return read_once(session, ("provinces",), lambda: _read_provinces(session))


def _read_provinces(session: Session) -> pd.DataFrame:
    return _table_frame(session, Province)


def _table_frame(session: Session, model: type[SQLModel]) -> pd.DataFrame:
    """Every row of a small table with the model's columns (plain rows: building a model per row and
    dumping it again cost more than the query)."""
    columns = list(model.model_fields)
    table = model.__table__  # type: ignore[attr-defined]
    return query_frame(session, select(*(table.c[name] for name in columns)), columns)


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
    key = ("centers", filters.as_of, filters.uses_merged_provinces())
    return read_once(session, key, lambda: _read_centers(session, filters))


def _read_centers(session: Session, filters: Filters) -> pd.DataFrame:
    centers = _table_frame(session, Center)
    centers = with_names_on(session, centers, filters.as_of)
    provinces = provinces_frame(session).set_index("key")
    by_id = centers.set_index("id")
    effective = _answering(by_id.index, by_id["active_to"], by_id["successor_id"], filters.as_of)
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


def _answering(
    ids: Iterable[Any], closed: Iterable[Any], successor_ids: Iterable[Any], day: date
) -> Callable[[int], int]:
    """center id -> the center answering for it on ``day``: itself, or (closed before the day)
    its successor's answering center."""
    # plain dicts: a pandas lookup per center and step was most of the centers' read
    closed_on: dict[int, date] = {}
    successors: dict[int, int] = {}
    for center_id, closed_day, successor in zip(ids, closed, successor_ids, strict=True):
        if pd.notna(closed_day):
            closed_on[int(center_id)] = closed_day
        if pd.notna(successor):
            successors[int(center_id)] = int(successor)

    def effective(center_id: int) -> int:
        seen = set()
        while center_id not in seen:
            seen.add(center_id)
            closed_here = center_id in closed_on and closed_on[center_id] < day
            if not closed_here or center_id not in successors:
                return center_id
            center_id = successors[center_id]
        return center_id

    return effective


def answering_codes(session: Session, day: date) -> dict[int, tuple[str, str]]:
    """center id -> (its code, the code of the center answering for it on ``day``): the
    ``code`` and ``effective_code`` of ``centers_frame``, from one narrow read for views that
    need only those (names, regions and the frame cost more than such a view's own query)."""
    rows = session.execute(
        select(col(Center.id), col(Center.code), col(Center.active_to), col(Center.successor_id))
    ).all()
    effective = _answering([row[0] for row in rows], [row[2] for row in rows], [row[3] for row in rows], day)
    codes = {int(row[0]): str(row[1]) for row in rows}
    return {center_id: (code, codes[effective(center_id)]) for center_id, code in codes.items()}


def names_on(session: Session, day: date) -> dict[int, tuple[str, str]]:
    """(name_vi, name_en) of every center that carried another name on ``day`` than it does now."""
    rows = session.exec(
        select(CenterNameHistory)
        .where(col(CenterNameHistory.valid_to) >= day)
        .order_by(
            col(CenterNameHistory.center_id),
            col(CenterNameHistory.valid_to).desc(),
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
