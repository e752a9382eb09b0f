"""Exports of the presenter deck: an A4 PDF report and a 16:9 PowerPoint deck.

Both are drawn from ``services.slides`` (the same titles, numbers and charts as the presenter
page) with chart images rendered offline by ``services.chart_images``. The PDF embeds Be Vietnam
Pro (OFL, from the ``fontpkg-be-vietnam-pro`` package) so Vietnamese diacritics survive on any
machine; the PPTX keeps its titles as real text in Arial, which every PowerPoint has with the
Vietnamese letters.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.util import Emu, Inches, Pt
from sqlmodel import Session

from services.chart_images import FONT_DIRECTORY, chart_png
from services.dataset import demo_label
from services.filters import Filters
from services.i18n import format_number, format_timestamp, translate
from services.slides import (
    DeckData,
    Slide,
    agreements_table,
    build_deck,
    describe_filters,
    gaps_table,
)
from services.sources import real_source_citations

PDF_FONT = "BeVietnamPro"
PPTX_FONT = "Arial"
PDF_IMAGE_SCALE = 1.5  # 1800 px across 180 mm: 250 dpi, sharp in print, quick to compress
PDF_GAP_ROWS = 60  # the largest gaps; the coverage page offers every row as CSV
INK = (11, 11, 11)
ACCENT = (21, 101, 192)
HEADER_FILL = (226, 234, 244)


def _nfc(value: object) -> str:
    # the embedded font has the precomposed Vietnamese letters; combining marks would need shaping
    return unicodedata.normalize("NFC", str(value))


# ---------------------------------------------------------------- PDF


class _Report(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=18)
        for style, weight in (("", "Regular"), ("B", "Bold"), ("I", "Italic")):
            self.add_font(PDF_FONT, style=style, fname=FONT_DIRECTORY / f"BeVietnamPro-{weight}.ttf")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(PDF_FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, _nfc(f"{self.footer_text} · {self.page_no()}/{{nb}}"), align="C")

    def heading(self, text: str, size: float = 16) -> None:
        self.set_font(PDF_FONT, "B", size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.5, _nfc(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def paragraph(self, text: str, size: float = 10.5, style: str = "") -> None:
        self.set_font(PDF_FONT, style, size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.5, _nfc(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def data_table(
        self,
        frame: pd.DataFrame,
        widths: Iterable[float] | None = None,
        size: float = 9,
        align: tuple[str, ...] | str = "LEFT",
    ) -> None:
        self.set_font(PDF_FONT, size=size)
        self.set_text_color(*INK)
        with self.table(
            col_widths=tuple(widths) if widths else None,
            headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_FILL),
            cell_fill_color=(246, 248, 251),
            cell_fill_mode=TableCellFillMode.ROWS,
            line_height=size * 0.55,
            padding=1.2,
            first_row_as_headings=True,
            text_align=align,
        ) as table:
            table.row([_nfc(column) for column in frame.columns])
            for values in frame.itertuples(index=False):
                table.row([_nfc(value) for value in values])
        self.ln(4)

    def sources(self, sources: tuple[tuple[str, str], ...], size: float = 9.5) -> None:
        """Each source of the real records as a link ("Nguồn: Sở KH&CN Điện Biên, 18/06/2024")."""
        self.set_font(PDF_FONT, "", size)
        self.set_text_color(*ACCENT)
        for label, url in sources:
            self.multi_cell(
                0, size * 0.5, _nfc(f"★ {label}"), align="L", link=url, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        self.set_text_color(*INK)
        self.ln(2)

    def ensure_space(self, height: float) -> None:
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()


def build_pdf(session: Session, *, lang: str = "vi", filters: Filters | None = None) -> bytes:
    """An A4 report: title page, KPI table, every chart as an image, the gaps and the agreements."""
    filters = filters or Filters()
    data = DeckData(session, filters)
    deck = build_deck(session, filters, lang=lang, data=data)
    scope = describe_filters(session, filters, lang)
    title = translate("reports.title", lang)
    demo = demo_label(session, lang)
    pdf = _Report(" · ".join(part for part in (title, demo) if part))
    pdf.set_title(_nfc(title))
    pdf.set_lang(lang)
    pdf.set_creator("Metrology Network Dashboard")

    _title_page(pdf, deck, title, scope, lang, demo)
    pdf.add_page()
    for slide in deck:
        _pdf_slide(pdf, slide, lang)
    _pdf_annex(pdf, data, lang)
    return bytes(pdf.output())


def _title_page(pdf: _Report, deck: list[Slide], title: str, scope: str, lang: str, demo: str | None) -> None:
    pdf.add_page()
    pdf.set_y(60)
    pdf.set_font(PDF_FONT, "B", 26)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 12, _nfc(title), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.paragraph(translate("reports.subtitle", lang), size=14)
    pdf.ln(4)
    pdf.paragraph(scope, size=11, style="B")
    pdf.paragraph(translate("reports.generated", lang, when=format_timestamp(datetime.now(), lang)), size=10)
    pdf.ln(8)
    pdf.heading(translate("reports.contents", lang), size=13)
    for slide in deck:
        pdf.paragraph(f"{slide.number}. {slide.title}", size=11)
    if demo:
        pdf.ln(10)
        pdf.paragraph(f"{demo}: {translate('demo.explanation', lang)}", size=9.5, style="I")


def _pdf_slide(pdf: _Report, slide: Slide, lang: str) -> None:
    chart = slide.chart()
    pdf.ensure_space(110 if chart is not None else 40)
    pdf.heading(f"{slide.number}. {slide.title}")
    if slide.subtitle:
        pdf.paragraph(slide.subtitle)
    if slide.empty_message:
        pdf.paragraph(slide.empty_message, style="I")
        pdf.ln(4)
        return
    if slide.kpis:
        pdf.data_table(
            pd.DataFrame(
                slide.kpis, columns=[translate("reports.kpi", lang), translate("reports.value", lang)]
            ),
            widths=(130, 50),
            size=11,
            align=("LEFT", "RIGHT"),
        )
    if chart is not None:
        width = pdf.w - pdf.l_margin - pdf.r_margin
        png = chart_png(chart, lang=lang, width=1200, height=640, scale=PDF_IMAGE_SCALE)
        pdf.image(io.BytesIO(png), w=width, h=width * 640 / 1200)
        pdf.ln(5)
    if slide.sources:
        pdf.sources(slide.sources)
    if slide.table is not None and slide.key == "next_steps":  # other slide tables are in the annex in full
        pdf.paragraph(slide.table_title, style="B")
        pdf.data_table(slide.table)


def _pdf_annex(pdf: _Report, data: DeckData, lang: str) -> None:
    gaps = data.gaps
    pdf.add_page()
    pdf.heading(translate("reports.gaps_title", lang, count=format_number(len(gaps), lang)))
    if gaps.empty:
        pdf.paragraph(translate("empty.no_gaps", lang), style="I")
    else:
        pdf.paragraph(translate("reports.gaps_intro", lang))
        pdf.data_table(gaps_table(gaps.head(PDF_GAP_ROWS), lang), widths=(35, 85, 35, 25))
        if len(gaps) > PDF_GAP_ROWS:
            pdf.paragraph(
                translate("reports.more_rows", lang, count=format_number(len(gaps) - PDF_GAP_ROWS, lang)),
                style="I",
            )
    scoped = data.agreements
    pdf.ensure_space(40)
    pdf.heading(translate("reports.agreements_title", lang, count=format_number(len(scoped), lang)))
    if scoped.empty:
        pdf.paragraph(translate("presenter.empty.no_agreements", lang), style="I")
    else:
        pdf.data_table(agreements_table(scoped, lang), widths=(18, 48, 34, 21, 21, 22, 16), size=8.5)
        if sources := real_source_citations(scoped, lang):
            pdf.paragraph(translate("reports.sources", lang), size=9.5, style="B")
            pdf.sources(sources)


# ---------------------------------------------------------------- PPTX

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
CONTENT_TOP = Inches(1.85)
CONTENT_HEIGHT = Inches(5.05)
SOURCES_HEIGHT = Inches(0.4)
_TITLE_ONLY = 5  # the default template's "Title Only" layout: the title stays a real title placeholder


def _rgb(color: tuple[int, int, int]) -> RGBColor:
    return RGBColor(*color)


def _text_box(
    slide,
    left: int,
    top: int,
    width: int,
    height: int,
    text: str,
    *,
    size: int,
    bold: bool = False,
    color: tuple[int, int, int] = INK,
    align=PP_ALIGN.LEFT,
):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    paragraph.alignment = align
    run = paragraph.add_run()
    run.text = _nfc(text)
    run.font.size, run.font.bold, run.font.name = Pt(size), bold, PPTX_FONT
    run.font.color.rgb = _rgb(color)
    return box


def build_pptx(session: Session, *, lang: str = "vi", filters: Filters | None = None) -> bytes:
    """The presenter slides as a 16:9 deck: real text titles, charts as images, speaker notes."""
    filters = filters or Filters()
    deck = build_deck(session, filters, lang=lang)
    scope = describe_filters(session, filters, lang)
    demo = demo_label(session, lang)
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    presentation.core_properties.title = _nfc(translate("reports.title", lang))
    presentation.core_properties.language = lang
    for slide in deck:
        _pptx_slide(presentation, slide, scope, len(deck), lang, demo)
    output = io.BytesIO()
    presentation.save(output)
    return output.getvalue()


def _pptx_slide(
    presentation,
    slide: Slide,
    scope: str,
    total: int,
    lang: str,
    demo: str | None,
) -> None:
    page = presentation.slides.add_slide(presentation.slide_layouts[_TITLE_ONLY])
    width = SLIDE_WIDTH - 2 * MARGIN
    _pptx_frame(page, slide, scope, total, lang, demo)
    # the sources of the slide's real records take a line under the chart
    content_height = CONTENT_HEIGHT - (SOURCES_HEIGHT if slide.sources else 0)
    if slide.sources:
        _pptx_sources(page, slide.sources, MARGIN, CONTENT_TOP + content_height, width)

    if slide.empty_message:
        _text_box(page, MARGIN, Inches(3.0), width, Inches(1.5), slide.empty_message, size=24)
        return
    _pptx_content(page, slide, lang, content_height)


def _pptx_frame(page, slide: Slide, scope: str, total: int, lang: str, demo: str | None) -> None:
    """Title, subtitle, footer (slide number, scope, the demo label) and the speaker notes."""
    width = SLIDE_WIDTH - 2 * MARGIN
    title = page.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, Inches(0.3), width, Inches(0.95)
    title.text = _nfc(slide.title)
    for paragraph in title.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.name = Pt(36), True, PPTX_FONT
            run.font.color.rgb = _rgb(INK)
    if slide.subtitle:
        _text_box(page, MARGIN, Inches(1.2), width, Inches(0.6), slide.subtitle, size=18, color=(55, 71, 79))
    footer = translate("presenter.footer", lang, number=slide.number, total=total, scope=scope)
    _text_box(
        page,
        MARGIN,
        Inches(7.0),
        width,
        Inches(0.35),
        " · ".join(part for part in (footer, demo) if part),
        size=11,
        color=(96, 110, 120),
    )
    page.notes_slide.notes_text_frame.text = _nfc(f"{slide.subtitle}\n{scope}")


def _pptx_content(page, slide: Slide, lang: str, content_height: int) -> None:
    """The KPI cards, the chart (left, 60 % beside a table) and the table (right)."""
    width = SLIDE_WIDTH - 2 * MARGIN
    if slide.kpis:
        _pptx_kpis(page, slide.kpis)
    chart = slide.chart()
    has_table = slide.table is not None and not slide.table.empty
    if chart is not None:
        chart_width = int(width * 0.6) if has_table else width
        pixels_wide = round(1280 * chart_width / width)
        png = chart_png(
            chart, lang=lang, width=pixels_wide, height=round(pixels_wide * content_height / chart_width)
        )
        page.shapes.add_picture(
            io.BytesIO(png), MARGIN, CONTENT_TOP, width=chart_width, height=content_height
        )
    if has_table:
        assert slide.table is not None
        left = MARGIN + (int(width * 0.62) if chart is not None else 0)
        table_width = SLIDE_WIDTH - MARGIN - left
        _text_box(page, left, CONTENT_TOP, table_width, Inches(0.45), slide.table_title, size=16, bold=True)
        _pptx_table(
            page,
            slide.table,
            left,
            CONTENT_TOP + Inches(0.5),
            table_width,
            size=12 if chart is not None else 14,
        )


def _pptx_sources(page, sources: tuple[tuple[str, str], ...], left: int, top: int, width: int) -> None:
    """The sources of the slide's real records, each a clickable link, in one line above the footer."""
    box = page.shapes.add_textbox(left, top, width, SOURCES_HEIGHT)
    frame = box.text_frame
    frame.word_wrap = True
    paragraph = frame.paragraphs[0]
    for index, (label, url) in enumerate(sources):
        run = paragraph.add_run()
        run.text = _nfc(("; " if index else "★ ") + label)
        run.font.size, run.font.name = Pt(12), PPTX_FONT
        run.font.color.rgb = _rgb(ACCENT)
        run.hyperlink.address = url


