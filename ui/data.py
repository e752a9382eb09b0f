"""The app's one engine and cached calls into services, keyed on plain arguments and the data version.

Every write raises the database's data version in its own transaction (``services.data_version``).
A run reads it once (``data_version``) and every cached view is keyed on it, so a write made by
any process — another app instance, an import on the data page, the seeder — shows on the next
rerun everywhere, and a rerun with nothing new reads the version and nothing else. No TTL: an
entry of an old version is simply never asked for again and ages out of the bounded cache.
The version is read before any view: a write landing in between makes an entry newer than its
key says, never older, and the next run's new version reads it again anyway.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import altair as alt
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

# Streamlit's own Arrow transformer and the lock it holds around Altair's global settings: a
# chart converted here carries the same datasets st.altair_chart would send (pinned Streamlit).
from streamlit.elements.vega_charts import _altair_globals_lock, _to_arrow_dataset
from streamlit.runtime.scriptrunner_utils.script_run_context import add_script_run_ctx, get_script_run_ctx

from services import data_version as versions
from services.dataset import demo_as_of
from services.db import database_url, is_empty, make_engine, upgrade_schema
from services.filters import Filters
from services.network import SharedReads, shared_reads

T = TypeVar("T")
# Bounds memory, not freshness: about 40 views per page and filter set, so a few dozen recent
# filter sets of every page stay warm; entries of old data versions are the first to go.
MAX_CACHED_VIEWS = 2048
# a chart's spec or a table's display rows: tens of kilobytes each, a dozen or two per page and
# filter set
MAX_PREPARED = 512
_VERSION_THIS_RUN = "data_version_this_run"
# Views computed at once by prefetch: one per core keeps a cold page's queries side by side (SQLite
# and psycopg release the GIL while the database works); the slots are shared by every session of
# the process, so twenty sessions' cold pages do not start a hundred queries together.
_PREFETCH_WORKERS = max(2, os.cpu_count() or 2)
_PREFETCH_SLOTS = threading.BoundedSemaphore(_PREFETCH_WORKERS)
_log = logging.getLogger("metrology.prefetch")
_PREFETCHED = "views_prefetched"  # the last views this session prefetched, with the data version


def engine() -> Engine:
    return _engine_for(database_url())


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """Upgrade the schema once per process; the embedded database gets the demo network.

    A database named by DATABASE_URL is never filled with invented data behind its owner's
    back: pages show it empty, with what to do, unless SEED_DEMO_DATA=1 asks for the demo.
    """
    database = make_engine(url)
    upgrade_schema(database)
    wants_demo = "DATABASE_URL" not in os.environ or os.environ.get("SEED_DEMO_DATA") == "1"
    if wants_demo and is_empty(database):
        from services.seed import seed

        with st.spinner("Đang tạo dữ liệu minh họa… / Creating demo data…"):
            seed(database)
    return database


def data_version() -> str:
    """The database's data version, read once per script run (a fragment's rerun is a run too).

    Streamlit gives each run a fresh ``cursors`` dict on the run's context; remembering the dict
    the version was read in tells this run from the last one without a hook at the run's start.
    """
    url = database_url()
    context = get_script_run_ctx()
    if context is None:  # outside a Streamlit run (a bare script): always the current number
        return versions.current_stamp(_engine_for(url))
    remembered = st.session_state.get(_VERSION_THIS_RUN)
    if remembered is not None and remembered[0] is context.cursors and remembered[1] == url:
        return str(remembered[2])
    version = versions.current_stamp(_engine_for(url))
    st.session_state[_VERSION_THIS_RUN] = (context.cursors, url, version)
    return version


def cached(service: Callable[..., T], filters: Filters | None, /, **options: Any) -> T:
    """Call ``service(session, filters, **options)`` through the data cache; with ``filters`` None,
    ``service(session, **options)`` (a view that takes no filters, such as one center's due list).

    Positional-only, so a service may take options named ``service`` or ``filters``.
    """
    return _call(
        database_url(),
        data_version(),
        service.__module__,
        service.__qualname__,
        filters,
        tuple(sorted(options.items())),
    )


@dataclass(frozen=True)
class View:
    """One ``cached`` call a page is about to make: ``view(service, filters, **options)``."""

    service: Callable[..., Any]
    filters: Filters | None
    options: tuple[tuple[str, Any], ...] = ()


def view(service: Callable[..., Any], filters: Filters | None, /, **options: Any) -> View:
    return View(service, filters, tuple(sorted(options.items())))


def prefetch(*views: View) -> None:
    """Compute the views a page is about to draw side by side, so that its ``cached`` calls
    that follow find them ready: a cold page's views (each one or two aggregations over the whole
    network) would otherwise run one after another on one core. Give the slowest first.

    Only fills the cache: a view that fails here is computed again by the page's own call, which
    reports the failure as every run's errors are reported (an incident number, no traceback).
    A warm run finds every view cached and starts no thread.
    """
    url, version = database_url(), data_version()
    asked = (url, version, views)
    if st.session_state.get(_PREFETCHED) == asked:  # this session's rerun: every view is cached
        return
    st.session_state[_PREFETCHED] = asked
    queue = list(reversed(views))  # popped from the end: the first given is computed first
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                wanted = queue.pop()
            with _PREFETCH_SLOTS:
                _compute(url, version, wanted)

    context = get_script_run_ctx()
    workers = [
        threading.Thread(target=work, name="metrology-prefetch", daemon=True)
        for _ in range(min(_PREFETCH_WORKERS, len(views)))
    ]
    for worker in workers:
        if context is not None:  # Streamlit's documented way to let a thread use the run's caches
            add_script_run_ctx(worker, context)
        worker.start()
    for worker in workers:
        worker.join()


def _compute(url: str, version: str, wanted: View) -> None:
    try:
        _call(
            url,
            version,
            wanted.service.__module__,
            wanted.service.__qualname__,
            wanted.filters,
            wanted.options,
        )
    except Exception:  # the page's own call raises it again, in the run, where errors are reported
        _log.debug("prefetch of %s failed", wanted.service.__qualname__, exc_info=True)


@st.cache_data(show_spinner=False, max_entries=MAX_CACHED_VIEWS)
def _call(
    url: str,
    version: str,
    module: str,
    name: str,
    filters: Filters | None,
    options: tuple[tuple[str, Any], ...],
) -> Any:
    service = getattr(importlib.import_module(module), name)
    with Session(_engine_for(url)) as session, shared_reads(session, _reads_of(url, version)):
        if filters is None:
            return service(session, **dict(options))
        return service(session, filters, **dict(options))


@st.cache_resource(show_spinner=False, max_entries=2)
def _reads_of(url: str, version: str) -> SharedReads:
    """The inputs views have in common (the centers of a day, the capabilities in force, the
    status counts), read once per data version by whichever view of any session asks first:
    a cold page's views would otherwise each read them again. A new version starts empty."""
    return SharedReads()


