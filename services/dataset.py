"""What the database says about itself: whether it holds the demo network, and which day that describes.

A demo database is seeded as of one day and keeps describing that day: opened months later it
would otherwise drift towards "everything overdue". Pages therefore default to the demo day
(and say so); a database of real records defaults to today.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection
from sqlmodel import Session, select

from services.i18n import format_day, translate
from services.models import DatasetInfo

DEMO_AS_OF_KEY = "demo_as_of"


def demo_as_of(session: Session) -> date | None:
    """The day the demo network describes, or None for a database of real records."""
    row = session.exec(select(DatasetInfo).where(DatasetInfo.key == DEMO_AS_OF_KEY)).first()
    return date.fromisoformat(row.value) if row else None


def default_as_of(session: Session, today: date) -> date:
    """The day a view shows when the user has not chosen one."""
    return demo_as_of(session) or today


def demo_label(session: Session, lang: str) -> str | None:
    """ "Demo data as of dd/mm/yyyy" on a demo database; None on real records, which carry no such label
    (a report that says "demo data" over an official's real figures would be as wrong as the reverse)."""
    described = demo_as_of(session)
    return translate("demo.badge_as_of", lang, date=format_day(described, lang)) if described else None


def record_demo_as_of(connection: Connection, day: date) -> None:
    """Mark the database as the demo network as of ``day`` (inside the seeder's transaction)."""
    connection.execute(DatasetInfo.__table__.insert(), [{"key": DEMO_AS_OF_KEY, "value": day.isoformat()}])  # type: ignore[attr-defined]  # SQLModel sets __table__ on table=True classes at class creation but does not declare it
