"""Charts of the Cooperation page: pipeline, the agreements' timeline with the real events marked, scope.

Pure builders, like ui/charts.py: rows a service returned and the language in, an Altair chart out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import altair as alt
import pandas as pd

from services.chart_specs import stage_color_scale
from services.cooperation import EVENT_KINDS, STAGE_ORDER, Timeline, stage_text
from services.i18n import format_day, translate
from ui.charts import STAGE_COLORS, _guard, stage_label

REAL_COLOR = "#B71C1C"  # the real (not demo) facts: Ha Long, 14/06/2024
DEMO_EVENT_COLOR = "#546E7A"
OUTSIDE_COLOR = "#ECEFF1"
UNPUBLISHED_COLOR = "#FFF8E1"  # a real contract's scope nobody published: no field claimed, none denied
INK = "#1B2A41"
KIND_SHAPES = {"conference": "circle", "signing": "diamond", "training": "triangle-up", "audit": "square"}
DATE_FORMAT = "%d/%m/%Y"
ROW_HEIGHT = 30
TOP_BLANK = (" ", "  ")
BOTTOM_BLANK = "   "


def row_labels(frame: pd.DataFrame, lang: str) -> pd.Series:
    """``★ TTKT-31 · Hải Phòng``: the center and its province; the star marks a real agreement."""
    star = frame["is_demo"].astype(bool).map({True: "", False: "★ "})
    return star + frame["center_code"].astype(str) + " · " + frame[f"province_{lang}"].astype(str)


def data_label(is_demo: bool, lang: str) -> str:
    return translate("cooperation.data.demo" if is_demo else "cooperation.data.real", lang)


def kind_label(kind: str, lang: str) -> str:
    return translate(f"cooperation.kind.{kind}", lang)


def milestone_lines(milestone: pd.Series | dict, lang: str) -> list[str]:
    """What a real event day says, first line ``14/06/2024 · Hạ Long: ký hợp đồng IMTS – Hải Phòng``."""
    kinds = str(milestone["kinds"]).split(",")
    parts: list[str] = []
    if "signing" in kinds:
        parts += [
            translate("cooperation.milestone.signing", lang, parties=parties)
            for parties in str(milestone[f"signing_parties_{lang}"]).split("; ")
            if parties
        ]
    if "conference" in kinds:
        parts.append(translate("cooperation.milestone.conference", lang))
    if not parts:  # a real training or audit: its own title says it
        parts.append(str(milestone[f"titles_{lang}"]))
    city = str(milestone[f"place_{lang}"]).split(",")[0].strip()
    return [f"{format_day(milestone['held_on'], lang)} · {city}: {parts[0]}", *parts[1:]]


def milestone_text(milestone: pd.Series | dict, lang: str) -> str:
    """The whole annotation on one line, for captions and alt text."""
    lines = milestone_lines(milestone, lang)
    return lines[0] + "".join(f" ({line})" for line in lines[1:])


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series)


def pipeline_bars(pipeline: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Agreements per stage, top to bottom in the order they move through, each bar labelled with its count."""
    data = _guard(pipeline).copy()
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang))
    order = [stage_label(s, lang) for s in STAGE_ORDER]
    agreements = translate("cooperation.column.agreements", lang)
    stage_title = translate("cooperation.column.stage", lang)
    base = alt.Chart(data, title=translate("cooperation.chart.pipeline", lang)).encode(
        y=alt.Y("stage_label:N", title=None, sort=order, axis=alt.Axis(labelLimit=200, labelFontSize=15)),
        x=alt.X(
            "agreements:Q",
            title=agreements,
            axis=alt.Axis(tickMinStep=1),
            scale=alt.Scale(domainMax=max(1, int(data["agreements"].max() if len(data) else 0)) * 1.15),
        ),
        tooltip=[
            alt.Tooltip("stage_label:N", title=stage_title),
            alt.Tooltip("agreements:Q", title=agreements),
        ],
    )
    bars = base.mark_bar(cornerRadiusTopRight=3, cornerRadiusBottomRight=3).encode(
        color=alt.Color(
            "stage_label:N",
            legend=None,
            scale=stage_color_scale(lang),
        ),
    )
    counts = base.mark_text(align="left", dx=6, fontSize=16, fontWeight="bold", color=INK).encode(
        text="agreements:Q"
    )
    return (bars + counts).properties(height=alt.Step(48))


@dataclass(frozen=True)
class _TimelineFrames:
    """What each layer of the timeline draws, in the language, dates as timestamps."""

    segments: pd.DataFrame  # one row per stage an agreement passed through
    rows: pd.DataFrame  # one row per agreement
    events: pd.DataFrame
    milestones: pd.DataFrame  # the real facts
    order: list[str]  # the rows top to bottom, blank rows included


