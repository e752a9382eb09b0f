"""PDF and PPTX say "demo data as of <day>" on the demo network, and nothing of the kind on real records.

A report an official signs must not call real figures invented, nor invented ones real.
"""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session

from services.filters import Filters
from services.reports import build_pdf, build_pptx
from tests import tiny_network
from tests.conftest import SEED_DAY

DEMO_WORDS = ("Dữ liệu minh họa", "Demo data")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pptx_text(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    return "\n".join(
        shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
    )


@pytest.mark.parametrize(
    ("lang", "label"), [("vi", "Dữ liệu minh họa tại ngày 30/11/2026"), ("en", "Demo data as of 30/11/2026")]
)
def test_demo_reports_name_the_day_the_demo_data_describes(
    seeded_engine: Engine, lang: str, label: str
) -> None:
    with Session(seeded_engine) as session:
        pdf = pdf_text(build_pdf(session, lang=lang, filters=Filters(as_of=SEED_DAY)))
        deck = build_pptx(session, lang=lang, filters=Filters(as_of=SEED_DAY))
    assert pdf.count(label) >= 2  # the title page's note and the footer of every page
    slides = Presentation(io.BytesIO(deck)).slides
    assert all(
        label in "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in slides
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_reports_of_real_records_never_say_demo(engine: Engine, lang: str) -> None:
    with Session(engine) as session:
        tiny_network.build(session)
        session.commit()
        filters = Filters(as_of=tiny_network.AS_OF)
        pdf = pdf_text(build_pdf(session, lang=lang, filters=filters))
        deck = pptx_text(build_pptx(session, lang=lang, filters=filters))
    assert "IMTS" in pdf  # the report did render the network
    for words in DEMO_WORDS:
        assert words not in pdf
        assert words not in deck
