"""orpheus-factory: the factory station's tool.

    orpheus-factory flash --image build/mini/orpheus-mini-1.0.0.img --target /dev/sdX
    orpheus-factory provision --port /dev/ttyUSB0 --serial-number ORP-MINI-0001 --board mini
    orpheus-factory batch --ports /dev/ttyUSB0,/dev/ttyUSB1 --serials serials.txt --board mini
    orpheus-factory records --csv [--with-passwords]
    orpheus-factory reopen-token --serial ORP-MINI-0001 --fingerprint F --out token.json

The factory key is FACTORY_KEY (production, kept off the tree) or the development key under
build/keys/ that the image builder made (its public half is in the development images).
Exit status: 0 done, 1 refused or failed (one line on stderr, saying why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from orpheus import files
from orpheus.factory.batch import (
    BatchError,
    LiveTable,
    check_records,
    pair_up,
    read_serials,
    run_batch,
    summary,
)
from orpheus.factory.board_hardware import BOARD_DIR, BoardError, load_declared
from orpheus.factory.flash import FlashError, flash
from orpheus.factory.provision import RUNNING_STATE, Station, provision
from orpheus.factory.records import (
    FAILED,
    RECORDS_DIR,
    REOPENED,
    RecordError,
    RecordStore,
    export_csv,
)
from orpheus.factory.reopen import MAX_VALID_HOURS, make_token
from orpheus.factory.targets import TargetRefused
from orpheus.licensing.factory_signature import FactoryKeyError, load_signing_key

DEV_FACTORY_KEY = Path("build/keys/factory-signing.key.pem")  # builder/keys.py makes it

BAR_WIDTH = 30


class ProgressBar:
    """One line, redrawn in place on a terminal; on a log (not a tty) a line per 10 %."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.shown = -1

    def __call__(self, percent: int) -> None:
        if self.out.isatty():
            filled = BAR_WIDTH * percent // 100
            self.out.write(f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {percent:3d} %")
        elif percent // 10 > self.shown // 10:
            self.out.write(f"flashing: {percent} %\n")
        self.shown = percent
        self.out.flush()

    def done(self) -> None:
        if self.out.isatty() and self.shown >= 0:
            self.out.write("\n")


def _flash(args: argparse.Namespace) -> int:
    bar = ProgressBar(sys.stderr)
    try:
        flashed = flash(args.image, args.target, bar)
    finally:
        bar.done()
    print(flashed.summary())
    return 0


def _station(args: argparse.Namespace) -> Station:
    return Station(
        declared=load_declared(args.board, args.board_dir),
        signing_key=load_signing_key(args.factory_key),
        records=RecordStore(args.records),
        label_dir=args.label_dir,
        operator=args.operator,
        wait_seconds=args.wait,
    )


def _print_step(step: str, state: str, detail: str) -> None:
    if state != RUNNING_STATE:
        print(f"  {step:<10} {state:<7} {detail}".rstrip(), flush=True)


def _provision(args: argparse.Namespace) -> int:
    station = _station(args)
    print(f"provisioning {args.serial_number} ({args.board}) on {args.port}", flush=True)
    outcome = provision(station, args.port, args.serial_number, _print_step)
    if outcome.result == FAILED:
        print(f"orpheus-factory: {args.serial_number}: {outcome.detail}", file=sys.stderr)
        return 1
    print(
        f"{outcome.serial}: {outcome.result} in {outcome.seconds:.1f} s "
        f"({outcome.bytes_sent} bytes sent, {outcome.bytes_received} received)"
    )
    return 0


def _batch(args: argparse.Namespace) -> int:
    ports = [port.strip() for port in args.ports.split(",") if port.strip()]
    pairs = pair_up(ports, read_serials(args.serials))
    station = _station(args)
    check_records(station.records, pairs)
    started = time.monotonic()
    outcomes = run_batch(station, pairs, LiveTable(pairs, sys.stdout))
    for line in summary(outcomes, time.monotonic() - started):
        print(line)
    failed = [o for o in outcomes if o.result == FAILED]
    if failed:
        print(f"orpheus-factory: {len(failed)} unit(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _records(args: argparse.Namespace) -> int:
    records = RecordStore(args.records).all()
    if args.csv:
        sys.stdout.write(export_csv(records, with_passwords=args.with_passwords))
        return 0
    for record in records:
        line = f"{record.serial:<20} {record.board:<8} {record.result:<8} {record.error or ''}"
        print(line.rstrip())
    print(f"{len(records)} record(s) in {args.records}")
    return 0


def _reopen_token(args: argparse.Namespace) -> int:
    try:
        token = make_token(
            args.serial, args.fingerprint, load_signing_key(args.factory_key), args.valid_hours
        )
    except ValueError as error:  # FactoryKeyError is one too: main's one line either way
        print(f"orpheus-factory: {error}", file=sys.stderr)
        return 1
    try:
        marked = _mark_reopened(RecordStore(args.records), args.serial, args.fingerprint)
    except RecordError as error:
        print(f"orpheus-factory: {error}", file=sys.stderr)
        return 1
    # 0600: until the unit takes it, the token opens that unit's factory console
    files.write_file(args.out, json.dumps(token, indent=2, sort_keys=True) + "\n", mode=0o600)
    print(f"{args.out}: re-opens {args.serial} until {token['not_after']}")
    if marked:
        print(f"records: {args.serial} marked {REOPENED}: provision it again once re-opened")
    return 0


def _mark_reopened(store: RecordStore, serial: str, fingerprint: str) -> bool:
    """The station's record of the unit, if it holds one, says it may be provisioned again:
    a new password and self-test then, its key and serial kept. Another unit's is refused."""
    record = store.load(serial)
    if record is None:
        return False
    if record.fingerprint not in (None, fingerprint):
        raise RecordError(
            f"the records hold {serial} for fingerprint {record.fingerprint}, not {fingerprint}: "
            "no token made"
        )
    record.result, record.error, record.seal_requested = REOPENED, None, False
    record.admin_password, record.self_test, record.steps = None, None, {}
    store.save(record)
    return True


def _factory_key_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--factory-key",
        type=Path,
        default=Path(os.environ.get("FACTORY_KEY") or DEV_FACTORY_KEY),
        help="the factory's Ed25519 private key (FACTORY_KEY)",
    )


def _unit_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--board", required=True, help="board/<name> (mini, lite, v4r, ...)")
    command.add_argument("--label-dir", type=Path, help="write a label per unit here")
    _records_option(command)
    _factory_key_option(command)
    command.add_argument(
        "--board-dir", type=Path, default=BOARD_DIR, help="the tree's board/ (board.toml files)"
    )
    command.add_argument(
        "--wait", type=float, default=90.0, help="seconds to wait for the unit to answer"
    )
    command.add_argument("--operator", default=_operator(), help="recorded with each unit")


def _records_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--records", type=Path, default=RECORDS_DIR, help=f"records directory ({RECORDS_DIR})"
    )


