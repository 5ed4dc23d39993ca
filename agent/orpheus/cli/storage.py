"""orpheusctl storage list|add-nas|remove|eject|check|set-default|retention: where
recordings are kept."""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from orpheus.cli.client import AgentClient, AgentError, api_path
from orpheus.cli.output import human_bytes, print_json


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "storage", help="recordings storage: internal, USB drives and NAS shares"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every target: state, size, free, recordings")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")
    listing.set_defaults(func=list_targets)
    eject = actions.add_parser("eject", help="unmount a USB drive so it can be pulled out")
    eject.add_argument("name", help="the target, e.g. usb-5e1c-8a2f (see storage list)")
    eject.set_defaults(func=eject_target)
    check = actions.add_parser(
        "check",
        help="check a USB drive's filesystem again (unmounted, checked, mounted again; "
        "read-only if errors are left)",
    )
    check.add_argument("name", help="the target, e.g. usb-5e1c-8a2f (see storage list)")
    check.add_argument("--json", action="store_true", help="print the API's JSON")
    check.set_defaults(func=check_target)
    default = actions.add_parser("set-default", help="the target new recordings go to")
    default.add_argument("name", help="internal or usb-<uuid>")
    default.set_defaults(func=set_default)
    retention = actions.add_parser(
        "retention",
        help="a target's limits: the oldest recordings are deleted past them (no option: show)",
    )
    retention.add_argument("name", help="internal or usb-<uuid>")
    retention.add_argument(
        "--max-age-days", type=_days, metavar="N|none", help="delete recordings older than N days"
    )
    retention.add_argument(
        "--max-bytes",
        type=_size,
        metavar="SIZE|none",
        help="keep the recordings within SIZE: bytes, or 500M, 200G, 1.5T (powers of 1000), "
        "64GiB (of 1024)",
    )
    retention.add_argument("--json", action="store_true", help="print the API's JSON")
    retention.set_defaults(func=set_retention)
    add_nas = actions.add_parser(
        "add-nas",
        help="add a NAS: an NFS v4 export or an SMB share (the password is read from the "
        "terminal or standard input, never from the command line)",
    )
    add_nas.add_argument("name", help="the target's name: nas-<word>, e.g. nas-archive")
    source = add_nas.add_mutually_exclusive_group(required=True)
    source.add_argument("--nfs", metavar="HOST:/EXPORT", help="an NFS export")
    source.add_argument("--smb", metavar="//HOST/SHARE", help="an SMB/CIFS share")
    add_nas.add_argument(
        "--port", type=_port, metavar="N", help="the server's TCP port (default: NFS 2049, SMB 445)"
    )
    add_nas.add_argument("--username", help="the SMB user")
    add_nas.add_argument("--domain", help="the SMB domain (workgroup)")
    add_nas.add_argument(
        "--password-stdin", action="store_true", help="read the SMB password from standard input"
    )
    add_nas.add_argument("--json", action="store_true", help="print the API's JSON")
    add_nas.set_defaults(func=add_nas_target)
    remove = actions.add_parser("remove", help="remove a NAS (unmounted, its credentials deleted)")
    remove.add_argument("name", help="the NAS, e.g. nas-archive (see storage list)")
    remove.set_defaults(func=remove_target)


_NONE = object()  # "none": the limit removed (null in the API), unlike an option left out
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?) ?([KMGTP]?)(i?)B?", re.IGNORECASE)


def _days(text: str) -> object:
    if text.lower() == "none":
        return _NONE
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (1 to 65535): {text!r}")
    return int(text)


def _size(text: str) -> object:
    """'none', or bytes: 500000000, 500M, 200GB, 1.5T (powers of 1000), 64GiB (of 1024)."""
    if text.lower() == "none":
        return _NONE
    found = _SIZE.fullmatch(text.strip())
    if found is None or (found[3] and not found[2]):
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 500000000, 200G, 64GiB)")
    base = 1024 if found[3] else 1000
    power = "KMGTP".find(found[2].upper()) + 1 if found[2] else 0
    return int(float(found[1]) * base**power)


