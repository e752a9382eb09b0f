"""Sidebar filters kept in the URL, so any view can be shared by copying the address.

The widgets live in the entry file (the frame around every page), so they keep their values
when the user changes page; their values are written back to ``st.query_params`` on every run
because Streamlit clears the URL on a page switch. Codes, never labels, go in the URL, so a
link opens the same view in either language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from services.filter_choices import FilterOptions, filter_options
from services.filters import Boundaries, Filters
from services.i18n import LANGUAGES
from services.models import Service
from ui.data import cached, default_day, demo_day
from ui.i18n import LANG_KEY, day, lang, t

DUE_WINDOWS = (7, 14, 30, 60, 90, 180)
FILTERS_KEY = "filters"
_LOADED_FROM_URL = "filters_loaded_from_url"

# widget key -> (URL parameter, default)
URL_STATE: dict[str, tuple[str, object]] = {
    LANG_KEY: ("lang", "vi"),
    "as_of": ("as_of", None),
    "boundaries": ("boundaries", Boundaries.OF_THE_DAY.value),
    "province": ("province", None),
    "center": ("center", None),
    "field": ("field", None),
    "instrument_type": ("type", None),
    "service": ("service", None),
    "due_window_days": ("due", 30),
}


def _parse(widget_key: str, raw: str) -> object:
    if widget_key == "as_of":
        return date.fromisoformat(raw)
    if widget_key == "due_window_days":
        return int(raw)
    return raw


def load_url_state_once() -> None:
    """On a session's first run, put the URL's values into the widgets' state."""
    if st.session_state.get(_LOADED_FROM_URL):
        return
    st.session_state[_LOADED_FROM_URL] = True
    for widget_key, (param, _default) in URL_STATE.items():
        raw = st.query_params.get(param)
        if raw:
            try:
                st.session_state[widget_key] = _parse(widget_key, raw)
            except ValueError:
                st.session_state.setdefault("url_problems", []).append(param)


def _write_url_state() -> None:
    for widget_key, (param, default) in URL_STATE.items():
        value = st.session_state.get(widget_key)
        if isinstance(value, date):
            value = value.isoformat()
        if value is None or value == default:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != str(value):
            st.query_params[param] = str(value)


def _keep_if_valid(widget_key: str, allowed: pd.Series | list) -> None:
    """A value that the options no longer offer (other boundaries, closed center) is dropped."""
    if st.session_state.get(widget_key) is not None and st.session_state[widget_key] not in list(allowed):
        # kept so a page can say why (the profile explains a link to a center closed by the merger)
        st.session_state[f"{widget_key}_not_offered"] = st.session_state[widget_key]
        st.session_state[widget_key] = None


def _labels(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["code"], frame[f"name_{lang()}"], strict=True))


def language_toggle() -> None:
    if st.session_state.get(LANG_KEY) not in LANGUAGES:
        st.session_state[LANG_KEY] = "vi"
    st.sidebar.segmented_control(
        "🌐",
        options=list(LANGUAGES),
        key=LANG_KEY,
        format_func=lambda code: t(f"language.{code}"),
        label_visibility="collapsed",
        required=True,
        on_change=_keep_values_across_languages,
    )


def _keep_values_across_languages() -> None:
    """The browser holds each choice as its displayed label; after a language switch that label
    matches no option any more and Streamlit would reset the widget (field filter dropped, due
    window back to 7 days). Writing the values back makes the server send the new labels."""
    for widget_key in URL_STATE:
        if widget_key != LANG_KEY and widget_key in st.session_state:
            st.session_state[widget_key] = st.session_state[widget_key]


