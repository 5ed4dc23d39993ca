"""Creates the licensing and PBX parts from the agent's settings (called by bootstrap)."""

from __future__ import annotations

from orpheus.config import AgentConfig
from orpheus.feature import Feature
from orpheus.licensing.active import Licensing
from orpheus.licensing.feature import LicensingFeature
from orpheus.pbx.apply import AsteriskApplier, load_ami_secret
from orpheus.pbx.configurator import PbxConfigurator
from orpheus.pbx.feature import PbxFeature
from orpheus.pbx.store import PbxStore

PBX_DATABASE = "pbx.sqlite"
AMI_SECRET_FILE = "ami-secret"  # noqa: S105 - a file name, not a secret


def licensing_features(
    config: AgentConfig, boot_board: str | None
) -> tuple[Licensing, LicensingFeature, list[Feature]]:
    """The licensing object (for HA, updates, status), its feature and the PBX feature."""
    licensing = Licensing(
        config.state_dir, config.sysfs_dir, config.data_dir, config.license_public_key, boot_board
    )
    store = PbxStore(config.state_dir / PBX_DATABASE)
    applier = AsteriskApplier(
        config.asterisk_config_dir,
        config.ami_port,
        load_ami_secret(config.state_dir / AMI_SECRET_FILE),
        config.asterisk_command,
    )
    configurator = PbxConfigurator(store, applier, licensing)
    licensing_feature = LicensingFeature(licensing, configurator.usage, store.append_audit)
    return (
        licensing,
        licensing_feature,
        [licensing_feature, PbxFeature(configurator, store, licensing)],
    )