@dataclass(frozen=True)
class _TimeAxis:
    """The date axis every layer shares, and the agreement rows."""

    first: pd.Timestamp
    last: pd.Timestamp
    y: alt.Y
    title: str

    def x(self, column: str) -> alt.X:
        return alt.X(
            f"{column}:T",
            title=self.title,
            scale=alt.Scale(domain=[self.first.isoformat(), self.last.isoformat()]),
            axis=alt.Axis(
                format="%m/%Y",
                labelAngle=0,
                tickCount="month"
                if self.last - self.first < timedelta(days=500)
                else {"interval": "month", "step": 3},
            ),
        )


def agreement_timeline(data: Timeline, lang: str) -> alt.LayerChart:
    """Gantt-like: one row per agreement, bars colored by stage; events on the top row; real events ruled."""
    frames = _timeline_frames(data, lang)
    axis = _time_axis(frames, data, lang)
    layers = [
        *_agreement_layers(frames, axis, lang),
        _event_layer(frames.events, axis, lang),
        *_as_of_layers(data, axis, lang),
        *_milestone_layers(frames.milestones, axis, lang),
    ]
    return (
        alt.layer(*layers, title=translate("cooperation.chart.timeline", lang))
        .resolve_scale(color="independent", shape="independent", size="independent", opacity="independent")
        .properties(height=alt.Step(ROW_HEIGHT))
    )


def _timeline_frames(data: Timeline, lang: str) -> _TimelineFrames:
    """The service's rows labelled in the language, cut to the columns the layers draw."""
    rows = _guard(data.agreements).copy()
    segments = _guard(data.segments).copy()
    events = _guard(data.events).copy()
    milestones = _guard(data.milestones).copy()
    lane = translate("cooperation.timeline.events_lane", lang)
    rows["row"] = row_labels(rows, lang)
    by_agreement = rows.set_index("agreement_id")["row"]
    segments["row"] = segments["agreement_id"].map(by_agreement)
    events["row"] = lane
    # blank rows: two above the events for the real facts' words, one below for the "as of" label
    order = [TOP_BLANK[0], TOP_BLANK[1], lane, *rows["row"], BOTTOM_BLANK]

    segments["stage_label"] = segments["stage"].map(lambda s: stage_label(s, lang))
    rows["stage_label"] = [
        stage_text(stage, bool(published), lang)
        for stage, published in zip(rows["stage"], rows["later_stages_published"], strict=True)
    ]
    segments["period"] = segments["planned"].map(
        lambda planned: translate(
            "cooperation.timeline.planned" if planned else "cooperation.timeline.happened", lang
        )
    )
    events["kind_label"] = events["kind"].map(lambda k: kind_label(k, lang))
    events["data_label"] = events["is_demo"].map(lambda demo: data_label(bool(demo), lang))
    events["title"] = events[f"title_{lang}"]
    events["place"] = events[f"place_{lang}"]
    milestones["label"] = ["\n".join(milestone_lines(m, lang)) for _, m in data.milestones.iterrows()]
    milestones["text"] = [milestone_text(m, lang) for _, m in data.milestones.iterrows()]
    # only what each layer draws goes into the spec, dates as timestamps
    segments = segments[["row", "stage_label", "start_on", "end_on", "planned", "period"]]
    rows = rows[["row", "stage_label", "proposed_on", "signed_on", "end_on"]]
    events["participants_text"] = events[f"participants_{lang}"]
    events = events[
        ["row", "held_on", "kind_label", "data_label", "title", "place", "participants_text", "is_demo"]
    ]
    milestones = milestones[["held_on", "label", "text"]]
    for frame, columns in (
        (segments, ("start_on", "end_on")),
        (rows, ("proposed_on", "signed_on", "end_on")),
        (events, ("held_on",)),
        (milestones, ("held_on",)),
    ):
        for column in columns:
            frame[column] = _dates(frame[column])
    return _TimelineFrames(segments=segments, rows=rows, events=events, milestones=milestones, order=order)


def _time_axis(frames: _TimelineFrames, data: Timeline, lang: str) -> _TimeAxis:
    """From a little before the first start to the latest end or the day viewed, with room after."""
    as_of = pd.Timestamp(data.as_of)
    starts = pd.concat(
        [frames.segments["start_on"], frames.rows["proposed_on"], frames.events["held_on"]]
    ).dropna()
    ends = pd.concat([frames.rows["end_on"], pd.Series([as_of])]).dropna()
    first = (starts.min() if not starts.empty else as_of - timedelta(days=365)) - timedelta(days=45)
    last = ends.max()
    last = last + (last - first) * 0.14  # room for the stage written after each bar
    y = alt.Y(
        "row:N",
        sort=frames.order,
        scale=alt.Scale(domain=frames.order),
        title=translate("cooperation.axis.agreement", lang),
        axis=alt.Axis(labelLimit=260, labelFontSize=14),
    )
    return _TimeAxis(first=first, last=last, y=y, title=translate("cooperation.axis.date", lang))


