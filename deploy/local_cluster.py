"""The deployment on one machine, all on loopback: PostgreSQL, N `streamlit run` instances, nginx in front.

    bash deploy/run-local.sh [--instances 2] [--as-of YYYY-MM-DD]

(`.ci/with-postgres` starts a throwaway PostgreSQL and names it in DATABASE_URL; this module makes a
fresh database on that server, seeds the demo network into it, starts the instances on free ports
with the same DATABASE_URL, and nginx on a free port with the site block of deploy/ rendered for
them, as a user without root: its pid, logs and temp files live in a temp directory.) The browser
test of the scale-out and bench/load.py start the same cluster through ``local_cluster``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from deploy.nginx_config import site_config, standalone_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 120  # a Streamlit process on two busy cores takes several seconds to answer
SEED_SECONDS = 600
ROUTE_COOKIE = "metrology_route"  # set by nginx (deploy/metrology-nginx.conf.template)
NGINX_HINT = "sudo apt-get install nginx  (Debian's package; it is run as the current user on a free port)"


class ClusterError(RuntimeError):
    """A part of the local deployment is missing or did not start; the message says which and why."""


@dataclass(frozen=True)
class Cluster:
    database_url: str
    instance_urls: tuple[str, ...]  # http://127.0.0.1:PORT of each Streamlit process, in start order
    front_url: str  # nginx
    runtime_dir: Path  # logs of every process, nginx.conf

    def instance_address(self, number: int) -> str:
        return self.instance_urls[number].removeprefix("http://")

    def route_to(self, number: int, *, tries: int = 64) -> str:
        """A value of the route cookie that nginx sends to instance ``number`` (asked of nginx itself,
        through the X-Upstream header, so it holds for whatever hash nginx uses)."""
        wanted = self.instance_address(number)
        for attempt in range(tries):
            candidate = f"pinned-{attempt}"
            request = urllib.request.Request(
                f"{self.front_url}/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}={candidate}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.headers.get("X-Upstream") == wanted:
                    return candidate
        raise ClusterError(f"no route cookie among {tries} tries reaches {wanted}")


def find_nginx() -> str | None:
    """Debian installs nginx in /usr/sbin, which is not on a normal user's PATH."""
    return shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_cluster(
    server_url: str, *, instances: int = 2, as_of: date | None = None, scale: int | str = 1
) -> Iterator[Cluster]:
    """A fresh demo database on the PostgreSQL server ``server_url`` names (the seeder's ``scale``:
    a number or ``national``), ``instances`` app processes over it and nginx in front, until the
    block ends (then all stop and the database goes)."""
    if not server_url.startswith("postgresql"):
        raise ClusterError(
            f"the app instances share one PostgreSQL server; DATABASE_URL names {server_url!r}"
        )
    nginx = find_nginx()
    if nginx is None:
        raise ClusterError(f"nginx is not installed: {NGINX_HINT}")
    with ExitStack() as stack:
        # under the system temp dir, not a test's: nginx's workers must be able to reach its temp files
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metrology-cluster-")))
        database_url = stack.enter_context(_throwaway_database(server_url))
        _seed(database_url, as_of, scale, directory)
        cookie_secret = secrets.token_hex(32)  # one for all: a cookie signed by one instance reads on another
        urls = []
        for number in range(instances):
            environment = {"SEED_DEMO_DATA": "1"} if number == 0 else {}  # only one instance may ever seed
            urls.append(stack.enter_context(_streamlit(database_url, cookie_secret, environment, directory)))
        front_url = stack.enter_context(
            _nginx(nginx, [url.removeprefix("http://") for url in urls], directory)
        )
        yield Cluster(
            database_url=database_url, instance_urls=tuple(urls), front_url=front_url, runtime_dir=directory
        )


@contextmanager
def _throwaway_database(server_url: str) -> Iterator[str]:
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"metrology_cluster_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(database_url: str, as_of: date | None, scale: int | str, directory: Path) -> None:
    """Seeded before any instance starts, so no two processes race over the schema upgrade."""
    command = [sys.executable, "-m", "services.seed", "--database-url", database_url, "--if-empty"]
    command += ["--scale", str(scale)]
    if as_of:
        command += ["--as-of", as_of.isoformat()]
    log = directory / "seed.log"
    with log.open("w") as output:
        seeded = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=SEED_SECONDS,
            check=False,
        )
    if seeded.returncode != 0:
        raise ClusterError(f"seeding failed ({seeded.returncode}):\n{log.read_text()[-4000:]}")


def streamlit_command(port: int) -> list[str]:
    """One app instance on loopback, headless, without file watching (the tests start the same)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]


@contextmanager
def _streamlit(
    database_url: str, cookie_secret: str, environment: dict[str, str], directory: Path
) -> Iterator[str]:
    port = free_port()
    command = streamlit_command(port)
    env = {
        **os.environ,
        **environment,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
        "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,
    }  # Streamlit takes no secret on its command line
    url = f"http://127.0.0.1:{port}"
    with _process(command, env, directory / f"streamlit-{port}.log") as process:
        _wait_until_healthy(process, url, directory / f"streamlit-{port}.log")
        yield url


@contextmanager
def _nginx(nginx: str, instances: list[str], directory: Path) -> Iterator[str]:
    port = free_port()
    config = directory / "nginx.conf"
    site = site_config(f"127.0.0.1:{port}", instances, access_log=directory / "access.log")
    config.write_text(standalone_config(site, directory))
    command = [nginx, "-p", str(directory), "-c", str(config), "-e", str(directory / "error.log")]
    url = f"http://127.0.0.1:{port}"
    with _process(command, dict(os.environ), directory / "nginx.out") as process:
        _wait_until_healthy(process, url, directory / "error.log")
        yield url


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ClusterError(
                f"{Path(process.args[0]).name} exited with {process.returncode}:\n"
                f"{log.read_text()[-4000:] if log.exists() else ''}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)  # polling a server that is starting
    raise ClusterError(
        f"{base_url}/_stcore/health did not answer within {START_SECONDS} s:\n"
        f"{log.read_text()[-4000:] if log.exists() else ''}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="PostgreSQL + N app instances + nginx on loopback, until Ctrl-C"
    )
    parser.add_argument("--instances", type=int, default=2, choices=range(1, 9), metavar="N")
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="the demo day (default: today)"
    )
    arguments = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # leave through the context managers
    try:
        with local_cluster(
            os.environ.get("DATABASE_URL", ""), instances=arguments.instances, as_of=arguments.as_of
        ) as cluster:
            for url in cluster.instance_urls:
                print(f"app instance  {url}")
            print(
                f"nginx         {cluster.front_url}   (logs in {cluster.runtime_dir}; Ctrl-C stops everything)",
                flush=True,
            )
            signal.pause()
    except ClusterError as problem:
        sys.exit(f"local cluster: {problem}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
