"""Load: 20 concurrent sessions (browsers, or Streamlit's protocol without one) on one app instance, then on two behind nginx.

    bash .ci/with-postgres .venv/bin/python -m bench.load [--sessions 20] [--seconds 45] [--scale 1|national]
        [--client browser|protocol] [--json FILE]

Starts the loopback deployment of deploy/ (PostgreSQL, two `streamlit run` instances, nginx;
deploy/local_cluster.py), warms each instance's caches with one walk through the pages, then runs
two bounded rounds: ``--sessions`` Chromium contexts (one browser) on instance A alone, then the
same number through nginx, which spreads them over A and B by its route cookie. Session i starts
i seconds into the round (all run together after 19 s), opens page i (of seven) by its URL, as a
shared link, and then walks the pages in turn through the sidebar, as a user does, until the
round's time is up. A page's time runs from the click (or the navigation) to the moment it finished
running: Streamlit's script state back to notRunning, no skeleton or stale element left, every
visible chart drawn (tests/browser/conftest.py's RUN_FINISHED) — the time of its last change, not
including the quiet period that proves it was the last. Prints p50 and p95 per page and overall and
writes JSON (default bench/results/load.json). Everything listens on 127.0.0.1; the load stops by
itself within 2 minutes (two rounds of at most 45 s, each with 10 s for the visits under way and 5 s
to open and close the contexts; a visit still running then is reported as cut off, with how long it
had run). The warm-up walk comes before and is not timed
against that limit: a fresh process's first run imports the app and fills its caches.

``--client protocol`` runs the same rounds without a browser: each session speaks Streamlit's
websocket protocol itself (bench/stream_client.py), and a visit lasts until the server finished
the run and sent its deltas (default JSON bench/results/load-protocol.json). On one machine the
browsers take most of the CPU; this measures the servers alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout
from sqlalchemy.engine import make_url

from bench.stream_client import run_page, stream_session
from deploy.local_cluster import ClusterError, local_cluster
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, QUIET_MS, RUN_COUNTER, RUN_FINISHED

RESULTS = Path(__file__).with_name("results") / "load.json"
PROTOCOL_RESULTS = RESULTS.with_name("load-protocol.json")
FIRST_VISIT = "new session"  # the first page of a session: the front end loads, then the page runs
PAGES = ("", "equipment", "coverage", "cooperation", "finder", "profile", "presenter")  # sidebar order
WARM_UP_VISIT_SECONDS = 120  # a fresh process's first run imports the app and fills its caches
RAMP_SECONDS = 1.0  # session i starts i seconds into the round; all 20 run together after 19 s
GRACE_SECONDS = 10  # a visit under way when a round ends may finish within this, else it is cut off
CLOSING_SECONDS = 5  # opening and closing 20 browser contexts
LOAD_LIMIT_SECONDS = 120  # both rounds, each with its grace and its contexts' opening and closing
CPU_KINDS = (
    ("streamlit run dashboard.py", "app instances"),
    ("chromium", "browser"),
    ("-m bench.load", "load client"),  # this process: the protocol client's sessions, Playwright's driver
    ("nginx", "nginx"),
    ("postgres", "postgresql"),
)
POSTMASTER = "/usr/lib/postgresql/"  # Debian's server binary, started by .ci/with-postgres
SEED_DAY = date(2026, 11, 30)  # the demo day of the test suite, so the figures describe the same network


def cpu_seconds_by_kind() -> dict[str, float]:
    """CPU time used so far by the app servers, nginx, PostgreSQL and Chromium this run started (Linux /proc).

    The browsers run on the same two cores as the servers; this says how much of the load is theirs.
    Only processes under this one's parent count (`.ci/with-postgres` and what it started) and the
    PostgreSQL server DATABASE_URL names, not the other work sharing the machine.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    processes: dict[int, tuple[int, str, float]] = {}  # pid -> (parent, command, cpu seconds)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        processes[int(stat.parent.name)] = (
            int(fields[1]),
            command,
            # its own time (utime, stime) and that of its children it has reaped (cutime, cstime):
            # PostgreSQL's backends end when a pool recycles them, and their time must not vanish
            sum(int(ticks_used) for ticks_used in fields[11:15]) / ticks,
        )
    server_port = make_url(os.environ.get("DATABASE_URL", "postgresql://localhost")).port
    ours = {os.getppid()} | {
        pid
        for pid, (_, command, _) in processes.items()  # pg_ctl detaches the server
        if command.startswith(POSTMASTER) and f" -p {server_port} " in command
    }
    for _ in range(12):  # the process tree is a few levels deep (driver -> chromium -> its helpers)
        ours |= {pid for pid, (parent, _, _) in processes.items() if parent in ours}
    used: dict[str, float] = {}
    for pid in ours & processes.keys():
        _, command, seconds = processes[pid]
        kind = next((name for marker, name in CPU_KINDS if marker in command), None)
        if kind:
            used[kind] = used.get(kind, 0.0) + seconds
    return used


