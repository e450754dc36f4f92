"""Execute ``notebook.ipynb`` headless with this interpreter as its kernel.

The kernel spec is written to a temporary Jupyter path, so the notebook runs in the same
virtual environment as the caller whatever kernels the machine has installed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).with_name("notebook.ipynb")
KERNEL_NAME = "scidisco-baselines"


def _write_kernelspec(root: Path) -> None:
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "scidisco baselines (this interpreter)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))


def execute_notebook(
    out_path: str | Path | None = None, notebook: Path = NOTEBOOK, timeout: int = 600
) -> nbformat.NotebookNode:
    """Run every cell of ``notebook``; raise on the first failing cell.

    Args:
        out_path: where to save the executed copy (with outputs); ``None`` saves nothing.
        notebook: the notebook to run (default: this level's ``notebook.ipynb``).
        timeout: seconds allowed per cell.

    Returns:
        The executed notebook.

    Raises:
        nbclient.exceptions.CellExecutionError: a cell raised; the message shows the cell.
    """
    nb = nbformat.read(notebook, as_version=4)
    repo_root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="jupyter-") as tmp:
        _write_kernelspec(Path(tmp))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (tmp, old) if p)
        try:
            client = NotebookClient(
                nb,
                kernel_name=KERNEL_NAME,
                timeout=timeout,
                resources={"metadata": {"path": str(repo_root)}},
            )
            client.execute()
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old
    if out_path is not None:
        nbformat.write(nb, out_path)
    return nb
