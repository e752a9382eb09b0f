"""The slide deck as data, its chart images, and the PDF and PPTX built from it."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date

import altair as alt
import pandas as pd
import pytest
import vl_convert
from PIL import Image
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, select

from services import chart_specs
from services import models as m
from services.chart_images import chart_png, chart_svg, png_size
from services.filters import Filters
from services.i18n import translate
from services.reports import build_pdf, build_pptx
from services.slides import (
    SLIDE_KEYS,
    agreements_table,
    build_deck,
    build_slide,
    describe_filters,
    equipment_by_field,
)
from services.sources import citation, source_url
from tests import tiny_network
from tests.conftest import SEED_DAY
from tests.test_page_overview import sql_equipment_counts
from tests.tiny_network import AS_OF

LANGS = ("vi", "en")


def titles(lang: str) -> list[str]:
    return [translate(f"presenter.slide.{key}.title", lang) for key in SLIDE_KEYS]


# ------------------------------------------------------------------ slides on the tiny network


@pytest.fixture
def tiny(engine: Engine) -> tuple[Engine, dict[str, int]]:
    with Session(engine) as session:
        ids = tiny_network.build(session)
    return engine, ids


def slide(engine: Engine, key: str, filters: Filters, lang: str = "vi"):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return build_slide(session, filters, key=key, lang=lang)


def test_equipment_by_field_counts_each_status_in_its_field(tiny) -> None:
    engine, _ = tiny
    with Session(engine) as session:
        counts = equipment_by_field(session, Filters(as_of=AS_OF))
    rows = {(r.field_code, r.status): r.equipment for r in counts.itertuples()}
    # pressure: overdue + due soon at C-TQ, and Ha Giang's never-calibrated gauge counted at its successor
    assert rows == {("P", "overdue"): 1, ("P", "due_soon"): 1, ("P", "never"): 1, ("T", "in_date"): 1}
    assert counts["field_code"].tolist() == ["P", "P", "P", "T"]  # fields in their sort order


def test_kpi_slide_shows_the_tiny_networks_numbers(tiny) -> None:
    engine, _ = tiny
    kpis = dict(slide(engine, "kpis", Filters(as_of=AS_OF)).kpis)
    assert kpis["Thiết bị, chuẩn đo lường"] == "4"
    assert kpis["Thiết bị còn hạn hiệu chuẩn"] == "50,0 %"
    assert kpis["Thiết bị quá hạn"] == "1"
    assert kpis["Khoảng trống kiểm định"] == "3"
    assert kpis["Tỉnh/thành phố"] == "2"


def test_coverage_slide_splits_each_provinces_legal_types_into_covered_and_gaps(tiny) -> None:
    engine, _ = tiny
    content = slide(engine, "coverage", Filters(as_of=AS_OF))
    cells = {(r.region_code, r.kind): r.types for r in content.chart_data["coverage"].itertuples()}
    # Ha Noi verifies neither legal type locally; Tuyen Quang verifies pressure gauges
    assert cells == {("01", "gap"): 2, ("01", "covered"): 0, ("08", "gap"): 1, ("08", "covered"): 1}
    assert content.subtitle.startswith("3 khoảng trống")
    assert content.table is not None and len(content.table) == 3


def test_next_steps_lists_agreements_waiting_longest_first(tiny) -> None:
    engine, _ = tiny
    content = slide(engine, "next_steps", Filters(as_of=date(2024, 8, 15)), lang="en")
    assert content.table is not None
    assert content.table["Center"].tolist() == ["C-TQ", "C-HG"]
    assert content.table["Cooperation stage"].tolist() == ["Negotiating", "Proposed"]
    assert content.table["Days waiting"].tolist() == ["45", "14"]  # since 01/07/2024 and 01/08/2024
    assert content.subtitle == "2 agreements still to sign; under negotiation: 1."
    one = slide(engine, "next_steps", Filters(as_of=date(2024, 7, 15)), lang="en")
    assert one.subtitle == "1 agreement still to sign; under negotiation: 0."
    assert slide(engine, "next_steps", Filters(as_of=date(2024, 7, 15))).subtitle == (
        "1 thỏa thuận còn chờ ký, trong đó 0 đang đàm phán."
    )


def test_next_steps_says_so_when_nothing_waits(tiny) -> None:
    engine, _ = tiny
    content = slide(engine, "next_steps", Filters(as_of=AS_OF))
    assert content.table is None
    assert content.subtitle == translate("presenter.next_steps.none", "vi")


def test_timeline_highlights_the_real_contract_and_marks_the_real_conference(tiny) -> None:
    engine, ids = tiny
    with Session(engine) as session:
        contract = session.exec(select(m.Agreement).where(m.Agreement.center_id == ids["tq"])).one()
        contract.is_demo = False
        conference = m.Event(
            held_on=date(2024, 9, 1),
            place_vi="Hạ Long, Quảng Ninh",
            place_en="Ha Long, Quang Ninh",
            title_vi="Hội nghị",
            title_en="Conference",
            kind="conference",
            is_demo=False,
        )
        session.add_all([contract, conference])
        session.flush()
        session.add(m.EventParticipant(event_id=conference.id, center_id=ids["tq"]))
        session.commit()
    content = slide(engine, "timeline", Filters(as_of=AS_OF))
    history = content.chart_data["history"]
    highlighted = history[history["highlight"]]
    assert set(highlighted["center_code"]) == {"C-TQ"}
    assert set(highlighted["label"]) == {"Hợp đồng IMTS – Tuyên Quang, ký 01/09/2024"}
    assert content.chart_data["milestones"]["label"].tolist() == ["Hội nghị Hạ Long, 01/09/2024"]
    assert len(history) == 5  # every stage change of both agreements
    spec = content.chart().to_dict()
    assert "Hội nghị Hạ Long, 01/09/2024" in str(spec)


def test_a_real_contract_says_not_published_where_its_source_is_silent(tiny) -> None:
    from services.cooperation import agreements

    engine, ids = tiny
    url = "http://skhcn.dienbien.gov.vn/portal/pages/2024-06-18/x.aspx"
    with Session(engine) as session:
        contract = session.exec(select(m.Agreement).where(m.Agreement.center_id == ids["tq"])).one()
        contract.is_demo, contract.expires_on, contract.scope_fields, contract.source = False, None, "", url
        session.add(contract)
        session.commit()
        table = agreements_table(agreements(session, Filters(as_of=AS_OF)), "vi").set_index("Trung tâm")
        english = agreements_table(agreements(session, Filters(as_of=AS_OF)), "en").set_index("Center")
    assert table.loc["C-TQ", "Ngày hết hạn"] == "Chưa công bố"
    assert table.loc["C-TQ", "Giai đoạn hợp tác"] == "Đã ký; giai đoạn sau: chưa công bố"
    assert (table.loc["C-TQ", "Dữ liệu"], table.loc["C-HG", "Dữ liệu"]) == ("★ Thật", "Minh họa")
    assert table.loc["C-HG", "Ngày hết hạn"] == "—"  # a demo agreement with no expiry set
    assert english.loc["C-TQ", "Expires on"] == "Not published"
    pipeline = slide(engine, "pipeline", Filters(as_of=AS_OF), lang="en")
    assert pipeline.sources == (("Source: Điện Biên Department of Science and Technology, 18/06/2024", url),)
    assert pipeline.subtitle == "2 agreements: 1 signed or active, 0 waiting to be signed."


def test_province_filter_carries_into_every_slide(tiny) -> None:
    engine, _ = tiny
    filters = Filters(as_of=AS_OF, province="01")
    with Session(engine) as session:
        deck = build_deck(session, filters, lang="vi")
        scope = describe_filters(session, filters, "vi")
    assert scope == "Tính đến 15/01/2026 · Theo địa giới tại ngày xem · Tỉnh/thành phố: Hà Nội"
    by_key = {s.key: s for s in deck}
    assert by_key["map"].chart_data["points"]["code"].tolist() == ["IMTS"]
    assert set(by_key["coverage"].chart_data["coverage"]["region_code"]) == {"01"}
    # IMTS holds only a retired and a future item: nothing to chart, and the slide says why
    assert by_key["capacity"].empty_message == translate("presenter.empty.no_equipment", "vi")
    assert by_key["pipeline"].empty_message == translate("presenter.empty.no_agreements", "vi")


def test_empty_database_gives_explanations_not_errors(engine: Engine) -> None:
    with Session(engine) as session:
        deck = build_deck(session, Filters(), lang="en")
    assert [s.key for s in deck] == list(SLIDE_KEYS)
    assert all(s.chart() is None for s in deck)
    assert deck[0].empty_message == translate("empty.no_centers", "en")


# ------------------------------------------------------------------ chart images


def test_chart_png_decodes_at_the_requested_size() -> None:
    chart = chart_specs.pipeline_bars(
        pd.DataFrame({"stage": ["proposed", "signed"], "agreements": [3, 4]}), "vi"
    )
    png = chart_png(chart, lang="vi", width=600, height=300, scale=2)
    assert png_size(png) == (1200, 600)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (1200, 600)
    # not a blank canvas: the bars' colors are in it
    colors = {color for _, color in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0x1E, 0x88, 0xE5) in colors  # the "signed" blue


def test_chart_svg_is_vector_text_with_vietnamese_labels() -> None:
    chart = chart_specs.pipeline_bars(pd.DataFrame({"stage": ["negotiating"], "agreements": [2]}), "vi")
    svg = chart_svg(chart, lang="vi", width=500, height=250)
    root = ET.fromstring(svg)
    assert root.get("width") == "500" and root.get("height") == "250"
    assert "Đang đàm phán" in svg and "Số thỏa thuận" in svg


@pytest.fixture
def local_csv_server(tmp_path) -> Iterator[tuple[str, Callable[[], int]]]:  # type: ignore[no-untyped-def]
    """A CSV served on loopback by another process, and a count of the requests it answered.

    Another process, not a thread: vl-convert holds the GIL while it waits for a fetch, so a server
    thread in this interpreter could never answer. No traffic leaves the machine.
    """
    (tmp_path / "data.csv").write_text("x,y\na,1\nb,2\n")
    log = tmp_path / "server.log"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log.open("w") as sink:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(tmp_path),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/data.csv"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.05)  # waiting for the server process to listen
    try:
        yield url, lambda: log.read_text().count('"GET /data.csv')
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_chart_images_never_fetch_anything(local_csv_server) -> None:  # type: ignore[no-untyped-def]
    url, requests = local_csv_server
    chart = alt.Chart(alt.UrlData(url)).mark_bar().encode(x="x:N", y="y:Q")
    # the control: vl-convert left to itself does fetch a URL named in a spec
    vl_convert.vegalite_to_svg(chart.to_dict())
    assert requests() == 1
    with pytest.raises(ValueError, match="not allowed"):
        chart_png(chart)
    with pytest.raises(ValueError, match="not allowed"):
        chart_svg(chart)
    assert requests() == 1


# ------------------------------------------------------------------ PDF and PPTX of the demo network


@pytest.fixture(scope="module")
def exports(seeded_urls: dict[str, str]) -> dict[tuple[str, str], bytes]:
    """PDF and PPTX in both languages, unfiltered, plus a PDF for Hai Phong (built once per module)."""
    from services.db import make_engine

    engine = make_engine(seeded_urls["sqlite"])
    built: dict[tuple[str, str], bytes] = {}
    with Session(engine) as session:
        for lang in LANGS:
            built[("pdf", lang)] = build_pdf(session, lang=lang, filters=Filters(as_of=SEED_DAY))
            built[("pptx", lang)] = build_pptx(session, lang=lang, filters=Filters(as_of=SEED_DAY))
        built[("pdf", "vi-31")] = build_pdf(
            session, lang="vi", filters=Filters(as_of=SEED_DAY, province="31")
        )
    engine.dispose()
    return built


def vi_number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_text_carries_every_slide_title_with_its_diacritics(exports, lang: str) -> None:
    content = pdf_text(exports[("pdf", lang)])
    for title in titles(lang):
        assert title in content
    assert translate("reports.title", lang) in content
    if lang == "vi":
        assert "Tổng quan mạng lưới đo lường" in content
        assert "Độ phủ kiểm định và khoảng trống" in content


def test_pdf_is_a4_with_the_font_embedded(exports) -> None:
    reader = PdfReader(io.BytesIO(exports[("pdf", "vi")]))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts and all("BeVietnamPro" in name for name in fonts)
    descriptor = next(iter(fonts.values()))["/DescendantFonts"][0].get_object()["/FontDescriptor"]
    assert "/FontFile2" in descriptor  # the TrueType program is inside the file


def test_pdf_kpis_and_agreements_match_independent_sql(exports, seeded_urls: dict[str, str]) -> None:
    content = pdf_text(exports[("pdf", "vi")])
    total, overdue = sql_equipment_counts(seeded_urls["sqlite"])
    assert f"Thiết bị, chuẩn đo lường {vi_number(total)}" in content
    assert f"Thiết bị quá hạn {vi_number(overdue)}" in content
    with create_engine(seeded_urls["sqlite"]).connect() as connection:
        agreements_proposed = connection.execute(
            text("SELECT COUNT(*) FROM agreement WHERE proposed_on <= :today"),
            {"today": SEED_DAY.isoformat()},
        ).scalar_one()
        signed_on, expires_on, source = connection.execute(
            text("SELECT signed_on, expires_on, source FROM agreement WHERE is_demo = 0")
        ).one()
    assert f"Thỏa thuận hợp tác ({agreements_proposed})" in content
    assert signed_on == "2024-06-14"
    if expires_on is None:  # its term was not published: the table says so
        assert "Chưa công bố" in content
    if source_url(source):  # the source is cited, and the citation links to it
        assert citation(source, "vi") in " ".join(content.split())
        links = [
            annotation.get_object()["/A"]["/URI"]
            for page in PdfReader(io.BytesIO(exports[("pdf", "vi")])).pages
            for annotation in page.get("/Annots", [])
            if "/A" in annotation.get_object()
        ]
        assert source in links


def test_pptx_links_the_real_records_to_their_source(exports, seeded_urls: dict[str, str]) -> None:
    with create_engine(seeded_urls["sqlite"]).connect() as connection:
        source = connection.execute(text("SELECT source FROM agreement WHERE is_demo = 0")).scalar_one()
    deck = Presentation(io.BytesIO(exports[("pptx", "en")]))
    links = {
        (run.text, run.hyperlink.address)
        for s in deck.slides
        for shape in s.shapes
        if shape.has_text_frame
        for paragraph in shape.text_frame.paragraphs
        for run in paragraph.runs
        if run.hyperlink.address
    }
    if source_url(source):
        assert ("★ " + citation(source, "en"), source) in links
    else:
        assert links == set()


def test_pdf_for_one_province_says_so_and_counts_only_it(exports, seeded_urls: dict[str, str]) -> None:
    content = pdf_text(exports[("pdf", "vi-31")])
    assert "Tỉnh/thành phố: Hải Phòng" in content
    total, _ = sql_equipment_counts(seeded_urls["sqlite"], province="31")
    assert f"Thiết bị, chuẩn đo lường {vi_number(total)}" in content


def screen_colors(chart: alt.TopLevelMixin, labels: dict[str, str]) -> dict[str, str]:
    """Status or stage → the color a screen chart's spec gives it (``labels``: its label on screen)."""
    spec = chart.to_dict()
    layers = spec.get("layer", [spec])
    scale = next(
        layer["encoding"]["color"]["scale"] for layer in layers if "color" in layer.get("encoding", {})
    )
    by_label = dict(zip(scale["domain"], scale["range"], strict=True))
    return {key: by_label[label] for key, label in labels.items()}


