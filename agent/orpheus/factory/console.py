"""The unit's factory console: answers the station on ttyS0 while the unit is not sealed.

It runs requests, never a shell: status, hardware, keygen (the unit's own Ed25519 key pair;
the private half never leaves /data/orpheus), write-identity (the station's signed identity,
checked against the factory public key in the image, written once), set-password (the
station's random per-unit admin password, to be changed at the first log-in), self-test, and
seal (only after a passed self-test: the identity goes to /data/orpheus/identity.json and the
console stops answering for good; systemd does not start it again on a sealed unit).

    orpheus-factory-console [/dev/ttyS0] [--then PROGRAM ARG...]

It answers only if a station speaks within STATION_WINDOW_SECONDS of its start (the unit's
boot); otherwise it ends and the serial log-in prompt takes ttyS0 until the next boot.

It runs as the first program of ttyS0's getty service (`--then /sbin/agetty ...`), so one
process owns the line at a time and nothing in the boot waits for the window: a sealed unit,
or one whose window passed this boot, goes straight on to the log-in prompt.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import sys
import termios
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from orpheus import files
from orpheus.auth import PasswordStore
from orpheus.config import load_config
from orpheus.factory.protocol import ConsoleServer, FdLink, Link, Refused
from orpheus.factory.selftest import GRUBENV, RAM_TEST_BYTES, SelfTestSettings, run_self_test
from orpheus.factory.unit_hardware import UnitHardware, read_unit_hardware
from orpheus.firmware import read_release
from orpheus.licensing.factory_signature import Seal, check_seal, load_factory_key
from orpheus.licensing.identity import (
    SERIAL_PATTERN,
    identity_from_fields,
)
from orpheus.licensing.tiers import BOARDS
from orpheus.runner import CommandError, run

log = logging.getLogger(__name__)

PASSWORD_PATTERN = re.compile(r"[\x21-\x7e]{12,128}")
# After the seal, requests sent again for a reply the line lost are still answered from the
# cache for this long; nothing new is run.
SEAL_GRACE_SECONDS = 5.0
# At each boot of an unsealed unit, how long the console waits for a station's first frame.
STATION_WINDOW_SECONDS = 60.0
# Once the window passed (or the unit was sealed) this boot, the getty restarted after each
# log-out goes straight to its prompt.
WINDOW_CLOSED = Path("/run/orpheus-factory-console.closed")
SYSLOG_SOCKET = Path("/dev/log")


@dataclass(frozen=True)
class ConsoleSettings:
    data_dir: Path
    sysfs: Path
    factory_key: Path
    release_file: Path
    proc: Path = Path("/proc")
    dev_dir: Path = Path("/dev")
    ami_address: tuple[str, int] = ("127.0.0.1", 5038)
    min_free_bytes: int = 64 * 1024 * 1024
    grubenv: Path = GRUBENV
    ram_test_bytes: int = RAM_TEST_BYTES
    # Run once sealed: the agent takes up its new identity (tests: nothing).
    after_seal: tuple[str, ...] = ("systemctl", "--no-block", "restart", "orpheus-agent.service")

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "orpheus"

    @property
    def identity_file(self) -> Path:
        return self.state_dir / "identity.json"

    @property
    def work_dir(self) -> Path:
        """What provisioning leaves until the seal (the station resumes from it)."""
        return self.state_dir / "factory"

    @property
    def private_key(self) -> Path:
        return self.state_dir / "unit-identity.key.pem"


class UnitConsole:
    def __init__(self, settings: ConsoleSettings) -> None:
        self.settings = settings
        self.sealed = settings.identity_file.exists()
        self._ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "status": self.status,
            "hardware": self.hardware,
            "keygen": self.keygen,
            "write-identity": self.write_identity,
            "set-password": self.set_password,
            "self-test": self.self_test,
            "seal": self.seal,
        }

    @property
    def _pending(self) -> Path:
        return self.settings.work_dir / "identity.json"

    @property
    def _password_set(self) -> Path:
        return self.settings.work_dir / "password-set"

    @property
    def _self_test(self) -> Path:
        return self.settings.work_dir / "self-test.json"

    def handle(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        if self.sealed:
            raise Refused("this unit is sealed: the factory console is closed")
        action = self._ops.get(op)
        if action is None:
            raise Refused(f"unknown request {op!r} (known: {', '.join(self._ops)})")
        log.info("factory console: %s", op)
        return action(args)

    # -- requests ----------------------------------------------------------------------------
    def status(self, _args: dict[str, Any]) -> dict[str, Any]:
        pending = self._read_json(self._pending)
        test = self._read_json(self._self_test)
        return {
            "sealed": self.sealed,
            "public_key": self._public_key(),
            "identity": pending,
            "password_set": self._password_set.exists(),
            "self_test_passed": bool(test and test.get("passed")),
            "firmware": read_release(self.settings.release_file).version,
        }

    def hardware(self, _args: dict[str, Any]) -> dict[str, Any]:
        return self._hardware().as_dict()

    def keygen(self, _args: dict[str, Any]) -> dict[str, Any]:
        """The unit's key pair, made once: asked again (a resumed station), the same key."""
        public = self._public_key()
        if public is None:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            files.write_file(self.settings.private_key, pem.decode(), mode=0o600)
            public = self._public_key()
        return {"public_key": public}

    def write_identity(self, args: dict[str, Any]) -> dict[str, Any]:
        document = args.get("identity")
        if not isinstance(document, dict) or len(document) > 32:
            raise Refused("write-identity needs the signed identity document ('identity')")
        self._check_identity(document)
        held = self._read_json(self._pending)
        if held is not None:
            if held == document:
                return {"written": False, "serial": document["serial"]}
            raise Refused(
                f"this unit already holds the identity of serial {held.get('serial')}: "
                "it is written once"
            )
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        files.write_file(self._pending, text, mode=0o600)
        return {"written": True, "serial": document["serial"]}

    def set_password(self, args: dict[str, Any]) -> dict[str, Any]:
        password = args.get("password")
        if not isinstance(password, str) or not PASSWORD_PATTERN.fullmatch(password):
            raise Refused("set-password needs 12-128 printable ASCII characters, no spaces")
        PasswordStore(self.settings.state_dir).set(password, must_change=True)
        files.write_file(self._password_set, "", mode=0o600)
        return {"must_change": True}

    def self_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        result = run_self_test(
            SelfTestSettings(
                s.data_dir,
                s.sysfs,
                s.dev_dir,
                s.ami_address,
                s.min_free_bytes,
                proc=s.proc,
                grubenv=s.grubenv,
                ram_test_bytes=s.ram_test_bytes,
            )
        )
        files.write_file(self._self_test, json.dumps(result) + "\n", mode=0o600)
        return result

    def seal(self, _args: dict[str, Any]) -> dict[str, Any]:
        test = self._read_json(self._self_test)
        if not (test and test.get("passed")):
            raise Refused("not sealed: the self-test has not passed on this unit")
        document = self._read_json(self._pending)
        if document is None:
            raise Refused("not sealed: no identity written yet")
        if not self._password_set.exists():
            raise Refused("not sealed: the station has not set the admin password")
        self._check_identity(document)  # the hardware or key may have changed since
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        files.write_file(self.settings.identity_file, text, mode=0o600)
        self.sealed = True
        log.info("factory console: sealed as %s", document["serial"])
        if self.settings.after_seal:
            try:
                run(self.settings.after_seal)
            except CommandError as error:  # sealed all the same: the next boot takes it up
                log.error("factory console: after the seal: %s", error)
        return {"sealed": True, "serial": document["serial"]}

    # -- checks ------------------------------------------------------------------------------
    def _check_identity(self, document: dict[str, Any]) -> None:
        seal = check_seal(document, load_factory_key(self.settings.factory_key))
        if seal is not Seal.SIGNED:
            raise Refused(f"identity refused: {seal.value}")
        try:
            identity = identity_from_fields(document)
        except (TypeError, ValueError) as error:
            raise Refused(f"identity refused: bad fields ({error})") from error
        hardware = self._hardware()
        board = BOARDS.get(identity.board)
        problems = [
            (not SERIAL_PATTERN.fullmatch(identity.serial), f"bad serial {identity.serial!r}"),
            (board is None, f"unknown board {identity.board!r}"),
            (board is not None and identity.tier != board.base, "tier is not the board's base"),
            (identity.fingerprint != hardware.fingerprint, "made for other hardware"),
            (identity.mac != hardware.mac, "first MAC differs"),
            (identity.public_key != self._public_key(), "not for this unit's key"),
        ]
        for failed, why in problems:
            if failed:
                raise Refused(f"identity refused: {why}")

    def _hardware(self) -> UnitHardware:
        s = self.settings
        return read_unit_hardware(s.sysfs, s.proc, s.data_dir)

    def _public_key(self) -> str | None:
        try:
            key = load_pem_private_key(self.settings.private_key.read_bytes(), password=None)
        except (OSError, ValueError):
            return None
        if not isinstance(key, Ed25519PrivateKey):
            return None
        return (
            key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        )

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any] | None:
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return raw if isinstance(raw, dict) else None


