"""The accounts page as an administrator uses it, what everyone else sees, REQUIRE_LOGIN and the OIDC switch."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.auth import SignedInUser, demo_password
from tests.page_support import ENTRY, assert_no_raw_keys, open_app, open_page
from tests.test_page_data_management import log_in, scalar, texts, writable_database  # noqa: F401 - the fixture
from ui.auth import USER_KEY

PAGE = "pages/accounts.py"
LABELS = {
    "vi": {
        "username": "Tên đăng nhập",
        "password": "Mật khẩu ban đầu",
        "add": "Thêm tài khoản",
        "account": "Tài khoản",
        "new_password": "Mật khẩu mới",
        "reset": "Đặt lại mật khẩu",
        "disable": "Khóa tài khoản",
        "enable": "Mở khóa tài khoản",
        "role": "Vai trò",
        "change_role": "Đổi vai trò, trung tâm",
    },
    "en": {
        "username": "Username",
        "password": "Initial password",
        "add": "Add account",
        "account": "Account",
        "new_password": "New password",
        "reset": "Reset password",
        "disable": "Disable account",
        "enable": "Enable account",
        "role": "Role",
        "change_role": "Change role and center",
    },
}


def as_admin(lang: str) -> AppTest:
    app = log_in(lang, "admin", demo_password("admin"))
    app.session_state["harness_page"] = PAGE
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def widget(widgets, label: str):  # type: ignore[no-untyped-def]
    return next(w for w in widgets if w.label == label)


def run(app: AppTest) -> AppTest:
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_admin_adds_an_account_and_sees_it_listed(writable_database: str, lang: str) -> None:  # noqa: F811
    app = as_admin(lang)
    labels = LABELS[lang]
    widget(app.text_input, labels["username"]).input("newcomer")
    widget(app.text_input, labels["password"]).input("một câu dễ nhớ 2026")
    widget(app.button, labels["add"]).click()
    run(app)
    assert any("newcomer" in s.value for s in app.success)
    assert "newcomer" in list(app.dataframe[0].value.iloc[:, 0])
    assert scalar(writable_database, "SELECT role FROM app_user WHERE username = 'newcomer'") == "viewer"
    assert (
        scalar(
            writable_database,
            "SELECT username FROM audit_log WHERE table_name = 'app_user' "
            "AND action = 'insert' ORDER BY id DESC LIMIT 1",
        )
        == "admin"
    )
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_weak_password_is_refused_with_its_reason_and_nothing_added(
    writable_database: str,  # noqa: F811 - the fixture imported above
    lang: str,
) -> None:
    app = as_admin(lang)
    widget(app.text_input, LABELS[lang]["username"]).input("newcomer")
    widget(app.text_input, LABELS[lang]["password"]).input("zzzzzzzzzzzzzzzz")
    widget(app.button, LABELS[lang]["add"]).click()
    run(app)
    expected = "ký tự khác nhau" if lang == "vi" else "different characters"
    assert any(expected in e.value for e in app.error)
    assert scalar(writable_database, "SELECT COUNT(*) FROM app_user WHERE username = 'newcomer'") == 0


def test_an_admin_resets_a_password_disables_and_enables_an_account(writable_database: str) -> None:  # noqa: F811
    app = as_admin("en")
    labels = LABELS["en"]
    widget(app.selectbox, labels["account"]).select("ttkt31")
    run(app)
    widget(app.text_input, labels["new_password"]).input("a new passphrase for 31")
    widget(app.button, labels["reset"]).click()
    run(app)
    assert any("Set a new password for ttkt31" in s.value for s in app.success)
    widget(app.button, labels["disable"]).click()
    run(app)
    assert scalar(writable_database, "SELECT disabled FROM app_user WHERE username = 'ttkt31'") in (1, True)
    widget(app.button, labels["enable"]).click()
    run(app)
    assert scalar(writable_database, "SELECT disabled FROM app_user WHERE username = 'ttkt31'") in (0, False)
    actions = scalar(
        writable_database,
        "SELECT group_concat(action, ',') FROM (SELECT action FROM audit_log "
        "WHERE table_name = 'app_user' AND username = 'admin' "
        "AND action NOT LIKE 'login%' ORDER BY id)",
    )
    assert actions == "password_change,disable,enable"
    assert log_in("en", "ttkt31", "a new passphrase for 31").tabs  # the new password opens the data page


def test_an_admin_changes_a_role_and_cannot_disable_themselves(writable_database: str) -> None:  # noqa: F811
    app = as_admin("en")
    labels = LABELS["en"]
    widget(app.selectbox, labels["account"]).select("viewer")
    run(app)
    roles = [w for w in app.selectbox if w.label == labels["role"]]
    roles[-1].select("admin")
    widget(app.button, labels["change_role"]).click()
    run(app)
    assert scalar(writable_database, "SELECT role FROM app_user WHERE username = 'viewer'") == "admin"
    widget(app.selectbox, labels["account"]).select("admin")
    run(app)
    widget(app.button, labels["disable"]).click()
    run(app)
    assert any("cannot disable your own account" in e.value for e in app.error)
    assert scalar(writable_database, "SELECT disabled FROM app_user WHERE username = 'admin'") in (0, False)


@pytest.mark.parametrize("account", [None, "viewer", "ttkt31"])
def test_non_admins_see_no_account_and_no_form(writable_database: str, account: str | None) -> None:  # noqa: F811
    app = log_in("en", account, demo_password(account)) if account else open_page("pages/data.py", lang="en")
    app.session_state["harness_page"] = PAGE
    run(app)
    assert "Only administrators manage accounts." in texts(app)
    assert (
        not app.dataframe and not app.tabs and not any(w.label == "Initial password" for w in app.text_input)
    )


# --- REQUIRE_LOGIN and OIDC -------------------------------------------------------------------------------


def test_with_require_login_a_visitor_gets_the_login_form_and_no_page(
    app_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_LOGIN", "1")
    app = open_app(lang="en")
    assert not app.metric and not app.dataframe and not app.get("vega_lite_chart")
    assert "Log in to use this app." in texts(app)
    assert [w.label for w in app.text_input] == ["Username", "Password"]
    assert not app.selectbox  # not even the sidebar filters, which read the database


def test_with_require_login_a_signed_in_user_gets_the_pages(
    app_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRE_LOGIN", "1")
    app = AppTest.from_file(ENTRY, default_timeout=180)
    app.query_params["lang"] = "en"
    app.session_state[USER_KEY] = SignedInUser(
        username="viewer", role="viewer", center_id=None, center_code=None
    )
    run(app)
    assert app.metric  # the overview's KPI cards


def test_without_oidc_settings_the_login_form_asks_for_a_password(writable_database: str) -> None:  # noqa: F811
    app = open_page("pages/data.py", lang="en")
    assert [w.label for w in app.text_input][-2:] == ["Username", "Password"]
    assert not any(b.label == "Log in with your organisation's account" for b in app.button)


def test_with_oidc_settings_the_login_is_the_providers_button(writable_database: str) -> None:  # noqa: F811
    app = AppTest.from_file(str(ENTRY).replace("dashboard.py", "tests/page_harness.py"), default_timeout=180)
    app.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x" * 32,
        "client_id": "metrology",
        "client_secret": "s",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
    }
    app.session_state["harness_page"] = "pages/data.py"
    app.query_params["lang"] = "en"
    run(app)
    assert any(b.label == "Log in with your organisation's account" for b in app.button)
    assert not any(w.label == "Password" for w in app.text_input)


def test_with_oidc_settings_an_admin_gives_an_address_its_rights(writable_database: str) -> None:  # noqa: F811
    app = AppTest.from_file(str(ENTRY).replace("dashboard.py", "tests/page_harness.py"), default_timeout=180)
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}
    app.session_state["harness_page"] = PAGE
    app.session_state[USER_KEY] = SignedInUser(
        username="admin", role="admin", center_id=None, center_code=None
    )
    app.query_params["lang"] = "en"
    run(app)
    widget(app.text_input, "E-mail address").input("Head@Example.VN")
    next(w for w in app.selectbox if w.key == "oidc_role").select("viewer")
    widget(app.button, "Save the address's rights").click()
    run(app)
    # the address is shown as typed (Markdown-escaped, so "@" reads "\\@" in the source)
    assert any("Saved the rights of head@example.vn" in s.value.replace("\\", "") for s in app.success)
    assert (
        scalar(writable_database, "SELECT role FROM oidc_account WHERE email = 'head@example.vn'") == "viewer"
    )
