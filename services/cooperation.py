"""Cooperation between IMTS and the centers: agreements, their stages over time, and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd
from sqlalchemy import ColumnElement, Select, Subquery, case, func, literal, select, text, true
from sqlmodel import Session, col
from sqlmodel import select as select_models

from services.filters import Filters
from services.i18n import LANGUAGES, format_day, translate, translate_plural
from services.latest import latest_rows
from services.models import (
    Agreement,
    AgreementEvent,
    AgreementStage,
    Center,
    Event,
    EventParticipant,
    MeasurementField,
    Province,
)
from services.network import center_ids_in_scope, centers_frame
from services.sources import citation, source_url

STAGE_ORDER = [stage.value for stage in AgreementStage]
NAMED_PARTICIPANTS = 4  # an event with more participants is summed up by their number


def covers_field(scope_fields: str | None, field: str) -> bool:
    """Whether an agreement's scope (comma-separated field codes) names ``field``."""
    return field in str(scope_fields).split(",")


def _latest_stage(as_of: date) -> Subquery:
    """Each agreement's latest stage event up to ``as_of``, as a subquery."""
    return latest_rows(
        AgreementEvent.agreement_id, AgreementEvent.changed_on, AgreementEvent.id, as_of, AgreementEvent.stage
    )


def _stage_on(ranked: Subquery, as_of: date) -> ColumnElement[str]:
    # what was signed on a day is no longer "signed" after expiry, even without an event row
    return case(
        (
            (col(Agreement.expires_on) < as_of)
            & ranked.c.stage.in_([AgreementStage.SIGNED.value, AgreementStage.ACTIVE.value]),
            literal(AgreementStage.EXPIRED.value),
        ),
        else_=ranked.c.stage,
    )


AGREEMENT_QUERY_COLUMNS = [
    "agreement_id",
    "center_id",
    "title_vi",
    "title_en",
    "stage",
    "proposed_on",
    "signed_on",
    "expires_on",
    "scope_fields",
    "source",
    "is_demo",
]


def agreements(session: Session, filters: Filters) -> pd.DataFrame:
    """Agreements proposed by ``as_of``, each with the stage it had reached on that day.

    A real (not demo) record says only what its source published: ``scope_published``,
    ``term_published`` and ``later_stages_published`` are False where the source is silent (no
    fields, no expiry, nothing after the last recorded stage), and readers see "not published"
    there, never a guess. Demo records are invented whole and labelled so.
    """
    ranked = _latest_stage(filters.as_of)
    query = select(
        col(Agreement.id),
        col(Agreement.center_id),
        col(Agreement.title_vi),
        col(Agreement.title_en),
        _stage_on(ranked, filters.as_of).label("stage"),
        col(Agreement.proposed_on),
        col(Agreement.signed_on),
        col(Agreement.expires_on),
        col(Agreement.scope_fields),
        col(Agreement.source),
        col(Agreement.is_demo),
    ).join(ranked, ranked.c.agreement_id == col(Agreement.id))
    centers = centers_frame(session, filters)
    scope = center_ids_in_scope(centers, filters)
    if scope is not None:
        query = query.where(col(Agreement.center_id).in_(scope))
    frame = pd.DataFrame(session.execute(query).all(), columns=AGREEMENT_QUERY_COLUMNS)
    if filters.field:
        field = filters.field
        covers = frame["scope_fields"].map(lambda codes: covers_field(codes, field))
        frame = frame[covers.astype(bool)]  # an empty map() is not boolean and would select columns
    info = centers.set_index("id")
    for column in ("code", "name_vi", "name_en", "region_code", "lat", "lon"):
        frame[f"center_{column}" if column != "region_code" else column] = frame["center_id"].map(
            info[column]
        )
    demo = frame["is_demo"].astype(bool)
    frame["scope_published"] = demo | (frame["scope_fields"].fillna("").astype(str).str.strip() != "")
    frame["term_published"] = demo | frame["expires_on"].notna()
    frame["later_stages_published"] = demo | frame["stage"].isin(ENDED)
    frame["stage"] = pd.Categorical(frame["stage"], categories=STAGE_ORDER, ordered=True)
    return frame.sort_values(["stage", "proposed_on"]).reset_index(drop=True)


