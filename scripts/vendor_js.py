#!/usr/bin/env python3
"""Refresh the vendored JavaScript libraries under webradio/static/vendor/ from the npm registry.

For maintainers only: `make run` and `make test` use the files committed in the repository and
need neither Node nor this script. Python's standard library only (urllib, tarfile, hashlib).

    python scripts/vendor_js.py                  # every library below, at its pinned version
    python scripts/vendor_js.py wavesurfer.js    # one library
    python scripts/vendor_js.py --check          # say which folders differ from the pins

To move to a new version, change it in LIBRARIES, run the script, look at the diff and run the
browser tests. Each tarball is checked against the `dist.integrity` (SHA-512) the registry gives.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Library:
    """One npm package: its pinned version, its licence, and the files the pages use."""

    version: str
    licence: str
    purpose: str
    # path inside the tarball (under package/) -> path inside the library's vendor folder
    files: dict[str, str]
    licence_files: tuple[str, ...] = ("LICENSE", "LICENSE.md", "LICENSE.txt")


LIBRARIES: dict[str, Library] = {
    "wavesurfer.js": Library(
        version="7.12.12",
        licence="BSD-3-Clause",
        purpose="the trim editor of a new episode (waveform, in and out points, zoom)",
        files={
            "dist/wavesurfer.min.js": "wavesurfer.min.js",
            "dist/plugins/regions.min.js": "plugins/regions.min.js",
            "dist/plugins/timeline.min.js": "plugins/timeline.min.js",
        },
    ),
    "tus-js-client": Library(
        version="4.3.1",
        licence="MIT",
        purpose="resumable uploads of takes (tus protocol)",
        files={"dist/tus.min.js": "tus.min.js"},
    ),
}

REGISTRY = "https://registry.npmjs.org"
VENDOR = Path(__file__).resolve().parent.parent / "webradio" / "static" / "vendor"
TIMEOUT_S = 60


class VendorError(Exception):
    """A refresh that cannot be trusted (bad checksum, missing file): nothing is replaced."""


def fetch(url: str) -> bytes:
    """GET url from the registry."""
    request = urllib.request.Request(url, headers={"Accept": "application/json, */*"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        data: bytes = response.read()
        return data


def metadata(name: str, version: str) -> dict[str, str]:
    """The registry's `dist` block for name@version (tarball URL and integrity)."""
    document = json.loads(fetch(f"{REGISTRY}/{name}/{version}"))
    dist: dict[str, str] = document["dist"]
    if document.get("version") != version or "integrity" not in dist:
        raise VendorError(f"{name}@{version}: the registry gave no integrity for this version")
    return dist


def check_integrity(data: bytes, integrity: str) -> None:
    """Compare the tarball with an SRI string such as `sha512-<base64>`."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"unexpected integrity algorithm {algorithm!r} (sha512 expected)")
    found = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if found != expected:
        raise VendorError(f"checksum mismatch: registry says {expected}, download is {found}")


def extract(tarball: bytes, library: Library, target: Path) -> None:
    """Write the library's files, its licence and VERSION into target (a fresh folder)."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        members = {m.name.removeprefix("package/"): m for m in archive.getmembers() if m.isfile()}
        wanted = dict(library.files)
        licence = next((name for name in library.licence_files if name in members), None)
        if licence is None:
            raise VendorError("no licence file in the tarball")
        wanted[licence] = "LICENSE"
        for source, destination in wanted.items():
            member = members.get(source)
            if member is None:
                raise VendorError(f"{source} is not in the tarball")
            handle = archive.extractfile(member)
            assert handle is not None
            path = target / destination
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(handle.read())
    (target / "VERSION").write_text(library.version + "\n")


def refresh(name: str, library: Library) -> Path:
    """Download name@version, verify it, and replace its vendor folder in one move."""
    dist = metadata(name, library.version)
    tarball = fetch(dist["tarball"])
    check_integrity(tarball, dist["integrity"])
    VENDOR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=VENDOR))
    try:
        extract(tarball, library, staging)
        staging.chmod(0o755)  # mkdtemp's folder is private; the web server must read it
        folder = VENDOR / name
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def vendored_version(name: str) -> str | None:
    """The version recorded in a library's vendor folder, if any."""
    path = VENDOR / name / "VERSION"
    return path.read_text().strip() if path.exists() else None


def write_readme() -> Path:
    """The vendor folder's README: each library, its version, licence, source and use."""
    lines = [
        "# Vendored front-end libraries",
        "",
        "Built files of the JavaScript libraries the pages use, committed so that `make run` and",
        "`make test` need no Node. Refresh them from the npm registry with",
        "`python scripts/vendor_js.py` (pinned versions at the top of that script; each tarball",
        "is checked against the registry's SHA-512 integrity).",
        "",
        "| library | version | licence | source | used for |",
        "|---|---|---|---|---|",
    ]
    for name, library in LIBRARIES.items():
        version = vendored_version(name) or f"{library.version} (not vendored yet)"
        source = f"https://www.npmjs.com/package/{name}/v/{version.split()[0]}"
        lines.append(f"| `{name}` | {version} | {library.licence} | {source} | {library.purpose} |")
    lines += [
        "",
        "Each folder holds the files listed in the script, the package's `LICENSE` and its",
        "`VERSION`.",
        "",
    ]
    path = VENDOR / "README.md"
    path.write_text("\n".join(lines))
    return path


def main(argv: list[str] | None = None) -> int:
    """Refresh the named libraries (all by default), or with --check only compare versions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(LIBRARIES))
    parser.add_argument("--check", action="store_true", help="compare, change nothing")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in LIBRARIES]
    if unknown:
        parser.error(f"unknown library {', '.join(unknown)}; choose among {', '.join(LIBRARIES)}")
    names = args.names or list(LIBRARIES)
    if args.check:
        stale = [n for n in names if vendored_version(n) != LIBRARIES[n].version]
        for name in stale:
            print(f"{name}: vendored {vendored_version(name)}, pinned {LIBRARIES[name].version}")
        return 1 if stale else 0
    for name in names:
        try:
            folder = refresh(name, LIBRARIES[name])
        except (VendorError, OSError) as error:
            print(f"{name}: not refreshed: {error}", file=sys.stderr)
            return 1
        print(f"{name} {LIBRARIES[name].version} -> {folder.relative_to(VENDOR.parent.parent)}")
    write_readme()
    return 0


if __name__ == "__main__":
    sys.exit(main())
