"""Bundle URLs: asked and downloaded by the agent itself, never from the unit's own addresses.

Every connection, the first and each one a redirect leads to, resolves the host name, refuses
it if any of its addresses is the unit itself or link-local (destination.refusal), and then
connects to exactly the addresses it checked, so a name cannot resolve differently between
the check and the connection. Only http and https, also after a redirect; https is verified
against the unit's CA store (ssl.create_default_context: certificate chain and host name).
No proxy from the environment is used: the check applies to the server the bundle comes from.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from orpheus.jobs.model import Failure
from orpheus.update.destination import LocalAddresses, local_addresses, refusal
from orpheus.update.policy import Refused

TIMEOUT_SECONDS = 15.0
# A download that receives nothing for this long is given up (update_stall_seconds).
STALL_SECONDS = 60.0
CHUNK_BYTES = 1024 * 1024
SCHEMES = ("http", "https")
MIB = 1024**2

Progress = Callable[[int, int | None], None]  # bytes so far, the whole size if announced


class Stalled(Failure):
    """The server stopped sending: the install fails (it was not refused: nothing was wrong
    with the bundle as far as it came)."""


def _connector(local: LocalAddresses) -> Callable[..., socket.socket]:
    """socket.create_connection, but only to addresses that passed the check."""

    def connect(
        address: tuple[str, int], timeout: object = None, source_address: Any = None, **_: Any
    ) -> socket.socket:
        host, port = address
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        reason = _first_refusal(host, infos, local)
        if reason is not None:
            raise Refused(f"URL refused: {reason}")
        error: OSError = OSError(f"no address for {host}")
        for family, kind, proto, _name, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if isinstance(timeout, int | float):
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as failed:
                sock.close()
                error = failed
                continue
            return sock
        raise error

    return connect


class _Redirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, local: LocalAddresses) -> None:
        self.local = local

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> Any:
        # Before urllib's own scheme check, which would end in a bare "HTTP 302".
        location = headers.get("location") or headers.get("uri") or ""
        target = urllib.parse.urljoin(req.full_url, location)
        if location and urllib.parse.urlsplit(target).scheme not in SCHEMES:
            fp.close()
            raise Refused(f"URL refused: redirected to {location!r}: only http and https")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        # (http_error_302 above has refused any scheme but http and https.)
        target = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl))
        try:
            port = target.port or (443 if target.scheme == "https" else 80)
            check_host(target.hostname or "", port, self.local)
        except Refused as error:
            fp.close()
            raise Refused(f"URL refused: redirected to {target.geturl()}: {error}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def check_host(host: str, port: int, local: LocalAddresses = local_addresses) -> None:
    """Refuses a host that resolves to the unit itself (a name that does not resolve is left
    to the connection, which says so)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return
    reason = _first_refusal(host, infos, local)
    if reason is not None:
        raise Refused(reason)


def _first_refusal(host: str, infos: list[Any], local: LocalAddresses) -> str | None:
    """A name with any address on the unit is refused, whichever address it would use."""
    for info in infos:
        reason = refusal(host, str(info[4][0]), local)
        if reason is not None:
            return reason
    return None


def opener(local: LocalAddresses = local_addresses) -> urllib.request.OpenerDirector:
    """urllib with only the guarded http(s) handlers (no file:, ftp:, data: or proxies)."""
    connect = _connector(local)

    class Connection(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class TlsConnection(http.client.HTTPSConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(TlsConnection, req, context=ssl.create_default_context())

    director = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.UnknownHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _Redirects(local),
        urllib.request.HTTPErrorProcessor(),
        Http(),
        Https(),
    ):
        director.add_handler(handler)
    return director


def _open(
    url: str, method: str, local: LocalAddresses, timeout: float = TIMEOUT_SECONDS
) -> http.client.HTTPResponse:
    """Opens url; timeout bounds the connection and then every wait for data."""
    try:
        scheme = urllib.parse.urlsplit(url).scheme
    except ValueError as error:  # e.g. an unclosed IPv6 bracket: "https://[0Oc0f"
        raise Refused(f"cannot download {url!r}: not a usable URL ({error})") from error
    if scheme not in SCHEMES:
        raise Refused(f"URL refused: {url!r}: only http and https")
    try:
        response: http.client.HTTPResponse = opener(local).open(
            urllib.request.Request(url, method=method),  # noqa: S310 - http(s), checked above
            timeout=timeout,
        )
    except urllib.error.HTTPError as error:
        raise Refused(f"cannot download {url}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Refused(f"cannot download {url}: {reason}") from error
    except (ValueError, UnicodeError, http.client.HTTPException) as error:
        raise Refused(f"cannot download {url!r}: not a usable URL ({error})") from error
    return response


def check_url(url: str, local: LocalAddresses = local_addresses) -> None:
    """A HEAD request: the URL answers, and neither it nor a redirect points at the unit."""
    with _open(url, "HEAD", local) as response:
        if response.status >= 400:
            raise Refused(f"cannot download {url}: HTTP {response.status}")


def download(
    url: str,
    target: Path,
    room: int,
    on_progress: Progress,
    local: LocalAddresses = local_addresses,
    stall_seconds: float = STALL_SECONDS,
) -> None:
    """Writes the bundle at url to target (a new file only the agent can read), at most room
    bytes; a refusal or failure leaves no file. A server that sends nothing for stall_seconds
    (stalled, or gone without closing) ends the download with Stalled."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        with _open(url, "GET", local, stall_seconds) as response:
            size = response.length
            if size is not None and size > room:
                raise _full(size, room)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                _copy(url, response, out, room, size, on_progress, stall_seconds)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _copy(
    url: str,
    response: http.client.HTTPResponse,
    out: IO[bytes],
    room: int,
    size: int | None,
    on_progress: Progress,
    timeout: float,
) -> None:
    done = 0
    while True:
        try:
            chunk = response.read(CHUNK_BYTES)
        except TimeoutError as error:
            host = urllib.parse.urlsplit(url).hostname
            raise Stalled(f"no data from {host} for {timeout:.0f} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise Refused(f"cannot download {url}: {error}") from error
        if not chunk:
            break
        done += len(chunk)
        if done > room:
            raise _full(done, room)
        out.write(chunk)
        on_progress(done, size)
    if size is not None and done < size:
        raise Refused(f"cannot download {url}: the server sent {done} of {size} bytes")


def _full(size: int, room: int) -> Refused:
    return Refused(
        f"data partition full: the bundle needs {size // MIB} MiB, "
        f"{max(room, 0) // MIB} MiB free for it"
    )
