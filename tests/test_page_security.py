"""What a visitor or a hostile file can make the pages show: plain text, never Markdown; a wait after failed logins."""

from __future__ import annotations

import re

import pytest

from tests.page_support import open_page
from tests.test_page_data_management import log_in, writable_database  # noqa: F401 - the fixture
from ui.plain import plain

LINK = "[Đăng nhập lại](https://evil.example/login)"
IMAGE = "![x](https://tracker.example/p.png)"


def markdown_of(app) -> list[str]:  # type: ignore[no-untyped-def]
    texts = [
        str(e.value)
        for kind in ("markdown", "caption", "info", "warning", "error", "success", "header")
        for e in getattr(app, kind)
    ]
    for table in app.table:
        texts += [str(cell) for cell in table.value.to_numpy().ravel()] + [
            str(c) for c in table.value.columns
        ]
    return texts


def test_plain_text_disarms_links_images_html_and_directives() -> None:
    assert plain(LINK) == r"\[Đăng nhập lại\](https\://evil.example/login)"
    assert plain(IMAGE) == r"!\[x\](https\://tracker.example/p.png)"
    assert plain("<img src=x onerror=alert(1)>") == r"\<img src=x onerror=alert(1)\>"
    assert plain(":red[**big**] $x^2$ `code`") == r":red\[\*\*big\*\*\] \$x^2\$ \`code\`"
    assert plain("line one\n# heading") == "line one # heading"  # one line: no heading can start
    assert plain("# heading") == r"\# heading"
    assert plain("www.evil.example, mail@evil.example") == r"www\.evil.example, mail\@evil.example"
    for kept in ("TTKT-31", "1.234,5", "Hải Phòng (TTKT-31)", "pressure_gauge", "0–60 MPa", "±0,05 °C"):
        assert plain(kept) == kept


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_center_code_from_the_url_is_shown_as_typed_not_as_a_link(app_database: str, lang: str) -> None:
    app = open_page("pages/profile.py", lang=lang, center=LINK)
    shown = markdown_of(app)
    assert any(plain(LINK) in text for text in shown), shown
    assert not any(LINK in text for text in shown)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cells_quoted_in_import_problems_are_shown_as_typed(writable_database: str, lang: str) -> None:  # noqa: F811
    data = (
        f"serial_no;name;quantity;range;acquired_on\nHP-NEW-1;Áp kế;pressure;0–60 {IMAGE};14/06/2024\n"
    ).encode()
    app = log_in(lang, "ttkt31", "ttkt31-demo")
    app.file_uploader(key="upload-equipment").set_value(("bad.csv", data, "text/csv")).run()
    app.button(key="validate-equipment").click().run()
    assert not app.exception
    cells = [str(cell) for table in app.table for cell in table.value.to_numpy().ravel()]
    assert any("!\\[x\\](https\\://tracker.example/p.png)" in cell for cell in cells), cells
    assert not any(IMAGE in text for text in markdown_of(app))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_repeated_wrong_passwords_make_the_login_page_ask_to_wait(writable_database: str, lang: str) -> None:  # noqa: F811
    wait = r"Thử lại sau \d+ giây" if lang == "vi" else r"Try again in \d+ seconds"
    app = open_page("pages/data.py", lang=lang)
    labels = (
        ("Tên đăng nhập", "Mật khẩu", "Đăng nhập") if lang == "vi" else ("Username", "Password", "Log in")
    )
    errors: list[str] = []
    for _ in range(6):
        next(w for w in app.text_input if w.label == labels[0]).input("ttkt31")
        next(w for w in app.text_input if w.label == labels[1]).input("not the password")
        next(b for b in app.button if b.label == labels[2]).click().run()
        assert not app.exception
        errors = [str(e.value) for e in app.error]
    assert any(re.search(wait, error) for error in errors), errors
    # the right password must wait too
    next(w for w in app.text_input if w.label == labels[0]).input("ttkt31")
    next(w for w in app.text_input if w.label == labels[1]).input("ttkt31-demo")
    next(b for b in app.button if b.label == labels[2]).click().run()
    assert any(re.search(wait, str(e.value)) for e in app.error)
    assert not app.tabs
