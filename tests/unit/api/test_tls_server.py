"""The bounded server with TLS inside (api/tls_server.py), on 127.0.0.1, with the real Api."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bottle
import pytest

from orpheus.api.app import Api
from orpheus.api.schema import ANY_OBJECT
from orpheus.api.server import ServerLimits, make_tls_server
from orpheus.auth import PasswordStore
from orpheus.tls.contexts import server_context
from testbed.pinned_https import fingerprint_of
from testbed.tls_certs import Pair, make_pair
from tests.unit.api.running_server import running

QUICK = ServerLimits(idle_timeout_seconds=5, handshake_timeout_seconds=1.0)
BIG = 3 * 1024 * 1024


def context_of(pair: Pair, directory: Path) -> ssl.SSLContext:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "c").write_bytes(pair.cert_pem)
    (directory / "k").write_bytes(pair.key_pem)
    return server_context(directory / "c", directory / "k")


def make_api(state_dir: Path) -> Api:
    api = Api(PasswordStore(state_dir))
    api.route("GET", "/api/v1/health", lambda: {"ok": True}, auth=False, area="pbx")
    api.route("GET", "/scheme", lambda: {"scheme": bottle.request.urlparts.scheme},
              auth=False, area="pbx")  # fmt: skip
    api.route("GET", "/big", lambda: {"data": "x" * BIG}, auth=False, area="pbx")
    api.route("POST", "/echo", lambda: {"length": len(bottle.request.body.read())},
              auth=False, body=ANY_OBJECT, area="pbx")  # fmt: skip
    return api


@dataclass
class Served:
    address: tuple[str, int]
    contexts: list[ssl.SSLContext | None]  # the last one is served to new connections


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    api = make_api(tmp_path)
    contexts: list[ssl.SSLContext | None] = [context_of(make_pair(), tmp_path / "first")]
    server = make_tls_server(
        api.app, "127.0.0.1", 0, lambda: contexts[-1], body_limit=lambda m, p: 8 * 1024 * 1024,
        spool_dir=tmp_path / "spool", limits=QUICK,
    )  # fmt: skip
    with running(server):
        host, port = server.address
        yield Served((host, int(port)), contexts)


def client_context(maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if maximum is not None:
        with warnings.catch_warnings():  # old versions are deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            context.maximum_version = maximum
    return context


def connect(address: tuple[str, int]) -> http.client.HTTPSConnection:
    return http.client.HTTPSConnection(*address, context=client_context(), timeout=30)


def ask(
    connection: http.client.HTTPSConnection, method: str, path: str, body: bytes | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def served_fingerprint(connection: http.client.HTTPSConnection) -> str:
    sock: Any = connection.sock
    return fingerprint_of(sock.getpeercert(binary_form=True))


def test_requests_over_tls_keep_alive_and_know_their_scheme(served: Served) -> None:
    connection = connect(served.address)
    try:
        assert ask(connection, "GET", "/api/v1/health") == (200, {"ok": True})
        assert ask(connection, "GET", "/scheme") == (200, {"scheme": "https"})
        status, answer = ask(connection, "GET", "/big")  # hundreds of TLS records
        assert status == 200 and len(answer["data"]) == BIG
        body = json.dumps({"data": "y" * (512 * 1024)}).encode()  # 32 records and more
        assert ask(connection, "POST", "/echo", body) == (200, {"length": len(body)})
        assert ask(connection, "GET", "/api/v1/health") == (200, {"ok": True})
    finally:
        connection.close()


def test_pipelined_requests_in_one_record_are_all_answered(served: Served) -> None:
    """Both requests arrive in one TLS record: the second waits in OpenSSL's buffer, which
    poll() cannot see, until the first is answered."""
    request = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    with (
        socket.create_connection(served.address, timeout=30) as raw,
        client_context().wrap_socket(raw) as tls,
    ):
        tls.sendall(request * 3)
        received = b""
        while received.count(b'{"ok": true}') < 3:
            chunk = tls.recv(65536)
            assert chunk, received
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 3


def test_concurrent_clients_with_large_answers(served: Served) -> None:
    """Worker threads write while the loop reads other connections: every answer whole."""
    failures: list[str] = []

    def client() -> None:
        connection = connect(served.address)
        try:
            for _ in range(5):
                status, answer = ask(connection, "GET", "/big")
                if status != 200 or len(answer["data"]) != BIG:
                    failures.append(f"{status}")
                body = json.dumps({"data": "z" * 100_000}).encode()
                if ask(connection, "POST", "/echo", body) != (200, {"length": len(body)}):
                    failures.append("echo")
        except (OSError, ValueError, http.client.HTTPException) as error:  # reported below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []


def test_a_silent_client_does_not_hold_up_another_and_is_closed(served: Served) -> None:
    silent = [socket.create_connection(served.address, timeout=30) for _ in range(20)]
    trickle = socket.create_connection(served.address, timeout=30)
    trickle.sendall(b"\x16\x03\x01")  # the start of a ClientHello, and no more
    try:
        connection = connect(served.address)
        assert ask(connection, "GET", "/api/v1/health") == (200, {"ok": True})
        connection.close()
        for sock in [*silent, trickle]:  # the handshake deadline (1 s) closes them
            assert sock.recv(16) == b""
    finally:
        for sock in [*silent, trickle]:
            sock.close()


def test_plain_http_on_the_tls_port_is_closed_and_serving_goes_on(served: Served) -> None:
    with socket.create_connection(served.address, timeout=30) as sock:
        sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        with contextlib.suppress(ConnectionResetError):  # an alert or nothing, then the close
            while chunk := sock.recv(4096):
                received += chunk
        assert b"HTTP/1." not in received  # never answered in plain text
    connection = connect(served.address)
    assert ask(connection, "GET", "/api/v1/health") == (200, {"ok": True})
    connection.close()


def test_versions_below_tls_12_are_refused(served: Served) -> None:
    try:
        context = client_context(maximum=ssl.TLSVersion.TLSv1_1)
    except ValueError:
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    connection = http.client.HTTPSConnection(*served.address, context=context, timeout=30)
    with pytest.raises(ssl.SSLError):
        connection.connect()
    connection.close()


def test_a_new_context_is_served_from_the_next_connection(served: Served, tmp_path: Path) -> None:
    before = connect(served.address)
    assert ask(before, "GET", "/api/v1/health")[0] == 200
    old = served_fingerprint(before)
    replacement = make_pair("replacement.example.com")
    served.contexts.append(context_of(replacement, tmp_path / "second"))
    after = connect(served.address)
    assert ask(after, "GET", "/api/v1/health")[0] == 200
    assert served_fingerprint(after) == replacement.fingerprint != old
    assert ask(before, "GET", "/api/v1/health")[0] == 200  # the open one goes on as it was
    assert served_fingerprint(before) == old
    before.close()
    after.close()


def test_without_a_context_connections_are_closed(served: Served) -> None:
    served.contexts.append(None)
    connection = connect(served.address)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        connection.connect()
    connection.close()


def test_handshakes_count_against_the_connection_cap(tmp_path: Path) -> None:
    api = make_api(tmp_path)
    # waitress counts its map: the listening socket and its trigger, then 3 connections
    limits = ServerLimits(connections=5, handshake_timeout_seconds=30.0, backlog=16)
    context = context_of(make_pair(), tmp_path / "pair")
    server = make_tls_server(api.app, "127.0.0.1", 0, lambda: context,
                             spool_dir=tmp_path / "spool", limits=limits)  # fmt: skip
    with running(server):
        address = (server.address[0], int(server.address[1]))
        silent = [socket.create_connection(address, timeout=30) for _ in range(3)]
        time.sleep(1.5)  # accepted by now (the loop wakes every 0.5 s at least)
        waiting = connect(address)
        waiting.timeout = 1.5
        with pytest.raises(OSError):  # the listen backlog holds it: no handshake is answered
            waiting.connect()
        waiting.close()
        silent.pop(0).close()  # an accepted one: its handshake ends, a place is free
        served = connect(address)
        assert ask(served, "GET", "/api/v1/health") == (200, {"ok": True})
        served.close()
        for sock in silent:
            sock.close()


def test_a_refused_body_still_being_sent_gets_its_413_not_a_reset(served: Served) -> None:
    """The server answers 413 once the header says 9 MiB, while the client is still sending:
    the connection is drained, not closed under it (which made TLS clients lose the answer)."""
    connection = http.client.HTTPSConnection(*served.address, context=client_context(), timeout=30)
    try:
        body = b'{"a": "' + b"x" * (9 * 1024 * 1024) + b'"}'
        connection.request("POST", "/echo", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 413
        assert "at most" in json.loads(response.read())["error"]
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()
    health = http.client.HTTPSConnection(*served.address, context=client_context(), timeout=30)
    try:
        health.request("GET", "/api/v1/health")
        assert health.getresponse().status == 200
    finally:
        health.close()
