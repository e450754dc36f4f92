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
        "index",
        "proposals.jsonl",
    } <= names
    proposals = [json.loads(x) for x in (run_dir / "proposals.jsonl").read_text().splitlines()]
    assert all(p["provenance"]["generator"] == "llm" and p["verdicts"] for p in proposals)

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"corpus", "gold", "mesh_terms", "mesh_trees"}
    assert manifest["seeds"] == [0]

    rows = [json.loads(line) for line in (run_dir / "hypotheses.jsonl").read_text().splitlines()]
    assert len(rows) == 6 * 12  # n_targets x max_candidates, every pool full on this slice
    assert all(r["subject"]["id"].startswith("MESH:") for r in rows)
    checks = {v["check"] for r in rows for v in r["verdicts"]}
    assert {"well_typed", "novel", "consistent"} <= checks
    assert sum(bool(r["rationale"]) for r in rows) == 2
    # Evidence passages carry the corpus's mentions, with offsets into the passage itself.
    evidence = [e for r in rows for e in r["evidence"]]
    assert evidence and all(e["mentions"] for e in evidence)
    assert any(
        set(m["entity_ids"]) & {r["subject"]["id"], r["object"]["id"]}
        for r in rows
        for e in r["evidence"]
        for m in e["mentions"]
    )
    assert sum(r["outcome"] is not None for r in rows) == 3 * 3  # eval targets x budget

    metrics = json.loads((run_dir / "metrics.json").read_text())
    for policy in ("random", "greedy", "ppo"):
        assert 0.0 <= metrics[f"selection/{policy}/discoveries@budget"] <= 3.0
    assert 0.0 <= metrics["ranking/mrr"] <= 1.0
    assert (run_dir / "plots" / "discovery_curves.png").read_bytes()[:4] == b"\x89PNG"

    engine = create_engine(f"sqlite:///{tmp_path / 'review.sqlite'}")
    with engine.connect() as conn:
        tables = {r[0] for r in conn.execute(text("select name from sqlite_master"))}
        documents = conn.execute(text("select count(*) from documents")).scalar()
    assert {"documents", "mentions", "relations"} <= tables
    assert documents == 150
    # The review app reads the same store: every hypothesis of the run, with its verdicts.
    from hitl.queries import Filters
    from hitl.service import get_hypothesis, list_hypotheses

    db = f"sqlite:///{tmp_path / 'review.sqlite'}"
    queue = list_hypotheses(db, Filters(run=run_dir.name), per_page=200)
    assert queue.total == len(rows) and {i.id for i in queue.items} == {r["id"] for r in rows}
    best = get_hypothesis(db, rows[0]["id"])
    assert [v.check for v in best.verdicts] == [v["check"] for v in rows[0]["verdicts"]]
    out = capsys.readouterr().out
    assert "Run folder:" in out and f"--db sqlite:///{tmp_path / 'review.sqlite'}" in out


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


def test_missing_corpus_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("corpus:\n  path: bio/nowhere/corpus.txt\n")
    assert main(["run", str(config), "--output-dir", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bio/nowhere/corpus.txt" in err and "corpus.path" in err
    assert "Traceback" not in err
    assert not any(tmp_path.glob("run*/metrics.json"))  # nothing ran


def test_malformed_corpus_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "broken.pubtator"
    corpus.write_text("123|t|A title\n123|a|An abstract\n123\t0\t1\tA\n\n")
    config = tmp_path / "mine.yaml"
    config.write_text(f"corpus:\n  path: {corpus}\n")
    assert main(["run", str(config), "--output-dir", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "broken.pubtator, line 3" in err and "Traceback" not in err


@pytest.mark.slow
def test_quiet_run_prints_no_progress_bar(tmp_path: Path) -> None:
    # A fresh process, as a user runs it: tqdm reads TQDM_DISABLE once, at import, so the
    # flag must be set before the pipeline's modules load.
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "agent.cli", "run", str(SMALL), "--quiet"]
    command += ["--output-dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, cwd=SMALL.parents[2], timeout=900
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Top " in done.stdout
    for bar in ("it/s]", "s/it]", "batch/s]", "s/batch]"):
        assert bar not in done.stderr, bar
