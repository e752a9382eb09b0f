"""REQUIRE_LOGIN=1 on a real server: a link opened first thing shows only the login; an admin then finds the accounts page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.engine import make_url

from services.auth import demo_password
from tests.browser.conftest import EXPECT_TIMEOUT_MS, RUN_COUNTER, AppPage, serve

pytestmark = pytest.mark.browser


def test_with_require_login_a_shared_link_shows_only_the_login_until_an_admin_logs_in(
    chromium: Browser, seeded_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = tmp_path / "metrology.db"  # this test writes (audited logins): a copy of the shared file
    shutil.copy(str(make_url(seeded_database_url).database), private)
    monkeypatch.setenv("REQUIRE_LOGIN", "1")
    with serve(f"sqlite:///{private}", tmp_path) as app:
        context = chromium.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.add_init_script(RUN_COUNTER)
        visitor = AppPage(context.new_page(), app)
        try:
            visitor.open("coverage?lang=en")  # the first visit after a start, straight to a page
            main = visitor.page.get_by_test_id("stMain")
            expect(main.get_by_text("Log in to use this app.")).to_be_visible()
            for hidden in ("stMetric", "stVegaLiteChart", "stDataFrame"):
                expect(visitor.page.get_by_test_id(hidden)).to_have_count(0)
            expect(visitor.page.get_by_role("combobox")).to_have_count(0)  # no filters in the sidebar
            expect(visitor.page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no page list either
            visitor.page.get_by_role("textbox", name="Username").fill("admin")
            visitor.page.get_by_role("textbox", name="Password").fill(demo_password("admin"))
            visitor.after_run(visitor.page.get_by_role("button", name="Log in").click)
            # the shared link's own page, now drawn
            expect(
                main.get_by_role("heading", name="Verification and calibration capability by area")
            ).to_be_visible()
            navigation = visitor.page.get_by_test_id("stSidebarNav")
            expect(navigation.get_by_role("link").filter(has_text="Accounts")).to_have_count(1)
            visitor.after_run(navigation.get_by_role("link").filter(has_text="Accounts").click)
            expect(main.get_by_role("heading", name="Accounts")).to_be_visible()
            expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
        finally:
            visitor.screenshot("login-required-accounts")
            context.close()
