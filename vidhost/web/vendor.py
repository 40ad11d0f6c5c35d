"""Refresh or verify the vendored browser libraries (``make vendor``, ``make vendor-check``).

``vendor-lock.json`` pins each npm package (version and the registry's sha512 integrity of
its tarball) and, for each file taken from it, the sha256 of its bytes. ``refresh`` fetches the
tarballs with ``npm pack`` (the ordinary npm client), checks the integrity, extracts the listed
files and checks their sha256; ``--update`` records new hashes after a deliberate version bump.
``check`` (no network) verifies that the files on disk are the locked ones.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LOCK = HERE / "vendor-lock.json"
VENDOR = HERE / "static" / "vendor"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_lock() -> dict[str, Any]:
    lock: dict[str, Any] = json.loads(LOCK.read_text())
    return lock


def check() -> list[str]:
    """Every locked file present with its locked sha256; the problems found (empty: fine)."""
    problems = []
    for name, pkg in load_lock()["packages"].items():
        for dest, entry in pkg["files"].items():
            path = VENDOR / dest
            if not path.is_file():
                problems.append(f"{name}: {dest} missing")
            elif _sha256(path.read_bytes()) != entry["sha256"]:
                problems.append(f"{name}: {dest} does not match its sha256 in the lock")
    return problems


def _pack(name: str, version: str, workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", "--silent", f"{name}@{version}"],
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return workdir / out.splitlines()[-1]


def refresh(update: bool = False) -> list[str]:
    lock = load_lock()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, pkg in lock["packages"].items():
            tarball = _pack(name, pkg["version"], Path(tmp))
            raw = tarball.read_bytes()
            integrity = "sha512-" + base64.b64encode(hashlib.sha512(raw).digest()).decode()
            if update:
                pkg["integrity"] = integrity
            elif integrity != pkg["integrity"]:
                problems.append(f"{name}@{pkg['version']}: tarball integrity differs from lock")
                continue
            with tarfile.open(tarball) as tar:
                for dest, entry in pkg["files"].items():
                    member = tar.extractfile(f"package/{entry['from']}")
                    if member is None:
                        problems.append(f"{name}: {entry['from']} not in the tarball")
                        continue
                    data = member.read()
                    digest = _sha256(data)
                    if update:
                        entry["sha256"] = digest
                    elif digest != entry["sha256"]:
                        problems.append(f"{name}: {entry['from']} sha256 differs from lock")
                        continue
                    path = VENDOR / dest
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
    if update:
        LOCK.write_text(json.dumps(lock, indent=2) + "\n")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["refresh", "check"])
    parser.add_argument("--update", action="store_true", help="record new hashes in the lock")
    args = parser.parse_args(argv)
    problems = check() if args.command == "check" else refresh(update=args.update)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"vendored files match {LOCK.name}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
