"""orpheusctl update install|status|rollback"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from orpheus.cli.client import AgentClient, AgentError
from orpheus.cli.output import print_json, print_table

POLL_SECONDS = 1.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("update", help="firmware updates and rollback (A/B slots)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    install = actions.add_parser("install", help="install a bundle (file on the unit or URL)")
    install.add_argument(
        "bundle", help="path of a .raucb file, or an http(s) URL (downloaded, then installed)"
    )
    install.add_argument("--reboot", action="store_true", help="reboot into it when idle")
    install.add_argument("--force", action="store_true", help="reboot even with calls active")
    install.add_argument(
        "--idle-timeout", type=float, default=1800.0, help="longest wait for calls to end (s)"
    )
    install.set_defaults(func=install_bundle)

    status = actions.add_parser("status", help="both slots, versions, last install and rollback")
    status.add_argument("--json", action="store_true", help="print the API's JSON")
    status.set_defaults(func=show_status)

    rollback = actions.add_parser("rollback", help="boot the other slot's firmware next time")
    rollback.add_argument("--reboot", action="store_true", help="reboot now")
    rollback.set_defaults(func=roll_back)


def install_bundle(args: argparse.Namespace, client: AgentClient) -> int:
    source = args.bundle
    if not source.startswith(("http://", "https://")):
        source = str(Path(source).resolve())
    body = {
        "url" if source.startswith(("http://", "https://")) else "path": source,
        "reboot": args.reboot,
        "force": args.force,
        "idle_timeout": args.idle_timeout,
    }
    job = client.request("POST", "/api/v1/update", body)
    return follow(client, int(job["id"]))


def follow(client: AgentClient, job_id: int) -> int:
    """Prints the job's progress until it ends; exit code 0 only if it succeeded."""
    shown = 0
    while True:
        try:
            job = client.request("GET", "/api/v1/update")["job"]
        except AgentError as error:
            if client.socket_path.exists():
                print(f"(waiting for the agent: {error})")
                time.sleep(POLL_SECONDS)
                continue
            print("the agent has stopped: the unit is rebooting")
            return 0
        if job is None or job["id"] != job_id:
            print(f"orpheusctl: job {job_id} is gone (the agent restarted)", file=sys.stderr)
            return 1
        for line in job["log"][shown:]:
            print(line)
        shown = len(job["log"])
        if job["state"] != "running":
            if job["state"] == "succeeded":
                return 0
            print(f"orpheusctl: update {job['state']}: {job['message']}", file=sys.stderr)
            return 1
        time.sleep(POLL_SECONDS)


def show_status(args: argparse.Namespace, client: AgentClient) -> int:
    status = client.request("GET", "/api/v1/update")
    if args.json:
        print_json(status)
    else:
        print_table(rows(status))
    return 0


def _slot_text(slot: dict[str, Any]) -> str:
    marks = [m for m, on in (("booted", slot["booted"]), ("primary", slot["primary"])) if on]
    return (
        f"{slot['version'] or 'unknown'} (built {slot['build_date'] or '?'}), "
        f"{slot['boot_status']}{', ' + ', '.join(marks) if marks else ''}"
    )


def _event(entry: dict[str, Any] | None, *keys: str) -> str:
    if not entry:
        return "-"
    return " ".join(str(entry.get(key)) for key in keys if entry.get(key) is not None)


def _fallback_text(fallback: dict[str, Any] | None) -> str:
    """The other slot's restore: "restoring 40 %", or how the newest one ended."""
    if not fallback:
        return "-"
    if fallback.get("state") == "restoring" and "progress" in fallback:
        return f"restoring {fallback['progress']} %: {fallback.get('message', '')}"
    return _event(fallback, "at", "state", "message")


def rows(status: dict[str, Any]) -> list[tuple[str, object]]:
    table: list[tuple[str, object]] = [
        (f"Slot {slot['bootname']}", _slot_text(slot)) for slot in status["slots"]
    ]
    table.append(("Running", status["running_version"]))
    job = status.get("job")
    if job:
        table.append(("Job", f"{job['id']} {job['state']} {job['progress']}%: {job['message']}"))
    table.append(("Last install", _event(status.get("last_install"), "at", "result", "message")))
    table.append(("Last rollback", _event(status.get("last_rollback"), "at", "kind", "reason")))
    table.append(("Fallback", _fallback_text(status.get("fallback"))))
    config = status.get("config") or {}
    table.append(("Configuration", config.get("message", "-")))
    lost = config.get("lost_changes") or []
    if lost:
        table.append(("Lost changes", ", ".join(lost)))
    return table


def roll_back(args: argparse.Namespace, client: AgentClient) -> int:
    answer = client.request("POST", "/api/v1/update/rollback", {"reboot": args.reboot})
    print(answer["message"])
    return 0
