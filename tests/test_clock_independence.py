"""No test depends on the real clock: the date-sensitive tests pass with "today" far from the demo day.

The demo network is seeded as of ``SEED_DAY`` and the app shows that day by default, so figures
must not move when the suite runs next week or in three years. Each run below travels the clock
(``METROLOGY_TEST_TODAY``, see the autouse fixture in conftest) and reruns the tests marked
``date_sensitive`` in a fresh interpreter, on SQLite. Keep that set small: one run should take
well under half a minute (seeding the demo network is most of it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest

from tests.conftest import PROJECT_ROOT, SEED_DAY, TEST_TODAY

# shortly after the demo day, months on, and years on (most certificates have lapsed by then)
TRAVELLED_DAYS = ["2026-12-25", "2027-03-15", "2029-01-01"]
OUTPUT_TAIL_LINES = 80
CLOCK_CHECK = "test_the_clock_reads_the_travelled_day"
# Not passed on to the inner runs: SQLite only (the main run covers PostgreSQL) and without CI's rule
# that requires it; not the outer run's options (.ci/run's --junitxml would be overwritten by the
# inner run's report) nor the xdist worker's identity.
OUTER_RUN_VARIABLES = (
    "DATABASE_URL",
    "CI",
    "PYTEST_ADDOPTS",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_XDIST_WORKER_COUNT",
)


def modules_with_date_sensitive_tests() -> list[str]:
    """Only these are collected (collecting every module would cost more than their tests)."""
    return sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "tests").glob("test_*.py")
        if "mark.date_sensitive" in path.read_text(encoding="utf-8")
    )


if TEST_TODAY:  # only in the runs below: without a travelled day there is nothing to check

    @pytest.mark.date_sensitive
    def test_the_clock_reads_the_travelled_day() -> None:
        """Proves the runs below really move the clock: the one test that reads it."""
        assert date.today() == date.fromisoformat(TEST_TODAY)


@pytest.mark.parametrize("today", TRAVELLED_DAYS)
def test_date_sensitive_tests_pass_whatever_day_it_is(today: str) -> None:
    assert today != SEED_DAY.isoformat()
    modules = modules_with_date_sensitive_tests()
    assert "tests/test_clock_independence.py" in modules and len(modules) > 5, modules
    env = {name: value for name, value in os.environ.items() if name not in OUTER_RUN_VARIABLES}
    env["METROLOGY_TEST_TODAY"] = today
    run = subprocess.run(
        # one process: the outer run already keeps every core busy, and each xdist worker would
        # seed the demo network again
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-m",
            "date_sensitive",
            *modules,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = "\n".join((run.stdout + run.stderr).splitlines()[-OUTPUT_TAIL_LINES:])
    assert run.returncode == 0, f"with today = {today}, the date-sensitive tests failed:\n{output}"
    assert f"PASSED tests/test_clock_independence.py::{CLOCK_CHECK}" in run.stdout, output
