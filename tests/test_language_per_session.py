"""Each session keeps its own language: one user's choice never shows up in another's session.

Two AppTest sessions stand for two browser tabs served by one process. AppTest also formats a
widget's options between runs with the page's ``format_func`` (which calls ``t()``); that, too,
must answer in the language of the session the widget belongs to, not of whichever ran last.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.filters import Boundaries
from services.i18n import translate
from tests.page_support import open_page
from ui import i18n

PAGE = "pages/overview.py"


def shown_boundaries(app: AppTest) -> str:
    """The boundaries option the session shows as chosen (found through the page's format_func)."""
    selectbox = app.selectbox(key="boundaries")
    index = selectbox.index
    assert index is not None
    return selectbox.options[index]


def sidebar_header(app: AppTest) -> str:
    return str(app.sidebar.header[0].value)


def test_a_session_in_english_stays_english_while_another_runs_in_vietnamese(app_database: str) -> None:
    english = open_page(PAGE, lang="en")
    vietnamese = open_page(
        PAGE, lang="vi"
    )  # runs last: a process-wide "language of the last run" would be vi
    assert translate("boundaries.of_the_day", "en") != translate("boundaries.of_the_day", "vi")

    assert shown_boundaries(english) == translate("boundaries.of_the_day", "en")
    assert shown_boundaries(vietnamese) == translate("boundaries.of_the_day", "vi")

    english.selectbox(key="boundaries").select(Boundaries.BEFORE_MERGER.value).run()
    assert not english.exception, [e.value for e in english.exception]
    assert shown_boundaries(english) == translate("boundaries.before_merger", "en")
    assert sidebar_header(english) == translate("filters.title", "en")

    vietnamese.run()
    assert sidebar_header(vietnamese) == translate("filters.title", "vi")
    assert shown_boundaries(vietnamese) == translate("boundaries.of_the_day", "vi")


def test_switching_one_session_to_english_leaves_the_other_vietnamese(app_database: str) -> None:
    first = open_page(PAGE, lang="vi")
    second = open_page(PAGE, lang="vi")
    first.button_group(key=i18n.LANG_KEY).set_value("en").run()
    assert sidebar_header(first) == translate("filters.title", "en")

    second.run()
    assert sidebar_header(second) == translate("filters.title", "vi")
    assert shown_boundaries(second) == translate("boundaries.of_the_day", "vi")
    assert shown_boundaries(first) == translate("boundaries.of_the_day", "en")


def test_outside_any_session_the_default_language_applies(app_database: str) -> None:
    open_page(PAGE, lang="en")
    assert i18n.lang() == "vi"
    assert i18n.t("filters.title") == translate("filters.title", "vi")
