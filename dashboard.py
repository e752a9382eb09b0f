"""Entry point: page config, language, the shared filters, then the page the user chose."""

import streamlit as st

from ui.auth import current_user, login_gate, login_required
from ui.filters import language_toggle, load_url_state_once
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

# (address and file name, title, icon); the first is the front page
NETWORK_PAGES = [
    ("overview", "page.overview", ":material/dashboard:"),
    ("equipment", "page.equipment", ":material/precision_manufacturing:"),
    ("coverage", "page.coverage", ":material/grid_on:"),
    ("cooperation", "page.cooperation", ":material/handshake:"),
    ("finder", "page.finder", ":material/manage_search:"),
    ("profile", "page.profile", ":material/apartment:"),
    ("presenter", "page.presenter", ":material/slideshow:"),
]
FRONT_PAGE = NETWORK_PAGES[0][0]
pages = {
    t("nav.section.network"): [
        st.Page(f"pages/{path}.py", title=t(title), icon=icon, url_path=path, default=path == FRONT_PAGE)
        for path, title, icon in NETWORK_PAGES
    ],
}
# Data management shows as "log in" to visitors and as the page itself once someone is logged in.
user = current_user()
pages[t("data.nav.section")] = [
    st.Page(
        "pages/data.py",
        title=t("page.data") if user else t("data.nav.login"),
        icon=":material/edit_note:" if user else ":material/login:",
        url_path="data",
    ),
]
if user is not None and user.is_admin:
    pages[t("data.nav.section")].append(
        st.Page(
            "pages/accounts.py",
            title=t("page.accounts"),
            icon=":material/manage_accounts:",
            url_path="accounts",
        )
    )
# REQUIRE_LOGIN=1: every address leads to the login form alone until someone logs in; then the
# same address (a shared link) shows its page
gated = login_required() and user is None
if gated:
    navigation = st.navigation(
        [
            st.Page(
                login_gate,
                title=t("data.nav.login"),
                icon=":material/login:",
                url_path=path,
                default=path == FRONT_PAGE,
            )
            for path in [*(path for path, _, _ in NETWORK_PAGES), "data", "accounts"]
        ],
        position="hidden",
    )
else:
    navigation = st.navigation(pages)


def frame_and_page() -> None:
    if gated:
        language_toggle()  # no filters either: they read the database
    else:
        draw_frame()
    navigation.run()


run_guarded(frame_and_page)  # an unexpected error shows an incident number, never a traceback
