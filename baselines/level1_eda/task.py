"""Level 1 entry point: explore, clean, encode, fit and measure every configured table."""

from __future__ import annotations

import logging
from pathlib import Path

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from baselines.level1_eda import data, eda, modeling
from baselines.level1_eda.common import (
    load_config,
    markdown_table,
    prepare_out_dir,
    write_run_files,
)
from baselines.level1_eda.config import DatasetConfig, Level1Config

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
LEVEL = "level1_eda"


def run(config: str | Path | None = None, out_dir: str | Path | None = None) -> dict[str, float]:
    """Run level 1 and write its tables, plots, report and metrics into ``out_dir``.

    Args:
        config: YAML config path; ``None`` uses the packaged ``config.yaml``.
        out_dir: output folder; ``None`` uses ``runs/baselines/level1_eda/<UTC time>``.

    Returns:
        Metrics keyed ``<dataset>/<model>/test/accuracy``, ``.../test/f1``,
        ``.../cv/roc_auc_mean`` and ``.../cv/roc_auc_std``.

    Raises:
        ConfigError: the config is invalid. MissingDataError: a data file is absent.
        DataValidationError: a table does not fit its config.
    """
    cfg = load_config(config or DEFAULT_CONFIG, Level1Config)
    out = prepare_out_dir(out_dir, LEVEL)
    logger.info("level 1: %d dataset(s), models %s -> %s", len(cfg.datasets), cfg.models, out)
    metrics: dict[str, float] = {}
    report = ["# Level 1 report", ""]
    with threadpool_limits(cfg.threads):
        for ds in cfg.datasets:
            metrics |= _run_dataset(ds, cfg, out / ds.name, report)
    (out / "report.md").write_text("\n".join(report) + "\n")
    write_run_files(out, cfg, metrics)
    return metrics


def _run_dataset(
    ds: DatasetConfig, cfg: Level1Config, out: Path, report: list[str]
) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    df, cleaned = data.prepare(ds, seed=cfg.seed)

    # Exploration: tables to CSV, figures to PNG.
    summary, missing = eda.summary_table(df), eda.missing_table(df)
    balance = eda.class_balance(df, ds.target)
    summary.to_csv(out / "summary.csv")
    missing.to_csv(out / "missing.csv")
    balance.to_csv(out / "class_balance.csv")
    if cfg.plots:
        eda.plot_distributions(df, ds.target, out / "distributions.png")
        cols = eda.pair_columns(df, ds.target, ds.pair_columns)
        if len(cols) >= 2:
            eda.plot_pairs(df, ds.target, cols, out / "pairs.png")

    # Modelling: one default pipeline per model, same split and folds for all.
    X, y = modeling.split_xy(df, ds)
    results = []
    for name in tqdm(cfg.models, desc=f"level1 {ds.name}", leave=False):
        res = modeling.evaluate_model(
            name, X, y, ds, seed=cfg.seed, test_size=cfg.test_size, cv_folds=cfg.cv_folds
        )
        results.append(res)
        res.confusion.to_csv(out / f"confusion_{name}.csv")
        if cfg.plots:
            modeling.plot_confusion(res, f"{ds.name}: {name}", out / f"confusion_{name}.png")
    table = modeling.results_table(results)
    table.to_csv(out / "results.csv")
    logger.info("%s results:\n%s", ds.name, table.to_string(float_format="%.3f"))

    report += [
        f"## {ds.name}",
        "",
        f"{cleaned.rows_out} rows used of {cleaned.rows_in}; "
        f"dropped columns {cleaned.dropped_columns}; "
        f"rows without target {cleaned.target_missing}; "
        f"text read as numbers {cleaned.coerced_numeric}.",
        "",
        markdown_table(missing[missing["missing"] > 0], ".1f"),
        "",
        markdown_table(table),
        "",
    ]
    return {
        f"{ds.name}/{r.model}/{key}": value
        for r in results
        for key, value in {
            "test/accuracy": r.accuracy,
            "test/f1": r.f1,
            "cv/roc_auc_mean": r.cv_roc_auc_mean,
            "cv/roc_auc_std": r.cv_roc_auc_std,
        }.items()
    }
