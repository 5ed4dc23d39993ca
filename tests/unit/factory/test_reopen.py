"""reopen.py, the factory route and orpheusctl factory reopen: a sealed unit's factory console
re-opened by the factory's signed token only, never by the admin password."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orpheus.api.app import LOCAL_ENVIRON_KEY, Api
from orpheus.api.peer import PEER_ENVIRON_KEY, PeerCredentials
from orpheus.audit.log import AuditLog
from orpheus.auth import PasswordStore
from orpheus.cli import main as cli_main
from orpheus.cli.client import AgentError
from orpheus.console.factory_routes import FactoryFeature
from orpheus.factory import station
from orpheus.factory.console import ConsoleSettings, UnitConsole
from orpheus.factory.reopen import (
    USED_NONCES,
    ReopenRefused,
    check_token,
    make_token,
    reopen,
)
from orpheus.licensing.factory_signature import load_factory_key, load_signing_key, sign_identity
from testbed.factory_unit import factory_key_pair
from tests.unit.api.wsgi_client import Answer, call
from tests.unit.cli.fake_client import FakeAgentClient, install

SERIAL, FINGERPRINT = "ORP-MINI-0001", "0123456789abcdef0123456789abcdef"
NOW = datetime.datetime(2026, 12, 4, 1, 0, tzinfo=datetime.UTC)
PASSWORD = "orchard-violin-93"
ROOT = PeerCredentials(pid=0, uid=0, gid=0, login_uid=None)
ALICE = PeerCredentials(pid=0, uid=1000, gid=1000, login_uid=None)


class Unit:
    """A sealed unit's state dir and the factory's key pair (its public half in the image)."""

    def __init__(self, root: Path) -> None:
        self.private, self.public = factory_key_pair(root)
        self.key = load_signing_key(self.private)
        self.data = root / "data"
        self.state = self.data / "orpheus"
        self.state.mkdir(parents=True)
        fields = {"serial": SERIAL, "board": "mini", "tier": "mini", "fingerprint": FINGERPRINT}
        self.identity_text = json.dumps(sign_identity(fields, self.key), sort_keys=True)
        self.identity_file.write_text(self.identity_text)

    @property
    def identity_file(self) -> Path:
        return self.state / "identity.json"

    def token(self, **changes: Any) -> dict[str, Any]:
        token = make_token(SERIAL, FINGERPRINT, self.key, 24.0, now=NOW)
        return {**token, **changes}

    def reopen(self, token: dict[str, Any], now: datetime.datetime = NOW) -> Any:
        return reopen(token, self.state, load_factory_key(self.public), now)

    def console_sealed(self) -> bool:
        settings = ConsoleSettings(self.data, self.data / "sys", self.public, self.data / "rel")
        return UnitConsole(settings).sealed

    def untouched(self) -> bool:
        kept = list(self.state.glob("identity.json.reopened-*"))
        return self.identity_file.read_text() == self.identity_text and not kept


@pytest.fixture
def unit(tmp_path: Path) -> Unit:
    return Unit(tmp_path)


def test_a_valid_token_moves_the_identity_aside_and_the_console_answers_again(
    unit: Unit,
) -> None:
    assert unit.console_sealed()
    done = unit.reopen(unit.token(), NOW + datetime.timedelta(hours=1))
    assert done.serial == SERIAL
    assert done.kept_as == unit.state / "identity.json.reopened-20261204T020000Z"
    assert done.kept_as.read_text() == unit.identity_text  # kept as it was, never deleted
    assert not unit.identity_file.exists()
    assert not unit.console_sealed()
    assert stat.S_IMODE((unit.state / USED_NONCES).stat().st_mode) == 0o600


def forged(unit: Unit) -> dict[str, Any]:
    """A token signed by some other key: a well-formed document, a wrong signer."""
    return make_token(SERIAL, FINGERPRINT, Ed25519PrivateKey.generate(), 24.0, now=NOW)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (forged, "the token is altered"),
        (lambda u: u.token(serial="ORP-MINI-0002"), "the token is altered"),  # changed after
        (lambda u: make_token("ORP-MINI-0002", FINGERPRINT, u.key, 24.0, now=NOW),
         "for serial 'ORP-MINI-0002', this unit is 'ORP-MINI-0001'"),
        (lambda u: make_token(SERIAL, "f" * 32, u.key, 24.0, now=NOW), "for fingerprint"),
        (lambda u: make_token(SERIAL, FINGERPRINT, u.key, 1.0,
                              now=NOW - datetime.timedelta(hours=2)), "the token expired at"),
        (lambda u: {k: v for k, v in u.token().items() if k != "factory_signature"},
         "not a factory re-open token"),
        (lambda u: {k: v for k, v in u.token().items() if k != "nonce"},
         "not a factory re-open token"),
        # the unit's own identity is signed by the factory key too: it is no token
        (lambda u: json.loads(u.identity_text), "not a factory re-open token"),
    ],
)  # fmt: skip
def test_a_forged_altered_foreign_or_expired_token_is_refused_and_changes_nothing(
    unit: Unit, make: Any, says: str
) -> None:
    with pytest.raises(ReopenRefused, match=r"^refused: ") as refused:
        unit.reopen(make(unit))
    assert says in str(refused.value) and "\n" not in str(refused.value)
    assert unit.untouched() and unit.console_sealed()
    assert not (unit.state / USED_NONCES).exists()


def test_an_unsealed_unit_is_refused(unit: Unit) -> None:
    unit.identity_file.unlink()
    with pytest.raises(ReopenRefused, match="this unit is not sealed"):
        unit.reopen(unit.token())
    assert list(unit.state.iterdir()) == []


def test_without_the_factory_key_in_the_image_nothing_is_reopened(unit: Unit) -> None:
    with pytest.raises(ReopenRefused, match="not verifiable"):
        check_token(unit.token(), json.loads(unit.identity_text), None, NOW)
    unit.public.unlink()
    with pytest.raises(ReopenRefused, match="not verifiable"):
        unit.reopen(unit.token())
    assert unit.untouched()


def test_a_token_is_used_once(unit: Unit) -> None:
    token = unit.token()
    unit.reopen(token)
    unit.identity_file.write_text(unit.identity_text)  # sealed again at the factory
    with pytest.raises(ReopenRefused, match="used already"):
        unit.reopen(token, NOW + datetime.timedelta(minutes=5))
    assert unit.identity_file.read_text() == unit.identity_text
    unit.reopen(unit.token(), NOW + datetime.timedelta(minutes=5))  # a new one does
    assert len(list(unit.state.glob("identity.json.reopened-*"))) == 2


@pytest.mark.parametrize(
    ("serial", "fingerprint", "hours"),
    [("x", FINGERPRINT, 1.0), (SERIAL, "not-hex", 1.0), (SERIAL, FINGERPRINT, 0.0),
     (SERIAL, FINGERPRINT, 24.0 * 8)],
)  # fmt: skip
def test_the_station_makes_no_token_for_a_bad_serial_fingerprint_or_life(
    unit: Unit, serial: str, fingerprint: str, hours: float
) -> None:
    with pytest.raises(ValueError, match=r"bad|valid-hours"):
        make_token(serial, fingerprint, unit.key, hours)


# -- the station's command ---------------------------------------------------------------------
def test_the_station_writes_a_token_the_unit_takes(
    unit: Unit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "token.json"
    argv = ["reopen-token", "--serial", SERIAL, "--fingerprint", FINGERPRINT, "--valid-hours",
            "2", "--factory-key", str(unit.private), "--records", str(tmp_path / "records"),
            "--out", str(out)]  # fmt: skip
    assert station.main(argv) == 0
    assert f"re-opens {SERIAL} until" in capsys.readouterr().out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    token = json.loads(out.read_text())
    assert set(token) == {"kind", "serial", "fingerprint", "not_after", "nonce",
                          "factory_signature"}  # fmt: skip
    assert unit.reopen(token, datetime.datetime.now(datetime.UTC)).serial == SERIAL


def test_the_station_refuses_in_one_line(
    unit: Unit, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "token.json"
    for extra in (["--valid-hours", "1000", "--factory-key", str(unit.private)],
                  ["--factory-key", str(tmp_path / "none.pem")]):  # fmt: skip
        argv = ["reopen-token", "--serial", SERIAL, "--fingerprint", FINGERPRINT,
                "--out", str(out), *extra]  # fmt: skip
        assert station.main(argv) == 1
        error = capsys.readouterr().err
        assert error.startswith("orpheus-factory: ") and error.count("\n") == 1
    assert not out.exists()


# -- the agent's route ---------------------------------------------------------------------------
class Agent:
    def __init__(self, unit: Unit, directory: Path) -> None:
        passwords = PasswordStore(directory)
        passwords.set(PASSWORD)
        self.api = Api(passwords)
        self.audit = AuditLog(directory / "audit.sqlite")
        FactoryFeature(unit.state, unit.public, self.audit).install_routes(self.api)

    def local(self, body: dict[str, Any], peer: PeerCredentials | None = ROOT) -> Answer:
        environ: dict[str, Any] = {LOCAL_ENVIRON_KEY: True, "REMOTE_ADDR": "local"}
        if peer is not None:
            environ[PEER_ENVIRON_KEY] = peer
        return call(self.api.app, "POST", "/api/v1/factory/reopen", json.dumps(body).encode(),
                    auth=None, environ=environ)  # fmt: skip

    def tcp(self, body: dict[str, Any]) -> Answer:
        return call(self.api.app, "POST", "/api/v1/factory/reopen", json.dumps(body).encode(),
                    auth=("admin", PASSWORD), environ={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip


@pytest.fixture
def agent(unit: Unit, tmp_path: Path) -> Agent:
    (tmp_path / "agent").mkdir()
    return Agent(unit, tmp_path / "agent")


def test_the_route_reopens_from_the_root_console_and_is_audited(unit: Unit, agent: Agent) -> None:
    token = make_token(SERIAL, FINGERPRINT, unit.key, 1.0)
    answer = agent.local({"token": token})
    assert answer.status == 200, answer
    assert answer.json()["serial"] == SERIAL and answer.json()["reboot_needed"] is True
    assert not unit.identity_file.exists() and not unit.console_sealed()
    [entry] = agent.audit.read()
    assert (entry["change"], entry["object"]) == ("factory.reopen", f"unit {SERIAL}")
    assert entry["after"]["nonce"] == token["nonce"] and entry["user"].endswith("(console)")


def test_the_route_is_refused_over_tcp_even_to_the_admin_and_to_a_non_root_peer(
    unit: Unit, agent: Agent
) -> None:
    body = {"token": make_token(SERIAL, FINGERPRINT, unit.key, 1.0)}
    for answer in (agent.tcp(body), agent.local(body, ALICE), agent.local(body, None)):
        assert answer.status == 403, answer
        assert "only on the unit's own console" in answer.json()["error"]
    assert unit.untouched() and agent.audit.read() == []


def test_the_route_answers_a_refused_token_in_one_line(unit: Unit, agent: Agent) -> None:
    answer = agent.local({"token": make_token(SERIAL, "f" * 32, unit.key, 1.0)})
    assert answer.status == 400 and answer.json()["error"].startswith("refused: the token is for")
    assert agent.local({"token": {"serial": SERIAL}}).status == 400  # not the token's shape
    assert unit.untouched() and agent.audit.read() == []


# -- orpheusctl ---------------------------------------------------------------------------------
def test_orpheusctl_sends_the_token_file(
    unit: Unit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    token = unit.token()
    path = tmp_path / "token.json"
    path.write_text(json.dumps(token))
    answer = {"serial": SERIAL, "kept_as": "/data/orpheus/identity.json.reopened-x",
              "reboot_needed": True}  # fmt: skip
    client = install(monkeypatch, FakeAgentClient({("POST", "/api/v1/factory/reopen"): answer}))
    assert cli_main.main(["factory", "reopen", str(path)]) == 0
    assert client.requests == [("POST", "/api/v1/factory/reopen", {"token": token})]
    assert "re-opened" in capsys.readouterr().out


def test_orpheusctl_sends_nothing_for_a_file_that_is_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = install(monkeypatch, FakeAgentClient())
    (tmp_path / "junk").write_text("x" * 10_000)
    for name in ("missing.json", "junk"):
        assert cli_main.main(["factory", "reopen", str(tmp_path / name)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert "cannot read" in errors[0] and "not a re-open token" in errors[1]
    assert client.requests == []
    refused = AgentError("refused: the token expired at ...", 400)
    install(monkeypatch, FakeAgentClient({("POST", "/api/v1/factory/reopen"): refused}))
    (tmp_path / "t.json").write_text("{}")
    assert cli_main.main(["factory", "reopen", str(tmp_path / "t.json")]) == 1
    assert "the token expired" in capsys.readouterr().err