def serve(
    console: UnitConsole,
    link: Link,
    window: float | None = None,
    grace: float = SEAL_GRACE_SECONDS,
) -> None:
    """Answers until sealed, then a grace time for resent requests, and returns for good.

    With a window, it returns when no station spoke within that many seconds (the log-in
    prompt then takes the line); once one did, it answers until the unit is sealed."""
    server = ConsoleServer(link, console.handle)
    if window is not None and not server.serve_one(timeout=window):
        log.info("factory console: no station within %.0f s, closing until next boot", window)
        return
    while not console.sealed:
        server.serve_one(timeout=1.0)
    while server.serve_one(timeout=grace):
        pass


def open_tty(path: Path) -> int:
    """The console tty, raw (no echo, no line discipline) at 115200 baud."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attributes = termios.tcgetattr(fd)
    attributes[4] = attributes[5] = termios.B115200
    termios.tcsetattr(fd, termios.TCSANOW, attributes)
    termios.tcflush(fd, termios.TCIOFLUSH)
    return fd


def split_arguments(args: list[str]) -> tuple[Path, list[str]]:
    """The console's device, and the program to run in its place afterwards (if any)."""
    then: list[str] = []
    if "--then" in args:
        at = args.index("--then")
        args, then = args[:at], args[at + 1 :]
        if not then:
            raise SystemExit("orpheus-factory-console: --then needs a program")
    if len(args) > 1:
        raise SystemExit("usage: orpheus-factory-console [DEVICE] [--then PROGRAM ARG...]")
    return Path(args[0] if args else "/dev/ttyS0"), then


