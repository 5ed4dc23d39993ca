"""What may be installed: the rules a bundle must pass before RAUC writes anything.

Each rule raises Refused with one line that names what was expected and what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from orpheus.jobs.model import Refusal
from orpheus.update.versions import older, version_key


class Refused(Refusal):
    """The update was refused; the message is for the admin (an install job ends refused)."""


@dataclass(frozen=True)
class Firmware:
    version: str
    build_date: str
    min_version: str
    compatible: str = ""  # known for the running firmware; a bundle's is checked apart


def build_day(build_date: str) -> date:
    try:
        return datetime.fromisoformat(build_date.replace("Z", "+00:00")).date()
    except ValueError as error:
        raise Refused(f"the bundle has no valid build date ({build_date!r})") from error


def check_compatible(compatible: str, accepted: str) -> None:
    """accepted: the running firmware's compatible string (release.json)."""
    if compatible != accepted:
        raise Refused(f"bundle is for '{compatible}', this unit accepts '{accepted}'")


def check_versions(bundle: Firmware, running: Firmware) -> None:
    try:
        version_key(bundle.version)
    except ValueError as error:
        raise Refused(f"the bundle's version is not valid: {error}") from error
    if _older(running.version, bundle.min_version):
        raise Refused(
            f"firmware {bundle.version} can only be installed over {bundle.min_version} or "
            f"newer; this unit runs {running.version}"
        )
    if _older(bundle.version, running.min_version):
        raise Refused(
            f"downgrade refused: firmware {running.version} cannot go back below "
            f"{running.min_version}, the bundle is {bundle.version}"
        )


def _older(a: str, b: str) -> bool:
    try:
        return older(a, b)
    except ValueError:
        return False  # an unversioned development build does not block


def check_entitlement(bundle: Firmware, support_until: date | None) -> None:
    """Updates built after the update-support expiry are refused; older ones always pass."""
    if support_until is None:
        return
    built = build_day(bundle.build_date)
    if built > support_until:
        raise Refused(
            f"update support ended on {support_until.isoformat()}; firmware {bundle.version} "
            f"was built on {built.isoformat()}: renew update support to install it"
        )
