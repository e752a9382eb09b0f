"""A presenter in Chromium: steps through the slides and downloads the PDF report and the PPTX deck."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from pptx import Presentation
from pypdf import PdfReader

from services.i18n import translate
from services.slides import SLIDE_KEYS
from tests.browser.conftest import AppPage

pytestmark = pytest.mark.browser


def titles(lang: str) -> list[str]:
    return [translate(f"presenter.slide.{key}.title", lang) for key in SLIDE_KEYS]


def slide_in_url(url: str) -> str:
    return parse_qs(urlsplit(url).query)["slide"][-1]


def test_presenter_steps_to_a_slide_and_downloads_the_pdf_with_vietnamese_intact(
    app_page: AppPage, tmp_path: Path
) -> None:
    page = app_page.page
    app_page.open("presenter?slide=2")
    expect(page.get_by_role("heading", name=titles("vi")[1], exact=True)).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # the slide has the whole width

    app_page.after_run(page.get_by_role("button", name="Trang sau").click)
    assert slide_in_url(page.url) == "3"
    expect(page.get_by_role("heading", name=titles("vi")[2], exact=True)).to_be_visible()
    expect(page.get_by_text("3 / 7", exact=True)).to_be_visible()
    app_page.screenshot("presenter-slide-3", full_page=False)

    with page.expect_download() as download:
        page.get_by_role("button", name="Tải báo cáo PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
    for title in titles("vi"):
        assert title in text
    assert "Hải Phòng" in text


def test_english_presenter_downloads_the_deck_with_every_slide_title(
    app_page: AppPage, tmp_path: Path
) -> None:
    page = app_page.page
    app_page.open("presenter?slide=6&lang=en")
    expect(page.get_by_role("heading", name=titles("en")[5], exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PPTX deck").click()
    saved = tmp_path / "deck.pptx"
    download.value.save_as(saved)
    assert [slide.shapes.title.text for slide in Presentation(str(saved)).slides] == titles("en")