def picture_colors(deck: Presentation, key: str) -> set[tuple[int, int, int]]:
    """Every RGB color in the picture of the slide ``key``."""
    pictures = [shape for shape in deck.slides[SLIDE_KEYS.index(key)].shapes if shape.shape_type == 13]
    assert len(pictures) == 1, key
    image = Image.open(io.BytesIO(pictures[0].image.blob)).convert("RGB")
    return {color for _, color in image.getcolors(maxcolors=1 << 22)}


def rgb(hex_color: str) -> tuple[int, int, int]:
    return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_exported_charts_paint_each_status_and_stage_in_the_colors_of_the_screen(
    exports, seeded_urls: dict[str, str]
) -> None:
    """Someone who saw "overdue" in red on the dashboard finds it red on the slide too."""
    from services.db import make_engine
    from ui import charts, charts_cooperation, charts_profile

    engine = make_engine(seeded_urls["sqlite"])
    filters = Filters(as_of=SEED_DAY)
    statuses = sorted(set(slide(engine, "capacity", filters).chart_data["counts"]["status"]))
    pipeline = slide(engine, "pipeline", filters).chart_data["pipeline"]
    stages = sorted(set(pipeline.loc[pipeline["agreements"] > 0, "stage"]))
    engine.dispose()
    assert len(statuses) >= 3 and len(stages) >= 3, (statuses, stages)  # enough colors to tell apart

    status_chart = charts_profile.status_bars(pd.DataFrame({"status": statuses, "equipment": 1}), "vi")
    status_colors = screen_colors(status_chart, {s: charts.status_label(s, "vi") for s in statuses})
    stage_chart = charts_cooperation.pipeline_bars(pd.DataFrame({"stage": stages, "agreements": 1}), "vi")
    stage_colors = screen_colors(stage_chart, {s: chart_specs.stage_label(s, "vi") for s in stages})
    for colors in (status_colors, stage_colors):  # within one chart, no two share a color
        assert len(set(colors.values())) == len(colors), colors

    deck = Presentation(io.BytesIO(exports[("pptx", "vi")]))
    capacity, agreements = picture_colors(deck, "capacity"), picture_colors(deck, "pipeline")
    assert {s: rgb(status_colors[s]) in capacity for s in statuses} == dict.fromkeys(statuses, True)
    assert {s: rgb(stage_colors[s]) in agreements for s in stages} == dict.fromkeys(stages, True)


