"""The Markdown report and its CSV tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from baselines.level1_eda.common import markdown_table
from baselines.level2_churn.config import Level2Config


def write_report(
    rep: Path,
    cfg: Level2Config,
    cv_table: pd.DataFrame,
    val_table: pd.DataFrame,
    test: dict[str, float],
    aucs: pd.Series,
    selected: list[str],
    kind: str,
    strategy: str,
    metrics: dict[str, float],
) -> Path:
    """Write ``report.md`` and the CSVs behind it into ``rep``; return the Markdown path."""
    cv_table.to_csv(rep / "cv_comparison.csv", index=False)
    val_table.to_csv(rep / "imbalance_validation.csv")
    pd.Series(selected, name="feature").to_csv(rep / "selected_features.csv", index=False)
    pd.Series(test, name="value").to_csv(rep / "test_metrics.csv")

    objective: str = cfg.imbalance.threshold_objective
    if objective == "precision_at_recall":
        objective += f" (recall >= {cfg.imbalance.min_recall})"
    test_rows = pd.DataFrame(
        {
            "value": [
                test["roc_auc"],
                test["pr_auc"],
                test["f1"],
                test["recall"],
                test["precision"],
                test["brier"],
            ],
            "95% CI low": [test["roc_auc_ci_low"], test["pr_auc_ci_low"], *[None] * 4],
            "95% CI high": [test["roc_auc_ci_high"], test["pr_auc_ci_high"], *[None] * 4],
        },
        index=pd.Index(
            ["ROC AUC", "PR AUC", "F1", "recall", "precision", "Brier"], name="test metric"
        ),
    )
    lines = [
        "# Level 2 churn report",
        "",
        f"{int(metrics['data/rows'])} rows after the join, positive rate "
        f"{metrics['data/positive_rate']:.4f}, {int(metrics['data/raw_features'])} raw features, "
        f"{int(metrics['data/encoded_features'])} after encoding (with derived features), "
        f"{int(metrics['data/selected_features'])} kept by selection "
        f"({cfg.features.selection.method}).",
        "",
        f"## Cross-validation on the train split ({cfg.split.cv_folds} stratified folds)",
        "",
        f"Sorted by {cfg.imbalance.select_by}; chosen: **{kind} + {strategy}**.",
        "",
        markdown_table(cv_table.set_index(["model"]), ".4f"),
        "",
        f"## Imbalance strategies for {kind} on validation",
        "",
        f"Threshold chosen on validation for the objective: {objective}.",
        "",
        markdown_table(val_table, ".4f"),
        "",
        f"## Test split (used once; bootstrap {cfg.evaluation.bootstrap} resamples)",
        "",
        f"Threshold {test['threshold']:.4f}.",
        "",
        markdown_table(test_rows.astype(object).where(test_rows.notna(), "-"), ".4f"),
        "",
        "![ROC and PR](roc_pr.png)",
        "![calibration](calibration.png)",
        "![gain and lift](gain_lift.png)",
        "",
        "## Features",
        "",
        f"Selected ({len(selected)}): " + ", ".join(f"`{s}`" for s in selected),
        "",
        "Strongest single features (ROC AUC alone, train rows; the leakage guard stops above "
        f"{cfg.features.max_single_feature_auc}):",
        "",
        markdown_table(aucs.head(10).to_frame(), ".3f"),
        "",
        f"Kept out as leakage: {cfg.features.leakage}",
        "",
    ]
    path = rep / "report.md"
    path.write_text("\n".join(lines))
    return path
