"""SIP over TLS and SRTP: the TLS transport on 5061 with the unit's certificate, each endpoint's
transport and media encryption, and the dialplan that refuses an insecure call to or from an
extension with require_tls_srtp.

The certificate is the one the unit serves over HTTPS (orpheus.https.store); its key lives in
the agent's 0700 state directory, which Asterisk cannot read, so the pair is rendered beside
Asterisk's other files (0640, like them). The files are named by a digest of the pair: a new
certificate is a new path, hence a changed transport, which Asterisk re-creates on the next
res_pjsip reload (allow_reload=yes); an unchanged one is left alone, and its calls with it.

Requiring TLS and SRTP is enforced twice, both by Asterisk, so it holds while the agent is
stopped: the endpoint offers and accepts only SRTP (media_encryption_optimistic=no), and the
dialplan refuses (SIP 488: cause 58) a call to or from the extension whose signalling did not
come over TLS or whose media is not encrypted, before anything is rung (the caller's channel
is given early media first: it has no media session to ask about until then). The phone's
own answered channel is checked too (Dial's U()), in case it registered over UDP.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orpheus.pbx.records import Record
from orpheus.pbx.store import Config

log = logging.getLogger(__name__)

TLS_TRANSPORT = "orpheus-tls"
TLS_PORT = 5061
# Where Asterisk finds the pair: its configuration directory (astetcdir of the factory
# asterisk.conf, a link to the data partition's) as Asterisk sees it, not as the agent does.
ASTERISK_ETC = "/etc/asterisk"
TLS_DIR = "pjsip-tls"
# The factory pjsip.conf's transports, by the name a record gives.
TRANSPORTS = {"udp": "transport-udp", "tcp": "transport-tcp", "tls": TLS_TRANSPORT}
INSECURE_CAUSE = 58  # bearer capability not available: chan_pjsip answers 488
SECURE_GLOBAL = "ORPHEUS_SECURE_"
CALLER_CHECK = "orpheus-secure-caller"
ANSWER_CHECK = "orpheus-secure-answered"


@dataclass(frozen=True)
class SipTls:
    """The unit's certificate (chain, PEM) and its key, for the TLS transport."""

    cert_pem: str
    key_pem: str

    @property
    def stem(self) -> str:
        digest = hashlib.sha256((self.cert_pem + self.key_pem).encode()).hexdigest()
        return f"{TLS_DIR}/unit-{digest[:16]}"

    @property
    def cert_file(self) -> str:
        return f"{self.stem}.crt"

    @property
    def key_file(self) -> str:
        return f"{self.stem}.key"

    def files(self) -> dict[str, str]:
        """The pair, relative to Asterisk's configuration directory."""
        return {self.cert_file: self.cert_pem, self.key_file: self.key_pem}


def remove_stale_pairs(asterisk_dir: Path, current: SipTls | None) -> None:
    """Deletes the pairs rendered before the current one (once Asterisk was given it): a
    replaced key is not left lying in Asterisk's directory."""
    keep = set(current.files()) if current is not None else set()
    directory = asterisk_dir / TLS_DIR
    for path in sorted(directory.glob("unit-*")) if directory.is_dir() else []:
        if f"{TLS_DIR}/{path.name}" not in keep:
            try:
                path.unlink()
            except OSError as error:  # tried again after the next change
                log.warning("stale SIP TLS file %s left: %s", path, error)


def transport_section(tls: SipTls) -> str:
    # No client certificate is asked for: phones authenticate with their SIP password, as on
    # UDP; TLS keeps that password and the SRTP keys (SDES) off the wire. method: pjproject's
    # default is TLS 1.0 alone; sslv23 is every version OpenSSL allows (its floor, TLS 1.2 on
    # Debian, still applies: tests/api/test_sip_tls.py).
    return (
        f"[{TLS_TRANSPORT}]\ntype=transport\nprotocol=tls\nbind=0.0.0.0:{TLS_PORT}\n"
        "method=sslv23\n"
        f"cert_file={ASTERISK_ETC}/{tls.cert_file}\n"
        f"priv_key_file={ASTERISK_ETC}/{tls.key_file}\n"
        "verify_client=no\nrequire_client_cert=no\nverify_server=no\nallow_reload=yes\n"
    )


def _media_lines(media_encryption: str, required: bool) -> str:
    if media_encryption == "none":
        return ""
    lines = f"media_encryption={media_encryption}\n"
    if media_encryption == "dtls":
        # A certificate of Asterisk's own per call: DTLS-SRTP checks it by the fingerprint
        # carried in the SDP, which the TLS signalling protects.
        lines += "dtls_auto_generate_cert=yes\ndtls_verify=fingerprint\ndtls_setup=actpass\n"
    # Optimistic: SRTP when the other side offers or accepts it, plain RTP otherwise.
    return lines + f"media_encryption_optimistic={'no' if required else 'yes'}\n"