@lru_cache(maxsize=32)
def _stage_counts_query(as_of: date) -> Select[str, str, int]:
    """Agreements counted by their stage on ``as_of`` and their scope, as one statement.

    Built once per day and reused (a statement is immutable): at national scale building it took
    longer than running it (0.46 ms against 0.38 ms on SQLite).
    """
    ranked = _latest_stage(as_of)
    stage = _stage_on(ranked, as_of).label("stage_on_day")
    # counted in SQL (the agreements() frame is built for the detail table); grouped by the scope
    # too, so the field filter keeps agreements()' rule (the field is one of the listed codes); by
    # the label's name, as PostgreSQL would take the CASE repeated with its own parameters as another
    return (
        select(stage, col(Agreement.scope_fields), func.count())
        .select_from(Agreement)
        .join(ranked, ranked.c.agreement_id == col(Agreement.id))
        .group_by(text("stage_on_day"), col(Agreement.scope_fields))
    )


def pipeline_counts(session: Session, filters: Filters) -> pd.DataFrame:
    """Number of agreements in each stage on ``as_of`` (every stage listed, zeros included)."""
    query = _stage_counts_query(filters.as_of)
    if filters.province or filters.center:
        scope = center_ids_in_scope(centers_frame(session, filters), filters)
        query = query.where(col(Agreement.center_id).in_(scope or []))
    counts = dict.fromkeys(STAGE_ORDER, 0)
    for on_day, scope_fields, agreements_count in session.execute(query).all():
        if not filters.field or covers_field(scope_fields, filters.field):
            counts[on_day] += agreements_count
    return pd.DataFrame({"stage": STAGE_ORDER, "agreements": list(counts.values())})


def stage_history(session: Session, filters: Filters) -> pd.DataFrame:
    """Every stage change up to ``as_of`` of the agreements in scope, oldest first."""
    scoped = agreements(session, filters)
    query = select(
        col(AgreementEvent.agreement_id), col(AgreementEvent.stage), col(AgreementEvent.changed_on)
    ).where(
        col(AgreementEvent.changed_on) <= filters.as_of,
        col(AgreementEvent.agreement_id).in_([int(i) for i in scoped["agreement_id"]]),
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=["agreement_id", "stage", "changed_on"])
    return (
        frame.merge(
            scoped[["agreement_id", "center_code", "center_name_vi", "center_name_en", "is_demo"]],
            on="agreement_id",
        )
        .sort_values("changed_on")
        .reset_index(drop=True)
    )


def events(session: Session, filters: Filters, *, since: date | None = None) -> pd.DataFrame:
    """Events held by ``as_of`` (and after ``since``) that involve a center in scope (all events
    when unfiltered)."""
    query = select_models(Event).where(col(Event.held_on) <= filters.as_of).order_by(col(Event.held_on))
    if since is not None:
        query = query.where(col(Event.held_on) > since)
    # the centers only to find a filter's scope (unfiltered, every event counts)
    narrowed = filters.province or filters.center
    scope = center_ids_in_scope(centers_frame(session, filters), filters) if narrowed else None
    if scope is not None:
        involved = select(col(EventParticipant.event_id)).where(col(EventParticipant.center_id).in_(scope))
        query = query.where(col(Event.id).in_(involved))
    rows = [event.model_dump() for event in session.exec(query).all()]
    columns = list(Event.model_fields)
    return pd.DataFrame(rows, columns=columns)


# --- the Cooperation page: stage summary, timeline, scope, details, events -------------------

IN_DISCUSSION = (AgreementStage.PROPOSED.value, AgreementStage.NEGOTIATING.value)
IN_FORCE = (AgreementStage.SIGNED.value, AgreementStage.ACTIVE.value)
ENDED = (AgreementStage.EXPIRED.value, AgreementStage.CANCELLED.value)
EVENT_KINDS = ("conference", "signing", "training", "audit")
_KIND_RANK = {"national_institute": 0, "provincial_center": 1, "lab": 2}


