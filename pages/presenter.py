"""Trình chiếu — one slide at a time, large and high-contrast, for a conference hall."""

import streamlit as st

from services.reports import pdf_report, pptx_deck
from services.slides import SLIDE_KEYS, build_slide, describe_filters
from services.sources import citation_link
from ui.chart_downloads import chart_downloads
from ui.components import csv_download, demo_badge, kpi_cards
from ui.data import cached, finished_chart
from ui.frame import page_frame
from ui.i18n import LANG_KEY, day, lang, t
from ui.plain import plain, plain_frame

SLIDE_PARAM = "slide"
TOTAL = len(SLIDE_KEYS)
# Only this page: the sidebar out of the way, type readable from the back of a hall, black on white.
PRESENTER_CSS = """
<style>
.stApp { background: #FFFFFF; color: #0B0B0B; }
.stMainBlockContainer { max-width: 100%; padding: 1.2rem 3rem 2rem 3rem; }
.stMainBlockContainer h1 { font-size: 3.3rem; line-height: 1.15; font-weight: 700; color: #0B0B0B; }
.stMainBlockContainer h3 { font-size: 1.75rem; line-height: 1.35; font-weight: 400; color: #1B2A41; }
[data-testid="stMetricValue"] { font-size: 3.6rem; font-weight: 700; color: #0B0B0B; }
[data-testid="stMetricLabel"] p { font-size: 1.45rem; color: #1B2A41; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.3rem; color: #0B0B0B; }
[data-testid="stAlert"] p { font-size: 1.6rem; }
.stMainBlockContainer h4 { font-size: 1.45rem; font-weight: 600; color: #0B0B0B; }
.st-key-presenter-counter p { font-size: 1.6rem; font-weight: 700; margin: 0; }
.st-key-presenter-previous button, .st-key-presenter-next button { min-height: 3rem; padding: 0 1.5rem; }
.st-key-presenter-previous button p, .st-key-presenter-next button p { font-size: 1.3rem; }
</style>
"""
HIDE_SIDEBAR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] {
  display: none !important;
}
</style>
"""


def slide_from_url() -> int:
    """The 1-based slide in ``?slide=N``; anything else opens the nearest real slide."""
    raw = st.query_params.get(SLIDE_PARAM)
    if raw is None:
        return 1
    try:
        number = int(raw)
    except ValueError:
        number = 1
    clamped = min(max(number, 1), TOTAL)
    if str(clamped) != raw:
        st.session_state["presenter_bad_slide"] = raw
    return clamped


def go_to(number: int) -> None:
    st.query_params[SLIDE_PARAM] = str(min(max(number, 1), TOTAL))


def switch_language(to: str) -> None:
    st.session_state[LANG_KEY] = to


filters = page_frame()
number = slide_from_url()
st.query_params[SLIDE_PARAM] = str(number)  # the address always names the slide shown
language = lang()

st.html(PRESENTER_CSS)
with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
    st.button(
        t("presenter.previous"),
        icon=":material/arrow_back:",
        key="presenter-previous",
        disabled=number == 1,
        on_click=go_to,
        args=(number - 1,),
    )
    with st.container(key="presenter-counter", width="content"):
        st.markdown(
            t("presenter.counter", number=number, total=TOTAL),
            help=t("presenter.counter_help", number=number),
        )
    st.button(
        t("presenter.next"),
        icon=":material/arrow_forward:",
        key="presenter-next",
        type="primary",
        disabled=number == TOTAL,
        on_click=go_to,
        args=(number + 1,),
    )
    st.space("stretch")
    other = "en" if language == "vi" else "vi"
    st.button(
        t(f"language.{other}"),
        icon=":material/translate:",
        key="presenter-language",
        on_click=switch_language,
        args=(other,),
    )
    stem = f"{t('reports.title')} {filters.as_of.isoformat()}"
    for kind, build, mime, icon in (
        ("pdf", pdf_report, "application/pdf", ":material/picture_as_pdf:"),
        (
            "pptx",
            pptx_deck,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ":material/slideshow:",
        ),
    ):
        st.download_button(
            t(f"presenter.download_{kind}"),
            data=lambda build=build: cached(build, filters, lang=language),  # made on the click only
            file_name=f"{stem}.{kind}",
            mime=mime,
            icon=icon,
            help=t("presenter.download_help"),
            key=f"presenter-{kind}",
            on_click="ignore",
        )
    show_sidebar = st.toggle(t("presenter.show_sidebar"), key="presenter_sidebar")
if not show_sidebar:
    st.html(HIDE_SIDEBAR_CSS)
bad = st.session_state.pop("presenter_bad_slide", None)
if bad is not None:
    st.warning(t("presenter.bad_slide", value=plain(bad), number=number))  # the URL's own words

slide = cached(build_slide, filters, key=SLIDE_KEYS[number - 1], lang=language)
st.title(slide.title)
if slide.subtitle:
    st.subheader(slide.subtitle)

if slide.empty_message:
    st.info(slide.empty_message, icon=":material/filter_list_off:")
if slide.kpis:
    for row in (slide.kpis[:4], slide.kpis[4:]):
        kpi_cards([(label, value, None, "off") for label, value in row])
    st.caption(t("capability.counted_caption", date=day(filters.as_of)))
# built once per data version, slide, filters and language (ui.data.finished_chart)
finished = finished_chart(slide.chart, f"slide-{slide.key}", filters, language)
table = slide.table if slide.table is not None and not slide.table.empty else None
if finished is not None:
    if table is not None:
        left, right = st.columns([3, 2], gap="large")
    else:
        left, right = st.container(), None
    with left:
        st.vega_lite_chart(finished.spec, width="stretch", theme=None)
        with st.container(horizontal=True, gap="small"):
            rows = next(iter(slide.chart_data.values()))
            csv_download(rows, filters, f"slide-{number}-{slide.key}", key=f"csv-slide-{slide.key}")
            chart_downloads(finished.chart, f"slide-{number}-{slide.key}")
    if right is not None and table is not None:
        with right:
            st.markdown(f"#### {slide.table_title}")
            st.table(plain_frame(table), hide_index=True)
elif table is not None:
    st.markdown(f"#### {slide.table_title}")
    st.table(plain_frame(table), hide_index=True)

if slide.sources:  # the real records on the slide, each linked to where it was published
    st.caption(
        t("cooperation.sources", links="; ".join(citation_link(url, language) for _, url in slide.sources))
    )

st.divider()
st.caption(
    t("presenter.footer", number=number, total=TOTAL, scope=cached(describe_filters, filters, lang=language))
)
demo_badge()
