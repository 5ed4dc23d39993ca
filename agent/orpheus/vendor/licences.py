"""orpheus-license: the vendor's tool on the build host (keygen, issue, verify).

The private key never enters the image: by default it is the development key under
build/keys/ (made by `keygen` or by the image builder), in production LICENSE_KEY names a key
kept outside the tree. Units carry only the public key (/usr/share/orpheus/license-public.pem).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from orpheus.factory.records import SEALED, RecordError, RecordStore
from orpheus.licensing.document import (
    LicenseError,
    parse_document,
    parse_payload,
    sign,
    verify_signature,
)
from orpheus.licensing.tiers import ADDONS, TIERS

DEV_KEYS_DIR = Path("build/keys")
PRIVATE_NAME = "license-signing.key.pem"
PUBLIC_NAME = "license-public.pem"


def generate_keys(out_dir: Path) -> tuple[Path, Path]:
    private, public = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    if private.exists():
        raise LicenseError(f"{private} exists: refusing to replace a signing key")
    out_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public.write_bytes(public_pem(key))
    return private, public


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise LicenseError(f"cannot read the signing key {path}: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise LicenseError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise LicenseError(f"cannot read the public key {path}: {error}") from error
    if not isinstance(key, Ed25519PublicKey):
        raise LicenseError(f"{path} is not an Ed25519 public key")
    return key


def default_key() -> Path:
    return Path(os.environ.get("LICENSE_KEY") or DEV_KEYS_DIR / PRIVATE_NAME)


def bound_unit(
    record_path: Path, serial: str | None, fingerprint: str | None
) -> tuple[str, str, str]:
    """(serial, fingerprint, tier) of a unit the factory sealed (its self-test passed), from
    its station record (orpheus-factory's build/factory/records/<serial>.json); a serial or
    fingerprint also given must agree with it: a cross-check, never a second source."""
    try:
        record = RecordStore(record_path.parent).load(record_path.stem)
    except RecordError as error:
        raise LicenseError(str(error)) from error
    if record is None:
        raise LicenseError(f"{record_path}: no such factory record")
    passed = bool((record.self_test or {}).get("passed"))
    if record.result != SEALED or not passed or not record.fingerprint or not record.identity:
        raise LicenseError(f"{record_path}: unit {record.serial} was not sealed by the factory")
    tier = record.identity.get("tier")
    if not isinstance(tier, str) or not tier:
        raise LicenseError(f"{record_path}: the record's identity holds no tier")
    for given, recorded, what in ((serial, record.serial, "serial"),
                                  (fingerprint, record.fingerprint, "fingerprint")):  # fmt: skip
        if given is not None and given != recorded:
            raise LicenseError(f"--{what} {given} is not the record's ({recorded})")
    return record.serial, record.fingerprint, tier


def _issue(args: argparse.Namespace) -> int:
    serial, fingerprint, tier = args.serial, args.fingerprint, args.tier
    if args.from_record:
        serial, fingerprint, recorded_tier = bound_unit(args.from_record, serial, fingerprint)
        tier = tier or recorded_tier
    if not serial or not tier:
        raise LicenseError("give --serial and --tier, or --from-record")
    issued = datetime.date.today()
    support = args.support_until or (issued + datetime.timedelta(days=365)).isoformat()
    payload: dict[str, object] = {
        "license_id": args.id or f"L-{secrets.token_hex(6).upper()}",
        "serial": serial,
        "tier": tier,
        "addons": sorted(set(args.addon)),
        "update_support_until": support,
        "issued": issued.isoformat(),
    }
    if fingerprint:
        payload["fingerprint"] = fingerprint
    if args.channels is not None:
        payload["channels"] = args.channels
    parse_payload(payload)  # the vendor never signs what a unit would refuse on its face
    document = sign(payload, load_private_key(args.key))
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _verify(args: argparse.Namespace) -> int:
    document = parse_document(args.license.read_bytes())
    verify_signature(document, load_public_key(args.public_key))
    license_ = parse_payload(document["payload"])
    print(f"valid: {license_.license_id} for {license_.serial}, tier {license_.tier}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    private, public = generate_keys(args.out_dir)
    print(f"signing key {private}, public key {public}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orpheus-license", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="make an Ed25519 signing key pair")
    keygen.add_argument("--out-dir", type=Path, default=DEV_KEYS_DIR)
    keygen.set_defaults(func=_keygen)
    issue = commands.add_parser("issue", help="sign a licence for one unit")
    issue.add_argument("--key", type=Path, default=default_key(), help="private key (LICENSE_KEY)")
    issue.add_argument(
        "--from-record", type=Path,
        help="a sealed unit's factory record: its serial, fingerprint and tier",
    )  # fmt: skip
    issue.add_argument("--serial", help="the unit's serial (required without --from-record)")
    issue.add_argument("--fingerprint", help="bind to this hardware fingerprint too")
    issue.add_argument("--tier", choices=sorted(TIERS), help="default: the record's")
    issue.add_argument("--channels", type=int, help="licensed external channels (vm)")
    issue.add_argument("--addon", action="append", default=[], choices=ADDONS)
    issue.add_argument("--support-until", help="update support end (default: a year from today)")
    issue.add_argument("--id", help="licence id (default: random)")
    issue.add_argument("--output", "-o", type=Path)
    issue.set_defaults(func=_issue)
    verify = commands.add_parser("verify", help="check a licence's signature and payload")
    verify.add_argument("--public-key", type=Path, default=DEV_KEYS_DIR / PUBLIC_NAME)
    verify.add_argument("license", type=Path)
    verify.set_defaults(func=_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (LicenseError, OSError) as error:
        print(f"orpheus-license: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
