"""Creates the PBX parts from the agent's settings (called by bootstrap)."""

from __future__ import annotations

import functools
import logging

from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.audit.log import AuditLog
from orpheus.config import AgentConfig
from orpheus.https.store import CertificateFiles
from orpheus.licensing.active import Licensing
from orpheus.pbx.apply import AsteriskApplier, load_ami_secret
from orpheus.pbx.configurator import PbxConfigurator
from orpheus.pbx.feature import PbxFeature
from orpheus.pbx.render import AMI_USER
from orpheus.pbx.sip_security import SipTls
from orpheus.pbx.store import PbxStore

log = logging.getLogger(__name__)

PBX_DATABASE = "pbx.sqlite"  # also holds the audit log (orpheus.audit)
AMI_SECRET_FILE = "ami-secret"  # noqa: S105 - a file name, not a secret


def audit_log(config: AgentConfig) -> AuditLog:
    return AuditLog(config.state_dir / PBX_DATABASE)


def manager_login(config: AgentConfig) -> ManagerLogin:
    """The agent's AMI user, which the PBX renders into manager.conf with a per-unit secret."""
    secret = load_ami_secret(config.state_dir / AMI_SECRET_FILE)
    return ManagerLogin(config.ami_port, AMI_USER, secret)


def unit_tls(config: AgentConfig) -> SipTls | None:
    """The pair the unit serves over HTTPS (orpheus.https), for SIP over TLS; None while
    there is none readable (the HTTPS feature makes one at start)."""
    files = CertificateFiles(config.state_dir / "tls")
    try:
        return SipTls(files.cert_file.read_text(), files.key_file.read_text())
    except (OSError, UnicodeDecodeError) as error:
        log.warning("no certificate for SIP over TLS: %s", error)
        return None


def pbx_feature(config: AgentConfig, licensing: Licensing, asterisk: Asterisk) -> PbxFeature:
    store = PbxStore(config.state_dir / PBX_DATABASE)
    applier = AsteriskApplier(config.asterisk_config_dir, asterisk)
    configurator = PbxConfigurator(store, applier, licensing, functools.partial(unit_tls, config))
    return PbxFeature(configurator, store, licensing)