def _pptx_kpis(page, kpis: tuple[tuple[str, str], ...]) -> None:
    columns = 4
    gap = Inches(0.25)
    tile_width = int((SLIDE_WIDTH - 2 * MARGIN - gap * (columns - 1)) / columns)
    tile_height = Inches(2.3)
    for index, (label, value) in enumerate(kpis):
        row, column = divmod(index, columns)
        left = MARGIN + column * (tile_width + gap)
        top = CONTENT_TOP + row * (tile_height + gap)
        tile = page.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, tile_width, tile_height)
        tile.fill.solid()
        tile.fill.fore_color.rgb = _rgb((240, 244, 250))
        tile.line.color.rgb = _rgb(ACCENT)
        _text_box(
            page,
            left,
            top + Inches(0.25),
            tile_width,
            Inches(1.1),
            value,
            size=48,
            bold=True,
            color=ACCENT,
            align=PP_ALIGN.CENTER,
        )
        _text_box(
            page,
            left + Inches(0.15),
            top + Inches(1.4),
            tile_width - Inches(0.3),
            Inches(0.8),
            label,
            size=18,
            align=PP_ALIGN.CENTER,
        )


def _pptx_table(page, frame: pd.DataFrame, left: int, top: int, width: int, *, size: int) -> None:
    rows, columns = len(frame) + 1, len(frame.columns)
    row_height = Inches(0.32 if size <= 12 else 0.45)
    shape = page.shapes.add_table(rows, columns, left, top, width, Emu(row_height * rows))
    table = shape.table
    # columns as wide as their longest text (long center names get the room, codes and dates less)
    lengths = [max([len(str(name))] + [len(str(value)) for value in frame[name]]) for name in frame.columns]
    weights = [min(max(length, 6), 48) for length in lengths]
    for column, weight in zip(table.columns, weights, strict=True):
        column.width = Emu(int(width * weight / sum(weights)))
    for column, name in enumerate(frame.columns):
        _cell(table.cell(0, column), name, size, bold=True)
    for row, values in enumerate(frame.itertuples(index=False), start=1):
        for column, value in enumerate(values):
            _cell(table.cell(row, column), value, size)


def _cell(cell, value: object, size: int, *, bold: bool = False) -> None:
    cell.text = _nfc(value)
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.name = Pt(size), bold, PPTX_FONT


# ---------------------------------------------------------------- cached-call adapters


def pdf_report(session: Session, filters: Filters, *, lang: str) -> bytes:
    """``build_pdf`` in the (session, filters, **options) shape the app's data cache calls."""
    return build_pdf(session, lang=lang, filters=filters)


def pptx_deck(session: Session, filters: Filters, *, lang: str) -> bytes:
    return build_pptx(session, lang=lang, filters=filters)
