"""Three users' first walks through the app in Chromium, each leaving a screenshot in tests/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.browser.conftest import AppPage, RunningApp
from tests.conftest import SEED_DAY

pytestmark = pytest.mark.browser

VI_NUMBER = re.compile(r"^\d{1,3}(\.\d{3})*(,\d+)?( ?%)?$")  # 1.234 · 86,3 %
EN_NUMBER = re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?( ?%)?$")  # 1,234 · 86.3%


def sql_one(database_url: str, query: str, **params: object) -> tuple:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(text(query), params).one()
    engine.dispose()
    return tuple(row)


def query(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


def test_leadership_reads_the_kpis_in_both_languages_and_opens_a_center_profile(
    app_page: AppPage, running_app: RunningApp
) -> None:
    page = app_page.page
    app_page.open()

    cards = app_page.metrics()
    assert len(cards) >= 8, cards
    assert all(VI_NUMBER.match(value) for value in cards.values()), cards
    (equipment,) = sql_one(
        running_app.database_url,
        "SELECT COUNT(*) FROM equipment WHERE status != 'retired' AND acquired_on <= :today",
        today=SEED_DAY.isoformat(),  # the demo day, which the app shows by default
    )
    assert cards["Thiết bị, chuẩn đo lường"] == f"{equipment:,}".replace(",", ".")
    expect(
        page.get_by_test_id("stMain").get_by_text(
            re.compile(f"Dữ liệu minh họa tại ngày {SEED_DAY:%d/%m/%Y}$")
        )
    ).to_be_visible()  # badge

    app_page.after_run(page.get_by_role("radio", name="English", exact=True).click)
    cards_en = app_page.metrics()
    assert cards_en["Equipment and standards"] == f"{equipment:,}"
    assert all(EN_NUMBER.match(value) for value in cards_en.values()), cards_en
    assert not set(cards) & set(cards_en), "some card labels were not translated"
    assert query(page.url).get("lang") == "en"
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    app_page.after_run(page.get_by_role("radio", name="Tiếng Việt", exact=True).click)
    assert app_page.metrics() == cards  # same labels, same numbers, same due-soon window
    assert "lang" not in query(page.url)
    app_page.screenshot("journey-1-leadership-overview")

    profile_nav = page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text="Hồ sơ trung tâm")
    app_page.after_run(profile_nav.click)
    assert urlsplit(page.url).path.endswith("/profile")
    app_page.choose("Chọn trung tâm", re.compile(r"^TTKT-31 · "))
    (name,) = sql_one(running_app.database_url, "SELECT name_vi FROM center WHERE code = 'TTKT-31'")
    expect(page.get_by_role("heading", name=f"{name} (TTKT-31)")).to_be_visible()
    assert query(page.url).get("center") == "TTKT-31"
    profile_cards = app_page.metrics()
    assert VI_NUMBER.match(profile_cards["Thiết bị, chuẩn đo lường"]), profile_cards
    app_page.screenshot("journey-1-leadership-profile")

    # a tab runs when opened, and the link names it: a colleague's copy opens the same tab
    app_page.after_run(page.get_by_role("tab", name="Liên kết chuẩn", exact=True).click)
    assert query(page.url).get("tab") == "Liên kết chuẩn"
    chains = page.get_by_role("heading", name=re.compile(r"^Liên kết chuẩn: "))
    expect(chains).to_be_visible()
    assert not app_page.metrics()  # the overview tab's cards were not drawn this time
    app_page.open(page.url.removeprefix(running_app.base_url))
    expect(chains).to_be_visible()
    expect(page.get_by_role("tab", name="Liên kết chuẩn", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )


def test_center_staff_share_a_filtered_coverage_view_by_its_url(
    new_app_page: Callable[[], AppPage], running_app: RunningApp
) -> None:
    staff = new_app_page()
    staff.open("coverage")
    expect(
        staff.page.get_by_role("heading", name="Năng lực kiểm định, hiệu chuẩn theo địa bàn", exact=True)
    ).to_be_visible()
    unfiltered = staff.metrics()

    staff.choose("Tỉnh/thành phố", re.compile(r"^Hải Phòng \(\d+\)$"))
    staff.choose("Lĩnh vực đo", "Áp suất")
    province = staff.selected("Tỉnh/thành phố")
    code = re.fullmatch(r"Hải Phòng \((\d+)\)", province).group(1)  # type: ignore[union-attr]
    (field,) = sql_one(
        running_app.database_url, "SELECT code FROM measurement_field WHERE name_vi = 'Áp suất'"
    )
    shared_url = staff.page.url
    assert urlsplit(shared_url).path.endswith("/coverage")
    assert query(shared_url)["province"] == code and query(shared_url)["field"] == field
    filtered = staff.metrics()
    tracked = "Thiết bị được theo dõi"
    assert 0 < int(filtered[tracked].replace(".", "")) < int(unfiltered[tracked].replace(".", "")), (
        filtered,
        unfiltered,
    )

    colleague = new_app_page()  # another person, another browser: only the link is shared
    colleague.open(shared_url.removeprefix(running_app.base_url))
    assert colleague.page.url == shared_url
    assert colleague.selected("Tỉnh/thành phố") == province
    assert colleague.selected("Lĩnh vực đo") == "Áp suất"
    assert colleague.metrics() == filtered
    assert colleague.captions() == staff.captions()
    assert colleague.chart_texts() == staff.chart_texts()
    assert colleague.chart_texts(), "the coverage view draws no chart"
    colleague.screenshot("journey-2-center-staff-shared-link")


def test_presenter_finds_the_ha_long_signing_on_the_cooperation_timeline(
    app_page: AppPage, running_app: RunningApp
) -> None:
    held_on, title, place = sql_one(
        running_app.database_url,
        "SELECT held_on, title_vi, place_vi FROM event WHERE kind = 'signing' AND is_demo = :demo",
        demo=False,
    )
    assert (str(held_on), place.split(",")[0]) == ("2024-06-14", "Hạ Long")  # the one real signing
    page = app_page.page
    app_page.open("cooperation")
    expect(page.get_by_role("heading", name="Tiến trình hợp tác", exact=True)).to_be_visible()

    timeline = page.get_by_test_id("stVegaLiteChart").filter(has_text="14/06/2024 · Hạ Long")
    expect(timeline).to_have_count(1)
    signing = timeline.locator(f'[aria-roledescription="point"][aria-label*="Sự kiện: {title};"]')
    expect(signing).to_have_count(1)
    expect(signing).to_have_attribute("aria-label", re.compile(rf"Ngày: 14/06/2024;.*Địa điểm: {place}"))

    signing.hover()
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text("14/06/2024")
    expect(tooltip).to_contain_text(title)
    expect(
        page.get_by_test_id("stMarkdownContainer").filter(has_text=re.compile(r"^★ 14/06/2024 · Hạ Long"))
    ).to_be_visible()
    app_page.screenshot("journey-3-presenter-timeline", full_page=False)  # the tooltip open on the signing