def _operator() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orpheus-factory", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    flash_command = commands.add_parser("flash", help="write a built image to a unit's disk")
    flash_command.add_argument("--image", type=Path, required=True, help="build/<board>/*.img")
    flash_command.add_argument(
        "--target", type=Path, required=True, help="the unit's disk (/dev/sdX) or a file"
    )
    flash_command.set_defaults(func=_flash)

    one = commands.add_parser("provision", help="identify, self-test and seal one unit")
    one.add_argument("--port", required=True, help="/dev/ttyUSB0, a pty, or socket://host:port")
    one.add_argument("--serial-number", required=True)
    _unit_options(one)
    one.set_defaults(func=_provision)

    many = commands.add_parser("batch", help="provision several units at once, one per port")
    many.add_argument("--ports", required=True, help="comma-separated, one unit each")
    many.add_argument(
        "--serials", type=Path, required=True, help="a file: one serial a line, port by port"
    )
    _unit_options(many)
    many.set_defaults(func=_batch)

    listing = commands.add_parser("records", help="list the station's records, or export them")
    _records_option(listing)
    listing.add_argument("--csv", action="store_true", help="CSV for the licensing office")
    listing.add_argument(
        "--with-passwords", action="store_true", help="include the admin passwords in the CSV"
    )
    listing.set_defaults(func=_records)

    token = commands.add_parser(
        "reopen-token", help="a signed token that re-opens one sealed unit's factory console"
    )
    token.add_argument("--serial", required=True, help="the unit's serial")
    token.add_argument("--fingerprint", required=True, help="the unit's hardware fingerprint")
    token.add_argument(
        "--valid-hours", type=float, default=24.0,
        help=f"the token's life (default 24, at most {MAX_VALID_HOURS})",
    )  # fmt: skip
    _factory_key_option(token)
    _records_option(token)
    token.add_argument("--out", type=Path, required=True, help="the token file to write")
    token.set_defaults(func=_reopen_token)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (
        FlashError, TargetRefused, BoardError, FactoryKeyError, RecordError, BatchError, OSError,
    ) as error:  # fmt: skip
        print(f"orpheus-factory: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
