"""bench/stream_client.py drives real page runs over Streamlit's websocket protocol, as bench.load's
protocol rounds assume: each page runs to its end and draws its own elements, and a link to a page
opens that page."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

from bench.load import PAGES
from bench.stream_client import PageRun, run_page, stream_session
from tests.browser.conftest import RunningApp

TIMEOUT_S = 120
T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on an event loop of its own thread: Playwright's sync API holds this thread's."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_every_page_runs_to_its_end_in_one_session(running_app: RunningApp) -> None:
    async def walk() -> tuple[str, list[PageRun]]:
        async with stream_session(running_app.base_url, "", TIMEOUT_S) as stream:
            return stream.upstream, [
                await asyncio.wait_for(run_page(stream, path), TIMEOUT_S) for path in PAGES
            ]

    upstream, runs = run_apart(walk())
    assert upstream == urlsplit(running_app.base_url).netloc  # no nginx in front: the instance itself
    for path, run in zip(PAGES, runs, strict=True):
        assert run.seconds > 0 and len(run.elements) > 5, (path, run.elements)
    assert len({run.elements for run in runs}) == len(PAGES)  # each page drew its own
    overview, equipment = runs[0], runs[1]
    assert "vega_lite_chart" in overview.elements and "vega_lite_chart" in equipment.elements


def test_a_link_to_a_page_opens_that_page(running_app: RunningApp) -> None:
    async def open_then_walk(path: str) -> tuple[PageRun, PageRun]:
        async with stream_session(running_app.base_url, path, TIMEOUT_S) as stream:
            opened = await asyncio.wait_for(run_page(stream, path), TIMEOUT_S)
            again = await asyncio.wait_for(run_page(stream, path), TIMEOUT_S)
            return opened, again

    opened, again = run_apart(open_then_walk("coverage"))
    assert opened.elements == again.elements  # the page the link names, not the overview
    overview, _ = run_apart(open_then_walk(""))
    assert overview.elements != opened.elements