def _log_away_from_the_line() -> None:
    """Its messages go to the journal: the line is the station's (and agetty's) alone."""
    if SYSLOG_SOCKET.is_socket():
        handler: logging.Handler = logging.handlers.SysLogHandler(address=str(SYSLOG_SOCKET))
    else:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("orpheus-factory-console: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def answer_the_station(device: Path, closed_marker: Path | None) -> None:
    """The window (and provisioning, if a station spoke) unless the unit is sealed or the
    window already passed this boot; the line's settings are given back afterwards."""
    config = load_config()
    settings = ConsoleSettings(
        data_dir=config.data_dir,
        sysfs=config.sysfs_dir,
        factory_key=config.factory_public_key,
        release_file=config.release_file,
        ami_address=("127.0.0.1", config.ami_port),
    )
    console = UnitConsole(settings)
    if console.sealed or (closed_marker is not None and closed_marker.exists()):
        log.info("factory console: the unit is sealed or its window passed, not answering")
        return
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    saved = termios.tcgetattr(fd)
    try:
        serve(console, FdLink(open_tty(device)), window=STATION_WINDOW_SECONDS)
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
        os.close(fd)
    if closed_marker is not None:
        closed_marker.touch()


def main(argv: list[str] | None = None) -> int:
    device, then = split_arguments(sys.argv[1:] if argv is None else argv)
    if then:
        _log_away_from_the_line()
    else:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        answer_the_station(device, WINDOW_CLOSED if then else None)
    except Exception:  # the log-in prompt must still come: never a dead serial console
        if not then:
            raise
        log.exception("factory console failed; the log-in prompt takes the line")
    if then:
        os.execv(then[0], then)  # noqa: S606 - agetty in its place, as the unit file says
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
