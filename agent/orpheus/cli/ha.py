"""orpheusctl ha join | pair | status [--json]"""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from orpheus.cli.client import AgentClient
from orpheus.cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("ha", help="high availability: Master/Slave pair")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    join = actions.add_parser(
        "join", help="on the Slave: show a one-time pairing code and this unit's fingerprint"
    )
    join.add_argument("--master", help="only the unit at this address may pair (recommended)")
    join.set_defaults(func=join_pair)

    pair = actions.add_parser("pair", help="on the Master: pair with the Slave")
    pair.add_argument("--peer", required=True, help="the Slave's own address")
    pair.add_argument("--vip", required=True, help="virtual IP with prefix, e.g. 10.0.0.10/24")
    pair.add_argument("--interface", required=True, help="interface carrying the VIP")
    pair.add_argument("--code", required=True, help="the code `orpheusctl ha join` showed")
    pair.add_argument(
        "--fingerprint", required=True, help="the certificate fingerprint `ha join` showed"
    )
    pair.add_argument("--priority", type=int, help="this node's VRRP priority (101-254)")
    pair.add_argument("--preempt", action="store_true", help="a repaired Master takes the VIP back")
    pair.add_argument("--advert-interval", type=float, help="VRRP advert interval (s, 0.1)")
    pair.add_argument("--vrrp-version", type=int, choices=(2, 3), help="VRRP version (3)")
    pair.add_argument("--witness", help="address pinged to detect isolation (default gateway)")
    pair.set_defaults(func=make_pair)

    unpair = actions.add_parser("unpair", help="leave the pair (run it on both units)")
    unpair.set_defaults(func=leave_pair)

    status = actions.add_parser("status", help="role, peer, VIP, failover and sync state")
    status.add_argument("--json", action="store_true", help="print the API's JSON")
    status.set_defaults(func=show)


def join_pair(args: argparse.Namespace, client: AgentClient) -> int:
    body = {"master": args.master} if args.master else None
    answer = client.request("POST", "/api/v1/ha/join", body)
    print(f"Pairing code: {answer['code']}")
    print(f"Fingerprint (SHA-256): {answer['fingerprint']}")
    only = f" (only {args.master} may pair)" if args.master else ""
    print(f"Valid for {answer['expires_in_seconds']:.0f} s{only}. On the Master run:")
    print(f"  orpheusctl ha pair --peer <this unit's address> --vip <cidr> --interface <if> "
          f"--code {answer['code']} --fingerprint {answer['fingerprint']}")  # fmt: skip
    return 0


def leave_pair(args: argparse.Namespace, client: AgentClient) -> int:
    peer = client.request("GET", "/api/v1/ha").get("peer")
    client.request("DELETE", "/api/v1/ha")
    print(f"Unpaired from {peer}: this unit now works alone (unpair the peer too)")
    return 0


def make_pair(args: argparse.Namespace, client: AgentClient) -> int:
    body: dict[str, Any] = {
        "peer": args.peer,
        "vip": args.vip,
        "interface": args.interface,
        "code": args.code,
        "peer_fingerprint": args.fingerprint,
        "preempt": args.preempt,
    }
    for key in ("priority", "advert_interval", "vrrp_version", "witness"):
        if getattr(args, key) is not None:
            body[key] = getattr(args, key)
    status = client.request("POST", "/api/v1/ha/pair", body)
    print(f"Paired with {status['peer']}; VIP {status['vip']} on {status['interface']}")
    return 0


def show(args: argparse.Namespace, client: AgentClient) -> int:
    status = client.request("GET", "/api/v1/ha")
    if args.json:
        print_json(status)
    else:
        print_table(rows(status))
    return 0


def _when(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return datetime.datetime.fromtimestamp(timestamp).isoformat(timespec="seconds")


def rows(status: dict[str, Any]) -> list[tuple[str, object]]:
    if not status["paired"]:
        return [("Role", "not paired")]
    failover = status["last_failover"]
    failover_text = f"{_when(failover['time'])}: {failover['reason']}" if failover else "-"
    generation = status["generation"]
    lag = status["sync_lag_seconds"]
    reachable = "reachable" if status["peer_reachable"] else "NOT REACHABLE"
    result: list[tuple[str, object]] = [
        ("Role", status["role"]),
        ("Peer", f"{status['peer']} ({reachable}, {status['peer_role'] or '-'})"),
        ("VIP", f"{status['vip']} on {status['interface']}"),
        ("Last failover", failover_text),
        ("Sync lag", "-" if lag is None else f"{lag:.3f} s"),
        ("Generation", f"local {generation['local']}, peer {generation['peer'] or '-'}"),
        ("May be Master", status["may_be_master"]),
    ]
    for event in status["config_events"][-5:]:
        result.append((f"Change {event['kind']}", f"{_when(event['time'])}: {event['detail']}"))
    return result
