"""The boot-time configuration check: migrate or restore before Asterisk reads the files.

Run as orpheus-config-check.service, ordered before asterisk.service and the agent: after
an update the files Asterisk loads are already migrated to this firmware's schema, and after
a rollback they are the copy taken at update time, not the newer firmware's. The agent
shows the result in `update status` (state.json, key config).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from orpheus.config import AgentConfig, load_config
from orpheus.update import schema
from orpheus.update.schema import ConfigResult, ConfigStore
from orpheus.update.state import UpdateState

log = logging.getLogger("orpheus-config-check")


def config_store(config: AgentConfig) -> ConfigStore:
    return ConfigStore(config.data_dir / "etc", config.state_dir, schema.firmware_schema())


def update_state(config: AgentConfig) -> UpdateState:
    return UpdateState(config.state_dir / "update" / "state.json")


def check(config: AgentConfig) -> ConfigResult:
    result = config_store(config).reconcile()
    update_state(config).update(config=result.as_dict())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orpheus-config-check", description=__doc__)
    parser.add_argument("--config", type=Path, help="the agent's TOML settings file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        result = check(load_config(args.config))
    except (OSError, ValueError) as error:
        # Asterisk still starts (it only Wants this unit): on the files as they are.
        log.error("configuration check failed, files left as they are: %s", error)
        return 1
    log.info("%s", result.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
