"""orpheusctl firewall show|allow|deny|open|apply|confirm|blocked|unblock: the access lists
per service and the SIP attackers blocked.

Every change is applied at once and comes back out by itself unless `orpheusctl firewall
confirm` follows within the window (60 s unless --confirm-seconds)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import print_json

PATH = "/api/v1/firewall"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("firewall", help="access lists per service, SIP attackers")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("show", help="the lists per service and a change to confirm")
    show.add_argument("--json", action="store_true", help="print the API's JSON")
    show.set_defaults(func=show_state)

    allow = actions.add_parser("allow", help="let NETWORKs reach SERVICE (restricts it)")
    deny = actions.add_parser("deny", help="take NETWORKs out of SERVICE's list")
    for change in (allow, deny):
        change.add_argument("service", metavar="SERVICE", help="admin, ssh, sip, rtp, ...")
        change.add_argument("networks", metavar="NETWORK", nargs="+", help="address[/prefix]")
    allow.set_defaults(func=allow_networks)
    deny.set_defaults(func=deny_networks)

    opened = actions.add_parser("open", help="let every address reach SERVICE again")
    opened.add_argument("service", metavar="SERVICE")
    opened.set_defaults(func=open_service)

    apply = actions.add_parser("apply", help='apply FILE: {"allow": {...}, "trusted": [...]}')
    apply.add_argument("file", type=Path, metavar="FILE")
    apply.set_defaults(func=apply_file)

    for change in (allow, deny, opened, apply):
        change.add_argument(
            "--confirm-seconds",
            type=int,
            default=60,
            metavar="S",
            help="roll back unless confirmed within S seconds (default 60)",
        )

    confirm = actions.add_parser("confirm", help="keep the change waiting for confirmation")
    confirm.set_defaults(func=confirm_change)

    blocked = actions.add_parser("blocked", help="the addresses blocked for failed SIP log-ins")
    blocked.add_argument("--json", action="store_true", help="print the API's JSON")
    blocked.set_defaults(func=list_blocked)

    unblock = actions.add_parser("unblock", help="unblock ADDRESS")
    unblock.add_argument("address", metavar="ADDRESS")
    unblock.set_defaults(func=unblock_address)


def show_state(args: argparse.Namespace, client: AgentClient) -> int:
    state = client.request("GET", PATH)
    if args.json:
        print_json(state)
        return 0
    print(f"mode: {state['mode']}")
    for name, service in state["services"].items():
        allowed = "all" if service["allow"] is None else ", ".join(service["allow"]) or "none"
        print(f"{name:<6} {' '.join(service['ports']):<24} {allowed}")
    print(f"trusted (never blocked): {', '.join(state['trusted']) or 'loopback only'}")
    print(f"local (this unit's networks): {', '.join(state['local'])}")
    print(f"peer (HA): {state['peer'] or 'not paired: as local'}")
    if state["pending"]:
        print(f"waiting for confirmation: {state['pending']['confirm_within_seconds']} s left")
    blocking = state["blocking"]
    print(
        f"SIP blocking: {blocking['failures']} failures in {blocking['window_seconds']:g} s, "
        f"{blocking['block_seconds']} s; {blocking['failures_seen']} failures seen, "
        f"{blocking['blocks_made']} blocks"
    )
    if state["error"]:
        print(f"error: {state['error']}")
    return 0


def _current(client: AgentClient) -> dict[str, Any]:
    state = client.request("GET", PATH)
    # every service, open ones as null: one left out would get its default again
    allow = {name: s["allow"] for name, s in state["services"].items()}
    return {"allow": allow, "trusted": state["trusted"]}


def allow_networks(args: argparse.Namespace, client: AgentClient) -> int:
    lists = _current(client)
    current = lists["allow"].get(args.service) or []
    lists["allow"][args.service] = current + [n for n in args.networks if n not in current]
    return _apply(args, client, lists)


def deny_networks(args: argparse.Namespace, client: AgentClient) -> int:
    lists = _current(client)
    if lists["allow"].get(args.service) is None:
        print(f"orpheusctl: {args.service} is open to all: allow the networks it takes",
              file=sys.stderr)  # fmt: skip
        return 1
    missing = [n for n in args.networks if n not in lists["allow"][args.service]]
    if missing:
        print(f"orpheusctl: not in {args.service}'s list: {', '.join(missing)}", file=sys.stderr)
        return 1
    lists["allow"][args.service] = [
        n for n in lists["allow"][args.service] if n not in args.networks
    ]
    return _apply(args, client, lists)


def open_service(args: argparse.Namespace, client: AgentClient) -> int:
    lists = _current(client)
    lists["allow"][args.service] = None
    return _apply(args, client, lists)


def apply_file(args: argparse.Namespace, client: AgentClient) -> int:
    try:
        lists = json.loads(args.file.read_text())
    except (OSError, ValueError) as error:
        print(f"orpheusctl: {args.file}: {error}", file=sys.stderr)
        return 1
    if not isinstance(lists, dict):
        print(f"orpheusctl: {args.file}: a JSON object expected", file=sys.stderr)
        return 1
    return _apply(args, client, lists)


def _apply(args: argparse.Namespace, client: AgentClient, lists: dict[str, Any]) -> int:
    # No lock-out check here: orpheusctl is on the unit (loopback is never filtered).
    body = {**lists, "confirm_seconds": args.confirm_seconds}
    client.request("POST", PATH, body)
    print(f"applied; confirm within {args.confirm_seconds} s (orpheusctl firewall confirm) "
          "or it is rolled back")  # fmt: skip
    return 0


def confirm_change(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("POST", f"{PATH}/confirm")
    print("confirmed")
    return 0


def list_blocked(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", f"{PATH}/blocked")
    if args.json:
        print_json(answer)
    elif not answer["blocked"]:
        print("no address blocked")
    else:
        for entry in answer["blocked"]:
            left = entry["expires_in_seconds"]
            print(f"{entry['address']:<40} {'-' if left is None else f'{left} s'}")
    return 0


def unblock_address(args: argparse.Namespace, client: AgentClient) -> int:
    client.request("DELETE", api_path("firewall", "blocked", args.address))
    print(f"{args.address} unblocked")
    return 0
