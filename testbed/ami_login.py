"""A third party's AMI client, run inside a unit's network namespace: log in over TCP, run
actions, print what Asterisk answered as JSON. Written apart from the agent's own client so
that a test of the accounts does not lean on the code under test.

    ip netns exec NS python -m testbed.ami_login HOST PORT USER SECRET [--source ADDR]
        [--action NAME[:Key=Value]]... [--hold-seconds S]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from testbed.paths import SOURCE_DIR

TIMEOUT_SECONDS = 10.0


class _Session:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.banner = self._read_until(b"\r\n").decode().strip()
        self.next_id = 0

    def _read_until(self, end: bytes) -> bytes:
        while end not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by Asterisk")
            self.buffer += chunk
        block, _, self.buffer = self.buffer.partition(end)
        return block

    def action(self, name: str, **fields: str) -> dict[str, str]:
        self.next_id += 1
        action_id = f"test-{self.next_id}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in fields.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while True:
            block = self._read_until(b"\r\n\r\n").decode(errors="replace")
            message = dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line)
            if message.get("ActionID") == action_id and "Response" in message:
                return message


def run(args: argparse.Namespace) -> dict[str, Any]:
    try:
        sock = socket.create_connection(
            (args.host, args.port), TIMEOUT_SECONDS,
            source_address=(args.source, 0) if args.source else None,
        )  # fmt: skip
    except OSError as error:
        return {"connected": False, "error": str(error)}
    result: dict[str, Any] = {"connected": True, "actions": []}
    with sock:
        try:
            session = _Session(sock)
            login = session.action("Login", Username=args.user, Secret=args.secret, Events="off")
            result["login"] = login
            if login.get("Response") != "Success":
                return result
            if args.hold_seconds:  # a session that stays open while the test changes things
                print("logged in", flush=True)
                time.sleep(args.hold_seconds)
            for spec in args.action:
                name, _, rest = spec.partition(":")
                fields = dict(item.split("=", 1) for item in rest.split(",") if item)
                result["actions"].append({"action": name, **session.action(name, **fields)})
        except (OSError, ConnectionError) as error:
            result["error"] = str(error)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ami_login")
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("secret")
    parser.add_argument("--source")
    parser.add_argument("--action", action="append", default=[])
    parser.add_argument("--hold-seconds", type=float, default=0.0)
    print(json.dumps(run(parser.parse_args(argv))))
    return 0


@dataclass
class AmiLogin:
    """Runs this module in a namespace and returns its JSON answer."""

    netns: str
    port: int = 5038

    def command(
        self, user: str, secret: str, *actions: str, host: str = "127.0.0.1",
        source: str | None = None, hold_seconds: float = 0.0,
    ) -> list[str]:  # fmt: skip
        command = ["ip", "netns", "exec", self.netns, sys.executable, "-m", "testbed.ami_login",
                   host, str(self.port), user, secret,
                   "--hold-seconds", str(hold_seconds)]  # fmt: skip
        command += ["--source", source] if source else []
        for action in actions:
            command += ["--action", action]
        return command

    def __call__(self, user: str, secret: str, *actions: str, **options: Any) -> dict[str, Any]:
        result = subprocess.run(self.command(user, secret, *actions, **options),
                                capture_output=True, text=True, check=True,
                                cwd=SOURCE_DIR, timeout=60)  # fmt: skip
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    def start(self, user: str, secret: str, *actions: str, **options: Any) -> subprocess.Popen[str]:
        """A session that logs in now (it prints "logged in") and runs its actions after
        hold_seconds; its answer is the last line it prints."""
        command = self.command(user, secret, *actions, **options)
        return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=SOURCE_DIR)


if __name__ == "__main__":
    sys.exit(main())
