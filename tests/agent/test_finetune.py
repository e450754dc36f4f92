"""LoRA fine-tuning on a real BC5CDR slice: training steps, save, reload and merge."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from peft import PeftModel

from agent.finetune import (
    FinetuneConfig,
    evaluation_loss,
    finetune,
    load_finetune_config,
    register,
)
from agent.llm import LLMConfig
from agent.llm.cache import load_model
from agent.llm.finetune_data import StatementCollator, build_examples, statements
from agent.llm.local import LocalBackend
from agent.llm.testing import shared_local_backend
from retrieval.pubtator import read_pubtator
from tests.conftest import first_documents


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_local_backend(tmp_path_factory.getbasetemp() / "llm-cache").model_dir
    assert folder is not None
    return folder


@pytest.fixture(scope="module")
def cdr_slice(bc5cdr_train: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return first_documents(bc5cdr_train, 6, tmp_path_factory.mktemp("cdr") / "slice.txt")


def test_statements_come_from_cid_relations(cdr_slice: Path) -> None:
    docs = list(read_pubtator(cdr_slice))
    # 227508: CID D008750 (alpha-methyldopa) -> D007022 (hypotensive); 354896: lidocaine.
    assert statements(docs[0]) == ["alpha-methyldopa induces hypotensive."]
    assert statements(docs[1]) == ["Lidocaine induces cardiac asystole."]


def test_examples_mask_context_and_pad_per_batch(model_dir: Path, cdr_slice: Path) -> None:
    config = FinetuneConfig(
        base_model=str(model_dir), data=[str(cdr_slice)], eval_documents=2, context_tokens=16
    )
    tokenizer = load_model(str(model_dir), model_dir.parent)[1]
    train, held_out = build_examples(config, tokenizer)
    assert len({e.pmid for e in held_out}) == 2 and not {e.pmid for e in train} & {
        e.pmid for e in held_out
    }
    batch = StatementCollator(pad_token_id=2)(train[:3])
    longest = max(len(e.context) + len(e.target) for e in train[:3])
    assert batch["input_ids"].shape == (3, longest)  # padded to this batch, not a fixed 128
    for row, e in enumerate(train[:3]):
        kept = batch["labels"][row][batch["labels"][row] != -100].tolist()
        assert kept == e.target  # loss only on the statement


def test_config_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "ft.yaml"
    bad.write_text("max_steps: 0\nlerning_rate: 0.1\n")
    with pytest.raises(ValueError, match=r"ft\.yaml: `max_steps`.*`lerning_rate`: Extra"):
        load_finetune_config(bad)
    bad.write_text("max_steps: [1\n")
    with pytest.raises(ValueError, match=r"ft\.yaml:2: cannot read config"):
        load_finetune_config(bad)


def test_cli_reports_bad_options_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="scidisco")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["finetune", "--max-steps", "0"])
    assert args.func(args) == 2
    assert "finetune options: `max_steps`: Input should be greater than or equal to 1" in (
        capsys.readouterr().err
    )


@pytest.mark.slow
def test_finetune_save_reload_and_merge_round_trip(
    model_dir: Path, cdr_slice: Path, tmp_path: Path
) -> None:
    config = FinetuneConfig(
        base_model=str(model_dir),
        data=[str(cdr_slice)],
        output_dir=tmp_path / "lora",
        eval_documents=2,
        context_tokens=32,
        batch_size=4,
        max_steps=3,
        learning_rate=1e-3,
        num_threads=1,
    )
    out = finetune(config)
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["train/loss"]) == 3
    assert metrics["model/trainable_params"] == 460_800  # 30 layers x 8 x (576+576 + 576+192)
    assert metrics["memory/peak_rss_mib"] > 100
    assert (out / "adapter_config.json").is_file()
    assert FinetuneConfig.model_validate_json((out / "finetune_config.json").read_text()) == config

    base, tokenizer, _ = load_model(str(model_dir), model_dir.parent)
    _, held_out = build_examples(config, tokenizer)
    collator = StatementCollator(int(tokenizer.pad_token_id))
    assert evaluation_loss(base, held_out, collator) == pytest.approx(
        metrics["eval/loss_before"], abs=1e-4
    )
    reloaded = PeftModel.from_pretrained(base, str(out))
    after = evaluation_loss(reloaded, held_out, collator)
    assert after == pytest.approx(metrics["eval/loss_after"], abs=1e-4)
    assert after != pytest.approx(metrics["eval/loss_before"], abs=1e-3)  # training moved it
    merged = reloaded.merge_and_unload()
    assert evaluation_loss(merged, held_out, collator) == pytest.approx(after, abs=1e-4)
    # The same adapter through the LLM config, as `scidisco` runs would load it.
    backend = LocalBackend.load(
        LLMConfig(model=str(model_dir), adapter=out, cache_dir=model_dir.parent, num_threads=1)
    )
    assert evaluation_loss(backend.model, held_out, collator) == pytest.approx(after, abs=1e-4)
