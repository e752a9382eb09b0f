"""Hợp tác — agreements between IMTS and the centers: stages, timeline, scope, events."""

import streamlit as st

from services.cooperation import (
    agreement_details,
    pipeline_counts,
    scope_matrix,
    stage_summary,
    stage_text,
    term_text,
    timeline,
)
from services.sources import citation_link
from ui import charts_cooperation as charts
from ui.components import chart_with_data, csv_download, empty_state, kpi_cards, page_header, real_sources
from ui.data import cached
from ui.frame import page_frame
from ui.i18n import day, lang, num, t

filters = page_frame()
page_header("page.cooperation", "cooperation.subtitle")
if filters.instrument_type or filters.service:
    st.caption(t("cooperation.filters_not_applied"))

summary = cached(stage_summary, filters)
story = cached(timeline, filters)


def events_table() -> None:
    st.subheader(t("cooperation.section.events"))
    happened = story.events
    if happened.empty:
        empty_state("cooperation.empty.no_events", date=day(filters.as_of))
        return
    shown = happened.assign(
        kind_label=happened["kind"].map(lambda kind: charts.kind_label(kind, lang())),
        data_label=happened["is_demo"].map(lambda demo: charts.data_label(bool(demo), lang())),
    ).sort_values("held_on", ascending=False)
    st.dataframe(
        shown[
            [
                "held_on",
                "kind_label",
                "data_label",
                f"title_{lang()}",
                f"place_{lang()}",
                f"participants_{lang()}",
                f"source_label_{lang()}",
            ]
        ],
        hide_index=True,
        width="stretch",
        height=390,
        column_config={
            "held_on": st.column_config.DateColumn(t("cooperation.column.date"), format="DD/MM/YYYY"),
            "kind_label": t("cooperation.column.kind"),
            f"title_{lang()}": st.column_config.TextColumn(t("cooperation.column.event"), width="large"),
            f"place_{lang()}": t("cooperation.column.place"),
            f"participants_{lang()}": st.column_config.TextColumn(
                t("cooperation.column.participants"), width="medium"
            ),
            "data_label": t("cooperation.column.data"),
            f"source_label_{lang()}": t("cooperation.column.source"),
        },
    )
    real_sources(happened)
    csv_download(happened, filters, "cooperation-events", key="csv-cooperation-events")


if summary.total == 0:
    empty_state("cooperation.empty.no_agreements", date=day(filters.as_of))
    events_table()
    st.stop()

kpi_cards(
    [
        (t("cooperation.kpi.total"), num(summary.total), None, "off"),
        (t("cooperation.kpi.in_discussion"), num(summary.in_discussion), None, "off"),
        (t("cooperation.kpi.signed"), num(summary.signed), None, "off"),
        (t("cooperation.kpi.active"), num(summary.active), None, "off"),
        (t("cooperation.kpi.ended"), num(summary.ended), None, "off"),
    ]
)
st.caption(t("cooperation.as_of", date=day(filters.as_of)))

left, right = st.columns([2, 3])
with left:
    st.subheader(t("cooperation.section.pipeline"))
    pipeline = cached(pipeline_counts, filters)
    chart_with_data(
        lambda: charts.pipeline_bars(pipeline, lang()), pipeline, filters, name="cooperation-pipeline"
    )
with right:
    events_table()

st.subheader(t("cooperation.section.timeline"))
chart_with_data(
    lambda: charts.agreement_timeline(story, lang()), story.agreements, filters, name="cooperation-timeline"
)
for _, milestone in story.milestones.iterrows():
    st.markdown(
        t(
            "cooperation.milestone.caption",
            label=charts.milestone_text(milestone, lang()),
            source="; ".join(citation_link(source, lang()) for source in milestone["sources"]),
        )
    )
st.caption(t("cooperation.timeline.how_to_read"))

st.subheader(t("cooperation.section.details"))
details = cached(agreement_details, filters)
dates = ["stage_since", "proposed_on", "signed_on", "expires_on"]
table = details.assign(
    profile="profile?center=" + details["center_code"].astype(str),
    stage_label=[
        stage_text(stage, bool(published), lang())
        for stage, published in zip(details["stage"], details["later_stages_published"], strict=True)
    ],
    data_label=details["is_demo"].map(lambda demo: charts.data_label(bool(demo), lang())),
    # dd/mm/yyyy, and "—" for a date not known yet (a null date cell would read "None")
    **{column: details[column].map(day) for column in dates},
)
# a real contract whose term the source did not publish says so, instead of an open-ended "—"
table["expires_on"] = [
    term_text(expires, bool(published), lang())
    for expires, published in zip(details["expires_on"], details["term_published"], strict=True)
]
shown = table[
    [
        "profile",
        f"province_{lang()}",
        "stage_label",
        *dates,
        f"scope_{lang()}",
        "data_label",
        f"source_label_{lang()}",
    ]
]
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(table), 600),
    column_config={
        "profile": st.column_config.LinkColumn(t("cooperation.column.center"), display_text=r"center=(.+)$"),
        f"province_{lang()}": t("cooperation.column.province"),
        "stage_label": t("cooperation.column.stage"),
        **{column: t(f"cooperation.column.{column}") for column in dates},
        f"scope_{lang()}": st.column_config.TextColumn(t("cooperation.column.scope"), width="large"),
        "data_label": t("cooperation.column.data"),
        f"source_label_{lang()}": t("cooperation.column.source"),
    },
)
st.caption(t("cooperation.details.help"))
real_sources(details)
csv_download(
    details.drop(columns=["center_id"]), filters, "cooperation-agreements", key="csv-cooperation-agreements"
)

st.subheader(t("cooperation.section.scope"))
matrix = cached(scope_matrix, filters)
chart_with_data(lambda: charts.scope_heatmap(matrix, lang()), matrix, filters, name="cooperation-scope")
st.caption(t("cooperation.scope.how_to_read"))
