"""The signed-in staff member's own center's due work, drawn first on the data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import notices
from services.auth import SignedInUser
from services.filters import Filters
from services.models import Role
from ui.charts_coverage import bucket_label
from ui.data import cached
from ui.i18n import day, lang, num, t
from ui.plain import plain

SHOWN_ITEMS = 20


def own_center_due_list(user: SignedInUser, filters: Filters) -> None:
    """Staff of a center see what is overdue and due soon there on the day viewed; others see nothing."""
    if user.role != Role.CENTER_STAFF or not user.center_code:
        return
    try:
        found = cached(
            notices.center_notices,
            None,
            as_of=filters.as_of,
            center=user.center_code,
            window_days=filters.due_window_days,
        )  # keyed on the data version: never stale
    except notices.UnknownCenterError:
        return  # the center is not open on the day viewed
    notice = found[0]
    window = notice.window_days
    with st.container(border=True, key="own-center-due-list"):
        st.subheader(t("notices.ui.title", center=plain(notice.center_code)), anchor=False)
        if notice.is_empty:
            st.caption(t("notices.ui.nothing", date=day(notice.as_of), days=window))
            return
        st.caption(
            t(
                "notices.ui.caption",
                date=day(notice.as_of),
                overdue=num(len(notice.overdue)),
                due_soon=num(len(notice.due_soon)),
                days=window,
            )
        )
        _due_items(notice.items, window)
        if notice.capabilities is not None and not notice.capabilities.empty:
            _capabilities_at_risk(notice.capabilities)


def _due_items(items: pd.DataFrame, window: int) -> None:
    """The center's overdue and due-soon equipment, the first ``SHOWN_ITEMS`` of them."""
    shown = pd.DataFrame(
        {
            t("label.status"): [bucket_label(s, 0, window, lang()) for s in items["status"].astype(str)],
            t("coverage.column.serial_no"): items["serial_no"],
            t("coverage.column.equipment"): items["name"],
            t("label.instrument_type"): items[f"type_name_{lang()}"],
            t("coverage.column.due_on"): items["due_on"],
            t("coverage.column.days_to_due"): items["days_to_due"],
        }
    ).head(SHOWN_ITEMS)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(shown)),
        column_config={t("coverage.column.due_on"): st.column_config.DateColumn(format="DD/MM/YYYY")},
    )
    if len(items) > SHOWN_ITEMS:
        st.caption(t("notices.ui.more", shown=num(SHOWN_ITEMS), count=num(len(items))))


def _capabilities_at_risk(capabilities: pd.DataFrame) -> None:
    """The capabilities the notice names, each with its state on the day and the serial numbers it hangs on."""
    st.markdown(f"**{t('notices.ui.capabilities')}**")
    st.dataframe(
        pd.DataFrame(
            {
                t("notices.ui.service"): [t(f"service.{code}") for code in capabilities["service"]],
                t("label.instrument_type"): capabilities[f"type_name_{lang()}"],
                t("label.status"): [
                    t(f"notices.capability.state.{state}") for state in capabilities["state"]
                ],
                t("coverage.column.serial_no"): capabilities["serial_nos"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
