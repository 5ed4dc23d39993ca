"""What the licence allows the PBX configuration (orpheus.pbx.policy): refusals, IVR levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from orpheus.licensing.active import Licensing
from orpheus.pbx import policy
from orpheus.pbx.records import RecordError, kind_of, normalise
from testbed.pbx_unit import VendorKey, fake_sysfs


def _licensing(tmp_path: Path, key: VendorKey, uuid: str = "uuid-a") -> Licensing:
    sysfs = fake_sysfs(tmp_path / f"sys-{uuid}", product_uuid=uuid)
    return Licensing(tmp_path / "state", sysfs, tmp_path, key.public_pem, "mini")


@pytest.fixture
def key(tmp_path: Path) -> VendorKey:
    return VendorKey(tmp_path / "vendor")


def test_limit_refusal_names_the_limit_and_the_licence(tmp_path: Path, key: VendorKey) -> None:
    entitlement = _licensing(tmp_path, key).entitlement
    extension = kind_of("extension")
    config = {"extension": {str(n): normalise(extension, {"number": str(n), "password": "x" * 8})
                            for n in range(100, 112)}}  # fmt: skip
    before = policy.usage(config)
    bigger = {"extension": {**config["extension"], "113": {**config["extension"]["100"]}}}
    message = policy.refusal(before, policy.usage(bigger), entitlement)
    assert message == (
        "refused: the Mini tier allows 12 extensions (this change makes 13); "
        "a Lite licence (the Mini-to-Lite upgrade) lifts it"
    )
    # Shrinking a configuration beyond the limit (after a fallback) is always allowed.
    assert policy.refusal(policy.usage(bigger), before, entitlement) is None


def test_ivr_cycles_are_refused() -> None:
    ivr = kind_of("ivr")
    menus = {"a": normalise(ivr, {"name": "a", "parent": "b"}),
             "b": normalise(ivr, {"name": "b", "parent": "a"})}  # fmt: skip
    with pytest.raises(RecordError, match="cycle"):
        policy.ivr_depths(menus)
