"""Runs one page inside the app's frame, the way dashboard.py does, for AppTest.

AppTest (Streamlit 1.67) drops the entry script's elements once a run targets a page of an
``st.navigation`` app, so page tests run the frame and the page from this script instead.
"""

import runpy
from pathlib import Path

import streamlit as st

from ui.frame import draw_frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent

page = st.session_state.get("harness_page", "pages/overview.py")
draw_frame()
runpy.run_path(str(PROJECT_ROOT / page), run_name="__main__")
