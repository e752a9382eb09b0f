"""A Streamlit session without a browser: the websocket protocol the front end speaks, enough to run pages.

The front end opens ``/_stcore/stream`` (subprotocol ``streamlit``, the page's Origin, the cookies
the page's HTTP response set: nginx's route cookie among them), asks for a page with a rerun
BackMsg (the page's name and query string, as an opened link or a sidebar click does) and reads
ForwardMsgs until the server says the run finished. So does this client, with Streamlit's own
protobuf classes. A visit's time is the server's whole script run plus sending its deltas; what a
browser adds on top is drawing them, which on a 2-core machine shared with 20 Chromiums is most of
the time (bench/load.py's browser rounds).
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class RunFailed(Exception):
    """The page's script did not run to its end, or sent an exception to the screen."""


@dataclass
class StreamSession:
    socket: websockets.ClientConnection
    upstream: str  # the instance that serves this session (nginx's X-Upstream, or the instance's own address)


def _page_response_headers(url: str, timeout: float) -> tuple[list[str], str | None]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URLs of the bench
        return response.headers.get_all("Set-Cookie") or [], response.headers.get("X-Upstream")


@asynccontextmanager
async def stream_session(base_url: str, path: str, timeout: float) -> AsyncIterator[StreamSession]:
    """A new session, opened as a browser opens a link to ``path``: the page's HTTP request, then the stream."""
    set_cookies, upstream = await asyncio.to_thread(_page_response_headers, f"{base_url}/{path}", timeout)
    cookies = "; ".join(cookie.split(";", 1)[0] for cookie in set_cookies)
    async with websockets.connect(
        base_url.replace("http://", "ws://", 1) + "/_stcore/stream",
        subprotocols=[websockets.Subprotocol("streamlit")],
        origin=websockets.Origin(base_url),
        additional_headers={"Cookie": cookies} if cookies else None,
        max_size=None,  # a national page's deltas (charts' Arrow data) exceed the default 1 MiB
        open_timeout=timeout,
    ) as socket:
        yield StreamSession(socket, upstream or urlsplit(base_url).netloc)


@dataclass(frozen=True)
class PageRun:
    seconds: float  # from the request to the server's "finished"
    elements: tuple[
        str, ...
    ]  # the kinds of element the run drew, in order ("heading", "arrow_data_frame", …)


async def run_page(session: StreamSession, path: str, query_string: str = "") -> PageRun:
    """Run the page at ``path`` in the session, as a sidebar click on it does."""
    request = BackMsg()
    request.rerun_script.page_name = path
    request.rerun_script.query_string = query_string
    started = time.perf_counter()
    await session.socket.send(request.SerializeToString())
    elements: list[str] = []
    while True:
        message = ForwardMsg.FromString(await session.socket.recv())
        kind = message.WhichOneof("type")
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "exception":
                raise RunFailed(f"{path or 'overview'}: {element.exception.message}")
            elements.append(str(element.WhichOneof("type")))
        if kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return PageRun(time.perf_counter() - started, tuple(elements))
            if message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                raise RunFailed(f"{path or 'overview'}: run ended with status {message.script_finished}")
            elements.clear()  # cut short by a rerun, which follows at once and draws anew
