"""The real app in a real browser: `streamlit run dashboard.py` on a seeded SQLite file, Debian's Chromium.

One server and one browser serve the whole session; every test gets a fresh browser context (a new
user, no cookies or session state). Playwright never downloads a browser here: it drives
/usr/bin/chromium. Without it the journeys are skipped with the command that installs it, except in
CI (CI=true), where a missing browser fails the run.

"Finished running" comes from the app itself: Streamlit marks its root element with
``data-test-script-state`` (initial → running → notRunning). An init script counts every
running → notRunning transition, so a test waits for the run its action started, never a fixed
time. The flag flips before everything is drawn: each kind of element first shows a skeleton while
its code loads (measured on the overview: cards 1 s, charts 1.7 s, tables 3.7 s after the flag on a
busy machine). So a run counts as finished once, in addition, no skeleton and no stale element is
left, every visible chart has drawn its SVG (a chart in a hidden tab waits for its tab), and the page has stopped changing for QUIET_MS (as
Playwright's "network idle" does for requests).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from deploy.local_cluster import free_port, streamlit_command
from tests.conftest import IN_CI, PROJECT_ROOT, SEED_DAY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHROMIUM_HINT = (
    "sudo apt-get install chromium  (Playwright drives Debian's /usr/bin/chromium; it never downloads one)"
)
ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
TIMEOUT_MS = 90_000  # a run to finish: two shared cores, and a cold first run takes several seconds
EXPECT_TIMEOUT_MS = 20_000  # an assertion, once the run has finished and the page stopped changing
SERVER_START_SECONDS = 120
PORT_ATTEMPTS = 5
PORT_TAKEN = "Port {port} is not available"  # Streamlit's last words when its --server.port is taken

QUIET_MS = 500  # like Playwright's "network idle": the page has stopped changing for this long
RUN_COUNTER = """
(() => {
  window.__streamlitRunsFinished = 0;
  window.__lastMutation = performance.now();
  let last = null;
  const watch = () => {
    window.__lastMutation = performance.now();
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute('data-test-script-state') : null;
    if (state === last) return;
    if (last === 'running' && state === 'notRunning') window.__streamlitRunsFinished += 1;
    last = state;
  };
  new MutationObserver(watch).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
})();
"""
RUN_FINISHED = """
([before, quietMs]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return window.__streamlitRunsFinished > before
      && app.getAttribute('data-test-script-state') === 'notRunning'
      && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && document.querySelector(
           '[data-stale="true"], [data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]') === null
      && charts.every(chart => !chart.checkVisibility() || chart.querySelector('svg, canvas') !== null)
      && performance.now() - window.__lastMutation > quietMs;
}
"""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


def _missing_chromium() -> None:
    message = f"Chromium is not installed at {CHROMIUM}: {CHROMIUM_HINT}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    database_url: str
    log: Path


@pytest.fixture(scope="session")
def seeded_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file filled by the seeder's command line, as `make run` fills data/metrology.db."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'metrology.db'}"
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.seed",
            "--database-url",
            database_url,
            "--as-of",
            SEED_DAY.isoformat(),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert seeded.returncode == 0, f"seeding failed:\n{seeded.stdout}\n{seeded.stderr}"
    return database_url


@contextmanager
def serve(database_url: str, directory: Path) -> Iterator[RunningApp]:
    """`streamlit run dashboard.py` on a free loopback port until the block ends.

    The port is free when chosen but nothing holds it until Streamlit binds it, and under xdist
    another worker's server (or any test's) may take it first: Streamlit then exits saying so, and
    a new port is tried.
    """
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        log = directory / f"streamlit-{port}.log"
        server = _start_streamlit(database_url, port, log)
        base_url = f"http://127.0.0.1:{port}"
        try:
            if _wait_until_healthy(server, base_url, log):
                yield RunningApp(base_url=base_url, database_url=database_url, log=log)
                return
        finally:
            _stop(server)
    pytest.fail(
        f"no free port for streamlit after {PORT_ATTEMPTS} attempts:\n{log.read_text()[-4000:]}",
        pytrace=False,
    )


def _start_streamlit(database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    with log.open("w") as log_file:
        return subprocess.Popen(
            streamlit_command(port),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _wait_until_healthy(server: subprocess.Popen, base_url: str, log: Path) -> bool:
    """True once the server answers; False when it exited because its port was taken."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log.read_text()
            if PORT_TAKEN.format(port=urllib.parse.urlsplit(base_url).port) in output:
                return False
            pytest.fail(f"streamlit exited with {server.returncode}:\n{output[-4000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling a server that is starting, not waiting for the app to settle
    pytest.fail(
        f"streamlit did not answer /_stcore/health within {SERVER_START_SECONDS} s:\n"
        f"{log.read_text()[-4000:]}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        _missing_chromium()
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def running_app(
    chromium: Browser, seeded_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApp]:
    """One server for the journeys, already past its first visit.

    The very first visit after a start is special (Streamlit 1.67 treats an app with a ``pages/``
    folder as an old-style multipage app until some session has called ``st.navigation``;
    ui/frame.py handles it). test_first_visit covers that visit on a server of its own; here one
    visit to the front page first keeps the journeys independent of their order.
    """
    with serve(seeded_database_url, tmp_path_factory.mktemp("browser-app")) as app:
        context = chromium.new_context()
        context.add_init_script(RUN_COUNTER)
        page = context.new_page()
        page.goto(app.base_url)
        page.wait_for_function(
            RUN_FINISHED, arg=[0, QUIET_MS], timeout=TIMEOUT_MS
        )  # errors: the tests' to report
        context.close()
        yield app


class AppPage:
    """A browser tab on the app, with waits for Streamlit's runs and checks for app errors."""

    def __init__(self, page: Page, app: RunningApp) -> None:
        self.page = page
        self.app = app

    def open(self, path: str = "") -> None:
        """Load ``base_url/path`` (path may carry a query string) and wait for the first run to finish."""
        self.page.goto(f"{self.app.base_url}/{path.lstrip('/')}")
        self._wait_for_run(0)

    def after_run(self, action: Callable[[], object]) -> None:
        """Do ``action`` (a click, a choice) and wait for the rerun it starts to finish."""
        before = self.page.evaluate("window.__streamlitRunsFinished")
        action()
        self._wait_for_run(before)

    def _wait_for_run(self, before: int) -> None:
        self.page.wait_for_function(RUN_FINISHED, arg=[before, QUIET_MS], timeout=TIMEOUT_MS)
        self.assert_no_exception()

    def assert_no_exception(self) -> None:
        errors = self.page.get_by_test_id("stException")
        if errors.count():
            pytest.fail(
                f"the page shows an error at {self.page.url}:\n" + "\n".join(errors.all_inner_texts()),
                pytrace=False,
            )

    def combobox(self, label: str) -> Locator:
        """A selectbox, found as a user's screen reader would: by its role and label."""
        return self.page.get_by_role("combobox", name=label, exact=True)

    def choose(self, label: str, option: str | re.Pattern[str]) -> None:
        """Pick ``option`` in the selectbox labelled ``label`` and wait for the rerun."""
        self.combobox(label).click()
        self.after_run(self.page.get_by_role("option", name=option, exact=True).click)

    def selected(self, label: str) -> str:
        """The option a selectbox shows ("" when it shows its placeholder)."""
        return str(self.combobox(label).input_value())

    def metrics(self) -> dict[str, str]:
        """KPI card label → value, as displayed."""
        labels = self.page.get_by_test_id("stMetricLabel").all_inner_texts()
        values = self.page.get_by_test_id("stMetricValue").all_inner_texts()
        return dict(
            zip([label.strip() for label in labels], [value.strip() for value in values], strict=True)
        )

    def captions(self) -> list[str]:
        return self.page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").all_inner_texts()

    def chart_texts(self) -> list[list[str]]:
        """Every chart's drawn words and numbers (axis labels, titles, mark labels), chart by chart."""
        return [
            chart.locator("svg text").evaluate_all("texts => texts.map(t => t.textContent).filter(Boolean)")
            for chart in self.page.get_by_test_id("stVegaLiteChart").all()
        ]

    def screenshot(self, name: str, *, full_page: bool = True) -> Path:
        """tests/artifacts/<name>.png, for people to look at (the directory is ignored by git)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def new_app_page(
    chromium: Browser, running_app: RunningApp, request: pytest.FixtureRequest
) -> Iterator[Callable[[], AppPage]]:
    """Opens tabs as new users (each in its own browser context); failed tests leave a screenshot."""
    contexts = []
    opened: list[AppPage] = []

    def open_new() -> AppPage:
        context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.add_init_script(RUN_COUNTER)
        contexts.append(context)
        app_page = AppPage(context.new_page(), running_app)
        opened.append(app_page)
        return app_page

    yield open_new
    if request.node.stash.get(_CALL_FAILED, False):
        for number, app_page in enumerate(opened):
            app_page.screenshot(f"FAILED-{request.node.name}-{number}")
    for context in contexts:
        context.close()


@pytest.fixture
def app_page(new_app_page: Callable[[], AppPage]) -> AppPage:
    return new_app_page()
