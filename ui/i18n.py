"""The current user's language and the t() helper every visible string goes through."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from services import i18n
from services.i18n import DEFAULT_LANGUAGE, LANGUAGES

LANG_KEY = "lang"


def lang() -> str:
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, /, **params: object) -> str:
    return i18n.translate(key, lang(), **params)


def num(value: float | int, decimals: int = 0) -> str:
    return i18n.format_number(value, lang(), decimals)


def pct(fraction: float, decimals: int = 0) -> str:
    return i18n.format_percentage(fraction, lang(), decimals)


def day(value: date | datetime | None) -> str:
    return i18n.format_day(value, lang())


def local(row: object, column: str) -> str:
    """The Vietnamese or English variant of a bilingual column (``name`` → ``name_vi``/``name_en``)."""
    return row[f"{column}_{lang()}"]  # type: ignore[index]
