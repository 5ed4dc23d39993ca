"""The bounded API server (waitress) on 127.0.0.1 and on a Unix socket, with the real Api."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import select
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bottle
import pytest

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.api.body_limit import JSON_BODY_LIMIT
from orpheus.api.schema import ANY_OBJECT
from orpheus.api.server import (
    ServerLimits,
    make_tcp_server,
    make_unix_server,
    serve_in_thread,
)
from orpheus.auth import PasswordStore
from orpheus.cli.client import AgentClient
from tests.unit.api.running_server import running

QUICK = ServerLimits(
    idle_timeout_seconds=2, header_timeout_seconds=2.0, body_grace_seconds=2.0, backlog=1024
)


def make_api(state_dir: Path) -> Api:
    api = Api(PasswordStore(state_dir))
    api.route("GET", "/api/v1/health", lambda: {"ok": True}, auth=False, area="pbx")
    api.route("GET", "/whoami", _whoami, auth=False, area="pbx")
    for path in ("/api/v1/update", "/echo"):  # both take JSON or an upload of any size
        api.route(
            "POST",
            path,
            _body_facts,
            auth=False,
            body=ANY_OBJECT,
            upload_limit=_any_size,
            area="pbx",
        )
    return api


def declared_limits(api: Api) -> Any:
    """The agent's policy (bootstrap): each route's declared cap, an upload's when it takes one."""
    return lambda method, path: api.body_limit(method, path, "application/octet-stream")


def _any_size() -> int:
    return 2**40


def _whoami() -> dict[str, Any]:
    environ = bottle.request.environ
    return {"local": bool(environ.get(LOCAL_ENVIRON_KEY)), "remote": environ["REMOTE_ADDR"]}


def _body_facts() -> dict[str, Any]:
    if bottle.request.content_type.startswith("application/json"):  # read (and checked) already
        return {"length": len(bottle.request.body.read()), "spooled_in": ""}
    body = bottle.request.environ["wsgi.input"]
    data = body.read()
    spooled_in = ""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        spooled_in = str(Path(f"/proc/self/fd/{body.fileno()}").readlink())
    return {"length": len(data), "spooled_in": spooled_in}


@pytest.fixture
def tcp(tmp_path: Path) -> Iterator[tuple[str, int]]:
    api = make_api(tmp_path)
    server = make_tcp_server(
        api.app, "127.0.0.1", 0, body_limit=declared_limits(api),
        spool_dir=tmp_path / "spool", limits=QUICK,
    )  # fmt: skip
    with running(server):
        host, port = server.address
        yield host, int(port)


