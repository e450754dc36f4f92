"""E4 tables and plot: one seed's run folder, and mean ± sd over seeds.

Over seeds::

    python -m experiments.benchmarks.e4_report runs/experiments/e4_selection/seed-*

prints the policy table (mean ± sd over the run folders given) and the permuted-control
test across seeds, and writes both beside them as ``e4_summary.md``.

The control test across seeds (`control_test`): each seed gives one mean AUC drop over its
held-out targets; the one-sided Wilcoxon signed-rank test and a paired bootstrap 95% CI run
over those seed means (the seeds are independent: each splits targets and trains its own
policy). With 5 seeds the smallest one-sided p is 1/32 = 0.031. The pooled row tests every
(seed, target) pair; targets of one seed share one trained policy, so its p is optimistic.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import to_hex

from experiments.benchmarks.e4_eval import POLICIES
from experiments.benchmarks.stats import paired_difference
from experiments.multirun import ExperimentError
from experiments.tables import aggregate, collect

Cell = Callable[[str], str]


def _columns(budgets: Sequence[int], per_seed_tests: bool = True) -> list[tuple[str, str]]:
    top = max(budgets)
    columns = [
        *((f"found@{b}", f"eval/{{p}}/discoveries@{b}") for b in budgets),
        ("AUC", "eval/{p}/auc"),
        (f"permuted found@{top}", f"control_permuted/{{p}}/discoveries@{top}"),
        ("permuted AUC", "control_permuted/{p}/auc"),
        ("AUC drop", "control_permuted/{p}/auc_drop"),
        ("drop 95% CI", "control_permuted/{p}/auc_drop_ci"),
        ("Wilcoxon p", "control_permuted/{p}/auc_drop_wilcoxon_p"),
    ]
    # Per-seed CIs and p-values do not average: across seeds the test has its own table.
    return columns if per_seed_tests else columns[:-2]


def _rows(
    policies: Sequence[str], budgets: Sequence[int], cell: Cell, per_seed_tests: bool = True
) -> list[str]:
    columns = _columns(budgets, per_seed_tests)
    lines = [
        "| policy | " + " | ".join(name for name, _ in columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for policy in policies:
        cells = [cell(key.format(p=policy)) for _, key in columns]
        lines.append(f"| {policy} | " + " | ".join(cells) + " |")
    return lines


def _header(metrics: dict[str, float]) -> str:
    return (
        f"E4 experiment selection: {metrics['data/eval_targets']:.0f} held-out targets "
        f"(trained on {metrics['data/train_targets_used']:.0f} of "
        f"{metrics['data/train_targets']:.0f}), pools of {metrics['data/pool_size']:.0f}, "
        f"positive rate {metrics['data/eval_pool_positive_rate']:.4f} "
        f"({metrics['data/eval_positives_per_pool']:.2f} true per pool, "
        f"{100 * metrics['data/eval_pools_without_positive']:.0f}% of pools with none)"
    )


def render_table(
    metrics: dict[str, float],
    policies: Sequence[str],
    budgets: Sequence[int],
    timings: dict[str, float],
    usage: str,
) -> str:
    """Markdown table of one run: true discoveries per policy, and the permuted control.

    ``usage`` is the run's wall-time and peak-memory sentence (`experiments.resources`).
    """

    def cell(key: str) -> str:
        if key.endswith("_ci"):
            low, high = metrics.get(f"{key}_low"), metrics.get(f"{key}_high")
            return "-" if low is None or high is None else f"[{low:+.3f}, {high:+.3f}]"
        if key.endswith("_wilcoxon_p") and key in metrics:
            nonzero = metrics[key.replace("_wilcoxon_p", "_n_nonzero")]
            return f"{metrics[key]:.3g} ({nonzero:.0f} differ)"
        return f"{metrics[key]:.3f}" if key in metrics else "-"

    lines = [_header(metrics), "", *_rows(policies, budgets, cell), ""]
    lines.append(
        "found@k: true pairs among the first k tests (mean over held-out targets and "
        "episodes); AUC: area under the discovery curve / budget; permuted: the lab answers "
        "with another pool member's outcome; drop: AUC minus permuted AUC, with a paired "
        "bootstrap 95% CI over held-out targets and the one-sided Wilcoxon signed-rank p of "
        "'true-lab AUC > permuted AUC' (targets whose two AUCs are equal are dropped, as "
        "Wilcoxon did; p = 1 when none differ). A policy that ignores outcomes drops 0."
    )
    lines += ["", "Timings (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()), usage]
    return "\n".join(lines) + "\n"


def plot_curves(series: dict[str, list[float]], path: Path, budgets: Sequence[int]) -> Path:
    """Mean discovery curve per policy (solid) and under the permuted lab (dashed)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colours: dict[str, str] = {}
    for key, curve in series.items():
        channel, policy = key.split("/", 1)
        steps = range(1, len(curve) + 1)
        if channel == "eval":
            (line,) = ax.plot(steps, curve, label=policy)
            colours[policy] = to_hex(line.get_color())  # a hex string whatever matplotlib returns
    for key, curve in series.items():
        channel, policy = key.split("/", 1)
        if channel == "control_permuted":
            ax.plot(range(1, len(curve) + 1), curve, "--", color=colours.get(policy), lw=1)
    for b in budgets:
        ax.axvline(b, color="grey", lw=0.5)
    ax.set_xlabel("tests")
    ax.set_ylabel("true discoveries (mean per held-out target)")
    ax.set_title("E4 discovery curves (dashed: permuted-outcome lab)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def summarize(run_dirs: list[Path]) -> str:
    """Mean ± sd over the run folders (one per seed) of every policy's scores."""
    table = aggregate(collect(run_dirs))
    stats = {
        m: (mean, std)
        for m, mean, std in zip(table["metric"], table["mean"], table["std"], strict=True)
    }
    policies = [p for p in POLICIES if f"eval/{p}/auc" in stats]
    if not policies:
        names = ", ".join(str(d) for d in run_dirs)
        raise ExperimentError(f"{names}: no E4 policy metrics (eval/<policy>/auc); not E4 runs?")
    budgets = sorted(
        int(m.rsplit("@", 1)[1]) for m in stats if m.startswith(f"eval/{policies[0]}/discoveries@")
    )

    def cell(key: str) -> str:
        return f"{stats[key][0]:.3f} ± {stats[key][1]:.3f}" if key in stats else "-"

    means = {k: v[0] for k, v in stats.items()}
    seeds = int(table["count"].max())
    lines = [_header(means) + f"; mean ± sd over {seeds} seeds", ""]
    lines += _rows(policies, budgets, cell, per_seed_tests=False)
    lines += ["", *control_test(run_dirs, [p for p in policies if p != "oracle"])]
    return "\n".join(lines) + "\n"


def control_test(run_dirs: list[Path], policies: Sequence[str], n_boot: int = 1000) -> list[str]:
    """Markdown rows: is the true-lab AUC above the permuted one across seeds (module doc)?"""
    series = [json.loads((d / "series.json").read_text()) for d in run_dirs]
    lines = [
        "Permuted control across seeds (AUC drop = true-lab AUC - permuted AUC):",
        "",
        "| policy | mean drop | 95% CI over seeds | Wilcoxon p over seeds | "
        "pooled seed x target Wilcoxon p (pairs) |",
        "|---|---|---|---|---|",
    ]
    for policy in policies:
        keys = [f"per_target_auc/{lab}/{policy}" for lab in ("eval", "control_permuted")]
        if not all(k in s for s in series for k in keys):
            lines.append(f"| {policy} | - | - | - | - |")  # runs from before the per-target series
            continue
        true, permuted = ([np.array(s[k]) for s in series] for k in keys)
        seed_means = paired_difference(
            np.array([t.mean() for t in true]), np.array([q.mean() for q in permuted]), n_boot, 0
        )
        pooled = paired_difference(np.concatenate(true), np.concatenate(permuted), 0, 0)
        lines.append(
            f"| {policy} | {seed_means['mean']:+.3f} | [{seed_means['ci_low']:+.3f}, "
            f"{seed_means['ci_high']:+.3f}] | {seed_means['wilcoxon_p']:.3g} "
            f"(n={seed_means['n']:.0f}) | {pooled['wilcoxon_p']:.3g} ({pooled['n']:.0f}) |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Print (and write beside the runs) the mean ± sd table of E4 run folders.

    A folder that is not a finished E4 run exits with status 2 and names the folder.
    """
    parser = argparse.ArgumentParser(description="E4 table over seeds")
    parser.add_argument("run_dirs", nargs="+", type=Path, help="E4 run folders (seed-*)")
    args = parser.parse_args(argv)
    try:
        text = summarize(args.run_dirs)
    except (ExperimentError, FileNotFoundError) as error:
        parser.exit(2, f"e4_report: {error}\n")
    (args.run_dirs[0].parent / "e4_summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
