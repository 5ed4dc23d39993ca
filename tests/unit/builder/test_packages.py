"""The package set of a build and the rebuild from a release's manifest (builder/packages.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from builder import packages
from builder.errors import BuildError
from builder.packages import Package


def _deb(cache: Path, name: str, version: str, arch: str = "all") -> Package:
    """A real (tiny) .deb in the cache, named as apt names its archives."""
    tree = cache.parent / f"{name}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN/control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\n"
        "Maintainer: test <test@example.org>\nDescription: test package\n"
    )
    package = Package(name, version, arch)
    cache.mkdir(exist_ok=True)
    deb = cache / package.deb_name
    subprocess.run(["dpkg-deb", "--build", "--root-owner-group", str(tree), str(deb)],
                   check=True, capture_output=True)  # fmt: skip
    return Package(name, version, arch, hashlib.sha256(deb.read_bytes()).hexdigest())


def test_the_deb_name_is_apts_with_the_epochs_colon_escaped() -> None:
    assert (
        Package("asterisk", "1:22.10.1-1", "amd64").deb_name == "asterisk_1%3a22.10.1-1_amd64.deb"
    )


def test_installed_packages_get_the_checksum_of_their_cached_deb(tmp_path: Path) -> None:
    cache = tmp_path / "apt"
    made = _deb(cache, "orpheus-test", "1:1.0-1")
    installed = packages.parse_installed("orpheus-test\t1:1.0-1\tall\ngone\t2.0\tamd64\n")
    found = packages.with_checksums(installed, cache)
    assert found == [made, Package("gone", "2.0", "amd64", None)]
    listed = packages.as_manifest(found)
    assert listed[0] == {"name": "gone", "version": "2.0", "architecture": "amd64", "sha256": None}


def _manifest(path: Path, found: list[Package]) -> Path:
    path.write_text(json.dumps({
        "version": "1.2.3", "build_date": "2026-01-01T00:00:00Z",
        "packages": packages.as_manifest(found),
    }))  # fmt: skip
    return path


def test_a_release_is_read_with_its_version_date_and_packages(tmp_path: Path) -> None:
    cache = tmp_path / "apt"
    made = _deb(cache, "orpheus-test", "1.0")
    release = packages.read_release(_manifest(tmp_path / "manifest.json", [made]))
    assert (release.version, release.epoch, release.packages) == ("1.2.3", 1767225600, [made])


@pytest.mark.parametrize(
    "text", ["{", "[]", '{"version": "1", "build_date": "yesterday", "packages": []}',
             '{"version": "1", "build_date": "2026-01-01T00:00:00Z", "packages": [{"name": "a"}]}'],
)  # fmt: skip
def test_a_manifest_without_checksums_is_refused_in_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(BuildError, match="not a manifest with package checksums") as refused:
        packages.read_release(path)
    assert "\n" not in str(refused.value)


def test_a_cache_that_lacks_or_changed_a_package_refuses_the_rebuild(tmp_path: Path) -> None:
    cache = tmp_path / "apt"
    good, changed = _deb(cache, "good", "1.0"), _deb(cache, "changed", "1.0")
    packages.check_cache([good, changed], cache)  # as recorded: accepted
    with (cache / changed.deb_name).open("ab") as handle:
        handle.write(b"x")
    missing = Package("missing", "3.0", "amd64", "0" * 64)
    unchecked = Package("unchecked", "1.0", "all", None)
    with pytest.raises(BuildError) as refused:
        packages.check_cache([good, changed, missing, unchecked], cache)
    message = str(refused.value)
    assert message.startswith("cannot rebuild the release: ")
    assert "changed 1.0: the cached .deb differs" in message
    assert "missing 3.0: not in the package cache" in message
    assert "unchecked 1.0: the manifest has no checksum" in message
    assert "good" not in message and "\n" not in message


def test_the_local_repository_holds_exactly_the_release(tmp_path: Path) -> None:
    cache = tmp_path / "apt"
    wanted = [_deb(cache, "one", "1:1.0", "amd64"), _deb(cache, "two", "2.0")]
    _deb(cache, "other", "9.9")  # in the cache, not in the release
    repo = packages.local_repository(wanted, cache, tmp_path / "repo", "trixie")
    assert sorted(p.name for p in repo.iterdir()) == sorted(
        ["Packages", "Release", wanted[0].deb_name, wanted[1].deb_name]
    )
    release = (repo / "Release").read_text()
    assert "Suite: trixie\n" in release and "Codename: trixie\n" in release
    index = (repo / "Packages").read_bytes()
    assert f" {hashlib.sha256(index).hexdigest()} {len(index)} Packages" in release
    stanzas = (repo / "Packages").read_text().split("\n\n")
    assert [s.splitlines()[0] for s in stanzas] == ["Package: one", "Package: two"]
    assert f"SHA256: {wanted[0].sha256}" in stanzas[0]
    assert f"Filename: ./{wanted[0].deb_name}" in stanzas[0]


def test_a_rebuilt_set_that_differs_is_refused() -> None:
    wanted = [Package("a", "1", "all"), Package("b", "2", "amd64")]
    packages.check_installed(wanted, [Package("b", "2", "amd64", "x"), Package("a", "1", "all")])
    with pytest.raises(BuildError, match=r"b 2 \(amd64\) missing; c 1 \(all\) not in the release"):
        packages.check_installed(wanted, [Package("a", "1", "all"), Package("c", "1", "all")])