@dataclass
class Round:
    target: str
    base_url: str
    sessions: int
    seconds: float
    samples: list[tuple[str, float]] = field(default_factory=list)  # (page, seconds) reached by the sidebar
    first_visits: list[float] = field(default_factory=list)  # seconds: a new session opening a link
    cut_off: list[tuple[str, float]] = field(
        default_factory=list
    )  # visits still running at the end, elapsed s
    sessions_by_instance: dict[str, int] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        by_page = {page or "overview": [s for p, s in self.samples if p == page] for page in PAGES}
        by_page[FIRST_VISIT] = self.first_visits
        return {
            "target": self.target,
            "sessions": self.sessions,
            "seconds": self.seconds,
            "visits": len(self.samples) + len(self.first_visits),
            "cut_off": len(self.cut_off),
            # the cut-off visits counted at their elapsed time: a lower bound on the true median
            "p50_at_least_s": percentiles(self.all_times() + [s for _, s in self.cut_off])["p50_s"],
            "sessions_by_instance": self.sessions_by_instance,
            "cpu_seconds": self.cpu_seconds,
            "pages": [{"page": page, **percentiles(times)} for page, times in by_page.items()],
            "overall": percentiles(self.all_times()),
        }

    def all_times(self) -> list[float]:
        return [seconds for _, seconds in self.samples] + self.first_visits


def percentiles(times: list[float]) -> dict[str, float | int | None]:
    if not times:
        return {"samples": 0, "p50_s": None, "p95_s": None}
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return {"samples": len(times), "p50_s": round(statistics.median(times), 3), "p95_s": round(p95, 3)}


async def finished_after(page: Page, before: int, deadline: float) -> float:
    """Wait until the run that started after ``before`` finished; its last change, in page time (ms)."""
    timeout_ms = max(1_000.0, (deadline - time.monotonic()) * 1000)
    await page.wait_for_function(RUN_FINISHED, arg=[before, QUIET_MS], timeout=timeout_ms, polling=100)
    return float(await page.evaluate("window.__lastMutation"))


async def open_first(page: Page, url: str, deadline: float) -> tuple[float, str]:
    """The first visit of a session (a link opened); seconds, and which instance answered (nginx's X-Upstream)."""
    response = await page.goto(url, timeout=max(1_000.0, (deadline - time.monotonic()) * 1000))
    finished_ms = await finished_after(page, 0, deadline)  # page time starts at the navigation
    upstream = (response.headers.get("x-upstream") if response else None) or url.split("/")[2]
    return finished_ms / 1000, upstream


async def visit(page: Page, path: str, deadline: float) -> float:
    """Click the sidebar link to ``path`` and wait until the page finished running; seconds."""
    before = await page.evaluate("window.__streamlitRunsFinished")
    link = page.get_by_test_id("stSidebarNav").locator(f'a[href$="/{path}"]').first
    started_ms = float(await page.evaluate("performance.now()"))
    await link.click(timeout=max(1_000.0, (deadline - time.monotonic()) * 1000))
    return (await finished_after(page, before, deadline) - started_ms) / 1000


