"""A cold page computes its views side by side (``ui.data.prefetch``), each exactly once, and a
warm rerun starts no thread; views that share a read wait for one another instead of reading twice.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from services import coverage, equipment, kpis, overview, province_map
from services.network import SharedReads
from tests.page_support import open_app, open_page

PREFETCH_THREAD = "metrology-prefetch"
# page -> (module, service name) of the views it prefetches, and how often a cold run computes each
PREFETCHED = {
    "pages/overview.py": {
        (kpis, "kpi_summary"): 2,  # the day and a year earlier
        (province_map, "province_measures"): 1,
        (coverage, "coverage_gaps"): 1,
        (overview, "center_points"): 1,
        (coverage, "coverage_grid"): 1,
        (overview, "recent_changes"): 1,
    },
    "pages/equipment.py": {
        (equipment, "measurement_ranges"): 1,
        (equipment, "equipment_by_center_field"): 1,
        (equipment, "age_profile"): 1,
        (equipment, "equipment_page"): 1,
        (equipment, "equipment_summary"): 1,
    },
}


class CallLog:
    """Which threads ran which services (the data cache finds a service by module and name)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.threads: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def wrap(self, service: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[service.__qualname__] += 1
                self.threads.setdefault(service.__qualname__, set()).add(threading.current_thread().name)
            return service(*args, **kwargs)

        counted.__module__, counted.__qualname__ = service.__module__, service.__qualname__
        return counted


@pytest.mark.parametrize("page", sorted(PREFETCHED))
def test_a_cold_page_computes_each_view_once_in_prefetch_threads_and_a_warm_rerun_none(
    app_database: str, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    log = CallLog()
    for module, name in PREFETCHED[page]:
        monkeypatch.setattr(module, name, log.wrap(getattr(module, name)))

    app = open_page(page)
    assert dict(log.calls) == {name: times for (_module, name), times in PREFETCHED[page].items()}
    for name, threads in log.threads.items():
        assert threads == {PREFETCH_THREAD}, (name, threads)  # none left for the page to compute alone

    log.calls.clear()
    app.run()
    assert not app.exception
    assert not log.calls  # every view came from the cache
    assert not any(thread.name == PREFETCH_THREAD for thread in threading.enumerate())


def test_a_page_whose_view_fails_in_prefetch_still_draws_what_it_can_and_reports_once(
    app_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view that fails in a prefetch thread is computed again by the page's own call; the
    page's own error handling then speaks (here the recent-changes list fails on every call)."""
    failures: list[str] = []

    def broken(*_args: object, **_kwargs: object) -> pd.DataFrame:
        failures.append(threading.current_thread().name)
        raise RuntimeError("recent changes unavailable")

    broken.__module__, broken.__qualname__ = "services.overview", "recent_changes"
    monkeypatch.setattr(overview, "recent_changes", broken)
    app = open_app(lang="en")  # the entry file: its frame turns a page's error into an incident
    assert failures[0] == PREFETCH_THREAD and len(failures) == 2  # then the page's own call
    assert failures[1] != PREFETCH_THREAD
    assert [e for e in app.error if "incident" in str(e.value).lower()], [e.value for e in app.error]
    assert app.metric  # the cards drawn before the failing view stay on screen


def _thread_waits_in(thread: threading.Thread, function: str) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


def test_two_threads_asking_for_the_same_read_read_it_once() -> None:
    store = SharedReads()
    started, release = threading.Event(), threading.Event()
    reads: list[str] = []
    results: dict[str, pd.DataFrame] = {}

    def slow_read() -> pd.DataFrame:
        reads.append("first")
        started.set()
        release.wait()
        return pd.DataFrame({"n": [1]})

    def quick_read() -> pd.DataFrame:
        reads.append("second")
        return pd.DataFrame({"n": [2]})

    first = threading.Thread(target=lambda: results.setdefault("first", store.get_or_read(("k",), slow_read)))
    first.start()
    started.wait()
    second = threading.Thread(
        target=lambda: results.setdefault("second", store.get_or_read(("k",), quick_read))
    )
    second.start()
    while second.is_alive() and not _thread_waits_in(second, "get_or_read"):
        pass  # until the second thread is inside the store (an old store would read at once and finish)
    release.set()
    first.join()
    second.join()
    assert reads == ["first"]
    assert results["first"] is results["second"]


def test_a_failed_read_lets_the_waiting_thread_read_it_itself() -> None:
    store = SharedReads()

    def failing() -> pd.DataFrame:
        raise OSError("database went away")

    with pytest.raises(OSError):
        store.get_or_read(("k",), failing)
    frame = store.get_or_read(("k",), lambda: pd.DataFrame({"n": [3]}))
    assert frame["n"].tolist() == [3]
