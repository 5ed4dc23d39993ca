"""The capture filter is a validated structure; tricks in its value are refused."""

from __future__ import annotations

from typing import Any

import pytest

from orpheus.capture.filters import CaptureFilter, FilterInvalid
from orpheus.capture.limits import MB, QuotaExceeded, Ring, check_free, check_quota


@pytest.mark.parametrize(
    ("raw", "tokens"),
    [
        (None, ["port", "5060", "or", "port", "5061"]),
        ({"kind": "sip"}, ["port", "5060", "or", "port", "5061"]),
        ({"kind": "rtp"}, ["udp", "portrange", "10000-20000"]),
        ({"kind": "host", "value": "192.0.2.7"}, ["host", "192.0.2.7"]),
        ({"kind": "host", "value": "2001:DB8::1"}, ["host", "2001:db8::1"]),
        ({"kind": "port", "value": 5080}, ["port", "5080"]),
        ({"kind": "port", "value": "5080"}, ["port", "5080"]),
    ],
)
def test_a_good_filter_becomes_separate_tokens(raw: Any, tokens: list[str]) -> None:
    assert CaptureFilter.parse(raw).tokens() == tokens


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "port", "value": "5060 or 1=1"},
        {"kind": "port", "value": "5060; rm -rf /"},
        {"kind": "port", "value": "5060\nhost 1.2.3.4"},
        {"kind": "port", "value": 0},
        {"kind": "port", "value": 65536},
        {"kind": "port", "value": True},
        {"kind": "port", "value": "٥٠٦٠"},  # Arabic-Indic digits: isdigit() but not ASCII
        {"kind": "port"},
        {"kind": "host", "value": "10.0.0.1 or port 22"},
        {"kind": "host", "value": "$(reboot)"},
        {"kind": "host", "value": "example.com"},
        {"kind": "host", "value": "10.0.0.0/8"},
        {"kind": "host"},
        {"kind": "sip", "value": "or 1=1"},
        {"kind": "expression", "value": "tcp"},
        {"kind": "port", "value": 5060, "raw": "tcp"},
        "port 5060",
        ["port", 5060],
    ],
)
def test_tricks_and_bad_values_are_refused(raw: Any) -> None:
    with pytest.raises(FilterInvalid):
        CaptureFilter.parse(raw)


def test_the_ring_never_exceeds_the_size_asked() -> None:
    for size in (1, 2, 3, 10, 100):
        ring = Ring.for_size(size)
        assert ring.files >= 1 and ring.file_mb >= 1
        assert ring.files * ring.file_mb <= size


def test_the_quota_counts_kept_and_running_captures() -> None:
    check_quota(50 * MB, 50 * MB, 100 * MB, 200)
    with pytest.raises(QuotaExceeded, match="delete a capture"):
        check_quota(50 * MB, 50 * MB, 101 * MB, 200)


def test_a_filesystem_smaller_than_the_quota_refuses_first() -> None:
    check_free(30 * MB, 10 * MB, 20 * MB)
    with pytest.raises(QuotaExceeded, match="filesystem has 19 MB free"):
        check_free(29 * MB, 10 * MB, 20 * MB)
