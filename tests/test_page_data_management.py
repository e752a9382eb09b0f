"""The data-management page as center staff use it: log in, check a file, import it, read the log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.auth import demo_password
from services.tabular import MAX_BYTES
from tests.page_support import assert_no_raw_keys, open_page

PAGE = "pages/data.py"
LABELS = {
    "vi": {"user": "Tên đăng nhập", "password": "Mật khẩu", "submit": "Đăng nhập"},
    "en": {"user": "Username", "password": "Password", "submit": "Log in"},
}
BAD_FILE = (
    "serial_no;name;quantity;range;acquired_on\n"
    "HP-NEW-1;Áp kế chuẩn;pressure;0–60 MPa;14/06/2024\n"
    "HP-NEW-2;Áp kế chuẩn;pressure;0–60 bbar;14/06/2024\n"
).encode()
GOOD_FILE = (
    "\ufeffserial_no;name;quantity;instrument_type;range;uncertainty;acquired_on\n"
    "HP-NEW-1;Áp kế chuẩn;pressure;pressure_gauge;0–60 MPa;0,015 %;14/06/2024\n"
    "HP-NEW-2;Nhiệt kế chuẩn;temperature;;-50 … 420 °C;0,02 °C;01/07/2024\n"
).encode()


@pytest.fixture
def writable_database(
    seeded_urls: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A private copy of the seeded SQLite file (these tests write), with Streamlit's caches empty."""
    source = Path(make_url(seeded_urls["sqlite"]).database or "")
    target = tmp_path / "data-management.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


