"""The package set of a build: every installed package with its version, architecture and
the SHA-256 of the .deb it came from, and a rebuild from a release's own set alone.

`make image REBUILD_FROM=build/<board>/manifest.json` rebuilds a release offline: every
package the manifest lists must be in the build's package cache (build/cache/apt) with the
checksum the manifest records, or the build stops before anything is made; mmdebstrap then
installs from a local repository of exactly those files, and the installed set is compared
with the manifest again at the end.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from builder.errors import BuildError
from builder.reproducible import file_digest
from builder.run import run

log = logging.getLogger("builder")

# dpkg-query's line per package in build/rootfs.packages.tsv.
DPKG_FORMAT = "${Package}\t${Version}\t${Architecture}\n"
# How many problems a refused rebuild names (the rest are counted).
SHOWN = 5


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    architecture: str
    sha256: str | None = None  # of the .deb; None when the cache no longer holds it

    @property
    def deb_name(self) -> str:
        """The name apt gives the file in its archive cache (an epoch's colon as %3a)."""
        return f"{self.name}_{self.version.replace(':', '%3a')}_{self.architecture}.deb"

    @property
    def key(self) -> tuple[str, str, str]:
        return self.name, self.version, self.architecture


def parse_installed(text: str) -> list[Package]:
    """build/rootfs.packages.tsv as dpkg-query wrote it (DPKG_FORMAT)."""
    packages = []
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) == 3:
            packages.append(Package(*fields))
    return packages


def with_checksums(packages: list[Package], apt_cache: Path) -> list[Package]:
    """Each package with the SHA-256 of its .deb in the cache."""
    return [
        Package(*p.key, file_digest(deb) if (deb := apt_cache / p.deb_name).is_file() else None)
        for p in packages
    ]


def as_manifest(packages: list[Package]) -> list[dict[str, str | None]]:
    return [asdict(p) for p in sorted(packages, key=lambda p: p.key)]


@dataclass(frozen=True)
class Release:
    """What a release's manifest.json says a rebuild must reproduce."""

    version: str
    epoch: int
    packages: list[Package]


def read_release(path: Path) -> Release:
    """A release's manifest.json (one line of error if it is not one with checksums)."""
    try:
        document = json.loads(path.read_text())
        built = datetime.strptime(document["build_date"], "%Y-%m-%dT%H:%M:%SZ")
        found = [
            Package(e["name"], e["version"], e["architecture"], e["sha256"])
            for e in document["packages"]
        ]
        return Release(str(document["version"]), int(built.replace(tzinfo=UTC).timestamp()), found)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BuildError(f"{path}: not a manifest with package checksums ({error})") from error


def _summary(problems: list[str]) -> str:
    more = f" and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return "; ".join(problems[:SHOWN]) + more


def check_cache(wanted: list[Package], apt_cache: Path) -> None:
    """Every package of wanted is in the cache with its recorded checksum."""
    problems = []
    for package in wanted:
        deb = apt_cache / package.deb_name
        if package.sha256 is None:
            problems.append(f"{package.name} {package.version}: the manifest has no checksum")
        elif not deb.is_file():
            problems.append(f"{package.name} {package.version}: not in the package cache")
        elif file_digest(deb) != package.sha256:
            problems.append(f"{package.name} {package.version}: the cached .deb differs")
    if problems:
        raise BuildError(f"cannot rebuild the release: {_summary(problems)}")


def release_file(suite: str, index: Path) -> str:
    """A flat repository's Release: it names the suite, since mmdebstrap picks the essential
    packages by the suite's name, and the index's checksum, which apt checks."""
    return (
        f"Origin: Orpheus rebuild\nSuite: {suite}\nCodename: {suite}\n"
        f"SHA256:\n {file_digest(index)} {index.stat().st_size} Packages\n"
    )


def local_repository(wanted: list[Package], apt_cache: Path, repo: Path, suite: str) -> Path:
    """A flat apt repository (repo/Packages, repo/Release) of exactly the wanted .debs."""
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    stanzas = []
    for package in sorted(wanted, key=lambda p: p.key):
        deb = repo / package.deb_name
        deb.hardlink_to(apt_cache / package.deb_name)
        control = run(["dpkg-deb", "--field", deb]).rstrip("\n")
        stanzas.append(
            f"{control}\nFilename: ./{package.deb_name}\nSize: {deb.stat().st_size}\n"
            f"SHA256: {package.sha256}\n"
        )
    index = repo / "Packages"
    index.write_text("\n".join(stanzas))
    (repo / "Release").write_text(release_file(suite, index))
    log.info("rebuild: a local repository of the release's %d packages", len(wanted))
    return repo


def check_installed(wanted: list[Package], installed: list[Package]) -> None:
    """The rebuilt tree holds exactly the release's packages."""
    want, have = {p.key for p in wanted}, {p.key for p in installed}
    problems = [f"{n} {v} ({a}) missing" for n, v, a in sorted(want - have)]
    problems += [f"{n} {v} ({a}) not in the release" for n, v, a in sorted(have - want)]
    if problems:
        raise BuildError(f"the rebuilt package set differs: {_summary(problems)}")