@dataclass(frozen=True)
class StageSummary:
    """Agreements on ``as_of`` grouped the way leadership asks about them."""

    total: int
    in_discussion: int  # proposed or negotiating
    signed: int  # signed, work not started yet
    active: int  # signed and under way
    ended: int  # expired or cancelled


@dataclass(frozen=True)
class Timeline:
    """Everything the Gantt-like timeline draws, as of one day."""

    as_of: date
    agreements: pd.DataFrame  # one row per agreement: dates, stage, where its bar ends
    segments: pd.DataFrame  # one row per stage an agreement passed through: start_on, end_on, planned
    events: pd.DataFrame  # one row per event: held_on, kind, title, place, is_demo
    milestones: pd.DataFrame  # real (not demo) events, one row per day


def _text(series: pd.Series) -> pd.Series:
    """Strings with "" where nothing matched (a map that matched nothing comes back as floats)."""
    return series.astype(object).where(series.notna(), "")


def stage_summary(session: Session, filters: Filters) -> StageSummary:
    counts = pipeline_counts(session, filters).set_index("stage")["agreements"]
    return StageSummary(
        total=int(counts.sum()),
        in_discussion=int(counts[list(IN_DISCUSSION)].sum()),
        signed=int(counts[AgreementStage.SIGNED.value]),
        active=int(counts[AgreementStage.ACTIVE.value]),
        ended=int(counts[list(ENDED)].sum()),
    )


def _center_places(session: Session) -> pd.DataFrame:
    """Each center's own province (as it was when the center was set up), indexed by center id."""
    query = select(
        col(Center.id), col(Center.code), col(Center.kind), col(Province.name_vi), col(Province.name_en)
    ).join(
        Province,
        col(Province.key) == col(Center.province_key),
    )
    frame = pd.DataFrame(
        session.execute(query).all(),
        columns=["center_id", "code", "kind", "province_vi", "province_en"],
    )
    return frame.set_index("center_id")


def _dated_stages(session: Session, filters: Filters, scoped: pd.DataFrame) -> pd.DataFrame:
    """Every stage each agreement reached by ``as_of``, in order, with the expiry no event recorded."""
    ids = [int(i) for i in scoped["agreement_id"]]
    query = (
        select(col(AgreementEvent.agreement_id), col(AgreementEvent.stage), col(AgreementEvent.changed_on))
        .where(col(AgreementEvent.changed_on) <= filters.as_of, col(AgreementEvent.agreement_id).in_(ids))
        .order_by(col(AgreementEvent.agreement_id), col(AgreementEvent.changed_on), col(AgreementEvent.id))
    )
    history = pd.DataFrame(
        session.execute(query).all(),
        columns=["agreement_id", "stage", "changed_on"],
    )
    # agreements() calls an agreement past its expiry "expired" even when nobody recorded it
    recorded = set(history.loc[history["stage"] == AgreementStage.EXPIRED.value, "agreement_id"])
    lapsed = scoped[
        (scoped["stage"].astype(str) == AgreementStage.EXPIRED.value) & ~scoped["agreement_id"].isin(recorded)
    ]
    extra = pd.DataFrame(
        {
            "agreement_id": lapsed["agreement_id"].to_numpy(),
            "stage": AgreementStage.EXPIRED.value,
            "changed_on": lapsed["expires_on"].to_numpy(),
        }
    )
    if not extra.empty:
        history = pd.concat([history, extra], ignore_index=True)
    history["step"] = range(len(history))
    return history.sort_values(["agreement_id", "changed_on", "step"], kind="stable").drop(columns="step")


