"""The vendor's tools on the build host, never on a unit: licence keys and licences."""
