"""Tìm năng lực — who can serve an instrument over a range at an uncertainty, nearest first."""

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from services.filters import Filters
from services.finder import SERVICES, closest_misses, find_capable_centers, finder_options
from services.units import UnitInputError
from ui.components import csv_download, empty_state, page_header
from ui.data import cached
from ui.frame import page_frame
from ui.i18n import day, lang, num, t, tn
from ui.plain import plain

# widget key -> URL parameter; prefixed so they never clash with the sidebar's type/service/province
URL_PARAMS = {
    "finder_quantity": "q_qty",
    "finder_type": "q_type",
    "finder_range": "q_range",
    "finder_uncertainty": "q_unc",
    "finder_service": "q_service",
    "finder_near": "q_near",
}
CHOICE_KEYS = ("finder_quantity", "finder_type", "finder_service", "finder_near")
SHOWN_MISSES = 5
TABLE_HEIGHT = 460
EXAMPLES = (
    (
        "finder.example.pressure",
        {"q_type": "pressure_gauge", "q_range": "0–60 MPa", "q_unc": "0,1 %", "q_near": "31"},
    ),
    (
        "finder.example.thermometer",
        {"q_type": "clinical_thermometer_electronic", "q_range": "35–42 °C", "q_unc": "0,05 °C"},
    ),
    (
        "finder.example.water",
        {
            "q_type": "water_meter_mechanical",
            "q_range": "0,01–10 m³/h",
            "q_service": "verification",
            "q_near": "01",
        },
    ),
)

filters = page_frame()
page_header("page.finder", "finder.subtitle")
view = Filters(as_of=filters.as_of)  # the finder has its own inputs; only the day viewed is shared
options = cached(finder_options, view)


def load_from_url() -> None:
    """Inputs the session does not hold yet take the URL's values (a shared link reopens the search)."""
    for key, param in URL_PARAMS.items():
        raw = st.query_params.get(param)
        if raw and key not in st.session_state:
            st.session_state[key] = raw


def keep_offered(key: str, allowed: list[str]) -> None:
    value = st.session_state.get(key)
    if value is not None and value not in allowed:
        st.warning(t("filters.bad_url_value", param=URL_PARAMS[key]))
        st.session_state[key] = None


def keep_in_url() -> None:
    for key, param in URL_PARAMS.items():
        value = (st.session_state.get(key) or "").strip()
        if not value:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != value:
            st.query_params[param] = value


def names(frame: pd.DataFrame) -> dict[str, str]:
    return dict(zip(frame["code"], frame[f"name_{lang()}"], strict=True))


load_from_url()
# The browser keeps a choice as its label; after a language switch re-sending the values keeps them.
if st.session_state.get("finder_lang") != lang():
    st.session_state["finder_lang"] = lang()
    for key in CHOICE_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]

quantities = names(options.quantities)
keep_offered("finder_quantity", list(quantities))
types = options.instrument_types
if st.session_state.get("finder_quantity"):
    types = types[types["quantity_code"] == st.session_state["finder_quantity"]]
type_names = names(types)
keep_offered("finder_type", list(type_names))
provinces = names(options.provinces)
keep_offered("finder_near", list(provinces))
keep_offered("finder_service", list(SERVICES))

first, second, third = st.columns(3)
quantity = first.selectbox(
    t("finder.quantity"),
    sorted(quantities, key=quantities.__getitem__),
    index=None,
    key="finder_quantity",
    format_func=quantities.__getitem__,
    placeholder=t("finder.any_quantity"),
)
instrument_type = second.selectbox(
    t("finder.type"),
    sorted(type_names, key=type_names.__getitem__),
    index=None,
    key="finder_type",
    format_func=type_names.__getitem__,
    placeholder=t("finder.any_type"),
)
service = third.selectbox(
    t("finder.service"),
    list(SERVICES),
    index=None,
    key="finder_service",
    format_func=lambda value: t(f"service.{value}"),
    placeholder=t("finder.any_service"),
)
examples = types.set_index("code")["example_range"].dropna()
first, second, third = st.columns(3)
range_text = first.text_input(
    t("finder.range"),
    key="finder_range",
    help=t("finder.range_help"),
    placeholder=examples.get(instrument_type) or "0–60 MPa",
)
uncertainty_text = second.text_input(
    t("finder.uncertainty"), key="finder_uncertainty", help=t("finder.uncertainty_help"), placeholder="0,1 %"
)
near = third.selectbox(
    t("finder.near"),
    list(provinces),
    index=None,
    key="finder_near",
    format_func=lambda code: f"{provinces[code]} ({code})",
    placeholder=t("finder.near_placeholder"),
)
keep_in_url()
st.caption(t("finder.hint"))

