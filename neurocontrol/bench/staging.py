"""Stage git revisions and the working tree as importable neurocontrol trees, without pip.

A staged tree is a folder to put on ``PYTHONPATH``: ``<tree>/neurocontrol/``
holds the side's ``neurocontrol/`` with its ``envs/`` and ``agents/``
folders as ``neurocontrol/envs`` and ``neurocontrol/agents`` (the install
layout, :data:`PACKAGE_DIRS`). Used by the A/B harness
(:mod:`neurocontrol.bench.ab`).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurocontrol.errors import ConfigError

__all__ = [
    "PACKAGE_DIRS",
    "Side",
    "repository",
    "resolve_revision",
    "stage_revision",
    "stage_side",
    "stage_working_tree",
]

#: Where each repository folder goes in a staged tree: the install layout of
#: ``[tool.setuptools] package-dir`` in pyproject.toml (envs/ and agents/ ship inside
#: the package). The package itself first: the other two are copied into it.
PACKAGE_DIRS = {
    "neurocontrol": "neurocontrol",
    "neurocontrol/envs": "envs",
    "neurocontrol/agents": "agents",
}
#: What a side's own runs leave beside its sources; never copied from a working tree.
_BUILD_LEFTOVERS = ("__pycache__", "*.pyc", "*.nbi", "*.nbc")


@dataclass
class Side:
    """One side of the comparison, staged.

    Attributes
    ----------
    name
        ``"old"`` or ``"new"``.
    label
        What it is, for the report (``"HEAD~1 (62b5948)"``, ``"working tree ..."``).
    commit
        The commit it was staged from (the working tree's HEAD for the working tree).
    tree
        The folder to put on ``PYTHONPATH``.
    cache
        Its ``NEUROCONTROL_CACHE_DIR``.
    """

    name: str
    label: str
    commit: str
    tree: Path
    cache: Path


def _git(repo: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, check=False)


def repository(path: str | Path | None = None) -> Path:
    """The top folder of the git checkout holding ``path`` (default: the running neurocontrol)."""
    if path is None:
        import neurocontrol

        path = Path(str(neurocontrol.__file__)).parent
    found = _git(Path(path), "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise ConfigError(
            f"{str(path)!r} is not in a git checkout ({found.stderr.decode().strip()}); "
            "pass --repo with the repository to compare"
        )
    return Path(found.stdout.decode().strip())


def resolve_revision(repo: Path, revision: str) -> str:
    """The commit ``revision`` names in ``repo``; :class:`ConfigError` if none."""
    found = _git(
        repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"
    )
    if found.returncode != 0 or not revision:
        raise ConfigError(f"unknown git revision {revision!r} in {repo}")
    return found.stdout.decode().strip()


def _assemble(source: Path, tree: Path, what: str) -> None:
    """Copy ``source``'s package folders into ``tree`` in the install layout."""
    for target, folder in PACKAGE_DIRS.items():
        if not (source / folder / "__init__.py").is_file():
            raise ConfigError(
                f"{what} has no package folder {folder}/ (its layout is not this "
                f"checkout's: {PACKAGE_DIRS})"
            )
        shutil.copytree(
            source / folder, tree / target, ignore=shutil.ignore_patterns(*_BUILD_LEFTOVERS)
        )


def stage_revision(repo: Path, commit: str, tree: Path) -> None:
    """Stage ``commit`` of ``repo`` as an importable tree in ``tree`` (``git archive``, no pip)."""
    archive = _git(repo, "archive", "--format=tar", commit, "--", *PACKAGE_DIRS.values())
    if archive.returncode != 0:
        raise ConfigError(
            f"git archive {commit} failed (its layout may not be this checkout's: "
            f"{PACKAGE_DIRS}): {archive.stderr.decode().strip()}"
        )
    source = tree.with_name(tree.name + "-source")
    # the "data" filter refuses links and paths out of the folder (where Python has it)
    safe: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(source, **safe)
    _assemble(source, tree, f"commit {commit}")
    shutil.rmtree(source)


def stage_working_tree(repo: Path, tree: Path) -> None:
    """Stage the working tree of ``repo`` as it is (uncommitted changes included) in ``tree``."""
    _assemble(repo, tree, f"the working tree of {repo}")


def stage_side(name: str, repo: Path, revision: str | None, scratch: Path) -> Side:
    folder = scratch / name
    if revision is None:
        commit = resolve_revision(repo, "HEAD")
        changed = _git(repo, "status", "--porcelain", "--", *PACKAGE_DIRS.values())
        dirty = " + uncommitted changes" if changed.stdout.strip() else ""
        label = f"working tree ({commit[:10]}{dirty})"
        stage_working_tree(repo, folder / "tree")
    else:
        commit = resolve_revision(repo, revision)
        label = f"{revision} ({commit[:10]})"
        stage_revision(repo, commit, folder / "tree")
    return Side(name, label, commit, folder / "tree", folder / "cache")
