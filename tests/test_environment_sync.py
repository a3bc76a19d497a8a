"""environment.yml (the conda route) must describe the same environment as pyproject.toml.

The file is "thin": conda provides Python and pip, and `-e .[dev]` installs the rest from
pyproject.toml. Each check below is a function returning a list of problems, so that the
last test can feed it a drifted copy and see it complain.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CONDA_ONLY = {"python", "pip"}
EDITABLE_DEV = "-e .[dev]"

# Python versions to probe specifier sets with (conda and pip both read ">=3.11,<3.14").
PROBE_VERSIONS = [Version("2.7")] + [
    Version(f"3.{minor}.{micro}") for minor in range(0, 40) for micro in (0, 1, 9)
]


def load_env() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def load_pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def conda_requirements(env: dict) -> list[str]:
    return [dep for dep in env.get("dependencies") or [] if isinstance(dep, str)]


def pip_section(env: dict) -> list[str]:
    for dep in env.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            return [str(line).strip() for line in dep["pip"] or []]
    return []


def parse(spec: str) -> Requirement | None:
    try:
        return Requirement(spec)
    except InvalidRequirement:
        return None


def project_requirements(project: dict) -> dict[str, SpecifierSet]:
    """Every requirement of pyproject (dependencies and all extras), minus self-references."""
    meta = project["project"]
    specs = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        specs.extend(extra)
    own = canonicalize_name(meta["name"])
    found = {}
    for spec in specs:
        req = Requirement(spec)
        if canonicalize_name(req.name) != own:
            found[canonicalize_name(req.name)] = req.specifier
    return found


# ---------------------------------------------------------------- the checks


def name_problems(env: dict, project: dict) -> list[str]:
    if env.get("name") != project["project"]["name"]:
        return [f"env name {env.get('name')!r} != project name {project['project']['name']!r}"]
    return []


def channel_problems(env: dict, project: dict) -> list[str]:
    channels = list(env.get("channels") or [])
    problems = []
    if not channels or channels[0] != "conda-forge":
        problems.append(f"conda-forge must be the first channel, got {channels}")
    if "nodefaults" not in channels:
        problems.append(f"nodefaults must be listed to keep the defaults channel out, got {channels}")
    if "defaults" in channels:
        problems.append("the defaults channel must not be used")
    return problems


def python_problems(env: dict, project: dict) -> list[str]:
    requires = SpecifierSet(project["project"]["requires-python"])
    pythons = [req for req in map(parse, conda_requirements(env)) if req and req.name == "python"]
    if len(pythons) != 1:
        return [f"environment.yml needs exactly one pip-style python spec, found {len(pythons)}"]
    env_spec = pythons[0].specifier
    if not env_spec:
        return ["the python spec has no version bound; mirror requires-python"]
    allowed = [v for v in PROBE_VERSIONS if v in env_spec]
    if not allowed:
        return [f"python{env_spec} allows no Python version at all"]
    outside = [str(v) for v in allowed if v not in requires]
    if outside:
        return [f"python{env_spec} allows {outside[0]}, which requires-python {requires} refuses"]
    return []


def pip_problems(env: dict, project: dict) -> list[str]:
    lines = [" ".join(line.split()) for line in pip_section(env)]
    if EDITABLE_DEV not in lines:
        return [f"the pip section must contain {EDITABLE_DEV!r}, got {lines}"]
    return []


def conda_dependency_problems(env: dict, project: dict) -> list[str]:
    wanted = project_requirements(project)
    problems = []
    for spec in conda_requirements(env):
        req = parse(spec)
        if req is None:
            problems.append(f"{spec!r} is not a pip-style specifier (write e.g. 'python>=3.11')")
            continue
        name = canonicalize_name(req.name)
        if name in CONDA_ONLY:
            continue
        if name not in wanted:
            problems.append(f"{spec!r} is not a dependency in pyproject.toml")
        elif req.specifier != wanted[name]:
            problems.append(f"{spec!r} differs from pyproject's {name}{wanted[name]}")
    return problems


CHECKS = [name_problems, channel_problems, python_problems, pip_problems, conda_dependency_problems]


def all_problems(env: dict, project: dict) -> list[str]:
    return [problem for check in CHECKS for problem in check(env, project)]


# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def env() -> dict:
    return load_env()


@pytest.fixture(scope="module")
def project() -> dict:
    return load_pyproject()


def test_env_name_is_the_project_name(env, project):
    assert name_problems(env, project) == []


def test_conda_forge_comes_first_and_defaults_stay_out(env, project):
    assert channel_problems(env, project) == []


def test_python_spec_only_allows_versions_requires_python_allows(env, project):
    assert python_problems(env, project) == []


def test_pip_section_installs_the_project_editable_with_dev_extra(env, project):
    assert pip_problems(env, project) == []


def test_conda_dependencies_are_python_and_pip_or_match_pyproject(env, project):
    assert conda_dependency_problems(env, project) == []


def _set_python(env: dict, spec: str) -> None:
    deps = env["dependencies"]
    deps[[i for i, d in enumerate(deps) if isinstance(d, str) and d.startswith("python")][0]] = spec


DRIFTS = {
    "renamed env": lambda env, pyproject: env.update(name="wsguide-old"),
    "defaults channel first": lambda env, pyproject: env.update(channels=["defaults", "conda-forge"]),
    "python wider than requires-python": lambda env, pyproject: _set_python(env, "python>=3.10"),
    "conda-style python pin": lambda env, pyproject: _set_python(env, "python=3.11"),
    "pip section lost -e .[dev]": lambda env, pyproject: env["dependencies"][-1].update(pip=["-e ."]),
    "conda dep with another specifier": lambda env, pyproject: env["dependencies"].insert(
        0, "websockets>=16,<18"
    ),
    "conda dep not in pyproject": lambda env, pyproject: env["dependencies"].insert(0, "numpy"),
    "requires-python raised in pyproject only": lambda env, pyproject: pyproject["project"].update(
        {"requires-python": ">=3.12"}
    ),
}


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_check_catches_a_drifted_copy(env, project, drift):
    assert all_problems(env, project) == []  # the real files agree ...
    env_copy, project_copy = copy.deepcopy(env), copy.deepcopy(project)
    DRIFTS[drift](env_copy, project_copy)
    assert all_problems(env_copy, project_copy) != []  # ... and the drifted copy does not


def test_conda_dependency_with_the_pyproject_specifier_is_accepted(env, project):
    env_copy = copy.deepcopy(env)
    env_copy["dependencies"].insert(0, "websockets<18,>=17")  # same set, other order
    assert conda_dependency_problems(env_copy, project) == []
