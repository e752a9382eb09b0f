"""A cold page reads what its views have in common once per data version (``ui.data`` shares
``services.network.SharedReads`` between views), not once per view.

The overview's KPI cards (today and a year earlier), map, points, gaps and grid all need the
capabilities in force and the equipment status counts: before the views shared their reads, a
cold overview sent the capabilities query five times and the status counts four times.
Statements are counted with SQLAlchemy events (not timed).
"""

from __future__ import annotations

from sqlmodel import Session

from services import data_version
from services.db import make_engine
from services.network import SharedReads, read_once, shared_reads
from tests.page_support import open_page
from tests.test_warm_reruns import StatementLog

CAPABILITIES_QUERY = (
    "SELECT capability.center_id, capability.instrument_type_code, capability.service, count(*)"
)
STATUS_COUNTS_QUERY = (
    "SELECT equipment.center_id, CASE WHEN",  # the day in force: each item's stored next due date
    "SELECT equipment.center_id, coalesce((SELECT CASE WHEN",  # a past day: its latest certificate
)


def _sent(log: StatementLog, start: str | tuple[str, ...]) -> int:
    return sum(statement.startswith(start) for statement in log.statements)


def test_a_cold_overview_reads_each_shared_input_once_per_day_it_shows(app_database: str) -> None:
    with StatementLog() as log:
        open_page("pages/overview.py")
    assert _sent(log, CAPABILITIES_QUERY) == 2  # the day viewed and a year earlier
    assert _sent(log, STATUS_COUNTS_QUERY) == 2


def test_the_next_page_reuses_the_reads_until_the_data_version_changes(app_database: str) -> None:
    open_page("pages/overview.py")
    with StatementLog() as log:
        open_page("pages/presenter.py")  # its first slide shows the KPI cards: read already
    assert _sent(log, CAPABILITIES_QUERY) == 0
    writer = make_engine(app_database)
    with writer.begin() as connection:
        data_version.bump(connection)
    writer.dispose()
    with StatementLog() as log:
        open_page("pages/presenter.py")
    assert _sent(log, CAPABILITIES_QUERY) == 1  # a new version reads afresh (the day viewed only)


def test_shared_reads_keep_at_most_their_limit_and_hand_out_copies(app_database: str) -> None:
    import pandas as pd

    reads = SharedReads(limit=2)
    made: list[int] = []

    def read(value: int) -> pd.DataFrame:
        made.append(value)
        return pd.DataFrame({"value": [value]})

    with Session(make_engine(app_database)) as session, shared_reads(session, reads):
        first = read_once(session, ("a",), lambda: read(1))
        first["value"] = 99  # a caller's change stays with the caller
        assert read_once(session, ("a",), lambda: read(2))["value"].tolist() == [1]
        read_once(session, ("b",), lambda: read(3))
        read_once(session, ("c",), lambda: read(4))  # the third key drops the least recently used
        read_once(session, ("a",), lambda: read(5))
    assert made == [1, 3, 4, 5]
