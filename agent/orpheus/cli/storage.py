"""orpheusctl storage list|eject|set-default: where recordings are kept."""

from __future__ import annotations

import argparse

from orpheus.cli.client import AgentClient, api_path
from orpheus.cli.output import human_bytes, print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("storage", help="recordings storage: internal and USB drives")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every target: state, size, free, recordings")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_targets)
    eject = actions.add_parser("eject", help="unmount a USB drive so it can be pulled out")
    eject.add_argument("name", help="the target, e.g. usb-5e1c-8a2f (see storage list)")
    eject.set_defaults(func=eject_target)
    default = actions.add_parser("set-default", help="the target new recordings go to")
    default.add_argument("name", help="internal or usb-<uuid>")
    default.set_defaults(func=set_default)


def list_targets(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/storage")
    if args.json:
        print_json(answer)
        return 0
    print(f"  {'TARGET':<46} {'STATE':<12} {'FS':<6} {'SIZE':>9} {'FREE':>9} {'RECORDINGS':>10}")
    for t in answer["targets"]:
        mark = "*" if t.get("default") else " "
        print(
            f"{mark} {t['name']:<46} {t['state']:<12} {t['fs_type'] or '-':<6} "
            f"{human_bytes(t['size_bytes']):>9} {human_bytes(t['free_bytes']):>9} "
            f"{t['recordings']:>4} ({human_bytes(t['recording_bytes'])})"
            + (f"  {t['message']}" if t.get("message") else "")
        )
    return 0


def eject_target(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("POST", api_path("storage", args.name, "eject"))
    print(f"{answer['ejected']} ejected: the drive can be pulled out")
    return 0


def set_default(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("PUT", "/api/v1/storage/default", {"target": args.name})
    print(f"new recordings go to {answer['default']}")
    return 0
