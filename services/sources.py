"""How a record's source is cited: who published it and when, read from the address it was stored as.

A real record keeps the address of its publication in ``source``; readers see "Nguồn: Sở KH&CN
Điện Biên, 18/06/2024" linking there. Publishers we know are named in the catalogs
(``source.publisher.*``); any other site is named by its host. A source that is not an address
(a demo label, a note) is shown as written.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, urlsplit

import pandas as pd

from services.i18n import format_day, translate
from services.plain_text import plain

# host -> catalog key of the publisher's name
PUBLISHERS = {"skhcn.dienbien.gov.vn": "source.publisher.skhcn_dienbien"}
# what may stay in a link target
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"
_DAY_IN_PATH = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def source_url(source: object) -> str | None:
    """The address a source names, or None when it is not a web address."""
    text = str(source or "").strip()
    return text if urlsplit(text).scheme in ("http", "https") and urlsplit(text).netloc else None


def published_on(source: object) -> date | None:
    """The publication day a portal writes into its address (``/pages/2024-06-18/...``)."""
    url = source_url(source)
    match = _DAY_IN_PATH.search(urlsplit(url).path) if url else None
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def citation(source: object, lang: str) -> str:
    """ "Nguồn: Sở KH&CN Điện Biên, 18/06/2024" for an address; anything else as written."""
    url = source_url(source)
    if url is None:
        return str(source or "").strip()
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    publisher = translate(PUBLISHERS[host], lang) if host in PUBLISHERS else host
    day = published_on(url)
    if day is None:
        return translate("source.cited_undated", lang, publisher=publisher)
    return translate("source.cited", lang, publisher=publisher, date=format_day(day, lang))


def citation_link(source: object, lang: str) -> str:
    """The citation as a Markdown link when the source is an address, else the citation itself.

    Stored text is data: its Markdown is escaped, and the address is percent-encoded where it could
    end the link early, so a source can never turn into other links, images or directives.
    """
    url = source_url(source)
    text = plain(citation(source, lang))
    return f"[{text}]({quote(url, safe=_URL_SAFE)})" if url else text


def _real_sources(frame: pd.DataFrame) -> list[str]:
    """The distinct non-empty sources of a table's real (not demo) rows, first seen first."""
    if frame.empty:
        return []
    real = frame.loc[~frame["is_demo"].astype(bool), "source"].dropna().astype(str)
    return [source for source in dict.fromkeys(real) if source.strip()]


def real_source_links(frame: pd.DataFrame, lang: str) -> list[str]:
    """The sources of a table's real rows as Markdown links (pages)."""
    return [citation_link(source, lang) for source in _real_sources(frame)]


def real_source_citations(frame: pd.DataFrame, lang: str) -> tuple[tuple[str, str], ...]:
    """(citation, address) of the web sources of a table's real rows (PDF and PPTX link them)."""
    return tuple(
        (citation(source, lang), url) for source in _real_sources(frame) if (url := source_url(source))
    )
