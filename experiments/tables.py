"""Aggregate run folders into paper tables (CSV, Markdown, LaTeX) and plots (PNG)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import yaml

from experiments.multirun import ExperimentError, read_metrics


def collect(run_dirs: list[Path]) -> pd.DataFrame:
    """One row per run folder: experiment name, seed and every metric."""
    rows = []
    for run_dir in run_dirs:
        metrics = read_metrics(run_dir)
        manifest_path = run_dir / "manifest.json"
        if not manifest_path.is_file():
            raise ExperimentError(f"{run_dir} has no manifest.json")
        manifest = json.loads(manifest_path.read_text())
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        rows.append({"experiment": config["name"], "seed": manifest["seeds"][0], **metrics})
    if not rows:
        raise ExperimentError("no run folders given")
    return pd.DataFrame(rows)


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and seed count of every metric, per experiment."""
    metrics = [c for c in frame.columns if c not in ("experiment", "seed")]
    long = frame.melt(id_vars=["experiment", "seed"], value_vars=metrics, var_name="metric")
    table = long.groupby(["experiment", "metric"])["value"].agg(["mean", "std", "count"])
    return table.reset_index().fillna({"std": 0.0})


def write_tables(table: pd.DataFrame, out_dir: Path, stem: str = "results") -> list[Path]:
    """Write CSV, Markdown and LaTeX versions; numbers as mean ± std."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shown = table.assign(
        value=[f"{m:.4f} ± {s:.4f}" for m, s in zip(table["mean"], table["std"], strict=True)]
    ).pivot(index="metric", columns="experiment", values="value")
    csv_path, md_path, tex_path = (out_dir / f"{stem}.{ext}" for ext in ("csv", "md", "tex"))
    table.to_csv(csv_path, index=False)
    md_path.write_text(shown.to_markdown() + "\n")
    tex_path.write_text(shown.to_latex().replace("±", r"$\pm$"))
    return [csv_path, md_path, tex_path]


def plot_metrics(table: pd.DataFrame, out_dir: Path, stem: str = "results") -> list[Path]:
    """One bar chart with error bars per metric family (the part before the first '/')."""
    paths = []
    table = table.assign(family=table["metric"].str.split("/").str[0])
    for family, group in table.groupby("family"):
        fig, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(group)), 3.6))
        labels = [
            f"{e}\n{m}" if group["experiment"].nunique() > 1 else m
            for e, m in zip(group["experiment"], group["metric"], strict=True)
        ]
        ax.bar(range(len(group)), group["mean"], yerr=group["std"], capsize=3)
        ax.set_xticks(range(len(group)), labels, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{family} (mean ± std over seeds)")
        fig.tight_layout()
        path = out_dir / f"{stem}-{family}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths
