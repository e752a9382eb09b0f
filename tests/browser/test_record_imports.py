"""Center staff import a new capability and the standard behind it on the data page; the finder offers it.

Runs its own server on a private copy of the seeded database, so the shared one stays as seeded.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from services.cells import format_range
from services.models import Capability, Center, Equipment, InstrumentType
from tests.browser.conftest import EXPECT_TIMEOUT_MS, RUN_COUNTER, TIMEOUT_MS, AppPage, RunningApp, serve
from tests.conftest import SEED_DAY

pytestmark = pytest.mark.browser
# tighter than anything the seed offers, so the finder can only answer with the imported capability
UNCERTAINTY = "0,000001 %"


@pytest.fixture
def private_app(seeded_database_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    source = Path(make_url(seeded_database_url).database or "")
    target = tmp_path / "records.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    with serve(f"sqlite:///{target}", tmp_path) as app:
        yield app


def a_type_to_offer(database_url: str) -> tuple[str, str, str]:
    """A type TTKT-31 does not offer, and one of its standards in date for months that can back it."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        center = session.execute(select(Center.id).where(Center.code == "TTKT-31")).scalar_one()
        offered = select(Capability.instrument_type_code).where(Capability.center_id == center)
        types = session.execute(
            select(InstrumentType.code, InstrumentType.quantity_code)
            .where(InstrumentType.code.not_in(offered))  # type: ignore[attr-defined]
            .order_by(InstrumentType.code)
        ).all()
        standards = (
            session.execute(
                select(Equipment)
                .where(
                    Equipment.center_id == center,
                    Equipment.status == "in_service",
                    Equipment.next_due_on > SEED_DAY + timedelta(days=120),
                )
                .order_by(Equipment.serial_no)
            )
            .scalars()
            .all()
        )
        type_code, standard = next(
            (code, item)
            for code, quantity in types
            for item in standards
            if item.quantity_code == quantity and item.range_max > item.range_min
        )
        found = (
            type_code,
            format_range(standard.range_min, standard.range_max, standard.range_unit),
            standard.serial_no,
        )
    engine.dispose()
    return found


def upload(staff: AppPage, path: Path, content: str, rows_button: re.Pattern[str]) -> None:
    page = staff.page
    path.write_text(content, encoding="utf-8")
    staff.after_run(
        lambda: (
            page.get_by_test_id("stTabPanel")
            .filter(visible=True)
            .get_by_test_id("stFileUploaderDropzoneInput")
            .set_input_files(path)
        )
    )
    staff.after_run(page.get_by_role("button", name="Kiểm tra tệp", exact=True).filter(visible=True).click)
    expect(page.get_by_text(re.compile(r"Tệp hợp lệ: 1 mới"))).to_be_visible()
    staff.after_run(page.get_by_role("button", name=rows_button).click)
    expect(page.get_by_text(re.compile(r"Đã nhập vào TTKT-31: 1 mới"))).to_be_visible()


def test_staff_import_a_capability_and_the_finder_offers_it(
    chromium: Browser, private_app: RunningApp, tmp_path: Path
) -> None:
    type_code, range_text, serial = a_type_to_offer(private_app.database_url)
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
    context.set_default_timeout(EXPECT_TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(RUN_COUNTER)
    try:
        staff = AppPage(context.new_page(), private_app)
        page = staff.page
        finder = "finder?" + urlencode({"q_type": type_code, "q_range": range_text, "q_unc": UNCERTAINTY})
        staff.open(finder)
        expect(page.get_by_text(re.compile(r"^Không trung tâm nào")).first).to_be_visible()

        staff.open("data")
        page.get_by_label("Tên đăng nhập").fill("ttkt31")
        page.get_by_label("Mật khẩu").fill("ttkt31-demo")
        staff.after_run(page.get_by_role("button", name="Đăng nhập", exact=True).click)
        # a tab switches in the browser alone (no rerun to wait for): wait for its panel instead
        page.get_by_role("tab", name="Nhập năng lực và hợp tác").click()
        expect(
            page.get_by_test_id("stTabPanel").filter(visible=True).get_by_text("Loại hồ sơ").first
        ).to_be_visible()
        upload(
            staff,
            tmp_path / "capabilities.csv",
            f"instrument_type;service;range;uncertainty\n{type_code};calibration;{range_text};{UNCERTAINTY}\n",
            re.compile(r"^Nhập \(ghi 1 dòng\)$"),
        )
        staff.choose("Loại hồ sơ", "Chuẩn hỗ trợ từng năng lực")
        upload(
            staff,
            tmp_path / "standards.csv",
            f"instrument_type;service;standard_serial\n{type_code};calibration;{serial}\n",
            re.compile(r"^Nhập \(ghi 1 dòng\)$"),
        )

        staff.open(finder)
        expect(
            page.get_by_test_id("stAlertContentSuccess").filter(has_text="1 năng lực tại 1 trung tâm")
        ).to_be_visible()
        staff.screenshot("journey-record-imports-finder")
    finally:
        context.close()
