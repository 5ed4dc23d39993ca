"""The Unix socket's peer as the kernel names it (api/peer.py), and the audit user made of it
(api/requester.py): a header the client sets is never believed."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path
from typing import Any

import bottle

from orpheus.api.app import Api
from orpheus.api.peer import PeerCredentials, login_uid, peer_credentials
from orpheus.api.requester import local_user, request_user
from orpheus.api.server import make_unix_server
from orpheus.auth import PasswordStore
from orpheus.cli.client import AgentClient
from tests.unit.api.test_server import running


def _me() -> str:
    uid = login_uid(os.getpid())
    return pwd.getpwuid(os.getuid() if uid is None else uid).pw_name


def test_the_kernel_names_the_peer_of_a_unix_socket() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        peer = peer_credentials(left)
    assert peer is not None
    assert (peer.pid, peer.uid, peer.gid) == (os.getpid(), os.getuid(), os.getgid())
    assert peer.login_uid == login_uid(os.getpid())


def test_the_login_uid_is_read_and_unset_means_none(tmp_path: Path) -> None:
    (tmp_path / "42").mkdir()
    (tmp_path / "42/loginuid").write_text("1000")
    assert login_uid(42, tmp_path) == 1000
    (tmp_path / "42/loginuid").write_text("4294967295")
    assert login_uid(42, tmp_path) is None
    assert login_uid(43, tmp_path) is None  # the process is gone


def test_the_login_user_is_named_before_the_user_it_runs_as() -> None:
    assert local_user(PeerCredentials(pid=7, uid=0, gid=0, login_uid=None)) == "root"
    assert local_user(PeerCredentials(pid=7, uid=12345, gid=0, login_uid=0)) == "root"
    assert local_user(PeerCredentials(pid=7, uid=0, gid=0, login_uid=4_000_000)) == "uid 4000000"
    assert local_user(None) == "unknown"


def _who() -> dict[str, Any]:
    return {"user": request_user(), "header": bottle.request.get_header("X-Orpheus-User")}


def test_a_forged_user_header_on_the_socket_is_ignored(tmp_path: Path) -> None:
    api = Api(PasswordStore(tmp_path))
    api.route("GET", "/whoami", _who, auth=False, area="pbx")
    path = tmp_path / "agent.sock"
    with running(make_unix_server(api.app, path, spool_dir=tmp_path / "spool")):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(path))
            sock.sendall(b"GET /whoami HTTP/1.1\r\nHost: x\r\nX-Orpheus-User: mallory\r\n"
                         b"Connection: close\r\n\r\n")  # fmt: skip
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert b'"header": "mallory"' in answer  # it arrived, and was not believed
        me = f"{_me()} (console)"
        assert f'"user": "{me}"'.encode() in answer
        assert AgentClient(path, timeout=5).request("GET", "/whoami")["user"] == me