async def session(browser: Browser, run: Round, number: int, stop_at: float) -> None:
    # ramped, as sessions arrive: twenty front ends loading in the same second on two cores finish none
    await asyncio.sleep(number * RAMP_SECONDS)
    context: BrowserContext = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN"
    )
    await context.add_init_script(RUN_COUNTER)
    page = await context.new_page()
    hard_deadline = stop_at + GRACE_SECONDS
    step = number  # sessions start at different pages (a shared link), so every page is under load at once
    path, started = PAGES[step % len(PAGES)], time.monotonic()
    try:
        seconds, upstream = await open_first(page, f"{run.base_url}/{path}", hard_deadline)
        run.first_visits.append(seconds)
        run.sessions_by_instance[upstream] = run.sessions_by_instance.get(upstream, 0) + 1
        while time.monotonic() < stop_at:
            step += 1
            path, started = PAGES[step % len(PAGES)], time.monotonic()
            run.samples.append((path, await visit(page, path, hard_deadline)))
    except PlaywrightTimeout:  # counted and reported: the session stops, the others go on
        run.cut_off.append((path, time.monotonic() - started))
    finally:
        await context.close()


async def protocol_session(run: Round, number: int, stop_at: float) -> None:
    """``session`` without a browser: the same arrivals and walk over Streamlit's websocket protocol."""
    await asyncio.sleep(number * RAMP_SECONDS)
    hard_deadline = stop_at + GRACE_SECONDS
    step = number
    path, started = PAGES[step % len(PAGES)], time.monotonic()
    try:
        async with asyncio.timeout(hard_deadline - started):
            async with stream_session(run.base_url, path, hard_deadline - started) as stream:
                await run_page(stream, path)
                run.first_visits.append(time.monotonic() - started)  # the page's request, the stream, the run
                run.sessions_by_instance[stream.upstream] = (
                    run.sessions_by_instance.get(stream.upstream, 0) + 1
                )
                while time.monotonic() < stop_at:
                    step += 1
                    path, started = PAGES[step % len(PAGES)], time.monotonic()
                    run.samples.append((path, (await run_page(stream, path)).seconds))
    except TimeoutError:
        run.cut_off.append((path, time.monotonic() - started))


Session = Callable[[Round, int, float], Awaitable[None]]


async def run_round(visit_as: Session, run: Round) -> Round:
    stop_at = time.monotonic() + run.seconds
    cpu_before = cpu_seconds_by_kind()
    await asyncio.gather(*(visit_as(run, number, stop_at) for number in range(run.sessions)))
    run.cpu_seconds = {
        kind: round(total - cpu_before.get(kind, 0.0), 1)
        for kind, total in sorted(cpu_seconds_by_kind().items())
    }
    return run


async def rounds_of(
    visit_as: Session, instance_urls: tuple[str, ...], front_url: str, sessions: int, seconds: float
) -> list[Round]:
    started = time.monotonic()
    rounds = [
        await run_round(visit_as, Round("one instance", instance_urls[0], sessions, seconds)),
        await run_round(visit_as, Round("two instances behind nginx", front_url, sessions, seconds)),
    ]
    print(f"load phase {time.monotonic() - started:.0f} s")
    return rounds


async def load(
    instance_urls: tuple[str, ...], front_url: str, sessions: int, seconds: float, client: str = "browser"
) -> list[Round]:
    if client == "protocol":
        await asyncio.gather(*(protocol_warm_up(url) for url in instance_urls))
        return await rounds_of(protocol_session, instance_urls, front_url, sessions, seconds)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        await asyncio.gather(*(warm_up(browser, url) for url in instance_urls))
        rounds = await rounds_of(partial(session, browser), instance_urls, front_url, sessions, seconds)
        await browser.close()
    return rounds


async def protocol_warm_up(base_url: str) -> None:
    """``warm_up`` over the protocol: one walk through every page on a fresh instance (not counted)."""
    async with stream_session(base_url, "", WARM_UP_VISIT_SECONDS) as stream:
        walk = [
            (await asyncio.wait_for(run_page(stream, path), WARM_UP_VISIT_SECONDS)).seconds for path in PAGES
        ]
    print(
        f"warm-up {base_url}: "
        + ", ".join(f"{page or 'overview'} {s:.1f} s" for page, s in zip(PAGES, walk, strict=True))
    )


