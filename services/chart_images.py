"""Charts as PNG and SVG files, rendered offline by vl-convert from their Altair specs.

vl-convert runs Vega in an embedded engine: no browser and no network. It is told to fetch no
URL at all (``allowed_base_urls=[]``: our charts carry their rows inline), and it draws text with
Be Vietnam Pro from the ``fontpkg-be-vietnam-pro`` package (OFL), so Vietnamese diacritics come
out right whatever fonts the machine has.
"""

from __future__ import annotations

import struct
import threading
from pathlib import Path
from typing import Any

import altair as alt
import fontpkg_be_vietnam_pro
import vl_convert

FONT_DIRECTORY: Path = fontpkg_be_vietnam_pro.ROOT / "files"
FONT_FAMILY = "Be Vietnam Pro"
IMAGE_WIDTH = 1200  # CSS pixels; PNGs are drawn at ``scale`` times this
IMAGE_HEIGHT = 560
PNG_SCALE = 2.0

# d3 number formats as users read them: 1.234,5 in Vietnamese, 1,234.5 in English
_NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "vi": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
}
_fonts_lock = threading.Lock()
_fonts_registered = False


def _register_fonts() -> None:
    global _fonts_registered
    with _fonts_lock:
        if not _fonts_registered:
            vl_convert.register_font_directory(str(FONT_DIRECTORY))
            _fonts_registered = True


def sized_spec(
    chart: alt.TopLevelMixin, width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT
) -> dict[str, Any]:
    """The chart's Vega-Lite spec drawn at exactly ``width`` × ``height`` (axes and legend inside)."""
    spec = chart.to_dict()
    if not any(key in spec for key in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        spec["width"], spec["height"] = width, height
        spec["autosize"] = {"type": "fit", "contains": "padding"}
    spec.setdefault("background", "white")
    config = spec.setdefault("config", {})
    font = config.get("font")
    if not font or FONT_FAMILY not in font:
        config["font"] = f"{FONT_FAMILY}, {font}" if font else FONT_FAMILY
    return spec


def chart_png(
    chart: alt.TopLevelMixin,
    *,
    lang: str = "vi",
    width: int = IMAGE_WIDTH,
    height: int = IMAGE_HEIGHT,
    scale: float = PNG_SCALE,
) -> bytes:
    """PNG bytes of ``width * scale`` × ``height * scale`` pixels."""
    _register_fonts()
    return vl_convert.vegalite_to_png(
        sized_spec(chart, width, height),
        scale=scale,
        allowed_base_urls=[],
        format_locale=_NUMBER_LOCALES.get(lang, _NUMBER_LOCALES["vi"]),
    )


def chart_svg(
    chart: alt.TopLevelMixin, *, lang: str = "vi", width: int = IMAGE_WIDTH, height: int = IMAGE_HEIGHT
) -> str:
    """SVG text; its text stays text (fonts named, not embedded), so it scales and can be edited."""
    _register_fonts()
    return vl_convert.vegalite_to_svg(
        sized_spec(chart, width, height),
        allowed_base_urls=[],
        format_locale=_NUMBER_LOCALES.get(lang, _NUMBER_LOCALES["vi"]),
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (no imaging library needed)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)
