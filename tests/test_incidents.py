"""An unexpected error shows the user an incident number and nothing else; the log has the traceback."""

from __future__ import annotations

import logging
import re
import tomllib

import pytest

from services import kpis
from tests.page_support import PROJECT_ROOT, open_app, visible_texts

MESSAGES = {
    "vi": r"Đã xảy ra lỗi \(mã sự cố ([0-9a-f]{8})\)",
    "en": r"Something went wrong \(incident ([0-9a-f]{8})\)",
}


def test_streamlit_never_shows_error_details() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_page_that_raises_shows_an_incident_number_and_no_traceback(
    app_database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, lang: str
) -> None:
    secret_path = str(PROJECT_ROOT / "services" / "kpis.py")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"connection to postgresql://admin:hunter2@db failed in {secret_path}")

    # the data cache finds a service by module and name, so the stand-in takes the real one's
    broken.__module__, broken.__qualname__ = "services.kpis", "kpi_summary"
    monkeypatch.setattr(kpis, "kpi_summary", broken)
    with caplog.at_level(logging.ERROR, logger="metrology.incidents"):
        app = open_app(lang=lang)  # asserts that no exception reached Streamlit

    shown = [str(e.value) for e in app.error]
    incidents = [match[1] for text in shown if (match := re.search(MESSAGES[lang], text))]
    assert len(incidents) == 1, shown
    everything = "\n".join(visible_texts(app) + [str(e.value) for e in app.exception])
    for leak in ("Traceback", "RuntimeError", "hunter2", "postgresql://", secret_path, str(PROJECT_ROOT)):
        assert leak not in everything
    records = [r for r in caplog.records if r.name == "metrology.incidents"]
    assert len(records) == 1 and incidents[0] in records[0].getMessage()
    assert records[0].exc_info is not None and records[0].exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text and "hunter2" in caplog.text  # the operator sees it all