def _agreement_rows(session: Session, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The agreements in scope, one row each with its dates as known on ``as_of``; and their history."""
    as_of = filters.as_of
    scoped = agreements(session, filters)
    history = _dated_stages(session, filters, scoped)
    places = _center_places(session)
    rows = scoped[
        [
            "agreement_id",
            "center_id",
            "center_code",
            "center_name_vi",
            "center_name_en",
            "title_vi",
            "title_en",
            "stage",
            "proposed_on",
            "signed_on",
            "expires_on",
            "source",
            "is_demo",
            "scope_published",
            "term_published",
            "later_stages_published",
        ]
    ].copy()
    rows["stage"] = rows["stage"].astype(str)
    rows["is_demo"] = rows["is_demo"].astype(bool)
    rows["province_vi"] = rows["center_id"].map(places["province_vi"])
    rows["province_en"] = rows["center_id"].map(places["province_en"])
    last = history.groupby("agreement_id").tail(1).set_index("agreement_id")
    rows["stage_since"] = rows["agreement_id"].map(last["changed_on"])
    signed = rows["signed_on"].notna() & (rows["signed_on"] <= as_of)
    rows["signed_on"] = rows["signed_on"].where(signed, None)
    rows["expires_on"] = rows["expires_on"].where(signed & rows["expires_on"].notna(), None)
    ended = rows["stage"].isin(ENDED)
    rows["ended_on"] = rows["stage_since"].where(ended, None)
    has_expiry = rows["expires_on"].notna()
    rows["end_on"] = rows["ended_on"].where(ended, rows["expires_on"].where(has_expiry, as_of))
    rows["open"] = ~ended & ~has_expiry
    # a real record whose source says nothing after its last stage is drawn no further than that day
    silent = rows["open"] & ~rows["later_stages_published"].astype(bool)
    rows.loc[silent, "end_on"] = rows.loc[silent, "stage_since"]
    rows = rows.sort_values(["proposed_on", "center_code"], kind="stable").reset_index(drop=True)
    return scoped, rows, history


def timeline(session: Session, filters: Filters) -> Timeline:
    """Agreements from proposal to signing to expiry (or ``as_of`` while open), and the events around them.

    Dates after ``as_of`` are unknown on that day, except the expiry written into a signed contract,
    which is drawn as planned.
    """
    as_of = filters.as_of
    _, rows, history = _agreement_rows(session, filters)
    info = rows.set_index("agreement_id")
    segments = history.copy()
    segments["start_on"] = segments["changed_on"]
    segments["end_on"] = segments.groupby("agreement_id")["changed_on"].shift(-1)
    final = segments["end_on"].isna()
    # a real record's last stage runs on only where its source says how long (an expiry)
    silent = (
        segments["agreement_id"]
        .map(~info["later_stages_published"].astype(bool) & info["expires_on"].isna())
        .fillna(False)
        .astype(bool)
    )
    segments.loc[final & ~segments["stage"].isin(ENDED) & ~silent, "end_on"] = as_of
    segments["planned"] = False
    expiry = segments["agreement_id"].map(info["expires_on"])
    still_running = final & segments["stage"].isin(IN_FORCE) & expiry.notna()
    planned = segments[still_running & (expiry > as_of)].assign(start_on=as_of, planned=True)
    planned["end_on"] = planned["agreement_id"].map(info["expires_on"])
    segments = pd.concat([segments, planned], ignore_index=True)
    segments = segments[segments["end_on"].notna() & (segments["end_on"] > segments["start_on"])]
    for column in ("center_code", "province_vi", "province_en", "is_demo"):
        segments[column] = segments["agreement_id"].map(info[column])
    segments = segments[
        [
            "agreement_id",
            "center_code",
            "province_vi",
            "province_en",
            "stage",
            "start_on",
            "end_on",
            "planned",
            "is_demo",
        ]
    ].sort_values(["agreement_id", "start_on"], kind="stable")

    happened = event_list(session, filters)
    return Timeline(
        as_of=as_of,
        agreements=rows,
        segments=segments.reset_index(drop=True),
        events=happened,
        milestones=milestones(happened),
    )


def event_list(session: Session, filters: Filters) -> pd.DataFrame:
    """Events held by ``as_of`` involving a center in scope, with who took part, oldest first."""
    happened = events(session, filters)
    ids = [int(i) for i in happened["id"]]
    query = select(col(EventParticipant.event_id), col(EventParticipant.center_id)).where(
        col(EventParticipant.event_id).in_(ids)
    )
    taking_part = pd.DataFrame(session.execute(query).all(), columns=["event_id", "center_id"])
    places = _center_places(session)
    taking_part["rank"] = taking_part["center_id"].map(places["kind"]).map(_KIND_RANK).fillna(9)
    taking_part["code"] = taking_part["center_id"].map(places["code"])
    institute = taking_part["rank"] == 0
    # a party reads as "IMTS" for an institute, as its province for a provincial center
    for lang in ("vi", "en"):
        taking_part[f"party_{lang}"] = taking_part["code"].where(
            institute, taking_part["center_id"].map(places[f"province_{lang}"])
        )
    provincial = taking_part["center_id"].map(places["kind"]) == "provincial_center"
    for lang in LANGUAGES:
        # in a list of participants a provincial center is named as one ("Trung tâm Hải Phòng")
        centers = (
            taking_part["center_id"]
            .map(places[f"province_{lang}"])
            .map(
                lambda province, lang=lang: translate(
                    "cooperation.participants.center", lang, province=province
                )
            )
        )
        taking_part[f"participant_{lang}"] = centers.where(provincial, taking_part["code"])
    taking_part = taking_part.sort_values(["event_id", "rank", "code"], kind="stable")
    grouped = taking_part.groupby("event_id")
    frame = happened.rename(columns={"id": "event_id"})
    frame["participants"] = frame["event_id"].map(grouped.size()).fillna(0).astype(int)
    frame["participant_codes"] = _text(frame["event_id"].map(grouped["code"].agg(", ".join)))
    frame["is_demo"] = frame["is_demo"].astype(bool)
    for lang in LANGUAGES:
        frame[f"parties_{lang}"] = _text(frame["event_id"].map(grouped[f"party_{lang}"].agg(" – ".join)))
        named = _text(frame["event_id"].map(grouped[f"participant_{lang}"].agg(", ".join)))
        frame[f"participants_{lang}"] = [
            _participants_text(str(names), int(count), str(kind), bool(demo), lang)
            for names, count, kind, demo in zip(
                named, frame["participants"], frame["kind"], frame["is_demo"], strict=True
            )
        ]
        frame[f"source_label_{lang}"] = frame["source"].map(lambda source, lang=lang: citation(source, lang))
    frame["source_url"] = frame["source"].map(source_url)
    frame["kind_order"] = (
        frame["kind"].map({kind: i for i, kind in enumerate(EVENT_KINDS)}).fillna(len(EVENT_KINDS))
    )
    return (
        frame.sort_values(["held_on", "kind_order", "event_id"], kind="stable")
        .drop(columns="kind_order")
        .reset_index(drop=True)
    )


def _participants_text(names: str, count: int, kind: str, is_demo: bool, lang: str) -> str:
    """Who took part, as a reader sees it. A real conference lists only whom its source names, and
    says the rest of the list was not published."""
    if not is_demo and kind == "conference":
        return translate("cooperation.participants.unpublished", lang, parties=names)
    if is_demo and count > NAMED_PARTICIPANTS:
        return translate_plural("count.participants", count, lang)
    return names


def milestones(happened: pd.DataFrame) -> pd.DataFrame:
    """The real (not demo) events, one row per day: where, what kinds, who signed, the sources."""
    real = happened[~happened["is_demo"].astype(bool)]
    columns = [
        "held_on",
        "place_vi",
        "place_en",
        "kinds",
        "signing_parties_vi",
        "signing_parties_en",
        "titles_vi",
        "titles_en",
        "source",
        "sources",
    ]
    if real.empty:
        return pd.DataFrame(columns=columns)
    grouped = real.groupby("held_on", sort=True)
    signing = real[real["kind"] == "signing"].groupby("held_on")
    frame = pd.DataFrame(
        {
            "held_on": list(grouped.groups),
            "place_vi": grouped["place_vi"].first().to_numpy(),
            "place_en": grouped["place_en"].first().to_numpy(),
            "kinds": grouped["kind"].agg(",".join).to_numpy(),
            "titles_vi": grouped["title_vi"].agg(" · ".join).to_numpy(),
            "titles_en": grouped["title_en"].agg(" · ".join).to_numpy(),
            "source": grouped["source"].agg(lambda s: "; ".join(dict.fromkeys(s))).to_numpy(),
        }
    )
    for lang in ("vi", "en"):
        frame[f"signing_parties_{lang}"] = _text(
            frame["held_on"].map(signing[f"parties_{lang}"].agg("; ".join))
        )
    frame["sources"] = [tuple(s for s in str(joined).split("; ") if s) for joined in frame["source"]]
    return frame[columns]


def scope_matrix(session: Session, filters: Filters) -> pd.DataFrame:
    """Agreement × measurement field: whether the agreement covers the field (every pair listed)."""
    return _scope_rows(session, agreements(session, filters))


def _scope_rows(session: Session, scoped: pd.DataFrame) -> pd.DataFrame:
    ids = [int(i) for i in scoped["agreement_id"]]
    padded = literal(",") + Agreement.scope_fields + literal(",")
    covers = padded.like(literal("%,") + MeasurementField.code + literal(",%"))
    query = (
        select(
            col(Agreement.id),
            col(MeasurementField.code),
            col(MeasurementField.name_vi),
            col(MeasurementField.name_en),
            col(MeasurementField.sort_order),
            case((covers, 1), else_=0),
        )
        .select_from(Agreement)
        .join(MeasurementField, true())
        .where(col(Agreement.id).in_(ids))
    )
    columns = ["agreement_id", "field_code", "field_name_vi", "field_name_en", "field_order", "in_scope"]
    frame = pd.DataFrame(session.execute(query).all(), columns=columns)
    frame["in_scope"] = frame["in_scope"].astype(bool)
    places = _center_places(session)
    info = scoped.set_index("agreement_id")
    frame["center_code"] = frame["agreement_id"].map(info["center_code"])
    frame["stage"] = frame["agreement_id"].map(info["stage"].astype(str))
    frame["is_demo"] = frame["agreement_id"].map(info["is_demo"]).astype(bool)
    # a real contract with no published scope covers no field as far as anyone may say
    frame["scope_published"] = frame["agreement_id"].map(info["scope_published"]).astype(bool)
    center_ids = frame["agreement_id"].map(info["center_id"])
    frame["province_vi"] = center_ids.map(places["province_vi"])
    frame["province_en"] = center_ids.map(places["province_en"])
    stage_rank = frame["stage"].map({stage: i for i, stage in enumerate(STAGE_ORDER)})
    frame = frame.assign(stage_rank=stage_rank).sort_values(["stage_rank", "center_code", "field_order"])
    return frame.drop(columns="stage_rank").reset_index(drop=True)


def agreement_details(session: Session, filters: Filters) -> pd.DataFrame:
    """One row per agreement for the details table: dates as known on ``as_of`` and the fields in scope."""
    scoped, rows, _ = _agreement_rows(session, filters)
    scope = _scope_rows(session, scoped)
    covered = scope[scope["in_scope"]].sort_values(["agreement_id", "field_order"])
    grouped = covered.groupby("agreement_id")
    rows["scope_codes"] = _text(rows["agreement_id"].map(grouped["field_code"].agg(",".join)))
    for lang in LANGUAGES:
        named = _text(rows["agreement_id"].map(grouped[f"field_name_{lang}"].agg(", ".join)))
        rows[f"scope_{lang}"] = named.where(
            rows["scope_published"].astype(bool), translate("unpublished", lang)
        )
        rows[f"source_label_{lang}"] = rows["source"].map(lambda source, lang=lang: citation(source, lang))
    rows["source_url"] = rows["source"].map(source_url)
    stage_rank = rows["stage"].map({stage: i for i, stage in enumerate(STAGE_ORDER)})
    return (
        rows.assign(stage_rank=stage_rank)
        .sort_values(["stage_rank", "proposed_on", "center_code"])
        .drop(columns="stage_rank")
        .reset_index(drop=True)
    )


def stage_text(stage: str, later_stages_published: bool, lang: str) -> str:
    """The stage, and for a real record whose source tells nothing after it, that the rest is unpublished."""
    label = translate(f"stage.{stage}", lang)
    if later_stages_published:
        return label
    return translate("cooperation.stage.later_unpublished", lang, stage=label)


def term_text(expires_on: date | None, term_published: bool, lang: str) -> str:
    """The expiry date, "—" while none is set, "not published" for a real contract whose term is unknown."""
    if not term_published:
        return translate("unpublished", lang)
    return format_day(expires_on, lang) if pd.notna(expires_on) else "—"
