#!/usr/bin/env python3
"""Check that requirements.lock covers every pin of requirements*.txt, hashed, at the same version.

Standard library only: `make venv` runs it with the system Python before the virtualenv exists.
Exit status 0 when the lock is current, 1 (with the differences on stderr) when `make lock` is due.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\#]+)")


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """{name: version} of the `name==version` lines of a requirements file."""
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def locked(path=LOCK):
    """{name: (version, number of hashes)} of a pip-compile --generate-hashes lock file."""
    entries = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = normalise(match.group(1))
            entries[current] = [match.group(2), 0]
        elif current and line.strip().startswith("--hash=sha256:"):
            entries[current][1] += 1
        elif not line.startswith(" "):
            current = None
    return {name: tuple(value) for name, value in entries.items()}


def problems():
    if not LOCK.exists():
        return [f"{LOCK.name} is missing"]
    lock = locked()
    found = []
    for requirements in sorted(ROOT.glob("requirements*.txt")):
        for name, version in pins(requirements).items():
            if name not in lock:
                found.append(f"{requirements.name}: {name}=={version} is not in {LOCK.name}")
            elif lock[name][0] != version:
                found.append(f"{requirements.name}: {name}=={version} but {LOCK.name} has {lock[name][0]}")
    found += [f"{LOCK.name}: {name} has no hash" for name, (_version, hashes) in lock.items() if not hashes]
    return found


def main():
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("requirements.lock is out of date: run `make lock`.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
