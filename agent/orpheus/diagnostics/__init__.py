"""Diagnostics: the system report support is sent (issue 15, point 6)."""
