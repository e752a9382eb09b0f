"""Entry point: page config, language, the shared filters, then the page the user chose."""

import streamlit as st

from ui.filters import language_toggle, load_url_state_once, sidebar_filters
from ui.i18n import t

st.set_page_config(
    page_title="Mạng lưới đo lường / Metrology Network",
    page_icon=":material/straighten:",
    layout="wide",
    initial_sidebar_state="expanded",
)
load_url_state_once()
language_toggle()

pages = {
    t("nav.section.network"): [
        st.Page("pages/overview.py", title=t("page.overview"), icon=":material/dashboard:",
                url_path="overview", default=True),
    ],
}
navigation = st.navigation(pages)
sidebar_filters()
navigation.run()
