"""Run configs: defaults, overrides, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import UserError, parse_overrides
from agent.config import ConfigError, RunConfig, load_config

DEMO = Path(__file__).resolve().parents[2] / "experiments" / "configs" / "demo.yaml"


def test_demo_config_loads_with_defaults() -> None:
    config = load_config(DEMO)
    assert config.corpus.path == "bio/bc5cdr/CDR_TrainingSet.PubTator.txt"
    assert config.gold.path == "bio/bc5cdr/CDR_DevelopmentSet.PubTator.txt"
    assert config.rl.policies == ["random", "greedy", "ucb", "thompson", "ppo"]
    assert config.retrieval.index == "flat"


def test_overrides_merge_into_nested_sections() -> None:
    config = load_config(DEMO, {"rl": {"budget": 3}, "seed": 7})
    assert (config.rl.budget, config.seed, config.rl.timesteps) == (3, 7, 20000)


def test_unknown_key_is_rejected_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rl:\n  budgets: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml is not a valid run config:\n  rl.budgets"):
        load_config(path)


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("gold:\n  noise: lots\n")
    with pytest.raises(ConfigError, match=r"gold.noise: .*got 'lots'"):
        load_config(path)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("rl: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_chunk_overlap_must_be_below_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        RunConfig.model_validate({"retrieval": {"chunk_size": 200, "chunk_overlap": 200}})


def test_cli_overrides_are_typed_and_nested() -> None:
    assert parse_overrides(["rl.budget=3", "agent.symbolic_filter=false", "name=x"]) == {
        "rl": {"budget": 3},
        "agent": {"symbolic_filter": False},
        "name": "x",
    }
    with pytest.raises(UserError, match="KEY=VALUE"):
        parse_overrides(["rl.budget"])


def test_every_corpus_format_has_a_reader() -> None:
    # `corpus.format` goes to retrieval.corpus.read_corpus as it is.
    from typing import get_args

    from agent.config import CorpusConfig
    from retrieval.corpus import READERS

    formats = get_args(CorpusConfig.model_fields["format"].annotation)
    assert set(formats) == {"auto", *READERS}
