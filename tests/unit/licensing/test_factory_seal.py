"""The agent's check of the identity's factory signature at every start
(licensing/factory_signature.py, Licensing.seal): signed, unsigned (development), altered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from orpheus.licensing.active import Licensing
from orpheus.licensing.document import LicenseError
from orpheus.licensing.factory_signature import Seal, sign_identity
from orpheus.licensing.identity import make_identity, read_hardware, save_identity
from testbed.factory_unit import factory_key_pair
from testbed.pbx_unit import VendorKey, fake_sysfs


@pytest.fixture
def key(tmp_path: Path) -> VendorKey:
    return VendorKey(tmp_path / "vendor")


def _licensing(tmp_path: Path, key: VendorKey, factory_public: Path) -> Licensing:
    sysfs = fake_sysfs(tmp_path / "sys")
    return Licensing(tmp_path / "state", sysfs, tmp_path, key.public_pem, "mini", factory_public)


def _write_signed(tmp_path: Path, private: Path, board: str = "mini") -> dict[str, object]:
    hardware = read_hardware(fake_sysfs(tmp_path / "sys"), tmp_path)
    fields = make_identity("ORP-1", board, hardware).as_dict() | {"tier": board}
    signed = sign_identity(fields, load_pem_private_key(private.read_bytes(), None))  # type: ignore[arg-type]
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state/identity.json").write_text(json.dumps(signed))
    return signed


def _lite(licensing: Licensing, key: VendorKey) -> bytes:
    fingerprint = licensing.hardware.fingerprint
    return json.dumps(key.licence("ORP-1", "lite", fingerprint=fingerprint)).encode()


def test_a_signed_identity_raises_no_alarm_and_takes_a_licence(
    tmp_path: Path, key: VendorKey
) -> None:
    private, public = factory_key_pair(tmp_path)
    _write_signed(tmp_path, private)
    licensing = _licensing(tmp_path, key, public)
    assert licensing.seal is Seal.SIGNED and licensing.seal_alarm() is None
    licensing.install(_lite(licensing, key))
    assert licensing.entitlement.tier == "lite"


def test_an_unsigned_development_identity_is_an_alarm_but_keeps_its_licence(
    tmp_path: Path, key: VendorKey
) -> None:
    """`orpheusctl identity init` (the testbed, development units): the board's base tier and
    licences as before, with an alarm in status saying the identity is unsigned."""
    _, public = factory_key_pair(tmp_path)
    hardware = read_hardware(fake_sysfs(tmp_path / "sys"), tmp_path)
    save_identity(tmp_path / "state/identity.json", make_identity("ORP-1", "mini", hardware))
    licensing = _licensing(tmp_path, key, public)
    assert licensing.seal is Seal.UNSIGNED
    assert licensing.seal_alarm() == "the factory identity is unsigned (development)"
    licensing.install(_lite(licensing, key))
    assert licensing.entitlement.tier == "lite"


@pytest.mark.parametrize("change", [{"board": "v4rplus", "tier": "v4rplus"}, {"serial": "ORP-2"}])
def test_an_altered_identity_runs_at_the_booted_board_base_and_takes_no_licence(
    tmp_path: Path, key: VendorKey, change: dict[str, str]
) -> None:
    private, public = factory_key_pair(tmp_path)
    signed = _write_signed(tmp_path, private)
    (tmp_path / "state/identity.json").write_text(json.dumps(signed | change))
    licensing = _licensing(tmp_path, key, public)
    assert licensing.seal is Seal.ALTERED
    assert licensing.entitlement.tier == "mini"
    assert "altered" in (licensing.entitlement.alarm or "")
    assert "no licence accepted" in (licensing.entitlement.alarm or "")
    with pytest.raises(LicenseError, match="altered"):
        licensing.install(_lite(licensing, key))
    assert licensing.entitlement.tier == "mini"


def test_a_signature_by_another_key_is_altered(tmp_path: Path, key: VendorKey) -> None:
    (tmp_path / "other").mkdir()
    other_private, _ = factory_key_pair(tmp_path / "other")
    _, public = factory_key_pair(tmp_path)
    _write_signed(tmp_path, other_private)
    assert _licensing(tmp_path, key, public).seal is Seal.ALTERED
