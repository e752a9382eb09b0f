"""Screenshots of every page for the README, from the running app in headless Chromium.

    python -m tools.screenshots [--out docs/screenshots] [--port 8599]

Seeds a fresh SQLite database, serves the app on a free port, and shoots each page in Vietnamese
(and the overview in English too) with Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
MAP = '[data-testid="stMain"] [data-testid="stButtonGroup"]'  # the map's measure control, over the map
LOSS_VIEW = 'h3:has-text("Nếu chuẩn này ngừng sử dụng")'  # the loss view's heading, on the traceability tab
SEED_DAY = "2026-11-30"
DRAWN_CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
SHOTS: list[tuple[str, ...]] = [
    ("overview", "?lang=vi"),
    ("overview-en", "?lang=en"),
    # the 25 provinces on their last day, and the 15 since the merger (the seed day)
    ("overview-map-2024", "?lang=vi&boundaries=before_merger&as_of=2025-06-30", MAP),
    ("overview-map-2025", "?lang=vi&boundaries=after_merger&map=gaps", MAP),
    ("equipment", "equipment"),
    ("coverage", "coverage?province=31"),
    ("cooperation", "cooperation"),
    ("finder", "finder?q_type=pressure_gauge&q_range=0-60+MPa&q_near=31"),
    ("profile", "profile?center=TTKT-31"),
    # "if this standard is out of service": a Hải Phòng reference standard two capabilities hang on
    ("profile-loss", "profile?center=TTKT-31&standard=481", LOSS_VIEW, "Liên kết chuẩn"),
    ("presenter", "presenter?slide=5"),
]


def wait_for_health(base: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the app at {base} did not come up")


def _seeded_database() -> str:
    database = Path(tempfile.mkdtemp()) / "screens.db"
    url = f"sqlite:///{database}"
    # a fixed day, so the pictures (and the ids in SHOTS) are the same whenever they are retaken
    subprocess.run(
        [sys.executable, "-m", "services.seed", "--database-url", url, "--as-of", SEED_DAY],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def _start_app(url: str, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
        ],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _take(page: Page, base: str, path: str, focus: list[str], target: Path) -> None:
    """One shot once the page has finished running and its charts have drawn."""
    page.goto(f"{base}/{path}")
    page.wait_for_selector('[data-testid="stAppViewContainer"]')
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    page.wait_for_timeout(2000)  # let Vega finish drawing
    if len(focus) > 1:  # a tab to open first
        page.get_by_role("tab", name=focus[1]).click()
        page.wait_for_selector(focus[0], timeout=60_000)
    elif focus:  # scrolled to the top of the element, so the shot shows it whole
        page.wait_for_selector(DRAWN_CHART, timeout=120_000)
    if focus:
        page.wait_for_timeout(1500)
        page.locator(focus[0]).first.evaluate("element => element.scrollIntoView()")
        page.wait_for_timeout(500)
    page.screenshot(path=str(target), full_page=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = _start_app(_seeded_database(), args.port)
    base = f"http://localhost:{args.port}"
    try:
        wait_for_health(base)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # the first visit after a start registers st.navigation (see ui/frame.py)
            page.goto(base)
            page.wait_for_selector('[data-testid="stAppViewContainer"]')
            for name, path, *focus in SHOTS:
                if args.only and name not in args.only:
                    continue
                _take(page, base, path, focus, out / f"{name}.png")
                print(f"{name}: {out / f'{name}.png'}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
