"""Due dates as an iCalendar file: one all-day event per equipment due in the next months, per center in view.

Built with the ``icalendar`` package on the shared status query (``services.calibration``), so an
event sits on the same due date the coverage page shows for the day viewed. A UID is stable per
equipment and due date: importing a newer file updates an event rather than duplicating it, and a
new certificate (a new due date) makes a new event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from icalendar import Calendar, Event
from sqlalchemy import ColumnElement, SQLColumnExpression
from sqlmodel import Session, col

from services.calibration import status_query
from services.filter_choices import instrument_type_names
from services.filters import Filters
from services.i18n import LANGUAGES, format_day, translate
from services.models import Equipment
from services.network import centers_frame

DEFAULT_MONTHS = 12
PRODUCT_ID = "-//Metrology Network Dashboard//Due dates//VI"
UID_DOMAIN = "metrology-network.invalid"


def event_uid(equipment_id: int, due_on: date) -> str:
    return f"due-{equipment_id}-{due_on:%Y%m%d}@{UID_DOMAIN}"


def _due_rows(session: Session, filters: Filters, until: date) -> list[dict[str, Any]]:
    picked: dict[str, SQLColumnExpression[Any]] = {}

    def pick(
        _status: ColumnElement, due: SQLColumnExpression[Any], _last: SQLColumnExpression[Any]
    ) -> list[SQLColumnExpression[Any]]:
        picked["due"] = due
        return [
            col(Equipment.id),
            col(Equipment.center_id),
            col(Equipment.serial_no),
            col(Equipment.name),
            col(Equipment.instrument_type_code),
            col(Equipment.is_reference_standard),
            due.label("due_on"),
        ]

    query = status_query(session, filters, pick)
    query = query.where(picked["due"] >= filters.as_of, picked["due"] <= until).order_by(
        picked["due"], col(Equipment.id)
    )
    columns = [
        "equipment_id",
        "center_id",
        "serial_no",
        "name",
        "instrument_type_code",
        "is_reference_standard",
        "due_on",
    ]
    return [dict(zip(columns, row, strict=True)) for row in session.execute(query).all()]


def due_calendar_ics(
    session: Session,
    filters: Filters,
    *,
    months: int = DEFAULT_MONTHS,
    lang: str = "vi",
    stamp: datetime | None = None,
) -> bytes:
    """The .ics of every equipment in ``filters``' scope due from ``as_of`` to ``months`` months later.

    Each event is on the center that answers for the equipment on the day (after the 2025 merger,
    a closed center's equipment is its successor's). Titles are in ``lang``, descriptions in both
    languages, Vietnamese first. ``stamp`` (DTSTAMP) defaults to midnight UTC of
    ``as_of``, so the same view gives the same file.
    """
    until = filters.as_of + relativedelta(months=months)
    rows = _due_rows(session, filters, until)
    centers = centers_frame(session, filters).set_index("id")
    types = {code: (vi, en) for code, vi, en in instrument_type_names(session).itertuples(index=False)}
    stamp = stamp or datetime.combine(filters.as_of, time(0, 0), tzinfo=UTC)

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    scope = filters.center or translate("notices.ics.all_centers", lang)
    calendar.add("x-wr-calname", translate("notices.ics.calendar_name", lang, scope=scope))
    for row in rows:
        calendar.add_component(_due_event(row, centers, types, stamp, lang))
    return calendar.to_ical()


def _due_event(
    row: dict[str, object],
    centers: pd.DataFrame,
    types: dict[str, tuple[str, str]],
    stamp: datetime,
    lang: str,
) -> Event:
    """One all-day event on the due date, on the center that answers for the equipment that day."""
    answering = int(centers.loc[int(row["center_id"]), "effective_id"])  # type: ignore[call-overload]
    code = str(centers.loc[answering, "code"])
    due_on: date = row["due_on"]  # type: ignore[assignment]
    names = {"vi": str(centers.loc[answering, "name_vi"]), "en": str(centers.loc[answering, "name_en"])}
    type_names = types.get(str(row["instrument_type_code"] or ""), ("—", "—"))
    event = Event()
    event.add("uid", event_uid(int(row["equipment_id"]), due_on))  # type: ignore[call-overload]
    event.add("dtstamp", stamp)
    event.add("dtstart", due_on)
    event.add("dtend", due_on + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    event.add(
        "summary",
        translate("notices.ics.summary", lang, serial=row["serial_no"], name=row["name"], center=code),
    )
    event.add(
        "description",
        "\n\n".join(
            translate(
                "notices.ics.description",
                language,
                serial=row["serial_no"],
                name=row["name"],
                type=type_names[LANGUAGES.index(language)],
                center=f"{names[language]} ({code})",
                due=format_day(due_on, language),
                kind=translate(
                    "notices.ics.reference_standard"
                    if row["is_reference_standard"]
                    else "notices.ics.equipment",
                    language,
                ),
            )
            for language in LANGUAGES
        ),
    )
    event.add("categories", [code])
    return event


def file_name(filters: Filters) -> str:
    return f"due-dates-{filters.center or 'all'}-{filters.as_of.isoformat()}.ics"
