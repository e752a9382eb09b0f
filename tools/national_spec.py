"""Write the national demo spec (data/spec/national/) from the administrative list of PyPI's
``vietnamadminunits``: the 63 provinces before 01/07/2025, the 34 after (codes of Decision
19/2025/QĐ-TTg: a new province keeps the code of the province that hosts its seat) and which old
province went into which new one.

Run ``.venv/bin/python -m tools.national_spec`` (the package is in requirements-test.txt; the app
and the seeder read only the generated CSV files, so neither needs it). The 25 northern provinces
and their centers are copied from the northern spec (data/spec/*.csv) unchanged, so both networks
tell the same story in the north; the capitals and populations of the other 38 provinces come from
the hand-written ``province_facts.csv``, the extra labs from ``labs.csv``.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "data" / "spec"
NATIONAL = SPEC / "national"
LAST_OLD_DAY = "2025-06-30"
NEW_FROM = "2025-07-01"
# The cities the demo sizes beyond their population: the industrial and trading hubs.
SIZE_FACTORS = {"01": 2.0, "79": 2.0, "31": 1.5, "48": 1.5, "92": 1.5, "74": 1.5, "75": 1.5}
# The national scale multiplies 63 provincial kits; the two institutes and the labs are the same
# few bodies as in the north and grow far less (VMI keeps a few hundred national standards).
KIND_SIZE_FACTORS = {"national_institute": 0.15, "lab": 0.3}
PROVINCE_COLUMNS = [
    "key",
    "code",
    "name_vi",
    "name_en",
    "capital_vi",
    "lat",
    "lon",
    "population_thousands",
    "valid_from",
    "valid_to",
    "successor_key",
]
CENTER_COLUMNS = [
    "code",
    "name_vi",
    "name_en",
    "kind",
    "province_key",
    "accreditation_no",
    "active_to",
    "successor_code",
    "lat",
    "lon",
    "fields",
    "size_factor",
]
SHORT_NAMES_VI = {"79": "TP. Hồ Chí Minh", "77": "Bà Rịa – Vũng Tàu"}
NAMES_EN = {"79": "Ho Chi Minh City", "77": "Ba Ria – Vung Tau"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def write_csv(path: Path, columns: list[str], rows: Iterable[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def ascii_name(name: str) -> str:
    """The English spelling the northern spec uses: the Vietnamese name without diacritics."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def administrative_lists() -> tuple[list[dict[str, object]], list[dict[str, object]], dict[str, str]]:
    """(63 old provinces, 34 new ones, old code → new code), from the package."""
    from vietnamadminunits.converter.converter_2025 import DICT_PROVINCE
    from vietnamadminunits.database import get_data

    fields = ["provinceCode", "provinceShort", "provinceKey", "provinceLat", "provinceLon"]
    old = sorted(get_data(fields, table="admin_units_legacy"), key=lambda r: r["provinceCode"])
    new = sorted(get_data(fields, table="admin_units"), key=lambda r: r["provinceCode"])
    old_code_of = {row["provinceKey"]: row["provinceCode"] for row in old}
    new_code_of = {row["provinceKey"]: row["provinceCode"] for row in new}
    successor = {
        old_code_of[old_key]: new_code_of[new_key]
        for new_key, old_keys in DICT_PROVINCE.items()
        for old_key in old_keys
    }
    if len(old) != 63 or len(new) != 34 or sorted(successor) != [r["provinceCode"] for r in old]:
        raise SystemExit("vietnamadminunits no longer lists 63 provinces mapped onto 34: check its version")
    return old, new, successor


def province_rows(
    old: list[dict[str, object]], new: list[dict[str, object]], successor: dict[str, str]
) -> list[dict[str, object]]:
    """The 63 provinces before the merger, then the merged provinces after it (the north copied
    from the northern spec)."""
    northern = {row["key"]: row for row in read_csv(SPEC / "provinces.csv")}
    predecessors: dict[str, list[str]] = {}
    for old_code, new_code in successor.items():
        predecessors.setdefault(new_code, []).append(old_code)
    merged = {code for code, members in predecessors.items() if members != [code]}
    rows = _old_province_rows(old, successor, merged, northern)
    return rows + _merged_province_rows(new, predecessors, merged, northern, rows)


def _old_province_rows(
    old: list[dict[str, object]],
    successor: dict[str, str],
    merged: set[str],
    northern: dict[str, dict[str, str]],
) -> list[dict[str, object]]:
    facts = {row["code"]: row for row in read_csv(NATIONAL / "province_facts.csv")}
    rows: list[dict[str, object]] = []
    for province in old:
        code = str(province["provinceCode"])
        if code in northern:
            row = dict(northern[code])
        else:
            name = SHORT_NAMES_VI.get(code, str(province["provinceShort"]))
            row = {
                "key": code,
                "code": code,
                "name_vi": name,
                "name_en": NAMES_EN.get(code, ascii_name(name)),
                "capital_vi": facts[code]["capital_vi"],
                "lat": f"{province['provinceLat']:.4f}",
                "lon": f"{province['provinceLon']:.4f}",
                "population_thousands": facts[code]["population_thousands"],
                "valid_from": "",
                "valid_to": "",
                "successor_key": "",
            }
            if successor[code] in merged:
                row["valid_to"], row["successor_key"] = LAST_OLD_DAY, f"{successor[code]}-2025"
        rows.append(row)
    return rows


