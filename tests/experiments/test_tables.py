"""Aggregating run folders: mean and sample standard deviation over seeds, checked by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from experiments.multirun import ExperimentError
from experiments.tables import aggregate, collect, plot_metrics, write_tables


def _run_folder(root: Path, seed: int, metrics: dict[str, float]) -> Path:
    run_dir = root / f"seed-{seed}"
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"name": "toy", "task": "discovery"}))
    (run_dir / "manifest.json").write_text(json.dumps({"seeds": [seed]}))
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    return run_dir


def test_mean_and_std_over_seeds(tmp_path: Path) -> None:
    dirs = [
        _run_folder(tmp_path, 0, {"eval/hits@10": 0.2, "eval/mrr": 0.1}),
        _run_folder(tmp_path, 1, {"eval/hits@10": 0.4, "eval/mrr": 0.1}),
        _run_folder(tmp_path, 2, {"eval/hits@10": 0.6, "eval/mrr": 0.1}),
    ]
    table = aggregate(collect(dirs)).set_index("metric")
    assert table.loc["eval/hits@10", "mean"] == pytest.approx(0.4)
    assert table.loc["eval/hits@10", "std"] == pytest.approx(0.2)  # sample std of .2 .4 .6
    assert table.loc["eval/mrr", "std"] == pytest.approx(0.0)
    assert table.loc["eval/mrr", "count"] == 3

    out = tmp_path / "tables"
    csv, md, tex = write_tables(aggregate(collect(dirs)), out)
    assert "0.4000 ± 0.2000" in md.read_text()
    assert r"0.4000 $\pm$ 0.2000" in tex.read_text()
    assert csv.read_text().startswith("experiment,metric,mean,std,count")
    (png,) = plot_metrics(aggregate(collect(dirs)), out)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_folder_without_metrics_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExperimentError, match=r"empty has no metrics\.json"):
        collect([tmp_path / "empty"])
