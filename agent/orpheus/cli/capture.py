"""orpheusctl capture start|list|show|download|stop|delete: packet captures on the unit.

`--filter sip`, `rtp`, `host ADDR` or `port P` becomes the API's structure {kind, value};
the agent validates it and builds tcpdump's filter itself."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient, AgentError, api_path, download
from orpheus.cli.jobs import utc
from orpheus.cli.output import human_bytes, print_json, written_whole

FILTER_HELP = "sip (default), rtp, host ADDR or port P"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("capture", help="packet captures (tcpdump) and their SIP dialogs")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="start a capture (a job)")
    start.add_argument("--filter", nargs="+", metavar="KIND", help=FILTER_HELP)
    start.add_argument("--duration", type=int, metavar="S", help="seconds (default 300)")
    start.add_argument("--max-size", type=int, metavar="MB", help="size bound (default 10)")
    start.add_argument("--json", action="store_true", help="print the API's JSON")
    start.set_defaults(func=start_capture)
    listing = actions.add_parser("list", help="the kept captures")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_captures)
    show = actions.add_parser("show", help="one capture with its SIP dialogs")
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help="print the API's JSON")
    show.set_defaults(func=show_capture)
    fetch = actions.add_parser("download", help="the capture as a pcap file")
    fetch.add_argument("id")
    fetch.add_argument("-o", "--output", type=Path, help="the file (default: capture-ID.pcap)")
    fetch.set_defaults(func=download_capture)
    for name, func, text in (("stop", stop_capture, "stop a running capture (it is kept)"),
                             ("delete", delete_capture, "delete a capture")):  # fmt: skip
        action = actions.add_parser(name, help=text)
        action.add_argument("id")
        action.set_defaults(func=func)


def filter_of(words: list[str] | None) -> dict[str, Any] | None:
    if not words:
        return None
    if len(words) == 1:
        return {"kind": words[0]}
    if len(words) == 2:
        return {"kind": words[0], "value": words[1]}
    raise AgentError(f"--filter takes {FILTER_HELP}")


def start_capture(args: argparse.Namespace, client: AgentClient) -> int:
    body: dict[str, Any] = {}
    if (chosen := filter_of(args.filter)) is not None:
        body["filter"] = chosen
    if args.duration is not None:
        body["duration_seconds"] = args.duration
    if args.max_size is not None:
        body["max_size_mb"] = args.max_size
    capture = client.request("POST", "/api/v1/captures", body)
    if args.json:
        print_json(capture)
    else:
        print(f"capture {capture['id']} started (job {capture['job_id']}): "
              f"{_filter(capture)}, {capture['duration_seconds']} s, "
              f"at most {capture['max_size_mb']} MB")  # fmt: skip
    return 0


def list_captures(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/captures")
    if args.json:
        print_json(answer)
        return 0
    print(f"{'ID':<12}  {'STATE':<9} {'STARTED (UTC)':<19}  {'SIZE':>9}  FILTER")
    for capture in answer["captures"]:
        print(f"{capture['id']:<12}  {capture['state']:<9} {utc(capture['started_at']):<19}  "
              f"{human_bytes(capture['size_bytes']):>9}  {_filter(capture)}")  # fmt: skip
    print(f"{human_bytes(answer['used_bytes'])} of the {answer['quota_mb']} MB quota used")
    return 0


def show_capture(args: argparse.Namespace, client: AgentClient) -> int:
    capture = client.request("GET", api_path("captures", args.id))
    if args.json:
        print_json(capture)
        return 0
    print(f"capture {capture['id']}: {capture['state']}, {capture['message']}")
    for dialog in capture["dialogs"]:
        print(f"  {dialog['call_id']}  {dialog['method']}  {dialog['from']} -> {dialog['to']}  "
              f"{dialog['duration']:.1f} s  {dialog['final_response'] or '-'}")  # fmt: skip
    return 0


def download_capture(args: argparse.Namespace, client: AgentClient) -> int:
    output: Path = args.output or Path(f"capture-{args.id}.pcap")
    with written_whole(output) as out:
        written = download(client, api_path("captures", args.id, "pcap"), {}, out)
    print(f"{output}: {human_bytes(written)}", file=sys.stderr)
    return 0


def stop_capture(args: argparse.Namespace, client: AgentClient) -> int:
    capture = client.request("POST", api_path("captures", args.id, "stop"))
    print(f"capture {capture['id']}: {capture['state']}, {capture['message']}")
    return 0


def delete_capture(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("DELETE", api_path("captures", args.id))
    print(f"capture {answer['deleted']} deleted")
    return 0


def _filter(capture: dict[str, Any]) -> str:
    chosen = capture["filter"]
    return f"{chosen['kind']} {chosen['value']}".strip()
