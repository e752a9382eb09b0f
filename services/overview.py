"""What the overview page combines: centers on the map and what changed lately."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, col

from services.calibration import status_counts
from services.cooperation import agreements, covers_field, events
from services.filters import Filters
from services.models import Agreement, AgreementEvent, CalibrationRecord, Equipment
from services.network import answering_codes, center_ids_in_scope, centers_frame, shares_reads

RECENT_DAYS = 30


@shares_reads
def center_points(session: Session, filters: Filters) -> pd.DataFrame:
    """One point per center active on the date: where, how much equipment, cooperation stage."""
    centers = centers_frame(session, filters)
    scope = center_ids_in_scope(centers, filters)
    active = centers[centers["active"]]
    if scope is not None:
        active = active[active["id"].isin(scope)]
    equipment = status_counts(session, filters).groupby("center_id")["equipment"].sum()
    stages = agreements(session, filters).set_index("center_id")["stage"].astype(str)
    provinces = active.set_index("id")
    points = pd.DataFrame(
        {
            "center_id": active["id"].to_numpy(),
            "code": active["code"].to_numpy(),
            "name_vi": active["name_vi"].to_numpy(),
            "name_en": active["name_en"].to_numpy(),
            "kind": active["kind"].to_numpy(),
            "lat": active["lat"].to_numpy(),
            "lon": active["lon"].to_numpy(),
            "province_vi": provinces["region_name_vi"].to_numpy(),
            "province_en": provinces["region_name_en"].to_numpy(),
        }
    )
    points["equipment"] = points["center_id"].map(equipment).fillna(0).astype(int)
    points["stage"] = points["center_id"].map(stages)
    return points


@shares_reads
def recent_changes(session: Session, filters: Filters) -> pd.DataFrame:
    """Dated happenings of the last 30 days up to ``as_of``: certificates, stage changes, events."""
    since = filters.as_of - timedelta(days=RECENT_DAYS)
    # the centers' codes only (a narrow read): the whole frame only to find a filter's scope
    scope = center_ids_in_scope(centers_frame(session, filters), filters) if _narrowed(filters) else None
    codes = answering_codes(session, filters.as_of)
    rows = [
        *_certificate_rows(session, filters, since, codes, scope),
        *_stage_change_rows(session, filters, since, codes, scope),
        *(
            _change("event", event.held_on, "", detail_vi=event.title_vi, detail_en=event.title_en)
            for event in events(session, filters, since=since).itertuples()
        ),
    ]
    frame = pd.DataFrame(rows, columns=["on", "kind", "center_code", "count", "detail_vi", "detail_en"])
    return frame.sort_values(["on", "center_code"], ascending=[False, True]).reset_index(drop=True)


def _narrowed(filters: Filters) -> bool:
    return bool(filters.province or filters.center)


def _change(
    kind: str, on: object, center_code: str, *, count: int = 1, detail_vi: object = "", detail_en: object = ""
) -> dict[str, object]:
    return {
        "on": on,
        "kind": kind,
        "center_code": center_code,
        "count": count,
        "detail_vi": detail_vi,
        "detail_en": detail_en,
    }


def _certificate_rows(
    session: Session,
    filters: Filters,
    since: date,
    codes: dict[int, tuple[str, str]],
    scope: list[int] | None,
) -> list[dict[str, object]]:
    """The window's certificates, one row per center answering on the day with its count and latest date."""
    calibrations = (
        select(col(Equipment.center_id), func.count(), func.max(col(CalibrationRecord.calibrated_on)))
        .join(Equipment, col(Equipment.id) == col(CalibrationRecord.equipment_id))
        .where(
            col(CalibrationRecord.calibrated_on) > since,
            col(CalibrationRecord.calibrated_on) <= filters.as_of,
        )
        .group_by(col(Equipment.center_id))
    )
    if scope is not None:
        calibrations = calibrations.where(col(Equipment.center_id).in_(scope))
    # one row per center answering on the day: a closed center's equipment counts at its successor
    certified: dict[str, tuple[int, object]] = {}
    for center_id, count, latest in session.execute(calibrations).all():
        code = codes[center_id][1]
        earlier_count, earlier_latest = certified.get(code, (0, latest))
        certified[code] = (earlier_count + count, max(latest, earlier_latest))
    return [_change("calibrations", latest, code, count=count) for code, (count, latest) in certified.items()]


def _stage_change_rows(
    session: Session,
    filters: Filters,
    since: date,
    codes: dict[int, tuple[str, str]],
    scope: list[int] | None,
) -> list[dict[str, object]]:
    """The window's agreement stage changes, at the agreement's own center, within the field filter."""
    # the stage changes of the window straight from their rows (stage_history builds every
    # agreement's frame first); a change up to the day implies the agreement's stage on the day
    changes = (
        select(
            col(AgreementEvent.changed_on),
            col(AgreementEvent.stage),
            col(Agreement.center_id),
            col(Agreement.scope_fields),
        )
        .join(Agreement, col(Agreement.id) == col(AgreementEvent.agreement_id))
        .where(col(AgreementEvent.changed_on) > since, col(AgreementEvent.changed_on) <= filters.as_of)
        .order_by(col(AgreementEvent.changed_on), col(AgreementEvent.id))
    )
    if scope is not None:
        changes = changes.where(Agreement.center_id.in_(scope))  # type: ignore[attr-defined]
    return [  # at the agreement's own center, as stage_history
        _change("stage", changed_on, codes[center_id][0], detail_vi=stage, detail_en=stage)
        for changed_on, stage, center_id, scope_fields in session.execute(changes).all()
        if not filters.field or covers_field(scope_fields, filters.field)
    ]
