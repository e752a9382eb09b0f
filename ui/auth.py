"""Who is logged in (kept in the browser session), the login form and the log-out button."""

from __future__ import annotations

import streamlit as st

from services import auth
from services.auth import SignedInUser
from ui import i18n
from ui.i18n import t
from ui.live import call

USER_KEY = "signed_in_user"


def current_user() -> SignedInUser | None:
    user = st.session_state.get(USER_KEY)
    return user if isinstance(user, SignedInUser) else None


def login_form() -> None:
    """The login form; a correct name and password log the user in and redraw the app."""
    if not call(auth.has_users):
        st.warning(t("data.login.no_users"), icon=":material/person_off:")
        return
    st.caption(t("data.login.intro"))
    with st.form("login", clear_on_submit=True, width=420):
        st.subheader(t("data.login.title"))
        username = st.text_input(t("data.login.username"), autocomplete="username")
        password = st.text_input(t("data.login.password"), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(t("data.login.submit"), type="primary", icon=":material/login:")
    if not submitted:
        return
    if not username.strip() or not password:
        st.error(t("data.login.missing"))
        return
    outcome = call(auth.log_in, username=username, password=password, client=client_address())
    if outcome.user is None:
        icon = ":material/hourglass_top:" if outcome.refusal == "throttled" else ":material/lock:"
        st.error(outcome.message(i18n.lang()), icon=icon)
        return
    st.session_state[USER_KEY] = outcome.user
    st.rerun()  # the navigation's title changes from "log in" to "data management"


def client_address() -> str | None:
    """The browser's address as the server sees it, for per-client login throttling.

    Behind a reverse proxy this is the proxy's address (one counter for everyone); the proxy's
    X-Forwarded-For is not trusted, since any client can write that header.
    """
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - no request context (tests, scripts): no per-client counter
        return None
    return address if isinstance(address, str) and address else None


def log_out() -> None:
    st.session_state.pop(USER_KEY, None)
