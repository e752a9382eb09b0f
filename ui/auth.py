"""Who is logged in (kept in the browser session), the login form and the log-out button.

Two ways in: a name and password (services.auth), or, when ``.streamlit/secrets.toml`` has an
``[auth]`` table, Streamlit's OIDC login (``st.login``), whose e-mail address services.oidc maps
to a role and center. ``REQUIRE_LOGIN=1`` puts the login in front of every page.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import streamlit as st

from services import auth, oidc
from services.auth import SignedInUser
from ui import i18n
from ui.i18n import t
from ui.live import call
from ui.plain import plain

USER_KEY = "signed_in_user"


def current_user() -> SignedInUser | None:
    user = st.session_state.get(USER_KEY)
    if isinstance(user, SignedInUser):
        return user
    email = oidc_email()
    if email and st.session_state.get(OIDC_CHECKED_KEY) != email:
        st.session_state[OIDC_CHECKED_KEY] = email  # audited once per sign-in, not on every rerun
        signed_in = call(oidc.sign_in, email=email)
        if signed_in is not None:
            st.session_state[USER_KEY] = signed_in
            return signed_in
    return None


OIDC_CHECKED_KEY = "oidc_checked_email"


def oidc_configured() -> bool:
    """True when secrets.toml has an ``[auth]`` table (Streamlit's OIDC settings)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one: password logins only
        return False


def oidc_email() -> str | None:
    """The e-mail address the identity provider vouched for, when someone signed in through OIDC."""
    if not oidc_configured() or not st.user.get("is_logged_in", False):
        return None
    email = st.user.get("email")
    return str(email) if email else None


def login_required() -> bool:
    """``REQUIRE_LOGIN=1``: no page is drawn for a visitor who has not logged in."""
    return os.environ.get("REQUIRE_LOGIN", "").strip() == "1"


def login_gate() -> None:
    """The only page a visitor sees when a login is required: why, and the login form."""
    st.title(t("data.login.title"))
    st.info(t("auth.login.required"), icon=":material/lock:")
    login_form()


def oidc_login() -> None:
    """The OIDC button, and a clear word when the provider's address has no rights here."""
    st.caption(t("auth.oidc.intro"))
    email = oidc_email()
    if email:
        st.warning(t("auth.oidc.unknown", email=plain(email)), icon=":material/person_off:")
        if st.button(t("auth.oidc.logout"), icon=":material/logout:", key="oidc-logout"):
            st.session_state.pop(OIDC_CHECKED_KEY, None)
            st.logout()
        return
    if st.button(t("auth.oidc.login"), type="primary", icon=":material/login:", key="oidc-login"):
        st.login()  # the provider's page; Streamlit brings the browser back signed in


def login_form() -> None:
    """The login form; a correct name and password log the user in and redraw the app."""
    if oidc_configured():
        oidc_login()
        return
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
    st.session_state.pop(OIDC_CHECKED_KEY, None)
    if oidc_email():
        st.logout()


ACCOUNT_NOTICE_KEY = "accounts_notice"


def account_action(service: Callable[..., object], *, done: str, **options: object) -> None:
    """Run an account service as the signed-in admin; a refusal shows its message, success reruns
    the page with ``done`` shown over the updated list."""
    user = current_user()
    try:
        call(service, actor=user.username if user else "", **options)
    except auth.PasswordPolicyError as refusal:
        st.error(refusal.message(i18n.lang()), icon=":material/block:")
        return
    st.session_state[ACCOUNT_NOTICE_KEY] = done
    st.rerun()
