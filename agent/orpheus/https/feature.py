"""HTTPS: the certificate served on https_port (GET/PUT /api/v1/tls), its SSL context for the
server, its fingerprint for the status and the console banner.

At the first start the unit makes its own ECDSA P-256 key and self-signed certificate naming
its serial, hostname and addresses. It is made again only while it is the unit's own and does
not name the unit's serial (a unit started before the factory gave it its identity): a
fingerprint an installer wrote down must stay true. An admin may replace it with a
certificate of the customer's; checked (tls/certificates.py), then loaded by OpenSSL, then
audited, and only then served, from the next connection on.
"""

from __future__ import annotations

import datetime
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from orpheus.api.app import Api, ApiError, json_body
from orpheus.api.requester import request_user
from orpheus.api.schema import obj, string
from orpheus.audit.log import AuditEntry, AuditSink, now_utc
from orpheus.ha import interfaces
from orpheus.https import banner
from orpheus.https.store import INSTALLED, UNIT, CertificateFiles, Origin
from orpheus.tls.certificates import CertificateRefused, check_pair, describe, fingerprint
from orpheus.tls.contexts import server_context
from orpheus.tls.self_signed import IpAddress, make_self_signed

log = logging.getLogger(__name__)

AREA = "network"
EXPIRY_WARNING_DAYS = 30
MAX_CERTIFICATE_CHARS = 64 * 1024
MAX_KEY_CHARS = 16 * 1024
TLS_CHANGES = obj(
    {
        "certificate": string(max_length=MAX_CERTIFICATE_CHARS),
        "key": string(max_length=MAX_KEY_CHARS),
    },
    ("certificate", "key"),
)
TLS_ANSWER = {
    "type": "object",
    "required": ["origin", "certificate", "https_port"],
    "properties": {
        "origin": {"enum": [UNIT, INSTALLED]},
        "certificate": {"type": ["object", "null"]},
    },
}


@dataclass(frozen=True)
class HttpsSettings:
    directory: Path  # state_dir/tls
    https_port: int
    banner_file: Path  # run_dir/issue
    banner_reload: Sequence[str]


def unit_addresses() -> list[IpAddress]:
    """The unit's IPv4 addresses now (loopback included); none when `ip` cannot tell."""
    try:
        return [entry.address.ip for entry in interfaces.addresses()]
    except (interfaces.InterfaceError, ValueError, KeyError) as error:  # `ip` failed or odd
        log.warning("addresses unreadable for the certificate: %s", error)
        return []


