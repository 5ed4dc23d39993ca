"""First-boot provisioning from systemd credentials.

The factory, a hypervisor (SMBIOS type 11 strings) or a test hands the unit its secrets as
credentials; systemd imports them for the agent (`ImportCredential=orpheus.*`). Only what is
not yet set on the data partition is taken, so later boots never overwrite a changed secret.
"""

from __future__ import annotations

import logging
from pathlib import Path

from orpheus import files
from orpheus.auth import ADMIN_USER, MIN_PASSWORD_LENGTH, PasswordStore, WeakPassword
from orpheus.password_strength import weakness

log = logging.getLogger(__name__)

ADMIN_PASSWORD = "orpheus.admin-password"  # noqa: S105 - a credential name, not a secret
SSH_AUTHORIZED_KEYS = "orpheus.ssh-authorized-keys"


def read_credential(credentials_dir: Path | None, name: str) -> str | None:
    if credentials_dir is None:
        return None
    path = credentials_dir / name
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def provision_admin_password(store: PasswordStore, credentials_dir: Path | None) -> None:
    """The factory's password when it is usable; otherwise a random one (never a crash loop
    at first boot): a refused credential stays an alarm until the admin sets a password."""
    if store.is_set():
        return
    given = read_credential(credentials_dir, ADMIN_PASSWORD)
    if given:
        try:
            reason = weakness(given, (ADMIN_USER, "orpheus"))
            if reason and len(given) >= MIN_PASSWORD_LENGTH:  # a short one: store.set says so
                raise WeakPassword(reason)
            store.set(given, must_change=True)  # the first log-in session changes it
            log.info("admin password set from credential %s", ADMIN_PASSWORD)
            return
        except WeakPassword as error:
            reason = f"the admin password credential {ADMIN_PASSWORD} was refused ({error})"
            store.set_random()
            files.write_file(store.refused_file, reason + "\n", mode=0o600)
            log.error("%s: a random one is in %s", reason, store.initial_file)
            return
    store.set_random()
    log.warning("no admin password given: a random one is in %s", store.initial_file)


def alarms(store: PasswordStore) -> list[str]:
    """The first boot's refusal of the factory's password, until the admin sets one."""
    try:
        reason = store.refused_file.read_text().strip()
    except OSError:
        return []
    return [f"{reason}: a random password is in {store.initial_file}; set one"]


def provision_ssh_keys(authorized_keys: Path, credentials_dir: Path | None) -> None:
    if authorized_keys.exists():
        return
    keys = read_credential(credentials_dir, SSH_AUTHORIZED_KEYS)
    if keys:
        files.write_file(authorized_keys, keys + "\n", mode=0o600)
        log.info("root SSH keys installed from credential %s", SSH_AUTHORIZED_KEYS)
