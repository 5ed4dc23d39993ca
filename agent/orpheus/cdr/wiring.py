"""The call detail records' feature: its store (encrypted to the privacy key), the AMI reader
and the route that unlocks with the privacy password."""

from __future__ import annotations

from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditSink
from orpheus.cdr.asterisk_side import CdrSwitch
from orpheus.cdr.feature import CdrFeature, CdrReader
from orpheus.cdr.store import CdrStore
from orpheus.config import AgentConfig
from orpheus.privacy.feature import PrivacyFeature

CDR_DIR = "cdr"


def cdr_feature(
    config: AgentConfig, asterisk: Asterisk, privacy: PrivacyFeature, audit: AuditSink
) -> CdrFeature:
    store = CdrStore(config.data_dir / CDR_DIR, privacy.keys.recipient)
    feature = CdrFeature(store, privacy.unlock, audit)
    if asterisk.manager_login is not None:
        switch = CdrSwitch(config.asterisk_config_dir, asterisk)
        feature.reader = CdrReader(asterisk, switch, feature.receive)
    return feature
