"""The app's one engine and cached calls into services (cache keyed on plain, hashable arguments)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from services.dataset import demo_as_of
from services.db import database_url, is_empty, make_engine, upgrade_schema
from services.filters import Filters

T = TypeVar("T")
CACHE_SECONDS = 600


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


def cached(service: Callable[..., T], filters: Filters, /, **options: Any) -> T:
    """Call ``service(session, filters, **options)`` through the data cache.

    Positional-only, so a service may take options named ``service`` or ``filters``.
    """
    return _call(database_url(), service.__module__, service.__qualname__, filters, tuple(sorted(options.items())))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=512)
def _call(url: str, module: str, name: str, filters: Filters, options: tuple[tuple[str, Any], ...]) -> Any:
    service = getattr(importlib.import_module(module), name)
    with Session(_engine_for(url)) as session:
        return service(session, filters, **dict(options))


def demo_day() -> date | None:
    """The day the demo network describes, or None for a database of real records."""
    return _demo_day(database_url())


def default_day() -> date:
    """The day views show when the user has not chosen one: the demo day, or today
    (``services.dataset.default_as_of``, on the cached demo day)."""
    return demo_day() or date.today()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _demo_day(url: str) -> date | None:
    with Session(_engine_for(url)) as session:
        return demo_as_of(session)


def forget_cached_data() -> None:
    """After a write, every cached view is stale."""
    _call.clear()
    _demo_day.clear()