def _agreement_layers(frames: _TimelineFrames, axis: _TimeAxis, lang: str) -> list[alt.Chart]:
    """Each agreement's stages as bars, a diamond where it was signed, its stage written after it."""
    stage_title = translate("cooperation.column.stage", lang)
    center_title = translate("cooperation.column.center", lang)
    x, y, rows = axis.x, axis.y, frames.rows
    bars = (
        alt.Chart(frames.segments)
        .mark_bar(height=18, cornerRadius=2)
        .encode(
            x=x("start_on"),
            x2="end_on:T",
            y=y,
            color=alt.Color(
                "stage_label:N",
                title=stage_title,
                scale=stage_color_scale(lang),
                legend=alt.Legend(orient="bottom", columns=6),
            ),
            opacity=alt.condition("datum.planned", alt.value(0.35), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("row:N", title=center_title),
                alt.Tooltip("stage_label:N", title=stage_title),
                alt.Tooltip(
                    "start_on:T", title=translate("cooperation.timeline.from", lang), format=DATE_FORMAT
                ),
                alt.Tooltip("end_on:T", title=translate("cooperation.timeline.to", lang), format=DATE_FORMAT),
                alt.Tooltip("period:N", title=translate("cooperation.timeline.period", lang)),
            ],
        )
    )
    signed = (
        alt.Chart(rows[rows["signed_on"].notna()])
        .mark_point(shape="diamond", filled=True, size=150, color=INK, opacity=1)
        .encode(
            x=x("signed_on"),
            y=y,
            tooltip=[
                alt.Tooltip("row:N", title=center_title),
                alt.Tooltip(
                    "signed_on:T",
                    title=translate("cooperation.timeline.signed_marker", lang),
                    format=DATE_FORMAT,
                ),
            ],
        )
    )
    stage_words = (
        alt.Chart(rows)
        .mark_text(align="left", dx=8, fontSize=13, color=INK)
        .encode(
            x=x("end_on"),
            y=y,
            text="stage_label:N",
        )
    )
    return [bars, signed, stage_words]


