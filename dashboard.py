"""Entry point: page config, language, the shared filters, then the page the user chose."""

import streamlit as st

from ui.auth import current_user
from ui.filters import load_url_state_once
from ui.frame import draw_frame
from ui.i18n import t
from ui.incidents import run_guarded

st.set_page_config(
    page_title="Mạng lưới đo lường / Metrology Network",
    page_icon=":material/straighten:",
    layout="wide",
    initial_sidebar_state="expanded",
)
load_url_state_once()  # the language must be known before the navigation titles are translated

pages = {
    t("nav.section.network"): [
        st.Page("pages/overview.py", title=t("page.overview"), icon=":material/dashboard:",
                url_path="overview", default=True),
        st.Page("pages/equipment.py", title=t("page.equipment"), icon=":material/precision_manufacturing:",
                url_path="equipment"),
        st.Page("pages/coverage.py", title=t("page.coverage"), icon=":material/grid_on:",
                url_path="coverage"),
        st.Page("pages/cooperation.py", title=t("page.cooperation"), icon=":material/handshake:",
                url_path="cooperation"),
        st.Page("pages/finder.py", title=t("page.finder"), icon=":material/manage_search:",
                url_path="finder"),
        st.Page("pages/profile.py", title=t("page.profile"), icon=":material/apartment:",
                url_path="profile"),
        st.Page("pages/presenter.py", title=t("page.presenter"), icon=":material/slideshow:",
                url_path="presenter"),
    ],
}
# Data management shows as "log in" to visitors and as the page itself once someone is logged in.
signed_in = current_user() is not None
pages[t("data.nav.section")] = [
    st.Page("pages/data.py", title=t("page.data") if signed_in else t("data.nav.login"),
            icon=":material/edit_note:" if signed_in else ":material/login:", url_path="data"),
]
navigation = st.navigation(pages)


def frame_and_page() -> None:
    draw_frame()
    navigation.run()


run_guarded(frame_and_page)  # an unexpected error shows an incident number, never a traceback
