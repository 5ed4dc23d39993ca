"""orpheusctl privacy show|set-password|export-identity: the privacy officer's password.

Passwords are read from the terminal (or, with --stdin, one a line from standard input),
never from the command line, where other users and the shell's history would see them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("privacy", help="the privacy password guarding recordings")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="whether the password is set; the public key")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    set_parser = actions.add_parser(
        "set-password", help="set the privacy password (the first time: makes the key pair)"
    )
    set_parser.add_argument(
        "--stdin",
        action="store_true",
        help="read the old password (if one is set) and the new one, a "
        "line each, from standard input",
    )
    set_parser.set_defaults(func=set_password)
    export = actions.add_parser(
        "export-identity", help="print the private key (AGE-SECRET-KEY-1...) for safe keeping"
    )
    export.add_argument(
        "--stdin", action="store_true", help="read the privacy password from standard input"
    )
    export.set_defaults(func=export_identity)


def read_password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(prompt)


def show(args: argparse.Namespace, client: AgentClient) -> int:
    state = client.request("GET", "/api/v1/privacy")
    if args.json:
        print_json(state)
        return 0
    print_table(
        [
            ("password set", "yes" if state["password_set"] else "no"),
            ("public key", state["recipient"] or "-"),
            ("set at", state["set_at"] or "-"),
            ("changed at", state["changed_at"] or "-"),
        ]
    )
    return 0


def set_password(args: argparse.Namespace, client: AgentClient) -> int:
    body: dict[str, str] = {}
    if client.request("GET", "/api/v1/privacy")["password_set"]:
        body["old_password"] = read_password("Current privacy password: ", args.stdin)
    body["password"] = read_password("New privacy password: ", args.stdin)
    if not args.stdin and getpass.getpass("Again: ") != body["password"]:
        print("orpheusctl: the two passwords differ", file=sys.stderr)
        return 1
    state = client.request("PUT", "/api/v1/privacy", body)
    print(f"privacy password set; recordings are encrypted to {state['recipient']}")
    return 0


def export_identity(args: argparse.Namespace, client: AgentClient) -> int:
    password = read_password("Privacy password: ", args.stdin)
    answer = client.request("POST", "/api/v1/privacy/identity", {"password": password})
    print(answer["identity"])
    return 0