def sidebar_filters() -> Filters:
    """Draw the filters, write them to the URL, and return them (also kept for the pages)."""
    sidebar = st.sidebar
    sidebar.header(t("filters.title"))
    as_of, boundaries = _day_and_boundaries(sidebar)
    options: FilterOptions = cached(filter_options, Filters(as_of=as_of, boundaries=Boundaries(boundaries)))
    regions = _labels(options.regions)
    province = _optional_choice(
        sidebar, "province", regions, lambda code: f"{regions[code]} ({code})", "filters.all_provinces"
    )
    centers = options.centers
    if province:
        centers = centers[centers["region_code"] == province]
    center_labels = _labels(centers)
    center = _optional_choice(
        sidebar,
        "center",
        center_labels,
        lambda code: f"{code} · {center_labels[code]}",
        "filters.all_centers",
    )
    fields = _labels(options.fields)
    field = _optional_choice(sidebar, "field", fields, lambda code: fields[code], "filters.all_fields")
    types = options.instrument_types
    if field:
        types = types[types["field_code"] == field]
    type_labels = _labels(types)
    instrument_type = _optional_choice(
        sidebar, "instrument_type", type_labels, lambda code: type_labels[code], "filters.all_types"
    )
    services = {s.value: s.value for s in Service}
    service = _optional_choice(
        sidebar, "service", services, lambda value: t(f"service.{value}"), "filters.all_services"
    )
    due_window = _due_window(sidebar)
    sidebar.button(
        t("filters.clear"), icon=":material/filter_alt_off:", on_click=_clear_filters, width="stretch"
    )
    for problem in st.session_state.pop("url_problems", []):
        sidebar.warning(t("filters.bad_url_value", param=problem))

    filters = Filters(
        as_of=as_of,
        province=province,
        center=center,
        field=field,
        instrument_type=instrument_type,
        service=service,
        boundaries=Boundaries(boundaries),
        due_window_days=int(due_window),
    )
    _write_url_state()
    st.session_state[FILTERS_KEY] = filters
    return filters


def _day_and_boundaries(sidebar: Any) -> tuple[date, str]:
    """The day viewed and which provinces' boundaries to draw it with."""
    # left empty, the view shows the demo network's own day (a demo database) or today
    described = demo_day()
    as_of_help = t("demo.as_of_help", date=day(described)) if described else t("filters.as_of_help")
    as_of = (
        sidebar.date_input(t("filters.as_of"), key="as_of", value=None, format="DD/MM/YYYY", help=as_of_help)
        or default_day()
    )
    boundary_values = [b.value for b in Boundaries]
    if st.session_state.get("boundaries") not in boundary_values:
        st.session_state["boundaries"] = Boundaries.OF_THE_DAY.value
    boundaries = sidebar.selectbox(
        t("filters.boundaries"),
        boundary_values,
        key="boundaries",
        format_func=lambda value: t(f"boundaries.{value}"),
        help=t("filters.boundaries_help"),
    )
    return as_of, boundaries


def _optional_choice(
    sidebar: Any, key: str, labels: dict[str, str], format_func: Callable[[str], str], placeholder_key: str
) -> str | None:
    """A select box over ``labels``' codes that may stay empty (all of them), keyed and labelled
    ``filters.<key>``; a value the options no longer hold is dropped first."""
    _keep_if_valid(key, list(labels))
    return sidebar.selectbox(
        t(f"filters.{key}"),
        list(labels),
        key=key,
        index=None,
        format_func=format_func,
        placeholder=t(placeholder_key),
    )


def _due_window(sidebar: Any) -> int:
    with sidebar.expander(t("settings.title")):
        if st.session_state.get("due_window_days") not in DUE_WINDOWS:
            st.session_state["due_window_days"] = 30
        return int(
            st.select_slider(
                t("settings.due_window"),
                options=list(DUE_WINDOWS),
                key="due_window_days",
                format_func=lambda days: t("settings.days", days=days),
                help=t("settings.due_window_help"),
            )
        )


def _clear_filters() -> None:
    for widget_key in ("province", "center", "field", "instrument_type", "service", "as_of"):
        st.session_state[widget_key] = None


def current_filters() -> Filters:
    """The filters the frame drew on this run (pages call this instead of drawing their own)."""
    return st.session_state.get(FILTERS_KEY) or Filters(as_of=default_day())
