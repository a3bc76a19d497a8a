"""Export itself: plan what to write for a Worker (:func:`plan`), then write it (:func:`export`)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..lint import Finding, lint_worker
from ..workerfile import local_modules
from .errors import ExportError, ExportRefused
from .readme import readme
from .rewrite import rewrite_imports
from .settings import read_settings, served_with
from .templates import (
    GITIGNORE,
    MARKER,
    package_json,
    project_name,
    pyproject_toml,
    wrangler_config,
)

__all__ = ["Project", "export", "plan"]

# Files and folders export writes; re-exporting into the same folder replaces exactly these.
OWNED = ("src", "assets", "wrangler.jsonc", "pyproject.toml", "package.json", "README.md", ".gitignore")

_NAME_OK = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")


@dataclass
class Project:
    """What export wrote (or would write): the files by path under the project folder."""

    folder: Path
    name: str
    compatibility_date: str
    compatibility_flags: list[str]
    durable_objects: dict[str, str]
    files: dict[str, str]  # relative path -> text
    assets_from: Path | None
    findings: list[Finding]


def plan(
    worker: str | Path,
    *,
    compatibility_date: str | None = None,
    compatibility_flags: list[str] | tuple[str, ...] = (),
    name: str | None = None,
) -> Project:
    """Everything export would write for ``worker``, without writing it (and the checker's findings)."""
    file = Path(worker)
    if file.is_dir():
        file = file / "worker.py"
    if not file.is_file():
        raise ExportError(f"No Worker file at {worker}.")
    source = file.read_text(encoding="utf-8")
    try:
        findings = lint_worker(file)
        settings = read_settings(source, str(file))
    except SyntaxError as exc:
        raise ExportError(f"{exc.filename}:{exc.lineno}: {exc.msg} (fix the syntax first)") from None
    if name is None:
        name = project_name(file)
    elif not _NAME_OK.match(name):
        raise ExportError(
            f"--name {name!r}: a Worker name is 1-63 lower-case letters, digits and dashes, "
            "starting and ending with a letter or digit."
        )
    date, flags = served_with(settings, compatibility_date, compatibility_flags)
    folder = file.resolve().parent
    assets_from: Path | None = None
    if settings.assets is not None:
        assets_from = (folder / settings.assets).resolve()
        if not assets_from.is_dir():
            raise ExportError(f'{file}: ASSETS = "{settings.assets}" but there is no folder {assets_from}.')
    files = {"src/entry.py": rewrite_imports(source, str(file))}
    for module in local_modules(file):
        rel = module.relative_to(folder).as_posix()
        files[f"src/{rel}"] = rewrite_imports(module.read_text(encoding="utf-8"), str(module))
    shown_source = file.as_posix()
    shown_assets = None
    if assets_from is not None:
        shown_assets = (file.parent / settings.assets).as_posix() if settings.assets else str(assets_from)
    files["wrangler.jsonc"] = wrangler_config(
        name=name,
        source=shown_source,
        compatibility_date=date,
        compatibility_flags=flags,
        durable_objects=settings.durable_objects,
        assets_from=shown_assets,
    )
    files["pyproject.toml"] = pyproject_toml(name)
    files["package.json"] = package_json(name)
    files["README.md"] = readme(name, shown_source, settings.durable_objects, assets_from is not None)
    files[".gitignore"] = GITIGNORE
    return Project(
        folder=Path(),
        name=name,
        compatibility_date=date,
        compatibility_flags=flags,
        durable_objects=settings.durable_objects,
        files=files,
        assets_from=assets_from,
        findings=findings,
    )


def _check_outdir(outdir: Path, assets_from: Path | None, worker_folder: Path) -> None:
    if outdir.exists() and not outdir.is_dir():
        raise ExportError(f"{outdir} exists and is not a folder.")
    real = outdir.resolve()
    if assets_from is not None and real.is_relative_to(assets_from):
        raise ExportError(f"{outdir} is inside the static files folder {assets_from}: choose a folder outside it.")
    if outdir.is_dir() and any(outdir.iterdir()):
        config = outdir / "wrangler.jsonc"
        previous = config.is_file() and MARKER in config.read_text(encoding="utf-8", errors="replace")
        if not previous:
            raise ExportError(
                f"{outdir} is not empty and was not written by wsguide export: choose a new folder "
                "(export never overwrites files it did not write)."
            )
    if real == worker_folder:
        raise ExportError(f"{outdir} is the Worker's own folder: choose another folder.")


def export(
    worker: str | Path,
    outdir: str | Path,
    *,
    compatibility_date: str | None = None,
    compatibility_flags: list[str] | tuple[str, ...] = (),
    name: str | None = None,
    force: bool = False,
) -> Project:
    """Write the pywrangler project for ``worker`` into ``outdir``; returns what was written.

    Raises :class:`ExportRefused` (nothing written) when the rule checker finds problems,
    unless ``force``; :class:`ExportError` for anything else that stops the export. An
    ``outdir`` that holds an earlier export is updated: its ``src/``, ``assets/`` and the
    files above are replaced; everything else there (``node_modules/``, ``python_modules/``,
    ``.venv-workers/``...) is left alone. Any other non-empty folder is refused.
    """
    project = plan(worker, compatibility_date=compatibility_date, compatibility_flags=compatibility_flags, name=name)
    if project.findings and not force:
        raise ExportRefused(project.findings)
    out = Path(outdir)
    file = Path(worker) / "worker.py" if Path(worker).is_dir() else Path(worker)
    _check_outdir(out, project.assets_from, file.resolve().parent)
    out.mkdir(parents=True, exist_ok=True)
    for owned in ("src", "assets"):
        if (out / owned).is_dir():
            shutil.rmtree(out / owned)
    for rel, text in project.files.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    if project.assets_from is not None:
        _copy_assets(project.assets_from, out / "assets")
    project.folder = out
    return project


def _copy_assets(source: Path, target: Path) -> None:
    """Copy the static files; like the server, skip anything that resolves outside ``source``."""
    for path in sorted(source.rglob("*")):
        real = path.resolve()
        if not real.is_file() or not real.is_relative_to(source):
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real, dest)
    target.mkdir(parents=True, exist_ok=True)
