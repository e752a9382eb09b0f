"""Both catalogs are complete, and every key the code asks for exists in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.calibration import CalibrationStatus
from services.filters import Boundaries
from services.i18n import LANGUAGES, catalog, format_day, format_number, translate
from services.models import AgreementStage, Service

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("pages", "ui", "services")
LITERAL_KEY = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")


def keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for directory in CODE_DIRS:
        for path in (PROJECT_ROOT / directory).rglob("*.py"):
            used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    for path in [PROJECT_ROOT / "dashboard.py"]:
        used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return used


def test_both_catalogs_have_the_same_keys() -> None:
    vi, en = catalog("vi"), catalog("en")
    assert sorted(vi.keys() - en.keys()) == [], "missing in English"
    assert sorted(en.keys() - vi.keys()) == [], "missing in Vietnamese"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_entry_is_empty(lang: str) -> None:
    assert [key for key, text in catalog(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_uses_exists(lang: str) -> None:
    missing = sorted(keys_used_in_code() - catalog(lang).keys())
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_enumerated_label_exists(lang: str) -> None:
    wanted = (
        [f"status.{s.value}" for s in CalibrationStatus]
        + [f"stage.{s.value}" for s in AgreementStage]
        + [f"service.{s.value}" for s in Service]
        + [f"boundaries.{b.value}" for b in Boundaries]
        + [f"language.{code}" for code in LANGUAGES]
    )
    assert sorted(set(wanted) - catalog(lang).keys()) == []


def test_vietnamese_is_written_with_diacritics() -> None:
    assert translate("status.overdue", "vi") == "Quá hạn"
    assert translate("page.overview", "vi") == "Tổng quan"


def test_numbers_and_dates_follow_the_language() -> None:
    assert format_number(1234.5, "vi", 1) == "1.234,5"
    assert format_number(1234.5, "en", 1) == "1,234.5"
    from datetime import date

    assert format_day(date(2024, 6, 14), "vi") == "14/06/2024"
    assert format_day(date(2024, 6, 14), "en") == "14/06/2024"


def test_a_missing_key_shows_as_itself_so_page_tests_catch_it() -> None:
    assert translate("no.such.key", "vi") == "no.such.key"
