"""In-process requests through the agent's own bottle app, carrying the browser's credentials.

A page is rendered from what the API answers the browser's session, so who may read what is
checked in one place (Api._answer). bottle keeps the current request and response per thread,
so a sub-request runs on a worker thread of its own and the page's request is left as it was.
"""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from orpheus.api.authentication import PRINCIPAL_ENVIRON_KEY, Principal

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
# What a sub-request takes from the browser's request: who it is, and where from.
_CARRIED = (
    "HTTP_COOKIE",
    "HTTP_X_CSRF_TOKEN",
    "HTTP_ORIGIN",
    "HTTP_HOST",
    "REMOTE_ADDR",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
)
# A dashboard asks a handful of routes at once; more workers than that buy nothing.
_WORKERS = 6


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the decoded JSON, or None
    headers: Mapping[str, str]
    principal: Principal | None  # who the API took the request for

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), str):
            return str(self.body["error"])
        return f"HTTP {self.status}"


class SubRequester:
    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="web-sub")

    def request(
        self, browser: Mapping[str, Any], method: str, path: str, body: Any = None
    ) -> Answer:
        return self._pool.submit(self._call, browser, method, path, body).result()

    def many(self, browser: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Answer]:
        """GETs of several paths at once (the dashboard's)."""
        futures = {
            path: self._pool.submit(self._call, browser, "GET", path, None) for path in paths
        }
        return {path: future.result() for path, future in futures.items()}

    def close(self) -> None:
        self._pool.shutdown(wait=False)

    def _call(self, browser: Mapping[str, Any], method: str, path: str, body: Any) -> Answer:
        environ = _environ(browser, method, path, body)
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started["status"] = int(status.split()[0])
            started["headers"] = dict(headers)

        chunks = self._app(environ, start_response)
        try:
            raw = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        headers = started.get("headers", {})
        decoded = None
        if raw and headers.get("Content-Type", "").startswith("application/json"):
            decoded = json.loads(raw)
        principal = environ.get(PRINCIPAL_ENVIRON_KEY)
        return Answer(
            started.get("status", 500),
            decoded,
            headers,
            principal if isinstance(principal, Principal) else None,
        )


def _environ(browser: Mapping[str, Any], method: str, path: str, body: Any) -> dict[str, Any]:
    path_only, _, query = path.partition("?")
    data = b"" if body is None else json.dumps(body).encode()
    environ: dict[str, Any] = {key: browser[key] for key in _CARRIED if key in browser}
    environ.update(
        {
            "REQUEST_METHOD": method,
            "PATH_INFO": urllib.parse.unquote(path_only),
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json" if body is not None else "",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": browser.get("wsgi.errors"),
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
    )
    environ.setdefault("SERVER_NAME", "localhost")
    environ.setdefault("SERVER_PORT", "80")
    environ.setdefault("wsgi.url_scheme", "http")
    return environ
