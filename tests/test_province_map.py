"""The province map: one shape per province of the country (the national spec, whose northern rows
are the northern network's), merged shapes that cover their predecessors, a northern database
drawing only its own provinces, and the overview's choropleth checked against independent SQL."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services.boundaries import BOUNDARIES_FILE, province_features
from services.cooperation import STAGE_ORDER
from services.filters import Boundaries, Filters
from services.i18n import translate
from services.kpis import kpi_summary
from services.province_map import MapMeasure, province_measures
from tests.conftest import SEED_DAY
from tests.page_support import PROJECT_ROOT, open_page
from tools.boundaries import CAPITAL_SLACK, TOLERANCE

SPEC = PROJECT_ROOT / "data" / "spec" / "national" / "provinces.csv"
NORTHERN_SPEC = PROJECT_ROOT / "data" / "spec" / "provinces.csv"
NAMES = PROJECT_ROOT / "data" / "boundaries" / "natural_earth_names.csv"


def spec_rows(path: object = SPEC) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as handle:  # type: ignore[attr-defined]
        return {row["key"]: row for row in csv.DictReader(handle)}


def file_features() -> list[dict]:
    return json.loads(BOUNDARIES_FILE.read_text(encoding="utf-8"))["features"]


PROVINCES = spec_rows()
KEYS_2024 = {key for key, row in PROVINCES.items() if not row["valid_from"]}
KEYS_2025 = {key for key, row in PROVINCES.items() if not row["valid_to"]}
NORTH_2024 = {
    key for key, row in spec_rows(NORTHERN_SPEC).items() if not row["valid_from"]
}  # the app database's
NORTH_2025 = {key for key, row in spec_rows(NORTHERN_SPEC).items() if not row["valid_to"]}


def test_the_spec_has_63_provinces_before_the_merger_and_34_after() -> None:
    assert (len(KEYS_2024), len(KEYS_2025)) == (63, 34)
    northern = spec_rows(NORTHERN_SPEC)
    assert sum(not row["valid_from"] for row in northern.values()) == 25
    assert sum(not row["valid_to"] for row in northern.values()) == 15
    assert all(PROVINCES[key] == row for key, row in northern.items())  # the north is the same in both


def test_every_province_of_the_spec_has_exactly_one_shape_and_no_shape_is_unmapped() -> None:
    keys = [feature["properties"]["key"] for feature in file_features()]
    assert len(keys) == len(set(keys)), "a province has two shapes"
    assert set(keys) == KEYS_2024 | KEYS_2025
    for feature in file_features():
        key, properties = feature["properties"]["key"], feature["properties"]
        assert properties["code"] == PROVINCES[key]["code"]
        assert properties["before_merger"] == (key in KEYS_2024)
        assert properties["after_merger"] == (key in KEYS_2025)
    for boundaries, expected in ((Boundaries.BEFORE_MERGER, KEYS_2024), (Boundaries.AFTER_MERGER, KEYS_2025)):
        drawn = [f["properties"]["key"] for f in province_features(Filters(boundaries=boundaries))]
        assert sorted(drawn) == sorted(expected)


def test_each_natural_earth_name_maps_to_one_2024_province() -> None:
    with NAMES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    mapped = [row["province_key"] for row in rows]
    assert sorted(mapped) == sorted(KEYS_2024)
    assert len({row["ne_name"] for row in rows}) == len(rows)


def test_each_capital_lies_in_its_own_province() -> None:
    shapes = {f["properties"]["key"]: shape(f["geometry"]) for f in file_features()}
    for key, row in PROVINCES.items():
        capital = Point(float(row["lon"]), float(row["lat"]))
        # a coastal capital may sit a simplification step outside the simplified coast; Natural
        # Earth puts Cần Thơ's centre just over its border with Hậu Giang (tools/boundaries.py)
        slack = CAPITAL_SLACK.get(key) or CAPITAL_SLACK.get(row["successor_key"]) or 0.0
        assert shapes[key].distance(capital) <= max(2 * TOLERANCE, slack), row["name_en"]
        if slack:
            continue
        others = [
            other
            for other, s in shapes.items()
            if other != key
            and s.contains(capital)
            and (other in KEYS_2024) == (key in KEYS_2024)
            and (other in KEYS_2025) == (key in KEYS_2025)
        ]
        assert not others, f"{row['name_en']}'s capital also lies in {others}"


def test_each_merged_province_covers_exactly_its_predecessors() -> None:
    shapes = {f["properties"]["key"]: shape(f["geometry"]) for f in file_features()}
    for key in sorted(KEYS_2025 - KEYS_2024):
        predecessors = [old for old, row in PROVINCES.items() if row["successor_key"] == key]
        assert len(predecessors) >= 2, key
        union = unary_union([shapes[old] for old in predecessors])
        # at most a band as wide as the simplification's tolerance along the outline (the shapes
        # share their simplified borders, so in fact only rounding slivers)
        assert shapes[key].symmetric_difference(union).area <= TOLERANCE * union.length, key
        assert shapes[key].area == pytest.approx(sum(shapes[old].area for old in predecessors), rel=1e-3)


def test_label_points_lie_inside_their_province() -> None:
    for feature in file_features():
        properties = feature["properties"]
        assert shape(feature["geometry"]).contains(Point(properties["label_lon"], properties["label_lat"]))


def test_the_boundaries_file_is_small() -> None:
    assert BOUNDARIES_FILE.stat().st_size < 300_000


def test_a_database_of_the_north_draws_only_its_own_provinces() -> None:
    from services.map_chart import map_features

    northern = spec_rows(NORTHERN_SPEC)
    keys = sorted(key for key, row in northern.items() if not row["valid_from"])
    measures = pd.DataFrame(
        {
            "key": keys,
            "name_vi": keys,
            "name_en": keys,
            "equipment": 1,
            "chosen": False,
            "in_date_share": 0.5,
            "gaps": 0,
            "stage": "",
        }
    )
    features = province_features(Filters(boundaries=Boundaries.BEFORE_MERGER))
    assert len(features) == 63
    drawn = map_features(features, measures, MapMeasure.IN_DATE, "vi")
    assert sorted(f["properties"]["key"] for f in drawn) == keys


# ------------------------------------------------------------------ the overview's choropleth


def sql_in_date_shares(url: str, *, merged: bool, day: date = SEED_DAY) -> dict[str, float]:
    """Per province code: equipment within calibration date (in date or due soon) over all counted,
    straight from SQL. A center closed by the merger counts at its successor; after the merger a
    2024 province counts in the province it merged into."""
    region = "COALESCE(p.successor_key, p.key)" if merged else "p.key"
    query = f"""
        SELECT r.code, COUNT(*), SUM(CASE WHEN e.next_due_on >= :today THEN 1 ELSE 0 END)
        FROM equipment e
        JOIN center c ON c.id = e.center_id
        LEFT JOIN center succ ON succ.id = c.successor_id AND c.active_to < :today
        JOIN province p ON p.key = COALESCE(succ.province_key, c.province_key)
        JOIN province r ON r.key = {region}
        WHERE NOT EXISTS (SELECT 1 FROM equipment_status_period p WHERE p.equipment_id = e.id AND p.status = 'retired' AND p.start_on <= :today) AND e.acquired_on <= :today
        GROUP BY r.code
    """
    with create_engine(url).connect() as connection:
        rows = connection.execute(text(query), {"today": day.isoformat()}).all()
    return {code: in_date / total for code, total, in_date in rows}


def map_layers(app) -> list[dict]:  # type: ignore[no-untyped-def]
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        layers = spec.get("layer", [])
        if any((layer.get("mark") or {}).get("type") == "geoshape" for layer in layers):
            return layers
    raise AssertionError("no geoshape chart on the page")


def coloured_values(layers: list[dict]) -> dict[str, object]:
    """Province code → the value its fill encodes, from the layer with a color encoding."""
    layer = next(
        layer
        for layer in layers
        if layer["mark"]["type"] == "geoshape" and "color" in layer.get("encoding", {})
    )
    return {f["properties"]["code"]: f["properties"]["value"] for f in layer["data"]["values"]}


@pytest.mark.date_sensitive
@pytest.mark.parametrize(
    ("boundaries", "expected"), [("before_merger", NORTH_2024), ("after_merger", NORTH_2025)]
)
def test_overview_map_draws_one_shape_per_province_coloured_by_in_date_share_as_sql_counts(
    app_database: str, boundaries: str, expected: set[str]
) -> None:
    app = open_page(boundaries=boundaries)
    layers = map_layers(app)
    every = layers[0]
    assert every["mark"]["type"] == "geoshape"
    assert sorted(f["properties"]["key"] for f in every["data"]["values"]) == sorted(expected)
    shares = sql_in_date_shares(app_database, merged=boundaries == "after_merger")
    values = coloured_values(layers)
    assert set(values) == set(shares), "provinces with equipment are coloured, the others pale"
    for code, share in shares.items():
        assert values[code] == pytest.approx(share), code
    labels = next(layer for layer in layers if layer["mark"]["type"] == "text")
    assert sorted(v["name"] for v in labels["data"]["values"]) == sorted(
        PROVINCES[key]["name_vi"] for key in expected
    )


def test_the_map_measure_comes_from_the_url_and_goes_back_to_it(app_database: str) -> None:
    app = open_page(map="gaps", boundaries="after_merger")
    assert "Khoảng trống kiểm định" in json.dumps(map_layers(app), ensure_ascii=False)
    values = coloured_values(map_layers(app))
    assert set(values) == {PROVINCES[key]["code"] for key in NORTH_2025}  # zero gaps is a value too
    assert all(isinstance(v, int) for v in values.values())
    app.button_group(key="overview_map_measure").set_value("stage").run()
    assert app.query_params["map"] in ("stage", ["stage"])
    stages = coloured_values(map_layers(app))
    words = {translate(f"stage.{stage}", "vi") for stage in STAGE_ORDER} | {
        translate("map.no_agreement", "vi")
    }
    assert len(stages) == 15 and set(stages.values()) <= words
    app.button_group(key="overview_map_measure").set_value("in_date").run()
    assert "map" not in app.query_params


def test_the_map_shares_equal_the_kpi_card_of_each_province(app_database: str) -> None:
    engine = create_engine(app_database)
    filters = Filters(as_of=SEED_DAY, boundaries=Boundaries.AFTER_MERGER)
    with Session(engine) as session:
        measures = province_measures(session, filters)
        for row in measures.itertuples():
            card = kpi_summary(session, replace(filters, province=row.code))
            assert row.equipment == card.equipment, row.code
            if row.equipment:
                assert row.in_date_share == pytest.approx(card.in_date_share), row.code
            assert row.gaps == card.gaps, row.code


def test_the_overview_heat_map_labels_every_province_and_type(app_database: str) -> None:
    app = open_page(boundaries="before_merger")
    heat = next(
        json.loads(c.proto.spec)
        for c in app.get("vega_lite_chart")
        if json.loads(c.proto.spec).get("mark", {}).get("type") == "rect"
    )
    assert heat["encoding"]["y"]["axis"]["labelOverlap"] is False
    assert heat["encoding"]["x"]["axis"]["labelOverlap"] is False
    assert heat["height"] == {"step": 24}  # a band per province, whatever the column is tall
    assert isinstance(heat["title"]["text"], list)  # wrapped, not cut off


@pytest.mark.parametrize(
    ("boundaries", "expected"), [("before_merger", NORTH_2024), ("after_merger", NORTH_2025)]
)
def test_the_map_slide_for_pdf_and_pptx_draws_the_same_provinces(
    app_database: str, boundaries: str, expected: set[str]
) -> None:
    from services.slides import build_slide

    with Session(create_engine(app_database)) as session:
        slide = build_slide(
            session, Filters(as_of=SEED_DAY, boundaries=Boundaries(boundaries)), key="map", lang="en"
        )
    chart = slide.chart()
    assert chart is not None
    layers = chart.to_dict()["layer"]
    assert sorted(f["properties"]["key"] for f in layers[0]["data"]["values"]) == sorted(expected)
    shares = sql_in_date_shares(app_database, merged=boundaries == "after_merger")
    assert coloured_values(layers) == pytest.approx(shares)