def demo_day() -> date | None:
    """The day the demo network describes, or None for a database of real records."""
    return _demo_day(database_url(), data_version())


def default_day() -> date:
    """The day views show when the user has not chosen one: the demo day, or today
    (``services.dataset.default_as_of``, on the cached demo day)."""
    return demo_day() or date.today()


@st.cache_data(show_spinner=False, max_entries=16)
def _demo_day(url: str, version: str) -> date | None:
    with Session(_engine_for(url)) as session:
        return demo_as_of(session)


@dataclass(frozen=True)
class FinishedChart:
    """A chart ready to draw: the Altair object (the PNG/SVG downloads render it on a click) and
    its Vega-Lite spec with the rows already as Arrow bytes (what ``st.vega_lite_chart`` sends).

    Shared by every session of the process: read it, never change it.
    """

    chart: alt.TopLevelMixin
    spec: dict[str, Any]


def prepared(
    build: Callable[[], T], name: str, filters: Filters | None, language: str, *extra: Hashable
) -> T:
    """``build()``, made once per data version, ``name``, filters, language and ``extra``
    (whatever else it depends on that ``name`` does not say): a chart, or the display rows of a
    table, that a warm rerun would otherwise build again from the same cached rows.

    Shared by every session of the process, without a copy: read it, never change it.
    """
    return _prepared(database_url(), data_version(), name, filters, language, extra, build)


@st.cache_resource(show_spinner=False, max_entries=MAX_PREPARED)
def _prepared(
    url: str,
    version: str,
    name: str,
    filters: Filters | None,
    language: str,
    extra: tuple[Hashable, ...],
    _build: Callable[[], T],
) -> T:
    return _build()


def finished_chart(
    build: Callable[[], alt.TopLevelMixin | None],
    name: str,
    filters: Filters | None,
    language: str,
    *extra: Hashable,
) -> FinishedChart | None:
    """``build()``'s chart and spec (None when it builds no chart), made once per data version,
    chart name, filters, language and ``extra`` (``prepared``).

    Building an Altair chart and converting it to a spec was most of a warm rerun (the province
    map alone about half a second); a rerun with nothing new now draws the spec it drew last time.
    """

    def finish() -> FinishedChart | None:
        chart = build()
        return None if chart is None else FinishedChart(chart=chart, spec=vega_lite_spec(chart))

    return prepared(finish, f"chart:{name}", filters, language, *extra)


def vega_lite_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as ``st.altair_chart`` converts it, without Altair's JSON-schema validation: our
    builders' specs are validated by the tests and by every export (``services.chart_images``),
    and validating the map's boundaries on screen cost a fifth of a second per filter change."""
    datasets: dict[str, Any] = {}
    alt.data_transformers.register("arrow_datasets", _to_arrow_dataset)
    with _altair_globals_lock, alt.data_transformers.enable("arrow_datasets", datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec
