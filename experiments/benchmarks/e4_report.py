"""E4 tables and plot: one seed's run folder, and mean ± sd over seeds.

Over seeds::

    python -m experiments.benchmarks.e4_report runs/experiments/e4_selection/seed-*

prints the policy table (mean ± sd over the run folders given) and writes it beside them as
``e4_summary.md``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from experiments.benchmarks.e4_eval import POLICIES
from experiments.tables import aggregate, collect

Cell = Callable[[str], str]


def _columns(budgets: Sequence[int]) -> list[tuple[str, str]]:
    top = max(budgets)
    return [
        *((f"found@{b}", f"eval/{{p}}/discoveries@{b}") for b in budgets),
        ("AUC", "eval/{p}/auc"),
        (f"permuted found@{top}", f"control_permuted/{{p}}/discoveries@{top}"),
        ("permuted AUC", "control_permuted/{p}/auc"),
        ("AUC drop", "control_permuted/{p}/auc_drop"),
    ]


def _rows(policies: Sequence[str], budgets: Sequence[int], cell: Cell) -> list[str]:
    columns = _columns(budgets)
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
) -> str:
    """Markdown table of one run: true discoveries per policy, and the permuted control."""

    def cell(key: str) -> str:
        return f"{metrics[key]:.3f}" if key in metrics else "-"

    lines = [_header(metrics), "", *_rows(policies, budgets, cell), ""]
    lines.append(
        "found@k: true pairs among the first k tests (mean over held-out targets and "
        "episodes); AUC: area under the discovery curve / budget; permuted: the lab answers "
        "with another pool member's outcome; drop: AUC minus permuted AUC."
    )
    lines += ["", "Timings: " + ", ".join(f"{k} {v}" for k, v in timings.items())]
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
            colours[policy] = str(line.get_color())
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
    budgets = sorted(
        int(m.rsplit("@", 1)[1]) for m in stats if m.startswith(f"eval/{policies[0]}/discoveries@")
    )

    def cell(key: str) -> str:
        return f"{stats[key][0]:.3f} ± {stats[key][1]:.3f}" if key in stats else "-"

    means = {k: v[0] for k, v in stats.items()}
    seeds = int(table["count"].max())
    lines = [_header(means) + f"; mean ± sd over {seeds} seeds", ""]
    lines += _rows(policies, budgets, cell)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Print (and write beside the runs) the mean ± sd table of E4 run folders."""
    parser = argparse.ArgumentParser(description="E4 table over seeds")
    parser.add_argument("run_dirs", nargs="+", type=Path, help="E4 run folders (seed-*)")
    args = parser.parse_args(argv)
    text = summarize(args.run_dirs)
    (args.run_dirs[0].parent / "e4_summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
