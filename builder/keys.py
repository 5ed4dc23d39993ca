"""Update signing keys: a development CA generated under build/keys/ when absent.

Production builds point SIGNING_KEY, SIGNING_CERT and KEYRING at keys kept outside the tree.
The image carries only the keyring (the CA certificate RAUC verifies bundles against).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from builder.context import BuildContext
from builder.errors import BuildError
from builder.run import run

log = logging.getLogger("builder")

SUBJECT = "/O=Orpheus development"
# RAUC rejects a signer carrying extendedKeyUsage=codeSigning: digitalSignature only.
SIGNER_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature\n"
    "subjectKeyIdentifier=hash\n"
    "authorityKeyIdentifier=keyid\n"
)


@dataclass(frozen=True)
class SigningKeys:
    key: Path
    cert: Path
    keyring: Path


def _generate_development_keys(keys_dir: Path) -> None:
    keys_dir.mkdir(parents=True, exist_ok=True)
    keys_dir.chmod(0o700)
    ca_key, ca_cert = keys_dir / "ca.key.pem", keys_dir / "ca.cert.pem"
    key, csr, cert = (keys_dir / n for n in ("signing.key.pem", "signing.csr", "signing.cert.pem"))
    log.info("generating development signing keys in %s", keys_dir)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(
        ["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_cert, "-days", "3650",
         "-subj", f"{SUBJECT}/CN=Orpheus development CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    )  # fmt: skip
    run(["openssl", "req", *ec, "-keyout", key, "-out", csr,
         "-subj", f"{SUBJECT}/CN=Orpheus development update signing"])  # fmt: skip
    extensions = keys_dir / "signer.ext"
    extensions.write_text(SIGNER_EXTENSIONS)
    run(
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "3650", "-extfile", extensions]
    )  # fmt: skip
    (keys_dir / "keyring.pem").write_bytes(ca_cert.read_bytes())


def signing_keys(ctx: BuildContext) -> SigningKeys:
    names = ("SIGNING_KEY", "SIGNING_CERT", "KEYRING")
    given = {name: os.environ.get(name) for name in names}
    if any(given.values()):
        if not all(given.values()):
            raise BuildError("set all of SIGNING_KEY, SIGNING_CERT and KEYRING, or none")
        paths = {name: Path(str(value)) for name, value in given.items()}
        for name, path in paths.items():
            if not path.is_file():
                raise BuildError(f"{name}={path}: no such file")
        return SigningKeys(paths["SIGNING_KEY"], paths["SIGNING_CERT"], paths["KEYRING"])
    keys_dir = ctx.keys_dir
    if not (keys_dir / "keyring.pem").exists():
        _generate_development_keys(keys_dir)
    return SigningKeys(
        keys_dir / "signing.key.pem", keys_dir / "signing.cert.pem", keys_dir / "keyring.pem"
    )


def keyring(ctx: BuildContext) -> Path:
    return signing_keys(ctx).keyring


# Licences: the vendor signs them with an Ed25519 key; the image carries only its public half.
LICENSE_PRIVATE_NAME = "license-signing.key.pem"
LICENSE_PUBLIC_NAME = "license-public.pem"


def license_public_key(ctx: BuildContext) -> Path:
    """LICENSE_PUBLIC_KEY (production, key kept outside the tree) or the development key."""
    return _given_or_development(
        "LICENSE_PUBLIC_KEY", ctx.keys_dir, LICENSE_PRIVATE_NAME, LICENSE_PUBLIC_NAME
    )


# The factory line: the station signs each unit's identity with an Ed25519 key; the image
# carries only its public half (AgentConfig.factory_public_key), which the agent checks the
# identity against. FACTORY_PUBLIC_KEY names a production key's public half for the builder,
# FACTORY_KEY its private half for the station (orpheus-factory provision).
FACTORY_PRIVATE_NAME = "factory-signing.key.pem"
FACTORY_PUBLIC_NAME = "factory-public.pem"


def development_key_pair(keys_dir: Path, private_name: str, public_name: str) -> Path:
    """An Ed25519 key pair under keys_dir, made when absent; returns the public half."""
    private, public = keys_dir / private_name, keys_dir / public_name
    if not private.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        keys_dir.chmod(0o700)
        log.info("generating the development key %s in %s", private_name, keys_dir)
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", private])
        private.chmod(0o600)
    if not public.exists():
        run(["openssl", "pkey", "-in", private, "-pubout", "-out", public])
    return public


def factory_public_key(ctx: BuildContext) -> Path:
    """FACTORY_PUBLIC_KEY (production, key kept outside the tree) or the development key."""
    return _given_or_development(
        "FACTORY_PUBLIC_KEY", ctx.keys_dir, FACTORY_PRIVATE_NAME, FACTORY_PUBLIC_NAME
    )


def _given_or_development(variable: str, keys_dir: Path, private: str, public: str) -> Path:
    """The public key file the environment names, or the development pair's public half."""
    given = os.environ.get(variable)
    if given:
        path = Path(given)
        if not path.is_file():
            raise BuildError(f"{variable}={path}: no such file")
        return path
    return development_key_pair(keys_dir, private, public)
