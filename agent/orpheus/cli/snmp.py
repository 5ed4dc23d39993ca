"""orpheusctl snmp show [--json] | orpheusctl snmp set [options]

  orpheusctl snmp set --contact "NOC +41 22 000" --location "Rack 3" \\
      --community monitor@10.0.0.0/8,192.168.1.0/24 \\
      --v3-user nms:AUTHSECRET:PRIVSECRET \\
      --trap 10.0.0.5/traps --inform 10.0.0.6:162/nms

Each list option replaces the whole list; --no-communities, --no-v3-users and --no-receivers
empty it. Invalid values are refused before anything changes.
"""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient, AgentError
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("snmp", help="SNMP agent: communities, v3 users, traps")
    actions = parser.add_subparsers(dest="snmp_command", required=True, metavar="ACTION")
    show_parser = actions.add_parser("show", help="the SNMP settings (secrets masked)")
    show_parser.add_argument("--json", action="store_true", help="print the API's JSON")
    show_parser.set_defaults(func=show)
    set_parser = actions.add_parser("set", help="change SNMP settings")
    set_parser.add_argument("--contact", help="sysContact")
    set_parser.add_argument("--location", help="sysLocation")
    set_parser.add_argument(
        "--community", action="append", metavar="NAME@NET[,NET]",
        help="read-only community limited to source networks (repeatable)",
    )  # fmt: skip
    set_parser.add_argument("--no-communities", action="store_true")
    set_parser.add_argument(
        "--v3-user", action="append", metavar="NAME:AUTHPASS:PRIVPASS",
        help="SNMPv3 user, authPriv with SHA and AES; passwords of 8 characters or more",
    )  # fmt: skip
    set_parser.add_argument("--no-v3-users", action="store_true")
    set_parser.add_argument(
        "--trap", action="append", metavar="HOST[:PORT]/COMMUNITY", help="v2c trap receiver"
    )
    set_parser.add_argument(
        "--inform", action="append", metavar="HOST[:PORT]/USER", help="v3 inform receiver"
    )
    set_parser.add_argument("--no-receivers", action="store_true")
    set_parser.set_defaults(func=set_settings)


def show(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/snmp")
    if args.json:
        print_json(answer)
        return 0
    current = answer["settings"]
    print_table(
        [
            ("Contact", current["contact"] or "-"),
            ("Location", current["location"] or "-"),
            *[
                ("Community", f"{c['name']} from {', '.join(c['sources'])}")
                for c in current["communities"]
            ],
            *[("v3 user", f"{u['name']} (authPriv SHA/AES)") for u in current["users"]],
            *[("Receiver", _receiver_text(r)) for r in current["receivers"]],
            ("AgentX", "connected to snmpd" if answer["agentx_connected"] else "NOT connected"),
            ("Objects", answer["objects"]),
        ]
    )
    return 0


def _receiver_text(receiver: dict[str, Any]) -> str:
    target = f"{receiver['host']}:{receiver['port']}"
    if receiver["community"]:
        return f"{target} v2c traps, community {receiver['community']}"
    return f"{target} v3 informs as {receiver['user']}"


def _community(text: str) -> dict[str, Any]:
    name, _, networks = text.partition("@")
    if not networks:
        raise AgentError(f"--community {text!r}: give the source networks as NAME@NET[,NET]")
    return {"name": name, "sources": networks.split(",")}


def _user(text: str) -> dict[str, Any]:
    parts = text.split(":")
    if len(parts) != 3:
        raise AgentError(f"--v3-user {parts[0]!r}: use NAME:AUTHPASS:PRIVPASS")
    return {"name": parts[0], "auth_password": parts[1], "priv_password": parts[2]}


def _receiver(text: str, key: str) -> dict[str, Any]:
    target, _, who = text.rpartition("/")
    host, _, port = target.partition(":")
    if not target or not who:
        raise AgentError(f"receiver {text!r}: use HOST[:PORT]/{key.upper()}")
    if port and not port.isdigit():
        raise AgentError(f"receiver {text!r}: the port must be a number")
    return {"host": host, "port": int(port or 162), key: who}


def changes_from(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("contact", "location"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if args.community or args.no_communities:
        changes["communities"] = [_community(text) for text in args.community or []]
    if args.v3_user or args.no_v3_users:
        changes["users"] = [_user(text) for text in args.v3_user or []]
    if args.trap or args.inform or args.no_receivers:
        changes["receivers"] = [_receiver(text, "community") for text in args.trap or []] + [
            _receiver(text, "user") for text in args.inform or []
        ]
    return changes


def set_settings(args: argparse.Namespace, client: AgentClient) -> int:
    changes = changes_from(args)
    if not changes:
        raise AgentError("nothing to change: see orpheusctl snmp set --help")
    answer = client.request("PUT", "/api/v1/snmp", changes)
    if "warning" in answer:
        print(f"orpheusctl: warning: {answer['warning']}")
    print("SNMP settings saved")
    return 0
