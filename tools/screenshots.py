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

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
SHOTS = [
    ("overview", "?lang=vi"),
    ("overview-en", "?lang=en"),
    ("equipment", "equipment"),
    ("coverage", "coverage?province=31"),
    ("cooperation", "cooperation"),
    ("finder", "finder?q_type=pressure_gauge&q_range=0-60+MPa&q_near=31"),
    ("profile", "profile?center=TTKT-31"),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--port", type=int, default=8599)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    database = Path(tempfile.mkdtemp()) / "screens.db"
    url = f"sqlite:///{database}"
    subprocess.run([sys.executable, "-m", "services.seed", "--database-url", url], check=True,
                   stdout=subprocess.DEVNULL)
    env = {**os.environ, "DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(args.port),
         "--server.headless", "true"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://localhost:{args.port}"
    try:
        wait_for_health(base)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            # the first visit after a start registers st.navigation (see ui/frame.py)
            page.goto(base)
            page.wait_for_selector('[data-testid="stAppViewContainer"]')
            for name, path in SHOTS:
                page.goto(f"{base}/{path}")
                page.wait_for_selector('[data-testid="stAppViewContainer"]')
                page.wait_for_timeout(1000)
                page.wait_for_function(
                    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
                page.wait_for_timeout(2000)  # let Vega finish drawing
                page.screenshot(path=str(out / f"{name}.png"), full_page=False)
                print(f"{name}: {out / f'{name}.png'}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
