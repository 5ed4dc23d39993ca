"""orpheusctl prints the agent's 507 (a full disk) as one line and exits 1."""

from __future__ import annotations

import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from orpheus.cli.main import main

MESSAGE = "disk full: could not write /data/orpheus/license.json"


class _FullDisk(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": MESSAGE}).encode()
        self.send_response(507)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:  # a Unix socket has no client address
        return "local"

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def agent_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "agent.sock"
    server = socketserver.UnixStreamServer(str(path), _FullDisk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    server.server_close()


def test_full_disk_is_one_line_and_exit_1(
    agent_socket: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    licence = tmp_path / "licence.json"
    licence.write_text("{}")
    code = main(["--socket", str(agent_socket), "license", "install", str(licence)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == f"orpheusctl: {MESSAGE}\n"
    assert captured.out == ""
