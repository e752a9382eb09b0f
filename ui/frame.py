"""The frame around every page: language toggle and shared filters in the sidebar.

The entry file draws it before running the page. Streamlit's AppTest (1.67) reruns only the
page script of an ``st.navigation`` app after the first run, so a page asks for the frame and
draws it itself when the entry did not run this time; a flag set by the entry and consumed by
the page tells which case it is, so the widgets are never drawn twice.
"""

from __future__ import annotations

import streamlit as st

from services.filters import Filters
from ui.filters import current_filters, language_toggle, load_url_state_once, sidebar_filters

_DRAWN_THIS_RUN = "frame_drawn_this_run"


def draw_frame() -> Filters:
    load_url_state_once()
    language_toggle()
    filters = sidebar_filters()
    st.session_state[_DRAWN_THIS_RUN] = True
    return filters


def page_frame() -> Filters:
    """The filters for this run, drawing the frame if the entry file did not."""
    if st.session_state.pop(_DRAWN_THIS_RUN, False):
        return current_filters()
    return draw_frame()
