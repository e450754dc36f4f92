"""Model optimisation experiments: int8 quantization, distillation and LoRA adaptation.

``python -m baselines.level4_fraud.optimise [--config PATH] [--out DIR]``

Each variant is measured for size, single-payment latency and the handbook's three measures on
the test week. Quantization uses ONNX Runtime's dynamic int8 quantization (weights int8,
activations quantized per batch at run time) on the CPU execution provider: it is maintained,
runs on this CPU, and avoids torch.ao's deprecated ``quantize_dynamic``.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import io
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import joblib
import numpy as np
import onnxruntime as ort
import pandas as pd
import torch
from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic
from peft import LoraConfig, get_peft_model, get_peft_model_state_dict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import ConfigError, Level4Config, load_config
from baselines.level4_fraud.data import DataFormatError, MissingDataError, day_slice
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.models import AmountRatios, make_model
from baselines.level4_fraud.nets import FraudNet, n_parameters, predict, train_net
from baselines.level4_fraud.task import build_features, default_out_dir

logger = logging.getLogger(__name__)


@dataclass
class Data:
    """Scaled inputs of the training week, the week after it and the test days."""

    prep: Pipeline
    x_train: np.ndarray
    y_train: np.ndarray
    x_next: np.ndarray
    y_next: np.ndarray
    x_test: np.ndarray
    test: pd.DataFrame

    @property
    def bench(self) -> np.ndarray:
        """The first 2,000 test rows, scored one at a time for latency."""
        return self.x_test[:2000]


def prepare(cfg: Level4Config, frame: pd.DataFrame | None = None) -> Data:
    """Split the feature rows (computed from ``cfg`` when not given) and fit the scaling."""
    frame = build_features(cfg) if frame is None else frame
    names = feature_names(cfg.features.windows_days)
    train, test = evaluation.train_test_split(frame, cfg.split)
    next_start = cfg.split.train_start + dt.timedelta(days=cfg.split.delta_train)
    following = day_slice(frame, next_start, cfg.split.delta_train)
    steps: list = [AmountRatios()] if cfg.models.amount_ratios else []
    prep = make_pipeline(*steps, StandardScaler()).fit(train[names].to_numpy())
    return Data(
        prep,
        prep.transform(train[names].to_numpy()),
        train["TX_FRAUD"].to_numpy(),
        prep.transform(following[names].to_numpy()),
        following["TX_FRAUD"].to_numpy(),
        prep.transform(test[names].to_numpy()),
        test,
    )


def latency_ms(score_one: Callable[[np.ndarray], object], rows: np.ndarray) -> dict[str, float]:
    """p50 / p99 of scoring one row at a time (milliseconds), after 50 warm-up calls."""
    for row in rows[:50]:
        score_one(row[None, :])
    times = []
    for row in rows:
        start = time.perf_counter()
        score_one(row[None, :])
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p99_ms": float(np.percentile(times, 99))}


def export_onnx(net: torch.nn.Module, n_inputs: int, path: Path) -> Path:
    """Write ``net`` as an ONNX graph with input ``x`` (rows, features) and output ``logit``."""
    torch.onnx.export(
        net,
        (torch.zeros(1, n_inputs),),
        str(path),
        dynamo=False,  # the TorchScript exporter needs no onnxscript
        input_names=["x"],
        output_names=["logit"],
        dynamic_axes={"x": {0: "n"}, "logit": {0: "n"}},
    )
    return path


def quantize_int8(fp32_path: Path, int8_path: Path) -> Path:
    """ONNX Runtime dynamic quantization: int8 weights, activations quantized per call."""
    prepped = int8_path.with_suffix(".pre.onnx")
    quant_pre_process(str(fp32_path), str(prepped))  # shape inference and graph clean-up
    quantize_dynamic(str(prepped), str(int8_path), weight_type=QuantType.QInt8)
    prepped.unlink()
    return int8_path


def ort_scorer(model_path: Path) -> Callable[[np.ndarray], np.ndarray]:
    """A function mapping a float matrix to fraud probabilities with an ONNX Runtime session."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one payment at a time: threads only add overhead
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])

    def score(x: np.ndarray) -> np.ndarray:
        logit = session.run(None, {"x": x.astype(np.float32)})[0]
        return 1 / (1 + np.exp(-logit))

    return score


def _row(name: str, scores: np.ndarray, d: Data, k: int, size: int, lat: dict) -> dict:
    return {"variant": name, **evaluation.evaluate(d.test, scores, k), "size_bytes": size, **lat}


def _ort_row(label: str, path: Path, d: Data, k: int) -> dict:
    scorer = ort_scorer(path)
    return _row(label, scorer(d.x_test), d, k, path.stat().st_size, latency_ms(scorer, d.bench))


def quantization(d: Data, cfg: Level4Config, out: Path) -> list[dict]:
    """A 128-64 network in fp32 (torch and ONNX Runtime) against its int8 ONNX Runtime copy."""
    torch.manual_seed(cfg.models.seed)
    net = train_net(FraudNet(d.x_train.shape[1]), d.x_train, d.y_train, seed=cfg.models.seed)
    torch.save(net.state_dict(), out / "net_fp32.pt")
    fp32_path = export_onnx(net, d.x_train.shape[1], out / "net_fp32.onnx")
    int8_path = quantize_int8(fp32_path, out / "net_int8.onnx")
    torch_lat = latency_ms(lambda x: predict(net, x), d.bench)
    size = (out / "net_fp32.pt").stat().st_size
    return [
        _row("net fp32 (torch)", predict(net, d.x_test), d, cfg.top_k, size, torch_lat),
        _ort_row("net fp32 (onnxruntime)", fp32_path, d, cfg.top_k),
        _ort_row("net int8 (onnxruntime)", int8_path, d, cfg.top_k),
    ]


