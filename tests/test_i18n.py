"""Both catalogs are complete, and every key the code asks for exists in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.calibration import CalibrationStatus
from services.filters import Boundaries
from services.i18n import (
    LANGUAGES,
    PLURAL_FORMS,
    catalog,
    format_day,
    format_number,
    plural_form,
    translate,
    translate_plural,
)
from services.models import AgreementStage, Service

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CODE_DIRS = ("pages", "ui", "services")
LITERAL_KEY = re.compile(
    r"""\b(?:t|tn|translate|translate_plural)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']"""
)
# plural keys ("count.centers") live in the catalogs as one entry per plural form ("count.centers.one")
PLURAL_SUFFIX = re.compile(r"\.(?:" + "|".join(PLURAL_FORMS) + r")$")


def base_keys(lang: str) -> set[str]:
    """The keys of a catalog as code asks for them: "x.one" and "x.other" are both "x"."""
    entries = catalog(lang)
    return {
        PLURAL_SUFFIX.sub("", key) if PLURAL_SUFFIX.sub("", key) + ".other" in entries else key
        for key in entries
    }


def keys_used_in_code() -> set[str]:
    used: set[str] = set()
    for directory in CODE_DIRS:
        for path in (PROJECT_ROOT / directory).rglob("*.py"):
            used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    for path in [PROJECT_ROOT / "dashboard.py"]:
        used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return used


def test_both_catalogs_have_the_same_keys() -> None:
    vi, en = base_keys("vi"), base_keys("en")
    assert sorted(vi - en) == [], "missing in English"
    assert sorted(en - vi) == [], "missing in Vietnamese"


def test_plural_keys_have_the_forms_their_language_needs() -> None:
    plural = {key for key in base_keys("en") if f"{key}.other" in catalog("en")}
    assert plural, "the English catalog counts things"
    # English says "1 center" and "2 centers"; Vietnamese does not inflect, so it has "other" only
    assert sorted(key for key in plural if f"{key}.one" not in catalog("en")) == []
    assert (
        sorted(key for key in catalog("vi") if PLURAL_SUFFIX.search(key) and not key.endswith(".other")) == []
    )
    assert sorted(key for key in plural if key in catalog("en") or key in catalog("vi")) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_entry_is_empty(lang: str) -> None:
    assert [key for key, text in catalog(lang).items() if not text.strip()] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_uses_exists(lang: str) -> None:
    missing = sorted(keys_used_in_code() - base_keys(lang))
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


# --- plurals ------------------------------------------------------------------------------------


def test_plural_forms_follow_babel() -> None:
    assert [plural_form(n, "en") for n in (0, 1, 2, 21)] == ["other", "one", "other", "other"]
    assert [plural_form(n, "vi") for n in (0, 1, 2)] == ["other", "other", "other"]


def test_a_count_reads_right_for_one_and_for_many() -> None:
    def found(capabilities: int, centers: int, lang: str) -> str:
        return translate(
            "finder.found",
            lang,
            capabilities=translate_plural("count.capabilities", capabilities, lang),
            centers=translate_plural("count.centers", centers, lang),
        )

    assert found(1, 1, "en") == "Meeting the request: 1 capability at 1 center."
    assert found(2, 3, "en") == "Meeting the request: 2 capabilities at 3 centers."
    assert found(1, 1, "vi") == "1 năng lực tại 1 trung tâm đáp ứng yêu cầu."
    assert found(2, 3, "vi") == "2 năng lực tại 3 trung tâm đáp ứng yêu cầu."
    assert translate_plural("count.equipment", 1, "en") == "1 piece of equipment"
    assert translate_plural("count.equipment", 1234, "en") == "1,234 pieces of equipment"
    assert translate_plural("count.equipment", 1234, "vi") == "1.234 thiết bị"


def test_translate_picks_the_form_from_the_count_it_is_given() -> None:
    # the count may come formatted, as pages pass it
    assert translate("data.import.problems", "en", count="1").startswith("The file has 1 problem, so")
    assert translate("data.import.problems", "en", count="2").startswith("The file has 2 problems, so")
    assert translate("data.import.problems", "vi", count="1").startswith("Tệp có 1 lỗi nên")
    # without a count, the only parameter that reads as a number decides, whatever its name
    assert translate("data.import.done", "en", rows="1", center="TTKT-31").startswith(
        "Imported 1 row into TTKT-31."
    )
    assert translate("data.import.done", "en", rows="2", center="TTKT-31").startswith("Imported 2 rows into")
    assert translate("data.import.run", "en", rows="1") == "Import 1 row"
    assert translate("data.import.run", "en", rows="1,000") == "Import 1,000 rows"
    assert translate("data.import.run", "vi", rows="1") == "Nhập 1 dòng"
    # a decimal shown as "1.0" is plural in English
    assert translate("overview.points", "en", value="1.0") == "1.0 percentage points"
    assert translate("overview.points", "en", value="1") == "1 percentage point"
    assert translate("overview.points", "vi", value="1,5") == "1,5 điểm phần trăm"


def test_edge_counts_on_the_traceability_diagram() -> None:
    assert translate_plural("profile.trace.edge", 1, "en") == "1 standard"
    assert translate_plural("profile.trace.edge", 2, "en") == "2 standards"
    assert translate_plural("profile.trace.edge", 1, "vi") == "1 chuẩn"


def test_wording_an_official_would_sign() -> None:
    assert translate("page.coverage", "vi") == "Năng lực kiểm định, hiệu chuẩn theo địa bàn"
    assert translate("profile.tab.traceability", "vi") == "Liên kết chuẩn"
    assert translate("equipment.col.is_reference_standard", "vi") == "Chuẩn chính"
    assert translate("profile.kind_of_equipment.working", "vi") == "Chuẩn công tác"
    assert translate("presenter.slide.kpis.title", "vi") == "Tổng quan mạng lưới đo lường"
    assert translate("filters.boundaries_help", "vi") == (
        "Từ 01/07/2025, 25 tỉnh, thành phố phía Bắc được sắp xếp lại thành 15 tỉnh, thành phố."
    )
    assert translate("kpi.in_date_share", "en") == "Equipment within calibration date"
    # one term each: "phạm vi đo", "số sê-ri"; a verification is designated, never accredited
    words = " ".join(catalog("vi").values()).lower()
    for avoided in (
        "khoảng đo",
        "số sản xuất",
        "truy xuất nguồn gốc",
        "sáp nhập thành",
        "điểm %",
        "trong nháy mắt",
        "thiết bị làm việc",
    ):
        assert avoided not in words, avoided
    english = " ".join(catalog("en").values())
    assert not re.search(r"\bpp\b", english) and not re.search(r"(?<!with)in calibration\b", english.lower())
