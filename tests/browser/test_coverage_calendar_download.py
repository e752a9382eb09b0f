"""A planner in Chromium downloads the due-dates calendar, which the coverage page makes on the click only."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar

from tests.browser.conftest import AppPage

pytestmark = pytest.mark.browser


def test_the_calendar_is_made_on_the_click_and_holds_the_due_dates(app_page: AppPage, tmp_path: Path) -> None:
    page = app_page.page
    app_page.open("coverage")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải lịch (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
    saved = tmp_path / "due.ics"
    download.value.save_as(saved)
    events = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert events and all(str(event["uid"]).startswith("due-") for event in events)
