"""The notebook is committed clean and still runs top to bottom."""

from __future__ import annotations

from pathlib import Path

import nbformat

from baselines.level1_eda.notebook_runner import NOTEBOOK, execute_notebook


def test_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_notebook_executes_and_shows_tables_and_plots(tmp_path: Path) -> None:
    nb = execute_notebook(tmp_path / "executed.ipynb")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # distributions, pairs, confusion matrix
    texts = "\n".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "(344, 8)" in [o.get("text", "").strip() for o in outputs if o.output_type == "stream"]
    assert "logistic_regression" in texts and "cv_roc_auc_mean" in texts
    assert (tmp_path / "executed.ipynb").exists()
