"""Password strength by zxcvbn (Debian python3-zxcvbn): admin passwords below the floor are
refused with zxcvbn's reason; SIP passwords below it are stored but flagged.

The floor is zxcvbn's score 3 ("safely unguessable", about 10^8 guesses and more): the
passwords the testbed and `make run` use for admin score 3 or 4, a SIP password such as
`s3cret-Pass` scores 2 and is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence

from zxcvbn import zxcvbn

FLOOR = 3
# zxcvbn's matching grows with the length (PyPI's 4.5 refuses more than 72 characters): the
# first 64 are scored, and a password that long and still weak is rare.
_SCORED_LENGTH = 64


def weakness(password: str, related: Sequence[str] = ()) -> str | None:
    """None for a password at or above the floor, else one line saying why it is weak."""
    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=[word for word in related if word])
    score = int(result["score"])
    if score >= FLOOR:
        return None
    feedback = result.get("feedback") or {}
    suggestions = [str(line) for line in feedback.get("suggestions", [])]
    reasons = [str(feedback.get("warning") or ""), *suggestions]
    said = " ".join(reason for reason in reasons if reason) or "too easy to guess."
    return f"weak password (zxcvbn score {score} of 4, at least {FLOOR} needed): {said}"
