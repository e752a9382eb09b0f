"""nginx configuration for several app instances: the site block, and a whole file for loopback runs.

    python -m deploy.nginx_config --listen 80 --instance 127.0.0.1:8501 --instance 127.0.0.1:8502 \
        > /etc/nginx/conf.d/metrology.conf

prints the site block (deploy/metrology-nginx.conf.template) for Debian's nginx;
``standalone_config`` wraps the same block in a file a user without root runs with ``nginx -p DIR``.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import re
from collections.abc import Sequence
from pathlib import Path

TEMPLATE = Path(__file__).with_name("metrology-nginx.conf.template")
DEBIAN_ACCESS_LOG = Path("/var/log/nginx/metrology.access.log")
_PLACEHOLDER = re.compile(r"@[A-Z_]+@")
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")  # host:port, the only thing an upstream line takes


def site_config(listen: str, instances: Sequence[str], access_log: Path = DEBIAN_ACCESS_LOG) -> str:
    """The server block: ``listen`` (a port or address:port) in front of ``instances`` (host:port each)."""
    if not instances:
        raise ValueError("at least one app instance (host:port) is needed")
    for address in (listen, *instances):
        if not (address.isdigit() or _ADDRESS.match(address)):
            raise ValueError(f"not a port or host:port: {address!r}")
    servers = "\n".join(f"    server {address} max_fails=1 fail_timeout=10s;" for address in instances)
    text = (
        TEMPLATE.read_text()
        .replace("@UPSTREAM_SERVERS@", servers)
        .replace("@LISTEN@", listen)
        .replace("@ACCESS_LOG@", str(access_log))
    )
    leftover = _PLACEHOLDER.findall(text)
    if leftover:
        raise ValueError(f"{TEMPLATE.name} has placeholders nothing fills: {leftover}")
    return text


def standalone_config(site: str, runtime_dir: Path) -> str:
    """A complete nginx.conf for ``nginx -p runtime_dir -c nginx.conf``: foreground, every file in runtime_dir.

    Started as root, nginx hands its workers to ``nobody``; they must be able to write the temp
    directories (uploads over the body buffer go there), so those are given to that user.
    """
    temp_paths = {
        name: runtime_dir / "temp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    for path in temp_paths.values():
        path.mkdir(parents=True, exist_ok=True)
    user_line = ""
    if os.geteuid() == 0:
        user, group = pwd.getpwnam("nobody"), grp.getgrgid(pwd.getpwnam("nobody").pw_gid)
        user_line = f"user {user.pw_name} {group.gr_name};\n"
        runtime_dir.chmod(0o711)  # workers pass through to their temp dirs, nothing else is theirs
        for path in [runtime_dir / "temp", *temp_paths.values()]:
            os.chown(path, user.pw_uid, user.pw_gid)
    temps = "\n".join(f"    {name}_temp_path {path};" for name, path in temp_paths.items())
    return (
        f"{user_line}daemon off;\nworker_processes 1;\npid {runtime_dir / 'nginx.pid'};\n"
        f"error_log {runtime_dir / 'error.log'} notice;\n"
        "events {\n    worker_connections 1024;\n}\n"
        f"http {{\n{temps}\n"
        + "".join(f"    {line}\n" if line else "\n" for line in site.splitlines())
        + "}\n"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="80", help="port or address:port nginx listens on (default 80)")
    parser.add_argument(
        "--instance",
        action="append",
        required=True,
        help="host:port of one `streamlit run` instance; repeat for each",
    )
    parser.add_argument(
        "--access-log", type=Path, default=DEBIAN_ACCESS_LOG, help=f"default {DEBIAN_ACCESS_LOG}"
    )
    arguments = parser.parse_args(argv)
    try:
        print(site_config(arguments.listen, arguments.instance, arguments.access_log), end="")
    except ValueError as problem:
        parser.error(str(problem))


if __name__ == "__main__":
    main()
