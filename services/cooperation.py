"""Cooperation between IMTS and the centers: agreements, their stages over time, and events."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session
from sqlmodel import select as select_models

from services.filters import Filters
from services.models import Agreement, AgreementEvent, AgreementStage, Event, EventParticipant
from services.network import center_ids_in_scope, centers_frame

STAGE_ORDER = [stage.value for stage in AgreementStage]


def agreements(session: Session, filters: Filters) -> pd.DataFrame:
    """Agreements proposed by ``as_of``, each with the stage it had reached on that day."""
    ranked = (
        select(
            AgreementEvent.agreement_id,
            AgreementEvent.stage,
            func.row_number()
            .over(
                partition_by=AgreementEvent.agreement_id,
                order_by=(AgreementEvent.changed_on.desc(), AgreementEvent.id.desc()),  # type: ignore[union-attr]
            )
            .label("rank"),
        )
        .where(AgreementEvent.changed_on <= filters.as_of)
        .subquery()
    )
    query = (
        select(
            Agreement.id,
            Agreement.center_id,
            Agreement.title_vi,
            Agreement.title_en,
            ranked.c.stage,
            Agreement.proposed_on,
            Agreement.signed_on,
            Agreement.expires_on,
            Agreement.scope_fields,
            Agreement.source,
            Agreement.is_demo,
        )
        .join(ranked, (ranked.c.agreement_id == Agreement.id) & (ranked.c.rank == 1))
    )
    centers = centers_frame(session, filters)
    scope = center_ids_in_scope(centers, filters)
    if scope is not None:
        query = query.where(Agreement.center_id.in_(scope))  # type: ignore[attr-defined]
    columns = [
        "agreement_id", "center_id", "title_vi", "title_en", "stage", "proposed_on", "signed_on",
        "expires_on", "scope_fields", "source", "is_demo",
    ]
    frame = pd.DataFrame(session.exec(query).all(), columns=columns)  # type: ignore[call-overload]
    if filters.field:
        frame = frame[frame["scope_fields"].str.split(",").map(lambda codes: filters.field in codes)]
    info = centers.set_index("id")
    for column in ("code", "name_vi", "name_en", "region_code", "lat", "lon"):
        frame[f"center_{column}" if column != "region_code" else column] = frame["center_id"].map(info[column])
    # what was signed on a day is no longer "signed" after expiry, even without an event row
    expired = frame["expires_on"].notna() & (frame["expires_on"] < filters.as_of)
    frame.loc[expired & frame["stage"].isin(["signed", "active"]), "stage"] = AgreementStage.EXPIRED.value
    frame["stage"] = pd.Categorical(frame["stage"], categories=STAGE_ORDER, ordered=True)
    return frame.sort_values(["stage", "proposed_on"]).reset_index(drop=True)


def pipeline_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Number of agreements in each stage on ``as_of`` (every stage listed, zeros included)."""
    frame = agreements(session, filters)
    counts = frame["stage"].value_counts().reindex(STAGE_ORDER, fill_value=0)
    return pd.DataFrame({"stage": STAGE_ORDER, "agreements": counts.to_numpy()})


def stage_history(session: Session, filters: Filters) -> pd.DataFrame:
    """Every stage change up to ``as_of`` of the agreements in scope, oldest first."""
    scoped = agreements(session, filters)
    query = select(AgreementEvent.agreement_id, AgreementEvent.stage, AgreementEvent.changed_on).where(
        AgreementEvent.changed_on <= filters.as_of,
        AgreementEvent.agreement_id.in_([int(i) for i in scoped["agreement_id"]]),  # type: ignore[attr-defined]
    )
    frame = pd.DataFrame(session.exec(query).all(), columns=["agreement_id", "stage", "changed_on"])  # type: ignore[call-overload]
    return frame.merge(
        scoped[["agreement_id", "center_code", "center_name_vi", "center_name_en", "is_demo"]],
        on="agreement_id",
    ).sort_values("changed_on").reset_index(drop=True)


def events(session: Session, filters: Filters) -> pd.DataFrame:
    """Events held by ``as_of`` that involve a center in scope (all events when unfiltered)."""
    query = select_models(Event).where(Event.held_on <= filters.as_of).order_by(Event.held_on)
    scope = center_ids_in_scope(centers_frame(session, filters), filters)
    if scope is not None:
        involved = select(EventParticipant.event_id).where(EventParticipant.center_id.in_(scope))  # type: ignore[attr-defined]
        query = query.where(Event.id.in_(involved))  # type: ignore[union-attr]
    rows = [event.model_dump() for event in session.exec(query).all()]
    columns = list(Event.model_fields)
    return pd.DataFrame(rows, columns=columns)
