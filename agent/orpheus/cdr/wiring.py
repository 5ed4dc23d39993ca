"""The call detail records' feature: its store (encrypted to the privacy key), the AMI reader
and the route that unlocks with the privacy password."""

from __future__ import annotations

from orpheus.asterisk.adapter import Asterisk
from orpheus.audit.log import AuditSink
from orpheus.cdr.asterisk_side import CdrSwitch
from orpheus.cdr.feature import CdrFeature, CdrReader, SpoolReader
from orpheus.cdr.seen import SeenRecords
from orpheus.cdr.spool import CdrSpool
from orpheus.cdr.store import CdrStore
from orpheus.config import AgentConfig
from orpheus.privacy.feature import PrivacyFeature
from orpheus.recordings.cdr_join import CdrJoin
from orpheus.recordings.feature import RecordingsFeature
from orpheus.storage.placement import Placement

CDR_DIR = "cdr"
SEEN_FILE = "cdr-seen"  # in run_dir: RAM, as the spool


def cdr_feature(
    config: AgentConfig, asterisk: Asterisk, privacy: PrivacyFeature, audit: AuditSink
) -> CdrFeature:
    store = CdrStore(config.data_dir / CDR_DIR, privacy.keys.recipient)
    feature = CdrFeature(store, privacy.unlock, audit, SeenRecords(config.run_dir / SEEN_FILE))
    if asterisk.manager_login is not None:
        switch = CdrSwitch(config.asterisk_config_dir, asterisk)
        feature.reader = CdrReader(asterisk, switch, feature.receive)
        spool = CdrSpool(config.cdr_spool_dir)
        feature.spool = SpoolReader(spool, feature, config.cdr_spool_poll_seconds)
    return feature


def join_call_fields(
    recordings: RecordingsFeature, cdr: CdrFeature, placement: Placement | None
) -> None:
    """Each stored recording takes its call's trunk and length from the CDR, then moves to
    its target (the placement, which copies the facts as they are then)."""
    join = CdrJoin(recordings.store, placement.other_stores if placement else None)
    cdr.received = join.received
    moved = recordings.spool.finished

    def finished(recording_id: str) -> None:
        join.finished(recording_id)
        moved(recording_id)

    recordings.spool.finished = finished
