"""The pair channel's server on 127.0.0.1 with real TLS (the units' own certificates) and
recording handlers in place of the HA feature."""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from orpheus.ha import peer_client, peer_http, peer_server, tls
from orpheus.ha.identity import Identity, ensure_identity
from orpheus.ha.peer_server import PeerRequestError, PeerServer


@dataclass
class Recorder:
    calls: list[tuple[str, Any, bytes | None]] = field(default_factory=list)
    window_refusal: str | None = None  # None: a pairing window is open for every client

    def pair_refusal(self, client: str) -> str | None:
        return self.window_refusal

    def peer_pair(
        self, body: dict[str, Any], peer_cert_der: bytes | None, client: str
    ) -> dict[str, Any]:
        self.calls.append(("pair", body, peer_cert_der))
        if body.get("code") != "right":
            raise PeerRequestError(403, "wrong pairing code")
        return {"paired": True}

    def peer_state(self, peer_cert_der: bytes | None) -> dict[str, Any]:
        self.calls.append(("state", None, peer_cert_der))
        return {"generation": 7}

    def peer_push(self, body: dict[str, Any], peer_cert_der: bytes | None) -> dict[str, Any]:
        self.calls.append(("push", body, peer_cert_der))
        if body.get("boom"):
            raise RuntimeError("a bug")
        return {"generation": body.get("generation")}


@dataclass
class Channel:
    server: PeerServer
    handlers: Recorder
    master: Identity
    stranger: Identity

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.server.port


@contextlib.contextmanager
def channel(tmp_path: Path, paired: bool) -> Iterator[Channel]:
    slave, master = ensure_identity(tmp_path / "slave"), ensure_identity(tmp_path / "master")
    stranger = ensure_identity(tmp_path / "stranger")
    handlers = Recorder()
    pinned = master.cert_file if paired else None
    server = PeerServer("127.0.0.1", 0, lambda: tls.server_context(slave, pinned), handlers)
    server.start()
    try:
        yield Channel(server, handlers, master, stranger)
    finally:
        server.stop()


@pytest.fixture
def unpaired(tmp_path: Path) -> Iterator[Channel]:
    with channel(tmp_path, paired=False) as running:
        yield running


@pytest.fixture
def paired(tmp_path: Path) -> Iterator[Channel]:
    with channel(tmp_path, paired=True) as running:
        yield running