if not (range_text or "").strip():
    empty_state("finder.start")
    for label_key, params in EXAMPLES:
        st.markdown(f"- [{t(label_key)}](finder?{urlencode({**params, 'lang': lang()})})")
    st.stop()

request = {
    "instrument_type": instrument_type,
    "quantity": quantity,
    "range_text": range_text,
    "uncertainty_text": uncertainty_text or None,
    "service": service,
    "near_province": near,
}
try:
    found = cached(find_capable_centers, view, **request)
except UnitInputError as error:
    st.error(t("finder.error.input", message=plain(error.message(lang()))), icon=":material/error:")
    st.stop()

st.caption(
    t("finder.as_of", date=day(view.as_of)) + " " + t("capability.counted_caption", date=day(view.as_of))
)
if found.empty:
    misses = cached(closest_misses, view, **request)
    if misses.empty:
        empty_state("finder.none_offered")
        st.stop()
    st.warning(t("finder.none"), icon=":material/search_off:")
    st.subheader(t("finder.closest"))
    for explanation in misses[f"explanation_{lang()}"].head(SHOWN_MISSES):
        st.markdown(f"- {explanation}")
    if len(misses) > SHOWN_MISSES:
        st.caption(t("finder.more_misses", count=num(len(misses) - SHOWN_MISSES)))
    if misses["at_zero"].any():
        st.info(t("finder.hint.relative_at_zero"), icon=":material/lightbulb:")
    csv_download(
        misses.drop(columns=["distance_km"] if near is None else []),
        view,
        "finder-closest",
        key="csv-finder-closest",
    )
    st.stop()

st.success(
    t(
        "finder.found",
        capabilities=tn("count.capabilities", len(found)),
        centers=tn("count.centers", found["center_code"].nunique()),
    ),
    icon=":material/check_circle:",
)
st.caption(t("finder.sorted_near", province=provinces[near]) if near else t("finder.sorted"))
# what decides a choice first (who, what, how well, how far); the long names last
table = pd.DataFrame(
    {
        "finder.col.profile": "profile?"
        + found["center_code"].map(lambda code: urlencode({"center": code, "lang": lang()})),
        "finder.col.service": found["service"].map(lambda value: t(f"service.{value}")),
        "finder.col.range": found[f"range_{lang()}"],
        "finder.col.uncertainty": found[f"uncertainty_{lang()}"],
        "finder.col.distance": found["distance_km"].map(lambda km: "—" if pd.isna(km) else num(km)),
        "finder.col.recognition": found["recognition"].map(lambda value: t(f"recognition.{value}")),
        "finder.col.explanation": found[f"explanation_{lang()}"],
        "finder.col.type": found[f"type_name_{lang()}"],
        "finder.col.name": found[f"center_name_{lang()}"],
    }
)
if instrument_type:  # one type: the column would repeat it on every row
    table = table.drop(columns=["finder.col.type"])
if not near:
    table = table.drop(columns=["finder.col.distance"])
st.dataframe(
    table.rename(columns=t),
    hide_index=True,
    width="stretch",
    height=min(TABLE_HEIGHT, 38 + 35 * len(table)),
    column_config={
        t("finder.col.profile"): st.column_config.LinkColumn(display_text=r"center=([^&]*)", width="small"),
        t("finder.col.explanation"): st.column_config.TextColumn(width="large"),
    },
)
csv_download(found, view, "finder", key="csv-finder")
