"""What a user sees when something breaks: a message with an incident number; the server log keeps the traceback.

A traceback shows server paths, library versions and sometimes data, and tells the user nothing
they can act on. So the entry file runs every page through ``run_guarded``: an unexpected
exception is logged with its traceback under a short random incident number, and the page shows
only "Something went wrong (incident 3f9a1c0b)". An operator finds the traceback by that number.
Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``) derives from
BaseException and passes through untouched; ``client.showErrorDetails = "none"`` in
.streamlit/config.toml covers whatever runs outside this guard.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st

from ui.i18n import t

logger = logging.getLogger("metrology.incidents")
if not logger.handlers and not logging.getLogger().handlers:
    # Streamlit configures only its own loggers: without this, Python's last-resort handler would
    # print incidents without a time stamp
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(_handler)
# if the catalogs themselves are what broke, the message still reaches the user in both languages
FALLBACK_MESSAGE = "Đã xảy ra lỗi (mã sự cố {incident}). / Something went wrong (incident {incident})."


def new_incident_id() -> str:
    """Eight hex characters: enough to find one traceback in a day's log, nothing to guess from."""
    return secrets.token_hex(4)


def report_incident(error: BaseException) -> str:
    """Log ``error`` with its traceback under a new incident number, show the user the number; returns it."""
    incident = new_incident_id()
    logger.error("incident %s: %s while serving a page", incident, type(error).__name__, exc_info=error)
    try:
        message = t("security.incident", incident=incident)
    except Exception:  # noqa: BLE001 - the message must never fail in turn
        message = FALLBACK_MESSAGE.format(incident=incident)
    st.error(message, icon=":material/report:")
    return incident


def run_guarded(action: Callable[[], object]) -> None:
    """Run ``action``; any unexpected exception becomes an incident instead of a traceback."""
    try:
        action()
    except Exception as error:  # noqa: BLE001 - this is the one place that catches everything
        report_incident(error)
