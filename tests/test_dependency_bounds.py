"""The lower bounds in pyproject.toml and the pins CI installs them with are the same list.

`.ci/run` builds a second environment with `pip install -c .ci/lower-bounds.txt` and runs the
judge tests in it; a bound raised in one file and not the other would test the wrong floor.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9.]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _release(version: str) -> tuple[int, ...]:
    """'8.0' and '8.0.0' are the same release."""
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _pyproject_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    bounds = {}
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        assert match, f"{requirement!r} has no lower bound (name>=version)"
        bounds[_normal(match.group(1))] = match.group(2)
    return bounds


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "lower-bounds.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} in .ci/lower-bounds.txt is not name==version"
            pins[_normal(name)] = version.strip()
    return pins


def test_every_dependency_is_pinned_at_its_lower_bound():
    bounds, pins = _pyproject_bounds(), _pins()
    assert sorted(bounds) == sorted(pins)
    for name, bound in bounds.items():
        assert _release(bound) == _release(pins[name]), (name, bound, pins[name])
