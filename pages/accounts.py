"""Tài khoản — administrators add accounts, disable or enable them, reset passwords, change roles."""

from datetime import date

import streamlit as st

from services import accounts, editing
from services.models import Role
from ui.auth import ACCOUNT_NOTICE_KEY, account_action, current_user, oidc_configured
from ui.components import page_header
from ui.frame import page_frame
from ui.i18n import t
from ui.live import call
from ui.plain import plain

page_frame()
page_header("page.accounts", "accounts.subtitle")
user = current_user()
if (
    user is None or not user.is_admin
):  # the navigation offers this page to admins only; the services check too
    st.info(t("accounts.admins_only_page"), icon=":material/lock:")
    st.stop()

notice = st.session_state.pop(ACCOUNT_NOTICE_KEY, None)
if notice:
    st.success(notice, icon=":material/check_circle:")
listed = call(accounts.list_accounts, actor=user.username)
shown = listed.assign(
    role=listed["role"].map(lambda role: t(f"data.role.{role}")),
    center_code=listed["center_code"].fillna("—"),
    email=listed["email"].fillna(""),
)
st.dataframe(
    shown.rename(columns={name: t(f"accounts.column.{name}") for name in shown.columns}),
    hide_index=True,
    width="stretch",
    height=min(420, 40 + 35 * len(shown)),
)

ROLES = [role.value for role in Role]
centers = [""] + list(call(editing.centers_for, user=user, today=date.today())["code"])


def center_label(code: str) -> str:
    return code or t("accounts.no_center")


tab_names = ["add", "manage", "oidc"] if oidc_configured() else ["add", "manage"]
tabs = dict(zip(tab_names, st.tabs([t(f"accounts.tab.{name}") for name in tab_names]), strict=True))
add, manage = tabs["add"], tabs["manage"]
with add, st.form("add-account", clear_on_submit=False):
    username = st.text_input(t("accounts.field.username"), max_chars=64)
    role = st.selectbox(t("accounts.field.role"), ROLES, format_func=lambda code: t(f"data.role.{code}"))
    center = st.selectbox(t("accounts.field.center"), centers, format_func=center_label)
    email = st.text_input(t("accounts.field.email"), max_chars=254)
    password = st.text_input(
        t("accounts.field.password"),
        type="password",
        autocomplete="new-password",
        help=t("accounts.field.password_help"),
    )
    if st.form_submit_button(t("accounts.add.submit"), type="primary", icon=":material/person_add:"):
        account_action(
            accounts.add_account,
            done=t("accounts.done.added", username=plain(username.strip().lower())),
            username=username,
            password=password,
            role=role,
            center_code=center,
            email=email,
        )

with manage:
    name = st.selectbox(t("accounts.field.account"), list(listed["username"]), key="account_picked")
    row = listed[listed["username"] == name].iloc[0]
    left, middle, right = st.columns(3)
    with left, st.form("account-role"):
        new_role = st.selectbox(
            t("accounts.field.role"),
            ROLES,
            index=ROLES.index(row["role"]),
            format_func=lambda code: t(f"data.role.{code}"),
        )
        current_center = row["center_code"] if row["center_code"] in centers else ""
        new_center = st.selectbox(
            t("accounts.field.center"), centers, index=centers.index(current_center), format_func=center_label
        )
        if st.form_submit_button(t("accounts.role.submit"), icon=":material/badge:"):
            account_action(
                accounts.change_role,
                done=t("accounts.done.role", username=plain(name)),
                username=name,
                role=new_role,
                center_code=new_center,
            )
    with middle, st.form("account-password", clear_on_submit=True):
        new_password = st.text_input(
            t("accounts.field.new_password"),
            type="password",
            autocomplete="new-password",
            help=t("accounts.field.password_help"),
        )
        if st.form_submit_button(t("accounts.password.submit"), icon=":material/password:"):
            account_action(
                accounts.reset_password,
                done=t("accounts.done.password", username=plain(name)),
                username=name,
                password=new_password,
            )
    with right:
        disabled = bool(row["disabled"])
        st.caption(
            t("accounts.state.disabled" if disabled else "accounts.state.enabled", username=plain(name))
        )
        if st.button(
            t("accounts.enable.submit" if disabled else "accounts.disable.submit"),
            icon=":material/lock_open:" if disabled else ":material/block:",
            key="account-toggle",
        ):
            account_action(
                accounts.set_account_disabled,
                done=t(
                    "accounts.done.enabled" if disabled else "accounts.done.disabled", username=plain(name)
                ),
                username=name,
                disabled=not disabled,
            )
st.caption(t("accounts.audit_note"))
if "oidc" in tabs:
    with tabs["oidc"]:
        st.caption(t("accounts.oidc.help"))
        mapped = call(accounts.list_oidc_accounts, actor=user.username)
        mapped = mapped.assign(
            role=mapped["role"].map(lambda role: t(f"data.role.{role}")),
            center_code=mapped["center_code"].fillna("—"),
        )
        st.dataframe(
            mapped.rename(columns={name: t(f"accounts.column.{name}") for name in mapped.columns}),
            hide_index=True,
            width="stretch",
        )
        with st.form("oidc-account"):
            address = st.text_input(t("accounts.field.oidc_email"), max_chars=254)
            oidc_role = st.selectbox(
                t("accounts.field.role"),
                ROLES,
                format_func=lambda code: t(f"data.role.{code}"),
                key="oidc_role",
            )
            oidc_center = st.selectbox(
                t("accounts.field.center"), centers, format_func=center_label, key="oidc_center"
            )
            oidc_disabled = st.checkbox(t("accounts.field.oidc_disabled"))
            if st.form_submit_button(t("accounts.oidc.submit"), icon=":material/how_to_reg:"):
                account_action(
                    accounts.map_oidc_email,
                    done=t("accounts.done.oidc", email=plain(address.strip().lower())),
                    email=address,
                    role=oidc_role,
                    center_code=oidc_center,
                    disabled=oidc_disabled,
                )

with st.expander(t("accounts.log.title")):
    log = call(accounts.account_log, actor=user.username)
    log["action"] = log["action"].map(lambda action: t(f"data.audit.action.{action}"))
    log["table_name"] = log["table_name"].map(lambda name: t(f"data.audit.table_name.{name}"))
    st.dataframe(
        log.rename(columns={name: t(f"data.column.{name}") for name in log.columns}),
        hide_index=True,
        width="stretch",
        height=300,
        column_config={t("data.column.at"): st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")},
    )