def client_context(identity: Identity | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if identity is not None:
        context.load_cert_chain(identity.cert_file, identity.key_file)
    return context


def request(
    ch: Channel, method: str, path: str, body: Any = None, identity: Identity | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPSConnection(
        *ch.address, context=client_context(identity), timeout=5
    )
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def tls_socket(ch: Channel, identity: Identity | None = None) -> ssl.SSLSocket:
    raw = socket.create_connection(ch.address, timeout=5)
    return client_context(identity).wrap_socket(raw)


def answer_to_header(sock: ssl.SSLSocket, header: bytes) -> tuple[int, Any, float]:
    started = time.monotonic()
    sock.sendall(header)
    response = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
    response.begin()
    return response.status, json.loads(response.read()), time.monotonic() - started


def test_before_pairing_pair_requests_reach_the_handler_without_a_certificate(
    unpaired: Channel,
) -> None:
    assert request(unpaired, "POST", "/pair", {"code": "right"}) == (200, {"paired": True})
    assert request(unpaired, "POST", "/pair", {"code": "wrong"}) == (
        403,
        {"error": "wrong pairing code"},
    )
    assert [(name, cert) for name, _, cert in unpaired.handlers.calls] == [
        ("pair", None),
        ("pair", None),
    ]


def test_a_64_mib_unauthenticated_post_is_refused_before_its_body_is_read(
    unpaired: Channel,
) -> None:
    for path, status in (("/pair", 413), ("/push", 403)):
        with tls_socket(unpaired) as sock:
            header = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {64 * 1024**2}\r\n\r\n"
            code, body, elapsed = answer_to_header(sock, header.encode())
        assert (code, elapsed < 3.0) == (status, True)  # none of the body was sent
        assert isinstance(body["error"], str)
    assert unpaired.handlers.calls == []


def test_a_64_mib_body_sent_anyway_is_cut_off_early(unpaired: Channel) -> None:
    sent = 0
    chunk = b"x" * 256 * 1024
    header = b"POST /pair HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (64 * 1024**2)
    with tls_socket(unpaired) as sock:
        sock.sendall(header)
        with contextlib.suppress(OSError):
            while sent < 64 * 1024**2:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sent += sock.send(chunk)
    assert sent < 16 * 1024**2  # the answer came (or the connection ended) long before
    assert unpaired.handlers.calls == []


def test_once_paired_only_the_pinned_peer_gets_through_the_handshake(paired: Channel) -> None:
    status, state = request(paired, "GET", "/state", identity=paired.master)
    assert (status, state) == (200, {"generation": 7})
    _, _, cert = paired.handlers.calls[0]
    assert cert == ssl.PEM_cert_to_DER_cert(paired.master.cert_pem)
    for identity in (paired.stranger, None):
        with pytest.raises((OSError, http.client.HTTPException)):
            request(paired, "POST", "/push", {"generation": 1}, identity=identity)
    assert len(paired.handlers.calls) == 1


def test_a_push_from_the_peer_is_read_and_answered(paired: Channel) -> None:
    body = {"generation": 3, "files": {"a": "x" * 2_000_000}}
    assert request(paired, "POST", "/push", body, identity=paired.master) == (
        200,
        {"generation": 3},
    )
    assert paired.handlers.calls[0][1] == body


def test_bad_requests_answer_json_errors(paired: Channel) -> None:
    master = paired.master
    assert request(paired, "GET", "/nothing", identity=master) == (
        404,
        {"error": "no such path /nothing"},
    )
    assert request(paired, "POST", "/state", {}, identity=master)[0] == 404
    assert request(paired, "POST", "/push", [1], identity=master) == (
        400,
        {"error": "body must be a JSON object"},
    )
    status, body = request(paired, "POST", "/push", {"boom": True}, identity=master)
    assert status == 500
    assert "/push" in body["error"]
    with tls_socket(paired, master) as sock:
        header = b"POST /push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        assert answer_to_header(sock, header)[0] == 501


def test_requests_on_one_kept_alive_connection(paired: Channel) -> None:
    connection = http.client.HTTPSConnection(
        *paired.address, context=client_context(paired.master), timeout=5
    )
    for _ in range(3):
        connection.request("GET", "/state")
        response = connection.getresponse()
        assert json.loads(response.read()) == {"generation": 7}
    connection.close()


def test_silent_clients_do_not_hold_up_the_peer_and_are_dropped_after_the_handshake_deadline(
    paired: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peer_server, "HANDSHAKE_TIMEOUT_SECONDS", 1.0)
    silent = [socket.create_connection(paired.address, timeout=5) for _ in range(20)]
    try:
        started = time.monotonic()
        assert request(paired, "GET", "/state", identity=paired.master)[0] == 200
        assert time.monotonic() - started < 3.0
        time.sleep(1.5)
        for sock in silent:
            sock.settimeout(2)
            assert sock.recv(10) == b""  # dropped by the server
    finally:
        for sock in silent:
            sock.close()


def test_a_header_trickled_after_the_handshake_is_dropped(
    paired: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peer_http, "HEADER_TIMEOUT_SECONDS", 1.0)
    started = time.monotonic()
    with tls_socket(paired, paired.master) as sock, contextlib.suppress(OSError):
        for byte in b"GET /state HTTP/1.1\r\nHost: x\r\n":
            sock.send(bytes([byte]))
            readable, _, _ = select.select([sock], [], [], 0.3)
            if readable and sock.recv(10) == b"":
                break
    assert time.monotonic() - started < 6.0  # sending it all takes 10 s
    assert paired.handlers.calls == []


def test_connections_past_the_cap_are_closed_at_once(
    paired: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(peer_server, "MAX_CONNECTIONS", 3)
    held = [socket.create_connection(paired.address, timeout=5) for _ in range(3)]
    try:
        time.sleep(0.2)  # the server has accepted them
        with socket.create_connection(paired.address, timeout=5) as extra:
            extra.settimeout(2)
            assert extra.recv(10) == b""
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.2)
    assert request(paired, "GET", "/state", identity=paired.master)[0] == 200


def test_stop_ends_the_server_thread_and_closes_the_port(tmp_path: Path) -> None:
    with channel(tmp_path, paired=False) as running:
        port = running.server.port
        threads = {t.name for t in threading.enumerate()}
        assert "ha-peer-server" in threads
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "ha-peer-server" in {
        t.name for t in threading.enumerate()
    }:
        time.sleep(0.05)
    assert "ha-peer-server" not in {t.name for t in threading.enumerate()}
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_with_no_pairing_window_a_pair_request_is_answered_before_its_body(
    unpaired: Channel,
) -> None:
    unpaired.handlers.window_refusal = "this unit is not waiting to pair"
    with tls_socket(unpaired) as sock:  # a body that would fit, never sent
        header = b"POST /pair HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n"
        code, body, elapsed = answer_to_header(sock, header)
    assert (code, body) == (403, {"error": "this unit is not waiting to pair"})
    assert elapsed < 3.0  # the body's deadline is 10 s: it was not waited for
    assert unpaired.handlers.calls == []


def test_a_pair_body_is_capped_at_a_few_kib(unpaired: Channel) -> None:
    with tls_socket(unpaired) as sock:
        header = b"POST /pair HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (9 * 1024)
        assert answer_to_header(sock, header)[0] == 413
    assert unpaired.handlers.calls == []


def test_the_master_sends_nothing_to_a_peer_with_another_certificate(
    unpaired: Channel, tmp_path: Path
) -> None:
    context = tls.client_context(unpaired.master, None)
    expected = unpaired.stranger.fingerprint  # what `ha join` showed: not this server's
    with pytest.raises(peer_client.PeerImpostor) as refused:
        peer_client.request(*unpaired.address, context, "POST", "/pair", {"code": "right"},
                            fingerprint=expected)  # fmt: skip
    message = str(refused.value)
    presented = ensure_identity(tmp_path / "slave").fingerprint
    assert expected in message and presented in message and "\n" not in message
    assert unpaired.handlers.calls == []
    # The right fingerprint goes through.
    answer, _ = peer_client.request(*unpaired.address, context, "POST", "/pair",
                                    {"code": "right"}, fingerprint=presented)  # fmt: skip
    assert answer == {"paired": True}
