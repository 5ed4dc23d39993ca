"""The licence in force on this unit and the limits it grants (its entitlement).

Without a licence, or with one that is no longer valid on this hardware, the unit runs at its
board's base tier: a fault never lifts a limit, and an invalid licence raises an alarm.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from orpheus.files import FileGroup
from orpheus.licensing.document import (
    License,
    LicenseError,
    parse_document,
    parse_payload,
    verify_signature,
)
from orpheus.licensing.factory_signature import Seal, check_seal, load_factory_key
from orpheus.licensing.identity import (
    Identity,
    IdentityError,
    load_identity,
    load_identity_fields,
    make_identity,
    read_hardware,
    save_identity,
)
from orpheus.licensing.tiers import TIERS, Limits, board_tiers, lifting_licence

log = logging.getLogger(__name__)

INCLUDED_UPDATE_SUPPORT_DAYS = 365
FEATURE_TITLES = {
    "call_recording": "call recording",
    "balancer": "the balancer (virtual trunk groups)",
    "high_availability": "high availability",
    "remote_extensions": "remote extensions",
    "callcenter": "Call Center",
}


@dataclass(frozen=True)
class Entitlement:
    board: str
    tier: str
    limits: Limits
    addons: tuple[str, ...]
    license: License | None
    alarm: str | None

    @property
    def callcenter(self) -> bool:
        return "callcenter" in self.addons


class Licensing:
    def __init__(
        self,
        state_dir: Path,
        sysfs: Path,
        data_dir: Path,
        public_key: Path,
        boot_board: str | None,
        factory_key: Path | None = None,
    ) -> None:
        self.license_file = state_dir / "license.json"
        self.identity_file = state_dir / "identity.json"
        self._sysfs = sysfs
        self._data_dir = data_dir
        self._public_key = public_key
        self._boot_board = boot_board
        self._factory_key = factory_key
        # How the identity is sealed (licensing/factory_signature.py), checked at every start.
        self.seal: Seal | None = None
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[Entitlement], None]] = []
        self.hardware = read_hardware(sysfs, data_dir)
        self.identity: Identity | None = None
        self.entitlement = self._evaluate()

    # -- what other features ask -------------------------------------------------------------
    def refusal(self, feature: str) -> str | None:
        """None when the licence allows feature, else one line naming the limit and its cure."""
        current = self.entitlement
        allowed = current.callcenter if feature == "callcenter" else current.limits.allows(feature)
        if allowed:
            return None
        title = FEATURE_TITLES.get(feature, feature)
        cure = lifting_licence(current.board, feature)
        return f"{title} is not included in the {current.limits.title} tier; {cure} lifts it"

    def update_support_until(self) -> datetime.date | None:
        current = self.entitlement
        if current.license is not None:
            return current.license.update_support_until
        if self.identity is None:
            return None
        manufactured = datetime.date.fromisoformat(self.identity.manufactured)
        return manufactured + datetime.timedelta(days=INCLUDED_UPDATE_SUPPORT_DAYS)

    def subscribe(self, callback: Callable[[Entitlement], None]) -> None:
        self._subscribers.append(callback)

    # -- changes -----------------------------------------------------------------------------
    def install(self, raw: bytes, record: Callable[[], None] | None = None) -> Entitlement:
        """Validates and installs a licence; raises LicenseError and changes nothing if bad.

        record (the audit entry) runs with the new licence in effect; if it fails (a full
        disk: DiskFull), the previous licence file and entitlement are put back."""
        with self._lock:
            license_ = self.check(raw)
            previous = self.entitlement
            with FileGroup() as group:
                group.write(self.license_file, raw.decode().rstrip("\n") + "\n", mode=0o600)
                group.commit()
                self.entitlement = self._evaluate()
                try:
                    if record is not None:
                        record()
                except BaseException:
                    self.entitlement = previous
                    raise
            log.info("licence %s installed: tier %s", license_.license_id, license_.tier)
        self._notify()
        return self.entitlement

    def write_identity(
        self, serial: str, board: str, manufactured: datetime.date | None, force: bool
    ) -> Identity:
        """The factory identity, written once: the board (so the base tier) and manufacturing
        date cannot change afterwards, force or not (re-provisioning at the factory will need
        a signed factory token, not the admin password)."""
        with self._lock:
            if self.identity_file.exists():
                held = self.identity.serial if self.identity else "unreadable"
                raise IdentityError(
                    f"this unit already has its factory identity (serial {held}): "
                    "it is written once, at the factory"
                    + (" (--force changes nothing)" if force else "")
                )
            identity = make_identity(serial, board, self.hardware, manufactured)
            save_identity(self.identity_file, identity)
            self.entitlement = self._evaluate()
        self._notify()
        return identity

    def check(self, raw: bytes) -> License:
        """Every check of an installation, against this unit; returns the parsed licence."""
        document = parse_document(raw)
        verify_signature(document, self._vendor_key())
        license_ = parse_payload(document["payload"])
        self._check_binding(license_)
        return license_

    # -- internals ---------------------------------------------------------------------------
    def _vendor_key(self) -> Ed25519PublicKey:
        try:
            key = load_pem_public_key(self._public_key.read_bytes())
        except (OSError, ValueError) as error:
            raise LicenseError(f"no usable vendor public key at {self._public_key}") from error
        if not isinstance(key, Ed25519PublicKey):
            raise LicenseError(f"{self._public_key} is not an Ed25519 public key")
        return key

    def _check_binding(self, license_: License) -> None:
        identity = self.identity
        if identity is None:
            raise LicenseError("this unit has no identity (serial): no licence can be bound to it")
        if self.seal is Seal.ALTERED:
            raise LicenseError(f"this unit's factory identity is {self.seal.value}")
        if license_.serial != identity.serial:
            raise LicenseError(
                f"licence is for unit {license_.serial}, this unit is {identity.serial}"
            )
        if license_.fingerprint is not None and license_.fingerprint != self.hardware.fingerprint:
            raise LicenseError(
                f"licence is bound to other hardware (fingerprint {license_.fingerprint}, "
                f"this unit's is {self.hardware.fingerprint})"
            )
        tiers = board_tiers(identity.board)
        if license_.tier not in tiers.licensable:
            raise LicenseError(
                f"the {identity.board} board cannot take a {license_.tier} licence "
                f"(it takes: {', '.join(tiers.licensable)})"
            )

    def _base(self, board: str, alarm: str | None) -> Entitlement:
        tier = board_tiers(board).base
        return Entitlement(board, tier, TIERS[tier], (), None, alarm)

    def _evaluate(self) -> Entitlement:
        self.seal = None
        try:
            self.identity = load_identity(self.identity_file)
        except IdentityError as error:
            self.identity = None
            return self._base(self._boot_board or "", f"{error}; running at base-tier limits")
        if self.identity is None:
            return self._base(self._boot_board or "", None)
        board = self.identity.board
        self.seal = self._check_seal()
        if self.seal is Seal.ALTERED:
            base = TIERS[board_tiers(board).base].title
            # its board is not to be believed: the booted image's (GRUB's) is
            board = self._boot_board or ""
            base = TIERS[board_tiers(board).base].title
            alarm = f"the factory identity is {self.seal.value}: running at {base} limits"
            log.error("%s", alarm)
            return self._base(board, alarm + ", no licence accepted")
        if not self.license_file.exists():
            return self._base(board, None)
        try:
            license_ = self.check(self.license_file.read_bytes())
        except (OSError, LicenseError) as error:
            base = TIERS[board_tiers(board).base].title
            alarm = (
                f"the installed licence is not valid on this unit: {error}; "
                f"running at {base} limits"
            )
            log.error("%s", alarm)
            return self._base(board, alarm)
        limits = TIERS[license_.tier]
        if license_.channels is not None:
            limits = limits.with_channels(license_.channels)
        return Entitlement(board, license_.tier, limits, license_.addons, license_, None)

    def _check_seal(self) -> Seal:
        try:
            fields = load_identity_fields(self.identity_file) or {}
        except IdentityError:
            return Seal.ALTERED
        key = load_factory_key(self._factory_key) if self._factory_key else None
        return check_seal(fields, key)

    def seal_alarm(self) -> str | None:
        """An identity not signed by the factory (a development unit's) or not verifiable."""
        if self.seal in (Seal.UNSIGNED, Seal.NO_KEY):
            return f"the factory identity is {self.seal.value}"
        return None

    def _notify(self) -> None:
        for callback in self._subscribers:
            try:
                callback(self.entitlement)
            except Exception:  # a subscriber's failure must not undo an installed licence
                log.exception("applying the new licence failed in a subscriber")
