"""The certificate the unit serves over HTTPS and its key, on the data partition
(state_dir/tls/), with where they came from (the unit made them, or an admin installed them).

The three files change together (files.FileGroup): a replacement that fails at any step,
including the caller's own (OpenSSL loading the pair, the audit entry), leaves the previous
pair in place."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from cryptography import x509

from orpheus.files import FileGroup

UNIT = "unit"  # made by the unit at its first start
INSTALLED = "installed"  # given by an admin (orpheusctl tls install, PUT /api/v1/tls)
_T = TypeVar("_T")


@dataclass(frozen=True)
class Origin:
    kind: str  # UNIT or INSTALLED
    at: str  # UTC ISO time
    serial: str | None = None  # the unit's own: the serial it names
    by: str | None = None  # installed: who did


class CertificateFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @property
    def key_file(self) -> Path:
        return self.directory / "server.key"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.crt"

    @property
    def origin_file(self) -> Path:
        return self.directory / "origin.json"

    def origin(self) -> Origin | None:
        """None when absent or unreadable (the pair is then treated as not the unit's own)."""
        try:
            raw = json.loads(self.origin_file.read_text())
            return Origin(
                kind=str(raw["kind"]),
                at=str(raw["at"]),
                serial=raw.get("serial"),
                by=raw.get("by"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def certificate(self) -> x509.Certificate:
        """The served (first) certificate; raises OSError or ValueError."""
        return x509.load_pem_x509_certificates(self.cert_file.read_bytes())[0]

    def replace(
        self, key_pem: bytes, cert_pem: bytes, origin: Origin, then: Callable[[], _T]
    ) -> _T:
        """Writes the pair and its origin, then runs then() with them in place; if it raises,
        the previous files are put back and the error goes on."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with FileGroup() as group:
            group.write(self.key_file, key_pem, mode=0o600)
            group.write(self.cert_file, cert_pem, mode=0o644)
            group.write(self.origin_file, json.dumps(asdict(origin)) + "\n", mode=0o644)
            group.commit()
            return then()
