"""`scidisco run` end to end on a small config: real corpus, FAISS, LLM, Prolog, PPO, store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from agent.cli import main

SMALL = Path(__file__).with_name("small.yaml")


@pytest.mark.slow
def test_small_run_writes_a_complete_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(SMALL), "--output-dir", str(tmp_path), "--quiet"]) == 0
    (run_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "config.yaml",
        "manifest.json",
        "hypotheses.jsonl",
        "metrics.json",
        "timings.json",
        "report.md",
        "report.html",
        "plots",
    } <= names

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"corpus", "gold"}
    assert manifest["seeds"] == [0]

    rows = [json.loads(line) for line in (run_dir / "hypotheses.jsonl").read_text().splitlines()]
    assert len(rows) == 6 * 12  # n_targets x max_candidates, every pool full on this slice
    assert all(r["subject"]["id"].startswith("MESH:") for r in rows)
    checks = {v["check"] for r in rows for v in r["verdicts"]}
    assert {"well_typed", "novel", "consistent"} <= checks
    assert sum(bool(r["rationale"]) for r in rows) == 2
    assert sum(r["outcome"] is not None for r in rows) == 3 * 3  # eval targets x budget

    metrics = json.loads((run_dir / "metrics.json").read_text())
    for policy in ("random", "greedy", "ppo"):
        assert 0.0 <= metrics[f"selection/{policy}/discoveries@budget"] <= 3.0
    assert 0.0 <= metrics["ranking/mrr"] <= 1.0
    assert (run_dir / "plots" / "discovery_curves.png").read_bytes()[:4] == b"\x89PNG"

    engine = create_engine(f"sqlite:///{tmp_path / 'review.sqlite'}")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
    assert {"documents", "mentions", "relations"} <= tables
    assert "Run folder:" in capsys.readouterr().out


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rl:\n  budget: -1\n")
    assert main(["run", str(bad), "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml is not a valid run config" in err and "rl.budget" in err
    assert "Traceback" not in err


def test_missing_data_dir_names_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIDISCO_DATA", str(tmp_path / "nowhere"))
    assert main(["check-data"]) == 2
    assert "SCIDISCO_DATA" in capsys.readouterr().err


def test_incomplete_data_dir_lists_missing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-data", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "bio/mesh/terms.tsv" in err and "bio/bc5cdr/CDR_TrainingSet.PubTator.txt" in err
