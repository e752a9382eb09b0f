"""The current user's language and the t() helper every visible string goes through."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from services import i18n
from services.i18n import DEFAULT_LANGUAGE, LANGUAGES

LANG_KEY = "lang"


_language_of_last_run = DEFAULT_LANGUAGE


def lang() -> str:
    """The session's language; outside a script run (AppTest formats widget options between
    runs) the language of the last run, instead of silently falling back to Vietnamese."""
    global _language_of_last_run
    if get_script_run_ctx(suppress_warning=True) is None:
        return _language_of_last_run
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    _language_of_last_run = value if value in LANGUAGES else DEFAULT_LANGUAGE
    return _language_of_last_run


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


def tn(key: str, count: int | float, /, decimals: int = 0, **params: object) -> str:
    """``t()`` for a text that counts: the plural form of ``key`` for ``count`` ("1 center", "2 centers")."""
    return i18n.translate_plural(key, count, lang(), decimals, **params)
