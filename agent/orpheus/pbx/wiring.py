"""Creates the PBX parts from the agent's settings (called by bootstrap)."""

from __future__ import annotations

from orpheus.asterisk.adapter import Asterisk, ManagerLogin
from orpheus.audit.log import AuditLog
from orpheus.config import AgentConfig
from orpheus.licensing.active import Licensing
from orpheus.pbx.apply import AsteriskApplier, load_ami_secret
from orpheus.pbx.configurator import PbxConfigurator
from orpheus.pbx.feature import PbxFeature
from orpheus.pbx.render import AMI_USER
from orpheus.pbx.store import PbxStore

PBX_DATABASE = "pbx.sqlite"  # also holds the audit log (orpheus.audit)
AMI_SECRET_FILE = "ami-secret"  # noqa: S105 - a file name, not a secret


def audit_log(config: AgentConfig) -> AuditLog:
    return AuditLog(config.state_dir / PBX_DATABASE)


def manager_login(config: AgentConfig) -> ManagerLogin:
    """The agent's AMI user, which the PBX renders into manager.conf with a per-unit secret."""
    secret = load_ami_secret(config.state_dir / AMI_SECRET_FILE)
    return ManagerLogin(config.ami_port, AMI_USER, secret)


def pbx_feature(config: AgentConfig, licensing: Licensing, asterisk: Asterisk) -> PbxFeature:
    store = PbxStore(config.state_dir / PBX_DATABASE)
    applier = AsteriskApplier(config.asterisk_config_dir, asterisk)
    return PbxFeature(PbxConfigurator(store, applier, licensing), store, licensing)
