"""Uncached calls into services for the data-management page: live reads and writes, one session each.

The other pages read through ``ui.data.cached``; this page edits, so it must see the database as
it is now (someone else may have just imported), and its writes must never be served from a cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from services.db import is_empty
from ui.data import engine

T = TypeVar("T")


def call(service: Callable[..., T], /, **options: Any) -> T:
    """``service(session, **options)`` in a fresh session (services that write commit themselves)."""
    with Session(engine()) as session:
        return service(session, **options)


def database_is_empty() -> bool:
    return is_empty(engine())
