"""A link opened as the very first visit to a freshly started server gets the whole app."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import EXPECT_TIMEOUT_MS, RUN_COUNTER, AppPage, serve

pytestmark = pytest.mark.browser


def test_a_shared_link_as_the_first_visit_after_a_restart_shows_the_app_navigation(
    chromium: Browser, seeded_database_url: str, tmp_path: Path
) -> None:
    with serve(seeded_database_url, tmp_path) as app:
        context = chromium.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.add_init_script(RUN_COUNTER)
        visitor = AppPage(context.new_page(), app)
        try:
            visitor.open("coverage")
            navigation = visitor.page.get_by_test_id("stSidebarNav")
            expect(navigation.get_by_role("link").filter(has_text="Tổng quan")).to_have_count(1)
            expect(
                navigation.get_by_role("link").filter(has_text="Năng lực kiểm định, hiệu chuẩn theo địa bàn")
            ).to_have_count(1)
            expect(navigation.get_by_role("link").filter(has_text="data management")).to_have_count(0)
        finally:
            visitor.screenshot("first-visit-after-restart")
            context.close()
