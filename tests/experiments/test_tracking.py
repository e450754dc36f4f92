"""MLflow names: reversible escaping checked by hand; real logging into a local SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent.cli import main
from experiments.tracking import flatten, log_run_dirs, mlflow_name, original_name
from tests.experiments.test_e1_timesliced import write_time_slice

# Metric names as E1, E4 and E5 write them.
NAMES = {
    "e1/ranker+llm+filter/hits@10": "e1/ranker_plus_llm_plus_filter/hits_at_10",
    "control_permuted/ppo/discoveries@50": "control_permuted/ppo/discoveries_at_50",
    "e5/evidence/bm25/recall@1": "e5/evidence/bm25/recall_at_1",
    "corpus:cdr.txt": "corpus_u003a_cdr.txt",
    "dose µg": "dose _u00b5_g",
    "plain/name_with-dots.and spaces": "plain/name_with-dots.and spaces",
}


def test_names_are_escaped_as_documented_and_undone() -> None:
    for name, logged in NAMES.items():
        assert mlflow_name(name) == logged
        assert original_name(logged) == name


def test_a_name_holding_an_escape_sequence_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'hits_at_10' contains an escape sequence"):
        mlflow_name("hits_at_10")
    with pytest.raises(ValueError, match="escape sequence"):
        mlflow_name("x_u0040_y")


def test_flatten_nests_with_dots_and_lists_as_json() -> None:
    tree = {"name": "e1", "params": {"top_k": 100, "extra": ["a", "b"], "ppo": {"lr": 0.1}}}
    assert flatten(tree) == {
        "name": "e1",
        "params.top_k": "100",
        "params.extra": '["a", "b"]',
        "params.ppo.lr": "0.1",
    }


def _store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_run_folder_with_at_and_plus_names_logs_for_real(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    run_dir = tmp_path / "seed-3"
    run_dir.mkdir()
    metrics = {name: float(i) / 10 for i, name in enumerate(NAMES)}
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    config = {"name": "e1_like", "task": "e1_ranking", "params": {"extra_facts": ["x"]}}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(config))
    (run_id,) = log_run_dirs("e1_like", [run_dir], _store(tmp_path))

    run = mlflow.MlflowClient(_store(tmp_path)).get_run(run_id)
    assert {original_name(k): v for k, v in run.data.metrics.items()} == metrics
    assert run.data.params["params.extra_facts"] == '["x"]'
    assert run.info.run_name == "seed-3"


def test_cli_logs_each_seed_with_its_resolved_params(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    params = write_time_slice(tmp_path)
    config = tmp_path / "ts.yaml"
    config.write_text(yaml.safe_dump({"name": "ts", "task": "e1_timesliced", "params": params}))
    out, uri = tmp_path / "runs", _store(tmp_path)
    argv = ["experiment", "run", str(config), "--seeds", "0", "1", "--out", str(out)]
    assert main([*argv, "--mlflow", "--mlflow-uri", uri]) == 0

    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("ts")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"seed-0", "seed-1"}
    seed1 = runs["seed-1"]
    recorded = json.loads((out / "ts" / "seed-1" / "metrics.json").read_text())
    assert {original_name(k): v for k, v in seed1.data.metrics.items()} == recorded
    assert seed1.data.params["params.cutoff"] == "year"  # a default, from the resolved config
    artifacts = {a.path for a in client.list_artifacts(seed1.info.run_id)}
    assert {"metrics.json", "manifest.json", "config.yaml", "table.md", "run.log"} <= artifacts
