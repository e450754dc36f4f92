"""Level 4 entry point: online features, parity check, model comparison, saved scorer."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

from baselines.level4_fraud import data, evaluation
from baselines.level4_fraud.config import Level4Config, SplitConfig, load_config
from baselines.level4_fraud.features import compute_features, feature_names, parity_report
from baselines.level4_fraud.models import HANDBOOK, HANDBOOK_ROW, make_model

logger = logging.getLogger(__name__)
MEASURES = ("auc_roc", "average_precision", "card_precision@{k}")
# The split of the handbook's numbers: train 2018-07-25..31, delay 08-01..07, test 08-08..14.
HANDBOOK_SPLIT = SplitConfig(train_start=dt.date(2018, 7, 25))


def default_out_dir(name: str = "level4_fraud") -> Path:
    """``runs/baselines/<name>/<UTC timestamp>/`` under the working directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path("runs") / "baselines" / name / stamp


def handbook_comparison(
    metrics: dict[str, float], name: str, k: int, split: SplitConfig
) -> dict[str, bool] | None:
    """Per measure, whether ``name`` meets or beats the handbook (both rounded to 3 decimals).

    The handbook prints 3 decimals (0.68 for 0.680), so "meets" means equal at that precision.
    None when the model has no handbook row, ``k`` is not the handbook's 100 or ``split`` is
    not the handbook's (its numbers say nothing about other weeks).
    """
    if name not in HANDBOOK_ROW or k != 100 or split != HANDBOOK_SPLIT:
        return None
    reference = HANDBOOK[HANDBOOK_ROW[name]]
    ours = [metrics[f"test/{name}/{m.format(k=k)}"] for m in MEASURES]
    return {
        m.format(k=k): round(v, 3) >= ref
        for m, v, ref in zip(MEASURES, ours, reference, strict=True)
    }


class SplitError(ValueError):
    """The configured split selects no training or no test rows."""


def build_features(config: Level4Config) -> pd.DataFrame:
    """Feature rows for the whole stream ('online') or the shipped file ('file')."""
    windows = config.features.windows_days
    if config.features.source == "file":
        return data.load_feature_file(config)
    stream = data.load_stream(config)
    return compute_features(stream, windows, config.features.terminal_delay_days)


def check_parity(config: Level4Config, frame: pd.DataFrame) -> dict:
    """Compare the recomputed features with the shipped file on the days both cover."""
    names = feature_names(config.features.windows_days)
    report = parity_report(frame, data.load_feature_file(config), names)
    logger.info(
        "feature parity: %d of %d rows differ", report["rows_mismatched"], report["rows_compared"]
    )
    return report


def fit_and_evaluate(
    config: Level4Config, train: pd.DataFrame, test: pd.DataFrame, out_dir: Path
) -> dict[str, float]:
    """Fit each configured model on the training days and score the test days."""
    names = feature_names(config.features.windows_days)
    x_train, y_train = train[names].to_numpy(), train["TX_FRAUD"].to_numpy()
    metrics: dict[str, float] = {}
    for name in tqdm(config.models.names, desc="models", unit="model"):
        start = time.perf_counter()
        model = make_model(name, config.models).fit(x_train, y_train)
        metrics[f"train/{name}/fit_seconds"] = time.perf_counter() - start
        scores = model.predict_proba(test[names].to_numpy())[:, 1]
        result = evaluation.evaluate(test, scores, config.top_k)
        metrics.update({f"test/{name}/{key}": value for key, value in result.items()})
        joblib.dump(model, out_dir / f"model_{name}.joblib")
    return metrics


def results_table(
    metrics: dict[str, float], names: Sequence[str], k: int, split: SplitConfig
) -> str:
    """Markdown table of ours against the handbook's numbers, with meet-or-beat per measure."""
    lines = [
        f"| model | AUC ROC | average precision | card precision@{k} | handbook row | handbook "
        "| meets or beats |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in names:
        ours = [metrics[f"test/{name}/{m.format(k=k)}"] for m in MEASURES]
        cells = " | ".join(f"{v:.3f}" for v in ours)
        verdict = handbook_comparison(metrics, name, k, split)
        if verdict is None:
            lines.append(f"| {name} | {cells} | - | - | - |")
            continue
        row = HANDBOOK_ROW[name]
        ref = " / ".join(f"{v:.3f}" for v in HANDBOOK[row])
        marks = " / ".join("yes" if ok else "**no**" for ok in verdict.values())
        lines.append(f"| {name} | {cells} | {row} | {ref} | {marks} |")
    return "\n".join(lines) + "\n"


def run(config: str | Path | None = None, out_dir: str | Path | None = None) -> dict[str, float]:
    """Run the level 4 evaluation and write its results and the service's artifacts.

    Writes ``metrics.json``, ``config.resolved.yaml``, ``results.md`` (the table against the
    handbook), ``feature_parity.json``, one ``model_<name>.joblib`` per model and
    ``reference_features.npy`` (the training rows the service's drift check compares with).

    Args:
        config: YAML config path; the packaged ``config.yaml`` when None.
        out_dir: output folder; ``runs/baselines/level4_fraud/<UTC time>`` when None.

    Returns:
        Flat metrics (plain floats): ``test/<model>/<measure>`` (``auc_roc``,
        ``average_precision``, ``card_precision@<k>``), ``train/<model>/fit_seconds``,
        ``features/rows_compared`` and ``features/rows_mismatched`` (parity with the shipped
        file) and ``split/*`` row and fraud counts.

    Raises:
        ConfigError: the config file is missing or invalid.
        MissingDataError: a data file is not under ``SCIDISCO_DATA``.
        DataFormatError: a data file lacks columns or has unreadable time stamps.
        SplitError: the configured days hold no training or no test rows.
    """
    cfg = load_config(config)
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    resolved = yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
    (out / "config.resolved.yaml").write_text(resolved)
    logger.info("level 4 run -> %s with %s", out, cfg.model_dump_json())

    frame = build_features(cfg)
    metrics: dict[str, float] = {}
    if cfg.check_feature_parity and cfg.features.source == "online":
        report = check_parity(cfg, frame)
        (out / "feature_parity.json").write_text(json.dumps(report, indent=2))
        metrics["features/rows_compared"] = report["rows_compared"]
        metrics["features/rows_mismatched"] = report["rows_mismatched"]

    train, test = evaluation.train_test_split(frame, cfg.split)
    if train.empty or test.empty:
        raise SplitError(
            f"the split starting {cfg.split.train_start} has {len(train)} training and "
            f"{len(test)} test rows; choose dates inside the data ({frame['TX_DATETIME'].min()}"
            f" .. {frame['TX_DATETIME'].max()})"
        )
    metrics.update(
        {
            "split/train_rows": len(train),
            "split/train_frauds": int(train["TX_FRAUD"].sum()),
            "split/test_rows": len(test),
            "split/test_frauds": int(test["TX_FRAUD"].sum()),
        }
    )
    metrics.update(fit_and_evaluate(cfg, train, test, out))
    names = feature_names(cfg.features.windows_days)
    np.save(out / "reference_features.npy", train[names].to_numpy())
    (out / "results.md").write_text(results_table(metrics, cfg.models.names, cfg.top_k, cfg.split))
    metrics = {key: float(value) for key, value in metrics.items()}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics
