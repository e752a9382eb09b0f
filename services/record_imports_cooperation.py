"""Importing a center's cooperation records: agreements with their stage history, and events.

Same contract as services.record_imports (all or nothing, audit rows, a record already as the file
says is left alone). An agreement is named by its institute and Vietnamese title and carries its
whole stage history in one cell (``proposed 08/07/2024; negotiating 02/09/2024; signed
14/11/2024``): its stage is the last entry, its proposal and signing days those entries' days,
so the three can never disagree. An event is named by its day and Vietnamese title and lists the
centers that took part; staff may only file or change events their own center took part in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, Final

from sqlalchemy import Executable, delete, select
from sqlmodel import Session, SQLModel, col

from services.audit import record_change, snapshot
from services.cells import CellError, check_length, parse_day
from services.i18n import format_day
from services.models import (
    Agreement,
    AgreementEvent,
    AgreementStage,
    Center,
    CenterKind,
    Event,
    EventParticipant,
)
from services.models import MeasurementField as FieldRow
from services.record_imports import PlanInput, Planned, RecordKind, differs, note_duplicate
from services.tabular import Column, RowReader

TITLE_LENGTH: Final = 300
PLACE_LENGTH: Final = 200
STAGES: Final = [stage.value for stage in AgreementStage]
# the order an agreement moves through; "cancelled" may end it at any point
_STAGE_ORDER: Final = {
    "proposed": 0,
    "negotiating": 1,
    "signed": 2,
    "active": 3,
    "expired": 4,
    "cancelled": 5,
}
EVENT_KINDS: Final = ("conference", "signing", "training", "audit")
_ENTRY: Final = re.compile(r"\s*([a-z_]+)\s+(\S+)\s*")
_LIST_SEPARATORS: Final = re.compile(r"[,;\s]+")

AGREEMENT_COLUMNS: Final = (
    Column("institute", required=True),
    Column("title_vi", required=True),
    Column("title_en"),
    Column("history", required=True),
    Column("expires_on"),
    Column("scope_fields"),
    Column("source"),
)
EVENT_COLUMNS: Final = (
    Column("held_on", required=True),
    Column("title_vi", required=True),
    Column("title_en"),
    Column("place_vi", required=True),
    Column("place_en"),
    Column("kind", required=True),
    Column("participants", required=True),
    Column("summary_vi"),
    Column("summary_en"),
    Column("source"),
)
AGREEMENT_EXAMPLES: Final = (
    (
        "IMTS",
        "Hợp đồng hợp tác kỹ thuật đo lường",
        "Metrology cooperation contract",
        "proposed 08/07/2024; negotiating 02/09/2024; signed 14/11/2024",
        "14/11/2027",
        "M,P",
        "",
    ),
)
EVENT_EXAMPLES: Final = (
    (
        "20/09/2024",
        "Tập huấn hiệu chuẩn áp kế",
        "Pressure gauge calibration training",
        "Hải Phòng",
        "Hai Phong",
        "training",
        "IMTS, TTKT-31",
        "",
        "",
        "",
    ),
)


# --- what agreements and events share: rows in another table, replaced whole ----------------------


@dataclass(frozen=True)
class _Children:
    """A record's rows in another table (an agreement's stage history, an event's participants).

    The file gives them whole, so a changed record has its old rows deleted and the file's added;
    the audit row shows them as ``shown`` makes them read.
    """

    name: str  # their key in the planned values and in the audit row
    stored: Callable[[Session, int], Any]  # the record's stored ones, as the audit shows them
    shown: Callable[[Any], Any]  # the file's ones, as the audit shows them
    delete: Callable[[int], Executable]
    rows: Callable[[int, Any], list[SQLModel]]


def _write_with_children(
    session: Session,
    planned: Planned,
    username: str,
    center: Center,
    *,
    model: type[SQLModel],
    table_name: str,
    children: _Children,
) -> int:
    """Add or update one record with its rows in ``children``, and audit it; 1 when something changed."""
    if not planned.changed:
        return 0
    values = dict(planned.values)
    wanted = values.pop(children.name)
    item = planned.existing
    before = None
    if item is None:
        item = model(**values, is_demo=False)
        session.add(item)
        session.flush()
    else:
        before = {**snapshot(item, list(values)), children.name: children.stored(session, item.id)}
        for name, value in values.items():
            setattr(item, name, value)
        # one row per stage or participant: the old rows go before the new ones
        session.execute(children.delete(item.id))
        session.flush()
    session.add_all(children.rows(item.id, wanted))
    session.flush()
    record_change(
        session,
        username=username,
        table_name=table_name,
        row_id=item.id,
        action="insert" if before is None else "update",
        before=before,
        after={**snapshot(item, list(values)), children.name: children.shown(wanted)},
        center_id=center.id,
    )
    return 1


# --- agreements ------------------------------------------------------------------------------------


def parse_history(text: str, *, today: date) -> list[tuple[str, date]]:
    """``stage day; stage day; …`` in the order it happened, never going back.

    It may start later than "proposed": a published record may begin at the signing.
    """
    entries: list[tuple[str, date]] = []
    for piece in [part for part in re.split(r"[;\n]", text) if part.strip()]:
        match = _ENTRY.fullmatch(piece.lower())
        if match is None:
            raise CellError(
                "data.error.bad_history_entry", value=piece.strip(), example=AGREEMENT_EXAMPLES[0][3]
            )
        stage, day_text = match.groups()
        if stage not in STAGES:
            raise CellError("data.error.bad_stage", value=stage, allowed=", ".join(STAGES))
        day = parse_day(day_text, today=today)
        if entries:
            last_stage, last_day = entries[-1]
            if day < last_day:
                raise CellError(
                    "data.error.history_date_order",
                    stage=stage,
                    day=format_day(day),
                    previous=last_stage,
                    previous_day=format_day(last_day),
                )
            if _STAGE_ORDER[stage] <= _STAGE_ORDER[last_stage] or last_stage in ("expired", "cancelled"):
                raise CellError("data.error.history_stage_order", stage=stage, previous=last_stage)
        entries.append((stage, day))
    if not entries:
        raise CellError("data.error.required")
    return entries


def format_history(events: list[tuple[str, date]]) -> str:
    return "; ".join(f"{stage} {day.isoformat()}" for stage, day in events)


def parse_codes(text: str, known: set[str], key: str) -> list[str]:
    codes = sorted({code for code in _LIST_SEPARATORS.split(text.strip()) if code})
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise CellError(key, value=", ".join(unknown), allowed=", ".join(sorted(known)))
    return codes


_AGREEMENT_COMPARED: Final = (
    "title_en",
    "stage",
    "proposed_on",
    "signed_on",
    "expires_on",
    "scope_fields",
    "source",
)


def _histories(session: Session, agreement_ids: list[int]) -> dict[int, list[tuple[str, date]]]:
    histories: dict[int, list[tuple[str, date]]] = {}
    for agreement_id, stage, day in session.execute(
        select(col(AgreementEvent.agreement_id), col(AgreementEvent.stage), col(AgreementEvent.changed_on))
        .where(col(AgreementEvent.agreement_id).in_(agreement_ids))
        .order_by(col(AgreementEvent.agreement_id), col(AgreementEvent.changed_on), col(AgreementEvent.id))
    ):
        histories.setdefault(agreement_id, []).append((stage, day))
    return histories


def _agreement_row(
    row: RowReader, institutes: dict[str, int], fields: set[str], center: Center, today: date
) -> dict[str, Any] | None:
    institute_code = row.text("institute").strip().upper()
    if institute_code and institute_code not in institutes:
        row.fail(
            "institute",
            "data.error.unknown_institute",
            value=institute_code,
            allowed=", ".join(sorted(institutes)),
        )
    title_vi = row.read("title_vi", lambda text: check_length(text, TITLE_LENGTH))
    title_en = row.read("title_en", lambda text: check_length(text, TITLE_LENGTH), optional=True)
    history = row.read("history", lambda text: parse_history(text, today=today))
    expires_on = row.read("expires_on", parse_day, optional=True)
    scope = row.read(
        "scope_fields", lambda text: parse_codes(text, fields, "data.error.unknown_field"), optional=True
    )
    signed_on = next((day for stage, day in history or [] if stage == AgreementStage.SIGNED), None)
    if expires_on and history and expires_on < (signed_on or history[0][1]):
        row.fail(
            "expires_on",
            "data.error.expires_before_signed",
            expires=format_day(expires_on),
            signed=format_day(signed_on or history[0][1]),
        )
    if row.failed:
        return None
    return {
        "institute_id": institutes[institute_code],
        "center_id": center.id,
        "title_vi": title_vi,
        "title_en": title_en or title_vi,
        "stage": history[-1][0],
        "proposed_on": history[0][1],
        "signed_on": signed_on,
        "expires_on": expires_on,
        "scope_fields": ",".join(scope or []),
        "source": " ".join(row.text("source").split()),
        "history": history,
    }


def _plan_agreements(given: PlanInput) -> list[Planned]:
    institutes = {
        code: id_
        for id_, code in given.session.execute(
            select(col(Center.id), col(Center.code)).where(col(Center.kind) == CenterKind.NATIONAL_INSTITUTE)
        )
    }
    fields = set(given.session.execute(select(col(FieldRow.code))).scalars())
    held = {
        (a.institute_id, a.title_vi): a
        for a in given.session.execute(
            select(Agreement).where(col(Agreement.center_id) == given.center.id)
        ).scalars()
    }
    histories = _histories(given.session, [a.id for a in held.values()])
    seen: dict[tuple, int] = {}
    planned: list[Planned] = []
    for row in given.readers():
        values = _agreement_row(row, institutes, fields, given.center, given.today)
        if values is None:
            continue
        key = (values["institute_id"], values["title_vi"])
        if not note_duplicate(row, seen, key, "title_vi", values["title_vi"]):
            continue
        existing = held.get(key)
        changed = (
            existing is None
            or differs(existing, values, _AGREEMENT_COMPARED)
            or (histories.get(existing.id, []) != values["history"])
        )
        planned.append(Planned(row.number, values, existing, changed, {"stage": values["stage"]}))
    return planned


def _stored_history(session: Session, agreement_id: int) -> str:
    return format_history(_histories(session, [agreement_id]).get(agreement_id, []))


_HISTORY: Final = _Children(
    name="history",
    stored=_stored_history,
    shown=format_history,
    delete=lambda agreement_id: delete(AgreementEvent).where(
        col(AgreementEvent.agreement_id) == agreement_id
    ),
    rows=lambda agreement_id, history: [
        AgreementEvent(agreement_id=agreement_id, stage=stage, changed_on=day) for stage, day in history
    ],
)


AGREEMENTS: Final = RecordKind(
    "agreement",
    "agreement",
    Agreement,
    AGREEMENT_COLUMNS,
    _plan_agreements,
    partial(_write_with_children, model=Agreement, table_name="agreement", children=_HISTORY),
)


# --- events ----------------------------------------------------------------------------------------


def parse_kind(text: str) -> str:
    value = text.strip().lower()
    if value not in EVENT_KINDS:
        raise CellError("data.error.bad_event_kind", value=text.strip(), allowed=", ".join(EVENT_KINDS))
    return value


_EVENT_COMPARED: Final = ("title_en", "place_vi", "place_en", "kind", "summary_vi", "summary_en", "source")


def _event_row(row: RowReader, codes: dict[str, int], center: Center, today: date) -> dict[str, Any] | None:
    held_on = row.read("held_on", lambda text: parse_day(text, today=today))
    title_vi = row.read("title_vi", lambda text: check_length(text, TITLE_LENGTH))
    place_vi = row.read("place_vi", lambda text: check_length(text, PLACE_LENGTH))
    kind = row.read("kind", parse_kind)
    participants = row.read(
        "participants", lambda text: parse_codes(text.upper(), set(codes), "data.error.unknown_center_codes")
    )
    texts = {
        name: " ".join(row.text(name).split())
        for name in ("title_en", "place_en", "summary_vi", "summary_en", "source")
    }
    if participants is not None and center.code not in participants:
        row.fail("participants", "data.error.center_not_participant", center=center.code)
    if row.failed:
        return None
    return {
        "held_on": held_on,
        "title_vi": title_vi,
        "place_vi": place_vi,
        "kind": kind,
        "title_en": texts["title_en"] or title_vi,
        "place_en": texts["place_en"] or place_vi,
        "summary_vi": texts["summary_vi"],
        "summary_en": texts["summary_en"],
        "source": texts["source"],
        "participants": [codes[code] for code in participants],
    }


def _plan_events(given: PlanInput) -> list[Planned]:
    codes = {code: id_ for id_, code in given.session.execute(select(col(Center.id), col(Center.code)))}
    held = {(e.held_on, e.title_vi): e for e in given.session.execute(select(Event)).scalars()}
    taking_part: dict[int, set[int]] = {}
    for event_id, center_id in given.session.execute(
        select(col(EventParticipant.event_id), col(EventParticipant.center_id))
    ):
        taking_part.setdefault(event_id, set()).add(center_id)
    seen: dict[tuple, int] = {}
    planned: list[Planned] = []
    for row in given.readers():
        values = _event_row(row, codes, given.center, given.today)
        if values is None:
            continue
        key = (values["held_on"], values["title_vi"])
        if not note_duplicate(row, seen, key, "title_vi", values["title_vi"]):
            continue
        existing = held.get(key)
        before = taking_part.get(existing.id, set()) if existing else set()
        if existing is not None and given.center.id not in before:
            # another centers' event: only they (or an admin filing for one of them) may change it
            row.fail(
                "title_vi",
                "data.error.event_of_other_centers",
                value=values["title_vi"],
                center=given.center.code,
            )
            continue
        changed = (
            existing is None
            or differs(existing, values, _EVENT_COMPARED)
            or before != set(values["participants"])
        )
        planned.append(Planned(row.number, values, existing, changed))
    return planned


def _stored_participants(session: Session, event_id: int) -> list[int]:
    return sorted(
        session.execute(
            select(col(EventParticipant.center_id)).where(col(EventParticipant.event_id) == event_id)
        ).scalars()
    )


_PARTICIPANTS: Final = _Children(
    name="participants",
    stored=_stored_participants,
    shown=sorted,
    delete=lambda event_id: delete(EventParticipant).where(col(EventParticipant.event_id) == event_id),
    rows=lambda event_id, center_ids: [
        EventParticipant(event_id=event_id, center_id=center_id) for center_id in sorted(center_ids)
    ],
)


EVENTS: Final = RecordKind(
    "event",
    "event",
    Event,
    EVENT_COLUMNS,
    _plan_events,
    partial(_write_with_children, model=Event, table_name="event", children=_PARTICIPANTS),
)
