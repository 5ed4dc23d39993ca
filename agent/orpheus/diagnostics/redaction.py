"""Takes every secret out of text that goes into the system report.

Three layers: JSON is walked and every value under a secret-sounding key is replaced (and
remembered); configuration lines (`key = value`, `key: value`, snmpd's communities and v3
keys, keepalived's auth_pass) lose their value; and every remembered secret is then scrubbed
wherever else it appears (a journal line that quoted one). Private key blocks go entirely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
# A key whose value is a secret: passwords, hashes, AMI secrets, tokens, session ids, seals.
SECRET_KEY = re.compile(
    r"(?i).*(pass|secret|hash|token|session|seal|community|credential|psk|private|"
    r"(?<!public)(?<!public_)key|salt|cookie|csrf|auth).*"
)
_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S
)
# `key = value`, `key: value`, `key value` (keepalived), after optional indentation.
_ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z0-9_.\-]+)(\s*[=:]\s*|\s+)(\S.*)$")
# snmpd.conf: the community is the first word after the directive; v3 keys follow the hash.
_COMMUNITY = re.compile(r"^(\s*(?:ro|rw)community6?\s+|\s*com2sec6?\s+\S+\s+\S+\s+)(\S+)(.*)$")
_CREATE_USER = re.compile(r"^(\s*createUser\s+\S+)(.*)$")
_TRAPSINK = re.compile(r"^(\s*(?:trap2?sink|informsink)\s+\S+\s+)(\S+)(.*)$")
# A crypt / argon2 / scrypt hash wherever it stands.
_HASH = re.compile(r"\$(?:argon2(?:id|i|d)|scrypt|[0-9a-z]{1,2})\$[^\s\"',]+")
_MIN_SCRUBBED = 4  # shorter remembered values would blank out ordinary words


class Redactor:
    """Redacts text and JSON; remembers the secrets it saw so they vanish everywhere."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.secrets: set[str] = {s for s in known if len(s) >= _MIN_SCRUBBED}

    def json_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._entry(str(k), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json_value(item) for item in value]
        return value

    def _entry(self, key: str, value: Any) -> Any:
        secret_value = isinstance(value, (str, int, float)) and not isinstance(value, bool)
        if SECRET_KEY.fullmatch(key) and secret_value and value != "":
            self._remember(str(value))
            return REDACTED
        return self.json_value(value)

    def _remember(self, value: str) -> None:
        if len(value) >= _MIN_SCRUBBED:
            self.secrets.add(value)

    def document(self, text: str) -> str:
        """A configuration file: JSON when it parses as an object or list, else lines."""
        try:
            parsed = json.loads(text)
        except ValueError:
            return self.lines(text)
        if isinstance(parsed, (dict, list)):
            return json.dumps(self.json_value(parsed), indent=2, sort_keys=True)
        return self.lines(text)

    def lines(self, text: str) -> str:
        text = _PEM.sub("<private key removed>", text)
        return "\n".join(self._line(line) for line in text.split("\n"))

    def _line(self, line: str) -> str:
        for pattern in (_COMMUNITY, _TRAPSINK):
            found = pattern.match(line)
            if found:
                self._remember(found.group(2))
                return f"{found.group(1)}{REDACTED}{found.group(3)}"
        found = _CREATE_USER.match(line)
        if found:
            for word in found.group(2).split():
                self._remember(word.strip("\"'"))
            return f"{found.group(1)} {REDACTED}"
        found = _ASSIGNMENT.match(line)
        if found and SECRET_KEY.fullmatch(found.group(2)):
            self._remember(found.group(4).strip().strip("\"'"))
            return f"{found.group(1)}{found.group(2)}{found.group(3)}{REDACTED}"
        return _HASH.sub(REDACTED, line)

    def scrub(self, text: str) -> str:
        """Every remembered secret replaced, longest first (one may contain another)."""
        text = _PEM.sub("<private key removed>", _HASH.sub(REDACTED, text))
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text
