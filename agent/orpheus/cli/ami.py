"""orpheusctl ami user add|list|delete: AMI accounts for third-party software."""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("ami", help="Asterisk's manager (AMI) for third parties")
    areas = parser.add_subparsers(dest="area", required=True, metavar="AREA")
    user = areas.add_parser("user", help="AMI accounts").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )

    add = user.add_parser("add", help="add an account; its secret is printed once")
    add.add_argument("name")
    add.add_argument(
        "--permit", action="append", required=True, metavar="CIDR",
        help="a network that may log in (repeat for more), e.g. 192.0.2.0/24",
    )  # fmt: skip
    add.add_argument("--read", required=True, metavar="CLASSES", help="e.g. call,reporting")
    add.add_argument("--write", required=True, metavar="CLASSES", help="e.g. call,originate")
    add.set_defaults(func=add_user)

    listing = user.add_parser("list", help="the accounts (no secrets)")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_users)

    delete = user.add_parser("delete", help="delete an account")
    delete.add_argument("name")
    delete.set_defaults(func=delete_user)


def _classes(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def _report(answer: dict[str, Any]) -> None:
    print(f"AMI listens on {answer['listening']}")
    if not answer["applied"]:
        print(f"stored; {answer['detail']}: Asterisk reads it when it starts")


def add_user(args: argparse.Namespace, client: AgentClient) -> int:
    body = {
        "name": args.name,
        "permit": args.permit,
        "read": _classes(args.read),
        "write": _classes(args.write),
    }
    answer = client.request("POST", "/api/v1/ami/users", body)
    print(f"secret: {answer['secret']}")
    print("(shown only now: give it to the software that logs in as this user)")
    _report(answer)
    return 0


def list_users(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/ami/users")
    if args.json:
        print_json(answer)
        return 0
    print(f"AMI listens on {answer['listening']}")
    for user in answer["users"]:
        print(
            f"{user['name']}  permit={','.join(user['permit'])}  read={','.join(user['read'])}"
            f"  write={','.join(user['write'])}"
        )
    return 0


def delete_user(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("DELETE", api_path("ami", "users", args.name))
    print(f"AMI user {answer['deleted']} deleted")
    _report(answer)
    return 0
