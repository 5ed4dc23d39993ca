"""The last guard of every configuration file the agent renders (Asterisk's, keepalived's and
snmpd's): no value may end its line, close a quoted value, or start a section, a comment or an
`#include` of its own. The API and the settings validate every field first (full-string
patterns); this catches what a gap in those would let through, before any file is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINE_STARTS = ("[", "#", ";")


class UnsafeValue(ValueError):
    """A value that would change the file's structure; the message names it (one line)."""


def check_value(value: object, what: str) -> None:
    """Refuses a string with a control character (newline, NUL, ...) or a double quote, and
    walks lists and mappings (keys included)."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise UnsafeValue(f"{what}: control characters are not allowed ({value!r})")
        if '"' in value:
            raise UnsafeValue(f"{what}: quotes are not allowed ({value!r})")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_value(key, what)
            check_value(item, f"{what}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_value(item, f"{what}.{index}")


def check_name(value: str, what: str) -> None:
    """A value that starts a line of its own (a section's name): also no leading [, # or ;."""
    check_value(value, what)
    if value.startswith(_LINE_STARTS) or not value.strip():
        raise UnsafeValue(f"{what}: {value!r} cannot start a line of a configuration file")
