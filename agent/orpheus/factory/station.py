"""orpheus-factory: the factory station's tool.

    orpheus-factory flash --image build/mini/orpheus-mini-1.0.0.img --target /dev/sdX

Exit status: 0 done, 1 refused or failed (one line on stderr, saying why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from orpheus.factory.flash import FlashError, flash
from orpheus.factory.targets import TargetRefused

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orpheus-factory", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    flash_command = commands.add_parser("flash", help="write a built image to a unit's disk")
    flash_command.add_argument("--image", type=Path, required=True, help="build/<board>/*.img")
    flash_command.add_argument(
        "--target", type=Path, required=True, help="the unit's disk (/dev/sdX) or a file"
    )
    flash_command.set_defaults(func=_flash)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (FlashError, TargetRefused, OSError) as error:
        print(f"orpheus-factory: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
