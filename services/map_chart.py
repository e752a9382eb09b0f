"""The province map as an Altair spec: real boundaries filled by a measure, centers on top.

One builder serves the overview page and the exports (presenter slide, PDF, PPTX), so they draw
the same map; ``for_slides`` only changes type and point sizes. Shapes and labels travel inline in
the spec (``alt.Data(values=...)``): no tiles, no URL, so Streamlit and vl-convert draw it offline.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd

from services.boundaries import features_for_keys
from services.chart_specs import INK, SLIDE_HEIGHT, STAGE_COLORS, _guard, presenter_config, stage_label
from services.i18n import format_number, format_percentage, translate
from services.province_map import STAGE_PRECEDENCE, MapMeasure

NO_DATA = "#E3E7EC"  # a province with nothing to show (no equipment): pale, not white
BORDER = "#FFFFFF"
HIGHLIGHT = "#D81B60"
POINT_COLOR = "#1B2A41"


class _Shapes:
    """Features Altair carries into the spec as they are.

    Altair deep-copies a chart's inline rows on every ``layer``, ``project`` and ``properties``
    and walks them value by value in ``to_dict``: for the boundaries (tens of thousands of
    coordinates, three layers) that was most of the map's cost, on screen and in every export.
    An object with ``to_dict`` and ``_schema`` (Altair's ``SchemaLike``) is neither copied nor
    walked: ``to_dict`` hands the list over, and a validating ``to_dict`` still checks it.
    """

    _schema = {"type": "array"}

    def __init__(self, features: list[dict[str, Any]]) -> None:
        self.features = features

    def to_dict(self, *_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
        return self.features


def _shapes(features: list[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=_Shapes(features))


def measure_title(measure: MapMeasure, lang: str) -> str:
    return translate(f"map.title.{measure.value}", lang)


def _value(measure: MapMeasure, row: pd.Series, lang: str) -> tuple[object, str]:
    """What the province is coloured by (None: drawn pale) and how the tooltip writes it."""
    if measure is MapMeasure.IN_DATE:
        share = row["in_date_share"]
        if share is None:
            return None, translate("map.no_equipment", lang)
        return float(share), format_percentage(float(share), lang, 1)
    if measure is MapMeasure.GAPS:
        return int(row["gaps"]), format_number(int(row["gaps"]), lang)
    label = stage_label(row["stage"], lang) if row["stage"] else translate("map.no_agreement", lang)
    return label, label


def map_features(
    features: list[dict[str, Any]], measures: pd.DataFrame, measure: MapMeasure, lang: str
) -> list[dict[str, Any]]:
    """The boundaries' features with the province's name, value and value text in their properties:
    those of the database's provinces (the file holds the whole country; a northern database draws the north)."""
    rows = measures.set_index("key")
    features = [feature for feature in features if feature["properties"]["key"] in rows.index]
    for feature in features:
        row = rows.loc[feature["properties"]["key"]]
        value, text = _value(measure, row, lang)
        feature["properties"].update(
            {
                "name": row[f"name_{lang}"],
                "value": value,
                "value_text": text,
                "equipment": int(row["equipment"]),
                "chosen": bool(row["chosen"]),
            }
        )
    return features


def _color(measure: MapMeasure, values: list[Any], lang: str) -> alt.Color:
    title = translate(f"map.legend.{measure.value}", lang)
    if measure is MapMeasure.IN_DATE:
        # from the nearest 5 % below the lowest share up to 100 %, so the differences show
        low = min(math.floor(min(values, default=0.0) * 20) / 20, 0.95)
        return alt.Color(
            "properties.value:Q",
            title=title,
            scale=alt.Scale(scheme="greens", domain=[low, 1.0]),
            legend=alt.Legend(format=".0%", gradientLength=220),
        )
    if measure is MapMeasure.GAPS:
        return alt.Color(
            "properties.value:Q",
            title=title,
            scale=alt.Scale(scheme="orangered", domain=[0, max([1, *values])]),
            legend=alt.Legend(format="d", gradientLength=220, tickMinStep=1),
        )
    stages = [s for s in STAGE_PRECEDENCE if stage_label(s, lang) in values]
    none = translate("map.no_agreement", lang)
    return alt.Color(
        "properties.value:N",
        title=title,
        scale=alt.Scale(
            domain=[stage_label(s, lang) for s in stages] + [none],
            range=[STAGE_COLORS[s] for s in stages] + [NO_DATA],
        ),
    )


def province_map(
    features: list[dict[str, Any]],
    measures: pd.DataFrame,
    points: pd.DataFrame,
    measure: MapMeasure,
    lang: str,
    *,
    for_slides: bool = False,
) -> alt.LayerChart | alt.FacetChart:
    """Provinces coloured by ``measure`` (pale where it has no value), centers sized by equipment.

    ``features``: the boundaries' GeoJSON features, one per row of ``measures``
    (``services.province_map.province_measures``, matched on ``key``; its ``chosen`` province is
    outlined); ``points``: ``services.overview.center_points`` rows.
    """
    shaped = map_features(features, _guard(measures), measure, lang)
    layers = [
        *_province_layers(shaped, measure, lang, for_slides=for_slides),
        *_center_layer(_guard(points), lang, for_slides=for_slides),
        *_name_layers(shaped, for_slides=for_slides),
    ]
    chart = alt.layer(*layers).project(type="mercator")
    # on a slide the measure is said in the subtitle, over the chart
    if for_slides:
        return chart
    return chart.properties(
        title=alt.Title(
            measure_title(measure, lang),
            subtitle=translate("map.subtitle", lang),
            subtitleFontSize=14,
            subtitleColor="#455A64",
        )
    )


def _province_layers(
    shaped: list[dict[str, Any]], measure: MapMeasure, lang: str, *, for_slides: bool
) -> list[alt.Chart]:
    """Every province pale, those with a value coloured over it, the chosen one outlined."""
    coloured = [f for f in shaped if f["properties"]["value"] is not None]
    value_title = translate(f"map.legend.{measure.value}", lang)
    tooltip = [
        alt.Tooltip("properties.name:N", title=translate("label.province", lang)),
        alt.Tooltip("properties.value_text:N", title=value_title),
        alt.Tooltip("properties.equipment:Q", title=translate("label.equipment_count", lang), format=",d"),
    ]
    layers: list[alt.Chart] = [
        # every province first, pale: one without a value still shows where it is
        alt.Chart(_shapes(shaped))
        .mark_geoshape(fill=NO_DATA, stroke=BORDER, strokeWidth=1.2)
        .encode(tooltip=tooltip),
    ]
    if coloured:
        layers.append(
            alt.Chart(_shapes(coloured))
            .mark_geoshape(stroke=BORDER, strokeWidth=1.2)
            .encode(
                color=_color(measure, [f["properties"]["value"] for f in coloured], lang), tooltip=tooltip
            )
        )
    chosen = [f for f in shaped if f["properties"]["chosen"]]
    if chosen:
        layers.append(
            alt.Chart(_shapes(chosen)).mark_geoshape(
                filled=False, stroke=HIGHLIGHT, strokeWidth=4 if for_slides else 3
            )
        )
    return layers


def _center_layer(centers: pd.DataFrame, lang: str, *, for_slides: bool) -> list[alt.Chart]:
    """The centers as circles sized by equipment (none when there are none)."""
    if centers.empty:
        return []
    return [
        alt.Chart(centers)
        .mark_circle(color=POINT_COLOR, opacity=0.7, stroke="white", strokeWidth=1)
        .encode(
            longitude="lon:Q",
            latitude="lat:Q",
            size=alt.Size(
                "equipment:Q",
                title=translate("label.equipment_count", lang),
                scale=alt.Scale(range=[40, 900] if for_slides else [25, 500]),
                legend=None if for_slides else alt.Legend(format=",d"),
            ),
            tooltip=[
                alt.Tooltip("code:N", title=translate("label.center", lang)),
                alt.Tooltip(f"name_{lang}:N", title=translate("label.name", lang)),
                alt.Tooltip(f"province_{lang}:N", title=translate("label.province", lang)),
                alt.Tooltip("equipment:Q", title=translate("label.equipment_count", lang), format=",d"),
            ],
        )
    ]


def _name_layers(shaped: list[dict[str, Any]], *, for_slides: bool) -> list[alt.Chart]:
    """Each province's name at its label point, over a white halo."""
    labels = [
        {
            "name": f["properties"]["name"],
            "lon": f["properties"]["label_lon"],
            "lat": f["properties"]["label_lat"],
        }
        for f in shaped
    ]
    # one word a line (most names are two syllables), dark over a white halo: legible on any fill,
    # and narrow enough for the small provinces of the Red River delta
    text: dict[str, Any] = {
        "fontSize": 13 if for_slides else 11,
        "fontWeight": 600,
        "lineBreak": " ",
        "align": "center",
        "baseline": "middle",
        "color": INK,
    }
    halos: tuple[dict[str, Any], ...] = ({"stroke": "white", "strokeWidth": 3, "strokeOpacity": 0.85}, {})
    return [
        alt.Chart(alt.Data(values=labels))
        .mark_text(**text, **halo)
        .encode(longitude="lon:Q", latitude="lat:Q", text="name:N")
        for halo in halos
    ]


def slide_map(
    measures: pd.DataFrame, points: pd.DataFrame, measure: MapMeasure, lang: str
) -> alt.TopLevelMixin:
    """The map for the presenter slide, the PDF and the PPTX: the shapes of ``measures``' provinces."""
    features = features_for_keys(measures["key"].tolist())
    chart = province_map(features, measures, points, measure, lang, for_slides=True)
    return presenter_config(chart.properties(height=SLIDE_HEIGHT + 60))
