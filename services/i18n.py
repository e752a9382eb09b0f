"""Translation catalogs and locale-aware formatting, usable without Streamlit.

Catalogs live in ``locales/<lang>/*.json``; every file of a language is merged into one
flat mapping, so each feature keeps its own file and keys stay unique across files.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
_BABEL_LOCALE = {"vi": "vi_VN", "en": "en_GB"}


class DuplicateKeyError(ValueError):
    """Two catalog files of one language define the same key."""


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        clashes = merged.keys() & entries.keys()
        if clashes:
            raise DuplicateKeyError(f"{path.name} repeats keys {sorted(clashes)}")
        merged.update(entries)
    return merged


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text for ``key`` in ``lang``; a missing key shows as itself so tests can catch it."""
    text = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key, key)
    return text.format(**params) if params else text


def format_number(value: float | int, lang: str, decimals: int = 0) -> str:
    """1.234,5 in Vietnamese, 1,234.5 in English."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALE[lang])


def format_percentage(fraction: float, lang: str, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + " %"
    return format_percent(fraction, format=pattern, locale=_BABEL_LOCALE[lang])


def format_day(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Dates are dd/mm/yyyy in both languages, as users here read them."""
    if value is None:
        return "—"
    return format_date(value, format="dd/MM/yyyy", locale=_BABEL_LOCALE[lang])


def format_timestamp(value: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    return format_datetime(value, format="dd/MM/yyyy HH:mm", locale=_BABEL_LOCALE[lang])
