"""Bundle URLs (orpheus.update.fetch): never the unit itself, first or after a redirect; only
http(s); https verified; a download bounded by the room on /data and never left half-done."""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from orpheus.ha.identity import ensure_identity
from orpheus.update import fetch
from orpheus.update.policy import Refused
from tests.unit.update.http_server import Answer, Server, remote_loopback, serving


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    remote_loopback(monkeypatch)
    with serving() as served:
        yield served


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:7080/b.raucb", "127.0.0.1, the unit itself"),
        ("http://localhost/b.raucb", "localhost resolves to 127.0.0.1, the unit itself"),
        ("https://[::1]/b.raucb", "::1, the unit itself"),
        ("http://0.0.0.0/b.raucb", "0.0.0.0, the unit itself"),
        ("http://169.254.169.254/latest", "169.254.169.254, a link-local address"),
    ],
)
def test_a_url_pointing_at_the_unit_itself_is_refused_naming_the_address(
    url: str, reason: str
) -> None:
    with pytest.raises(Refused, match=f"^URL refused: {re.escape(reason)}$"):
        fetch.check_url(url)


def test_a_redirect_to_the_unit_itself_is_refused(server: Server) -> None:
    inside = server.url("/admin", host="127.0.0.2")
    server.answers["/b.raucb"] = [Answer(302, location=inside)]
    expected = f"^URL refused: redirected to {re.escape(inside)}: 127.0.0.2, the unit itself$"
    with pytest.raises(Refused, match=expected):
        fetch.check_url(server.url("/b.raucb"))
    with pytest.raises(Refused, match=expected):
        fetch.download(server.url("/b.raucb"), Path("/nonexistent/b"), 10**9, lambda *_: None)
    assert ("HEAD", "/admin") not in server.requests and ("GET", "/admin") not in server.requests


@pytest.mark.parametrize("target", ["file:///etc/shadow", "ftp://10.0.2.2/b.raucb"])
def test_only_http_and_https_also_after_a_redirect(server: Server, target: str) -> None:
    with pytest.raises(Refused, match=r"^URL refused: .*only http and https$"):
        fetch.check_url(target)
    server.answers["/b.raucb"] = [Answer(301, location=target)]
    with pytest.raises(
        Refused, match=f"^URL refused: redirected to '{re.escape(target)}': only http"
    ):
        fetch.check_url(server.url("/b.raucb"))


def test_a_redirect_elsewhere_is_followed(server: Server, tmp_path: Path) -> None:
    server.answers["/b.raucb"] = [Answer(302, location="/v2.raucb")]
    server.answers["/v2.raucb"] = [Answer(200, b"bundle")]
    fetch.check_url(server.url("/b.raucb"))
    fetch.download(server.url("/b.raucb"), tmp_path / "b", 100, lambda *_: None)
    assert (tmp_path / "b").read_bytes() == b"bundle"
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o600


def test_a_bundle_larger_than_the_room_left_is_refused_and_no_file_is_left(
    server: Server, tmp_path: Path
) -> None:
    server.answers["/b.raucb"] = [Answer(200, b"x" * (3 * 1024**2))]
    with pytest.raises(Refused, match=r"^data partition full: the bundle needs 3 MiB, 2 MiB free"):
        fetch.download(server.url("/b.raucb"), tmp_path / "b", 2 * 1024**2, lambda *_: None)
    assert list(tmp_path.iterdir()) == []


def test_an_http_error_is_one_line(server: Server, tmp_path: Path) -> None:
    with pytest.raises(Refused, match=r"^cannot download http://127\.0\.0\.1:\d+/gone: HTTP 404$"):
        fetch.download(server.url("/gone"), tmp_path / "b", 100, lambda *_: None)
    assert list(tmp_path.iterdir()) == []


def test_https_is_verified_against_the_ca_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server with a certificate no CA in the store signed is refused (urllib's own
    default would verify too; RAUC's curl is not asked to fetch anything any more)."""
    remote_loopback(monkeypatch)
    identity = ensure_identity(tmp_path / "tls")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(identity.cert_file, identity.key_file)
    with serving(context) as served:
        served.answers["/b.raucb"] = [Answer(200, b"bundle")]
        with pytest.raises(Refused, match=r"^cannot download .*CERTIFICATE_VERIFY_FAILED"):
            fetch.check_url(served.url("/b.raucb"))
        assert served.requests == []


def test_the_update_api_answers_a_url_on_the_unit_with_one_line_400(tmp_path: Path) -> None:
    from testbed.update_api import build
    from tests.unit.api.wsgi_client import call

    api = build(tmp_path, "an-admin-pass")
    for url, named in (
        ("http://127.0.0.1:8080/api/v1/update", "127.0.0.1, the unit itself"),
        (
            "http://[::ffff:127.0.0.1]/b.raucb",
            "::ffff:127.0.0.1 resolves to 127.0.0.1, the unit itself",
        ),
    ):
        body = json.dumps({"url": url}).encode()
        answer = call(api.app, "POST", "/api/v1/update", body, auth=("admin", "an-admin-pass"))
        assert answer.status == 400 and answer.json()["error"] == f"URL refused: {named}"


@pytest.mark.parametrize("url", ["https://[0Oc0f", "http://[::1/x"])
def test_a_url_python_cannot_parse_is_one_line(url: str) -> None:
    """The fuzzer's 500: urlsplit raised ValueError before anything caught it."""
    with pytest.raises(Refused, match=r"^cannot download .*: not a usable URL \(") as refused:
        fetch.check_url(url, local=lambda: set())
    assert "\n" not in str(refused.value)