class HttpsFeature:
    name = "https"

    def __init__(
        self,
        settings: HttpsSettings,
        serial: Callable[[], str | None],
        audit: AuditSink | None,
        *,
        addresses: Callable[[], list[IpAddress]] = unit_addresses,
        hostname: Callable[[], str] = socket.gethostname,
    ) -> None:
        self._settings = settings
        self._serial = serial
        self._audit = audit
        self._addresses = addresses
        self._hostname = hostname
        self._files = CertificateFiles(settings.directory)
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None
        self._certificate: x509.Certificate | None = None
        self._listeners: list[Callable[[], object]] = []
        self.ensure()

    def subscribe(self, listener: Callable[[], object]) -> None:
        """listener() runs after the pair on disk changed (SIP over TLS serves it too)."""
        self._listeners.append(listener)

    def _pair_changed(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # one user of the pair failing must not undo the change
                log.exception("a user of the new certificate failed to take it")

    # --- what the server and the status ask ---------------------------------------------

    def context(self) -> ssl.SSLContext | None:
        """The context for the next connection (None: nothing can be served)."""
        return self._context

    def fingerprint(self) -> str | None:
        cert = self._certificate
        return fingerprint(cert) if cert is not None else None

    def alarms(self, now: datetime.datetime | None = None) -> list[str]:
        """The status's alarms: HTTPS not served, or a certificate expired or expiring soon
        (an installed one; the unit's own lasts a century)."""
        cert = self._certificate
        if cert is None or self._context is None:
            return [f"HTTPS is not served: no usable certificate in {self._files.directory}"]
        now = now or datetime.datetime.now(datetime.UTC)
        ends = cert.not_valid_after_utc
        cure = "install another with orpheusctl tls install"
        if now > ends:
            return [f"the HTTPS certificate expired on {ends.date().isoformat()}: {cure}"]
        left = (ends - now).days
        if left < EXPIRY_WARNING_DAYS:
            return [f"the HTTPS certificate expires on {ends.date().isoformat()} "
                    f"(in {left} days): {cure}"]  # fmt: skip
        return []

    # --- Feature ------------------------------------------------------------------------

    def install_routes(self, api: Api) -> None:
        api.route(
            "GET", "/api/v1/tls", self.show, area=AREA,
            summary="The certificate served over HTTPS", response=TLS_ANSWER,
        )  # fmt: skip
        api.route(
            "PUT", "/api/v1/tls", self.install, area=AREA,
            summary="Serve a certificate and key of the customer's (PEM), checked first",
            body=TLS_CHANGES, response=TLS_ANSWER,
            max_body=2 * (MAX_CERTIFICATE_CHARS + MAX_KEY_CHARS),
        )  # fmt: skip

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    # --- the unit's own certificate -------------------------------------------------------

    def ensure(self) -> None:
        """Loads the pair on disk; makes the unit's own when there is none usable or when the
        unit's own does not name the serial the unit now has."""
        with self._lock:
            origin = self._files.origin()
            serial = self._serial()
            # an identity that cannot be read (serial None) is no reason to change the pair
            stale = (
                origin is not None and origin.kind == UNIT
                and serial is not None and origin.serial != serial
            )  # fmt: skip
            made = origin is None or stale or not self._load()
            if made:
                self._make_own(serial, "its serial changed" if stale else "none usable")
        self._write_banner()
        if made:
            self._pair_changed()

    def on_identity(self, _changed: object) -> None:
        """Licensing's subscriber: the factory identity (serial) may have been written."""
        if self._serial() != self._own_serial():
            self.ensure()

    def _own_serial(self) -> str | None:
        origin = self._files.origin()
        return origin.serial if origin is not None and origin.kind == UNIT else self._serial()

    def _load(self) -> bool:
        try:
            context = server_context(self._files.cert_file, self._files.key_file)
            certificate = self._files.certificate()
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            log.error("the HTTPS certificate on %s is unusable: %s", self._files.directory, error)
            return False
        self._context, self._certificate = context, certificate
        return True

    def _make_own(self, serial: str | None, why: str) -> None:
        host = self._hostname()
        dns = [name for name in (serial, host) if name]
        made = make_self_signed(
            serial or host or "orpheus",
            dns_names=dns,
            addresses=self._addresses(),
            ca=False,  # a browser refuses a CA certificate as a server's
            server_auth=True,
        )
        origin = Origin(UNIT, now_utc(), serial=serial)
        try:
            self._files.replace(made.key_pem, made.cert_pem, origin, self._loaded_or_raise)
        except OSError as error:  # a full or read-only /data: HTTPS stays down, HTTP serves
            log.error("could not make the unit's HTTPS certificate: %s", error)
            return
        log.info("made the unit's own HTTPS certificate (%s): %s", why, self.fingerprint())

    def _loaded_or_raise(self) -> None:
        context = server_context(self._files.cert_file, self._files.key_file)
        self._context, self._certificate = context, self._files.certificate()

    # --- API ----------------------------------------------------------------------------

    def show(self) -> dict[str, Any]:
        origin = self._files.origin()
        cert = self._certificate
        return {
            "origin": origin.kind if origin is not None else UNIT,
            "installed_at": origin.at if origin is not None else None,
            "installed_by": origin.by if origin is not None else None,
            "https_port": self._settings.https_port,
            "certificate": describe(cert) if cert is not None else None,
        }

    def install(self) -> dict[str, Any]:
        body = json_body()
        user = request_user()
        try:
            cert, key = (
                str(body[name]).encode(errors="replace") for name in ("certificate", "key")
            )
            self.replace(cert, key, user)
        except CertificateRefused as error:
            raise ApiError(400, f"certificate refused: {error}") from error
        return self.show()

    def replace(self, cert_pem: bytes, key_pem: bytes, user: str) -> None:
        """Checks and installs a customer's pair; raises CertificateRefused (nothing changed)."""
        checked = check_pair(cert_pem, key_pem, datetime.datetime.now(datetime.UTC))
        with self._lock:
            before = self.show()["certificate"]
            previous = self._context, self._certificate

            def load_and_record() -> None:
                try:
                    self._loaded_or_raise()
                except ssl.SSLError as error:
                    raise CertificateRefused(f"OpenSSL cannot serve it: {error.reason}") from error
                if self._audit is not None:
                    entry = AuditEntry("tls.install", "https certificate", user, before,
                                       describe(checked.leaf))  # fmt: skip
                    self._audit.append(entry)

            origin = Origin(INSTALLED, now_utc(), by=user)
            try:
                self._files.replace(checked.key_pem, checked.chain_pem, origin, load_and_record)
            except BaseException:
                self._context, self._certificate = previous
                raise
        log.info("HTTPS certificate installed by %s: %s", user, self.fingerprint())
        self._write_banner()
        self._pair_changed()

    def _write_banner(self) -> None:
        text = banner.render(self._serial(), self.fingerprint(), self._settings.https_port)
        banner.write(self._settings.banner_file, text, self._settings.banner_reload)