def endpoint_lines(record: Record, required: bool = False) -> str:
    """The endpoint options of a record's transport and media encryption; none for the
    defaults (udp, none), so such an endpoint renders as before these settings."""
    transport = record.get("transport", "udp")
    lines = f"transport={TRANSPORTS[transport]}\n" if transport != "udp" else ""
    return lines + _media_lines(record.get("media_encryption", "none"), required)


def contact_parameters(record: Record) -> str:
    """The URI parameter sending to a trunk over its transport; its ';' escaped, since an
    unescaped one starts a comment in Asterisk's files (the parameter would be dropped)."""
    transport = record.get("transport", "udp")
    return f"\\;transport={transport}" if transport != "udp" else ""


def requires_secure(extension: Record) -> bool:
    return bool(extension.get("require_tls_srtp", False))


def secure_numbers(config: Config) -> list[str]:
    return [n for n, e in config["extension"].items() if requires_secure(e)]


def secure_globals(config: Config) -> str:
    """[globals] lines naming the extensions that require TLS and SRTP (the caller check)."""
    return "".join(f"{SECURE_GLOBAL}{number}=1\n" for number in secure_numbers(config))


def _checks(first: str, early_media: bool) -> Iterator[str]:
    """Lines jumping to `insecure` unless this channel is PJSIP over TLS with SRTP media.
    Each test on a line of its own: CHANNEL(pjsip,...) is only asked of a PJSIP channel.
    early_media: a caller's channel has no media session before it is answered or given
    early media (Asterisk 22: "no audio media/RTP session"), so it is sent 183 with the SDP
    answer first; only once its signalling passed, and nothing is rung meanwhile."""
    yield f' same => n({first}),GotoIf($["${{CHANNEL(channeltype)}}" != "PJSIP"]?insecure)\n'
    yield ' same => n,GotoIf($["${CHANNEL(pjsip,secure)}" != "1"]?insecure)\n'
    if early_media:
        yield " same => n,Progress()\n"
    yield ' same => n,GotoIf($["${CHANNEL(rtp,secure)}" != "1"]?insecure)\n'


def secure_contexts(config: Config) -> list[str]:
    """orpheus-secure-caller (Gosub on the caller's channel: refused if the caller requires
    TLS+SRTP or ARG1, the extension called, does, and the channel is not secure) and
    orpheus-secure-answered (Dial's U(): the called phone's answered channel, aborted if
    not secure). None when no extension requires them: the dialplan is as before."""
    if not secure_numbers(config):
        return []
    caller = (
        f"[{CALLER_CHECK}]\n"
        "exten => s,1,Set(LOCAL(who)=${ARG1})\n"
        f' same => n,GotoIf($["${{{SECURE_GLOBAL}${{CHANNEL(endpoint)}}}}" = "1"]?caller)\n'
        f' same => n,GotoIf($["${{ARG1}}" != "" & "${{{SECURE_GLOBAL}${{ARG1}}}}" = "1"]?checks)\n'
        " same => n,Return()\n"
        " same => n(caller),Set(LOCAL(who)=${CHANNEL(endpoint)})\n"
        + "".join(_checks("checks", early_media=True))
        + " same => n,Return()\n"
        " same => n(insecure),Log(NOTICE,Orpheus: call refused: extension ${who} requires "
        "TLS and SRTP)\n"
        f" same => n,Hangup({INSECURE_CAUSE})\n"
    )
    answered = (
        f"[{ANSWER_CHECK}]\n"
        "exten => s,1,NoOp(extension ${ARG1} answered)\n"
        + "".join(_checks("checks", early_media=False))
        + " same => n,Return()\n"
        " same => n(insecure),Log(NOTICE,Orpheus: answered call refused: extension ${ARG1} "
        "requires TLS and SRTP)\n"
        " same => n,Set(GOSUB_RESULT=ABORT)\n same => n,Return()\n"
    )
    return [caller, answered]


def caller_check_line(config: Config, called: str = "") -> str:
    """The Gosub before a call is routed: empty when no extension requires TLS+SRTP."""
    if not secure_numbers(config):
        return ""
    return f" same => n,Gosub({CALLER_CHECK},s,1({called}))\n"


def dial_options(config: Config, number: str) -> str:
    """Dial options for a call to the extension: the answered-channel check if it requires."""
    extension = config["extension"].get(number)
    if extension is None or not requires_secure(extension):
        return ""
    return f"U({ANSWER_CHECK}^{number})"
