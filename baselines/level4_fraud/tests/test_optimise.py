"""Int8 quantization, distillation and LoRA mechanics on real feature rows; the full run (slow)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from peft import LoraConfig, get_peft_model
from scipy.stats import spearmanr

from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.nets import FraudNet, n_parameters, predict, train_net
from baselines.level4_fraud.optimise import (
    Data,
    export_onnx,
    ort_scorer,
    prepare,
    quantize_int8,
    run_optimisation,
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Tiny batches: a second intra-op thread only adds contention on a busy 2-core machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def small(l4_config: Level4Config, l4_features: pd.DataFrame) -> Data:
    return prepare(l4_config, l4_features)


@pytest.fixture(scope="module")
def net(small: Data) -> FraudNet:
    torch.manual_seed(0)
    rows = slice(0, 20_000)
    return train_net(FraudNet(small.x_train.shape[1]), small.x_train[rows], small.y_train[rows])


def test_prepare_uses_the_handbook_split_and_the_following_week(small: Data):
    assert small.x_train.shape == (67_240, 19)  # 15 handbook inputs + 3 ratios + log amount
    assert small.y_train.sum() == 598
    assert (len(small.x_next), small.y_next.sum()) == (66_975, 626)  # data README: delay week
    assert (len(small.x_test), len(small.test)) == (58_264, 58_264)
    np.testing.assert_allclose(small.x_train.mean(axis=0), 0, atol=1e-9)  # scaled on training


def test_onnx_fp32_equals_torch_and_int8_stays_close(net: FraudNet, small: Data, tmp_path: Path):
    fp32 = export_onnx(net, small.x_train.shape[1], tmp_path / "fp32.onnx")
    int8 = quantize_int8(fp32, tmp_path / "int8.onnx")
    x = small.x_test[:5000]
    reference = predict(net, x)
    np.testing.assert_allclose(ort_scorer(fp32)(x), reference, atol=1e-5)
    quantized = ort_scorer(int8)(x)
    assert not np.allclose(quantized, reference, atol=1e-7)  # the weights really changed
    assert np.abs(quantized - reference).max() < 0.05
    assert int8.stat().st_size < 0.45 * fp32.stat().st_size  # 4-byte weights became 1-byte


def test_lora_trains_only_its_adapters_and_merges_exactly(net: FraudNet, small: Data):
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["fc1", "fc2", "out"], lora_dropout=0.0)
    lora = get_peft_model(copy.deepcopy(net), config)
    # Rank 4 adds r * (inputs + outputs) per layer: 19->128, 128->64, 64->1.
    assert n_parameters(lora, trainable_only=True) == 4 * ((19 + 128) + (128 + 64) + (64 + 1))
    before = {k: v.clone() for k, v in lora.named_parameters() if "lora_" not in k}
    lora = train_net(lora, small.x_next[:5000], small.y_next[:5000], epochs=1, lr=3e-3)
    after = dict(lora.named_parameters())
    assert all(torch.equal(before[k], after[k]) for k in before)  # base weights frozen
    x = small.x_test[:2000]
    assert not np.allclose(predict(lora, x), predict(net, x), atol=1e-6)  # adapters learnt
    merged = copy.deepcopy(lora).merge_and_unload()
    np.testing.assert_allclose(predict(merged, x), predict(lora, x), atol=1e-5)


def test_soft_targets_train_a_student(small: Data):
    # A student fitted to a teacher's probabilities reproduces their ranking on new rows.
    x, fresh = small.x_train[:5000], small.x_train[5000:7000]

    def teacher(rows: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(rows[:, 0] - 2 * rows[:, 3])))

    torch.manual_seed(0)
    student = train_net(FraudNet(x.shape[1], hidden=(16,)), x, teacher(x), epochs=40, lr=3e-3)
    assert spearmanr(predict(student, fresh), teacher(fresh)).statistic > 0.95


@pytest.mark.slow
def test_full_optimisation_run(tmp_path: Path):
    results = run_optimisation(None, tmp_path)
    saved = json.loads((tmp_path / "optimisation.json").read_text())
    assert saved == json.loads(json.dumps(results))
    quant = {r["variant"]: r for r in results["quantization"]}
    fp32, int8 = quant["net fp32 (onnxruntime)"], quant["net int8 (onnxruntime)"]
    assert int8["size_bytes"] < 0.45 * fp32["size_bytes"]
    assert abs(int8["auc_roc"] - fp32["auc_roc"]) < 0.01
    lora = {r["variant"]: r for r in results["lora"]}
    # Full fine-tuning trains all 19*128+128 + 128*64+64 + 64+1 = 10,881 weights; rank-4 LoRA on
    # the same three layers 4 * ((19+128) + (128+64) + (64+1)) = 1,616, i.e. 14.9 %. The saving
    # is small because the layers are small: LoRA costs r * (in + out) against in * out, and on
    # the 64->1 output layer its 260 weights exceed the layer's own 65.
    full, adapted = lora["full fine-tuning"], lora["LoRA r=4 (peft)"]
    assert (full["trained_parameters"], adapted["trained_parameters"]) == (10_881, 1_616)
    assert adapted["size_bytes"] < 0.5 * full["size_bytes"]  # the adapter is what ships
    assert lora["LoRA r=4 merged"]["auc_roc"] == pytest.approx(adapted["auc_roc"], abs=1e-4)
    assert all(r["auc_roc"] > 0.8 for rows in results.values() for r in rows)
    assert "## lora" in (tmp_path / "optimisation.md").read_text()