def _merged_province_rows(
    new: list[dict[str, object]],
    predecessors: dict[str, list[str]],
    merged: set[str],
    northern: dict[str, dict[str, str]],
    old_rows_list: list[dict[str, object]],
) -> list[dict[str, object]]:
    """Each province formed by merging, from 01/07/2025, holding its predecessors' people."""
    old_rows = {str(row["key"]): row for row in old_rows_list}
    population = {key: int(str(row["population_thousands"])) for key, row in old_rows.items()}
    rows: list[dict[str, object]] = []
    for province in new:
        code = str(province["provinceCode"])
        if code not in merged:
            continue
        key = f"{code}-2025"
        if key in northern:
            rows.append(dict(northern[key]))
            continue
        seat = old_rows[code]  # the province hosting the seat gave its code, capital and place
        name = str(province["provinceShort"])
        rows.append(
            {
                "key": key,
                "code": code,
                "name_vi": SHORT_NAMES_VI.get(code, name),
                "name_en": NAMES_EN.get(code, ascii_name(name)),
                "capital_vi": seat["capital_vi"],
                "lat": seat["lat"],
                "lon": seat["lon"],
                "population_thousands": sum(population[c] for c in predecessors[code]),
                "valid_from": NEW_FROM,
                "valid_to": "",
                "successor_key": "",
            }
        )
    return rows


def center_rows(provinces: list[dict[str, object]], successor: dict[str, str]) -> list[dict[str, object]]:
    """VMI, IMTS, one center per old province (the northern ones as the northern spec has them) and
    the labs. A center whose province merged away closes on 30/06/2025 and hands over to the center
    of the province hosting the new seat, which carries the new province's name."""
    northern = {row["code"]: row for row in read_csv(SPEC / "centers.csv")}
    by_key = {str(row["key"]): row for row in provinces}
    rows = [dict(northern["VMI"]), dict(northern["IMTS"])]
    for province in provinces:
        code = str(province["code"])
        if province["valid_from"]:
            continue
        center = f"TTKT-{code}"
        if center in northern:
            rows.append(dict(northern[center]))
            continue
        new_code = successor[code]
        named_for = by_key.get(f"{new_code}-2025", province) if new_code == code else province
        closes = new_code != code
        rows.append(
            {
                "code": center,
                "kind": "provincial_center",
                "province_key": code,
                "name_vi": f"Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng {named_for['name_vi']}",
                "name_en": f"{named_for['name_en']} Technical Center for Standards, Metrology and Quality",
                # demo numbers in the pattern of the northern ones; every third center has none
                "accreditation_no": "" if int(code) % 3 == 0 else f"VILAS 1{code}",
                "active_to": LAST_OLD_DAY if closes else "",
                "successor_code": f"TTKT-{new_code}" if closes else "",
                "lat": province["lat"],
                "lon": province["lon"],
                "fields": "",
            }
        )
    rows += [dict(northern[code]) for code in northern if code.startswith("LAB-")]
    rows += [
        {**lab, "kind": "lab", "active_to": "", "successor_code": ""}
        for lab in read_csv(NATIONAL / "labs.csv")
    ]
    for row in rows:
        row["size_factor"] = (
            SIZE_FACTORS.get(str(row["province_key"]), 1.0)
            if row["kind"] == "provincial_center"
            else KIND_SIZE_FACTORS[str(row["kind"])]
        )
    return rows


def center_name_rows(
    provinces: list[dict[str, object]], centers: list[dict[str, object]]
) -> list[dict[str, object]]:
    """The name a continuing center carried before 01/07/2025, when its province's name changed."""
    northern = read_csv(SPEC / "center_names.csv")
    done = {row["center_code"] for row in northern}
    by_key = {str(row["key"]): row for row in provinces}
    rows: list[dict[str, object]] = list(northern)
    for center in centers:
        code = str(center["code"])
        if center["kind"] != "provincial_center" or code in done or center["active_to"]:
            continue
        old = by_key[str(center["province_key"])]
        if old["name_vi"] not in str(center["name_vi"]):
            rows.append(
                {
                    "center_code": code,
                    "valid_to": LAST_OLD_DAY,
                    "name_vi": f"Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng {old['name_vi']}",
                    "name_en": f"{old['name_en']} Technical Center for Standards, Metrology and Quality",
                }
            )
    return rows


def main() -> None:
    old, new, successor = administrative_lists()
    provinces = province_rows(old, new, successor)
    centers = center_rows(provinces, successor)
    write_csv(NATIONAL / "provinces.csv", PROVINCE_COLUMNS, provinces)
    write_csv(NATIONAL / "centers.csv", CENTER_COLUMNS, centers)
    write_csv(
        NATIONAL / "center_names.csv",
        ["center_code", "valid_to", "name_vi", "name_en"],
        center_name_rows(provinces, centers),
    )
    print(f"{len(provinces)} provinces, {len(centers)} centers written to {NATIONAL}")


if __name__ == "__main__":
    main()
