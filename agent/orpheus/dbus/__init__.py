"""The system services the agent drives over D-Bus (systemd, RAUC), one wrapper each.

Each wrapper is a Protocol (what the features depend on), a D-Bus implementation and a fake
(`orpheus.dbus.fakes`) for unit tests and development hosts without the service.
"""
