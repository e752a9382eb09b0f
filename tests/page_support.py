"""Helpers for page tests through streamlit.testing.v1.AppTest."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from services.i18n import LANGUAGES, catalog

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENTRY = str(PROJECT_ROOT / "dashboard.py")
HARNESS = str(PROJECT_ROOT / "tests" / "page_harness.py")
KEY_PATTERN = re.compile(r"\b[a-z][a-z_]*(?:\.[a-z0-9_]+)+\b")


def open_page(page: str = "pages/overview.py", *, lang: str = "vi", **params: str) -> AppTest:
    """Run ``page`` as a user opening it with ``?lang=..&params`` would see it.

    Later ``app.run()`` calls behave like the user's next interaction (widgets keep state).
    """
    app = AppTest.from_file(HARNESS, default_timeout=180)
    app.session_state["harness_page"] = page
    app.query_params["lang"] = lang
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def open_app(**params: str) -> AppTest:
    """The real entry file (navigation and default page), first run only."""
    app = AppTest.from_file(ENTRY, default_timeout=180)
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def visible_texts(app: AppTest) -> list[str]:
    """Every string a user can read on the page: text elements, labels, metric values, table headers."""
    texts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "warning",
        "error",
        "success",
        "text",
    ):
        texts += [str(element.value) for element in getattr(app, kind)]
    texts += [m.label for m in app.metric] + [str(m.value) for m in app.metric]
    for kind in (
        "selectbox",
        "multiselect",
        "button",
        "radio",
        "date_input",
        "text_input",
        "number_input",
        "checkbox",
        "toggle",
        "select_slider",
        "slider",
    ):
        texts += [str(getattr(widget, "label", "")) for widget in getattr(app, kind)]
    for frame in app.dataframe:
        texts += [str(column) for column in frame.value.columns]
    return texts


def assert_no_raw_keys(app: AppTest) -> None:
    """A text showing ``area.name`` with a catalog area prefix is a key that was not translated."""
    prefixes = {key.split(".")[0] for lang in LANGUAGES for key in catalog(lang)}
    raw = {
        token
        for text in visible_texts(app)
        for token in KEY_PATTERN.findall(text)
        if token.split(".")[0] in prefixes
    }
    assert not raw, f"untranslated keys on the page: {sorted(raw)}"


def tab_labels(label_prefix: str, lang: str = "vi") -> list[str]:
    """Every tab a page draws with ``ui.components.open_tab(names, label_prefix)``, as ``?tab=`` takes it."""
    return [label for key, label in catalog(lang).items() if key.startswith(f"{label_prefix}.")]