@pytest.mark.parametrize("lang", LANGS)
def test_pptx_is_16_9_with_every_slide_title_as_real_text(exports, lang: str) -> None:
    deck = Presentation(io.BytesIO(exports[("pptx", lang)]))
    assert (Emu(deck.slide_width).inches, Emu(deck.slide_height).inches) == pytest.approx(
        (13.333, 7.5), abs=0.01
    )
    assert [s.shapes.title.text for s in deck.slides] == titles(lang)
    pictures = [sum(shape.shape_type == 13 for shape in s.shapes) for s in deck.slides]  # 13: picture
    chart_slides = [key in ("map", "capacity", "coverage", "pipeline", "timeline") for key in SLIDE_KEYS]
    assert [count == 1 for count in pictures] == chart_slides


def test_pptx_chart_pictures_are_decodable_pngs(exports) -> None:
    deck = Presentation(io.BytesIO(exports[("pptx", "vi")]))
    for shape in (shape for s in deck.slides for shape in s.shapes if shape.shape_type == 13):
        image = Image.open(io.BytesIO(shape.image.blob))
        image.load()
        assert image.format == "PNG"
        assert image.size[0] / image.size[1] == pytest.approx(shape.width / shape.height, rel=0.01)


def test_deck_builds_on_every_engine(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        deck = build_deck(session, Filters(as_of=SEED_DAY, province="31"), lang="vi")
    assert [s.title for s in deck] == titles("vi")
    assert deck[0].empty_message is None


def test_capacity_slide_agrees_with_the_equipment_page(seeded_engine: Engine) -> None:
    from services.equipment import equipment_by_center_field

    for filters in (Filters(as_of=SEED_DAY), Filters(as_of=SEED_DAY, province="31")):
        with Session(seeded_engine) as session:
            page = equipment_by_center_field(session, filters).groupby("field_code")["equipment"].sum()
            slide_counts = equipment_by_field(session, filters).groupby("field_code")["equipment"].sum()
        assert slide_counts.to_dict() == page.to_dict()
        assert slide_counts.sum() > 0
