"""orpheusctl user|level|token ...: admin users, their levels and API tokens.

orpheusctl level add pbx-only --right pbx=change --right dashboard=read
orpheusctl user add alice --level pbx-only          # asks for the password
orpheusctl user set alice --disable | --enable | --level L | --password
orpheusctl token add monitoring --user admin        # the token is printed once
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from orpheus.cli.client import AgentClient, AgentError, api_path
from orpheus.cli.output import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _register_users(commands)
    _register_levels(commands)
    _register_tokens(commands)


def _register_users(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("user", help="admin users: add, set, delete, list")
    actions = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every user, its level and state")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_users)
    add = actions.add_parser("add", help="add a user (they change the password at log-in)")
    add.add_argument("name")
    add.add_argument("--level", required=True)
    add.add_argument("--disabled", action="store_true", help="added disabled")
    add.add_argument("--stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=add_user)
    change = actions.add_parser("set", help="change a user's password, level or state")
    change.add_argument("name")
    change.add_argument("--level")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--enable", action="store_true")
    state.add_argument("--disable", action="store_true")
    change.add_argument("--password", action="store_true", help="ask for a new password")
    change.add_argument("--stdin", action="store_true", help="the new password from stdin")
    change.set_defaults(func=set_user)
    delete = actions.add_parser("delete", help="delete a user")
    delete.add_argument("name")
    delete.set_defaults(func=delete_user)


def _register_levels(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("level", help="admin levels: add, set, delete, list")
    actions = parser.add_subparsers(dest="level_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every level and its rights per area")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_levels)
    for action, func, text in (("add", add_level, "add a level"),
                               ("set", set_level, "replace a level's rights")):  # fmt: skip
        sub = actions.add_parser(action, help=text)
        sub.add_argument("name")
        sub.add_argument(
            "--right", action="append", default=[], metavar="AREA=none|read|change",
            help="a right per area (repeatable; areas not named: none)",
        )  # fmt: skip
        sub.set_defaults(func=func)
    delete = actions.add_parser("delete", help="delete a level no user has")
    delete.add_argument("name")
    delete.set_defaults(func=delete_level)


def _register_tokens(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("token", help="API tokens (Authorization: Bearer)")
    actions = parser.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    for action, func, text in (("list", list_tokens, "a user's tokens"),
                               ("add", add_token, "a new token, printed once"),
                               ("delete", delete_token, "revoke a token")):  # fmt: skip
        sub = actions.add_parser(action, help=text)
        if action != "list":
            sub.add_argument("name")
        sub.add_argument("--user", default="admin", help="whose tokens (default: %(default)s)")
        sub.set_defaults(func=func)


def list_users(args: argparse.Namespace, client: AgentClient) -> int:
    users = client.request("GET", "/api/v1/users")
    if args.json:
        print_json(users)
        return 0
    for user in users:
        state = "enabled" if user["enabled"] else "DISABLED"
        must = ", must change password" if user["must_change_password"] else ""
        print(f"{user['name']:<20} {user['level']:<20} {state}{must}")
    return 0


def add_user(args: argparse.Namespace, client: AgentClient) -> int:
    body = {"name": args.name, "level": args.level, "password": _password(args.stdin),
            "enabled": not args.disabled}  # fmt: skip
    client.request("POST", "/api/v1/users", body)
    print(f"user {args.name} added (the password must be changed at the first log-in)")
    return 0


def set_user(args: argparse.Namespace, client: AgentClient) -> int:
    body: dict[str, Any] = {}
    if args.level:
        body["level"] = args.level
    if args.enable or args.disable:
        body["enabled"] = bool(args.enable)
    if args.password or args.stdin:
        body["password"] = _password(args.stdin)
    if not body:
        raise AgentError("nothing to change: give --level, --enable, --disable or --password")
    client.request("PUT", api_path("users", args.name), body)
    print(f"user {args.name} changed")
    return 0


def delete_user(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("DELETE", api_path("users", args.name))
    print(f"user {args.name} deleted")
    return 0


def list_levels(args: argparse.Namespace, client: AgentClient) -> int:
    levels = client.request("GET", "/api/v1/levels")
    if args.json:
        print_json(levels)
        return 0
    for level in levels:
        rights = [f"{area}={right}" for area, right in level["rights"].items() if right != "none"]
        print(f"{level['name']:<20} {' '.join(rights) or '(nothing)'}")
    return 0


def _rights(given: list[str]) -> dict[str, str]:
    rights = {}
    for text in given:
        area, sign, right = text.partition("=")
        if not sign:
            raise AgentError(f"--right {text!r}: give AREA=none|read|change")
        rights[area] = right
    return rights


def add_level(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("POST", "/api/v1/levels", {"name": args.name, "rights": _rights(args.right)})
    print(f"level {args.name} added")
    return 0


def set_level(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("PUT", api_path("levels", args.name), {"rights": _rights(args.right)})
    print(f"level {args.name} changed")
    return 0


def delete_level(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("DELETE", api_path("levels", args.name))
    print(f"level {args.name} deleted")
    return 0


def list_tokens(args: argparse.Namespace, client: AgentClient) -> int:
    for token in client.request("GET", api_path("tokens", user=args.user)):
        print(f"{token['name']:<24} created {token['created']}")
    return 0


def add_token(args: argparse.Namespace, client: AgentClient) -> int:
    created = client.request("POST", "/api/v1/tokens", {"name": args.name, "user": args.user})
    print(created["token"])
    print(f"token {args.name} of {args.user}: shown this once, keep it now", file=sys.stderr)
    return 0


def delete_token(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("DELETE", api_path("tokens", args.name, user=args.user))
    print(f"token {args.name} of {args.user} revoked")
    return 0


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    new = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != new:
        raise AgentError("the two passwords differ")
    return new
