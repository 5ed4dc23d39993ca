"""orpheusctl admin password: change the unit's admin password."""

from __future__ import annotations

import argparse
import getpass
import sys

from orpheus.cli.client import AgentClient


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("admin", help="the admin account")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    password = actions.add_parser("password", help="set the admin password")
    password.add_argument(
        "--stdin", action="store_true", help="read the new password from standard input"
    )
    password.set_defaults(func=set_password)


def set_password(args: argparse.Namespace, client: AgentClient) -> int:
    if args.stdin:
        new = sys.stdin.readline().rstrip("\n")
    else:
        new = getpass.getpass("New admin password: ")
        if getpass.getpass("Again: ") != new:
            print("orpheusctl: the two passwords differ", file=sys.stderr)
            return 1
    client.request("PUT", "/api/v1/admin/password", {"password": new})
    print("admin password changed")
    return 0
