"""The frame around every page: language toggle and shared filters in the sidebar.

The entry file draws it before running the page, and sets a flag the page consumes, so a page
can tell when Streamlit ran it without the entry file (see page_frame).
"""

from __future__ import annotations

import runpy
from pathlib import Path

import streamlit as st

from services.filters import Filters
from ui.filters import current_filters, language_toggle, load_url_state_once, sidebar_filters

_DRAWN_THIS_RUN = "frame_drawn_this_run"
ENTRY = Path(__file__).resolve().parent.parent / "dashboard.py"


def draw_frame() -> Filters:
    load_url_state_once()
    language_toggle()
    filters = sidebar_filters()
    st.session_state[_DRAWN_THIS_RUN] = True
    return filters


def page_frame() -> Filters:
    """The filters for this run; runs the entry file first when Streamlit skipped it.

    Streamlit 1.67 treats an app with a ``pages/`` folder as an old-style multipage app until
    some session has called ``st.navigation``: the first visit after a restart straight to
    ``/coverage`` runs ``pages/coverage.py`` alone. Then the entry file runs here (it draws the
    navigation and the frame and runs this very page), and the stray run stops.
    """
    if st.session_state.pop(_DRAWN_THIS_RUN, False):
        return current_filters()
    runpy.run_path(str(ENTRY), run_name="__main__")
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the run")
