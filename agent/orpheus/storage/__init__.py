"""Where recordings are kept, and moving them between those places.

Targets: devices.py (a udev device's properties, hostile, to a USB volume or nothing),
check.py (its filesystem checked before the mount: read-only if errors are left),
mounts.py (a volume mounted by UUID as a transient systemd mount unit), targets.py (one
target's state, size and recordings), registry.py (the targets known now, the default one,
plug and unplug), hotplug.py (pyudev's monitor feeding the registry), feature.py
(/api/v1/storage).

Transfers: transfer.py (one recording copied and verified), journal.py (the transfer under
way, for a resume after a crash), transfer_job.py (copy and move as jobs),
transfer_feature.py (POST /api/v1/recordings/copy and /move).
"""
