"""Run All in a real JupyterLab, in headless Chromium, for every notebook.

What a learner does: open a notebook in JupyterLab and click Run → Run All
Cells. This test starts JupyterLab on a free port of 127.0.0.1 with a random
token (on copies of the notebooks, outputs stripped, in a temporary folder, so
the repository is never written to), opens each notebook through Playwright,
clicks Run → Run All Cells, and waits (bounded) until the kernel is idle and
every code cell has an execution count. Then it checks:

* no error output, except in cells tagged ``raises-exception`` (which must
  have one: JupyterLab runs on past them, as nbval does);
* the execution counts increase from cell to cell (the cells ran in order);
* every Mermaid output (``text/vnd.mermaid``) was drawn (JupyterLab shows it as an SVG image).

JupyterLab gets the application settings ``kit.py lab`` gives it, so the same server
also checks the notebooks' text sources as an instructor meets them: a double click on a
``.md`` in the file browser opens it as a notebook with the source's cells, and saving a
notebook in JupyterLab, from its ``.md`` or its ``.ipynb``, writes both files in step
(byte for byte as they were, when nothing was edited).

Chromium comes from Debian (``/usr/bin/chromium`` or ``$WSGUIDE_CHROMIUM``);
``playwright install`` is never needed. Without it the test is skipped, and
with ``WSGUIDE_REQUIRE_BROWSER=1`` (CI) it fails instead (tests/conftest.py).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import importlib.util
import shutil

import nbformat
import pytest

from .notebook_tool import load

tool = load()

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
FACTOR = float(os.environ.get("WSGUIDE_TIMEOUT_FACTOR", "") or 1)
SERVER_START_TIMEOUT = 90 * FACTOR
PAGE_TIMEOUT_MS = int(90_000 * FACTOR)
RUN_ALL_TIMEOUT_MS = int(90_000 * FACTOR)

pytestmark = pytest.mark.browser


def all_notebooks() -> list[str]:
    found = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
    return [p.relative_to(NOTEBOOKS).as_posix() for p in found]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_stripped(dest: Path) -> None:
    """The notebooks without outputs or counts, so only this run's results show, then
    their text sources and the pairing configuration."""
    for rel in all_notebooks():
        nb = nbformat.read(NOTEBOOKS / rel, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
                cell.execution_count = None
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, dest / rel)
    for source in tool.source_files():
        shutil.copyfile(source, dest / source.relative_to(NOTEBOOKS))
    shutil.copyfile(NOTEBOOKS / "jupytext.toml", dest / "jupytext.toml")


def kit_lab_settings() -> list[str]:
    """The application-settings argument `kit.py lab` gives JupyterLab (it must give one)."""
    spec = importlib.util.spec_from_file_location("wsguide_kit_script", ROOT / "kit.py")
    kit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kit)
    found = [arg for arg in kit.lab_args(str(ROOT)) if arg.startswith("--LabApp.app_settings_dir=")]
    assert found, "kit.py lab gives JupyterLab no --LabApp.app_settings_dir"
    return found


class Lab:
    """A JupyterLab server we started, and how to stop it."""

    def __init__(self, tmp: Path) -> None:
        self.root = tmp / "notebooks"
        self.root.mkdir()
        copy_stripped(self.root)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.lines: list[str] = []
        self.ready = threading.Event()
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_DATA_DIR=str(tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        )
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
            "--LabApp.news_url=", "--ServerApp.open_browser=False", *kit_lab_settings(),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip())
            if f"127.0.0.1:{self.port}/" in line:
                self.ready.set()
        self.ready.set()  # the process ended: stop waiting

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        if not self.ready.wait(SERVER_START_TIMEOUT) or self.proc.poll() is not None:
            tail = "\n".join(self.lines[-20:])
            raise RuntimeError(f"JupyterLab did not start within {SERVER_START_TIMEOUT:g} s:\n{tail}")

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then make sure, by PID."""
        if self.proc.poll() is None:
            try:
                req = urllib.request.Request(
                    f"{self.base}/api/shutdown", method="POST",
                    headers={"Authorization": f"token {self.token}"},
                )
                urllib.request.urlopen(req, timeout=10).close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # By PID, the process this test started; its kernels notice their parent is
                # gone and exit (ipykernel's parent poller).
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jupyterlab")
    server = Lab(tmp)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(lab):
    # The `browser` marker has already skipped (or failed) this test if Chromium is missing.
    from playwright.sync_api import sync_playwright

    chromium_executable = os.environ.get("WSGUIDE_CHROMIUM", "").strip() or "/usr/bin/chromium"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab.base}/lab?token={lab.token}", timeout=PAGE_TIMEOUT_MS)
            page.wait_for_function("() => window.jupyterapp !== undefined", timeout=PAGE_TIMEOUT_MS)
            page.evaluate("() => window.jupyterapp.restored.then(() => true)")
            yield page
        finally:
            browser.close()


