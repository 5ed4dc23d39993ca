"""A SIP client in the lab's gateway namespace: sipp phones that register to the VIP and call.

The client never learns which node holds the VIP: every command names only the VIP, so the
same commands work before and after a failover.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from testbed.ha_lab import GATEWAY, VIP
from testbed.sipp import SCENARIO_DIR

SIP_PORT = 5060
# Only stops a hung sipp; never a measurement.
SIPP_TIMEOUT_SECONDS = 60
VIP_ADDRESS = VIP.split("/")[0]


@dataclass
class SipClient:
    netns: str
    workdir: Path
    password: str

    def _sipp(self, name: str, scenario: Path, *args: str) -> list[str]:
        return [
            "ip", "netns", "exec", self.netns, "sipp", f"{VIP_ADDRESS}:{SIP_PORT}",
            "-sf", str(scenario), "-i", GATEWAY, "-nostdin", "-trace_err",
            "-error_file", str(self.workdir / f"sipp-{name}.errors"), *args,
        ]  # fmt: skip

    def run(self, name: str, scenario: Path, *args: str) -> int:
        with (self.workdir / f"sipp-{name}.out").open("ab") as out:
            return subprocess.run(
                self._sipp(name, scenario, *args), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=SIPP_TIMEOUT_SECONDS, check=False,
            ).returncode  # fmt: skip

    def register(self, number: str, port: int) -> int:
        return self.run(
            f"register-{number}", SCENARIO_DIR / "register.xml", "-p", str(port),
            "-key", "caller", number, "-au", number, "-ap", self.password,
            "-m", "1", "-timeout", "20s",
        )  # fmt: skip

    def call(self, caller: str, callee: str, port: int, media_port: int) -> int:
        return self.run(
            f"call-{caller}-{callee}", SCENARIO_DIR / "call.xml", "-p", str(port),
            "-mp", str(media_port), "-s", callee, "-key", "caller", caller,
            "-au", caller, "-ap", self.password, "-m", "1", "-timeout", "20s",
        )  # fmt: skip

    def answering_phone(self, number: str, port: int, media_port: int) -> Phone:
        """The phone of `number` answers every call on `port` (register it first)."""
        argv = self._sipp(
            f"phone-{number}", SCENARIO_DIR / "uas_phone.xml",
            "-p", str(port), "-mp", str(media_port),
        )  # fmt: skip
        with (self.workdir / f"sipp-phone-{number}.out").open("ab") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        return Phone(process)


@dataclass
class Phone:
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def options_probe(timeout: float) -> float | None:
    """Sends SIP OPTIONS to the VIP every 10 ms until any SIP answer: the monotonic time of
    that answer, or None at the timeout. Run inside the client's namespace."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((GATEWAY, 0))
        sock.settimeout(0.01)
        port = sock.getsockname()[1]
        while time.monotonic() < deadline:
            sock.sendto(_options(port), (VIP_ADDRESS, SIP_PORT))
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            if answer.startswith(b"SIP/2.0 "):
                return time.monotonic()
    return None


def _options(port: int) -> bytes:
    tag = uuid.uuid4().hex[:12]
    return (
        f"OPTIONS sip:{VIP_ADDRESS}:{SIP_PORT} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {GATEWAY}:{port};branch=z9hG4bK{tag};rport\r\n"
        f"From: <sip:probe@{GATEWAY}>;tag={tag}\r\n"
        f"To: <sip:{VIP_ADDRESS}>\r\n"
        f"Call-ID: {tag}@{GATEWAY}\r\n"
        "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()
