"""Every notebook (jupytext percent file) executes top to bottom from an empty namespace in a temporary folder
(one kernel serves all notebooks: starting one and importing the stack was most of each notebook's time)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.py"))


def test_there_are_seven_notebooks():
    assert len(NOTEBOOKS) == 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_hygiene(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
    ], f"{path.name} defines functions; notebooks call the library only"
    text = path.read_text(encoding="utf-8")
    assert "# %%" in text and "format_name: percent" in text
    assert "md.version" in text.rsplit("# %%", 1)[-1], f"{path.name} must end by printing versions"
    assert "plt.show" not in text


@pytest.fixture(scope="module")
def kernel():
    """One Jupyter kernel for every notebook of this module (starting a kernel and importing retrostats,
    pandas and matplotlib in it was most of each notebook's time). Each notebook still starts from an empty
    namespace in its own folder (``%reset -f``, ``os.chdir``, figures closed): see ``_fresh_start``."""
    pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    from nbclient.util import run_sync

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        km = nbclient.NotebookClient(nbformat_new_notebook(), kernel_name="python3").create_kernel_manager()
        try:
            yield km
        finally:
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)


def nbformat_new_notebook():
    import nbformat

    return nbformat.v4.new_notebook()


def _fresh_start(folder) -> str:
    """The first cell run before a notebook in the shared kernel: an empty namespace, the notebook's own
    folder, no figure left open by the notebook before."""
    return (
        "%reset -f\n"
        "import os as _os, matplotlib.pyplot as _plt\n"
        f"_os.chdir({str(folder)!r})\n"
        "_plt.close('all')\n"
        "del _os, _plt"
    )


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, kernel):
    import jupytext
    import nbclient
    import nbformat

    nb = jupytext.read(path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_fresh_start(tmp_path)))
    client = nbclient.NotebookClient(
        nb, km=kernel, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()
    finally:
        if client.kc is not None:
            client.kc.stop_channels()  # this notebook's connection; the kernel stays for the next one
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert not nb.cells[0].get("outputs"), nb.cells[0].get("outputs")  # the fresh start itself ran cleanly
    last = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
    assert "retrostats" in last