OPEN = """async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await widget.context.ready;
  await widget.sessionContext.ready;
  app.shell.activateById(widget.id);
  return widget.id;
}"""

KERNEL_IDLE = """(id) => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.id === id && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""

ALL_RAN = """(id) => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || w.id !== id) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return !!k && k.status === 'idle' && cells.every(c => c.model.executionCount !== null);
}"""

CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter(c => c.model.type === 'code')
  .map(c => ({tags: c.model.getMetadata('tags') || [], count: c.model.executionCount,
              source: c.model.sharedModel.getSource().split('\\n')[0],
              outputs: c.model.outputs.toJSON()}))"""

MERMAID_DRAWN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.filter(c => c.model.type === 'code' &&
    c.model.outputs.toJSON().some(o => o.data && o.data['text/vnd.mermaid']));
  for (const c of cells) c.node.scrollIntoView();
  return cells.map(c => !!c.node.querySelector('.jp-RenderedMermaid img[src^="data:image/svg+xml"]'));
}"""

CLOSE = """async (id) => {
  const w = window.jupyterapp.shell.currentWidget;
  await w.sessionContext.shutdown();
  w.context.model.dirty = false;
  w.dispose();
}"""


@pytest.mark.parametrize("notebook", all_notebooks())
def test_run_all_cells_in_jupyterlab(page, notebook):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    widget_id = page.evaluate(OPEN, notebook)
    try:
        page.wait_for_function(KERNEL_IDLE, arg=widget_id, timeout=PAGE_TIMEOUT_MS)
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        page.wait_for_function(ALL_RAN, arg=widget_id, timeout=RUN_ALL_TIMEOUT_MS, polling=250)
        cells = page.evaluate(CELLS)

        problems = []
        counts = [c["count"] for c in cells]
        if counts != sorted(counts) or len(set(counts)) != len(counts):
            problems.append(f"cells did not run in order: execution counts {counts}")
        for n, cell in enumerate(cells, 1):
            errors = [f"{o['ename']}: {o['evalue']}" for o in cell["outputs"] if o["output_type"] == "error"]
            where = f"code cell {n} ({cell['source'][:60]!r})"
            if "raises-exception" in cell["tags"]:
                if not errors:
                    problems.append(f"{where} is tagged raises-exception but showed no error")
            elif errors:
                problems.append(f"{where}: {'; '.join(errors)}")

        if any(o.get("data", {}).get("text/vnd.mermaid") for c in cells for o in c["outputs"]):
            try:
                page.wait_for_function(
                    f"() => ({MERMAID_DRAWN})().every(Boolean)", timeout=int(20_000 * FACTOR), polling=250
                )
            except PlaywrightTimeout:
                problems.append(f"a Mermaid diagram was not drawn as SVG: {page.evaluate(MERMAID_DRAWN)}")
        assert not problems, f"{notebook} after Run All in JupyterLab:\n" + "\n".join(problems)
    finally:
        page.evaluate(CLOSE, widget_id)



# ------------------------------------------------------------- the text sources in JupyterLab

OPENED = """(path) => {
  const w = window.jupyterapp.shell.currentWidget;
  return !!w && !!w.context && w.context.path === path && w.context.isReady &&
    w.hasClass('jp-NotebookPanel') && w.content.widgets.length > 0;
}"""

NOTEBOOK_CELLS = """async () => {
  const w = window.jupyterapp.shell.currentWidget;
  await w.sessionContext.ready;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return {
    kernel: kernel ? kernel.name : null,
    cells: w.content.widgets.map(c => ({type: c.model.type, source: c.model.sharedModel.getSource(),
                                        tags: c.model.getMetadata('tags') || []})),
  };
}"""

OPEN_DEFAULT = """async (path) => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open', {path});
  await widget.context.ready;
  app.shell.activateById(widget.id);
  return widget.id;
}"""

EDIT_FIRST_CELL_AND_SAVE = """async (suffix) => {
  const w = window.jupyterapp.shell.currentWidget;
  const cell = w.content.widgets[0].model.sharedModel;
  cell.setSource(cell.getSource() + suffix);
  await w.context.save();
  return w.context.path;
}"""


def cells_of(nb) -> list[dict]:
    return [{"type": c.cell_type, "source": c.source, "tags": c.metadata.get("tags", [])} for c in nb.cells]


CURRENT_TAB = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w) return 'none';
  const what = `${w.node.className} (${w.context ? w.context.path : 'no file'})`;
  w.dispose();
  return what;
}"""