def list_targets(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("GET", "/api/v1/storage")
    if args.json:
        print_json(answer)
        return 0
    print(
        f"  {'TARGET':<46} {'STATE':<12} {'FS':<6} {'SIZE':>9} {'FREE':>9} "
        f"{'RECORDINGS':<16} RETENTION"
    )
    for t in answer["targets"]:
        mark = "*" if t.get("default") else " "
        held = f"{t['recordings']:>4} ({human_bytes(t['recording_bytes'])})"
        print(
            f"{mark} {t['name']:<46} {t['state']:<12} {t['fs_type'] or '-':<6} "
            f"{human_bytes(t['size_bytes']):>9} {human_bytes(t['free_bytes']):>9} "
            f"{held:<16} {_limits(t.get('retention') or {})}"
            + (f"  {t['message']}" if t.get("message") else "")
        )
    return 0


def _limits(retention: dict[str, int | None]) -> str:
    shown = []
    if retention.get("max_age_days") is not None:
        shown.append(f"{retention['max_age_days']} days")
    if retention.get("max_bytes") is not None:
        shown.append(human_bytes(retention["max_bytes"]))
    return ", ".join(shown) or "-"


def eject_target(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("POST", api_path("storage", args.name, "eject"))
    print(f"{answer['ejected']} ejected: the drive can be pulled out")
    return 0


def check_target(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("POST", api_path("storage", args.name, "check"))
    if args.json:
        print_json(answer)
        return 0
    check = answer["check"]
    print(f"{answer['target']}: {check['result']}, {answer['state']}: {check['detail']}")
    return 0 if answer["state"] != "read-only" else 1


def set_default(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("PUT", "/api/v1/storage/default", {"target": args.name})
    print(f"new recordings go to {answer['default']}")
    return 0


def set_retention(args: argparse.Namespace, client: AgentClient) -> int:
    body = {
        key: None if value is _NONE else value
        for key, value in (("max_age_days", args.max_age_days), ("max_bytes", args.max_bytes))
        if value is not None
    }
    if body:
        answer = client.request("PUT", api_path("storage", args.name, "retention"), body)
        retention = answer["retention"]
    else:
        listing = client.request("GET", "/api/v1/storage")
        found = [t for t in listing["targets"] if t["name"] == args.name]
        if not found:
            raise AgentError(f"no storage target {args.name!r} (see orpheusctl storage list)")
        retention = found[0].get("retention") or {}
    if args.json:
        print_json({"target": args.name, "retention": retention})
        return 0
    limits = _limits(retention)
    print(f"{args.name}: " + ("no limit" if limits == "-" else f"retention {limits}, oldest first"))
    return 0


def nas_body(args: argparse.Namespace) -> dict[str, str | int]:
    """POST /api/v1/storage/nas's body from the options; the agent checks every field."""
    body = _nas_source(args)
    if getattr(args, "port", None) is not None:
        body["port"] = int(args.port)
    return body


def _nas_source(args: argparse.Namespace) -> dict[str, str | int]:
    if args.nfs is not None:
        host, colon, export = str(args.nfs).partition(":")
        if not colon or not export.startswith("/"):
            raise AgentError(
                f"--nfs is HOST:/EXPORT, e.g. nas.example:/srv/recordings: {args.nfs!r}"
            )
        return {"name": args.name, "kind": "nfs", "host": host, "share": export}
    text = str(args.smb)
    host, slash, share = text[2:].partition("/") if text.startswith("//") else ("", "", "")
    if not host or not slash or not share:
        raise AgentError(f"--smb is //HOST/SHARE, e.g. //nas.example/recordings: {text!r}")
    if not args.username:
        raise AgentError("an SMB share needs --username")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password of {args.username} on //{host}/{share}: ")
    body: dict[str, str | int] = {"name": args.name, "kind": "smb", "host": host,
                                  "share": share, "username": args.username,
                                  "password": password}  # fmt: skip
    if args.domain:
        body["domain"] = args.domain
    return body


def add_nas_target(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("POST", "/api/v1/storage/nas", nas_body(args))
    if args.json:
        print_json(answer)
        return 0
    message = f": {answer['message']}" if answer.get("message") else ""
    port = f", port {answer['port']}" if answer.get("port") else ""
    print(f"{answer['name']} added ({answer['device']}{port}), {answer['state']}{message}")
    return 0


def remove_target(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("DELETE", api_path("storage", args.name))
    print(f"{answer['removed']} removed: unmounted, its credentials deleted")
    return 0
