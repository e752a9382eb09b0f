"""Two app instances behind nginx over one PostgreSQL: an import made on one is seen on the other.

The deployment is the one deploy/ ships (deploy/local_cluster.py: a fresh demo database on the
test PostgreSQL server, two `streamlit run` processes, nginx with deploy/'s site block), all on
loopback. Each browser context carries the route cookie nginx would have given it, chosen so
that one is served by instance A and the other by instance B; nginx's X-Upstream header and its
access log (which instance took each websocket) prove where each view came from.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import create_engine, text

from deploy.local_cluster import NGINX_HINT, ROUTE_COOKIE, Cluster, ClusterError, find_nginx, local_cluster
from tests.browser.conftest import (
    _CALL_FAILED,
    EXPECT_TIMEOUT_MS,
    RUN_COUNTER,
    TIMEOUT_MS,
    AppPage,
    RunningApp,
)
from tests.conftest import IN_CI, INSTALL_HINT, POSTGRES_URL, SEED_DAY

pytestmark = pytest.mark.browser

SERIAL = "SCALE-OUT-0001"
EQUIPMENT_FILE = (
    "serial_no,name,quantity,instrument_type,manufacturer,model,range,uncertainty,reference_standard,"
    "acquired_on,status,calibration_interval_months\n"
    f'{SERIAL},Áp kế chuẩn nhập qua phiên bản A,pressure,pressure_gauge,WIKA,CPB5800,0–60 MPa,"0,015 %",có,'
    "14/06/2024,in_service,24\n"
).encode()
EQUIPMENT_CARD = "Thiết bị, chuẩn đo lường"  # kpi.equipment on the overview
LOG_SECONDS = 30  # nginx writes a websocket's access-log line once the socket has closed


def _missing(message: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def cluster(chromium: Browser) -> Iterator[Cluster]:
    if not POSTGRES_URL:
        _missing(f"the scale-out journey needs PostgreSQL: {INSTALL_HINT}")
    if find_nginx() is None:
        _missing(f"the scale-out journey needs nginx: {NGINX_HINT}")
    try:
        with local_cluster(POSTGRES_URL, instances=2, as_of=SEED_DAY) as running:
            yield running
    except ClusterError as problem:
        pytest.fail(f"the local deployment did not start: {problem}", pytrace=False)


@pytest.fixture
def pinned_page(
    chromium: Browser, cluster: Cluster, request: pytest.FixtureRequest
) -> Iterator[Callable[[int], AppPage]]:
    """A new user's tab through nginx whose route cookie sends it to instance ``number``
    (a failed test leaves a screenshot of each in tests/artifacts/)."""
    contexts = []
    front = RunningApp(
        base_url=cluster.front_url, database_url=cluster.database_url, log=cluster.runtime_dir / "access.log"
    )

    def open_on(number: int) -> AppPage:
        context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.add_init_script(RUN_COUNTER)
        context.add_cookies(
            [{"name": ROUTE_COOKIE, "value": cluster.route_to(number), "url": cluster.front_url}]
        )
        contexts.append(context)
        return AppPage(context.new_page(), front)

    yield open_on
    if request.node.stash.get(_CALL_FAILED, False):
        for number, context in enumerate(contexts):
            for page in context.pages:
                AppPage(page, front).screenshot(f"FAILED-{request.node.name}-{number}")
    for context in contexts:
        context.close()


def equipment_in_view(database_url: str) -> int:
    """What the overview's equipment card counts on the demo day (as test_journeys computes it)."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT COUNT(*) FROM equipment WHERE status != 'retired' AND acquired_on <= :day"),
            {"day": SEED_DAY},
        ).scalar_one()
    engine.dispose()
    return int(count)


def vi_number(count: int) -> str:
    return f"{count:,}".replace(",", ".")


def open_served_by(app_page: AppPage, path: str, cluster: Cluster, number: int) -> None:
    """Open ``path`` through nginx and check that instance ``number`` answered it."""
    with app_page.page.expect_response(lambda response: response.url.startswith(cluster.front_url)) as first:
        app_page.open(path)
    assert first.value.headers.get("x-upstream") == cluster.instance_address(number)


def import_one_equipment(staff: AppPage, tmp_path: Path) -> None:
    page = staff.page
    page.get_by_label("Tên đăng nhập").fill("ttkt31")
    page.get_by_label("Mật khẩu").fill("ttkt31-demo")
    staff.after_run(page.get_by_role("button", name="Đăng nhập", exact=True).click)
    expect(page.get_by_text(re.compile(r"Đăng nhập: ttkt31 · .* · TTKT-31"))).to_be_visible()

    upload = tmp_path / "equipment.csv"
    upload.write_bytes(EQUIPMENT_FILE)
    staff.after_run(lambda: page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(upload))
    staff.after_run(page.get_by_role("button", name="Kiểm tra tệp", exact=True).click)
    staff.after_run(page.get_by_role("button", name=re.compile(r"^Nhập 1 dòng$")).click)
    expect(page.get_by_text(re.compile(r"^Đã nhập 1 dòng vào TTKT-31"))).to_be_visible()


def websockets_by_route(access_log: Path, routes: set[str]) -> dict[str, set[str]]:
    """route cookie → the instances that served its websocket (/_stcore/stream), from nginx's log."""
    deadline = time.monotonic() + LOG_SECONDS
    while True:
        served: dict[str, set[str]] = {route: set() for route in routes}
        for line in access_log.read_text().splitlines():
            found = re.search(r'"GET /_stcore/stream[^"]*" 101 .* upstream=(\S+) route=(\S+)$', line)
            if found and found.group(2) in served:
                served[found.group(2)].add(found.group(1))
        if all(served.values()) or time.monotonic() > deadline:
            return served
        time.sleep(0.2)  # polling a log nginx writes when the sockets close


def test_equipment_imported_on_one_instance_shows_on_the_other_without_a_restart(
    pinned_page: Callable[[int], AppPage], cluster: Cluster, tmp_path: Path
) -> None:
    before = equipment_in_view(cluster.database_url)
    reader = pinned_page(1)  # instance B: its caches hold the overview from before the import
    open_served_by(reader, "", cluster, 1)
    assert reader.metrics()[EQUIPMENT_CARD] == vi_number(before)

    staff = pinned_page(0)  # instance A: center staff of Hải Phòng import one standard
    open_served_by(staff, "data", cluster, 0)
    import_one_equipment(staff, tmp_path)
    assert equipment_in_view(cluster.database_url) == before + 1
    open_served_by(staff, "", cluster, 0)
    assert staff.metrics()[EQUIPMENT_CARD] == vi_number(before + 1)

    open_served_by(reader, "", cluster, 1)  # the next run on B: same process, nothing restarted
    shown = reader.metrics()[EQUIPMENT_CARD]
    assert shown == vi_number(before + 1), (
        f"instance B still shows {shown} equipment after A imported one (the database holds "
        f"{vi_number(before + 1)}): its cached views are not keyed on the data version"
    )

    routes = {
        cluster.route_to(0): cluster.instance_address(0),
        cluster.route_to(1): cluster.instance_address(1),
    }
    for page in (reader.page, staff.page):
        page.context.close()  # nginx logs a websocket when it closes
    served = websockets_by_route(cluster.runtime_dir / "access.log", set(routes))
    assert served == {route: {address} for route, address in routes.items()}, served