def wait_for_notebook(page, path: str, how: str) -> None:
    """Wait until `path` is open as a notebook in the current tab; fail saying what opened instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(OPENED, arg=path, timeout=PAGE_TIMEOUT_MS)
    except PlaywrightTimeout:
        pytest.fail(f"{how} {path} did not open a notebook; the current tab is {page.evaluate(CURRENT_TAB)}",
                    pytrace=False)


def test_double_click_on_a_text_source_opens_it_as_a_notebook(page, lab):
    name = "00-setup-check.md"
    page.locator(".jp-DirListing-itemText").get_by_text(name, exact=True).dblclick()
    wait_for_notebook(page, name, "a double click on")
    try:
        opened = page.evaluate(NOTEBOOK_CELLS)
        assert opened["kernel"] == "python3"
        assert opened["cells"] == cells_of(tool.read_source(NOTEBOOKS / name))
    finally:
        page.evaluate(CLOSE, None)


@pytest.mark.parametrize(
    "opened", ["solutions/99-appendix-event-loop-solutions.md", "solutions/08-hibernation-solutions.ipynb"]
)
def test_saving_in_jupyterlab_writes_the_notebook_and_its_text_source(page, lab, opened):
    suffix = "\n\nEdited in JupyterLab."
    page.evaluate(OPEN_DEFAULT, opened)
    wait_for_notebook(page, opened, "opening (as a double click does)")
    try:
        page.evaluate(EDIT_FIRST_CELL_AND_SAVE, suffix)
    finally:
        page.evaluate(CLOSE, None)
    notebook = tool.notebook_of(lab.root / opened)
    source = tool.source_of(notebook)
    assert nbformat.read(notebook, as_version=4).cells[0].source.endswith(suffix)
    assert tool.read_source(source).cells[0].source.endswith(suffix)
    assert tool.differences(notebook, source) == []


SAVE = """async () => { await window.jupyterapp.shell.currentWidget.context.save(); }"""


@pytest.mark.parametrize(
    "opened", ["solutions/01-upgrade-check-solutions.md", "solutions/02-websocket-pair-solutions.ipynb"]
)
def test_saving_an_unedited_notebook_in_jupyterlab_changes_neither_file(page, lab, opened):
    notebook = tool.notebook_of(lab.root / opened)
    source = tool.source_of(notebook)
    before = notebook.read_bytes(), source.read_bytes()
    written = notebook.stat().st_mtime_ns, source.stat().st_mtime_ns
    page.evaluate(OPEN_DEFAULT, opened)
    wait_for_notebook(page, opened, "opening (as a double click does)")
    try:
        page.evaluate(SAVE)
    finally:
        page.evaluate(CLOSE, None)
    rewritten = notebook.stat().st_mtime_ns, source.stat().st_mtime_ns
    assert all(new != old for new, old in zip(rewritten, written)), "JupyterLab did not write both files"
    assert (notebook.read_bytes(), source.read_bytes()) == before
