"""orpheusctl network show [--json] | network dhcp [--dns A ...] |
network static INTERFACE ADDRESS/PREFIX [--gateway G] [--dns A ...]"""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("network", help="the unit's address: DHCP or static")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="the settings and the addresses held now")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    dhcp = actions.add_parser("dhcp", help="addresses from DHCP on every wired interface")
    dhcp.add_argument("--dns", action="append", default=[], help="a DNS server of your own")
    dhcp.set_defaults(func=set_dhcp)
    static = actions.add_parser("static", help="a static address on one interface")
    static.add_argument("interface")
    static.add_argument("address", help="address/prefix, e.g. 192.0.2.10/24")
    static.add_argument("--gateway")
    static.add_argument("--dns", action="append", default=[], help="a DNS server (repeat)")
    static.set_defaults(func=set_static)


def rows(answer: dict[str, Any]) -> list[tuple[str, object]]:
    shown: list[tuple[str, object]] = [("Mode", answer["mode"])]
    for label, key in (("Interface", "interface"), ("Address", "address"),
                       ("Gateway", "gateway")):  # fmt: skip
        if answer.get(key):
            shown.append((label, answer[key]))
    shown.append(("DNS", ", ".join(answer.get("dns", [])) or "-"))
    held = [f"{a['interface']} {a['address']}" for a in answer.get("addresses", [])]
    shown.append(("Held now", ", ".join(held) or "-"))
    if answer.get("applied") is False:
        shown.append(("NOT APPLIED", answer.get("apply_error", "")))
    return shown


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/network")
    if args.json:
        print_json(answer)
    else:
        print_table(rows(answer))
    return 0


def set_dhcp(args: argparse.Namespace, client: AgentClient) -> int:
    return _set(client, {"mode": "dhcp", "dns": args.dns})


def set_static(args: argparse.Namespace, client: AgentClient) -> int:
    settings: dict[str, Any] = {"mode": "static", "interface": args.interface,
                                "address": args.address, "dns": args.dns}  # fmt: skip
    if args.gateway:
        settings["gateway"] = args.gateway
    return _set(client, settings)


def _set(client: AgentClient, settings: dict[str, Any]) -> int:
    answer = client.request("PUT", "/api/v1/network", settings)
    print_table(rows(answer))
    return 0 if answer.get("applied", True) else 1