def _event_layer(events: pd.DataFrame, axis: _TimeAxis, lang: str) -> alt.Chart:
    """The events on their own row, shaped by kind, the real ones in the real facts' color."""
    kinds = [kind_label(k, lang) for k in EVENT_KINDS]
    data_kinds = [data_label(False, lang), data_label(True, lang)]
    return (
        alt.Chart(events)
        .mark_point(filled=True, opacity=0.9)
        .encode(
            x=axis.x("held_on"),
            y=axis.y,
            shape=alt.Shape(
                "kind_label:N",
                title=translate("cooperation.timeline.event_kind", lang),
                scale=alt.Scale(domain=kinds, range=[KIND_SHAPES[k] for k in EVENT_KINDS]),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            color=alt.Color(
                "data_label:N",
                title=translate("cooperation.timeline.data_kind", lang),
                scale=alt.Scale(domain=data_kinds, range=[REAL_COLOR, DEMO_EVENT_COLOR]),
                legend=alt.Legend(orient="top", direction="horizontal"),
            ),
            size=alt.condition("datum.is_demo", alt.value(110), alt.value(260)),
            tooltip=[
                alt.Tooltip(
                    "held_on:T", title=translate("cooperation.column.date", lang), format=DATE_FORMAT
                ),
                alt.Tooltip("title:N", title=translate("cooperation.column.event", lang)),
                alt.Tooltip("place:N", title=translate("cooperation.column.place", lang)),
                alt.Tooltip("kind_label:N", title=translate("cooperation.column.kind", lang)),
                alt.Tooltip("participants_text:N", title=translate("cooperation.column.participants", lang)),
                alt.Tooltip("data_label:N", title=translate("cooperation.timeline.data_kind", lang)),
            ],
        )
    )


def _as_of_layers(data: Timeline, axis: _TimeAxis, lang: str) -> list[alt.Chart]:
    """A dashed rule at the day viewed, its date written on the blank bottom row."""
    today = pd.DataFrame(
        {
            "on": [pd.Timestamp(data.as_of)],
            "row": [BOTTOM_BLANK],
            "label": [translate("cooperation.timeline.as_of_rule", lang, date=format_day(data.as_of, lang))],
        }
    )
    as_of_rule = alt.Chart(today).mark_rule(color="#78909C", strokeDash=[2, 3]).encode(x=axis.x("on"))
    as_of_text = (
        alt.Chart(today)
        .mark_text(align="right", dx=-4, fontSize=12, color="#546E7A")
        .encode(x=axis.x("on"), y=axis.y, text="label:N")
    )
    return [as_of_rule, as_of_text]


def _milestone_layers(milestones: pd.DataFrame, axis: _TimeAxis, lang: str) -> list[alt.Chart]:
    """The real facts: a rule across every row and the words beside it, above the events row."""
    span = (axis.last - axis.first).total_seconds() or 1.0
    milestones = milestones.assign(
        align=milestones["held_on"].map(
            lambda on: "left" if (on - axis.first).total_seconds() / span < 0.55 else "right"
        )
    )
    real_rule = (
        alt.Chart(milestones)
        .mark_rule(color=REAL_COLOR, strokeWidth=2.5, strokeDash=[7, 4])
        .encode(
            x=axis.x("held_on"),
            tooltip=[alt.Tooltip("text:N", title=translate("cooperation.data.real", lang))],
        )
    )
    layers = [real_rule]
    sides: tuple[tuple[Literal["left", "right"], int], ...] = (("left", 8), ("right", -8))
    for align, dx in sides:
        layers.append(
            alt.Chart(milestones[milestones["align"] == align])
            .mark_text(
                align=align,
                baseline="top",
                dx=dx,
                fontSize=15,
                fontWeight="bold",
                color=REAL_COLOR,
                lineHeight=19,
                lineBreak="\n",
            )
            .encode(x=axis.x("held_on"), y=alt.value(4), text=alt.Text("label:N"))
        )
    return layers


def scope_heatmap(matrix: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Agreement (center) × measurement field; a ✓ cell is covered, colored by the agreement's stage.

    A real contract whose scope was not published gets "?" cells: it covers no field as far as anyone
    may say, and none is shown as left out either.
    """
    data = _guard(matrix).copy()
    data["stage_label"] = data["stage"].map(lambda s: stage_label(s, lang))
    data["row"] = row_labels(data, lang) + " — " + data["stage_label"]
    outside = translate("cooperation.scope.outside", lang)
    unpublished = translate("cooperation.scope.unpublished", lang)
    published = data["scope_published"].astype(bool)
    data["cell"] = data["stage_label"].where(data["in_scope"], outside).where(published, unpublished)
    data["tick"] = data["in_scope"].map({True: "✓", False: ""}).where(published, "?")
    data["covered"] = (
        data["in_scope"]
        .map({True: translate("cooperation.scope.in_scope", lang), False: outside})
        .where(published, unpublished)
    )
    field_column = f"field_name_{lang}"
    fields = list(data.sort_values("field_order")[field_column].drop_duplicates())
    rows = list(dict.fromkeys(data["row"]))
    stage_order = [stage_label(s, lang) for s in STAGE_ORDER]
    field_title = translate("cooperation.axis.field", lang)
    center_title = translate("cooperation.column.center", lang)
    base = alt.Chart(data, title=translate("cooperation.chart.scope", lang)).encode(
        x=alt.X(
            f"{field_column}:N",
            title=field_title,
            sort=fields,
            axis=alt.Axis(labelAngle=-35, labelLimit=220, labelOverlap=False, orient="top"),
        ),
        # the row labels say what they are (center · province — stage); a title would sit on them
        y=alt.Y("row:N", title=None, sort=rows, axis=alt.Axis(labelLimit=340, labelOverlap=False)),
        tooltip=[
            alt.Tooltip("row:N", title=center_title),
            alt.Tooltip(f"{field_column}:N", title=field_title),
            alt.Tooltip("covered:N", title=translate("cooperation.column.scope", lang)),
            alt.Tooltip("stage_label:N", title=translate("cooperation.column.stage", lang)),
        ],
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "cell:N",
            title=translate("cooperation.column.stage", lang),
            scale=alt.Scale(
                domain=[*stage_order, outside, unpublished],
                range=[*(STAGE_COLORS[s] for s in STAGE_ORDER), OUTSIDE_COLOR, UNPUBLISHED_COLOR],
            ),
            legend=alt.Legend(orient="bottom", columns=7),
        ),
    )
    ticks = base.mark_text(fontSize=16, fontWeight="bold").encode(
        text="tick:N", color=alt.condition(alt.datum.tick == "?", alt.value(INK), alt.value("white"))
    )
    return (cells + ticks).properties(height=alt.Step(ROW_HEIGHT))
