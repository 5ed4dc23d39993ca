"""orpheusctl factory reopen TOKEN_FILE: the factory console answers again at the next boot.

Only as root on the unit itself (the agent refuses the route over the network): the token is
the factory's (`orpheus-factory reopen-token`), for this unit's serial and fingerprint.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from orpheus.cli.client import AgentClient, AgentError
from orpheus.factory.reopen import MAX_TOKEN_BYTES, ReopenRefused, parse_token


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("factory", help="the factory's access to a sealed unit")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    reopen = actions.add_parser(
        "reopen", help="re-open the factory console with the factory's signed token"
    )
    reopen.add_argument("token", type=Path, help="the token file from orpheus-factory")
    reopen.set_defaults(func=reopen_console)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:  # bounded: a wrong file named is not read whole
            return handle.read(MAX_TOKEN_BYTES + 1)
    except OSError as error:
        raise AgentError(f"cannot read {path}: {error.strerror}") from error


def reopen_console(args: argparse.Namespace, client: AgentClient) -> int:
    try:
        token = parse_token(_read(args.token))
    except ReopenRefused as error:
        raise AgentError(f"{args.token}: {error}") from error
    answer = client.request("POST", "/api/v1/factory/reopen", {"token": token})
    print(
        f"{answer['serial']}: re-opened; the identity is kept as {answer['kept_as']}. "
        "The factory console answers the station after a reboot."
    )
    return 0
