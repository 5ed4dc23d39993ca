"""orpheusctl call start|list|hangup: calls started from an extension, calls in progress."""

from __future__ import annotations

import argparse
from typing import Any

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("call", help="start, list and hang up calls")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = actions.add_parser(
        "start", help="ring extension FROM; once it answers, it dials TO like a dialled call"
    )
    start.add_argument("source", metavar="FROM", help="the extension that rings first")
    start.add_argument("destination", metavar="TO", help="a number or an extension")
    start.add_argument("--caller-name", help="caller id name shown (default: FROM's name)")
    start.add_argument("--caller-number", help="caller id number shown (default: FROM)")
    start.set_defaults(func=start_call)

    listing = actions.add_parser("list", help="the calls in progress")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_calls)

    hangup = actions.add_parser("hangup", help="hang up a call in progress")
    hangup.add_argument("id", help="the call's id (from call start or call list)")
    hangup.set_defaults(func=hang_up)


def start_call(args: argparse.Namespace, client: AgentClient) -> int:
    body: dict[str, Any] = {"from": args.source, "to": args.destination}
    caller_id = {
        key: value
        for key, value in (("name", args.caller_name), ("number", args.caller_number))
        if value is not None
    }
    if caller_id:
        body["caller_id"] = caller_id
    answer = client.request("POST", "/api/v1/calls", body)
    print(answer["id"])
    return 0


def list_calls(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/calls")
    if args.json:
        print_json(answer)
    elif not answer["calls"]:
        print("no calls in progress")
    else:
        for line in call_lines(answer["calls"]):
            print(line)
    return 0


def call_lines(calls: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'ID':<32}  {'FROM':<12} {'TO':<16} {'STATE':<8} {'SECONDS':>7}  TRUNK"]
    for call in calls:
        lines.append(
            f"{call['id']:<32}  {call['from']:<12} {call['to']:<16} {call['state']:<8} "
            f"{call['duration_seconds']:>7}  {call['trunk'] or '-'}"
        )
    return lines


def hang_up(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("DELETE", api_path("calls", args.id))
    print(f"call {answer['id']} hung up ({len(answer['hung_up'])} channel(s))")
    return 0
