"""orpheus-console: what agetty runs on the unit's screen and serial port after the banner
and the `login:` prompt, in place of login(1) (rootfs_overlay/etc/systemd/system/*getty*).

agetty runs it as root with the name typed (`-- NAME`, its default login options); run by
hand it asks for the name itself. It never starts a shell.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from orpheus.cli.client import AgentClient
from orpheus.config import AgentConfig
from orpheus.console.agent import SocketAgent
from orpheus.console.menu import Menu
from orpheus.console.terminal import EndOfInput, Terminal, printable

IDLE_SECONDS = 10 * 60  # a menu left open on a serial line ends itself
# A password check waits for the agent's bounded scrypt runs: longer than orpheusctl's calls
# would not help a person at the console.
AGENT_TIMEOUT_SECONDS = 30.0


def _idle(_signal: int, _frame: FrameType | None) -> None:
    raise EndOfInput("idle")


def _hang_up(_signal: int, _frame: FrameType | None) -> None:
    raise EndOfInput("hung up")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="orpheus-console", description=__doc__)
    parser.add_argument(
        "--socket", type=Path,
        default=Path(os.environ.get("ORPHEUS_SOCKET", AgentConfig().socket_path)),
        help="the agent's Unix socket (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("user", nargs="?", help="the name typed at agetty's prompt")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    # The console is for a person: job control and a core dump on Ctrl-\ are no use there.
    for ignored in (signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(ignored, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, _idle)
    signal.signal(signal.SIGHUP, _hang_up)
    # Whatever the locale (agetty's environment is bare), bytes that are not UTF-8 are
    # replaced, never an exception.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="replace")
    terminal = Terminal(stdin, stdout, idle_seconds=IDLE_SECONDS)
    agent = SocketAgent(AgentClient(args.socket, timeout=AGENT_TIMEOUT_SECONDS))
    try:
        return Menu(terminal, agent).run(args.user)
    except KeyboardInterrupt:  # Ctrl-C: the prompt comes back (agetty starts it again)
        return 0
    except OSError:  # the terminal went away while the menu wrote to it
        return 1
    except Exception as error:  # noqa: BLE001 - one line for the installer, not a traceback
        print(printable(f"orpheus-console: {type(error).__name__}: {error}"), file=sys.stderr)
        return 1