async def warm_up(browser: Browser, base_url: str) -> None:
    """One walk through every page on a fresh instance, so both rounds meet warm caches (not counted)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    await context.add_init_script(RUN_COUNTER)
    page = await context.new_page()
    seconds, _ = await open_first(page, base_url, time.monotonic() + WARM_UP_VISIT_SECONDS)
    walk = [seconds] + [
        await visit(page, path, time.monotonic() + WARM_UP_VISIT_SECONDS) for path in PAGES[1:]
    ]
    print(
        f"warm-up {base_url}: "
        + ", ".join(f"{page or 'overview'} {s:.1f} s" for page, s in zip(PAGES, walk, strict=True))
    )
    await context.close()


def print_table(rounds: list[Round]) -> None:
    print(f"{'page':<14}" + "".join(f"{r.target[:28]:>30}" for r in rounds))
    print(f"{'':<14}" + "".join(f"{'p50 s   p95 s   visits':>30}" for _ in rounds))
    summaries = [r.summary() for r in rounds]
    rows = [(p["page"], [s["pages"][i] for s in summaries]) for i, p in enumerate(summaries[0]["pages"])]
    rows.append(("overall", [s["overall"] for s in summaries]))
    for name, cells in rows:
        print(
            f"{name:<14}"
            + "".join(f"{_fmt(c['p50_s']):>14}{_fmt(c['p95_s']):>8}{c['samples']:>8}" for c in cells)
        )
    for summary in summaries:
        print(
            f"{summary['target']}: {summary['visits']} visits finished, {summary['cut_off']} cut off by the end "
            f"(median counting those at their elapsed time ≥ {_fmt(summary['p50_at_least_s'])} s), "
            f"sessions by instance {summary['sessions_by_instance']}, CPU seconds {summary['cpu_seconds']}"
        )


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20, choices=range(1, 41), metavar="N")
    parser.add_argument(
        "--seconds", type=float, default=45.0, help="length of each round (default and most: 45)"
    )
    parser.add_argument(
        "--scale", default="1", help="the demo network's size: a number or national (default 1)"
    )
    parser.add_argument(
        "--client",
        choices=["browser", "protocol"],
        default="browser",
        help="Chromium contexts (default), or Streamlit's websocket protocol without a browser (bench/stream_client.py)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help=f"default {RESULTS} ({PROTOCOL_RESULTS} for --client protocol)",
    )
    arguments = parser.parse_args()
    if arguments.json is None:
        arguments.json = PROTOCOL_RESULTS if arguments.client == "protocol" else RESULTS
    scale: int | str = int(arguments.scale) if arguments.scale.isdigit() else arguments.scale
    if not 5 <= arguments.seconds <= LOAD_LIMIT_SECONDS / 2 - GRACE_SECONDS - CLOSING_SECONDS:
        parser.error("--seconds must be between 5 and 45: the load stays within 2 minutes")
    load_before = os.getloadavg()
    try:
        with local_cluster(
            os.environ.get("DATABASE_URL", ""), instances=2, as_of=SEED_DAY, scale=scale
        ) as cluster:
            rounds = asyncio.run(
                load(
                    cluster.instance_urls,
                    cluster.front_url,
                    arguments.sessions,
                    arguments.seconds,
                    arguments.client,
                )
            )
    except ClusterError as problem:
        raise SystemExit(f"bench.load: {problem}") from None
    print_table(rounds)
    print(
        f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores shared with other work)"
    )
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
        },
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed_day": SEED_DAY.isoformat(),
        "scale": scale,
        "engine": "postgresql",
        "client": arguments.client,
        "load_average_after": round(os.getloadavg()[0], 2),
        "rounds": [r.summary() for r in rounds],
    }
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {arguments.json}")


if __name__ == "__main__":
    main()