def get(address: tuple[str, int], path: str, timeout: float = 5.0) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def post(address: tuple[str, int], path: str, body: bytes, content_type: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(*address, timeout=10)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def headers_only_status(address: tuple[str, int], path: str, length: int, kind: str) -> int:
    """Sends a POST's header and none of its body: a refusal comes back at once."""
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed sock (recv answers b"" or a reset), None if it did not."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return None
    except ConnectionResetError:
        data = b""
    return time.monotonic() - start if data == b"" else None


def test_health_answers_while_500_connections_send_nothing(tcp: tuple[str, int]) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1400:  # the client's 500 sockets and the server's live in this one process
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    silent = [socket.create_connection(tcp, timeout=5) for _ in range(500)]
    try:
        started = time.monotonic()
        assert get(tcp, "/api/v1/health") == (200, {"ok": True})
        assert time.monotonic() - started < 5.0  # generous: CI's 2 cores are shared
    finally:
        for sock in silent:
            sock.close()


def test_a_header_sent_a_byte_a_second_is_dropped_by_the_header_deadline(
    tcp: tuple[str, int],
) -> None:
    sock = socket.create_connection(tcp, timeout=5)
    started = time.monotonic()
    dropped = False
    with sock:
        for byte in b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n":  # 40 bytes: 40 s if served
            try:
                sock.send(bytes([byte]))
            except OSError:
                dropped = True
                break
            readable, _, _ = select.select([sock], [], [], 1.0)
            if readable and closed_within(sock, 0.1) is not None:
                dropped = True
                break
    elapsed = time.monotonic() - started
    assert dropped
    # header deadline 2 s, checked every second
    assert elapsed >= QUICK.header_timeout_seconds  # not dropped before its deadline


def test_a_body_trickled_under_the_minimum_rate_is_dropped(tcp: tuple[str, int]) -> None:
    sock = socket.create_connection(tcp, timeout=5)
    dropped = False
    with sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        for _ in range(20):  # 20 s if served to the end
            try:
                sock.send(b" ")
            except OSError:
                dropped = True
                break
            readable, _, _ = select.select([sock], [], [], 1.0)
            if readable and closed_within(sock, 0.1) is not None:
                dropped = True
                break
    assert dropped  # before the 20 s a served trickle takes (no wall-clock bound: CI is noisy)


def test_an_idle_connection_is_closed_after_the_idle_timeout(tcp: tuple[str, int]) -> None:
    with socket.create_connection(tcp, timeout=5) as sock:
        assert get(tcp, "/api/v1/health")[0] == 200  # the server is up and serving
        elapsed = closed_within(sock, QUICK.idle_timeout_seconds + 4)
    assert elapsed is not None
    assert elapsed >= QUICK.idle_timeout_seconds - 0.5


def test_a_kept_alive_connection_serves_several_requests(tcp: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*tcp, timeout=5)
    for _ in range(3):
        connection.request("GET", "/api/v1/health")
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (200, {"ok": True})
    connection.close()


def test_a_100_mb_json_body_is_answered_413_before_it_is_sent(tcp: tuple[str, int]) -> None:
    with socket.create_connection(tcp, timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000000\r\nExpect: 100-continue\r\n\r\n"
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = json.loads(response.read())
    assert time.monotonic() - started < 3.0  # nothing of the 100 MB was sent
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert body == {"error": "request body too large: POST /echo takes at most 1048576 bytes"}


def test_a_chunked_json_body_is_cut_off_at_the_cap(tcp: tuple[str, int]) -> None:
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    sent = 0
    with socket.create_connection(tcp, timeout=5) as sock:
        sock.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        while sent < 100_000_000:  # the whole 100 MB is never needed
            readable, writable, _ = select.select([sock], [sock], [], 5.0)
            if readable or not writable:
                break
            try:
                sent += sock.send(chunk)
            except OSError:
                break
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 413
    assert sent < 32 * 1024 * 1024  # the cap (1 MiB) plus what socket buffers held


def test_a_json_body_under_the_cap_reaches_the_handler(tcp: tuple[str, int]) -> None:
    body = json.dumps({"pad": "x" * (JSON_BODY_LIMIT - 100)}).encode()
    status, answer = post(tcp, "/echo", body, "application/json")
    assert (status, answer["length"]) == (200, len(body))


def test_the_upload_route_takes_a_large_body_spooled_in_the_spool_directory(
    tcp: tuple[str, int], tmp_path: Path
) -> None:
    body = os.urandom(3 * JSON_BODY_LIMIT)
    status, answer = post(tcp, "/api/v1/update", body, "application/octet-stream")
    assert (status, answer["length"]) == (200, len(body))
    assert answer["spooled_in"].startswith(str(tmp_path / "spool"))
    # ... but a JSON body there is capped like any other
    assert headers_only_status(tcp, "/api/v1/update", len(body), "application/json") == 413


def test_the_body_limit_is_asked_per_route(tmp_path: Path) -> None:
    def body_limit(method: str, path: str) -> int:
        return 10 if (method, path) == ("POST", "/echo") else JSON_BODY_LIMIT

    app = make_api(tmp_path).app
    server = make_tcp_server(app, "127.0.0.1", 0, body_limit=body_limit, spool_dir=tmp_path)
    with running(server):
        address = ("127.0.0.1", int(server.address[1]))
        upload = "application/octet-stream"
        assert post(address, "/echo", b"0123456789", upload)[0] == 200
        assert headers_only_status(address, "/echo", 11, upload) == 413
        # A JSON body is not an upload: the route's upload cap (0 on a full disk) is not its.
        assert post(address, "/echo", b'{"a": "0123456789"}', "application/json")[0] == 200


def test_an_unknown_route_answers_json_404(tcp: tuple[str, int]) -> None:
    status, body = get(tcp, "/api/v1/no-such-thing")
    assert status == 404
    assert isinstance(body["error"], str)


def test_a_malformed_request_answers_json_400(tcp: tuple[str, int]) -> None:
    with socket.create_connection(tcp, timeout=5) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nBad Header Line\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = json.loads(response.read())
    assert response.status == 400
    assert body == {"error": "bad request: Invalid header"}


def test_connections_past_the_cap_wait_until_one_closes(tmp_path: Path) -> None:
    limits = ServerLimits(connections=8, idle_timeout_seconds=30)
    server = make_tcp_server(make_api(tmp_path).app, "127.0.0.1", 0, limits=limits)
    with running(server):
        address = ("127.0.0.1", int(server.address[1]))
        silent = [socket.create_connection(address, timeout=5) for _ in range(10)]
        with pytest.raises(TimeoutError):
            get(address, "/api/v1/health", timeout=1.5)
        for sock in silent:
            sock.close()
        assert get(address, "/api/v1/health") == (200, {"ok": True})


def test_the_unix_socket_is_root_only_and_marks_requests_local(tmp_path: Path) -> None:
    path = tmp_path / "run/agent.sock"
    app = make_api(tmp_path).app
    server = make_unix_server(app, path, spool_dir=tmp_path / "spool")
    with running(server):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert AgentClient(path, timeout=5).request("GET", "/whoami") == {
            "local": True,
            "remote": "local",
        }
    tcp_server = make_tcp_server(app, "127.0.0.1", 0)
    with running(tcp_server):
        status, body = get(("127.0.0.1", int(tcp_server.address[1])), "/whoami")
    assert (status, body["local"]) == (200, False)


def test_shutdown_ends_the_serving_thread_and_closes_the_port(tmp_path: Path) -> None:
    server = make_tcp_server(make_api(tmp_path).app, "127.0.0.1", 0)
    port = int(server.address[1])
    thread = serve_in_thread(server, "test-http")
    assert get(("127.0.0.1", port), "/api/v1/health")[0] == 200
    server.shutdown()
    thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_slow_handler_does_not_hold_up_other_requests(tmp_path: Path) -> None:
    release = threading.Event()
    api = make_api(tmp_path)
    api.route("GET", "/slow", lambda: {"slow": release.wait(10)}, auth=False, area="pbx")
    server = make_tcp_server(api.app, "127.0.0.1", 0, limits=ServerLimits(threads=2))
    with running(server):
        address = ("127.0.0.1", int(server.address[1]))
        slow = threading.Thread(target=get, args=(address, "/slow"))
        slow.start()
        try:
            assert get(address, "/api/v1/health", timeout=2) == (200, {"ok": True})
        finally:
            release.set()
            slow.join(10)


def test_an_upload_cut_half_way_never_reaches_the_handler(tmp_path: Path) -> None:
    calls: list[int] = []
    api = make_api(tmp_path)
    api.route("POST", "/api/v1/update", lambda: {"n": calls.append(1)}, auth=False,
              upload_limit=_any_size, area="pbx")  # fmt: skip
    server = make_tcp_server(api.app, "127.0.0.1", 0, spool_dir=tmp_path / "spool")
    with running(server):
        address = ("127.0.0.1", int(server.address[1]))
        with socket.create_connection(address, timeout=5) as sock:
            sock.sendall(
                b"POST /api/v1/update HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Length: 3000000\r\n\r\n"
            )
            # The server may answer and close before all of it is sent (a full spool disk
            # answers at once): the point is only that the handler never runs.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"x" * 1_500_000)
        time.sleep(0.5)
        assert get(address, "/api/v1/health") == (200, {"ok": True})
    assert calls == []


def test_an_upload_spooled_by_the_server_becomes_the_target_without_a_copy(
    tmp_path: Path,
) -> None:
    from orpheus.api import upload

    target = tmp_path / "spool-fs/upload.raucb"
    target.parent.mkdir()
    seen: dict[str, int] = {}

    def receive() -> dict[str, Any]:
        body = bottle.request.environ["wsgi.input"]
        upload.receive(body, bottle.request.content_length, target)
        seen["links"] = target.stat().st_nlink  # the spool file and the target: one inode
        return {}

    api = make_api(tmp_path)
    api.route("POST", "/take", receive, auth=False, upload_limit=_any_size, area="pbx")
    server = make_tcp_server(
        api.app, "127.0.0.1", 0, body_limit=declared_limits(api), spool_dir=tmp_path / "spool"
    )
    body = os.urandom(3 * JSON_BODY_LIMIT)
    with running(server):
        status, _ = post(("127.0.0.1", int(server.address[1])), "/take", body,
                         "application/octet-stream")  # fmt: skip
    assert status == 200 and seen["links"] == 2
    assert target.read_bytes() == body and target.stat().st_nlink == 1
    assert not list((tmp_path / "spool").iterdir())  # waitress removed its name for it
