"""sipp in a unit's network namespace: phones, extensions and carriers that register and call,
with the scenarios of the tests and benchmarks (sipp_scenarios/)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from testbed.polling import UNIT_TIMEOUT_SECONDS, wait_for

SCENARIO_DIR = Path(__file__).resolve().parent / "sipp_scenarios"


class Sipp:
    """One sipp instance in the unit's namespace; outcomes are read from its log file."""

    def __init__(self, netns: str, workdir: Path, name: str) -> None:
        self.netns = netns
        self.workdir = workdir
        self.name = name
        self.log = workdir / f"sipp-{name}.log"
        self.messages = workdir / f"sipp-{name}.messages"
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self, scenario: str, args: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, "sipp", "-sf", str(SCENARIO_DIR / scenario),
                "-nostdin", "-trace_logs", "-log_file", str(self.log),
                "-trace_err", "-error_file", str(self.workdir / f"sipp-{self.name}.errors"),
                *args]  # fmt: skip

    def run(self, scenario: str, args: list[str]) -> None:
        result = subprocess.run(self._command(scenario, args), capture_output=True, text=True,
                                timeout=UNIT_TIMEOUT_SECONDS, check=False)  # fmt: skip
        assert result.returncode == 0, f"sipp {self.name}: exit {result.returncode}"

    def start(self, scenario: str, args: list[str]) -> None:
        with (self.workdir / f"sipp-{self.name}.out").open("ab") as out:
            self.process = subprocess.Popen(
                self._command(scenario, args), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    def outcomes(self) -> tuple[int, int]:
        if not self.log.exists():
            return 0, 0
        text = self.log.read_text()
        return text.count("CONNECTED "), text.count("REJECTED ")

    def wait_outcomes(self, total: int) -> tuple[int, int]:
        wait_for(
            f"{total} call outcomes from {self.name}",
            lambda: sum(self.outcomes()) >= total,
            timeout=UNIT_TIMEOUT_SECONDS,
            interval=0.2,
        )
        return self.outcomes()

    def wait_exit(self) -> int:
        assert self.process is not None
        try:
            return self.process.wait(UNIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def phone_args(service: str, caller: str, password: str, port: int, media_port: int,
               calls: int, local_ip: str = "127.0.0.1") -> list[str]:  # fmt: skip
    return [
        "127.0.0.1:5060", "-i", local_ip, "-p", str(port), "-mp", str(media_port),
        "-s", service, "-key", "caller", caller, "-au", caller, "-ap", password,
        "-m", str(calls), "-l", str(calls), "-r", "5", "-timeout", "300s",
    ]  # fmt: skip
