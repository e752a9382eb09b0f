"""Entry point: page config, language, the shared filters, then the page the user chose."""

import streamlit as st

from ui.filters import load_url_state_once
from ui.frame import draw_frame
from ui.i18n import t

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
    ],
}
navigation = st.navigation(pages)
draw_frame()
navigation.run()