def distillation(d: Data, cfg: Level4Config, out: Path) -> list[dict]:
    """Gradient-boosting teacher against a 16-unit student trained on labels or on the teacher.

    The distilled student fits ``0.5 * teacher probability + 0.5 * label``: the teacher's soft
    scores carry its ranking of the many legitimate payments, the labels keep it honest.
    """
    teacher_cfg = cfg.models.model_copy(update={"amount_ratios": False, "n_jobs": 1})
    teacher = make_model("gradient_boosting", teacher_cfg).fit(d.x_train, d.y_train)
    soft = teacher.predict_proba(d.x_train)[:, 1]
    joblib.dump(teacher, out / "teacher_gb.joblib")
    rows = [
        _row(
            "teacher: gradient boosting",
            teacher.predict_proba(d.x_test)[:, 1],
            d,
            cfg.top_k,
            (out / "teacher_gb.joblib").stat().st_size,
            latency_ms(teacher.predict_proba, d.bench),
        )
    ]
    for label, targets in (
        ("student on labels", d.y_train),
        ("student distilled", 0.5 * soft + 0.5 * d.y_train),
    ):
        torch.manual_seed(cfg.models.seed)
        student = FraudNet(d.x_train.shape[1], hidden=(16,))
        student = train_net(student, d.x_train, targets, epochs=30, seed=cfg.models.seed)
        path = export_onnx(student, d.x_train.shape[1], out / f"{label.replace(' ', '_')}.onnx")
        rows.append(_ort_row(label, path, d, cfg.top_k))
    return rows


def _state_bytes(state: dict[str, torch.Tensor]) -> int:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return len(buffer.getvalue())


def lora_adaptation(d: Data, cfg: Level4Config, out: Path) -> list[dict]:
    """A net trained on the training week, adapted to the following week three ways.

    No adaptation, full fine-tuning of every weight, and LoRA (rank 4 on every linear layer,
    base weights frozen); all evaluated on the test week. Size is what must be shipped on top of
    the base net: everything for full fine-tuning, only the adapter for LoRA. LoRA is timed both
    as peft wraps it and merged into the base weights (what a service would deploy).
    """
    torch.manual_seed(cfg.models.seed)
    base = train_net(FraudNet(d.x_train.shape[1]), d.x_train, d.y_train, seed=cfg.models.seed)
    full = train_net(copy.deepcopy(base), d.x_next, d.y_next, epochs=5, lr=3e-4)
    lora_cfg = LoraConfig(r=4, lora_alpha=8, target_modules=["fc1", "fc2", "out"], lora_dropout=0.0)
    lora = get_peft_model(copy.deepcopy(base), lora_cfg)
    lora = train_net(lora, d.x_next, d.y_next, epochs=5, lr=3e-3)
    adapter = get_peft_model_state_dict(lora)
    merged = copy.deepcopy(lora).merge_and_unload()
    variants = (
        ("no adaptation", base, _state_bytes(base.state_dict()), 0),
        ("full fine-tuning", full, _state_bytes(full.state_dict()), n_parameters(full)),
        ("LoRA r=4 (peft)", lora, _state_bytes(adapter), n_parameters(lora, trainable_only=True)),
        ("LoRA r=4 merged", merged, _state_bytes(adapter), n_parameters(lora, trainable_only=True)),
    )
    rows = []
    for label, net, size, trained in variants:
        lat = latency_ms(partial(predict, net), d.bench)
        row = _row(label, predict(net, d.x_test), d, cfg.top_k, size, lat)
        row["trained_parameters"] = trained
        rows.append(row)
    return rows


def table(rows: list[dict], k: int) -> str:
    """Markdown table of experiment rows."""
    lines = [
        f"| variant | AUC ROC | AP | CP@{k} | size (bytes) | p50 ms | p99 ms | trained params |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [
            f"{r['auc_roc']:.3f}",
            f"{r['average_precision']:.3f}",
            f"{r[f'card_precision@{k}']:.3f}",
            str(r["size_bytes"] or "-"),
            f"{r['p50_ms']:.3f}" if "p50_ms" in r else "-",
            f"{r['p99_ms']:.3f}" if "p99_ms" in r else "-",
            str(r.get("trained_parameters", "-")),
        ]
        lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_optimisation(config: str | Path | None = None, out_dir: str | Path | None = None) -> dict:
    """Run the three experiments; write optimisation.json and optimisation.md to ``out_dir``."""
    cfg = load_config(config)
    out = Path(out_dir) if out_dir is not None else default_out_dir("level4_optimise")
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    d = prepare(cfg)
    results = {}
    for name, experiment in (
        ("quantization", quantization),
        ("distillation", distillation),
        ("lora", lora_adaptation),
    ):
        logger.info("experiment %s", name)
        results[name] = experiment(d, cfg, out)
    (out / "optimisation.json").write_text(json.dumps(results, indent=2))
    md = "".join(f"## {name}\n\n{table(rows, cfg.top_k)}\n" for name, rows in results.items())
    (out / "optimisation.md").write_text(md)
    print(md)
    return results


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; 2 on a user mistake (bad config, missing data)."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.optimise")
    parser.add_argument("--config", default=None, help="YAML config (default: packaged one)")
    parser.add_argument("--out", default=None, help="output folder (default: runs/baselines/...)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        run_optimisation(args.config, args.out)
    except (ConfigError, MissingDataError, DataFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