def scalar(url: str, query: str, **params: object) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query), params).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def widget_labels_in_the_tests_language(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AppTest calls a selectbox's format_func between runs, outside any session, where t() would
    fall back to Vietnamese and no longer match the English options it drew; pin the language."""
    lang = getattr(getattr(request.node, "callspec", None), "params", {}).get("lang", "vi")
    import ui.i18n

    monkeypatch.setattr(ui.i18n, "lang", lambda: lang)


def log_in(lang: str, username: str, password: str):  # type: ignore[no-untyped-def]
    return sign_in(open_page(PAGE, lang=lang), lang, username, password)


def sign_in(app, lang: str, username: str, password: str):  # type: ignore[no-untyped-def]
    """Fill the login form the data page shows and submit it, in the session ``app`` already holds."""
    labels = LABELS[lang]
    next(w for w in app.text_input if w.label == labels["user"]).input(username)
    next(w for w in app.text_input if w.label == labels["password"]).input(password)
    next(b for b in app.button if b.label == labels["submit"]).click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        str(e.value)
        for kind in ("markdown", "caption", "info", "error", "success", "warning")
        for e in getattr(app, kind)
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_visitors_see_a_login_form_and_a_wrong_password_is_refused(writable_database: str, lang: str) -> None:
    app = open_page(PAGE, lang=lang)
    assert [w.label for w in app.text_input][-2:] == [LABELS[lang]["user"], LABELS[lang]["password"]]
    assert not app.tabs
    app = log_in(lang, "ttkt31", "wrong")
    expected = "Tên đăng nhập hoặc mật khẩu không đúng" if lang == "vi" else "Wrong username or password"
    assert any(expected in e.value for e in app.error)
    assert not app.tabs
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_center_staff_log_in_to_their_own_center(writable_database: str, lang: str) -> None:
    app = log_in(lang, "ttkt31", demo_password("ttkt31"))
    assert "ttkt31" in texts(app) and "TTKT-31" in texts(app)
    tabs = [tab.label for tab in app.tabs]
    expected = (
        [
            "Nhập thiết bị",
            "Nhập giấy chứng nhận",
            "Nhập năng lực và hợp tác",
            "Sửa thiết bị",
            "Xuất dữ liệu",
            "Nhật ký thay đổi",
        ]
        if lang == "vi"
        else [
            "Import equipment",
            "Import certificates",
            "Import services and cooperation",
            "Edit equipment",
            "Export",
            "Change log",
        ]
    )
    assert tabs == expected
    held = scalar(
        writable_database,
        "SELECT COUNT(*) FROM equipment e JOIN center c ON c.id = e.center_id WHERE c.code = 'TTKT-31'",
    )
    certificates = scalar(
        writable_database,
        "SELECT COUNT(*) FROM calibration_record r JOIN equipment e "
        "ON e.id = r.equipment_id JOIN center c ON c.id = e.center_id "
        "WHERE c.code = 'TTKT-31'",
    )
    headings = [h.value for h in app.subheader]
    assert (f"Thiết bị ({held})" if lang == "vi" else f"Equipment ({held})") in headings
    assert (
        f"Giấy chứng nhận ({certificates:,})".replace(",", ".")
        if lang == "vi"
        else f"Certificates ({certificates:,})"
    ) in headings
    assert any(len(frame.value) == held for frame in app.dataframe)  # the export table
    assert_no_raw_keys(app)


def test_the_file_pickers_refuse_a_file_over_the_import_limit_in_the_browser(writable_database: str) -> None:
    """The browser checks the picker's limit before sending a byte: 10 MB for imports, not the
    200 MB the server allows for backups (services.tabular checks the size again)."""
    app = log_in("vi", "ttkt31", demo_password("ttkt31"))
    limits = {uploader.key: uploader.proto.max_upload_size_mb for uploader in app.file_uploader}
    assert limits and set(limits.values()) == {MAX_BYTES // 2**20}, limits


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_bad_file_shows_each_problem_in_the_users_language_and_writes_nothing(
    writable_database: str, lang: str
) -> None:
    before = scalar(writable_database, "SELECT COUNT(*) FROM equipment")
    app = log_in(lang, "ttkt31", demo_password("ttkt31"))
    app.file_uploader(key="upload-equipment").set_value(("bad.csv", BAD_FILE, "text/csv")).run()
    app.button(key="validate-equipment").click().run()
    assert not app.exception
    summary = (
        "Tệp có 1 lỗi nên chưa ghi gì" if lang == "vi" else "The file has 1 problem, so nothing was written"
    )
    assert any(summary in e.value for e in app.error)
    problems = app.table[0].value
    row_header, column_header, message_header = (
        ["Dòng", "Cột", "Lỗi"] if lang == "vi" else ["Row", "Column", "Problem"]
    )
    assert list(problems.columns) == [row_header, column_header, message_header]
    assert problems.iloc[0][row_header] == "3" and problems.iloc[0][column_header] == "range"
    message = problems.iloc[0][message_header]
    assert ('Không nhận ra đơn vị "bbar"' if lang == "vi" else 'Unknown unit "bbar"') in message
    assert not [b for b in app.button if b.key == "run-equipment"]  # nothing to import
    assert scalar(writable_database, "SELECT COUNT(*) FROM equipment") == before
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_good_file_is_checked_then_imported_and_logged(writable_database: str, lang: str) -> None:
    before = scalar(writable_database, "SELECT COUNT(*) FROM equipment")
    app = log_in(lang, "ttkt31", demo_password("ttkt31"))
    app.file_uploader(key="upload-equipment").set_value(("good.csv", GOOD_FILE, "text/csv")).run()
    app.button(key="validate-equipment").click().run()
    ready = "2 dòng sẵn sàng để nhập" if lang == "vi" else "2 rows ready to import"
    assert any(ready in s.value for s in app.success)
    assert scalar(writable_database, "SELECT COUNT(*) FROM equipment") == before  # checking writes nothing
    app.button(key="run-equipment").click().run()
    assert not app.exception, [e.value for e in app.exception]
    done = "Đã nhập 2 dòng vào TTKT-31" if lang == "vi" else "Imported 2 rows into TTKT-31"
    assert any(done in s.value for s in app.success)
    assert scalar(writable_database, "SELECT COUNT(*) FROM equipment") == before + 2
    assert scalar(writable_database, "SELECT range_max_si FROM equipment WHERE serial_no = 'HP-NEW-1'") == 6e7
    assert (
        scalar(
            writable_database,
            "SELECT COUNT(*) FROM audit_log WHERE username = 'ttkt31' AND action = 'insert'",
        )
        == 2
    )
    # the change log tab shows the two new rows
    log = next(
        frame.value
        for frame in app.dataframe
        if ("Người thực hiện" if lang == "vi" else "By") in frame.value.columns
    )
    assert len(log) == 2 and set(log["Người thực hiện" if lang == "vi" else "By"]) == {"ttkt31"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_viewer_can_export_and_read_the_log_but_not_import(writable_database: str, lang: str) -> None:
    app = log_in(lang, "viewer", demo_password("viewer"))
    expected = ["Xuất dữ liệu", "Nhật ký thay đổi"] if lang == "vi" else ["Export", "Change log"]
    assert [tab.label for tab in app.tabs] == expected
    assert any(("chỉ được xem" if lang == "vi" else "can only view") in i.value for i in app.info)
    assert not app.file_uploader
    assert_no_raw_keys(app)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_empty_database_explains_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = open_page(PAGE, lang=lang)
    expected = "chưa có trung tâm nào" if lang == "vi" else "has no centers yet"
    assert any(expected in i.value for i in app.info)
    assert not app.text_input or all(w.label != LABELS[lang]["password"] for w in app.text_input)
    st.cache_resource.clear()
