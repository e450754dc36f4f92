"""The runner's run folder: resolved params, INFO logs, per-seed memory, complete checksums.

Runs the cheap real time-sliced E1 task on the hand-made slice of test_e1_timesliced.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from experiments import tasks
from experiments.benchmarks.e1_timesliced import TimeSlicedParams
from experiments.inputs import record_reads, unlisted
from experiments.multirun import ExperimentError, load_experiment, run_experiment, run_seed
from experiments.reproduce import reproduce
from experiments.resources import ResourceMeter, peak_rss_mb
from experiments.tasks import BENCHMARKS, ExperimentConfig, TaskOutput, resolve_params
from tests.experiments.test_e1_timesliced import write_time_slice

CONFIGS = Path(__file__).resolve().parents[2] / "experiments" / "configs"


@pytest.fixture
def warning_root() -> Iterator[None]:
    """The root logger as a Ray worker has it: nothing configured, level WARNING."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    yield
    root.setLevel(level)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ExperimentConfig:
    params = write_time_slice(tmp_path_factory.mktemp("slice"))
    return ExperimentConfig(name="ts", task="e1_timesliced", threads=1, params=params)


@pytest.fixture(scope="module")
def runs(config: ExperimentConfig, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        return run_experiment(config, [0, 1], tmp_path_factory.mktemp("runs"))
    finally:
        root.setLevel(level)


def test_config_yaml_holds_every_resolved_default(
    config: ExperimentConfig, runs: list[Path]
) -> None:
    written = yaml.safe_load((runs[0] / "config.yaml").read_text())
    assert written["task"] == "e1_timesliced" and written["threads"] == 1
    assert set(written["params"]) == set(TimeSlicedParams.model_fields)
    expected = TimeSlicedParams.model_validate(config.params).model_dump(mode="json")
    assert written["params"] == expected
    assert written["params"]["cutoff"] == "year" and written["params"]["modes"] == [
        "exact",
        "exploded",
    ]
    result = reproduce(runs[0], runs[0].parent / "rerun")
    assert result.identical, result.differences


def test_run_log_carries_info_records_with_a_warning_root_logger(runs: list[Path]) -> None:
    log = (runs[1] / "run.log").read_text()
    assert " INFO experiments.multirun: ts seed 1: params " in log
    assert " INFO experiments.benchmarks.e1_timesliced_data: dated literature: 5 abstracts" in log


def test_timings_record_each_seeds_peak_and_its_scope(runs: list[Path]) -> None:
    for run_dir in runs:
        timings = json.loads((run_dir / "timings.json").read_text())
        assert timings["wall_s"] > 0 and timings["peak_rss_mb"] > 50
        assert timings["peak_rss_scope"] == "seed"  # Linux: /proc/self/clear_refs is writable
    assert "Wall time" in (runs[0] / "table.md").read_text()


def test_meter_reset_forgets_an_earlier_peak() -> None:
    block = bytearray(300 * 2**20)  # 300 MiB, touched so that it is resident
    block[::4096] = b"x" * len(block[::4096])
    before = peak_rss_mb()
    del block
    usage = ResourceMeter().usage()
    assert usage.scope == "seed" and usage.peak_rss_mb < before - 200


def test_manifest_checksums_every_file_the_task_read(runs: list[Path], data_dir: Path) -> None:
    inputs = json.loads((runs[0] / "manifest.json").read_text())["inputs"]
    assert {"pairs", "discoveries", "literature", "mesh_terms", "mesh_tree_numbers"} == set(inputs)
    assert inputs["mesh_terms"]["path"] == str(data_dir / "bio/mesh/terms.tsv")


def test_a_file_read_but_not_listed_is_added_and_warned_about(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, data_dir: Path, warning_root: None
) -> None:
    def forgetful(params: dict[str, Any], seed: int, run_dir: Path) -> TaskOutput:
        lines = (data_dir / "bio/mesh/terms.tsv").read_text().count("\n")
        return TaskOutput(metrics={"lines": float(lines)})

    monkeypatch.setitem(tasks.TASKS, "forgetful", forgetful)
    config = ExperimentConfig(name="f", task="forgetful", threads=1)
    run_dir = run_seed(config, 0, tmp_path / "seed-0")
    inputs = json.loads((run_dir / "manifest.json").read_text())["inputs"]
    assert list(inputs) == ["unlisted:bio/mesh/terms.tsv"]
    assert "read data files it does not list" in (run_dir / "run.log").read_text()
    assert logging.getLogger().level == logging.WARNING  # lowered for the seed only


def test_record_reads_sees_reads_under_the_root_only(data_dir: Path, tmp_path: Path) -> None:
    terms = data_dir / "bio/mesh/terms.tsv"
    with record_reads(data_dir) as reads:
        terms.open().close()
        (tmp_path / "out.txt").write_text("x")  # outside the root, and a write
    terms.open().close()  # after the block
    assert reads == {str(terms)}
    assert unlisted(reads, {"mesh": terms}) == []
    assert unlisted(reads, {}) == [terms]


@pytest.mark.parametrize("opened", ["through the link", "resolved"])
def test_reads_through_a_linked_data_directory_are_named_under_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    data_dir: Path,
    warning_root: None,
    opened: str,
) -> None:
    # CI's ../shared may be a symbolic link; the data root may be given through it or
    # resolved, and a task may open files either way.
    link = tmp_path / "shared"
    link.symlink_to(data_dir.resolve(), target_is_directory=True)
    for root in (link, data_dir.resolve()):
        monkeypatch.setenv("SCIDISCO_DATA", str(root))
        terms = link / "bio/mesh/terms.tsv"
        path = terms if opened == "through the link" else terms.resolve()

        def reader(
            params: dict[str, Any], seed: int, run_dir: Path, path: Path = path
        ) -> TaskOutput:
            return TaskOutput(
                metrics={"lines": float(path.read_text().count("\n"))}, inputs_from_reads=True
            )

        monkeypatch.setitem(tasks.TASKS, "reader", reader)
        config = ExperimentConfig(name="r", task="reader", threads=1)
        run_dir = run_seed(config, 0, tmp_path / f"{root.name}-seed-0")
        inputs = json.loads((run_dir / "manifest.json").read_text())["inputs"]
        assert list(inputs) == ["read:bio/mesh/terms.tsv"], root


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("e*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_benchmark_config_resolves_and_round_trips(path: Path) -> None:
    config = load_experiment(path)
    module, class_name = BENCHMARKS[config.task]
    resolved = resolve_params(config.task, config.params)
    again = resolve_params(config.task, resolved)
    assert again == resolved  # the written config.yaml validates to itself
    model = getattr(
        __import__(f"experiments.benchmarks.{module}", fromlist=[class_name]), class_name
    )
    excluded = getattr(model, "RESOLVED_EXCLUDE", {})
    assert set(resolved) == set(model.model_fields)
    for field, sub in excluded.items():  # E2: the fields it sets itself stay out
        assert not set(sub) & set(resolved[field])


def test_bad_params_name_the_task_and_field(tmp_path: Path) -> None:
    config = ExperimentConfig(name="x", task="e1_timesliced", params={"cutof": "year"})
    with pytest.raises(ExperimentError, match=r"(?s)`params` of task `e1_timesliced`.*cutof"):
        run_seed(config, 0, tmp_path)


@pytest.mark.slow
def test_ray_workers_write_info_records_and_the_same_metrics(
    config: ExperimentConfig, runs: list[Path], tmp_path: Path
) -> None:
    dirs = run_experiment(config, [0, 1], tmp_path, backend="ray", workers=2)
    for local, remote in zip(runs, dirs, strict=True):
        assert (remote / "metrics.json").read_bytes() == (local / "metrics.json").read_bytes()
        log = (remote / "run.log").read_text()
        assert f" INFO experiments.multirun: ts seed {remote.name[-1]}: params " in log
        assert " INFO experiments.benchmarks.e1_timesliced_data: dated literature" in log
        assert json.loads((remote / "timings.json").read_text())["peak_rss_scope"] == "seed"
