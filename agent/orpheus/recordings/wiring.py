"""The privacy key and the recordings, created together: recordings need the key's public
half to be encrypted and its password to be read."""

from __future__ import annotations

from orpheus.audit.log import AuditSink
from orpheus.config import AgentConfig
from orpheus.privacy.feature import PrivacyFeature
from orpheus.privacy.keys import PrivacyKeys
from orpheus.recordings.feature import RecordingsFeature
from orpheus.recordings.spool import RecordingSpool
from orpheus.recordings.store import RecordingStore

KEY_FILE = "privacy-key.json"
RECORDINGS_DIR = "recordings"


def privacy_and_recordings(
    config: AgentConfig, audit: AuditSink
) -> tuple[PrivacyFeature, RecordingsFeature]:
    keys = PrivacyKeys(config.state_dir / KEY_FILE)
    privacy = PrivacyFeature(keys, audit)
    store = RecordingStore(config.data_dir / RECORDINGS_DIR)
    spool = RecordingSpool(
        config.recording_spool_dir,
        store,
        keys.recipient,
        config.recording_poll_seconds,
        resume_dir=config.run_dir / RECORDINGS_DIR,
    )
    return privacy, RecordingsFeature(store, spool, privacy.unlock, audit)
