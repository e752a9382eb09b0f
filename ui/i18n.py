"""The current user's language and the t() helper every visible string goes through."""

from __future__ import annotations

import sys
from datetime import date, datetime
from types import FrameType
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from services import i18n
from services.i18n import DEFAULT_LANGUAGE, LANGUAGES

LANG_KEY = "lang"
# Where AppTest keeps a widget it formats between runs (see _app_test_session_state)
APP_TEST_ELEMENTS = "streamlit.testing.v1.element_tree"


def lang() -> str:
    """The session's language, kept in its own session state (never in this process: every
    browser session has its own)."""
    if get_script_run_ctx(suppress_warning=True) is not None:
        return _known(st.session_state.get(LANG_KEY))
    state = _app_test_session_state()
    return _known(state[LANG_KEY] if state is not None and LANG_KEY in state else None)


def _known(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def _app_test_session_state() -> Any:
    """The session state of the AppTest widget whose options are being formatted, if any.

    Only AppTest calls a page's ``format_func`` outside a script run (to turn a value set by a
    test into the option label the page drew), from a method of the widget, and the widget knows
    its AppTest's session state. Without one (plain code calling ``t()``) there is no session, and
    the default language applies.
    """
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None and type(owner).__module__ == APP_TEST_ELEMENTS and hasattr(owner, "root"):
            return owner.root.session_state
        frame = frame.f_back
    return None


def t(key: str, /, **params: object) -> str:
    return i18n.translate(key, lang(), **params)


def num(value: float | int, decimals: int = 0) -> str:
    return i18n.format_number(value, lang(), decimals)


def pct(fraction: float, decimals: int = 0) -> str:
    return i18n.format_percentage(fraction, lang(), decimals)


def day(value: date | datetime | None) -> str:
    return i18n.format_day(value, lang())


def local(row: pd.Series, column: str) -> str:
    """The Vietnamese or English variant of a bilingual column (``name`` → ``name_vi``/``name_en``)."""
    return row[f"{column}_{lang()}"]


def tn(key: str, count: int | float, /, decimals: int = 0, **params: object) -> str:
    """``t()`` for a text that counts: the plural form of ``key`` for ``count`` ("1 center", "2 centers")."""
    return i18n.translate_plural(key, count, lang(), decimals, **params)
