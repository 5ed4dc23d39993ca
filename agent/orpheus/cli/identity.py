"""orpheusctl identity show [--json] | identity init --serial S --board B (factory, dev, QEMU)"""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("identity", help="the unit's serial, board and hardware")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="print the identity")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    init = actions.add_parser("init", help="write the identity (factory; dev units and QEMU)")
    init.add_argument("--serial", required=True)
    init.add_argument("--board", required=True)
    init.add_argument("--manufactured", help="YYYY-MM-DD (default: today)")
    init.add_argument("--force", action="store_true", help="replace an existing identity")
    init.set_defaults(func=write)


def _rows(answer: dict[str, Any]) -> list[tuple[str, object]]:
    identity = answer["identity"] or {}
    return [
        ("Serial", identity.get("serial", "- (no identity)")),
        ("Board", identity.get("board", "-")),
        ("MAC", identity.get("mac") or "-"),
        ("Product UUID", identity.get("product_uuid") or "-"),
        ("Disk serial", identity.get("disk_serial") or "-"),
        ("Fingerprint", identity.get("fingerprint", "-")),
        ("Manufactured", identity.get("manufactured", "-")),
        ("Hardware", "matches" if answer["matches_hardware"] else "DOES NOT MATCH"),
    ]


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/identity")
    if args.json:
        print_json(answer)
    else:
        print_table(_rows(answer))
    return 0


def write(args: argparse.Namespace, client: AgentClient) -> int:
    body = {"serial": args.serial, "board": args.board, "force": args.force}
    if args.manufactured:
        body["manufactured"] = args.manufactured
    print_table(_rows(client.request("POST", "/api/v1/identity", body)))
    return 0
