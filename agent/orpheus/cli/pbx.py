"""orpheusctl pbx list|show|add|set|delete KIND ...: the PBX configuration.

Fields are given as FIELD=VALUE; lists as a,b,c; IVR options as 1=extension:101,2=ivr:sales.
"""

from __future__ import annotations

import argparse
import sys

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import print_json

KINDS = ("extension", "trunk", "queue", "ivr", "balancer", "recording")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "pbx", help="extensions, trunks, queues, IVR, balancers, recording"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="records of a kind")
    listing.add_argument("kind", choices=KINDS)
    listing.set_defaults(func=list_records)
    show_parser = actions.add_parser("show", help="one record")
    show_parser.add_argument("kind", choices=KINDS)
    show_parser.add_argument("key", nargs="?", default="recording")
    show_parser.set_defaults(func=show)
    add = actions.add_parser("add", help="create a record")
    add.add_argument("kind", choices=KINDS)
    add.add_argument("fields", nargs="+", metavar="FIELD=VALUE")
    add.set_defaults(func=create)
    change = actions.add_parser("set", help="change fields of a record")
    change.add_argument("kind", choices=KINDS)
    change.add_argument("key")
    change.add_argument("fields", nargs="+", metavar="FIELD=VALUE")
    change.set_defaults(func=update)
    delete_parser = actions.add_parser("delete", help="delete a record")
    delete_parser.add_argument("kind", choices=KINDS)
    delete_parser.add_argument("key")
    delete_parser.set_defaults(func=delete)


def parse_fields(pairs: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"{pair!r}: expected FIELD=VALUE")
        fields[name] = value
    return fields


def _fields_or_exit(pairs: list[str]) -> dict[str, str] | None:
    try:
        return parse_fields(pairs)
    except ValueError as error:
        print(f"orpheusctl: {error}", file=sys.stderr)
        return None


def _report(answer: dict[str, object]) -> None:
    if not answer.get("applied"):
        print(f"stored; {answer.get('detail')}: Asterisk reads it when it starts")


def list_records(args: argparse.Namespace, client: AgentClient) -> int:
    print_json(client.request("GET", api_path("pbx", args.kind)))
    return 0


def show(args: argparse.Namespace, client: AgentClient) -> int:
    print_json(client.request("GET", api_path("pbx", args.kind, args.key)))
    return 0


def create(args: argparse.Namespace, client: AgentClient) -> int:
    fields = _fields_or_exit(args.fields)
    if fields is None:
        return 2
    if args.kind == "recording":
        answer = client.request("PUT", "/api/v1/pbx/recording/recording", fields)
    else:
        answer = client.request("POST", api_path("pbx", args.kind), fields)
    print_json(answer["record"])
    _report(answer)
    return 0


def update(args: argparse.Namespace, client: AgentClient) -> int:
    fields = _fields_or_exit(args.fields)
    if fields is None:
        return 2
    answer = client.request("PUT", api_path("pbx", args.kind, args.key), fields)
    print_json(answer["record"])
    _report(answer)
    return 0


def delete(args: argparse.Namespace, client: AgentClient) -> int:
    _report(client.request("DELETE", api_path("pbx", args.kind, args.key)))
    print(f"{args.kind} {args.key} deleted")
    return 0
